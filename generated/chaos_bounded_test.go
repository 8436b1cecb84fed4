package generated_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monogen/monogen/generated"
)

// cancelledCtx returns a context that another goroutine cancels at a
// random point, for calls that would otherwise wait forever.
func cancelledCtx(rng *rand.Rand, within time.Duration) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	t := time.AfterFunc(randDuration(rng, within), cancel)
	return ctx, func() {
		t.Stop()
		cancel()
	}
}

// chaosSemaphore drives the Slots semaphore (n=4) with goroutines that
// Acquire, AcquireN (of up to more than the capacity), TryAcquire,
// TryAcquireN and Go under random contexts, hold and Release or ReleaseN.
// It checks that the weight held never exceeds n, a request for more than n
// never succeeds, AcquireN(0) succeeds at once, Wait returns an error that
// a function run by Go returned, and that every unit is free at the end:
// a failed acquire left the semaphore unchanged and every release matched
// an acquire. Last, a queued AcquireN whose context ends before the units
// are released fails.
func chaosSemaphore(c *chaos) {
	const capacity = 4
	for round := range c.rounds {
		rng := c.rng
		workers := 2 + rng.IntN(8)
		ops := 50 + rng.IntN(150)
		where := fmt.Sprintf("Slots round %d (%d workers)", round, workers)
		s := generated.NewSlots()
		var (
			held    atomic.Int64
			goErrs  sync.Map // errors returned by functions run by Go
			acquire atomic.Int64
			release atomic.Int64
		)
		hold := func(k int64) {
			acquire.Add(k)
			if h := held.Add(k); h > capacity {
				c.errorf("%s: weight %d held at once, n=%d", where, h, capacity)
			}
		}
		drop := func(k int64) {
			held.Add(-k)
			release.Add(k)
		}
		var wg sync.WaitGroup
		for range workers {
			rng := c.fork()
			wg.Go(func() {
				for range ops {
					var k int64
					var err error
					switch op := rng.IntN(10); {
					case op < 3:
						ctx, release := randomCtx(rng, 200*time.Microsecond)
						k, err = 1, s.Acquire(ctx)
						if err != nil && err != ctx.Err() {
							c.errorf("%s: Acquire = %v, ctx.Err() = %v", where, err, ctx.Err())
						}
						release()
					case op < 6:
						k = rng.Int64N(capacity + 2)
						ctx, release := cancelledCtx(rng, 300*time.Microsecond)
						err = s.AcquireN(ctx, k)
						switch {
						case err == nil && k > capacity:
							c.errorf("%s: AcquireN(%d) succeeded, n=%d", where, k, capacity)
						case err != nil && k == 0:
							c.errorf("%s: AcquireN(0) = %v", where, err)
						case err != nil && err != ctx.Err():
							c.errorf("%s: AcquireN(%d) = %v, ctx.Err() = %v", where, k, err, ctx.Err())
						}
						release()
					case op < 7:
						k = 1
						if !s.TryAcquire() {
							err = errChaos
						}
					case op < 8:
						k = rng.Int64N(capacity + 2)
						if !s.TryAcquireN(k) {
							err = errChaos
						} else if k > capacity {
							c.errorf("%s: TryAcquireN(%d) succeeded, n=%d", where, k, capacity)
						}
					default:
						ctx, release := randomCtx(rng, 200*time.Microsecond)
						spins := rng.IntN(20)
						fail := rng.IntN(4) == 0
						err := s.Go(ctx, func() error {
							hold(1)
							busy(spins)
							drop(1)
							if fail {
								e := fmt.Errorf("chaos Go %d: %w", spins, errChaos)
								goErrs.Store(e, true)
								return e
							}
							return nil
						})
						if err != nil && err != ctx.Err() {
							c.errorf("%s: Go = %v, ctx.Err() = %v", where, err, ctx.Err())
						}
						release()
						c.op()
						continue
					}
					c.op()
					if err != nil {
						continue
					}
					hold(k)
					busy(rng.IntN(10))
					drop(k)
					if k == 1 && rng.IntN(2) == 0 {
						s.Release()
					} else {
						s.ReleaseN(k)
					}
				}
			})
		}
		wg.Wait()
		if err := s.Wait(); err != nil {
			if _, ok := goErrs.Load(err); !ok {
				c.errorf("%s: Wait = %v, not an error of a function run by Go", where, err)
			}
		}
		if a := s.Available(); a != capacity {
			c.errorf("%s: Available = %d at the end, want %d (acquired %d, released %d)", where, a, capacity, acquire.Load(), release.Load())
		}
		if !s.TryAcquireN(capacity) {
			c.errorf("%s: TryAcquireN(n) failed with every unit free", where)
			continue
		}
		// A waiter whose context ends before any unit is free fails, and
		// leaves the semaphore unchanged, even if the units come before it
		// wakes up. (The window is narrow: the units must come between the
		// waiter's queueing and its parking.)
		ctx, cancel := context.WithCancel(context.Background())
		waited := make(chan error)
		k := 1 + rng.Int64N(capacity)
		go func() { waited <- s.AcquireN(ctx, k) }()
		// TryAcquireN(0) fails once the waiter is queued; the bound keeps
		// the test from hanging should that ever change.
		queued := false
		for i := 0; i < 1e6 && !queued; i++ {
			if queued = !s.TryAcquireN(0); !queued && i%64 == 63 {
				busy(1)
			}
		}
		cancel()
		s.ReleaseN(capacity)
		if err := <-waited; queued && err != context.Canceled || err != nil && err != context.Canceled {
			c.errorf("%s: AcquireN(%d) whose context ended before the units were free = %v, want context.Canceled", where, k, err)
			if err == nil {
				s.ReleaseN(k)
			}
		}
		if a := s.Available(); a != capacity {
			c.errorf("%s: Available = %d after the cancelled AcquireN, want %d", where, a, capacity)
		}
		c.op()
	}
}

