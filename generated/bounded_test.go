package generated_test

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/breaker"
	"github.com/monogen/monogen/templates/limiter"
	"github.com/monogen/monogen/templates/ratelimit"
	"github.com/monogen/monogen/templates/semaphore"
)

// The generated types of bounded.go against their templates configured as
// the directives are: the same operations on the same inputs give the same
// results. Time is explicit (the At methods, with one epoch for both) or
// not involved; nothing sleeps.

// semOps is the semaphore API the equivalence test drives.
type semOps interface {
	TryAcquire() bool
	TryAcquireN(n int64) bool
	AcquireN(ctx context.Context, n int64) error
	Release()
	ReleaseN(n int64)
	Available() int64
}

func TestSemaphoreEquivalence(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel() // AcquireN may still succeed without waiting; it must never block
	for seed := int64(0); seed < 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		gen, tpl := semOps(generated.NewSlots()), semOps(semaphore.New(4))
		held := int64(0)
		for step := 0; step < 500; step++ {
			n := rng.Int63n(6)
			var g, w any
			switch op := rng.Intn(6); op {
			case 0:
				g, w = gen.TryAcquire(), tpl.TryAcquire()
			case 1:
				g, w = gen.TryAcquireN(n), tpl.TryAcquireN(n)
			case 2:
				g, w = gen.AcquireN(done, n) == nil, tpl.AcquireN(done, n) == nil
			case 3:
				if held > 0 {
					gen.Release()
					tpl.Release()
				}
			case 4:
				n = min(n, held)
				gen.ReleaseN(n)
				tpl.ReleaseN(n)
			case 5:
				g, w = gen.Available(), tpl.Available()
			}
			if g != w {
				t.Fatalf("seed %d step %d: generated %v, template %v", seed, step, g, w)
			}
			held = 4 - tpl.Available()
			if ga := gen.Available(); ga != 4-held {
				t.Fatalf("seed %d step %d: Available generated %d, template %d", seed, step, ga, 4-held)
			}
		}
	}
}

func TestSemaphoreStress(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := generated.NewSlots()
	ctx := context.Background()
	var inside, peak atomic.Int64
	for i := 0; i < 400; i++ {
		n := int64(i%3 + 1)
		err := s.Go(ctx, func() error {
			if err := s.AcquireN(ctx, 0); err != nil { // a zero-weight request never waits
				return err
			}
			cur := inside.Add(1)
			for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
			}
			inside.Add(-1)
			_ = n
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			n := int64(g%4 + 1)
			for i := 0; i < 300; i++ {
				if err := s.AcquireN(ctx, n); err != nil {
					t.Error(err)
					return
				}
				if a := s.Available(); a < 0 || a > 4-n {
					t.Errorf("Available = %d while holding %d of 4", a, n)
				}
				s.ReleaseN(n)
			}
		}(g)
	}
	wg.Wait()
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	if peak.Load() > 4 {
		t.Fatalf("%d holders at once, capacity 4", peak.Load())
	}
	if a := s.Available(); a != 4 {
		t.Fatalf("Available = %d after every release, want 4", a)
	}
	// A request that cannot be granted returns ctx.Err() and changes nothing.
	if !s.TryAcquireN(4) {
		t.Fatal("TryAcquireN(4) on an idle semaphore failed")
	}
	short, cancel := context.WithCancel(ctx)
	go cancel()
	if err := s.Acquire(short); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire on a full semaphore = %v, want context.Canceled", err)
	}
	s.ReleaseN(4)
	if a := s.Available(); a != 4 {
		t.Fatalf("Available = %d, want 4", a)
	}
}

// limiterOps is the rate limiter API with explicit times. Reservations are
// reduced to what they say.
type limiterOps struct {
	allow    func(time.Time) bool
	reserve  func(time.Time) (ok bool, delay time.Duration, cancel func(time.Time))
	stats    func(time.Time) [4]int64
	allowN   func(time.Time, int) bool
	reserveN func(time.Time, int) (ok bool, delay time.Duration, cancel func(time.Time))
}

