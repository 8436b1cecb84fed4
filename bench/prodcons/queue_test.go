package prodcons

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/monogen/monogen/bench/internal/par"
	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/queue"
)

// benchCap is the capacity of every queue compared.
const benchCap = 1024

// queueItems is how many items one iteration moves from the producers to the
// consumers: enough that starting the goroutines of an iteration is noise.
const queueItems = 1 << 14

// queueBatch is the PushMany/PopMany batch size of mode=batch.
const queueBatch = 64

// boundedQueue is what BenchmarkQueue drives. *queue.Queue[int] satisfies it
// as is; a generated queue of int will too.
type boundedQueue interface {
	Push(ctx context.Context, v int) error
	Pop(ctx context.Context) (int, error)
	PushMany(ctx context.Context, vs []int) (int, error)
	PopMany(ctx context.Context, buf []int) (int, error)
}

// queueImpls are the implementations compared, by impl= name. Adding one is
// adding an entry.
var queueImpls = []struct {
	name string
	new  func(capacity int) boundedQueue
}{
	{"template", func(c int) boundedQueue { return queue.New[int](queue.Config{Size: c}) }},
	{"channel", func(c int) boundedQueue { return make(chanQueue, c) }},
	// generated/prodcons.go: //monogen:queue IntQueue[int] size=1024
	{"generated", func(c int) boundedQueue {
		if c != 1024 {
			panic("the generated queue has capacity 1024")
		}
		return generated.NewIntQueue()
	}},
}

// chanQueue is a buffered channel behind the boundedQueue interface. Its
// batch operations are what a channel user would write: a loop of sends; a
// blocking receive, then non-blocking receives until the batch is full.
type chanQueue chan int

func (c chanQueue) Push(ctx context.Context, v int) error {
	select {
	case c <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c chanQueue) Pop(ctx context.Context) (int, error) {
	select {
	case v := <-c:
		return v, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (c chanQueue) PushMany(ctx context.Context, vs []int) (int, error) {
	for i, v := range vs {
		select {
		case c <- v:
		case <-ctx.Done():
			return i, ctx.Err()
		}
	}
	return len(vs), nil
}

func (c chanQueue) PopMany(ctx context.Context, buf []int) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	select {
	case buf[0] = <-c:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	n := 1
	for n < len(buf) {
		select {
		case buf[n] = <-c:
			n++
		default:
			return n, nil
		}
	}
	return n, nil
}

// BenchmarkQueue moves queueItems items per iteration from producers to
// consumers through a queue of capacity benchCap and reports ns/item.
// procs=N is N producers and N consumers, for each N of par.Procs.
// mode=single pushes and pops one item per call, mode=batch queueBatch.
func BenchmarkQueue(b *testing.B) {
	for _, procs := range par.Procs() {
		for _, mode := range []string{"single", "batch"} {
			for _, impl := range queueImpls {
				name := fmt.Sprintf("%s/mode=%s/impl=%s", par.Name(procs), mode, impl.name)
				b.Run(name, func(b *testing.B) {
					transfer(b, impl.new(benchCap), procs, procs, mode == "batch")
				})
			}
		}
	}
}

func transfer(b *testing.B, q boundedQueue, producers, consumers int, batch bool) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var wg sync.WaitGroup
		for p := range producers {
			wg.Go(func() {
				n := share(queueItems, producers, p)
				if !batch {
					for i := range n {
						if err := q.Push(ctx, i); err != nil {
							b.Error(err)
							return
						}
					}
					return
				}
				var buf [queueBatch]int
				for n > 0 {
					k := min(n, queueBatch)
					if _, err := q.PushMany(ctx, buf[:k]); err != nil {
						b.Error(err)
						return
					}
					n -= k
				}
			})
		}
		for c := range consumers {
			wg.Go(func() {
				n := share(queueItems, consumers, c)
				if !batch {
					for range n {
						if _, err := q.Pop(ctx); err != nil {
							b.Error(err)
							return
						}
					}
					return
				}
				var buf [queueBatch]int
				for n > 0 {
					k, err := q.PopMany(ctx, buf[:min(n, queueBatch)])
					if err != nil {
						b.Error(err)
						return
					}
					n -= k
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*queueItems), "ns/item")
}

// share is worker i's part of n items split between k workers.
func share(n, k, i int) int {
	if i < n%k {
		return n/k + 1
	}
	return n / k
}
