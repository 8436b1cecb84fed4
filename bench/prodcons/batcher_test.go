package prodcons

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/monogen/monogen/bench/internal/par"
	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/batcher"
)

// batchAdder is what BenchmarkBatcher drives. *batcher.Batcher[int]
// satisfies it as is; a generated batcher of int will too.
type batchAdder interface {
	Add(ctx context.Context, v int) error
	Close(ctx context.Context) error
}

// batcherImpls are the implementations compared, by impl= name: each is
// built for a batch size and a batch function.
var batcherImpls = []struct {
	name string
	new  func(size int, fn func(context.Context, []int) error) batchAdder
}{
	{"template", func(size int, fn func(context.Context, []int) error) batchAdder {
		return batcher.New(fn, nil, batcher.Config{Size: size, Flush: 50 * time.Millisecond, Workers: 2})
	}},
	{"channel", func(size int, fn func(context.Context, []int) error) batchAdder {
		return newChanBatcher(size, 50*time.Millisecond, fn)
	}},
	// generated/prodcons.go: //monogen:batcher BenchBatcher50[int] and
	// BenchBatcher500[int], flush=50ms workers=2, taking fn like the template.
	{"generated", func(size int, fn func(context.Context, []int) error) batchAdder {
		switch size {
		case 50:
			return generated.NewBenchBatcher50(fn, nil)
		case 500:
			return generated.NewBenchBatcher500(fn, nil)
		}
		panic("no generated batcher of size " + fmt.Sprint(size))
	}},
}

// chanBatcher is the batcher most Go code writes by hand: items go through a
// buffered channel to one goroutine that collects them and calls fn when the
// batch is full or a ticker fires.
type chanBatcher struct {
	items chan int
	done  chan struct{}
}

func newChanBatcher(size int, flush time.Duration, fn func(context.Context, []int) error) *chanBatcher {
	c := &chanBatcher{items: make(chan int, size), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		ticker := time.NewTicker(flush)
		defer ticker.Stop()
		batch := make([]int, 0, size)
		for {
			select {
			case v, ok := <-c.items:
				if !ok {
					if len(batch) > 0 {
						fn(context.Background(), batch)
					}
					return
				}
				batch = append(batch, v)
				if len(batch) == size {
					fn(context.Background(), batch)
					batch = batch[:0]
				}
			case <-ticker.C:
				if len(batch) > 0 {
					fn(context.Background(), batch)
					batch = batch[:0]
				}
			}
		}
	}()
	return c
}

func (c *chanBatcher) Add(ctx context.Context, v int) error {
	select {
	case c.items <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *chanBatcher) Close(ctx context.Context) error {
	close(c.items)
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// BenchmarkBatcher adds one item per iteration (ns/op is ns per item) with a
// batch function that does nothing: from one goroutine for each batch size,
// then, for size=50, from procs=N goroutines sharing the batcher for each N
// of par.Procs.
func BenchmarkBatcher(b *testing.B) {
	ctx := context.Background()
	noop := func(context.Context, []int) error { return nil }
	for _, size := range []int{50, 500} {
		for _, impl := range batcherImpls {
			b.Run(fmt.Sprintf("size=%d/impl=%s", size, impl.name), func(b *testing.B) {
				bt := impl.new(size, noop)
				b.ReportAllocs()
				for b.Loop() {
					bt.Add(ctx, 1)
				}
				if err := bt.Close(ctx); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
	for _, procs := range par.Procs() {
		for _, impl := range batcherImpls {
			b.Run(fmt.Sprintf("size=50/%s/impl=%s", par.Name(procs), impl.name), func(b *testing.B) {
				bt := impl.new(50, noop)
				b.ReportAllocs()
				par.Run(b, procs, func(pb *testing.PB) {
					for pb.Next() {
						bt.Add(ctx, 1)
					}
				})
				if err := bt.Close(ctx); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
