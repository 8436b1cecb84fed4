package pool_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/templates/pool"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// results collects what a pool delivers to its handler.
type results[In comparable, Out any] struct {
	mu   sync.Mutex
	outs map[In]Out
	errs map[In]error
	n    map[In]int // deliveries per input: must end at 1
}

func newResults[In comparable, Out any]() *results[In, Out] {
	return &results[In, Out]{outs: map[In]Out{}, errs: map[In]error{}, n: map[In]int{}}
}

func (r *results[In, Out]) handle(in In, out Out, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n[in]++
	if err != nil {
		r.errs[in] = err
	} else {
		r.outs[in] = out
	}
}

func double(_ context.Context, x int) (int, error) { return 2 * x, nil }

func TestSubmitDeliversEveryResult(t *testing.T) {
	r := newResults[int, int]()
	p := pool.New(double, r.handle, pool.Config{Workers: 3, Queue: 4})
	const jobs = 1000
	for i := range jobs {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatalf("Submit(%d): %v", i, err)
		}
	}
	p.Close()
	if len(r.n) != jobs {
		t.Fatalf("handler saw %d distinct jobs, want %d", len(r.n), jobs)
	}
	for i := range jobs {
		if r.n[i] != 1 || r.outs[i] != 2*i || r.errs[i] != nil {
			t.Fatalf("job %d: delivered %d times, out %d, err %v; want once, %d, nil", i, r.n[i], r.outs[i], r.errs[i], 2*i)
		}
	}
}

func TestNilHandler(t *testing.T) {
	var ran atomic.Int64
	p := pool.New(func(_ context.Context, x int) (int, error) {
		ran.Add(1)
		return x, errors.New("discarded")
	}, nil, pool.Config{Workers: 2})
	for i := range 100 {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	if ran.Load() != 100 {
		t.Fatalf("ran %d jobs, want 100", ran.Load())
	}
}

// gate is a job function whose jobs start, report it, and block until
// released or cancelled.
type gate struct {
	started chan int
	release chan struct{}
}

func newGate() *gate {
	return &gate{started: make(chan int, 1024), release: make(chan struct{})}
}

func (g *gate) job(ctx context.Context, x int) (int, error) {
	g.started <- x
	select {
	case <-g.release:
		return x, nil
	case <-ctx.Done():
		return x, ctx.Err()
	}
}

func TestTrySubmitFullAndClosed(t *testing.T) {
	g := newGate()
	p := pool.New(g.job, nil, pool.Config{Workers: 1, Queue: 2})
	if err := p.TrySubmit(0); err != nil {
		t.Fatal(err)
	}
	<-g.started // the worker holds job 0; the queue is empty
	for i := 1; i <= 2; i++ {
		if err := p.TrySubmit(i); err != nil {
			t.Fatalf("TrySubmit(%d) with room: %v", i, err)
		}
	}
	if err := p.TrySubmit(3); !errors.Is(err, pool.ErrFull) {
		t.Fatalf("TrySubmit on a full queue = %v, want ErrFull", err)
	}
	close(g.release)
	p.Close()
	if err := p.TrySubmit(4); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("TrySubmit after Close = %v, want ErrClosed", err)
	}
	if err := p.Submit(context.Background(), 4); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("Submit after Close = %v, want ErrClosed", err)
	}
	if _, err := p.Map(context.Background(), []int{1}); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("Map after Close = %v, want ErrClosed", err)
	}
}

func TestSubmitBlocksUntilRoomOrContextOrClose(t *testing.T) {
	g := newGate()
	p := pool.New(g.job, nil, pool.Config{Workers: 1, Queue: 2})
	for i := range 3 { // one running, two filling the queue
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			<-g.started
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	blocked := make(chan error)
	go func() { blocked <- p.Submit(ctx, 2) }()
	cancel()
	if err := <-blocked; !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit with a full queue and a cancelled context = %v, want context.Canceled", err)
	}

	// A Submit waiting for room is released by Close, not accepted later.
	go func() { blocked <- p.Submit(context.Background(), 3) }()
	closed := make(chan struct{})
	go func() {
		p.Close()
		close(closed)
	}()
	if err := <-blocked; err != nil && !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("Submit blocked across Close = %v, want nil or ErrClosed", err)
	}
	close(g.release)
	<-closed
}

