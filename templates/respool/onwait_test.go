package respool_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/monogen/monogen/internal/testutil"
	"github.com/monogen/monogen/templates/respool"
)

// waitCall is one call of the wait hook.
type waitCall struct {
	d   time.Duration
	err error
	on  uint64
}

// waitLog records the calls of a pool's wait hook.
type waitLog struct {
	mu    sync.Mutex
	calls []waitCall
}

func (l *waitLog) hook(d time.Duration, err error) {
	id := testutil.GoroutineID()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, waitCall{d, err, id})
}

func (l *waitLog) take() []waitCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = nil
	return c
}

// getOn runs Get on a goroutine of its own and returns that goroutine's ID,
// what the hook had seen when Get returned and the Get's error.
func getOn(ctx context.Context, p *respool.Pool[*resource], log *waitLog) (on uint64, seen []waitCall, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		on = testutil.GoroutineID()
		var r *resource
		r, err = p.Get(ctx)
		seen = log.take()
		if err == nil {
			p.Put(r)
		}
	}()
	<-done
	return on, seen, err
}

// TestOnWaitReportsEachGetThatWaitedOnItsGoroutine runs a pool of one
// resource in a synctest bubble: a Get that finds the resource calls
// nothing; a Get that waits 10ms for a Put, one whose context ends after
// 5ms and one that Close ends after 3ms each call the hook once, on their
// own goroutine before they return, with that wait and their error; and
// Stats times the same waits.
func TestOnWaitReportsEachGetThatWaitedOnItsGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &factory{}
		p := respool.New(f.newRes, f.closeRes, nil, respool.Config{Max: 1, Metrics: true})
		var log waitLog
		p.SetOnWait(log.hook)
		if _, seen, err := getOn(context.Background(), p, &log); err != nil || len(seen) != 0 {
			t.Fatalf("Get of an idle resource: %v, hook saw %v; want no error and no call", err, seen)
		}
		r, err := p.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(10 * time.Millisecond)
			p.Put(r)
		}()
		check := func(what string, wantD time.Duration, wantErr error, on uint64, err error, seen []waitCall) {
			t.Helper()
			if !errors.Is(err, wantErr) || (wantErr == nil) != (err == nil) {
				t.Fatalf("%s: Get returned %v, want %v", what, err, wantErr)
			}
			if len(seen) != 1 || seen[0].d != wantD || seen[0].err != err || seen[0].on != on {
				t.Errorf("%s: hook saw %+v before Get returned; want one call with %v and Get's error %v on its goroutine %d", what, seen, wantD, err, on)
			}
		}
		on, seen, err := getOn(context.Background(), p, &log)
		check("Get woken by a Put", 10*time.Millisecond, nil, on, err, seen)

		r, err = p.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		on, seen, err = getOn(ctx, p, &log)
		cancel()
		check("Get whose context ended", 5*time.Millisecond, context.DeadlineExceeded, on, err, seen)

		go func() {
			time.Sleep(3 * time.Millisecond)
			p.Close()
		}()
		on, seen, err = getOn(context.Background(), p, &log)
		check("Get ended by Close", 3*time.Millisecond, respool.ErrClosed, on, err, seen)
		p.Put(r)

		st := p.Stats()
		var want [15]uint64
		want[6] = 1 // 3ms, in (1.024ms, 4.096ms]
		want[7] = 2 // 5ms and 10ms, in (4.096ms, 16.384ms]
		if st.WaitTime.Counts != want || st.WaitTime.Sum != 18*time.Millisecond || st.Waits != 3 {
			t.Errorf("Stats = %+v; want WaitTime counts %v, sum 18ms, 3 waits", st, want)
		}
	})
}