func generatedTokens(epoch time.Time) limiterOps {
	l := generated.NewTokensAt(epoch)
	return limiterOps{
		allow:  l.AllowAt,
		allowN: l.AllowNAt,
		reserve: func(t time.Time) (bool, time.Duration, func(time.Time)) {
			r := l.ReserveAt(t)
			return r.OK(), r.DelayFrom(t), r.CancelAt
		},
		reserveN: func(t time.Time, n int) (bool, time.Duration, func(time.Time)) {
			r := l.ReserveNAt(t, n)
			return r.OK(), r.DelayFrom(t), r.CancelAt
		},
		stats: func(t time.Time) [4]int64 {
			s := l.StatsAt(t)
			return [4]int64{s.Available, int64(s.Delay), 0, 0}
		},
	}
}

func generatedWindow(epoch time.Time) limiterOps {
	l := generated.NewWindowAt(epoch)
	return limiterOps{
		allow:  l.AllowAt,
		allowN: l.AllowNAt,
		reserve: func(t time.Time) (bool, time.Duration, func(time.Time)) {
			r := l.ReserveAt(t)
			return r.OK(), r.DelayFrom(t), r.CancelAt
		},
		reserveN: func(t time.Time, n int) (bool, time.Duration, func(time.Time)) {
			r := l.ReserveNAt(t, n)
			return r.OK(), r.DelayFrom(t), r.CancelAt
		},
		stats: func(t time.Time) [4]int64 {
			s := l.StatsAt(t)
			return [4]int64{s.Available, int64(s.Delay), s.Current, s.Previous}
		},
	}
}

func templateLimiter(cfg ratelimit.Config, epoch time.Time) limiterOps {
	l := ratelimit.NewAt(cfg, epoch)
	return limiterOps{
		allow:  l.AllowAt,
		allowN: l.AllowNAt,
		reserve: func(t time.Time) (bool, time.Duration, func(time.Time)) {
			r := l.ReserveAt(t)
			return r.OK(), r.DelayFrom(t), r.CancelAt
		},
		reserveN: func(t time.Time, n int) (bool, time.Duration, func(time.Time)) {
			r := l.ReserveNAt(t, n)
			return r.OK(), r.DelayFrom(t), r.CancelAt
		},
		stats: func(t time.Time) [4]int64 {
			s := l.StatsAt(t)
			return [4]int64{s.Available, int64(s.Delay), s.Current, s.Previous}
		},
	}
}

func TestRateLimitEquivalence(t *testing.T) {
	epoch := time.Now()
	for _, tc := range []struct {
		name     string
		gen, tpl func() limiterOps
		step     time.Duration // largest random advance of the clock
		most     int           // the burst, or the limit
	}{
		{"token", func() limiterOps { return generatedTokens(epoch) }, func() limiterOps {
			return templateLimiter(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: 10 * time.Millisecond, Burst: 20}, epoch)
		}, 25 * time.Millisecond, 20},
		{"window", func() limiterOps { return generatedWindow(epoch) }, func() limiterOps {
			return templateLimiter(ratelimit.Config{Algorithm: ratelimit.SlidingWindow, Limit: 1000, Window: time.Minute}, epoch)
		}, 150 * time.Millisecond, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := int64(0); seed < 10; seed++ {
				rng := rand.New(rand.NewSource(seed))
				gen, tpl := tc.gen(), tc.tpl()
				now := epoch
				var cancels [][2]func(time.Time)
				for step := 0; step < 3000; step++ {
					if rng.Intn(4) == 0 {
						now = now.Add(time.Duration(rng.Int63n(int64(tc.step))))
					}
					var g, w any
					n := rng.Intn(tc.most+3) - 1 // -1 to most+1
					switch rng.Intn(10) {
					case 0, 1, 2, 3:
						g, w = gen.allow(now), tpl.allow(now)
					case 4, 5:
						gok, gd, gc := gen.reserve(now)
						wok, wd, wc := tpl.reserve(now)
						g, w = [2]any{gok, gd}, [2]any{wok, wd}
						cancels = append(cancels, [2]func(time.Time){gc, wc})
					case 6:
						if len(cancels) > 0 {
							i := rng.Intn(len(cancels))
							cancels[i][0](now)
							cancels[i][1](now)
							cancels = append(cancels[:i], cancels[i+1:]...)
						}
					case 7:
						g, w = gen.stats(now), tpl.stats(now)
					case 8:
						g, w = gen.allowN(now, n), tpl.allowN(now, n)
					case 9:
						gok, gd, gc := gen.reserveN(now, n)
						wok, wd, wc := tpl.reserveN(now, n)
						g, w = [2]any{gok, gd}, [2]any{wok, wd}
						cancels = append(cancels, [2]func(time.Time){gc, wc})
					}
					if g != w {
						t.Fatalf("seed %d step %d at %v: generated %v, template %v", seed, step, now.Sub(epoch), g, w)
					}
				}
			}
		})
	}
}

