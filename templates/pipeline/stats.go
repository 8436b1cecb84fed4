package pipeline

import (
	"math"
	"sync/atomic"
	"time"

	hist "github.com/monogen/monogen/templates/histogram"
)

// Histogram is a snapshot of a distribution of durations in fixed buckets.
//
//monogen:template
//monogen:note The generator stencils the histogram template next to a
//monogen:note pipeline with metrics=true and renames Histogram and
//monogen:note histogram to what it declares.
type Histogram = hist.Histogram

// histogram records the durations of a Histogram.
//
//monogen:template
type histogram = hist.Recorder

// histCollect adds the distribution h recorded to s.
//
//monogen:template
func histCollect(s *Histogram, h *histogram) { hist.Collect(s, h) }

// StageStats is a snapshot of a stage's counters, summed over every run the
// stage took part in. Comparing stages shows the bottleneck: the stage whose
// Busy time per worker is closest to the wall time, and whose input queue is
// full (QueueAvg near its capacity) while the next stage's is empty.
//
//monogen:if metrics
type StageStats struct {
	Name    string
	Workers int
	In      uint64 // items received
	Out     uint64 // items sent on
	Failed  uint64 // items failed (after retries), panics included
	Dropped uint64 // items neither sent on nor failed: ErrSkip, or lost to a stopped run
	Retries uint64 // calls retried
	Batches uint64 // batches received
	// Busy is the time the workers spent processing batches, summed over the
	// workers: Busy / (wall time × Workers) is the stage's utilisation. It
	// stops at the largest Duration. It only grows: exporters take it as a
	// counter.
	Busy time.Duration `metric:"counter"`
	// QueueAvg is the mean number of batches waiting in the stage's input
	// channel when a worker took one.
	QueueAvg float64
	// Latency is the time the stage took per item received: each batch
	// counts its items, each as the batch's time over its items, so it
	// costs no clock read beyond Busy's.
	Latency Histogram
}

// stageMetrics holds a stage's counters. Workers update them once per batch,
// not per item, so that a stage's workers rarely contend on this cache line.
//
//monogen:if metrics
type stageMetrics struct {
	in, out, failed, retries, batches, queued, busy atomic.Uint64
	latency                                         histogram
}

// received counts a batch of n items taken while queue more waited.
//
//monogen:if metrics
func (st *stageMetrics) received(n, queue int) {
	st.in.Add(uint64(n))
	st.batches.Add(1)
	st.queued.Add(uint64(queue))
}

// processed counts a batch of in items that produced n outputs in d.
//
//monogen:if metrics
func (st *stageMetrics) processed(in, n int, d time.Duration) {
	st.out.Add(uint64(n))
	st.busy.Add(uint64(d))
	if in > 0 {
		st.latency.ObserveN(uint64(in), int64(d))
	}
}

// Stats returns a snapshot of the stage's counters; all zero unless
// Config.Metrics is set. Counters are read one by one while workers may be
// updating them, so a snapshot taken during a run is only approximately
// consistent; after Wait returns it is exact.
//
//monogen:if metrics
func (s *Stage[In, Out]) Stats() StageStats {
	st := &s.stats
	in, out, failed := st.in.Load(), st.out.Load(), st.failed.Load()
	batches := st.batches.Load()
	// Summed over the workers, busy may pass the largest Duration: 292
	// years of work, 107 days of 1000 workers.
	busy := min(st.busy.Load(), math.MaxInt64)
	res := StageStats{
		Name:    s.name,
		Workers: s.cfg.Workers,
		In:      in,
		Out:     out,
		Failed:  failed,
		Retries: st.retries.Load(),
		Batches: batches,
		Busy:    time.Duration(busy),
	}
	if in > out+failed {
		res.Dropped = in - out - failed
	}
	if batches > 0 {
		res.QueueAvg = float64(st.queued.Load()) / float64(batches)
	}
	histCollect(&res.Latency, &st.latency)
	return res
}
