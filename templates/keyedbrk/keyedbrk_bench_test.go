package keyedbrk_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/monogen/monogen/templates/keyedbrk"
)

// benchKeys is the number of distinct keys: 64Ki.
const benchKeys = 1 << 16

func identity(k uint64) uint64 { return k }

func noop(_ context.Context, k uint64) (uint64, error) { return k, nil }

// BenchmarkKeyedExecute measures Execute of a call that succeeds on 64Ki
// distinct keys from all goroutines, after every key has its breaker.
func BenchmarkKeyedExecute(b *testing.B) {
	br := keyedbrk.New(identity, noop, nil, keyedbrk.Config{})
	ctx := context.Background()
	for k := range uint64(benchKeys) {
		if _, err := br.Execute(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("impl=template", func(b *testing.B) {
		var seed atomic.Uint64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			// Each goroutine walks the keys in its own order.
			i := seed.Add(1) << 32
			for pb.Next() {
				if _, err := br.Execute(ctx, i*0x9e3779b97f4a7c15>>48); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	})
}