func TestSubmitWaitsForRoom(t *testing.T) {
	g := newGate()
	r := newResults[int, int]()
	p := pool.New(g.job, r.handle, pool.Config{Workers: 1, Queue: 2})
	defer p.Close()
	for i := range 3 { // one running, two filling the queue
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			<-g.started
		}
	}
	if err := p.TrySubmit(3); !errors.Is(err, pool.ErrFull) {
		t.Fatalf("TrySubmit = %v, want ErrFull", err)
	}
	accepted := make(chan error)
	go func() { accepted <- p.Submit(context.Background(), 3) }()
	close(g.release) // the worker frees the queue; Submit(3) gets in
	if err := <-accepted; err != nil {
		t.Fatalf("blocked Submit = %v, want nil once room is made", err)
	}
	p.Close()
	if len(r.outs) != 4 {
		t.Fatalf("completed %v, want jobs 0 to 3", r.outs)
	}
}

func TestRetriesWithBackoff(t *testing.T) {
	var attempts sync.Map // job -> *atomic.Int64
	failUntil := func(_ context.Context, x int) (int, error) {
		a, _ := attempts.LoadOrStore(x, new(atomic.Int64))
		if n := a.(*atomic.Int64).Add(1); n <= int64(x) {
			return 0, errors.New("transient")
		}
		return x, nil
	}
	r := newResults[int, int]()
	p := pool.New(failUntil, r.handle, pool.Config{Workers: 2, Retries: 2, Backoff: time.Microsecond, Metrics: true})
	// Job x fails x times: 0..2 succeed within 2 retries, 3 and 4 fail.
	for x := range 5 {
		if err := p.Submit(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	for x := range 5 {
		a, _ := attempts.Load(x)
		got := a.(*atomic.Int64).Load()
		want := min(int64(x)+1, 3)
		if got != want {
			t.Errorf("job %d attempted %d times, want %d", x, got, want)
		}
		if succeeded := r.errs[x] == nil; succeeded != (x <= 2) {
			t.Errorf("job %d: err %v after %d attempts", x, r.errs[x], got)
		}
	}
	s := p.Stats()
	if s.Submitted != 5 || s.Completed != 3 || s.Failed != 2 || s.Retried != 0+1+2+2+2 || s.InFlight != 0 {
		t.Errorf("Stats = %+v, want 5 submitted, 3 completed, 2 failed, 7 retried, 0 in flight", s)
	}
}

func TestNoRetryAfterShutdownOrPanic(t *testing.T) {
	var attempts atomic.Int64
	fn := func(_ context.Context, x int) (int, error) {
		attempts.Add(1)
		panic("boom")
	}
	r := newResults[int, int]()
	p := pool.New(fn, r.handle, pool.Config{Workers: 1, Retries: 5})
	if err := p.Submit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if attempts.Load() != 1 {
		t.Errorf("a panicking job was attempted %d times, want 1 (no retry)", attempts.Load())
	}

	// A job failing with its context cancelled by Shutdown is not retried,
	// nor is the backoff waited out.
	attempts.Store(0)
	started := make(chan struct{})
	p = pool.New(func(ctx context.Context, x int) (int, error) {
		if attempts.Add(1) == 1 {
			close(started)
		}
		<-ctx.Done()
		return 0, ctx.Err()
	}, nil, pool.Config{Workers: 1, Retries: 5, Backoff: time.Hour})
	if err := p.Submit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	<-started
	if _, err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if attempts.Load() != 1 {
		t.Errorf("a job cancelled by Shutdown was attempted %d times, want 1", attempts.Load())
	}
}

func TestTimeoutCancelsEachAttempt(t *testing.T) {
	var attempts atomic.Int64
	wait := func(ctx context.Context, x int) (int, error) {
		attempts.Add(1)
		if _, ok := ctx.Deadline(); !ok {
			return 0, errors.New("no deadline on the job's context")
		}
		<-ctx.Done()
		return 0, ctx.Err()
	}
	r := newResults[int, int]()
	p := pool.New(wait, r.handle, pool.Config{Workers: 1, Timeout: time.Millisecond, Retries: 1})
	if err := p.Submit(context.Background(), 7); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if !errors.Is(r.errs[7], context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", r.errs[7])
	}
	if attempts.Load() != 2 {
		t.Fatalf("attempts = %d, want 2: a timed-out attempt is retried with a fresh timeout", attempts.Load())
	}
}

func panicky(_ context.Context, x int) (int, error) {
	if x%2 == 1 {
		panic(errSentinel)
	}
	return x, nil
}

var errSentinel = errors.New("sentinel")

func TestPanicIsTheJobsError(t *testing.T) {
	r := newResults[int, int]()
	p := pool.New(panicky, r.handle, pool.Config{Workers: 2})
	for i := range 10 {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	for i := range 10 {
		if i%2 == 0 {
			if r.errs[i] != nil || r.outs[i] != i {
				t.Errorf("job %d: %v, %v; want %d, nil", i, r.outs[i], r.errs[i], i)
			}
			continue
		}
		var pe *pool.PanicError
		if !errors.As(r.errs[i], &pe) {
			t.Fatalf("job %d: err %v, want a *PanicError", i, r.errs[i])
		}
		if !errors.Is(r.errs[i], errSentinel) {
			t.Errorf("job %d: errors.Is(err, the panic value) = false", i)
		}
		if !strings.Contains(string(pe.Stack), "panicky") {
			t.Errorf("job %d: stack does not name the panicking function:\n%s", i, pe.Stack)
		}
	}
}

// TestResize checks that added workers run queued jobs at once and that
// shrinking loses or repeats no job, busy workers included.
func TestResize(t *testing.T) {
	g := newGate()
	r := newResults[int, int]()
	p := pool.New(g.job, r.handle, pool.Config{Workers: 2, Queue: 64})
	for i := range 6 {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	<-g.started
	<-g.started
	p.Resize(6)
	if p.Size() != 6 {
		t.Fatalf("Size after Resize(6) = %d", p.Size())
	}
	for range 4 { // only the 4 new workers can take the 4 queued jobs
		<-g.started
	}
	p.Resize(0) // means 1
	if p.Size() != 1 {
		t.Fatalf("Size after Resize(0) = %d, want 1", p.Size())
	}
	for i := 6; i < 20; i++ {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		g.release <- struct{}{}
	}
	p.Close()
	p.Resize(3) // after Close: nothing to resize, and no worker started
	for i := range 20 {
		if r.n[i] != 1 || r.errs[i] != nil {
			t.Fatalf("job %d delivered %d times, err %v", i, r.n[i], r.errs[i])
		}
	}
}

func TestResizeShrinkStopsRetiredWorkers(t *testing.T) {
	var active, peak atomic.Int64
	started := make(chan struct{})
	releaseOld, releaseNew := make(chan struct{}), make(chan struct{})
	fn := func(_ context.Context, x int) (int, error) {
		if x < 4 { // the old jobs, one per worker
			started <- struct{}{}
			<-releaseOld
			return x, nil
		}
		a := active.Add(1)
		for {
			p := peak.Load()
			if a <= p || peak.CompareAndSwap(p, a) {
				break
			}
		}
		<-releaseNew
		active.Add(-1)
		return x, nil
	}
	p := pool.New(fn, nil, pool.Config{Workers: 4, Queue: 64})
	for i := range 4 {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	for range 4 {
		<-started // every worker is running an old job
	}
	p.Resize(1)
	for i := 4; i < 50; i++ {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	close(releaseOld)
	for range 46 {
		releaseNew <- struct{}{}
	}
	p.Close()
	// The three workers removed while busy must exit after their old job:
	// had one taken a new job, two new jobs would have been held at once.
	if peak.Load() != 1 {
		t.Fatalf("peak concurrency of new jobs %d after Resize(1), want 1", peak.Load())
	}
}

func TestShutdownReturnsUnrunJobs(t *testing.T) {
	g := newGate()
	r := newResults[int, int]()
	p := pool.New(g.job, r.handle, pool.Config{Workers: 2, Queue: 10, Metrics: true})
	for i := range 7 {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	running := map[int]bool{<-g.started: true, <-g.started: true}
	unrun, err := p.Shutdown(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(unrun) != 5 {
		t.Fatalf("Shutdown returned %v, want the 5 queued jobs", unrun)
	}
	for _, x := range unrun {
		if running[x] {
			t.Fatalf("Shutdown returned job %d, which was running", x)
		}
	}
	for x := range running {
		if !errors.Is(r.errs[x], context.Canceled) {
			t.Fatalf("running job %d: err %v, want context.Canceled", x, r.errs[x])
		}
	}
	if len(r.n) != 2 {
		t.Fatalf("handler saw %v, want only the 2 running jobs", r.n)
	}
	s := p.Stats()
	if s.Submitted != 7 || s.Failed != 2 || s.Unrun != 5 || s.InFlight != 0 || s.Queued != 0 {
		t.Fatalf("Stats = %+v", s)
	}
	if again, err := p.Shutdown(context.Background()); again != nil || err != nil {
		t.Fatalf("second Shutdown = %v, %v; want nil, nil", again, err)
	}
	p.Close()
}

func TestShutdownContextBoundsTheWait(t *testing.T) {
	stuck := make(chan struct{})
	started := make(chan struct{})
	p := pool.New(func(context.Context, int) (int, error) {
		close(started)
		<-stuck // ignores its context
		return 0, nil
	}, nil, pool.Config{Workers: 1})
	if err := p.Submit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown with a done context and a stuck job = %v, want context.Canceled", err)
	}
	close(stuck)
	p.Close() // waits for the stuck worker, so goleak sees none left
}

func TestShutdownDuringClose(t *testing.T) {
	g := newGate()
	r := newResults[int, int]()
	p := pool.New(g.job, r.handle, pool.Config{Workers: 1, Queue: 10})
	for i := range 5 {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	<-g.started
	closed := make(chan struct{})
	go func() {
		p.Close()
		close(closed)
	}()
	unrun, err := p.Shutdown(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	<-closed
	if len(unrun)+len(r.n) != 5 {
		t.Fatalf("unrun %v + delivered %v != 5 jobs", unrun, r.n)
	}
}

// TestBackoffDoublingDoesNotWrap: a Backoff of 2^62 doubles to more than
// the largest Duration; the delay before the second retry must not wrap
// around to a negative one and retry at once. In a synctest bubble, time
// passes only while every goroutine waits.
func TestBackoffDoublingDoesNotWrap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const backoff = 1 << 62
		var calls atomic.Int64
		p := pool.New(func(context.Context, int) (int, error) {
			calls.Add(1)
			return 0, errors.New("transient")
		}, nil, pool.Config{Workers: 1, Retries: 2, Backoff: backoff})
		if err := p.Submit(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		// The first retry comes within backoff; the second not before
		// another backoff/2.
		time.Sleep(backoff + time.Hour)
		if n := calls.Load(); n != 2 {
			t.Errorf("%d attempts after backoff+1h, want 2: the second retry must wait", n)
		}
		if _, err := p.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestBackoffAboveCapDoesNotShrink: a Backoff above the one-hour cap of
// the doubling stays as it is; it used to be cut to the cap after the
// first retry.
func TestBackoffAboveCapDoesNotShrink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const backoff = 2 * time.Hour
		var mu sync.Mutex
		var calls []time.Time
		p := pool.New(func(context.Context, int) (int, error) {
			mu.Lock()
			calls = append(calls, time.Now())
			mu.Unlock()
			return 0, errors.New("transient")
		}, nil, pool.Config{Workers: 1, Retries: 2, Backoff: backoff})
		if err := p.Submit(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		p.Close()
		if len(calls) != 3 {
			t.Fatalf("%d attempts, want 3", len(calls))
		}
		// Each delay is drawn from [d/2, d).
		for i, want := range []time.Duration{backoff / 2, backoff / 2} {
			if got := calls[i+1].Sub(calls[i]); got < want {
				t.Errorf("delay before retry %d: %v, want at least %v", i+1, got, want)
			}
		}
	})
}
