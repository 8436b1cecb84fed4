package pipeline

import "testing"

// BenchmarkWorkFloor is the work alone: the three stage functions of each
// workload applied in turn on one goroutine, ns/item. A pipeline on P cores
// cannot go below ns/item / min(P, stage goroutines); on the 2-core
// reference machine, 1µs stages put every implementation within about 2x
// of each other, so per-item overhead only shows with trivial stages.
func BenchmarkWorkFloor(b *testing.B) {
	in := make([]int, size)
	for i := range in {
		in[i] = i
	}
	for _, w := range works {
		b.Run("work="+w.name, func(b *testing.B) {
			var sink uint64
			for b.Loop() {
				for _, x := range in {
					sink += w.f3(w.f2(w.f1(x)))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/item")
			if sink == 1 {
				b.Log(sink)
			}
		})
	}
}
