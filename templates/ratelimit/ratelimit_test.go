package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/templates/ratelimit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Now()

func at(d time.Duration) time.Time { return t0.Add(d) }

func token(interval time.Duration, burst int64) *ratelimit.Limiter {
	return ratelimit.NewAt(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: interval, Burst: burst}, t0)
}

func sliding(limit int64, window time.Duration) *ratelimit.Limiter {
	return ratelimit.NewAt(ratelimit.Config{Algorithm: ratelimit.SlidingWindow, Limit: limit, Window: window}, t0)
}

// allowN calls AllowAt n times at t and returns how many were allowed.
func allowN(l *ratelimit.Limiter, t time.Time, n int) int {
	allowed := 0
	for range n {
		if l.AllowAt(t) {
			allowed++
		}
	}
	return allowed
}

func TestInvalidConfigPanics(t *testing.T) {
	for name, cfg := range map[string]ratelimit.Config{
		"token/interval=0":  {Algorithm: ratelimit.TokenBucket, Burst: 1},
		"token/burst=0":     {Algorithm: ratelimit.TokenBucket, Interval: time.Second},
		"token/overflow":    {Algorithm: ratelimit.TokenBucket, Interval: time.Hour, Burst: 1 << 62},
		"window/window=0":   {Algorithm: ratelimit.SlidingWindow, Limit: 1},
		"window/limit=0":    {Algorithm: ratelimit.SlidingWindow, Window: time.Second},
		"window/limit=huge": {Algorithm: ratelimit.SlidingWindow, Window: time.Second, Limit: ratelimit.MaxLimit + 1},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			ratelimit.New(cfg)
		})
	}
}

func TestTokenBurstThenRate(t *testing.T) {
	l := token(10*time.Millisecond, 3)
	if got := allowN(l, at(0), 5); got != 3 {
		t.Fatalf("allowed %d at t0, want the burst of 3", got)
	}
	if got := allowN(l, at(9*time.Millisecond), 2); got != 0 {
		t.Fatalf("allowed %d before the next token, want 0", got)
	}
	if got := allowN(l, at(10*time.Millisecond), 2); got != 1 {
		t.Fatalf("allowed %d one interval later, want 1", got)
	}
	if got := allowN(l, at(35*time.Millisecond), 5); got != 2 {
		t.Fatalf("allowed %d at 35ms, want 2 (tokens at 20ms and 30ms)", got)
	}
	// Idle time refills the bucket, never beyond its burst.
	if got := allowN(l, at(time.Hour), 10); got != 3 {
		t.Fatalf("allowed %d after an hour idle, want 3", got)
	}
}

func TestTokenReserveCancelStats(t *testing.T) {
	l := token(10*time.Millisecond, 2)
	if st := l.StatsAt(at(0)); st.Available != 2 || st.Delay != 0 {
		t.Fatalf("fresh Stats = %+v, want 2 available", st)
	}
	r1, r2 := l.ReserveAt(at(0)), l.ReserveAt(at(0))
	if !r1.OK() || !r2.OK() || r1.DelayFrom(at(0)) != 0 || r2.DelayFrom(at(0)) != 0 {
		t.Fatal("reservations within the burst must be immediate")
	}
	r3 := l.ReserveAt(at(0))
	r4 := l.ReserveAt(at(0))
	if d := r3.DelayFrom(at(0)); d != 10*time.Millisecond {
		t.Fatalf("third reservation delay %v, want 10ms", d)
	}
	if d := r4.DelayFrom(at(0)); d != 20*time.Millisecond {
		t.Fatalf("fourth reservation delay %v, want 20ms", d)
	}
	if d := r4.DelayFrom(at(15 * time.Millisecond)); d != 5*time.Millisecond {
		t.Fatalf("fourth reservation delay from 15ms = %v, want 5ms", d)
	}
	if st := l.StatsAt(at(0)); st.Available != 0 || st.Delay != 30*time.Millisecond {
		t.Fatalf("Stats = %+v, want 0 available, next in 30ms", st)
	}
	r4.CancelAt(at(0))
	if st := l.StatsAt(at(0)); st.Delay != 20*time.Millisecond {
		t.Fatalf("Stats after cancel = %+v, want next in 20ms", st)
	}
	// A reservation whose time has passed gives nothing back.
	r3.CancelAt(at(11 * time.Millisecond))
	if st := l.StatsAt(at(11 * time.Millisecond)); st.Delay != 9*time.Millisecond {
		t.Fatalf("Stats after late cancel = %+v, want next in 9ms", st)
	}
}

