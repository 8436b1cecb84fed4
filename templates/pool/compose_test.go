package pool_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/monogen/monogen/templates/pool"
)

// tokens is a fake rate limiter: it admits its first n waits at once and
// holds every later one until its context is done, as a limiter whose next
// token is far away would. It records each wait's context.
type tokens struct {
	mu       sync.Mutex
	left     int
	waits    int
	ctxs     []context.Context
	held     chan struct{} // one send per wait held back
	err      error         // when set, every wait fails with it at once
	admitted atomic.Int64
}

func newTokens(n int) *tokens { return &tokens{left: n, held: make(chan struct{}, 1024)} }

func (l *tokens) Wait(ctx context.Context) error {
	l.mu.Lock()
	l.waits++
	l.ctxs = append(l.ctxs, ctx)
	ok := l.left > 0
	if ok {
		l.left--
	}
	err := l.err
	l.mu.Unlock()
	switch {
	case err != nil:
		return err
	case ok:
		l.admitted.Add(1)
		return nil
	}
	l.held <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

func (l *tokens) waited() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waits
}

var _ pool.Limiter = (*tokens)(nil)

func TestRateWaitsBeforeEveryAttempt(t *testing.T) {
	lim := newTokens(1 << 20)
	var calls, early atomic.Int64
	fn := func(_ context.Context, x int) (int, error) {
		// Every attempt is preceded by its own wait.
		if calls.Add(1) > lim.admitted.Load() {
			early.Add(1)
		}
		if x < 0 {
			return 0, errors.New("negative")
		}
		return 2 * x, nil
	}
	r := newResults[int, int]()
	p := pool.New(fn, r.handle, pool.Config{Workers: 3, Retries: 2, Rate: lim})
	for i := range 50 {
		if err := p.Submit(context.Background(), i-10); err != nil {
			t.Fatal(err)
		}
	}
	outs, err := p.Map(context.Background(), []int{1, 2, 3, 4})
	if err != nil || outs[3] != 8 {
		t.Fatalf("Map = %v, %v; want [2 4 6 8], nil", outs, err)
	}
	p.Close()
	// 40 jobs and 4 items succeed at once; 10 jobs fail three attempts.
	if want := 40 + 4 + 10*3; calls.Load() != int64(want) || lim.waited() != want {
		t.Fatalf("%d calls and %d waits, want %d of each", calls.Load(), lim.waited(), want)
	}
	if early.Load() != 0 {
		t.Fatalf("%d attempts ran before their wait", early.Load())
	}
	if len(r.errs) != 10 {
		t.Fatalf("%d jobs failed, want 10", len(r.errs))
	}
}

func TestRateWaitUsesTheJobsContext(t *testing.T) {
	lim := newTokens(1 << 20)
	var callHasDeadline atomic.Bool
	fn := func(ctx context.Context, x int) (int, error) {
		_, ok := ctx.Deadline()
		callHasDeadline.Store(ok)
		return x, nil
	}
	p := pool.New(fn, nil, pool.Config{Workers: 1, Timeout: 1 << 40, Rate: lim})
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "batch")
	if _, err := p.Map(ctx, []int{1}); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if !callHasDeadline.Load() {
		t.Fatal("the call's context has no deadline: Timeout was not applied")
	}
	got := lim.ctxs[0]
	if _, ok := got.Deadline(); ok {
		t.Fatal("the wait's context has the attempt's deadline; want the job's context, bounded by Timeout only for the call")
	}
	if got.Value(key{}) != "batch" {
		t.Fatal("the wait's context does not carry Map's context values")
	}
}