// chaosLimiterShape is one generated rate limiter.
type chaosLimiterShape struct {
	name     string
	deadline error // its ErrDeadline
	make     func() rateLimiter
	// bound returns the most events it may admit in elapsed since it was
	// made.
	bound func(elapsed time.Duration) int64
}

// rateLimiter is what the chaos test uses of a generated rate limiter.
type rateLimiter struct {
	allow   func() bool
	wait    func(ctx context.Context) error
	reserve func() (ok bool, delay time.Duration, cancel func())
}

// tokenBound is a token bucket's bound: burst at once, then one per
// interval.
func tokenBound(interval time.Duration, burst int64) func(time.Duration) int64 {
	return func(elapsed time.Duration) int64 { return burst + int64(elapsed/interval) }
}

// windowBound is a sliding window's bound: its estimate counts every event
// of the current fixed window, so no fixed window admits more than limit.
func windowBound(window time.Duration, limit int64) func(time.Duration) int64 {
	return func(elapsed time.Duration) int64 { return limit * (int64(elapsed/window) + 1) }
}

var chaosRateShapes = []chaosLimiterShape{
	{
		name: "Tokens", deadline: generated.ErrTokensDeadline, bound: tokenBound(10*time.Millisecond, 20),
		make: func() rateLimiter {
			l := generated.NewTokens()
			return rateLimiter{l.Allow, l.Wait, func() (bool, time.Duration, func()) {
				r := l.Reserve()
				return r.OK(), r.Delay(), r.Cancel
			}}
		},
	},
	{
		name: "ChaosTokens", deadline: generated.ErrChaosTokensDeadline, bound: tokenBound(200*time.Microsecond, 8),
		make: func() rateLimiter {
			l := generated.NewChaosTokens()
			return rateLimiter{l.Allow, l.Wait, func() (bool, time.Duration, func()) {
				r := l.Reserve()
				return r.OK(), r.Delay(), r.Cancel
			}}
		},
	},
	{
		name: "Window", deadline: generated.ErrWindowDeadline, bound: windowBound(time.Minute, 1000),
		make: func() rateLimiter {
			l := generated.NewWindow()
			return rateLimiter{l.Allow, l.Wait, func() (bool, time.Duration, func()) {
				r := l.Reserve()
				return r.OK(), r.Delay(), r.Cancel
			}}
		},
	},
	{
		name: "ChaosWindow", deadline: generated.ErrChaosWindowDeadline, bound: windowBound(4*time.Millisecond, 16),
		make: func() rateLimiter {
			l := generated.NewChaosWindow()
			return rateLimiter{l.Allow, l.Wait, func() (bool, time.Duration, func()) {
				r := l.Reserve()
				return r.OK(), r.Delay(), r.Cancel
			}}
		},
	},
}

