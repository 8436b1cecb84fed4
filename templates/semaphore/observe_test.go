package semaphore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/monogen/monogen/templates/semaphore"
)

// TestStatsTimeAcquireWaits holds both units of a semaphore in a synctest
// bubble: an Acquire that waits 10ms for a release and one whose context
// ends after 5ms are in Stats, with their waits in WaitTime; an Acquire
// that did not wait is not.
func TestStatsTimeAcquireWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := semaphore.New(2)
		s.SetMetrics()
		var mu sync.Mutex
		var seen []error
		s.SetOnWait(func(waited time.Duration, err error) {
			mu.Lock()
			seen = append(seen, err)
			mu.Unlock()
		})
		if err := s.AcquireN(context.Background(), 2); err != nil {
			t.Fatal(err)
		}
		granted := make(chan error)
		go func() { granted <- s.Acquire(context.Background()) }()
		synctest.Wait()
		if st := s.Stats(); st.Waiting != 1 || st.Held != 2 || st.Capacity != 2 {
			t.Errorf("with one caller queued: %+v, want Waiting 1, Held 2, Capacity 2", st)
		}
		time.Sleep(10 * time.Millisecond)
		s.Release()
		if err := <-granted; err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		defer cancel()
		if err := s.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire with every unit held: %v, want DeadlineExceeded", err)
		}
		st := s.Stats()
		var want [15]uint64
		want[7] = 2 // 5ms and 10ms are both in (4.096ms, 16.384ms]
		if st.Waits != 2 || st.Canceled != 1 || st.Waiting != 0 || st.WaitTime.Counts != want || st.WaitTime.Sum != 15*time.Millisecond {
			t.Errorf("Stats = %+v, want 2 waits, 1 canceled, none waiting, WaitTime counts %v, sum 15ms", st, want)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 2 || seen[0] != nil || !errors.Is(seen[1], context.DeadlineExceeded) {
			t.Errorf("the wait hook saw %v, want nil then DeadlineExceeded", seen)
		}
	})
}
