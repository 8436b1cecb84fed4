package histogram_test

import (
	"sync"
	"testing"
	"time"

	"github.com/monogen/monogen/templates/histogram"
)

func TestBucketBoundsArePowersOfFourMicroseconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{-5, 0}, {0, 0}, {time.Microsecond, 0}, {time.Microsecond + 1, 1}, {4 * time.Microsecond, 1},
		{4*time.Microsecond + 1, 2}, {16 * time.Microsecond, 2}, {time.Millisecond, 5},
		{time.Microsecond << 26, 13}, {time.Microsecond<<26 + 1, 14}, {time.Hour, 14},
	} {
		if got := histogram.BucketOf(int64(tc.d)); got != tc.want {
			t.Errorf("BucketOf(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

// TestRecorderCountsEveryObservationUnderContention records from several
// goroutines at once through each way in (Observe, ObserveN, AddCounts,
// Add) and checks the snapshot's counts, count and sum.
func TestRecorderCountsEveryObservationUnderContention(t *testing.T) {
	const goroutines, each = 4, 1000
	var h histogram.Recorder
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				h.Observe(int64(3 * time.Microsecond)) // bucket 1
				h.ObserveN(2, int64(20*time.Microsecond))
				var counts [histogram.Buckets]uint64
				counts[14] = 1
				h.AddCounts(&counts, int64(time.Hour))
			}
		})
	}
	wg.Wait()
	var o histogram.Recorder
	o.Observe(-1)
	h.Add(&o)
	var s histogram.Histogram
	histogram.Collect(&s, &h)
	var want [histogram.Buckets]uint64
	want[0], want[1], want[2], want[14] = 1, goroutines*each, 2*goroutines*each, goroutines*each
	if s.Counts != want || s.Count != 4*goroutines*each+1 {
		t.Errorf("Counts = %v, Count = %d; want %v, %d", s.Counts, s.Count, want, 4*goroutines*each+1)
	}
	if wantSum := goroutines * each * (3*time.Microsecond + 20*time.Microsecond + time.Hour); s.Sum != wantSum {
		t.Errorf("Sum = %v, want %v", s.Sum, wantSum)
	}
	for i, b := range s.Bounds {
		if b != time.Microsecond<<(2*i) {
			t.Errorf("Bounds[%d] = %v, want %v", i, b, time.Microsecond<<(2*i))
		}
	}
}