// TestTokenConcurrent checks that concurrent callers at the same instant
// share exactly the burst, and over time no more than the rate.
func TestTokenConcurrent(t *testing.T) {
	const (
		goroutines = 8
		burst      = 50
		steps      = 200
	)
	l := token(time.Millisecond, burst)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range goroutines {
		wg.Go(func() {
			<-start
			for i := range steps {
				if l.AllowAt(at(time.Duration(i) * time.Millisecond / 4)) {
					allowed.Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	// Times run to (steps-1)/4 ms: burst plus one token per whole ms.
	want := int64(burst + (steps-1)/4)
	if got := allowed.Load(); got != want {
		t.Fatalf("allowed %d, want %d", got, want)
	}
}

func TestWindowWeighted(t *testing.T) {
	l := sliding(10, time.Minute)
	if got := allowN(l, at(0), 12); got != 10 {
		t.Fatalf("allowed %d in the first window, want 10", got)
	}
	if got := allowN(l, at(59*time.Second), 1); got != 0 {
		t.Fatalf("allowed %d at the end of a full window", got)
	}
	// 15s into the next window the previous 10 weigh 7.5: 2 more fit.
	if got := allowN(l, at(75*time.Second), 5); got != 2 {
		t.Fatalf("allowed %d at 75s, want 2", got)
	}
	// At 90s they weigh 5; with 2 counted, 3 more fit.
	if got := allowN(l, at(90*time.Second), 5); got != 3 {
		t.Fatalf("allowed %d at 90s, want 3", got)
	}
	if st := l.StatsAt(at(90 * time.Second)); st.Current != 5 || st.Previous != 10 || st.Available != 0 {
		t.Fatalf("Stats = %+v, want current 5, previous 10, none available", st)
	}
	// Two windows later nothing remains.
	if got := allowN(l, at(3*time.Minute), 12); got != 10 {
		t.Fatalf("allowed %d after two windows, want 10", got)
	}
}

func TestWindowReserveRetry(t *testing.T) {
	l := sliding(10, time.Minute)
	allowN(l, at(0), 10)
	r := l.ReserveAt(at(0))
	if r.OK() {
		t.Fatal("reservation granted in a full window")
	}
	// Next window: 10*(1-e/60s) + 1 <= 10 from e = 6s.
	if d := r.DelayFrom(at(0)); d != 66*time.Second {
		t.Fatalf("retry after %v, want 66s", d)
	}
	r.CancelAt(at(0)) // no-op
	if st := l.StatsAt(at(0)); st.Delay != 66*time.Second || st.Available != 0 {
		t.Fatalf("Stats = %+v, want retry in 66s", st)
	}
	if l.AllowAt(at(66*time.Second - time.Millisecond)) {
		t.Fatal("allowed before the retry time")
	}
	if !l.AllowAt(at(66 * time.Second)) {
		t.Fatal("not allowed at the retry time")
	}
	if r := l.ReserveAt(at(10 * time.Minute)); !r.OK() || r.DelayFrom(at(10*time.Minute)) != 0 {
		t.Fatal("reservation in an empty window not granted at once")
	}
}

// TestWindowLateClock checks that a caller whose clock reading predates
// the window another caller already moved to counts in the newer window
// instead of resetting it.
func TestWindowLateClock(t *testing.T) {
	l := sliding(4, time.Minute)
	allowN(l, at(0), 4)
	if got := allowN(l, at(time.Minute), 4); got != 0 {
		t.Fatalf("allowed %d at the window start with a full previous window", got)
	}
	if got := allowN(l, at(59*time.Second), 4); got != 0 {
		t.Fatalf("late caller allowed %d", got)
	}
	if st := l.StatsAt(at(time.Minute)); st.Previous != 4 || st.Current != 0 {
		t.Fatalf("Stats = %+v, want previous 4, current 0", st)
	}
}

func TestWindowConcurrent(t *testing.T) {
	const goroutines, limit = 8, 100
	l := sliding(limit, time.Second)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range 50 {
				if l.AllowAt(at(500 * time.Millisecond)) {
					allowed.Add(1)
				}
				runtime.Gosched()
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != limit {
		t.Fatalf("allowed %d, want %d", got, limit)
	}
}

func TestWaitDeadlineFailsAtOnce(t *testing.T) {
	for name, l := range map[string]*ratelimit.Limiter{
		"token":  ratelimit.New(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: time.Hour, Burst: 1}),
		"window": ratelimit.New(ratelimit.Config{Algorithm: ratelimit.SlidingWindow, Limit: 1, Window: time.Hour}),
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := l.Wait(ctx); err != nil {
				t.Fatalf("first Wait: %v", err)
			}
			err := l.Wait(ctx)
			if !errors.Is(err, ratelimit.ErrDeadline) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Wait = %v, want ErrDeadline", err)
			}
			if ctx.Err() != nil {
				t.Fatal("Wait waited for the deadline")
			}
			// The failed wait counted nothing: a token bucket's next token
			// is still within the hour; a window still holds one event,
			// weighing on the next window until its end.
			st := l.Stats()
			if name == "token" && (st.Delay < 50*time.Minute || st.Delay > time.Hour) {
				t.Fatalf("Stats after failed Wait = %+v, want the next token within the hour", st)
			}
			if name == "window" && (st.Current != 1 || st.Delay > 2*time.Hour) {
				t.Fatalf("Stats after failed Wait = %+v, want one event counted", st)
			}
		})
	}
}

func TestWaitCancelGivesBack(t *testing.T) {
	l := ratelimit.New(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: time.Hour, Burst: 1})
	if !l.Allow() {
		t.Fatal("first Allow failed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Wait(ctx) }()
	for l.Stats().Delay < 90*time.Minute { // the waiter has reserved
		runtime.Gosched()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
	if d := l.Stats().Delay; d > time.Hour {
		t.Fatalf("next event in %v after cancel, want within the hour", d)
	}
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a done context = %v", err)
	}
}

func TestWaitSucceeds(t *testing.T) {
	for name, l := range map[string]*ratelimit.Limiter{
		"token":  ratelimit.New(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: time.Millisecond, Burst: 1}),
		"window": ratelimit.New(ratelimit.Config{Algorithm: ratelimit.SlidingWindow, Limit: 2, Window: 5 * time.Millisecond}),
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for i := range 5 {
				if err := l.Wait(ctx); err != nil {
					t.Fatalf("Wait %d: %v", i, err)
				}
			}
		})
	}
}

