package queue_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/monogen/monogen/templates/queue"
)

// benchItems is how many items one iteration moves from the producers to the
// consumers: enough that starting the goroutines of an iteration is noise.
const benchItems = 1 << 14

// benchBatch is the PushMany/PopMany batch size of mode=batch.
const benchBatch = 64

// BenchmarkQueue moves benchItems items per iteration through a queue of
// capacity 1024 and reports ns/item.
func BenchmarkQueue(b *testing.B) {
	for _, pc := range [][2]int{{1, 1}, {2, 2}, {4, 4}} {
		for _, mode := range []string{"single", "batch"} {
			name := fmt.Sprintf("producers=%d/consumers=%d/mode=%s/impl=template", pc[0], pc[1], mode)
			b.Run(name, func(b *testing.B) {
				q := queue.New[int](queue.Config{Size: 1024})
				benchTransfer(b, q, pc[0], pc[1], mode == "batch")
			})
		}
	}
}

func benchTransfer(b *testing.B, q *queue.Queue[int], producers, consumers int, batch bool) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var wg sync.WaitGroup
		for p := range producers {
			wg.Go(func() {
				n := share(benchItems, producers, p)
				if !batch {
					for i := range n {
						q.Push(ctx, i)
					}
					return
				}
				var buf [benchBatch]int
				for n > 0 {
					k := min(n, benchBatch)
					q.PushMany(ctx, buf[:k])
					n -= k
				}
			})
		}
		for c := range consumers {
			wg.Go(func() {
				n := share(benchItems, consumers, c)
				if !batch {
					for range n {
						q.Pop(ctx)
					}
					return
				}
				var buf [benchBatch]int
				for n > 0 {
					k, _ := q.PopMany(ctx, buf[:min(n, benchBatch)])
					n -= k
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchItems), "ns/item")
}

// share is worker i's part of n items split between k workers.
func share(n, k, i int) int {
	if i < n%k {
		return n/k + 1
	}
	return n / k
}

func BenchmarkQueueUncontended(b *testing.B) {
	ctx := context.Background()
	b.Run("op=push-pop/impl=template", func(b *testing.B) {
		q := queue.New[int](queue.Config{Size: 1024})
		b.ReportAllocs()
		for b.Loop() {
			q.Push(ctx, 1)
			q.Pop(ctx)
		}
	})
}