// chaosRateLimit drives each generated rate limiter with goroutines that
// Allow, Wait under contexts cancelled at random or with deadlines, and
// Reserve and Cancel, for a few milliseconds, and checks that the events
// admitted stay within the limiter's bound over the run (its burst or
// limit, plus its rate over the time elapsed since it was made), that Wait
// fails only with ctx.Err() or its ErrDeadline, and that Wait without a
// deadline or cancellation always admits.
func chaosRateLimit(c *chaos) {
	for round := range c.rounds {
		for _, shape := range chaosRateShapes {
			rng := c.rng
			workers := 2 + rng.IntN(6)
			run := time.Duration(5+rng.IntN(20)) * time.Millisecond
			where := fmt.Sprintf("%s round %d (%d workers, %v)", shape.name, round, workers, run)
			start := time.Now()
			l := shape.make()
			end := start.Add(run)
			var admitted, last atomic.Int64 // events admitted, and when the last was
			var over atomic.Bool
			// admit counts an event just admitted. The events counted so
			// far were all admitted before now: within the bound at now.
			admit := func() {
				n := admitted.Add(1)
				now := time.Since(start)
				if bound := shape.bound(now); n > bound && !over.Swap(true) {
					c.errorf("%s: %d events admitted %v after the limiter was made, bound %d", where, n, now, bound)
				}
				for l := last.Load(); int64(now) > l && !last.CompareAndSwap(l, int64(now)); l = last.Load() {
				}
			}
			var wg sync.WaitGroup
			for range workers {
				rng := c.fork()
				wg.Go(func() {
					for time.Now().Before(end) {
						switch op := rng.IntN(6); {
						case op < 2:
							if l.allow() {
								admit()
							}
						case op < 4:
							var ctx context.Context
							var release func()
							if rng.IntN(2) == 0 {
								// Not randomCtx: a Wait on the minute window may
								// take a minute.
								ctx, release = cancelledCtx(rng, time.Millisecond)
							} else {
								ctx, release = context.WithTimeout(context.Background(), randDuration(rng, 2*time.Millisecond))
							}
							err := l.wait(ctx)
							switch {
							case err == nil:
								admit()
							case err == shape.deadline, err == ctx.Err():
							default:
								c.errorf("%s: Wait = %v, ctx.Err() = %v", where, err, ctx.Err())
							}
							release()
						case op < 5:
							ok, delay, cancel := l.reserve()
							switch {
							case ok && delay == 0:
								admit()
							case ok:
								cancel() // gives the event back: not counted
							}
						default:
							busy(rng.IntN(5))
							continue
						}
						c.op()
					}
				})
			}
			wg.Wait()
			// The limiter's clock started after start, and the last event
			// was admitted before last: the bound at last holds.
			elapsed := time.Duration(last.Load())
			if n, bound := admitted.Load(), shape.bound(elapsed); n > bound {
				c.errorf("%s: %d events admitted in %v, bound %d", where, n, elapsed, bound)
			}
			if shape.bound(time.Second) > 1000 { // fast enough to wait for
				if err := l.wait(context.Background()); err != nil {
					c.errorf("%s: Wait(Background) = %v", where, err)
				}
			}
			c.op()
		}
	}
}