// TestRealClockStress runs Allow and Wait concurrently on the real clock
// and checks the rate bound.
func TestRealClockStress(t *testing.T) {
	const interval, burst = 100 * time.Microsecond, 10
	l := ratelimit.New(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: interval, Burst: burst})
	start := time.Now()
	var events atomic.Int64
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for range 100 {
				if g%2 == 0 {
					if l.Allow() {
						events.Add(1)
					}
				} else if err := l.Wait(context.Background()); err == nil {
					events.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if max := int64(burst) + int64(elapsed/interval) + 1; events.Load() > max {
		t.Fatalf("%d events in %v, more than %d", events.Load(), elapsed, max)
	}
	if events.Load() < 200 {
		t.Fatalf("%d events, want at least the 200 Waits", events.Load())
	}
}

// lateCtx is a context that ends just after the event its Wait waits for
// may happen. Its Done, which Wait calls as it starts to wait, first lets
// the clock pass that time (fake time, in a synctest bubble), then cancels:
// when the wait looks, its timer has fired and ctx has ended.
type lateCtx struct {
	context.Context
	after time.Duration
	once  sync.Once
	done  chan struct{}
}

func newLateCtx(after time.Duration) *lateCtx {
	return &lateCtx{Context: context.Background(), after: after, done: make(chan struct{})}
}

func (c *lateCtx) Done() <-chan struct{} {
	c.once.Do(func() {
		time.Sleep(c.after)
		close(c.done)
	})
	return c.done
}

func (c *lateCtx) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

// TestWaitReturnsCtxErrAndCountsNothingWhenCanceledAsAllowed checks that a
// Wait whose context ends just as its event's time comes, both before it
// looks, fails with ctx.Err() and counts no event. A wait that picked either
// at random would succeed half the time, and one that gave the event back
// only if its time had not come would count it when it fails.
func TestWaitReturnsCtxErrAndCountsNothingWhenCanceledAsAllowed(t *testing.T) {
	for _, cfg := range []ratelimit.Config{
		{Algorithm: ratelimit.TokenBucket, Interval: time.Second, Burst: 1},
		{Algorithm: ratelimit.SlidingWindow, Limit: 1, Window: time.Second},
	} {
		t.Run(fmt.Sprint("algo=", cfg.Algorithm), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				for i := range 64 {
					l := ratelimit.New(cfg)
					if !l.Allow() {
						t.Fatal("first Allow failed")
					}
					// The clock does not move until the test sleeps: the
					// Wait reserves its event now, Delay from now.
					ctx := newLateCtx(l.Stats().Delay + time.Nanosecond)
					if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
						t.Fatalf("iteration %d: Wait whose context ended as its event came = %v, want context.Canceled", i, err)
					}
					if st := l.Stats(); st.Available != 1 || st.Current != 0 {
						t.Fatalf("iteration %d: Stats after the failed Wait = %+v, want 1 event available, none counted", i, st)
					}
				}
			})
		})
	}
}