// At one instant, concurrent callers share exactly the burst (the limit).
func TestRateLimitStress(t *testing.T) {
	epoch := time.Now()
	for _, tc := range []struct {
		name  string
		allow func(time.Time) bool
		want  int64
	}{
		{"token", generated.NewTokensAt(epoch).AllowAt, 20},
		{"window", generated.NewWindowAt(epoch).AllowAt, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := epoch.Add(time.Hour)
			var admitted atomic.Int64
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 500; i++ {
						if tc.allow(at) {
							admitted.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			if n := admitted.Load(); n != tc.want {
				t.Fatalf("%d events admitted at one instant, want %d", n, tc.want)
			}
		})
	}
}

// Wait gives up at once when the next token comes after the deadline.
// TestRateLimitFarFromEpochDoesNotWrap: Tokens (rate=100/s burst=20) at a
// time near the end of what time.Duration holds admits its burst and no
// more; the next arrival time, one interval later, must not wrap around and
// admit every call.
func TestRateLimitFarFromEpochDoesNotWrap(t *testing.T) {
	epoch := time.Now()
	for _, d := range []time.Duration{math.MaxInt64 - 5*time.Millisecond, math.MaxInt64, math.MinInt64} {
		l := generated.NewTokensAt(epoch)
		now := epoch.Add(d)
		allowed := 0
		for range 30 {
			if l.AllowAt(now) {
				allowed++
			}
		}
		if allowed > 20 {
			t.Fatalf("at epoch%+v: allowed %d at once, more than the burst of 20", d, allowed)
		}
		if st := l.StatsAt(now); st.Available != 0 || st.Delay <= 0 {
			t.Fatalf("at epoch%+v: Stats = %+v, want none available and a positive delay", d, st)
		}
	}
}

func TestRateLimitWaitDeadline(t *testing.T) {
	l := generated.NewTokens()
	// A token comes every 10ms, so a Wait with 5ms left must fail at once.
	// A test descheduled for 10ms between draining and Wait gets a fresh
	// token instead, and one descheduled for 5ms between making the context
	// and Wait finds it done: either attempt proves nothing, so drain and
	// try again.
	for attempt := 0; ; attempt++ {
		for l.Allow() {
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		err := l.Wait(ctx)
		cancel()
		late := errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, generated.ErrTokensDeadline)
		if (err == nil || late) && attempt < 10 {
			continue
		}
		if !errors.Is(err, generated.ErrTokensDeadline) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait = %v, want ErrTokensDeadline", err)
		}
		return
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

// TestRateLimitWaitReturnsCtxErrAndCountsNothingWhenCanceledAsAllowed is
// the ratelimit template's test of the same name on the generated Tokens
// and Window, drained first: a Wait whose context ends just as its event's
// time comes, both before it looks, fails with ctx.Err() and counts no
// event.
func TestRateLimitWaitReturnsCtxErrAndCountsNothingWhenCanceledAsAllowed(t *testing.T) {
	type limiter struct {
		allow func() bool
		wait  func(context.Context) error
		delay func() time.Duration
		// counted reports whether the event the failed Wait reserved is
		// counted: the token bucket has no token, although the one it
		// waited for came; the window counts an event in its new window.
		counted func() bool
	}
	for name, newLimiter := range map[string]func() limiter{
		"Tokens": func() limiter {
			l := generated.NewTokens()
			return limiter{l.Allow, l.Wait,
				func() time.Duration { return l.Stats().Delay },
				func() bool { return l.Stats().Available == 0 }}
		},
		"Window": func() limiter {
			l := generated.NewWindow()
			return limiter{l.Allow, l.Wait,
				func() time.Duration { return l.Stats().Delay },
				func() bool { return l.Stats().Current != 0 }}
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				for i := range 64 {
					l := newLimiter()
					for l.allow() {
					}
					// The clock does not move until the test sleeps: the
					// Wait reserves its event now, delay from now.
					if err := l.wait(newLateCtx(l.delay() + time.Nanosecond)); !errors.Is(err, context.Canceled) {
						t.Fatalf("iteration %d: Wait whose context ended as its event came = %v, want context.Canceled", i, err)
					}
					if l.counted() {
						t.Fatalf("iteration %d: the failed Wait's event is counted", i)
					}
				}
			})
		})
	}
}

