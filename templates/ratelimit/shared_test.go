package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monogen/monogen/templates/ratelimit"
)

// bucketStore is a Store of one process: GCRA per key on a clock the test
// moves, with failures on demand. It counts what it granted.
type bucketStore struct {
	mu      sync.Mutex
	now     time.Duration
	full    map[string]time.Duration // when each bucket is full again
	fail    error
	calls   int
	granted int64
	asked   []int64 // n of each call
}

func newBucketStore() *bucketStore { return &bucketStore{full: map[string]time.Duration{}} }

func (s *bucketStore) Take(ctx context.Context, key string, n int64, interval time.Duration, burst int64) (int64, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.asked = append(s.asked, n)
	if s.fail != nil {
		return 0, 0, s.fail
	}
	full := max(s.full[key], s.now)
	free := int64((s.now + time.Duration(burst)*interval - full) / interval)
	if free < 1 {
		return 0, full + interval - time.Duration(burst)*interval - s.now, nil
	}
	took := min(n, free)
	s.full[key] = full + time.Duration(took)*interval
	s.granted += took
	return took, 0, nil
}

func (s *bucketStore) advance(d time.Duration) { s.mu.Lock(); s.now += d; s.mu.Unlock() }

func sharedConfig(onfail ratelimit.FailMode) ratelimit.Config {
	return ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: time.Millisecond, Burst: 40,
		OnFail: onfail, Replicas: 4, Lease: 10, StoreTimeout: time.Second}
}

// TestSharedAdmitsExactlyWhatTheStoreGranted: under concurrent Allow,
// every admitted event is a token the store granted, and every granted
// token is admitted or still in the lease: nothing lost, nothing twice.
func TestSharedAdmitsExactlyWhatTheStoreGranted(t *testing.T) {
	store := newBucketStore()
	l := ratelimit.NewShared(sharedConfig(ratelimit.FailClosed), store, "k")
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				if l.Allow() {
					admitted.Add(1)
				}
			}
			store.advance(time.Millisecond)
		})
	}
	wg.Wait()
	left := l.Stats().Available
	if got, want := admitted.Load()+left, store.granted; got != want {
		t.Fatalf("admitted %d + %d left in the lease = %d; the store granted %d", admitted.Load(), left, got, want)
	}
	if admitted.Load() < 40 {
		t.Fatalf("admitted %d; the bucket held 40", admitted.Load())
	}
}

// TestSharedLeasesGrowToLease: leases that run out fast double up to
// Config.Lease; the store is asked far less often than Allow is called.
func TestSharedLeasesGrowToLease(t *testing.T) {
	store := newBucketStore()
	l := ratelimit.NewShared(sharedConfig(ratelimit.FailClosed), store, "k")
	for range 40 {
		if !l.Allow() {
			t.Fatal("refused an event of a full bucket of 40")
		}
	}
	want := []int64{2, 4, 8, 10, 10, 10}
	if len(store.asked) != len(want) {
		t.Fatalf("asked the store for %v; want %v", store.asked, want)
	}
	for i := range want {
		if store.asked[i] != want[i] {
			t.Fatalf("asked the store for %v; want %v", store.asked, want)
		}
	}
}

// TestSharedDeniedWaitsWithoutAsking: once the store said it has no token
// for d, the limiter refuses without asking until d has passed.
func TestSharedDeniedWaitsWithoutAsking(t *testing.T) {
	store := newBucketStore()
	cfg := sharedConfig(ratelimit.FailClosed)
	cfg.Interval = time.Hour
	l := ratelimit.NewShared(cfg, store, "k")
	now := time.Now()
	n := 0
	for range 100 {
		if l.AllowAt(now) {
			n++
		}
	}
	if n != 40 {
		t.Fatalf("admitted %d; the bucket holds 40 and refills hourly", n)
	}
	calls := store.calls
	for range 1000 {
		if l.AllowAt(now) {
			t.Fatal("admitted an event from an empty bucket")
		}
	}
	if store.calls != calls {
		t.Fatalf("the store was asked %d more times after it said it had no token for an hour", store.calls-calls)
	}
	if d := l.StatsAt(now).Delay; d < 59*time.Minute || d > time.Hour {
		t.Fatalf("Stats().Delay = %s, want about an hour", d)
	}
	store.advance(time.Hour)
	if !l.AllowAt(now.Add(time.Hour)) {
		t.Fatal("refused an event an hour later, when the store has a token")
	}
}

// TestSharedLeaseExpires: tokens of a lease are not used after leaseLife
// (one second); the store is asked for a new lease instead.
func TestSharedLeaseExpires(t *testing.T) {
	store := newBucketStore()
	l := ratelimit.NewShared(sharedConfig(ratelimit.FailClosed), store, "k")
	now := time.Now()
	l.AllowAt(now) // a lease of 2: one left
	if l.StatsAt(now).Available != 1 {
		t.Fatalf("Available = %d after the first event of a lease of 2", l.StatsAt(now).Available)
	}
	later := now.Add(2 * time.Second)
	if l.StatsAt(later).Available != 0 {
		t.Fatal("an expired lease still counts as available")
	}
	calls := store.calls
	l.AllowAt(later)
	if store.calls != calls+1 {
		t.Fatal("the event after the lease expired did not take a new lease")
	}
}