// breakerCall is what the test records of one Execute.
type breakerCall struct {
	plan     jobPlan // planOK, planFail, planPanic, planBusy or planWaitCtx (slow)
	pre      breakerStats
	called   atomic.Bool
	fnSeq    uint64 // transitions when the function started
	rejected bool   // Execute returned without calling the function
}

// breakerStats is the part of a breaker's Stats the test uses.
type breakerStats struct {
	state       int // 0 closed, 1 open, 2 half-open
	transitions uint64
	rejected    uint64
}

// chaosBreakerAPI is one generated breaker around a test function.
type chaosBreakerAPI struct {
	execute  func(ctx context.Context, req int) (int, error)
	stats    func() breakerStats
	onChange func(func(from, to int))
}

// chaosBreakerShape is one generated breaker and what the test must know of
// it.
type chaosBreakerShape struct {
	name                string
	failures, halfOpen  int
	neverHalfOpen       bool // its cooldown outlasts the test
	fallback            bool // rejected and failed calls return -1, nil
	errOpen, errTooMany error
	make                func(fn func(context.Context, int) (int, error)) chaosBreakerAPI
}

var chaosBreakerShapes = []chaosBreakerShape{
	{
		name: "QuickBreaker", failures: 2, halfOpen: 2,
		errOpen: generated.ErrQuickBreakerOpen, errTooMany: generated.ErrQuickBreakerTooManyProbes,
		make: func(fn func(context.Context, int) (int, error)) chaosBreakerAPI {
			b := generated.NewQuickBreaker(fn)
			return chaosBreakerAPI{b.Execute, func() breakerStats {
				s := b.Stats()
				return breakerStats{int(s.State), s.Transitions, s.Rejected}
			}, func(f func(from, to int)) {
				b.OnStateChange(func(from, to generated.QuickBreakerState) { f(int(from), int(to)) })
			}}
		},
	},
	{
		name: "FlakyBreaker", failures: 3, halfOpen: 2, neverHalfOpen: true, fallback: true,
		errOpen: generated.ErrFlakyBreakerOpen, errTooMany: generated.ErrFlakyBreakerTooManyProbes,
		make: func(fn func(context.Context, int) (int, error)) chaosBreakerAPI {
			b := generated.NewFlakyBreaker(fn)
			return chaosBreakerAPI{b.Execute, func() breakerStats {
				s := b.Stats()
				return breakerStats{int(s.State), s.Transitions, s.Rejected}
			}, func(f func(from, to int)) {
				b.OnStateChange(func(from, to generated.FlakyBreakerState) { f(int(from), int(to)) })
			}}
		},
	},
}

// Breaker states, as the generated State types number them.
const (
	stateClosed   = 0
	stateOpen     = 1
	stateHalfOpen = 2
)

// chaosBreaker drives each generated breaker with goroutines whose calls
// succeed, fail, panic or take a while, in phases of mostly failures and
// mostly successes, and checks every call and transition against the
// breaker's documented behaviour. Each call records the breaker's state and
// transition count before Execute and when its function starts, which
// brackets the state Execute saw:
//   - a call whose state stayed open from before Execute to its function is
//     a call let through while open;
//   - the calls let through as probes of one half-open period are at most
//     halfopen=;
//   - a closed breaker opens only after failures= failed calls that may
//     have been admitted in that closed period; a half-open one closes only
//     after halfopen= successful probes of that period, and opens only
//     after a failed or panicking one;
//   - a rejected call returns ErrOpen or ErrTooManyProbes (or the
//     fallback's answer), and is never one that found the breaker closed
//     throughout;
//   - panics reach the caller unchanged; Stats().Rejected counts the
//     rejected calls; transitions form a chain from closed.
func chaosBreaker(c *chaos) {
	for round := range c.rounds {
		for _, shape := range chaosBreakerShapes {
			chaosBreakerRound(c, shape, round)
		}
	}
}

