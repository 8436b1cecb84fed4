package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/monogen/monogen/internal/testutil"
	"github.com/monogen/monogen/templates/ratelimit"
)

// rejection is one call of the reject hook.
type rejection struct {
	n   int
	err error
	on  uint64
}

// rejectLog records the calls of a limiter's reject hook.
type rejectLog struct {
	mu    sync.Mutex
	calls []rejection
}

func (l *rejectLog) hook(n int, err error) {
	id := testutil.GoroutineID()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, rejection{n, err, id})
}

func (l *rejectLog) take() []rejection {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = nil
	return c
}

// TestOnRejectReportsEachRefusedRequestOnTheCallersGoroutine empties a
// token bucket and a sliding window of two events an hour, then asks for
// more from a goroutine of its own: the hook sees each refused Allow and
// AllowN (with a nil error) and each failed Wait and WaitN (with its
// error) once, with the events asked for, on that goroutine, before the
// call returns; admitted requests, Reserve and n <= 0 call nothing.
func TestOnRejectReportsEachRefusedRequestOnTheCallersGoroutine(t *testing.T) {
	for _, algo := range []ratelimit.Algorithm{ratelimit.TokenBucket, ratelimit.SlidingWindow} {
		t.Run(map[ratelimit.Algorithm]string{ratelimit.TokenBucket: "token", ratelimit.SlidingWindow: "window"}[algo], func(t *testing.T) {
			t0 := time.Now()
			l := ratelimit.NewAt(ratelimit.Config{Algorithm: algo, Interval: time.Hour / 2, Burst: 2, Limit: 2, Window: time.Hour}, t0)
			var log rejectLog
			l.SetOnReject(log.hook)
			if !l.AllowAt(t0) || !l.AllowNAt(t0, 0) || l.WaitN(context.Background(), 0) != nil || !l.AllowNAt(t0, 1) {
				t.Fatal("the first two events were refused")
			}
			l.ReserveAt(t0).Cancel()
			if calls := log.take(); len(calls) != 0 {
				t.Fatalf("admitted requests and Reserve called the hook: %v", calls)
			}
			canceled, cancel := context.WithCancel(context.Background())
			cancel()
			soon, cancelSoon := context.WithTimeout(context.Background(), time.Minute)
			defer cancelSoon()
			type step struct {
				call func() bool // reports whether the request was refused
				n    int
				err  error
			}
			steps := []step{
				{func() bool { return !l.Allow() }, 1, nil},
				{func() bool { return !l.AllowAt(t0) }, 1, nil},
				{func() bool { return !l.AllowN(2) }, 2, nil},
				{func() bool { return !l.AllowNAt(t0, 3) }, 3, nil},
				{func() bool { return l.WaitN(context.Background(), 3) != nil }, 3, ratelimit.ErrExceedsBurst},
				{func() bool { return l.Wait(canceled) != nil }, 1, context.Canceled},
				{func() bool { return l.Wait(soon) != nil }, 1, ratelimit.ErrDeadline},
				{func() bool { return l.WaitN(soon, 2) != nil }, 2, ratelimit.ErrDeadline},
			}
			var caller uint64
			done := make(chan struct{})
			go func() {
				defer close(done)
				caller = testutil.GoroutineID()
				for i, s := range steps {
					if !s.call() {
						t.Errorf("step %d was admitted", i)
					}
					calls := log.take()
					if len(calls) != 1 || calls[0].n != s.n || !errors.Is(calls[0].err, s.err) || (s.err == nil) != (calls[0].err == nil) {
						t.Errorf("step %d: hook saw %v before the call returned, want one call with %d, %v", i, calls, s.n, s.err)
						continue
					}
					if calls[0].on != caller {
						t.Errorf("step %d: hook ran on goroutine %d, want the caller's %d", i, calls[0].on, caller)
					}
				}
			}()
			<-done
		})
	}
}

// TestWaitTimeTimesOnlyTheWaitsThatWaited runs a limiter of 100 events a
// second with Metrics in a synctest bubble: a Wait that finds a token and
// one refused at once are not timed; a Wait for the next token and one
// canceled while it waits are.
func TestWaitTimeTimesOnlyTheWaitsThatWaited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := ratelimit.New(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: 10 * time.Millisecond, Burst: 1, Metrics: true})
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		near, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		if err := l.Wait(near); !errors.Is(err, ratelimit.ErrDeadline) {
			t.Fatalf("Wait with 5ms left for a token 10ms away: %v, want ErrDeadline", err)
		}
		cancel()
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			time.Sleep(4 * time.Millisecond)
			cancel()
		}()
		if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait canceled after 4ms: %v, want Canceled", err)
		}
		var want [15]uint64
		want[6], want[7] = 1, 1 // 4ms and 10ms
		if st := l.Stats(); st.WaitTime.Counts != want || st.WaitTime.Sum != 14*time.Millisecond || st.WaitTime.Count != 2 {
			t.Errorf("Stats().WaitTime = %+v, want counts %v, sum 14ms", st.WaitTime, want)
		}
	})
}