var errFlaky = errors.New("boom")

// flakyCall succeeds with 2*req for req >= 0 and fails otherwise.
func flakyCall(_ context.Context, req int) (int, error) {
	if req < 0 {
		return 0, errFlaky
	}
	return 2 * req, nil
}

func fallbackCall(_ context.Context, _ int, _ error) (int, error) { return -1, nil }

// tick waits, without sleeping, until the monotonic clock has moved: a
// cooldown of 1ns has then passed.
func clockTick() {
	for t := time.Now(); time.Since(t) <= 0; {
	}
}

type breakerOps struct {
	exec  func(int) (int, error)
	state func() string
	stats func() [4]int64
}

func TestBreakerEquivalence(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		gen, tpl func() breakerOps
		rejected []error // the template's and the generated type's rejection errors
	}{
		{"FlakyBreaker", func() breakerOps {
			b := generated.NewFlakyBreaker(flakyCall)
			return breakerOps{func(r int) (int, error) { return b.Execute(ctx, r) }, func() string { return b.State().String() },
				func() [4]int64 {
					s := b.Stats()
					return [4]int64{int64(s.State), s.Successes, s.Failures, int64(s.Rejected)}
				}}
		}, func() breakerOps {
			b := breaker.New(flakyCall, fallbackCall, breaker.Config{Failures: 3, Ratio: 0.5, Cooldown: time.Hour, HalfOpen: 2})
			return breakerOps{func(r int) (int, error) { return b.Execute(ctx, r) }, func() string { return b.State().String() },
				func() [4]int64 {
					s := b.Stats()
					return [4]int64{int64(s.State), s.Successes, s.Failures, int64(s.Rejected)}
				}}
		}, nil},
		{"QuickBreaker", func() breakerOps {
			b := generated.NewQuickBreaker(flakyCall)
			return breakerOps{func(r int) (int, error) { return b.Execute(ctx, r) }, func() string { return b.State().String() },
				func() [4]int64 {
					s := b.Stats()
					return [4]int64{int64(s.State), s.Successes, s.Failures, int64(s.Rejected)}
				}}
		}, func() breakerOps {
			b := breaker.New(flakyCall, nil, breaker.Config{Failures: 2, Cooldown: time.Nanosecond, HalfOpen: 2, Window: time.Minute, Buckets: 4})
			return breakerOps{func(r int) (int, error) { return b.Execute(ctx, r) }, func() string { return b.State().String() },
				func() [4]int64 {
					s := b.Stats()
					return [4]int64{int64(s.State), s.Successes, s.Failures, int64(s.Rejected)}
				}}
		}, []error{breaker.ErrOpen, breaker.ErrTooManyProbes, generated.ErrQuickBreakerOpen, generated.ErrQuickBreakerTooManyProbes}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := int64(0); seed < 10; seed++ {
				rng := rand.New(rand.NewSource(seed))
				gen, tpl := tc.gen(), tc.tpl()
				for step := 0; step < 400; step++ {
					clockTick()
					req := rng.Intn(10) - 4 // fails 40% of the time
					gr, gerr := gen.exec(req)
					wr, werr := tpl.exec(req)
					if gr != wr || sameErrText(gerr) != sameErrText(werr) {
						t.Fatalf("seed %d step %d: Execute(%d) generated %d, %v; template %d, %v", seed, step, req, gr, gerr, wr, werr)
					}
					if g, w := gen.state(), tpl.state(); g != w {
						t.Fatalf("seed %d step %d: State generated %s, template %s", seed, step, g, w)
					}
					if step%7 == 0 {
						if g, w := gen.stats(), tpl.stats(); g != w {
							t.Fatalf("seed %d step %d: Stats generated %v, template %v", seed, step, g, w)
						}
					}
				}
			}
		})
	}
}

