package keyedsem_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/monogen/monogen/templates/keyedsem"
)

// benchKeys is the number of distinct keys: 64Ki.
const benchKeys = 1 << 16

// BenchmarkKeyedAcquireRelease measures TryAcquire+Release of one unit on
// 64Ki distinct keys from all goroutines, after every key has its slot.
func BenchmarkKeyedAcquireRelease(b *testing.B) {
	s := keyedsem.New[uint64](keyedsem.Config{N: 4})
	ctx := context.Background()
	for k := range uint64(benchKeys) {
		if err := s.Acquire(ctx, k, 1); err != nil {
			b.Fatal(err)
		}
		s.Release(k, 1)
	}
	b.Run("impl=template", func(b *testing.B) {
		var seed atomic.Uint64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			// Each goroutine walks the keys in its own order.
			i := seed.Add(1) << 32
			for pb.Next() {
				k := i * 0x9e3779b97f4a7c15 >> 48
				if err := s.Acquire(ctx, k, 1); err != nil {
					b.Fatal(err)
				}
				s.Release(k, 1)
				i++
			}
		})
	})
}
