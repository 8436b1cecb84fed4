package pool

import (
	"runtime"
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/bench/internal/par"
)

// wave is how many jobs one mode=submit op submits and waits for: waiting
// per wave keeps draining the queue inside the measurement (a pool with an
// unbounded queue would otherwise look free), amortized over the wave.
const wave = 4096

func BenchmarkPool(b *testing.B) {
	workers := runtime.GOMAXPROCS(0)
	for _, j := range jobs {
		for _, im := range impls {
			b.Run("job="+j.name+"/mode=submit/impl="+im.name, func(b *testing.B) {
				benchSubmit(b, im, j, workers)
			})
		}
		// The same against the number of workers.
		for _, procs := range par.Procs() {
			for _, im := range impls {
				b.Run("job="+j.name+"/mode=submit/"+par.Name(procs)+"/impl="+im.name, func(b *testing.B) {
					benchSubmit(b, im, j, procs)
				})
			}
		}
		for _, im := range impls {
			b.Run("job="+j.name+"/mode=map/size="+strconv.Itoa(j.mapSize)+"/impl="+im.name, func(b *testing.B) {
				r := im.start(j, workers)
				defer r.close()
				ins := make([]int, j.mapSize)
				for i := range ins {
					ins[i] = i
				}
				outs := make([]int, len(ins))
				b.ReportAllocs()
				for b.Loop() {
					r.mapInto(outs, ins)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*j.mapSize), "ns/job")
			})
		}
	}
}

// benchSubmit measures mode=submit of im running j on workers workers.
func benchSubmit(b *testing.B, im impl, j job, workers int) {
	r := im.start(j, workers)
	defer r.close()
	ins := make([]int, wave)
	for i := range ins {
		ins[i] = i
	}
	b.ReportAllocs()
	for b.Loop() {
		r.submitWave(ins)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*wave), "ns/job")
}

// TestImpls checks that every implementation computes what the benchmark
// claims, and leaves no goroutine behind once closed.
func TestImpls(t *testing.T) {
	// IgnoreCurrent: ants starts a default pool of its own at init.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, j := range jobs {
		for _, im := range impls {
			r := im.start(j, 2)
			ins := make([]int, 3000)
			for i := range ins {
				ins[i] = i
			}
			r.submitWave(ins)
			outs := make([]int, len(ins))
			r.mapInto(outs, ins)
			r.close()
			for i, o := range outs {
				if o != j.fn(ins[i]) {
					t.Fatalf("job=%s impl=%s: outs[%d] = %d, want %d", j.name, im.name, i, o, j.fn(ins[i]))
				}
			}
		}
	}
}
