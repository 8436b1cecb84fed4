package redisstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/monogen/monogen/redisstore"
	"github.com/monogen/monogen/redisstore/internal/limits"
	"github.com/monogen/monogen/redisstore/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serverTime reads the server's clock, the one the buckets run on.
func serverTime(t testing.TB, c *redis.Client) time.Time {
	t.Helper()
	now, err := c.Time(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return now
}

func TestTakeIsATokenBucket(t *testing.T) {
	srv := redistest.Start(t)
	b := redisstore.NewBuckets(srv.Client(), "test:")
	ctx := context.Background()
	take := func(key string, n int64) (int64, time.Duration) {
		t.Helper()
		took, wait, err := b.Take(ctx, key, n, time.Hour, 3)
		if err != nil {
			t.Fatal(err)
		}
		return took, wait
	}
	if took, wait := take("a", 2); took != 2 || wait != 0 {
		t.Fatalf("first take of 2 from a full bucket of 3: took %d, wait %s; want 2, 0", took, wait)
	}
	if took, _ := take("a", 2); took != 1 {
		t.Fatalf("take of 2 with 1 left: took %d, want 1", took)
	}
	took, wait := take("a", 1)
	if took != 0 || wait <= 59*time.Minute || wait > time.Hour {
		t.Fatalf("take from an empty bucket refilled hourly: took %d, wait %s; want 0 and just under an hour", took, wait)
	}
	if took, _ := take("b", 5); took != 3 {
		t.Fatalf("another key is a bucket of its own: took %d of 5, want 3 (full)", took)
	}
}

func TestTakeRefillsOnTheServersClock(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client()
	b := redisstore.NewBuckets(c, "test:")
	ctx := context.Background()
	const interval = 20 * time.Millisecond
	start := serverTime(t, c)
	if took, _, err := b.Take(ctx, "k", 10, interval, 10); err != nil || took != 10 {
		t.Fatalf("took %d, %v; want the whole bucket of 10", took, err)
	}
	_, wait, err := b.Take(ctx, "k", 1, interval, 10)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := serverTime(t, c).Sub(start)
	if wait <= 0 || wait > interval || wait < interval-elapsed-time.Microsecond {
		t.Fatalf("empty bucket: wait %s, want one interval (%s) less the %s since it was emptied", wait, interval, elapsed)
	}
	// After the wait, exactly the tokens of the time passed are back.
	<-time.After(3 * interval)
	took, _, err := b.Take(ctx, "k", 10, interval, 10)
	if err != nil {
		t.Fatal(err)
	}
	passed := serverTime(t, c).Sub(start)
	if took < 3 || took > int64(passed/interval) {
		t.Fatalf("after %s the bucket gave %d tokens; want between 3 and %d", passed, took, passed/interval)
	}
}

func TestTakeRejectsBadArguments(t *testing.T) {
	srv := redistest.Start(t)
	b := redisstore.NewBuckets(srv.Client(), "test:")
	for _, tc := range []struct {
		n, burst int64
		interval time.Duration
	}{{0, 1, time.Second}, {1, 0, time.Second}, {1, 1, 0}} {
		if _, _, err := b.Take(context.Background(), "k", tc.n, tc.interval, tc.burst); err == nil {
			t.Errorf("Take(n=%d, interval=%s, burst=%d): no error", tc.n, tc.interval, tc.burst)
		}
	}
}

// hammer runs Allow on each limiter from goroutines until the server's
// clock has moved d, and returns the events admitted and the time the
// buckets ran.
func hammer(t *testing.T, c *redis.Client, allows []func() bool, d time.Duration) (admitted int64, ran time.Duration) {
	start := serverTime(t, c)
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	var total atomic.Int64
	for _, allow := range allows {
		for range 2 {
			wg.Go(func() {
				n := int64(0)
				for time.Now().Before(stop) {
					if allow() {
						n++
					}
				}
				total.Add(n)
			})
		}
	}
	wg.Wait()
	return total.Load(), serverTime(t, c).Sub(start)
}

// TestSharedLimitersStayWithinTheQuota drives N limiters, each with its own
// client as a replica would have, hard for several refills of the bucket.
// Every admitted event was counted by the store when it granted a lease,
// and the first lease was taken after start, so the total never exceeds
// burst plus the tokens of the time run.
func TestSharedLimitersStayWithinTheQuota(t *testing.T) {
	const rate, burst = 2000, 100 // Closed's directive
	for _, n := range []int{1, 4, 16} {
		t.Run(fmt.Sprintf("replicas=%d", n), func(t *testing.T) {
			srv := redistest.Start(t)
			var allows []func() bool
			var ls []*limits.Closed
			for range n {
				l := limits.NewClosed(redisstore.NewBuckets(srv.Client(), "q:"), "shared")
				ls = append(ls, l)
				allows = append(allows, l.Allow)
			}
			admitted, ran := hammer(t, srv.Client(), allows, 400*time.Millisecond)
			quota := burst + int64(ran.Seconds()*rate)
			var calls, errs uint64
			for _, l := range ls {
				st := l.Stats()
				calls, errs = calls+st.StoreCalls, errs+st.StoreErrors
			}
			t.Logf("%d replicas: admitted %d in %s, quota %d (%.1f%%), %d calls to Redis", n, admitted, ran, quota, 100*float64(admitted)/float64(quota), calls)
			if errs != 0 {
				t.Fatalf("%d store errors", errs)
			}
			if admitted > quota {
				t.Fatalf("admitted %d events in %s; the quota is %d", admitted, ran, quota)
			}
			// Leases left unused at the end are the only loss: at most one
			// per replica, 25 tokens each (a quarter of the burst).
			if low := quota - int64(n)*25 - rate/10; admitted < low {
				t.Fatalf("admitted %d events in %s; want at least %d of the quota %d", admitted, ran, low, quota)
			}
		})
	}
}

// TestCancelGivesTheTokenBackWithoutCallingRedis: a reservation of a
// shared limiter cancelled at its instant puts its token back in this
// process's lease, for the next event, with no call to Redis: the lease is
// this process's own, and Redis never takes tokens back.
func TestCancelGivesTheTokenBackWithoutCallingRedis(t *testing.T) {
	srv := redistest.Start(t)
	now := time.Now()
	l := limits.NewClosedAt(redisstore.NewBuckets(srv.Client(), "c:"), "k", now)
	r := l.ReserveAt(now) // a lease of 2: one for r, one left
	if !r.OK() {
		t.Fatal("ReserveAt refused the first token of a full bucket")
	}
	calls := l.StatsAt(now).StoreCalls
	r.CancelAt(now)
	if st := l.StatsAt(now); st.Available != 2 || st.StoreCalls != calls {
		t.Fatalf("after the cancel: Available %d, %d calls to Redis; want 2 and still %d", st.Available, st.StoreCalls, calls)
	}
	for range 2 {
		if !l.AllowAt(now) {
			t.Fatal("the lease's 2 tokens did not admit 2 events")
		}
	}
	if got := l.StatsAt(now).StoreCalls; got != calls {
		t.Fatalf("%d calls to Redis for events the lease held, want still %d", got, calls)
	}
}

// TestStoreDownAndBack stops the server under a limiter of each failure
// mode, then starts it again: each does what its mode says while Redis is
// down, nothing hangs, and each asks Redis again once storeRetry passes.
func TestStoreDownAndBack(t *testing.T) {
	type limiter interface {
		Allow() bool
		AllowAt(time.Time) bool
	}
	type stats struct{ calls, errs uint64 }
	for _, tc := range []struct {
		mode  string
		new   func(*redisstore.Buckets) (limiter, func() stats)
		check func(t *testing.T, admitted int)
	}{
		{"open", func(b *redisstore.Buckets) (limiter, func() stats) {
			l := limits.NewOpen(b, "k")
			return l, func() stats { s := l.Stats(); return stats{s.StoreCalls, s.StoreErrors} }
		}, func(t *testing.T, admitted int) {
			if admitted != 1001 {
				t.Errorf("onfail=open admitted %d of 1001 while Redis was down", admitted)
			}
		}},
		{"closed", func(b *redisstore.Buckets) (limiter, func() stats) {
			l := limits.NewClosed(b, "k")
			return l, func() stats { s := l.Stats(); return stats{s.StoreCalls, s.StoreErrors} }
		}, func(t *testing.T, admitted int) {
			if admitted != 0 {
				t.Errorf("onfail=closed admitted %d of 1001 while Redis was down", admitted)
			}
		}},
		{"local", func(b *redisstore.Buckets) (limiter, func() stats) {
			l := limits.NewLocal(b, "k")
			return l, func() stats { s := l.Stats(); return stats{s.StoreCalls, s.StoreErrors} }
		}, func(t *testing.T, admitted int) {
			// A quarter of burst=100: the calls are at one instant, so
			// nothing refills.
			if admitted != 25 {
				t.Errorf("onfail=local replicas=4 admitted %d of 1001 at once while Redis was down; want its share of the burst, 25", admitted)
			}
		}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			srv := redistest.Start(t)
			l, st := tc.new(redisstore.NewBuckets(srv.Client(), "q:"))
			if !l.Allow() || st().calls != 1 {
				t.Fatalf("first Allow with Redis up: want a token from Redis (calls %d)", st().calls)
			}
			srv.Stop()
			// Every call while Redis is down is at one instant, so that
			// neither the retry delay nor a refill passes however slowly
			// the loop runs on a loaded machine.
			now := time.Now()
			// Use up the lease; the call after it fails, and goes on in
			// the limiter's mode: it counts with the 1000 after it.
			var last bool
			for i := 0; st().errs == 0; i++ {
				if i > 100 {
					t.Fatal("no store error after 100 Allows with Redis down")
				}
				last = l.AllowAt(now)
			}
			admitted := 0
			if last {
				admitted++
			}
			for range 1000 {
				if l.AllowAt(now) {
					admitted++
				}
			}
			tc.check(t, admitted)
			if got := st().calls; got != 2 {
				t.Errorf("Redis asked %d times while known to be down (want 2: the lease and the failed call)", got)
			}
			srv.Restart()
			// Past the retry delay, the limiter asks Redis again, and Redis
			// answers.
			later := time.Now().Add(time.Second)
			if !l.AllowAt(later) {
				t.Fatal("no token from a restarted Redis with a full bucket")
			}
			if s := st(); s.calls != 3 || s.errs != 1 {
				t.Fatalf("after restart: %d calls, %d errors; want 3 and 1", s.calls, s.errs)
			}
		})
	}
}

// TestStoreThatHangsTimesOut freezes the server (SIGSTOP): a call to it
// ends at the limiter's timeout and counts as a failure.
func TestStoreThatHangsTimesOut(t *testing.T) {
	srv := redistest.Start(t)
	l := limits.NewClosed(redisstore.NewBuckets(srv.Client(), "q:"), "k")
	for range 100 { // every token of the bucket, in leases
		l.Allow()
	}
	if err := srv.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer srv.Signal(syscall.SIGCONT)
	start := time.Now()
	for l.Stats().StoreErrors == 0 {
		l.Allow()
		if time.Since(start) > 10*time.Second {
			t.Fatal("no store error 10s after Redis froze")
		}
	}
	if took := time.Since(start); took < 200*time.Millisecond || took > 5*time.Second {
		t.Errorf("the call to a frozen Redis failed after %s; the timeout is 200ms", took)
	}
	if l.Allow() {
		t.Error("onfail=closed admitted an event while Redis was frozen")
	}
}
