package redisstore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/monogen/monogen/redisstore"
	"github.com/monogen/monogen/redisstore/internal/limits"
	"github.com/monogen/monogen/redisstore/internal/redistest"
)

// BenchmarkAllow compares a generated store=shared limiter with redis_rate
// (one Lua call per decision) on one private server and one quota, high
// enough that nearly every decision admits: rate=100000000/s burst=4000
// (Fast's directive). ns/op is per decision; admitted/op shows that the
// decisions were admissions, and calls/1000 the Redis round trips per
// thousand decisions.
func BenchmarkAllow(b *testing.B) {
	b.Run("impl=monogen", func(b *testing.B) {
		srv := redistest.Start(b)
		l := limits.NewFast(redisstore.NewBuckets(srv.Client(), "bench:"), "k")
		var admitted atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			n := int64(0)
			for pb.Next() {
				if l.Allow() {
					n++
				}
			}
			admitted.Add(n)
		})
		b.StopTimer()
		b.ReportMetric(float64(admitted.Load())/float64(b.N), "admitted/op")
		b.ReportMetric(1000*float64(l.Stats().StoreCalls)/float64(b.N), "calls/1000")
	})
	b.Run("impl=redis_rate", func(b *testing.B) {
		srv := redistest.Start(b)
		rl := redis_rate.NewLimiter(srv.Client())
		limit := redis_rate.Limit{Rate: 100000000, Burst: 4000, Period: time.Second}
		var admitted atomic.Int64
		var failed atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			n := int64(0)
			for pb.Next() {
				res, err := rl.Allow(context.Background(), "k", limit)
				if err != nil {
					failed.Add(1)
					continue
				}
				if res.Allowed > 0 {
					n++
				}
			}
			admitted.Add(n)
		})
		b.StopTimer()
		if failed.Load() > 0 {
			b.Fatalf("%d calls failed", failed.Load())
		}
		b.ReportMetric(float64(admitted.Load())/float64(b.N), "admitted/op")
		b.ReportMetric(1000, "calls/1000")
	})
}

// TestAccuracyAgainstRedisRate runs four replicas of each against the same
// quota, 2000/s with a burst of 100, and reports what each admitted of it.
// redis_rate decides every event in Redis; the generated limiter admits
// from leases, and must stay within the quota too.
func TestAccuracyAgainstRedisRate(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Redis for a second")
	}
	const rate, burst, replicas = 2000, 100, 4
	srv := redistest.Start(t)
	var allows []func() bool
	for range replicas {
		l := limits.NewClosed(redisstore.NewBuckets(srv.Client(), "acc:"), "monogen")
		allows = append(allows, l.Allow)
	}
	admitted, ran := hammer(t, srv.Client(), allows, 400*time.Millisecond)
	quota := burst + int64(ran.Seconds()*rate)
	t.Logf("monogen:    admitted %d of the quota %d in %s (%.1f%%)", admitted, quota, ran, 100*float64(admitted)/float64(quota))
	if admitted > quota {
		t.Errorf("monogen admitted %d, more than the quota %d", admitted, quota)
	}

	allows = allows[:0]
	var errs atomic.Int64
	limit := redis_rate.Limit{Rate: rate, Burst: burst, Period: time.Second}
	for range replicas {
		rl := redis_rate.NewLimiter(srv.Client())
		allows = append(allows, func() bool {
			res, err := rl.Allow(context.Background(), "redis_rate", limit)
			if err != nil {
				errs.Add(1)
				return false
			}
			return res.Allowed > 0
		})
	}
	admitted, ran = hammer(t, srv.Client(), allows, 400*time.Millisecond)
	quota = burst + int64(ran.Seconds()*rate)
	t.Logf("redis_rate: admitted %d of the quota %d in %s (%.1f%%)", admitted, quota, ran, 100*float64(admitted)/float64(quota))
	if errs.Load() > 0 {
		t.Errorf("redis_rate: %d calls failed", errs.Load())
	}
}