func chaosBreakerRound(c *chaos, shape chaosBreakerShape, round int) {
	rng := c.rng
	workers := 2 + rng.IntN(6)
	perWorker := 50 + rng.IntN(150)
	where := fmt.Sprintf("%s round %d (%d workers)", shape.name, round, workers)
	calls := make([]breakerCall, workers*perWorker)
	var api chaosBreakerAPI
	api = shape.make(func(ctx context.Context, id int) (int, error) {
		call := &calls[id]
		if call.called.Swap(true) {
			c.errorf("%s: call %d ran twice", where, id)
		}
		call.fnSeq = api.stats().transitions
		switch call.plan {
		case planFail:
			return 0, fmt.Errorf("call %d: %w", id, errChaos)
		case planPanic:
			panic(chaosPanic{id})
		case planBusy:
			busy(10)
		case planWaitCtx:
			// A slow call, whose result comes in after other calls have
			// moved the breaker on: it must not count in the new state.
			time.Sleep(time.Millisecond)
		}
		return 2*id + 1, nil
	})
	type transition struct{ from, to int }
	var (
		mu          sync.Mutex
		transitions []transition
	)
	api.onChange(func(from, to int) {
		mu.Lock()
		transitions = append(transitions, transition{from, to})
		mu.Unlock()
	})

	var wg sync.WaitGroup
	for w := range workers {
		rng := c.fork()
		wg.Go(func() {
			for k := range perWorker {
				id := w*perWorker + k
				call := &calls[id]
				failRate := []int{80, 5}[k/25%2] // phases of mostly failures and mostly successes
				switch r := rng.IntN(100); {
				case r < failRate:
					call.plan = planFail
				case r < failRate+3:
					call.plan = planPanic
				case r < failRate+8:
					call.plan = planWaitCtx
				case r < failRate+15:
					call.plan = planBusy
				default:
					call.plan = planOK
				}
				call.pre = api.stats()
				out, pv, err := breakerExecute(api, id)
				post := api.stats()
				call.rejected = !call.called.Load()
				steady := post.transitions == call.pre.transitions // no transition during the call
				switch {
				case call.plan == planPanic && call.called.Load():
					if pv != (chaosPanic{id}) {
						c.errorf("%s: call %d panicked, Execute panicked with %v", where, id, pv)
					}
				case pv != nil:
					c.errorf("%s: call %d: Execute panicked with %v", where, id, pv)
				case call.rejected:
					if steady && call.pre.state == stateClosed {
						c.errorf("%s: call %d rejected with %v while the breaker stayed closed", where, id, err)
					}
					switch {
					case shape.fallback:
						if out != -1 || err != nil {
							c.errorf("%s: rejected call %d = %d, %v, want the fallback's -1, nil", where, id, out, err)
						}
					case err == shape.errOpen:
						if steady && call.pre.state != stateOpen {
							c.errorf("%s: call %d = ErrOpen while the breaker stayed in state %d", where, id, call.pre.state)
						}
					case err == shape.errTooMany:
						if steady && call.pre.state != stateHalfOpen {
							c.errorf("%s: call %d = ErrTooManyProbes while the breaker stayed in state %d", where, id, call.pre.state)
						}
					default:
						c.errorf("%s: rejected call %d = %d, %v", where, id, out, err)
					}
				case call.plan == planFail:
					if shape.fallback && (out != -1 || err != nil) || !shape.fallback && !errors.Is(err, errChaos) {
						c.errorf("%s: failed call %d = %d, %v", where, id, out, err)
					}
				default:
					if out != 2*id+1 || err != nil {
						c.errorf("%s: call %d = %d, %v, want %d, nil", where, id, out, err, 2*id+1)
					}
				}
				c.op()
			}
		})
	}
	wg.Wait()

	// The transitions form a chain from closed.
	state := stateClosed
	for i, tr := range transitions {
		ok := tr.from == state && (tr.from == stateClosed && tr.to == stateOpen ||
			tr.from == stateOpen && tr.to == stateHalfOpen && !shape.neverHalfOpen ||
			tr.from == stateHalfOpen && (tr.to == stateOpen || tr.to == stateClosed))
		if !ok {
			c.errorf("%s: transition %d from %d to %d, the breaker being in %d", where, i+1, tr.from, tr.to, state)
		}
		state = tr.to
	}
	// stateAt[k] is the state after k transitions.
	stateAt := []int{stateClosed}
	for _, tr := range transitions {
		stateAt = append(stateAt, tr.to)
	}
	end := api.stats()
	if int(end.transitions) != len(transitions) {
		c.errorf("%s: Stats().Transitions = %d, the callback saw %d", where, end.transitions, len(transitions))
	}
	var rejected uint64
	probes := make([]int, len(stateAt))
	for id := range calls {
		call := &calls[id]
		if call.rejected {
			rejected++
			continue
		}
		pre, seq := call.pre.transitions, call.fnSeq
		if pre == seq && call.pre.state == stateOpen {
			c.errorf("%s: call %d let through while the breaker stayed open", where, id)
		}
		if shape.neverHalfOpen && call.pre.state == stateOpen {
			c.errorf("%s: call %d let through after the breaker opened, cooldown 1h", where, id)
		}
		if int(seq) < len(stateAt) && stateAt[seq] == stateHalfOpen &&
			(pre == seq && call.pre.state == stateHalfOpen || pre+1 == seq && call.pre.state == stateOpen) {
			probes[seq]++
		}
	}
	for k, n := range probes {
		if n > shape.halfOpen {
			c.errorf("%s: %d probes let through in the half-open period after transition %d, halfopen=%d", where, n, k, shape.halfOpen)
		}
	}
	// Each transition out of period k (after k transitions) needs results
	// of calls admitted in that period and finished before it ended: their
	// function started in it.
	for k, tr := range transitions {
		var failed, panicked, succeeded int
		for id := range calls {
			call := &calls[id]
			if call.rejected || call.fnSeq != uint64(k) {
				continue
			}
			switch call.plan {
			case planFail:
				failed++
			case planPanic:
				panicked++
			default:
				succeeded++
			}
		}
		switch {
		case tr.from == stateClosed && failed < shape.failures:
			c.errorf("%s: transition %d opened the breaker after %d failed calls of its closed period, failures=%d", where, k+1, failed, shape.failures)
		case tr.from == stateHalfOpen && tr.to == stateClosed && succeeded < shape.halfOpen:
			c.errorf("%s: transition %d closed the breaker after %d successful probes, halfopen=%d", where, k+1, succeeded, shape.halfOpen)
		case tr.from == stateHalfOpen && tr.to == stateOpen && failed+panicked == 0:
			c.errorf("%s: transition %d reopened the breaker with no failed probe", where, k+1)
		}
		c.op()
	}
	if end.rejected != rejected {
		c.errorf("%s: Stats().Rejected = %d, %d calls rejected", where, end.rejected, rejected)
	}
}