// sameErrText compares errors across the two packages, whose sentinels are
// distinct values with the same text.
func sameErrText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestBreakerStress(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx := context.Background()
	b := generated.NewWorkBreaker()
	f := generated.NewFlakyBreaker(flakyCall)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if r, err := b.Execute(ctx, i); err != nil || r != i {
					t.Errorf("WorkBreaker.Execute(%d) = %d, %v", i, r, err)
					return
				}
				// Half the callers fail: it opens and closes; the fallback
				// answers for failed and rejected calls.
				req := i
				if g%2 == 1 {
					req = -1
				}
				if r, err := f.Execute(ctx, req); err != nil || (r != -1 && r != 2*req) {
					t.Errorf("FlakyBreaker.Execute = %d, %v", r, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if s := b.Stats(); s.Successes != 8000 || s.Failures != 0 || s.State != generated.WorkBreakerStateClosed {
		t.Fatalf("WorkBreaker stats %+v, want 8000 successes, closed", s)
	}
	// Failures alone, now: it opens once they are half the window's calls.
	for i := 0; i < 20000 && f.State() != generated.FlakyBreakerStateOpen; i++ {
		if r, err := f.Execute(ctx, -1); r != -1 || err != nil {
			t.Fatalf("FlakyBreaker.Execute(-1) = %d, %v; want the fallback's -1, nil", r, err)
		}
	}
	if s := f.State(); s != generated.FlakyBreakerStateOpen {
		t.Fatalf("FlakyBreaker is %s after failing calls, want open", s)
	}
}

// slowCalls makes the calls of chosen requests block until released, as
// flakyCall otherwise: a test admits a call, changes the breaker's state,
// then lets the call finish.
type slowCalls struct {
	entered chan int
	release map[int]chan struct{}
}

func newSlowCalls(t *testing.T, reqs ...int) *slowCalls {
	s := &slowCalls{entered: make(chan int), release: map[int]chan struct{}{}}
	for _, r := range reqs {
		s.release[r] = make(chan struct{})
	}
	t.Cleanup(func() {
		for _, c := range s.release {
			select {
			case <-c:
			default:
				close(c)
			}
		}
	})
	return s
}

func (s *slowCalls) fn(ctx context.Context, req int) (int, error) {
	if c := s.release[req]; c != nil {
		s.entered <- req
		<-c
	}
	return flakyCall(ctx, req)
}

// start calls exec(req) in a goroutine and returns once the call is in the
// function, with a channel that gets its error once finish(req) is called.
func (s *slowCalls) start(exec func(context.Context, int) (int, error), req int) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := exec(context.Background(), req)
		done <- err
	}()
	<-s.entered
	return done
}

func (s *slowCalls) finish(req int) { close(s.release[req]) }

