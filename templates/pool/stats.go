package pool

import "sync/atomic"

// Stats is a snapshot of a pool's counters. Every job submitted is, at any
// moment, queued, in flight, completed, failed, or returned by Shutdown
// (Unrun); a Map call counts each of its items as a job. The counters are
// read one by one while the pool runs, so a snapshot taken then may be off
// by the jobs that moved meanwhile; once Close or Shutdown has returned,
//
//	Submitted == Completed + Failed + Unrun
//
//monogen:if metrics
type Stats struct {
	Submitted uint64 // accepted by Submit, TrySubmit or Map
	Completed uint64 // finished with a nil error (after retries, if any)
	Failed    uint64 // finished with an error, or Map items not run
	Retried   uint64 // attempts beyond each job's first
	Unrun     uint64 // received after Shutdown began, not run
	InFlight  int64  // running now, retries and backoff included
	Queued    int    // waiting in the queue (a Map call holds one per helping worker)
	Workers   int    // worker goroutines, as Size reports
	Busy      int64  // workers running jobs or Map items now; retired ones still finishing count
	Idle      int    // Workers - Busy, or 0: workers waiting for a job

	// QueueWait is how long submitted jobs waited in the queue, from
	// Submit or TrySubmit to the start of their first attempt; RunTime is
	// how long they then took, retries and backoff included. Map items
	// are not in them.
	QueueWait Histogram
	RunTime   Histogram
}

// cacheLine is the assumed size of a CPU cache line. Each counter is padded
// to one so that workers updating different counters do not contend.
const cacheLine = 64

// paddedUint64 is an atomic counter alone on its cache line.
type paddedUint64 struct {
	atomic.Uint64
	_ [cacheLine - 8]byte
}

// paddedInt64 is an atomic gauge alone on its cache line.
type paddedInt64 struct {
	atomic.Int64
	_ [cacheLine - 8]byte
}

// counters are the metrics of a pool, updated only under Config.Metrics.
//
//monogen:if metrics
type counters struct {
	submitted paddedUint64
	completed paddedUint64
	failed    paddedUint64
	retried   paddedUint64
	unrun     paddedUint64
	inFlight  paddedInt64
	busy      paddedInt64
	queueWait histogram
	_         [cacheLine - 8]byte
	runTime   histogram
}

// Stats returns a snapshot of the pool's counters. It reports zeros unless
// Config.Metrics is set.
//
//monogen:if metrics
func (p *Pool[In, Out]) Stats() Stats {
	if !p.cfg.Metrics {
		return Stats{}
	}
	s := Stats{
		Submitted: p.stats.submitted.Load(),
		Completed: p.stats.completed.Load(),
		Failed:    p.stats.failed.Load(),
		Retried:   p.stats.retried.Load(),
		Unrun:     p.stats.unrun.Load(),
		InFlight:  p.stats.inFlight.Load(),
		Queued:    p.q.length(),
		Workers:   p.Size(),
		Busy:      p.stats.busy.Load(),
		QueueWait: p.stats.queueWait.snapshot(),
		RunTime:   p.stats.runTime.snapshot(),
	}
	s.Idle = max(s.Workers-int(s.Busy), 0)
	return s
}