// TestTokenBucketOfLargestBurstStopsAfterBurst: a bucket holding as many
// tokens as time.Duration allows (Burst×Interval at its largest) admits its
// burst and then refuses: the next theoretical arrival time, one interval
// past the last, must not wrap around and admit every call.
func TestTokenBucketOfLargestBurstStopsAfterBurst(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
		burst    int64
	}{
		{"interval=max/3", math.MaxInt64 / 3, 3},
		{"rate=1/h", time.Hour, math.MaxInt64 / int64(time.Hour)}, // burst=2562047
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.burst > 1000 && testing.Short() {
				t.Skip("drains a burst of millions")
			}
			l := token(tc.interval, tc.burst)
			for i := range tc.burst {
				if !l.AllowAt(at(0)) {
					t.Fatalf("event %d of the burst of %d refused", i, tc.burst)
				}
			}
			if got := allowN(l, at(0), 3); got != 0 {
				t.Fatalf("allowed %d after the burst, want 0", got)
			}
			if got := allowN(l, at(tc.interval), 3); got != 1 {
				t.Fatalf("allowed %d one interval later, want 1", got)
			}
			if st := l.StatsAt(at(tc.interval)); st.Available != 0 || st.Delay != tc.interval {
				t.Fatalf("Stats = %+v, want none available, the next in %v", st, tc.interval)
			}
		})
	}
}

// TestTokenBucketFarFromEpochDoesNotWrap: times near the ends of what
// time.Duration holds (a limiter whose epoch is centuries away, or At
// methods given such times) must not make a sum of times wrap around and
// admit every call or reserve in the past.
func TestTokenBucketFarFromEpochDoesNotWrap(t *testing.T) {
	const interval, burst = 10 * time.Millisecond, 20
	for _, tc := range []struct {
		name string
		d    time.Duration
	}{
		{"late", math.MaxInt64 - interval/2},
		{"latest", math.MaxInt64},
		{"beyond", math.MaxInt64}, // t0.Add overflows; Sub saturates
		{"earliest", math.MinInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := at(tc.d)
			if tc.name == "beyond" {
				now = now.Add(time.Hour)
			}
			l := token(interval, burst)
			if got := allowN(l, now, burst+5); got > burst {
				t.Fatalf("allowed %d at once, more than the burst of %d", got, burst)
			}
			if got := allowN(l, now, 5); got != 0 {
				t.Fatalf("allowed %d more at the same time", got)
			}
			// At the largest time a reservation can be no later than now.
			if d := l.ReserveAt(now).DelayFrom(now); d <= 0 && tc.d != math.MaxInt64 {
				t.Fatalf("reservation after the burst: delay %v, want positive", d)
			}
			if st := l.StatsAt(now); st.Available != 0 || st.Delay <= 0 {
				t.Fatalf("Stats = %+v, want none available and a positive delay", st)
			}
			if got := allowN(l, now, 5); got != 0 {
				t.Fatalf("allowed %d after a reservation", got)
			}
		})
	}
}