// TestSharedFailModes: while the store fails, open admits, closed refuses,
// local admits its share (burst 40 / 4 replicas = 10 at once, then one per
// 4 intervals); past the retry delay the store is asked again and its
// answer used.
func TestSharedFailModes(t *testing.T) {
	for _, tc := range []struct {
		mode ratelimit.FailMode
		want int // of 100 events at one instant while the store fails
	}{{ratelimit.FailOpen, 100}, {ratelimit.FailClosed, 0}, {ratelimit.FailLocal, 10}} {
		store := newBucketStore()
		l := ratelimit.NewShared(sharedConfig(tc.mode), store, "k")
		now := time.Now()
		store.fail = errors.New("store down")
		n := 0
		for range 100 {
			if l.AllowAt(now) {
				n++
			}
		}
		if n != tc.want {
			t.Errorf("mode %d: admitted %d of 100 while the store failed, want %d", tc.mode, n, tc.want)
		}
		if store.calls != 1 || l.StatsAt(now).StoreErrors != 1 {
			t.Errorf("mode %d: the failing store was asked %d times (errors %d); want once until the retry delay", tc.mode, store.calls, l.StatsAt(now).StoreErrors)
		}
		if tc.mode == ratelimit.FailLocal && !l.AllowAt(now.Add(4*time.Millisecond)) {
			t.Errorf("local share: no token 4 intervals later")
		}
		store.fail = nil
		later := now.Add(time.Second)
		if !l.AllowAt(later) || store.calls != 2 {
			t.Errorf("mode %d: past the retry delay, want a token from the recovered store (calls %d)", tc.mode, store.calls)
		}
	}
}

// TestSharedWaitReturnsErrDeadline: Wait fails at once when the store's
// next token comes after the context's deadline.
func TestSharedWaitReturnsErrDeadline(t *testing.T) {
	store := newBucketStore()
	cfg := sharedConfig(ratelimit.FailClosed)
	cfg.Interval, cfg.Burst, cfg.Lease = time.Hour, 1, 1
	l := ratelimit.NewShared(cfg, store, "k")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := l.Wait(ctx); err != nil {
		t.Fatalf("first Wait: %v", err)
	}
	start := time.Now()
	if err := l.Wait(ctx); !errors.Is(err, ratelimit.ErrDeadline) {
		t.Fatalf("Wait for a token an hour away with a minute's deadline: %v, want ErrDeadline", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("Wait waited before failing")
	}
}

// TestSharedWaitWaitsForTheStore: Wait for a token the store has in one
// interval returns after it, with the event counted.
func TestSharedWaitWaitsForTheStore(t *testing.T) {
	store := newBucketStore()
	cfg := sharedConfig(ratelimit.FailClosed)
	cfg.Burst, cfg.Lease = 1, 1
	l := ratelimit.NewShared(cfg, store, "k")
	if !l.Allow() {
		t.Fatal("no first token")
	}
	// The store's clock moves only when the test moves it: move it while
	// Wait waits, as time would.
	done := make(chan error)
	go func() { done <- l.Wait(context.Background()) }()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if store.granted != 2 {
				t.Fatalf("granted %d tokens, want 2", store.granted)
			}
			return
		case <-time.After(time.Millisecond):
			store.advance(time.Millisecond)
		}
	}
}

// hourlyShared is a shared limiter whose store's bucket holds burst tokens
// and refills hourly, so that no token comes back on its own during a test;
// its leases are of at most burst tokens, the first of 2.
func hourlyShared(store ratelimit.Store, onfail ratelimit.FailMode, burst int64) *ratelimit.Limiter {
	cfg := sharedConfig(onfail)
	cfg.Interval, cfg.Burst, cfg.Lease = time.Hour, burst, burst
	return ratelimit.NewShared(cfg, store, "k")
}

// admitted counts the events AllowAt admits at t, trying up to 100.
func admitted(l *ratelimit.Limiter, t time.Time) int {
	n := 0
	for range 100 {
		if l.AllowAt(t) {
			n++
		}
	}
	return n
}

// TestSharedCancelAtReservationInstantGivesTheTokenBack: Cancel's promise,
// the reserved event back if its time has not come, holds for a shared
// limiter: CancelAt at the instant of the reservation puts its token back
// in the lease it came from, for another event, without a call to the
// store (which never takes tokens back). It gave nothing back: the token
// was lost to this process, and to every other one sharing the bucket.
func TestSharedCancelAtReservationInstantGivesTheTokenBack(t *testing.T) {
	store := newBucketStore()
	l := hourlyShared(store, ratelimit.FailClosed, 2)
	now := time.Now()
	r := l.ReserveAt(now) // a lease of 2: one for r, one left
	if !r.OK() || r.DelayFrom(now) != 0 {
		t.Fatalf("ReserveAt of a full bucket: OK %v, delay %s; want OK now", r.OK(), r.DelayFrom(now))
	}
	r.CancelAt(now)
	if got := l.StatsAt(now).Available; got != 2 {
		t.Errorf("Available = %d after cancelling one of a lease of 2 at its instant, want 2", got)
	}
	if got := admitted(l, now); got != 2 {
		t.Errorf("admitted %d events after the cancel, want the 2 the store granted", got)
	}
	if store.calls != 2 || store.granted != 2 {
		t.Errorf("store called %d times, granted %d; want one lease of 2 and one refusal", store.calls, store.granted)
	}
}

