package batcher_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/monogen/monogen/templates/batcher"
)

// BenchmarkBatcher adds one item per iteration, so ns/op is ns per item,
// with a batch function that does nothing.
func BenchmarkBatcher(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{50, 500} {
		b.Run(fmt.Sprintf("size=%d/mode=add/impl=template", size), func(b *testing.B) {
			fn := func(context.Context, []int) error { return nil }
			bt := batcher.New(fn, nil, batcher.Config{Size: size, Workers: 2})
			b.ReportAllocs()
			for b.Loop() {
				bt.Add(ctx, 1)
			}
			if err := bt.Close(ctx); err != nil {
				b.Fatal(err)
			}
		})
		// mode=addmany adds 64 items per AddMany; ns/item is the cost per item.
		b.Run(fmt.Sprintf("size=%d/mode=addmany/impl=template", size), func(b *testing.B) {
			fn := func(context.Context, []int) error { return nil }
			bt := batcher.New(fn, nil, batcher.Config{Size: size, Workers: 2})
			items := make([]int, 64)
			b.ReportAllocs()
			for b.Loop() {
				bt.AddMany(ctx, items)
			}
			if err := bt.Close(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(items)), "ns/item")
		})
	}
}