func TestRateWaitErrorFailsTheJob(t *testing.T) {
	errQuota := errors.New("quota exhausted")
	lim := newTokens(0)
	lim.err = errQuota
	var calls atomic.Int64
	fn := func(_ context.Context, x int) (int, error) { calls.Add(1); return x, nil }
	r := newResults[int, int]()
	p := pool.New(fn, r.handle, pool.Config{Workers: 2, Metrics: true, Rate: lim})
	for i := range 5 {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	_, err := p.Map(context.Background(), []int{10, 11, 12})
	if !errors.Is(err, errQuota) {
		t.Fatalf("Map error = %v, want one wrapping %v", err, errQuota)
	}
	p.Close()
	if calls.Load() != 0 {
		t.Fatalf("%d jobs ran although their wait failed", calls.Load())
	}
	for i := range 5 {
		if r.n[i] != 1 || !errors.Is(r.errs[i], errQuota) {
			t.Fatalf("job %d: delivered %d times with %v; want once with %v", i, r.n[i], r.errs[i], errQuota)
		}
	}
	st := p.Stats()
	if st.Submitted != 8 || st.Failed != 8 || st.Completed != 0 {
		t.Fatalf("Stats = %+v; want 8 submitted, 8 failed", st)
	}
}

func TestRatePacesJobsAndShutdownEndsTheWaits(t *testing.T) {
	lim := newTokens(3)
	var calls atomic.Int64
	fn := func(_ context.Context, x int) (int, error) { calls.Add(1); return x, nil }
	r := newResults[int, int]()
	p := pool.New(fn, r.handle, pool.Config{Workers: 2, Metrics: true, Rate: lim})
	for i := range 6 {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	// Three jobs get a token; each worker then waits for one.
	<-lim.held
	<-lim.held
	unrun, err := p.Shutdown(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d jobs ran, want the 3 the limiter admitted", calls.Load())
	}
	canceled := 0
	for in, e := range r.errs {
		if !errors.Is(e, context.Canceled) {
			t.Fatalf("job %d failed with %v, want context.Canceled", in, e)
		}
		canceled++
	}
	if canceled != 2 || len(r.outs) != 3 || len(unrun) != 1 {
		t.Fatalf("%d ran, %d cancelled in their wait, %d unrun; want 3, 2, 1", len(r.outs), canceled, len(unrun))
	}
	if st := p.Stats(); st.Submitted != 6 || st.Completed != 3 || st.Failed != 2 || st.Unrun != 1 {
		t.Fatalf("Stats = %+v; want 6 submitted = 3 completed + 2 failed + 1 unrun", st)
	}
}

// flipBreaker is a fake circuit breaker: it runs its function until it has
// failed `trip` times, then rejects every call with errOpen.
type flipBreaker struct {
	fn       func(context.Context, int) (int, error)
	trip     int
	failures atomic.Int64
	rejected atomic.Int64
}

var errOpen = errors.New("circuit open")

func (b *flipBreaker) Execute(ctx context.Context, in int) (int, error) {
	if b.failures.Load() >= int64(b.trip) {
		b.rejected.Add(1)
		return 0, errOpen
	}
	out, err := b.fn(ctx, in)
	if err != nil {
		b.failures.Add(1)
	}
	return out, err
}

var _ pool.Executor[int, int] = (*flipBreaker)(nil)

func TestBreakerAsTheJobFunction(t *testing.T) {
	var calls atomic.Int64
	b := &flipBreaker{trip: 2, fn: func(_ context.Context, x int) (int, error) {
		calls.Add(1)
		if x < 0 {
			return 0, errors.New("negative")
		}
		return x, nil
	}}
	r := newResults[int, int]()
	p := pool.New(b.Execute, r.handle, pool.Config{Workers: 1, Retries: 1, Metrics: true})
	submit := func(x int) {
		if err := p.Submit(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	submit(1)
	submit(-1) // fails twice: the breaker opens
	submit(2)  // rejected, and so is its retry
	if _, err := p.Map(context.Background(), []int{3, 4}); !errors.Is(err, errOpen) {
		t.Fatalf("Map error = %v, want one wrapping errOpen", err)
	}
	p.Close()
	if calls.Load() != 3 {
		t.Fatalf("the function ran %d times, want 3 (job 1, two attempts of job -1)", calls.Load())
	}
	if !errors.Is(r.errs[2], errOpen) || r.outs[1] != 1 {
		t.Fatalf("job 2 failed with %v, want errOpen; job 1 gave %d, want 1", r.errs[2], r.outs[1])
	}
	if st := p.Stats(); st.Completed != 1 || st.Failed != 4 || st.Retried != 3 {
		t.Fatalf("Stats = %+v; want 1 completed, 4 failed (2 jobs, 2 Map items), 3 retried", st)
	}
}
