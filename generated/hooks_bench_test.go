package generated_test

import (
	"context"
	"testing"

	"github.com/monogen/monogen/generated"
)

// BenchmarkHooks measures what a trivial event hook (or metrics=true)
// costs the hot path it sits on, on twins that differ only in it, from one
// goroutine (parallel runs measure contention more than the path):
// hook=none against hook=trivial (metrics=true for hook=metrics).
// ratelimit Allow and Wait that are admitted, queue Push+Pop that fit
// and Push into a full drop-newest queue (the hook is called on each),
// respool Get+Put that do not wait.
func BenchmarkHooks(b *testing.B) {
	type allower interface{ Allow() bool }
	for _, c := range []struct {
		hook string
		l    allower
	}{{"none", generated.NewBenchRate()}, {"trivial", generated.NewBenchRateHooked()}} {
		b.Run("op=Allow/hook="+c.hook, func(b *testing.B) {
			for b.Loop() {
				c.l.Allow()
			}
		})
	}
	type waiter interface{ Wait(context.Context) error }
	for _, c := range []struct {
		hook string
		l    waiter
	}{{"none", generated.NewBenchRate()}, {"metrics", generated.NewBenchRateTimed()}} {
		b.Run("op=Wait/hook="+c.hook, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				c.l.Wait(ctx)
			}
		})
	}
	type queue interface {
		Push(context.Context, int) error
		TryPop() (int, bool)
	}
	for _, c := range []struct {
		hook string
		q    func() queue
	}{
		{"none", func() queue { return generated.NewBenchDropQueue() }},
		{"trivial", func() queue { return generated.NewBenchDropQueueHooked() }},
	} {
		b.Run("op=Push+Pop/hook="+c.hook, func(b *testing.B) {
			q, ctx := c.q(), context.Background()
			for b.Loop() {
				q.Push(ctx, 1)
				q.TryPop()
			}
		})
		b.Run("op=PushFull/hook="+c.hook, func(b *testing.B) {
			q, ctx := c.q(), context.Background()
			for i := range 1024 {
				q.Push(ctx, i)
			}
			for b.Loop() {
				q.Push(ctx, 1) // dropped
			}
		})
	}
	type pool interface {
		Get(context.Context) (*generated.Res, error)
		Put(*generated.Res)
		Close()
	}
	for _, c := range []struct {
		hook string
		p    func() pool
	}{
		{"none", func() pool { return generated.NewBenchRes() }},
		{"trivial", func() pool { return generated.NewBenchResHooked() }},
		{"metrics", func() pool { return generated.NewBenchResTimed() }},
	} {
		b.Run("op=Get+Put/hook="+c.hook, func(b *testing.B) {
			p, ctx := c.p(), context.Background()
			defer p.Close()
			for b.Loop() {
				r, err := p.Get(ctx)
				if err != nil {
					b.Fatal(err)
				}
				p.Put(r)
			}
		})
	}
}
