package bounded

import (
	"context"
	"time"

	"github.com/sony/gobreaker/v2"
	uber "go.uber.org/ratelimit"
	xsemaphore "golang.org/x/sync/semaphore"
	xrate "golang.org/x/time/rate"

	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/breaker"
	"github.com/monogen/monogen/templates/limiter"
	"github.com/monogen/monogen/templates/ratelimit"
	"github.com/monogen/monogen/templates/semaphore"
)

// Semaphores.

type sem interface {
	Acquire(ctx context.Context) error
	Release()
}

// semImpls builds each semaphore with capacity n. impl=generated is one
// more entry.
var semImpls = []struct {
	name string
	new  func(n int64) sem
}{
	{"template", func(n int64) sem { return semaphore.New(n) }},
	{"generated", func(n int64) sem {
		if n != 64 {
			panic("generated.BenchSlots has capacity 64")
		}
		return generated.NewBenchSlots()
	}},
	// n=4 config=true, given its capacity at run time.
	{"generated-config", func(n int64) sem { return generated.NewConfSlots(generated.ConfSlotsConfig{N: n}) }},
	{"xsemaphore", func(n int64) sem { return xsem{xsemaphore.NewWeighted(n)} }},
	{"channel", func(n int64) sem { return make(chanSem, n) }},
}

type xsem struct{ w *xsemaphore.Weighted }

func (s xsem) Acquire(ctx context.Context) error { return s.w.Acquire(ctx, 1) }
func (s xsem) Release()                          { s.w.Release(1) }

type chanSem chan struct{}

func (s chanSem) Acquire(ctx context.Context) error {
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
func (s chanSem) Release() { <-s }

// Rate limiters, configured to always admit.

type allower interface{ Allow() bool }

// unlimited is the rate of the token buckets: one token per nanosecond,
// far above what one Allow call can consume. The burst of 1<<40 tokens
// (18 minutes) keeps a caller descheduled between its clock read and its
// update, which finds the bucket advanced by others, from being refused.
const unlimited = 1e9

var tokenImpls = []struct {
	name string
	new  func() allower
}{
	{"template", func() allower {
		return ratelimit.New(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: time.Second / unlimited, Burst: 1 << 40})
	}},
	// rate=1000000000/s burst=1099511627776: the same bucket as a constant.
	{"generated", func() allower { return generated.NewBenchTokens() }},
	// The same bucket with config=true, its rate and burst given at run time.
	{"generated-config", func() allower {
		return generated.NewBenchConfTokens(generated.BenchConfTokensConfig{Rate: unlimited, Burst: 1 << 40})
	}},
	{"xrate", func() allower { return xrate.NewLimiter(unlimited, 1<<40) }},
	{"uber", func() allower { return uberTake{uber.New(unlimited)} }},
}

var windowImpls = []struct {
	name string
	new  func() allower
}{
	{"template", func() allower {
		// At most ~1e5 calls fit in a 1ms window: never limited.
		return ratelimit.New(ratelimit.Config{Algorithm: ratelimit.SlidingWindow, Limit: ratelimit.MaxLimit, Window: time.Millisecond})
	}},
	// limit=1048575 window=1ms: the same window as constants.
	{"generated", func() allower { return generated.NewBenchWindow() }},
}

// uberTake adapts go.uber.org/ratelimit, whose Take blocks instead of
// refusing; at unlimited it never has to.
type uberTake struct{ l uber.Limiter }

func (u uberTake) Allow() bool { u.l.Take(); return true }

// Breakers and limiters: a function from int to int.

type executor interface {
	Execute(ctx context.Context, req int) (int, error)
}

func work(_ context.Context, req int) (int, error) { return req, nil }

var breakerImpls = []struct {
	name string
	new  func() executor
}{
	{"template", func() executor { return breaker.New(work, nil, breaker.Config{}) }},
	// fn=Work, the defaults: the same breaker with the call bound.
	{"generated", func() executor { return generated.NewWorkBreaker() }},
	// fn=Work config=true: the defaults given at run time.
	{"generated-config", func() executor { return generated.NewBenchConfBreaker(generated.BenchConfBreakerConfig{}) }},
	{"gobreaker", func() executor {
		return gobreakerExec{gobreaker.NewCircuitBreaker[int](gobreaker.Settings{Name: "bench"})}
	}},
}

type gobreakerExec struct {
	cb *gobreaker.CircuitBreaker[int]
}

func (g gobreakerExec) Execute(ctx context.Context, req int) (int, error) {
	return g.cb.Execute(func() (int, error) { return work(ctx, req) })
}

var limiterImpls = []struct {
	name string
	new  func() executor
}{
	{"template", func() executor { return limiter.New(work, limiter.Config{Min: 2, Max: 256}) }},
	// fn=Work min=2 max=256.
	{"generated", func() executor { return generated.NewWorkLimiter() }},
	{"semaphore", func() executor { return semExec{semaphore.New(256)} }},
}

// semExec is the floor of a concurrency limiter: a fixed limit, rejecting
// when it is reached.
type semExec struct{ s *semaphore.Semaphore }

func (e semExec) Execute(ctx context.Context, req int) (int, error) {
	if !e.s.TryAcquire() {
		return 0, limiter.ErrLimited
	}
	defer e.s.Release()
	return work(ctx, req)
}