// TestTokenReserveSaturates: reservations pile the next token ever
// further into the future; past the largest time they must stay there, not
// wrap around into the past and free the bucket.
func TestTokenReserveSaturates(t *testing.T) {
	const interval = math.MaxInt64 / 4
	l := token(interval, 1)
	for i := range 8 {
		r := l.ReserveAt(at(0))
		if want := min(time.Duration(i)*interval, math.MaxInt64); r.DelayFrom(at(0)) < want {
			t.Fatalf("reservation %d: delay %v, want at least %v", i, r.DelayFrom(at(0)), want)
		}
	}
	if l.AllowAt(at(time.Hour)) {
		t.Fatal("allowed an event while the next token is centuries away")
	}
	if st := l.StatsAt(at(0)); st.Available != 0 || st.Delay != math.MaxInt64 {
		t.Fatalf("Stats = %+v, want none available, the next token at the end of time", st)
	}
}

// TestWindowRetryOfLongestWindowDoesNotWrap: the retry delay of a window
// as long as time.Duration allows is up to two windows; it must saturate,
// not wrap around to "now" or the past.
func TestWindowRetryOfLongestWindowDoesNotWrap(t *testing.T) {
	for _, window := range []time.Duration{math.MaxInt64 / 2, math.MaxInt64} {
		l := sliding(1, window)
		if !l.AllowAt(at(0)) {
			t.Fatal("first event refused")
		}
		r := l.ReserveAt(at(0))
		if r.OK() {
			t.Fatalf("window=%v: second event granted", window)
		}
		if d := r.DelayFrom(at(0)); d < window {
			t.Fatalf("window=%v: retry in %v, want at least a window", window, d)
		}
		if st := l.StatsAt(at(0)); st.Delay < window {
			t.Fatalf("window=%v: Stats = %+v, want a delay of at least a window", window, st)
		}
		// At a late time too: now plus the retry must not wrap.
		late := at(math.MaxInt64 - time.Second)
		l = sliding(1, window)
		l.AllowAt(late)
		if d := l.ReserveAt(late).DelayFrom(late); d <= 0 {
			t.Fatalf("window=%v: late retry in %v, want positive", window, d)
		}
	}
}

// TestWaitForFarTokenFailsAtOnce: Wait for a token centuries away (past
// the largest time once reserved tokens are added up) must fail with
// ErrDeadline, not find the sum wrapped around to now and succeed.
func TestWaitForFarTokenFailsAtOnce(t *testing.T) {
	l := ratelimit.New(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: math.MaxInt64 / 2, Burst: 1})
	if !l.Allow() {
		t.Fatal("first Allow refused")
	}
	l.Reserve() // the next token, in about 146 years
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if err := l.Wait(ctx); !errors.Is(err, ratelimit.ErrDeadline) {
		t.Fatalf("Wait = %v, want ErrDeadline", err)
	}
}

// TestTokenAllowN takes several tokens at once: all or none, never more
// than the burst, and n <= 0 always, as x/time/rate's AllowN.
func TestTokenAllowN(t *testing.T) {
	l := token(10*time.Millisecond, 5)
	steps := []struct {
		at   time.Duration
		n    int
		want bool
	}{
		{0, 6, false}, // more than the burst, even when full
		{0, 3, true},
		{0, 3, false}, // two left: none taken
		{0, 2, true},
		{0, 0, true},
		{20 * time.Millisecond, 3, false},
		{30 * time.Millisecond, 3, true},
		{30 * time.Millisecond, -1, true},
	}
	for _, s := range steps {
		if got := l.AllowNAt(at(s.at), s.n); got != s.want {
			t.Fatalf("AllowNAt(%v, %d) = %v, want %v", s.at, s.n, got, s.want)
		}
	}
	if st := l.StatsAt(at(30 * time.Millisecond)); st.Available != 0 {
		t.Fatalf("Stats = %+v, want none available", st)
	}
}