// breakerExecute calls Execute, recovering a panic.
func breakerExecute(api chaosBreakerAPI, id int) (out int, panicked any, err error) {
	defer func() { panicked = recover() }()
	out, err = api.execute(context.Background(), id)
	return out, nil, err
}

// chaosLimiter drives the FlakyLimiter (min=1 max=8 initial=4) with up to
// sixteen goroutines whose calls succeed, fail, time out (which shrinks the
// limit), panic or take a while, and checks that no more than max calls run
// at once, a rejected call returns ErrLimited without running, panics reach
// the caller unchanged, the limit stays within [min, max], and at the end
// nothing is in flight and Stats().Rejected counts the rejections.
func chaosLimiter(c *chaos) {
	const minLimit, maxLimit = 1, 8
	for round := range c.rounds {
		rng := c.rng
		workers := 2 + rng.IntN(23)
		perWorker := 50 + rng.IntN(100)
		where := fmt.Sprintf("FlakyLimiter round %d (%d workers)", round, workers)
		var running atomic.Int64
		plans := make([]jobPlan, workers*perWorker)
		called := make([]atomic.Bool, len(plans))
		l := generated.NewFlakyLimiter(func(ctx context.Context, id int) (int, error) {
			if called[id].Swap(true) {
				c.errorf("%s: call %d ran twice", where, id)
			}
			if r := running.Add(1); r > maxLimit {
				c.errorf("%s: %d calls running at once, max=%d", where, r, maxLimit)
			}
			defer running.Add(-1)
			switch plans[id] {
			case planFail:
				return 0, fmt.Errorf("call %d: %w", id, errChaos)
			case planWaitCtx:
				return 0, fmt.Errorf("call %d: %w", id, context.DeadlineExceeded)
			case planPanic:
				panic(chaosPanic{id})
			case planBusy:
				// A call that holds its slot a while: concurrency comes from
				// calls that wait, not from the two cores.
				time.Sleep(100 * time.Microsecond)
			}
			return 2*id + 1, nil
		})
		var rejected atomic.Uint64
		var wg sync.WaitGroup
		for w := range workers {
			rng := c.fork()
			wg.Go(func() {
				for k := range perWorker {
					id := w*perWorker + k
					switch r := rng.IntN(100); {
					case r < 5:
						plans[id] = planFail
					case r < 7:
						plans[id] = planWaitCtx
					case r < 10:
						plans[id] = planPanic
					case r < 90:
						plans[id] = planBusy
					}
					out, pv, err := limiterExecute(l, id)
					ran := called[id].Load()
					switch {
					case err == generated.ErrFlakyLimiterLimited:
						rejected.Add(1)
						if ran {
							c.errorf("%s: call %d ran and returned ErrLimited", where, id)
						}
						// Back off, as a client would: a rejected worker
						// that retried at once would spend its calls
						// before the limit grows, and leave too few
						// callers to fill it.
						time.Sleep(50 * time.Microsecond)
					case !ran:
						c.errorf("%s: call %d did not run and returned %d, %v", where, id, out, err)
					case plans[id] == planPanic:
						if pv != (chaosPanic{id}) {
							c.errorf("%s: call %d panicked, Execute panicked with %v", where, id, pv)
						}
					case plans[id] == planFail:
						if !errors.Is(err, errChaos) {
							c.errorf("%s: failed call %d = %v", where, id, err)
						}
					case plans[id] == planWaitCtx:
						if !errors.Is(err, context.DeadlineExceeded) {
							c.errorf("%s: timed-out call %d = %v", where, id, err)
						}
					case out != 2*id+1 || err != nil:
						c.errorf("%s: call %d = %d, %v, want %d, nil", where, id, out, err, 2*id+1)
					}
					if k%16 == 0 {
						if st := l.Stats(); st.Limit < minLimit || st.Limit > maxLimit {
							c.errorf("%s: limit %d, outside [%d, %d]", where, st.Limit, minLimit, maxLimit)
						}
					}
					c.op()
				}
			})
		}
		wg.Wait()
		st := l.Stats()
		if st.InFlight != 0 || st.Rejected != rejected.Load() || st.Limit < minLimit || st.Limit > maxLimit {
			c.errorf("%s: Stats at the end %+v, want nothing in flight, %d rejected, a limit in [%d, %d]",
				where, st, rejected.Load(), minLimit, maxLimit)
		}
		c.op()
	}
}

// limiterExecute calls Execute, recovering a panic.
func limiterExecute(l *generated.FlakyLimiter, id int) (out int, panicked any, err error) {
	defer func() { panicked = recover() }()
	out, err = l.Execute(context.Background(), id)
	return out, nil, err
}