// TestBreakerProbeOfEarlierHalfOpenIsNotCounted: QuickBreaker (halfopen=2,
// cooldown=1ns) must not count a probe of an earlier half-open period that
// succeeds late as a success of the current one.
func TestBreakerProbeOfEarlierHalfOpenIsNotCounted(t *testing.T) {
	const slowA, slowB = 100, 101
	s := newSlowCalls(t, slowA, slowB)
	b := generated.NewQuickBreaker(s.fn)
	ctx := context.Background()
	b.Execute(ctx, -1)
	b.Execute(ctx, -1)
	clockTick()
	probeA := s.start(b.Execute, slowA) // a probe of the first half-open period
	if _, err := b.Execute(ctx, -1); !errors.Is(err, errFlaky) {
		t.Fatalf("failing probe: %v", err)
	}
	clockTick()
	probeB := s.start(b.Execute, slowB) // a probe of the second
	s.finish(slowA)
	if err := <-probeA; err != nil {
		t.Fatalf("late probe: %v", err)
	}
	s.finish(slowB)
	if err := <-probeB; err != nil {
		t.Fatalf("probe: %v", err)
	}
	if st := b.State(); st != generated.QuickBreakerStateHalfOpen {
		t.Fatalf("state %v after one probe of this half-open period (and a late one of the last), want half-open", st)
	}
	if _, err := b.Execute(ctx, 1); err != nil {
		t.Fatalf("second probe: %v", err)
	}
	if st := b.Stats(); st.State != generated.QuickBreakerStateClosed || st.Transitions != 5 {
		t.Fatalf("Stats = %+v, want closed after 5 transitions", st)
	}
}

// TestBreakerFailureFromBeforeTripIsNotCounted: a call QuickBreaker
// (failures=2) admitted while closed, that fails after it tripped and closed
// again, must not count toward the next trip.
func TestBreakerFailureFromBeforeTripIsNotCounted(t *testing.T) {
	const slowFail = -100
	s := newSlowCalls(t, slowFail)
	b := generated.NewQuickBreaker(s.fn)
	ctx := context.Background()
	old := s.start(b.Execute, slowFail)
	b.Execute(ctx, -1)
	b.Execute(ctx, -1)
	clockTick()
	b.Execute(ctx, 1)
	b.Execute(ctx, 2)
	if st := b.State(); st != generated.QuickBreakerStateClosed {
		t.Fatalf("state %v after two good probes, want closed", st)
	}
	s.finish(slowFail)
	if err := <-old; !errors.Is(err, errFlaky) {
		t.Fatalf("old call: %v", err)
	}
	b.Execute(ctx, -1)
	if st := b.Stats(); st.State != generated.QuickBreakerStateClosed || st.Failures != 1 {
		t.Fatalf("Stats = %+v after one failure since closing (and one of an older call), want closed with 1 failure", st)
	}
}

type limiterExec interface {
	Execute(ctx context.Context, req int) (int, error)
}

// Calls that block hold their slots: both limiters admit Initial of them
// and reject the rest at once.
func TestLimiterEquivalence(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx := context.Background()
	run := func(newL func(fn func(context.Context, int) (int, error)) (limiterExec, func() [3]int64)) (admitted int, stats [2][3]int64) {
		entered, release := make(chan struct{}), make(chan struct{})
		block := func(_ context.Context, req int) (int, error) {
			entered <- struct{}{}
			<-release
			return req, nil
		}
		l, st := newL(block)
		results := make(chan error)
		for i := 0; i < 7; i++ {
			go func() {
				_, err := l.Execute(ctx, i)
				results <- err
			}()
			select {
			case <-entered:
				admitted++
			case err := <-results:
				if err == nil || err.Error() != limiter.ErrLimited.Error() {
					t.Fatalf("rejected call returned %v", err)
				}
			}
		}
		stats[0] = st()
		close(release)
		for range admitted {
			if err := <-results; err != nil {
				t.Fatal(err)
			}
		}
		stats[1] = st()
		stats[1][0] = 0 // the limit may have moved with the samples
		return admitted, stats
	}
	ga, gs := run(func(fn func(context.Context, int) (int, error)) (limiterExec, func() [3]int64) {
		l := generated.NewFlakyLimiter(fn)
		return l, func() [3]int64 { s := l.Stats(); return [3]int64{s.Limit, s.InFlight, int64(s.Rejected)} }
	})
	wa, ws := run(func(fn func(context.Context, int) (int, error)) (limiterExec, func() [3]int64) {
		l := limiter.New(fn, limiter.Config{Min: 1, Max: 8, Initial: 4})
		return l, func() [3]int64 { s := l.Stats(); return [3]int64{s.Limit, s.InFlight, int64(s.Rejected)} }
	})
	if ga != 4 || ga != wa || gs != ws {
		t.Fatalf("generated admitted %d, stats %v; template admitted %d, stats %v; want 4 admitted", ga, gs, wa, ws)
	}
	// The bound limiter calls Work directly; its initial limit is 20.
	l := generated.NewWorkLimiter()
	if r, err := l.Execute(ctx, 7); r != 7 || err != nil || l.Stats().Limit != 20 {
		t.Fatalf("WorkLimiter.Execute(7) = %d, %v; limit %d, want 20", r, err, l.Stats().Limit)
	}
}

