package pool

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// buckets is the number of buckets a histogram records: one per power of 4
// from 1µs to about 67s, and one above.
const buckets = 15

// histBuckets is the number of buckets of a Histogram: buckets.
const histBuckets = buckets

// Histogram is a snapshot of a distribution of durations in fixed buckets
// whose bounds are powers of 4 from 1µs to about 67s (4^13µs). Bucket i
// counts the durations d with Bounds[i-1] < d <= Bounds[i]; the last bucket
// counts those above the largest bound. Count is the sum of Counts. The
// buckets and Sum are read one by one while observations go on, so Sum may
// be off by the observations that came meanwhile.
//
//monogen:if metrics
type Histogram struct {
	Bounds [histBuckets - 1]time.Duration // upper bound of each bucket but the last, inclusive
	Counts [histBuckets]uint64            // observations in each bucket, not cumulative
	Sum    time.Duration                  // total of the observations
	Count  uint64                         // number of observations
}

// histogram records durations into the buckets of a Histogram: an atomic
// add to one bucket and one to the sum, no lock and no allocation.
//
//monogen:if metrics
type histogram struct {
	counts [buckets]atomic.Uint64
	sum    atomic.Int64
}

// histBucket returns the index of the bucket of a duration of d
// nanoseconds: 0 up to 1µs, i for (4^(i-1)µs, 4^i µs], and the last one
// above 4^13µs.
//
//monogen:if metrics
func histBucket(d int64) int {
	if d <= 1000 {
		return 0
	}
	return min((bits.Len64(uint64(d-1)/1000)+1)/2, buckets-1)
}

// observe records a duration of d nanoseconds; a negative d (a clock read
// on another CPU) counts as zero.
//
//monogen:if metrics
func (h *histogram) observe(d int64) {
	d = max(d, 0)
	h.counts[histBucket(d)].Add(1)
	h.sum.Add(d)
}

// observeN records n durations whose total is d nanoseconds, each as
// their mean.
//
//monogen:if metrics
func (h *histogram) observeN(n uint64, d int64) {
	d = max(d, 0)
	h.counts[histBucket(d/int64(n))].Add(n)
	h.sum.Add(d)
}

// add adds the counts of o to h.
//
//monogen:if metrics
func (h *histogram) add(o *histogram) {
	for i := range h.counts {
		h.counts[i].Add(o.counts[i].Load())
	}
	h.sum.Add(o.sum.Load())
}

// add adds the distribution h recorded to s, setting its bounds.
//
//monogen:if metrics
func (s *Histogram) add(h *histogram) {
	for i := range s.Bounds {
		s.Bounds[i] = time.Microsecond << (2 * i)
	}
	for i := range h.counts {
		n := h.counts[i].Load()
		s.Counts[i] += n
		s.Count += n
	}
	s.Sum += time.Duration(h.sum.Load())
}
