package ratelimit_test

import (
	"testing"
	"time"

	"github.com/monogen/monogen/templates/ratelimit"
)

// BenchmarkRateLimit measures Allow on a limiter that always admits (the
// rate is far above the call rate), so the cost is the decision itself: a
// clock read and one compare-and-swap.
func BenchmarkRateLimit(b *testing.B) {
	for _, bc := range []struct {
		algo string
		cfg  ratelimit.Config
	}{
		{"token", ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: time.Nanosecond, Burst: 1 << 20}},
		{"window", ratelimit.Config{Algorithm: ratelimit.SlidingWindow, Limit: ratelimit.MaxLimit, Window: time.Millisecond}},
	} {
		b.Run("algo="+bc.algo+"/impl=template", func(b *testing.B) {
			l := ratelimit.New(bc.cfg)
			b.ReportAllocs()
			for b.Loop() {
				l.Allow()
			}
		})
		b.Run("algo="+bc.algo+"/clock=explicit/impl=template", func(b *testing.B) {
			l := ratelimit.New(bc.cfg)
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				l.AllowAt(now)
			}
		})
	}
}