func TestLimiterStress(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx := context.Background()
	l := generated.NewWorkLimiter()
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				r, err := l.Execute(ctx, i)
				switch {
				case errors.Is(err, generated.ErrWorkLimiterLimited):
					limited.Add(1)
				case err != nil || r != i:
					t.Errorf("Execute(%d) = %d, %v", i, r, err)
					return
				default:
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	s := l.Stats()
	if ok.Load()+limited.Load() != 16000 || int64(s.Rejected) != limited.Load() || s.InFlight != 0 {
		t.Fatalf("%d ok + %d limited; stats %+v", ok.Load(), limited.Load(), s)
	}
	if s.Limit < 2 || s.Limit > 256 {
		t.Fatalf("limit %d outside [2, 256]", s.Limit)
	}
}

// Tokens (rate=100/s burst=20): cancelling a reservation that later ones
// follow gives back only what they do not hold, as in x/time/rate.
func TestTokensCancelGivesBackNothingThatLaterReservationsHold(t *testing.T) {
	epoch := time.Now()
	l := generated.NewTokensAt(epoch)
	l.ReserveNAt(epoch, 20) // the burst
	r10 := l.ReserveAt(epoch)
	r20 := l.ReserveAt(epoch)
	if d := r20.DelayFrom(epoch); d != 20*time.Millisecond {
		t.Fatalf("second reservation past the burst in %v, want 20ms", d)
	}
	r10.CancelAt(epoch)
	if d := l.ReserveAt(epoch).DelayFrom(epoch); d != 30*time.Millisecond {
		t.Fatalf("after cancelling the reservation at 10ms, the next one is in %v, want 30ms (20ms is taken)", d)
	}
	last := l.ReserveAt(epoch)
	last.CancelAt(epoch)
	if d := l.ReserveAt(epoch).DelayFrom(epoch); d != 40*time.Millisecond {
		t.Fatalf("after cancelling the last reservation, the next one is in %v, want its 40ms", d)
	}
}

// A Window's (limit=1000 window=1m) reservation cancelled at its instant
// gave nothing back, though Cancel's doc promised its events back while
// their time had not come; cancelled after it, nothing goes back.
func TestWindowCancelAtReservationInstantGivesTheEventsBack(t *testing.T) {
	epoch := time.Now()
	l := generated.NewWindowAt(epoch)
	now := epoch.Add(time.Second)
	r := l.ReserveNAt(now, 600)
	if !r.OK() || !l.AllowNAt(now, 400) || l.AllowAt(now) {
		t.Fatal("a window of 1000 must grant 600 and 400, then refuse")
	}
	r.CancelAt(now)
	if !l.AllowNAt(now, 600) || l.AllowAt(now) {
		t.Fatal("after cancelling 600 events at their instant, 600 more must be allowed, and no more")
	}
	late := l.ReserveNAt(now, 0) // an empty reservation is OK and gives nothing
	late.CancelAt(now)
	if l.AllowAt(now) {
		t.Fatal("cancelling an empty reservation gave an event back")
	}
	m := generated.NewWindowAt(epoch)
	s := m.ReserveNAt(now, 1000)
	s.CancelAt(now.Add(time.Nanosecond))
	if m.AllowAt(now) {
		t.Fatal("CancelAt after the reservation's instant gave its events back")
	}
}
