// Package histogram is the monogen template of the duration histogram in
// which the kinds with metrics=true record their wait and run times (a
// pool's QueueWait and RunTime, a semaphore's WaitTime, ...). It is not a
// directive of its own: the generator stencils it once for each directive
// that records durations, next to that directive's code, so that each
// generated type has its own <Name>Histogram, and the template of the kind
// names it through aliases (Histogram, histogram, histCollect, ...) that
// only the generic reference keeps. What depends on no directive (the
// Recorder, its count of buckets, BucketOf) is shared by the directives of
// a package, like the shared code of their own templates (docs/shared.md):
// so the Recorder's methods name only shared declarations, and filling a
// Histogram, each directive's own, is a function, Collect.
//
// Recording is lock-free and allocation-free: one atomic add to a bucket
// and one to the sum.
package histogram

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// buckets is the number of buckets a Recorder counts in: one per power of
// 4 from 1µs to about 67s, and one above.
const buckets = 15

// Buckets is the number of buckets of a Histogram: one per power of 4
// from 1µs to about 67s, and one above.
//
//monogen:note Its own constant, as the fields of Histogram show its name:
//monogen:note buckets, which the recorder's code uses, is the same for every
//monogen:note directive, and may be shared.
const Buckets = buckets

// Histogram is a snapshot of a distribution of durations in fixed buckets
// whose bounds are powers of 4 from 1µs to about 67s (4^13µs). Bucket i
// counts the durations d with Bounds[i-1] < d <= Bounds[i]; the last bucket
// counts those above the largest bound. Count is the sum of Counts. The
// buckets and Sum are read one by one while observations go on, so Sum may
// be off by the observations that came meanwhile.
type Histogram struct {
	Bounds [Buckets - 1]time.Duration // upper bound of each bucket but the last, inclusive
	Counts [Buckets]uint64            // observations in each bucket, not cumulative
	Sum    time.Duration              // total of the observations
	Count  uint64                     // number of observations
}

// Recorder records durations in buckets whose bounds are powers of 4 from
// 1µs to about 67s (see BucketOf): an atomic add to one bucket and one to
// the sum, no lock and no allocation.
//
//monogen:note Its methods are exported only so that the templates of the
//monogen:note kinds can call them from their packages.
type Recorder struct {
	counts [buckets]atomic.Uint64
	sum    atomic.Int64
}

// BucketOf returns the index of the bucket of a duration of d
// nanoseconds: 0 up to 1µs, i for (4^(i-1)µs, 4^i µs], and the last one
// above 4^13µs.
func BucketOf(d int64) int {
	if d <= 1000 {
		return 0
	}
	return min((bits.Len64(uint64(d-1)/1000)+1)/2, buckets-1)
}

// Observe records a duration of d nanoseconds; a negative d (a clock read
// on another CPU) counts as zero.
func (h *Recorder) Observe(d int64) {
	d = max(d, 0)
	h.counts[BucketOf(d)].Add(1)
	h.sum.Add(d)
}

// ObserveN records n durations whose total is d nanoseconds, each as
// their mean.
//
//monogen:if observeN
func (h *Recorder) ObserveN(n uint64, d int64) {
	d = max(d, 0)
	h.counts[BucketOf(d/int64(n))].Add(n)
	h.sum.Add(d)
}

// AddCounts adds durations counted elsewhere: counts per bucket, whose
// total is sum nanoseconds.
//
//monogen:if addCounts
func (h *Recorder) AddCounts(counts *[buckets]uint64, sum int64) {
	for i, n := range counts {
		if n != 0 {
			h.counts[i].Add(n)
		}
	}
	h.sum.Add(sum)
}

// Add adds the counts of o to h.
//
//monogen:if add
func (h *Recorder) Add(o *Recorder) {
	for i := range h.counts {
		h.counts[i].Add(o.counts[i].Load())
	}
	h.sum.Add(o.sum.Load())
}

// Collect adds the distribution h recorded to s, setting its bounds.
//
//monogen:note A function, not a method of Recorder: a Histogram is each
//monogen:note directive's own, and the methods of a Recorder, which may be
//monogen:note shared, name only what is shared too.
func Collect(s *Histogram, h *Recorder) {
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
