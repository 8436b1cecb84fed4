package bounded

import (
	"context"
	"testing"

	"github.com/monogen/monogen/generated"
)

// BenchmarkSemaphoreObserve is what metrics=true and onwait= cost a
// generated semaphore's Acquire+Release of one unit: BenchSlots (obs=none),
// WatchedSlots (obs=metrics) and ObservedSlots (obs=hooks, a trivial
// onwait=), all of capacity 64, so that nobody waits. Run each obs= in a
// process of its own, interleaved, and compare with benchstat -col /obs.
func BenchmarkSemaphoreObserve(b *testing.B) {
	ctx := context.Background()
	type slots interface {
		Acquire(context.Context) error
		Release()
	}
	for _, l := range contentions {
		for _, v := range []struct {
			name string
			new  func() slots
		}{
			{"none", func() slots { return generated.NewBenchSlots() }},
			{"metrics", func() slots { return generated.NewWatchedSlots() }},
			{"hooks", func() slots { return generated.NewObservedSlots() }},
		} {
			b.Run(l.name+"/obs="+v.name, func(b *testing.B) {
				s := v.new()
				b.ReportAllocs()
				l.run(b, func() {
					if err := s.Acquire(ctx); err != nil {
						b.Fatal(err)
					}
					s.Release()
				})
			})
		}
	}
}
