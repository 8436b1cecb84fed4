package generated_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/monogen/monogen/generated"
)

// TestGeneratedPoolHooksReportRejectedDroppedAndPanickedJobs drives
// HookedPool, whose onreject=, ondrop= and onpanic= are package-level
// functions: each is called with the job, as the template's Hooks are.
func TestGeneratedPoolHooksReportRejectedDroppedAndPanickedJobs(t *testing.T) {
	ev := &generated.HookedEvents
	ev.Lock()
	ev.Rejected, ev.Dropped, ev.Panicked = map[int]error{}, nil, map[int]error{}
	ev.Unlock()
	p := generated.NewHookedPool(nil)
	for _, x := range []int{-1, 0} {
		if err := p.Submit(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	<-generated.HookedStarted // job -1 panicked before job 0 started
	for i := 1; i <= 2; i++ {
		if err := p.TrySubmit(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.TrySubmit(3); !errors.Is(err, generated.ErrHookedPoolFull) {
		t.Fatalf("TrySubmit on a full queue: %v, want ErrHookedPoolFull", err)
	}
	unrun, err := p.Shutdown(context.Background())
	if err != nil || len(unrun) != 2 {
		t.Fatalf("Shutdown = %v, %v; want jobs 1 and 2", unrun, err)
	}
	if err := p.Submit(context.Background(), 4); !errors.Is(err, generated.ErrHookedPoolClosed) {
		t.Fatalf("Submit after Shutdown: %v, want ErrHookedPoolClosed", err)
	}
	ev.Lock()
	defer ev.Unlock()
	var pe *generated.HookedPoolPanicError
	if len(ev.Panicked) != 1 || !errors.As(ev.Panicked[-1], &pe) {
		t.Errorf("onpanic saw %v, want job -1 with a *HookedPoolPanicError", ev.Panicked)
	}
	if len(ev.Rejected) != 2 || !errors.Is(ev.Rejected[3], generated.ErrHookedPoolFull) || !errors.Is(ev.Rejected[4], generated.ErrHookedPoolClosed) {
		t.Errorf("onreject saw %v, want 3 with ErrHookedPoolFull and 4 with ErrHookedPoolClosed", ev.Rejected)
	}
	if len(ev.Dropped) != 2 || ev.Dropped[0]+ev.Dropped[1] != 3 {
		t.Errorf("ondrop saw %v, want jobs 1 and 2", ev.Dropped)
	}
	if s := p.Stats(); s.QueueWait.Count != 2 || s.RunTime.Count != 2 {
		t.Errorf("QueueWait.Count %d, RunTime.Count %d; want 2 and 2 (jobs -1 and 0 ran)", s.QueueWait.Count, s.RunTime.Count)
	}
}

// TestGeneratedPoolHistogramsTimeQueueWaitAndRunTime runs three 10ms jobs
// on StressPool's generated code in a synctest bubble: with three workers
// none waits, and each runs 10ms, in the bucket (4.096ms, 16.384ms].
func TestGeneratedPoolHistogramsTimeQueueWaitAndRunTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nap := func(_ context.Context, x int) (int, error) {
			time.Sleep(10 * time.Microsecond)
			return x, nil
		}
		p := generated.NewStressPool(nap, nil)
		for i := range 3 {
			if err := p.Submit(context.Background(), i); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if s := p.Stats(); s.Workers != 3 || s.Busy != 3 || s.Idle != 0 {
			t.Errorf("running 3 jobs: Workers %d, Busy %d, Idle %d; want 3, 3, 0", s.Workers, s.Busy, s.Idle)
		}
		p.Close()
		s := p.Stats()
		var wantWait, wantRun [15]uint64
		wantWait[0], wantRun[2] = 3, 3 // 10µs is in (4µs, 16µs]
		if s.QueueWait.Counts != wantWait || s.QueueWait.Sum != 0 {
			t.Errorf("QueueWait = %+v, want counts %v, sum 0", s.QueueWait, wantWait)
		}
		if s.RunTime.Counts != wantRun || s.RunTime.Count != 3 || s.RunTime.Sum != 30*time.Microsecond {
			t.Errorf("RunTime = %+v, want counts %v, count 3, sum 30µs", s.RunTime, wantRun)
		}
	})
}

// doneSpy is a context that closes asked the first time its Done method
// is called: a Submit waiting for room calls it as it parks.
type doneSpy struct {
	context.Context
	once  sync.Once
	asked chan struct{}
}

func (c *doneSpy) Done() <-chan struct{} {
	c.once.Do(func() { close(c.asked) })
	return c.Context.Done()
}

// TestGeneratedPoolStatsSubmittedCountsNoJobWaitingForRoom holds
// ChaosPool's three workers in jobs 0 to 2 and fills its queue of 8: a
// Submit parked for room is not counted in Submitted, before or after its
// context ends, and a Map's items are counted, not the tasks it queues.
func TestGeneratedPoolStatsSubmittedCountsNoJobWaitingForRoom(t *testing.T) {
	started, release := make(chan int, 3), make(chan struct{})
	p := generated.NewChaosPool(func(_ context.Context, x int) (int, error) {
		if x < 3 {
			started <- x
			<-release
		}
		return x, nil
	}, nil)
	defer p.Close()
	for i := range 11 {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
		if i < 3 {
			<-started // one worker per job: the queue holds jobs 3 to 10
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	spy := &doneSpy{Context: ctx, asked: make(chan struct{})}
	refused := make(chan error)
	go func() { refused <- p.Submit(spy, 11) }()
	<-spy.asked // job 11 waits for room
	check := func(when string) {
		t.Helper()
		if s := p.Stats(); s.Submitted != 11 || s.Queued != 8 || s.InFlight != 3 {
			t.Errorf("%s: Submitted %d, Queued %d, InFlight %d; want 11, 8, 3", when, s.Submitted, s.Queued, s.InFlight)
		}
	}
	check("while job 11 waits for room")
	cancel()
	if err := <-refused; !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit with its context cancelled: %v, want context.Canceled", err)
	}
	check("once job 11 is refused")
	close(release)
	items := make([]int, 100)
	for i := range items {
		items[i] = 3 + i // no item holds its worker
	}
	if _, err := p.Map(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if s := p.Stats(); s.Submitted != 111 || s.Completed != 111 {
		t.Errorf("after Close: Submitted %d, Completed %d; want 111 and 111 (11 jobs, 100 Map items)", s.Submitted, s.Completed)
	}
}

// TestGeneratedSemaphoreStatsAndOnWait drives WatchedSlots (metrics=true)
// and ObservedSlots (onwait=slotWaited) in a synctest bubble: an Acquire
// that waits 10ms for a release and one whose context ends after 5ms are
// counted and timed, and reported to the hook.
func TestGeneratedSemaphoreStatsAndOnWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		generated.SlotWaits.Lock()
		generated.SlotWaits.Waited, generated.SlotWaits.Errs = nil, nil
		generated.SlotWaits.Unlock()
		type slots interface {
			Acquire(context.Context) error
			AcquireN(context.Context, int64) error
			Release()
		}
		watched := generated.NewWatchedSlots()
		for _, s := range []slots{watched, generated.NewObservedSlots()} {
			if err := s.AcquireN(context.Background(), 64); err != nil {
				t.Fatal(err)
			}
			granted := make(chan error)
			go func() { granted <- s.Acquire(context.Background()) }()
			time.Sleep(10 * time.Millisecond)
			s.Release()
			if err := <-granted; err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
			if err := s.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Acquire with every unit held: %v, want DeadlineExceeded", err)
			}
			cancel()
		}
		st := watched.Stats()
		var want [15]uint64
		want[7] = 2 // 5ms and 10ms are both in (4.096ms, 16.384ms]
		if st.Capacity != 64 || st.Held != 64 || st.Waits != 2 || st.Canceled != 1 || st.WaitTime.Counts != want || st.WaitTime.Sum != 15*time.Millisecond {
			t.Errorf("WatchedSlots.Stats = %+v, want capacity and held 64, 2 waits, 1 canceled, WaitTime counts %v, sum 15ms", st, want)
		}
		w := &generated.SlotWaits
		w.Lock()
		defer w.Unlock()
		if len(w.Waited) != 2 || w.Waited[0] != 10*time.Millisecond || w.Waited[1] != 5*time.Millisecond ||
			w.Errs[0] != nil || !errors.Is(w.Errs[1], context.DeadlineExceeded) {
			t.Errorf("onwait saw %v, %v; want 10ms, nil then 5ms, DeadlineExceeded", w.Waited, w.Errs)
		}
	})
}

// TestGeneratedPoolOnPanicSeesMapItemsThatPanic runs a Map batch on
// HookedPool with an item that panics: onpanic= is called with it, as for
// a submitted job, and Map reports it as the item's *HookedPoolPanicError.
func TestGeneratedPoolOnPanicSeesMapItemsThatPanic(t *testing.T) {
	ev := &generated.HookedEvents
	ev.Lock()
	ev.Rejected, ev.Dropped, ev.Panicked = map[int]error{}, nil, map[int]error{}
	ev.Unlock()
	p := generated.NewHookedPool(nil)
	defer p.Close()
	_, err := p.Map(context.Background(), []int{1, 2, -1, 3})
	var pe *generated.HookedPoolPanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Map = %v, want the panic of item -1", err)
	}
	ev.Lock()
	defer ev.Unlock()
	if len(ev.Panicked) != 1 || !errors.As(ev.Panicked[-1], &pe) {
		t.Errorf("onpanic saw %v, want item -1 with a *HookedPoolPanicError", ev.Panicked)
	}
}