// TestTokenReserveNCancel reserves several tokens at once, in the future,
// and gives them all back; a reservation above the burst is not OK.
func TestTokenReserveNCancel(t *testing.T) {
	l := token(10*time.Millisecond, 5)
	if r := l.ReserveNAt(at(0), 5); !r.OK() || r.DelayFrom(at(0)) != 0 {
		t.Fatal("a reservation of the whole burst must be immediate")
	}
	r := l.ReserveNAt(at(0), 3)
	if !r.OK() || r.DelayFrom(at(0)) != 30*time.Millisecond {
		t.Fatalf("ReserveN(3) on an empty bucket: OK %v, delay %v; want 30ms", r.OK(), r.DelayFrom(at(0)))
	}
	r.CancelAt(at(0))
	if st := l.StatsAt(at(0)); st.Delay != 10*time.Millisecond {
		t.Fatalf("Stats after cancelling 3 tokens = %+v, want the next in 10ms", st)
	}
	big := l.ReserveNAt(at(0), 6)
	if big.OK() || big.DelayFrom(at(0)) != time.Duration(math.MaxInt64) {
		t.Fatalf("ReserveN above the burst: OK %v, delay %v; want not OK, forever", big.OK(), big.DelayFrom(at(0)))
	}
	big.CancelAt(at(0)) // gives nothing back
	if st := l.StatsAt(at(0)); st.Delay != 10*time.Millisecond {
		t.Fatalf("Stats after cancelling a refused reservation = %+v", st)
	}
}

// TestWaitNFailsAtOnce checks WaitN's immediate errors, as x/time/rate's:
// n above the burst, and a wait past the deadline; neither counts events.
func TestWaitNFailsAtOnce(t *testing.T) {
	l := ratelimit.New(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: time.Hour, Burst: 3})
	if err := l.WaitN(context.Background(), 4); !errors.Is(err, ratelimit.ErrExceedsBurst) {
		t.Fatalf("WaitN(4) with burst 3 = %v, want ErrExceedsBurst", err)
	}
	if err := l.WaitN(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := l.WaitN(ctx, 2); !errors.Is(err, ratelimit.ErrDeadline) {
		t.Fatalf("WaitN(2) an hour away with a minute left = %v, want ErrDeadline", err)
	}
	if !l.AllowN(1) || l.AllowN(1) {
		t.Fatal("the failed WaitN counted events")
	}
	if err := l.WaitN(ctx, 0); err != nil {
		t.Fatalf("WaitN(0) = %v, want nil", err)
	}
}

// TestWindowAllowNReserveN admits several events at once in a sliding
// window, all or none, and says when there will be room for them.
func TestWindowAllowNReserveN(t *testing.T) {
	l := sliding(10, time.Second)
	if l.AllowNAt(at(0), 11) {
		t.Fatal("AllowN above the limit")
	}
	if !l.AllowNAt(at(0), 7) || l.AllowNAt(at(0), 4) || !l.AllowNAt(at(0), 3) {
		t.Fatal("7, then 4 of the 3 left, then 3: want true, false, true")
	}
	// At 1s the previous window's 10 weigh 10; two more fit when they
	// weigh 8, at 1.2s.
	r := l.ReserveNAt(at(time.Second), 2)
	if r.OK() || r.DelayFrom(at(time.Second)) != 200*time.Millisecond {
		t.Fatalf("ReserveN(2) at 1s: OK %v, delay %v; want not OK, retry in 200ms", r.OK(), r.DelayFrom(at(time.Second)))
	}
	if r := l.ReserveNAt(at(1200*time.Millisecond), 2); !r.OK() || r.DelayFrom(at(1200*time.Millisecond)) != 0 {
		t.Fatal("ReserveN(2) at 1.2s must be granted now")
	}
	if err := l.WaitN(context.Background(), 11); !errors.Is(err, ratelimit.ErrExceedsBurst) {
		t.Fatalf("WaitN above the limit = %v", err)
	}
}

