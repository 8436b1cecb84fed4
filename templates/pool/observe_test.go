package pool_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/monogen/monogen/templates/pool"
)

// TestStatsHistogramsTimeQueueWaitAndRunTime runs three 10ms jobs on one
// worker in a synctest bubble, where time moves only by the jobs' sleeps:
// they wait 0, 10ms and 20ms in the queue and each runs 10ms.
func TestStatsHistogramsTimeQueueWaitAndRunTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nap := func(_ context.Context, x int) (int, error) {
			time.Sleep(10 * time.Millisecond)
			return x, nil
		}
		p := pool.New(nap, nil, pool.Config{Workers: 1, Metrics: true})
		for i := range 3 {
			if err := p.Submit(context.Background(), i); err != nil {
				t.Fatal(err)
			}
		}
		p.Close()
		s := p.Stats()
		// Buckets: 0 is up to 1µs, 7 is (4.096ms, 16.384ms], 8 is
		// (16.384ms, 65.536ms].
		var wantWait, wantRun [15]uint64
		wantWait[0], wantWait[7], wantWait[8] = 1, 1, 1
		wantRun[7] = 3
		if s.QueueWait.Counts != wantWait || s.QueueWait.Count != 3 || s.QueueWait.Sum != 30*time.Millisecond {
			t.Errorf("QueueWait = %+v, want counts %v, count 3, sum 30ms", s.QueueWait, wantWait)
		}
		if s.RunTime.Counts != wantRun || s.RunTime.Count != 3 || s.RunTime.Sum != 30*time.Millisecond {
			t.Errorf("RunTime = %+v, want counts %v, count 3, sum 30ms", s.RunTime, wantRun)
		}
		if b := s.RunTime.Bounds; b[0] != time.Microsecond || b[7] != 16384*time.Microsecond || b[13] != 67108864*time.Microsecond {
			t.Errorf("Bounds = %v, want powers of 4 from 1µs to 4^13µs", b)
		}
	})
}

// TestHistogramBucketBoundsAreInclusive observes durations on both sides
// of bucket bounds: a job that runs exactly 4µs is in the bucket bounded by
// 4µs, one of 4µs+1ns in the next.
func TestHistogramBucketBoundsAreInclusive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		durations := []time.Duration{0, time.Microsecond, time.Microsecond + 1, 4 * time.Microsecond, 4*time.Microsecond + 1, 100 * time.Second}
		nap := func(_ context.Context, x int) (int, error) {
			time.Sleep(durations[x])
			return x, nil
		}
		p := pool.New(nap, nil, pool.Config{Workers: 1, Metrics: true})
		for i := range durations {
			if err := p.Submit(context.Background(), i); err != nil {
				t.Fatal(err)
			}
		}
		p.Close()
		var want [15]uint64
		want[0], want[1], want[2], want[14] = 2, 2, 1, 1
		if got := p.Stats().RunTime.Counts; got != want {
			t.Errorf("RunTime.Counts = %v, want %v", got, want)
		}
	})
}

// TestStatsCountBusyAndIdleWorkers holds two of three workers in their
// jobs: Stats shows 2 busy and 1 idle, then none busy once they finish.
func TestStatsCountBusyAndIdleWorkers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		p := pool.New(g.job, nil, pool.Config{Workers: 3, Metrics: true})
		defer p.Close()
		for i := range 2 {
			if err := p.Submit(context.Background(), i); err != nil {
				t.Fatal(err)
			}
		}
		<-g.started
		<-g.started
		synctest.Wait() // the third worker parked
		if s := p.Stats(); s.Workers != 3 || s.Busy != 2 || s.Idle != 1 {
			t.Errorf("with 2 jobs running: Workers %d, Busy %d, Idle %d; want 3, 2, 1", s.Workers, s.Busy, s.Idle)
		}
		close(g.release)
		synctest.Wait() // every worker parked again
		if s := p.Stats(); s.Workers != 3 || s.Busy != 0 || s.Idle != 3 {
			t.Errorf("after the jobs: Workers %d, Busy %d, Idle %d; want 3, 0, 3", s.Workers, s.Busy, s.Idle)
		}
	})
}

