package respool_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/monogen/monogen/templates/respool"
)

type conn struct{ _ int } // not zero-sized: each dial gives a distinct pointer

func dial(context.Context) (*conn, error) { return &conn{}, nil }

// BenchmarkResPool measures a Get and a Put of an idle resource, from one
// goroutine and from procs goroutines sharing a pool of 16.
func BenchmarkResPool(b *testing.B) {
	ctx := context.Background()
	b.Run("procs=1/impl=template", func(b *testing.B) {
		p := respool.New(dial, nil, nil, respool.Config{Max: 16})
		defer p.Close()
		b.ReportAllocs()
		for b.Loop() {
			c, _ := p.Get(ctx)
			p.Put(c)
		}
	})
	procs := 4 * runtime.GOMAXPROCS(0)
	b.Run(fmt.Sprintf("procs=%d/impl=template", procs), func(b *testing.B) {
		p := respool.New(dial, nil, nil, respool.Config{Max: 16})
		defer p.Close()
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c, _ := p.Get(ctx)
				p.Put(c)
			}
		})
	})
}
