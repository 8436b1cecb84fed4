package semaphore

import (
	"sync/atomic"

	hist "github.com/monogen/monogen/templates/histogram"
)

// Histogram is a snapshot of a distribution of durations in fixed buckets.
//
//monogen:template
//monogen:note The generator stencils the histogram template next to a
//monogen:note semaphore with metrics=true and renames Histogram and
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

// Stats is a snapshot of a semaphore's state and of the Acquire calls that
// had to wait. Calls that found their units free are not counted: counting
// them would cost the uncontended Acquire a shared atomic add, a third of
// its time.
//
//monogen:if metrics
type Stats struct {
	Capacity int64  // the total weight held at once
	Held     int64  // weight held now
	Waiting  int64  // calls queued now
	Waits    uint64 // calls that had to wait, whatever came of it
	Canceled uint64 // of those, calls whose context ended the wait
	// WaitTime is how long the calls that had to wait waited, from being
	// queued to getting their units or giving up.
	WaitTime Histogram
}

// counters are the metrics of a semaphore: only its slow path updates
// them.
//
//monogen:if metrics
type counters struct {
	waits    atomic.Uint64
	canceled atomic.Uint64
	queued   int64 // guarded by mu
	waitTime histogram
}

// Stats returns a snapshot of the semaphore's state and counters.
//
//monogen:if metrics
func (s *Semaphore) Stats() Stats {
	st := Stats{
		Capacity: s.cfg.N,
		Held:     s.state.Load() &^ queuedBit,
		Waits:    s.stats.waits.Load(),
		Canceled: s.stats.canceled.Load(),
	}
	s.mu.Lock()
	st.Waiting = s.stats.queued
	s.mu.Unlock()
	histCollect(&st.WaitTime, &s.stats.waitTime)
	return st
}