// events records what a pool's hooks report.
type events struct {
	mu       sync.Mutex
	rejected map[int]error
	dropped  []int
	panicked map[int]error
}

func newEvents() *events {
	return &events{rejected: map[int]error{}, panicked: map[int]error{}}
}

func (e *events) hooks() pool.Hooks[int, int] {
	return pool.Hooks[int, int]{
		Reject: func(in int, err error) { e.mu.Lock(); e.rejected[in] = err; e.mu.Unlock() },
		Drop:   func(in int) { e.mu.Lock(); e.dropped = append(e.dropped, in); e.mu.Unlock() },
		Panic:  func(in int, err error) { e.mu.Lock(); e.panicked[in] = err; e.mu.Unlock() },
	}
}

// TestHooksReportRejectedDroppedAndPanickedJobs: TrySubmit on a full queue
// and Submit after Shutdown report the job to Reject with their error,
// Shutdown reports each queued job it takes out to Drop, and a panicking
// job is reported to Panic with its *PanicError.
func TestHooksReportRejectedDroppedAndPanickedJobs(t *testing.T) {
	g := newGate()
	e := newEvents()
	job := func(ctx context.Context, x int) (int, error) {
		if x == 100 {
			panic(errSentinel)
		}
		return g.job(ctx, x)
	}
	p := pool.New(job, nil, pool.Config{Workers: 1, Queue: 2})
	p.SetHooks(e.hooks())
	if err := p.Submit(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	if err := p.Submit(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	<-g.started // 100 panicked before 0 started
	e.mu.Lock()
	var pe *pool.PanicError
	if err := e.panicked[100]; !errors.As(err, &pe) || !errors.Is(err, errSentinel) || len(e.panicked) != 1 {
		t.Errorf("Panic saw %v, want job 100 with a *PanicError of errSentinel", e.panicked)
	}
	e.mu.Unlock()
	for i := 1; i <= 2; i++ {
		if err := p.TrySubmit(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.TrySubmit(3); !errors.Is(err, pool.ErrFull) {
		t.Fatalf("TrySubmit on a full queue: %v, want ErrFull", err)
	}
	unrun, err := p.Shutdown(context.Background())
	if err != nil || len(unrun) != 2 {
		t.Fatalf("Shutdown = %v, %v; want jobs 1 and 2", unrun, err)
	}
	if err := p.Submit(context.Background(), 4); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("Submit after Shutdown: %v, want ErrClosed", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.rejected) != 2 || !errors.Is(e.rejected[3], pool.ErrFull) || !errors.Is(e.rejected[4], pool.ErrClosed) {
		t.Errorf("Reject saw %v, want 3 with ErrFull and 4 with ErrClosed", e.rejected)
	}
	if len(e.dropped) != 2 || e.dropped[0]+e.dropped[1] != 3 {
		t.Errorf("Drop saw %v, want jobs 1 and 2", e.dropped)
	}
}

// TestSetHooksWithNilFunctionsCallsNothing: nil hooks are not called.
func TestSetHooksWithNilFunctionsCallsNothing(t *testing.T) {
	p := pool.New(panicky, nil, pool.Config{Workers: 1, Queue: 2})
	p.SetHooks(pool.Hooks[int, int]{})
	if err := p.Submit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if err := p.TrySubmit(2); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("TrySubmit after Close: %v, want ErrClosed", err)
	}
}

// TestStatsCountEveryCheapJobOnceClosed runs many jobs cheap enough that
// workers time them by claim and tally them before adding them to Stats:
// once Close has returned, every job is in the counts and histograms, and
// the tallies of retired workers are not lost.
func TestStatsCountEveryCheapJobOnceClosed(t *testing.T) {
	p := pool.New(double, nil, pool.Config{Workers: 4, Queue: 1024, Metrics: true})
	const jobs = 200_000
	for i := range jobs {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
		if i == jobs/2 {
			p.Resize(2) // two workers retire, with whatever they tallied
		}
	}
	p.Close()
	s := p.Stats()
	if s.Submitted != jobs || s.Completed != jobs || s.Failed != 0 || s.InFlight != 0 {
		t.Errorf("Stats = %+v, want %d submitted and completed, none failed or in flight", s, jobs)
	}
	if s.QueueWait.Count != jobs || s.RunTime.Count != jobs {
		t.Errorf("QueueWait.Count %d, RunTime.Count %d; want %d each", s.QueueWait.Count, s.RunTime.Count, jobs)
	}
	if s.Busy != 0 {
		t.Errorf("Busy %d after Close, want 0", s.Busy)
	}
}

// TestStatsHistogramsCountMapItems: once Map has returned, each of its
// items is in QueueWait and RunTime.
func TestStatsHistogramsCountMapItems(t *testing.T) {
	p := pool.New(double, nil, pool.Config{Workers: 2, Metrics: true})
	defer p.Close()
	ins := make([]int, 10_000)
	if _, err := p.Map(context.Background(), ins); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	if s.QueueWait.Count != 10_000 || s.RunTime.Count != 10_000 || s.Completed != 10_000 {
		t.Errorf("after Map of 10000: QueueWait.Count %d, RunTime.Count %d, Completed %d; want 10000 each",
			s.QueueWait.Count, s.RunTime.Count, s.Completed)
	}
}

// doneSpy is a context that closes asked the first time its Done method
// is called: a Submit waiting for room calls it as it parks.
type doneSpy struct {
	context.Context
	once  sync.Once
	asked chan struct{}
}

func newDoneSpy(ctx context.Context) *doneSpy {
	return &doneSpy{Context: ctx, asked: make(chan struct{})}
}

func (c *doneSpy) Done() <-chan struct{} {
	c.once.Do(func() { close(c.asked) })
	return c.Context.Done()
}

// TestStatsSubmittedCountsNoJobWaitingForRoom: a Submit parked on a full
// queue has not been accepted, so Submitted does not count it, and every
// job submitted is queued or in flight; once its context ends and it
// returns the error, the counts are unchanged. (Submitted used to be
// counted before the send, a locked instruction on every Submit, and
// counted the parked job too.)
func TestStatsSubmittedCountsNoJobWaitingForRoom(t *testing.T) {
	g := newGate()
	p := pool.New(g.job, nil, pool.Config{Workers: 1, Queue: 2, Metrics: true})
	defer p.Close()
	for i := range 3 {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			<-g.started // the worker holds job 0; jobs 1 and 2 fill the queue
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	spy := newDoneSpy(ctx)
	refused := make(chan error)
	go func() { refused <- p.Submit(spy, 3) }()
	<-spy.asked // job 3 waits for room
	check := func(when string) {
		t.Helper()
		s := p.Stats()
		if s.Submitted != 3 || s.Queued != 2 || s.InFlight != 1 || s.Submitted != uint64(s.Queued)+uint64(s.InFlight) {
			t.Errorf("%s: Submitted %d, Queued %d, InFlight %d; want 3, 2, 1", when, s.Submitted, s.Queued, s.InFlight)
		}
	}
	check("while job 3 waits for room")
	cancel()
	if err := <-refused; !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit with its context cancelled: %v, want context.Canceled", err)
	}
	check("once job 3 is refused")
	close(g.release)
	p.Close()
	if s := p.Stats(); s.Submitted != 3 || s.Completed != 3 {
		t.Errorf("after Close: Submitted %d, Completed %d; want 3 and 3", s.Submitted, s.Completed)
	}
}

// TestStatsSubmittedCountsMapItemsNotTheirTasks: a Map call counts its
// items as submitted, and not the tasks it queues for its helping workers,
// which the queue counts with the jobs of Submit.
func TestStatsSubmittedCountsMapItemsNotTheirTasks(t *testing.T) {
	p := pool.New(double, nil, pool.Config{Workers: 3, Metrics: true})
	for i := range 5 {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Map(context.Background(), make([]int, 100)); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if s := p.Stats(); s.Submitted != 105 || s.Completed != 105 {
		t.Errorf("after 5 jobs and a Map of 100: Submitted %d, Completed %d; want 105 and 105", s.Submitted, s.Completed)
	}
}

// TestStatsHistogramsSumTheWaitsOfCheapJobs holds the one worker in job 0
// for 10ms, in a synctest bubble, while 200 cheap jobs queue: each of them
// waits 10ms and runs in no time. The worker times the first claim job by
// job, then takes the others in batched claims, whose waits it tallies by
// run of jobs queued at the same time: counts and sums are exact either
// way. Once the jobs are done, the worker is idle.
func TestStatsHistogramsSumTheWaitsOfCheapJobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		job := func(ctx context.Context, x int) (int, error) {
			if x == 0 {
				return g.job(ctx, x)
			}
			return x, nil
		}
		p := pool.New(job, nil, pool.Config{Workers: 1, Metrics: true})
		defer p.Close()
		if err := p.Submit(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		<-g.started
		const cheap = 200
		for i := 1; i <= cheap; i++ {
			if err := p.Submit(context.Background(), i); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(10 * time.Millisecond)
		close(g.release)
		synctest.Wait() // every job done, the worker parked
		s := p.Stats()
		// Bucket 7 is (4.096ms, 16.384ms].
		var wantWait, wantRun [15]uint64
		wantWait[0], wantWait[7] = 1, cheap
		wantRun[0], wantRun[7] = cheap, 1
		if s.QueueWait.Counts != wantWait || s.QueueWait.Count != cheap+1 || s.QueueWait.Sum != cheap*10*time.Millisecond {
			t.Errorf("QueueWait = %+v, want counts %v, count %d, sum %v", s.QueueWait, wantWait, cheap+1, cheap*10*time.Millisecond)
		}
		if s.RunTime.Counts != wantRun || s.RunTime.Count != cheap+1 || s.RunTime.Sum != 10*time.Millisecond {
			t.Errorf("RunTime = %+v, want counts %v, count %d, sum 10ms", s.RunTime, wantRun, cheap+1)
		}
		if s.Submitted != cheap+1 || s.Completed != cheap+1 || s.InFlight != 0 {
			t.Errorf("Submitted %d, Completed %d, InFlight %d; want %d, %d, 0", s.Submitted, s.Completed, s.InFlight, cheap+1, cheap+1)
		}
		if s.Workers != 1 || s.Busy != 0 || s.Idle != 1 || int(s.Busy)+s.Idle != s.Workers {
			t.Errorf("Workers %d, Busy %d, Idle %d; want 1, 0, 1", s.Workers, s.Busy, s.Idle)
		}
	})
}

// TestPanicHookSeesMapItemsThatPanic: a Map item that panics is reported to
// Panic with its *PanicError, as a submitted job is, with or without a
// timeout (which runs items through the path that times each call).
func TestPanicHookSeesMapItemsThatPanic(t *testing.T) {
	for _, timeout := range []time.Duration{0, time.Hour} {
		e := newEvents()
		job := func(_ context.Context, x int) (int, error) {
			if x == 100 {
				panic(errSentinel)
			}
			return x, nil
		}
		p := pool.New(job, nil, pool.Config{Workers: 2, Queue: 2, Timeout: timeout})
		p.SetHooks(e.hooks())
		_, err := p.Map(context.Background(), []int{1, 2, 100, 3})
		p.Close()
		var pe *pool.PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("timeout %v: Map = %v, want the panic of item 100", timeout, err)
		}
		e.mu.Lock()
		if err := e.panicked[100]; !errors.As(err, &pe) || !errors.Is(err, errSentinel) || len(e.panicked) != 1 {
			t.Errorf("timeout %v: Panic saw %v, want item 100 with a *PanicError of errSentinel", timeout, e.panicked)
		}
		e.mu.Unlock()
	}
}