// Cancel gave back a reservation's whole interval even when reservations
// made after it held that time: with a burst of 1, reservations at 0, 10ms
// and 20ms, cancelling the one at 10ms let the next reservation take 20ms
// too, two events at once. As in x/time/rate, Cancel gives back only what
// no later reservation holds.
func TestCancelGivesBackNothingThatLaterReservationsHold(t *testing.T) {
	l := token(10*time.Millisecond, 1)
	l.ReserveAt(at(0))
	r10, r20 := l.ReserveAt(at(0)), l.ReserveAt(at(0))
	if d := r20.DelayFrom(at(0)); d != 20*time.Millisecond {
		t.Fatalf("third reservation in %v, want 20ms", d)
	}
	r10.CancelAt(at(0))
	if d := l.ReserveAt(at(0)).DelayFrom(at(0)); d != 30*time.Millisecond {
		t.Fatalf("after cancelling the reservation at 10ms, the next one is in %v, want 30ms (20ms is taken)", d)
	}
	// Cancelling the last reservation gives its interval back.
	r40 := l.ReserveAt(at(0))
	r40.CancelAt(at(0))
	if d := l.ReserveAt(at(0)).DelayFrom(at(0)); d != 40*time.Millisecond {
		t.Fatalf("after cancelling the last reservation, the next one is in %v, want its 40ms", d)
	}
	// An N reservation partly overlapped by a later one gives back the rest.
	m := token(10*time.Millisecond, 4)
	m.ReserveNAt(at(0), 4)      // the burst: now
	r := m.ReserveNAt(at(0), 3) // 10, 20 and 30ms; at 30ms
	m.ReserveAt(at(0))          // 40ms
	r.CancelAt(at(0))           // 40ms is held past r's 30ms: one interval of three is not given back
	if d := m.ReserveAt(at(0)).DelayFrom(at(0)); d != 30*time.Millisecond {
		t.Fatalf("after cancelling 3 of which 1 is overlapped, the next reservation is in %v, want 30ms", d)
	}
}

// A sliding window's Reservation.CancelAt at the reservation's instant
// gave nothing back, though Cancel's doc promised the events back while
// their time had not come: undo had no branch for a window.
func TestWindowCancelAtReservationInstantGivesTheEventsBack(t *testing.T) {
	l := sliding(3, time.Second)
	now := at(100 * time.Millisecond)
	r := l.ReserveNAt(now, 2)
	if !r.OK() || !l.AllowAt(now) || l.AllowAt(now) {
		t.Fatal("a window of 3 must grant 2 and 1, then refuse")
	}
	r.CancelAt(now)
	if got := allowN(l, now, 3); got != 2 {
		t.Fatalf("after cancelling 2 events at their instant, %d more allowed, want 2", got)
	}
	// Cancelled after its instant, as Cancel is: nothing goes back.
	m := sliding(1, time.Hour)
	m.ReserveAt(now).CancelAt(now.Add(time.Nanosecond))
	if m.AllowAt(now) {
		t.Fatal("CancelAt after the reservation's instant gave its event back")
	}
	// A reservation of the window before the current one is taken back
	// from the previous count, where it weighs less: half way through the
	// next window, one event of the previous one weighs half an event.
	p := sliding(2, time.Second)
	first := p.ReserveNAt(at(0), 2)
	mid := at(1500 * time.Millisecond) // estimate 2*0.5 = 1: one more allowed
	if !p.AllowAt(mid) || p.AllowAt(mid) {
		t.Fatal("half way through the next window, one event must be allowed, then none")
	}
	first.CancelAt(at(0))
	if !p.AllowAt(mid) {
		t.Fatal("cancelling the previous window's events freed nothing")
	}
	if p.AllowAt(mid) {
		t.Fatal("cancelling the previous window's events freed more than they weigh there")
	}
	// Events of an older window no longer count: nothing to take back.
	o := sliding(1, time.Second)
	old := o.ReserveAt(at(0))
	if !o.AllowAt(at(2500 * time.Millisecond)) {
		t.Fatal("two windows later the limit must be free again")
	}
	old.CancelAt(at(0))
	if o.AllowAt(at(2500 * time.Millisecond)) {
		t.Fatal("cancelling an event two windows old took back a newer one")
	}
}
