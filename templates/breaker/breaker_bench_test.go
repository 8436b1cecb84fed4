package breaker_test

import (
	"context"
	"testing"

	"github.com/monogen/monogen/templates/breaker"
)

func noop(context.Context, int) (int, error) { return 0, nil }

func BenchmarkBreaker(b *testing.B) {
	ctx := context.Background()
	b.Run("state=closed/impl=template", func(b *testing.B) {
		br := breaker.New(noop, nil, breaker.Config{})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_, _ = br.Execute(ctx, i)
		}
	})
	b.Run("state=closed/procs=parallel/impl=template", func(b *testing.B) {
		br := breaker.New(noop, nil, breaker.Config{})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = br.Execute(ctx, 1)
			}
		})
	})
}
