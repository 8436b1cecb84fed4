package semaphore_test

import (
	"context"
	"testing"

	"github.com/monogen/monogen/templates/semaphore"
)

func BenchmarkSemaphore(b *testing.B) {
	ctx := context.Background()
	b.Run("contention=none/impl=template", func(b *testing.B) {
		s := semaphore.New(16)
		b.ReportAllocs()
		for b.Loop() {
			_ = s.Acquire(ctx)
			s.Release()
		}
	})
	b.Run("contention=parallel/impl=template", func(b *testing.B) {
		s := semaphore.New(4)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = s.Acquire(ctx)
				s.Release()
			}
		})
	})
	b.Run("contention=queued/impl=template", func(b *testing.B) {
		// Capacity 1 with every goroutine acquiring: most calls queue.
		s := semaphore.New(1)
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = s.Acquire(ctx)
				s.Release()
			}
		})
	})
}