// TestSharedCancelAfterReservationInstantGivesNothing: a shared limiter
// reserves only for the instant of Reserve; once that has passed the
// event's time has come, and Cancel gives nothing back.
func TestSharedCancelAfterReservationInstantGivesNothing(t *testing.T) {
	store := newBucketStore()
	l := hourlyShared(store, ratelimit.FailClosed, 2)
	now := time.Now()
	r := l.ReserveAt(now)
	r.CancelAt(now.Add(time.Nanosecond))
	if got := admitted(l, now); got != 1 {
		t.Errorf("admitted %d events after a cancel past the reservation's instant, want the 1 left of the lease", got)
	}
	r = l.Reserve()
	if r.OK() {
		t.Fatal("reserved a token from an empty bucket")
	}
	r.Cancel() // not OK: nothing to give
	if got := admitted(l, now); got != 0 {
		t.Errorf("admitted %d events after cancelling a reservation that was not OK", got)
	}
}

// TestSharedCancelGivesNothingToALeaseThatReplacedItsOwn: a token goes back
// to the lease it came from only; once another lease replaced that one, it
// is dropped with it, never added to a lease the store granted later.
func TestSharedCancelGivesNothingToALeaseThatReplacedItsOwn(t *testing.T) {
	store := newBucketStore()
	l := hourlyShared(store, ratelimit.FailClosed, 10)
	now := time.Now()
	r := l.ReserveAt(now) // the first lease, of 2
	for range 2 {
		if !l.AllowAt(now) {
			t.Fatal("refused an event of a full bucket of 10")
		}
	}
	// The second event took the second lease, of 4: 3 left.
	if got := l.StatsAt(now).Available; got != 3 {
		t.Fatalf("Available = %d, want 3 left of the second lease", got)
	}
	r.CancelAt(now)
	if got := l.StatsAt(now).Available; got != 3 {
		t.Errorf("Available = %d after cancelling a token of the first lease, want the second lease's 3", got)
	}
}

// TestSharedCancelAtGivesBackToTheLocalShare: a token admitted from this
// process's share while the store fails (onfail=local) goes back to that
// share; with onfail=open the event took nothing, and a cancel gives
// nothing to anyone.
func TestSharedCancelAtGivesBackToTheLocalShare(t *testing.T) {
	store := newBucketStore()
	store.fail = errors.New("store down")
	// A share of 40/4 = 10 tokens, refilled once per 4 hours.
	l := hourlyShared(store, ratelimit.FailLocal, 40)
	now := time.Now()
	r := l.ReserveAt(now)
	if !r.OK() {
		t.Fatal("the local share refused the first event")
	}
	r.CancelAt(now)
	if got := admitted(l, now); got != 10 {
		t.Errorf("admitted %d events from the local share after the cancel, want its 10", got)
	}

	open := hourlyShared(store, ratelimit.FailOpen, 40)
	r = open.ReserveAt(now)
	if !r.OK() {
		t.Fatal("onfail=open refused an event")
	}
	r.CancelAt(now)
	if got := admitted(open, now); got != 100 {
		t.Errorf("onfail=open admitted %d of 100 events after a cancel, want all", got)
	}
	if got := open.StatsAt(now).Available; got != 0 {
		t.Errorf("onfail=open: Available = %d after a cancel, want 0: the event took no token", got)
	}
}

// TestSharedCancelRacesWithAllowWithoutAdmittingMore: reservations
// cancelled at their instant while other goroutines take tokens never make
// the limiter admit more than the store granted; run with -race.
func TestSharedCancelRacesWithAllowWithoutAdmittingMore(t *testing.T) {
	store := newBucketStore()
	l := hourlyShared(store, ratelimit.FailClosed, 400)
	now := time.Now()
	var taken, cancelled atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if (g+i)%2 == 0 {
					if r := l.ReserveAt(now); r.OK() {
						r.CancelAt(now)
						cancelled.Add(1)
					}
				} else if l.AllowAt(now) {
					taken.Add(1)
				}
			}
		})
	}
	wg.Wait()
	left := l.StatsAt(now).Available
	if got := taken.Load() + left; got > store.granted {
		t.Fatalf("admitted %d + %d left in the lease = %d; the store granted only %d", taken.Load(), left, got, store.granted)
	}
	if cancelled.Load() == 0 || taken.Load()+left < store.granted-cancelled.Load() {
		t.Fatalf("admitted %d + %d left of %d granted, with %d cancelled", taken.Load(), left, store.granted, cancelled.Load())
	}
}
