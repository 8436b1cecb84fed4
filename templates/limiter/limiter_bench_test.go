package limiter_test

import (
	"context"
	"testing"

	"github.com/monogen/monogen/templates/limiter"
)

func noop(_ context.Context, req int) (int, error) { return req, nil }

func BenchmarkLimiter(b *testing.B) {
	ctx := context.Background()
	b.Run("contention=none/impl=template", func(b *testing.B) {
		l := limiter.New(noop, limiter.Config{Min: 2, Max: 256})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_, _ = l.Execute(ctx, i)
		}
	})
	b.Run("contention=parallel/impl=template", func(b *testing.B) {
		l := limiter.New(noop, limiter.Config{Min: 2, Max: 256})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = l.Execute(ctx, 1)
			}
		})
	})
}
