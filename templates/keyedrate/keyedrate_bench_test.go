package keyedrate_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/monogen/monogen/templates/keyedrate"
)

// benchKeys is the number of distinct keys: 64Ki, more than the caches of a
// small machine hold buckets for.
const benchKeys = 1 << 16

// BenchmarkKeyedAllow measures Allow on 64Ki distinct keys from all
// goroutines, on a limiter that always admits (the rate is far above the
// call rate), after every key has its bucket: a map lookup and one
// compare-and-swap.
func BenchmarkKeyedAllow(b *testing.B) {
	l := keyedrate.New[uint64](keyedrate.Config{Interval: time.Nanosecond, Burst: 1 << 20, Idle: time.Minute})
	for k := range uint64(benchKeys) {
		l.Allow(k)
	}
	b.Run("impl=template", func(b *testing.B) {
		b.ReportAllocs()
		var seed atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			// Each goroutine walks the keys in its own order.
			i := seed.Add(1) << 32
			for pb.Next() {
				l.Allow(i * 0x9e3779b97f4a7c15 >> 48)
				i++
			}
		})
	})
}
