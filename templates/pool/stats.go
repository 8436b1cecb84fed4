package pool

import (
	"sync/atomic"
	"time"

	hist "github.com/monogen/monogen/templates/histogram"
)

// Histogram is a snapshot of a distribution of durations in fixed buckets.
//
//monogen:template
//monogen:note The generator stencils the histogram template next to a pool
//monogen:note with metrics=true and renames Histogram, histogram,
//monogen:note histBuckets, histBucket and histCollect to what it declares
//monogen:note (kinds.histogramLinks): the recorder, its count of buckets and
//monogen:note BucketOf are shared code, and so may be what holds them here.
type Histogram = hist.Histogram

// histogram records the durations of a Histogram.
//
//monogen:template
type histogram = hist.Recorder

// histCollect adds the distribution h recorded to s.
//
//monogen:template
func histCollect(s *Histogram, h *histogram) { hist.Collect(s, h) }

// histBuckets is the number of buckets of a Histogram.
//
//monogen:template
//monogen:note The generator names the recorder's count of buckets here,
//monogen:note the same number, which is shared code: a tally's arrays of
//monogen:note that length may then be shared too.
const histBuckets = hist.Buckets

// histBucket returns the index of the bucket of a duration of d
// nanoseconds.
//
//monogen:template
func histBucket(d int64) int { return hist.BucketOf(d) }

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
	Busy      int64  // workers running jobs or Map items now (or parked while Map's caller runs items in their stead); retired ones still finishing count
	Idle      int    // Workers - Busy, or 0: workers waiting for a job

	// QueueWait is how long jobs waited, from Submit or TrySubmit (or
	// the Map call) to the start of their first attempt; RunTime is how
	// long they then took, retries and backoff included. Jobs of a
	// microsecond or more are timed one by one. Cheaper jobs, which a
	// worker claims several at a time, are timed by claim, as a clock
	// read per job would cost more than the job: each gets the claim's
	// mean run time, its queue wait ends when the claim starts, and it
	// starts when the latest claim of such jobs started (so that waits of
	// under a claim's length are rounded). Map items are timed by the
	// chunks workers and Map's caller take them in, the same way. The
	// jobs of claims of cheap jobs reach Stats within a millisecond, and
	// at once when their worker runs out of jobs.
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
// The workers count the jobs they run in their own workerStats; gone holds
// the counts of the workers that have exited.
//
//monogen:if metrics
type counters struct {
	// submitted counts the items of Map calls, less the tasks Map pushed
	// for them. The jobs of Submit and TrySubmit are counted by the
	// queue's tail, which a push moves anyway: a counter of their own
	// cost every Submit a locked instruction, which made Submit of jobs
	// of a few nanoseconds a third slower.
	submitted paddedUint64
	completed paddedUint64 // Map items
	failed    paddedUint64 // Map items
	retried   paddedUint64
	unrun     paddedUint64
	inFlight  paddedInt64 // Map items
	// clock is the start of the latest claim of cheap jobs, clockParked
	// or clockSlow (see stamp).
	clock paddedInt64
	// stealing counts the workers running a job taken over from another's
	// claim, and those lent to a Map caller that runs items in their
	// stead: busy, though counted in hunting.
	stealing paddedInt64
	gone     workerStats
	// mapped counts the Map items that Map's callers ran themselves.
	mapped workerStats
	// meters are the stats of the workers not yet exited, guarded by
	// staff.life.
	meters []*workerStats
	// epoch is the origin of the times the histograms are taken from: the
	// monotonic clock at init.
	epoch time.Time
}

// Stats returns a snapshot of the pool's counters. It reports zeros unless
// Config.Metrics is set.
//
//monogen:if metrics
func (p *Pool[In, Out]) Stats() Stats {
	if !p.cfg.Metrics {
		return Stats{}
	}
	// Map's items before the queue's pushes: Map takes its tasks back from
	// submitted after pushing them, so Submitted may count a task for a
	// moment, but never misses a job or an item.
	s := Stats{
		Submitted: p.stats.submitted.Load() + p.q.pushes(),
		Retried:   p.stats.retried.Load(),
		Unrun:     p.stats.unrun.Load(),
		Queued:    p.q.length(),
		Workers:   p.Size(),
	}
	// Under life, no worker moves its counts to gone meanwhile.
	p.life.Lock()
	all := append([]*workerStats{&p.stats.gone, &p.stats.mapped}, p.stats.meters...)
	var started uint64
	for _, ws := range all {
		started += ws.started.Load()
		s.Completed += ws.completed.Load()
		s.Failed += ws.failed.Load()
		histCollect(&s.QueueWait, &ws.queueWait)
		histCollect(&s.RunTime, &ws.runTime)
	}
	// Workers hunting for a job, parked ones included, are idle; the
	// others, retired ones still finishing included, busy.
	s.Busy = max(int64(len(p.stats.meters))-int64(p.hunting.Load())+p.stats.stealing.Load(), 0)
	p.life.Unlock()
	// Jobs started and not yet counted as completed or failed are in
	// flight.
	s.InFlight = int64(started-s.Completed-s.Failed) + p.stats.inFlight.Load()
	s.Completed += p.stats.completed.Load()
	s.Failed += p.stats.failed.Load()
	s.Idle = max(s.Workers-int(s.Busy), 0)
	return s
}

// workerStats are the metrics one worker keeps, for Stats to add up: its
// own cache lines, no contention with other workers. The jobs of claims of
// cheap jobs (batched) are tallied in pending, plain fields only the worker
// touches, which go to the atomic fields at most every flushEvery and
// whenever the worker waits for jobs or exits; other jobs are counted in
// the atomic fields one by one.
//
//monogen:if metrics
type workerStats struct {
	// Only the worker reads and writes these. mark is when the claim
	// started, or, not batched, the job running now; fresh says that it
	// is when the worker's last claim ended and that it has not waited
	// since, so the next claim starts then.
	mark    int64
	batched bool
	fresh   bool
	flushed int64  // when pending was last flushed
	ran     uint64 // jobs of the batched claim running
	fails   uint64 // of which failed
	// The run of jobs of the batched claim queued at the same time, not
	// yet tallied: their queue time, and how many (zero: no run).
	runQueued int64
	runJobs   uint64
	pending   tally

	completed atomic.Uint64
	failed    atomic.Uint64
	started   atomic.Uint64 // jobs started, pending ones excepted
	queueWait histogram
	runTime   histogram
}

// tally is what a worker counted of its batched claims since it last
// flushed them.
//
//monogen:if metrics
type tally struct {
	jobs, fails     uint64
	waits, runs     [histBuckets]uint64
	waitSum, runSum int64
}

// flushEvery is how often a worker busy with cheap jobs adds what it
// counted of them to its Stats.
const flushEvery = time.Millisecond

// add adds the counts of o, a worker that exits, to s.
//
//monogen:if metrics
func (s *workerStats) add(o *workerStats) {
	s.completed.Add(o.completed.Load())
	s.failed.Add(o.failed.Load())
	s.started.Add(o.started.Load())
	s.queueWait.Add(&o.queueWait)
	s.runTime.Add(&o.runTime)
}

// flush adds the tally of w's batched claims to its atomic fields.
//
//monogen:if metrics
func (s *workerStats) flush() {
	t := &s.pending
	if t.jobs == 0 {
		return
	}
	s.queueWait.AddCounts(&t.waits, t.waitSum)
	s.runTime.AddCounts(&t.runs, t.runSum)
	s.started.Add(t.jobs)
	s.completed.Add(t.jobs - t.fails)
	s.failed.Add(t.fails)
	*t = tally{}
}

// now returns the time since epoch, in nanoseconds: one read of the
// monotonic clock.
//
//monogen:if metrics
func (c *counters) now() int64 {
	return int64(time.Since(c.epoch))
}

// stamp returns the time a job is queued at, for its queue wait. While
// workers run claims of cheap jobs it is the start of the latest such
// claim, which they publish: a read of the clock per job would cost more
// than the job. After a worker parked, it reads the clock and publishes
// it, for the jobs queued until the worker it wakes starts a claim. While
// jobs take a microsecond or more, it reads the clock. Its common case is
// small enough to be inlined into Submit.
//
//monogen:if metrics
func (c *counters) stamp() int64 {
	if t := c.clock.Load(); t > 0 {
		return t
	}
	return c.readClock()
}

// readClock returns the time for stamp when no claim start is published:
// it reads the clock, and publishes the time if a worker parked. (A load
// first: a failed CompareAndSwap costs as much as one that succeeds.)
//
//monogen:if metrics
func (c *counters) readClock() int64 {
	now := c.now()
	if c.clock.Load() == clockParked {
		c.clock.CompareAndSwap(clockParked, now)
	}
	return now
}

// The clock values (see stamp) other than a time: a worker parked, and
// jobs of a microsecond or more, timed one by one.
const (
	clockParked = 0
	clockSlow   = -1
)

// claimStarted starts timing a claim w is about to run. A claim of cheap
// jobs (batched) is timed as a whole: its jobs' queue waits end at its
// start, and each is given the claim's mean run time. Other jobs are timed
// one by one.
//
//monogen:if metrics
func (c *counters) claimStarted(w *member, batched bool) {
	ws := w.stats
	if !ws.fresh || !batched {
		ws.mark = c.now()
	}
	ws.batched, ws.fresh = batched, false
	if t := c.clock.Load(); !batched {
		if t != clockSlow {
			c.clock.Store(clockSlow)
		}
	} else if ws.mark > t+clockStep {
		c.clock.Store(ws.mark)
	}
}

// clockStep is how far a published claim start must be ahead of the last
// one to be published: a write per claim of one job would contend with
// every Submit.
const clockStep = 4000 // 4µs, the second bucket's bound

// jobStarted records the queue wait of a job queued at queued that w
// starts. In a batched claim, the jobs queued at the same time as the one
// before (stamped with the same claim start, see stamp) make a run, tallied
// when it ends: such a job costs a comparison and an increment, inlined
// into the worker's loop.
//
//monogen:if metrics
func (c *counters) jobStarted(w *member, queued int64) {
	ws := w.stats
	if ws.batched && queued == ws.runQueued {
		// With no run (runJobs zero), this one starts it.
		ws.runJobs++
		return
	}
	c.jobWaited(w, queued)
}

// jobWaited records the queue wait of a job queued at queued that w starts,
// unless it continues a run (see jobStarted).
//
//monogen:if metrics
func (c *counters) jobWaited(w *member, queued int64) {
	ws := w.stats
	if ws.batched {
		ws.endRun()
		ws.runQueued, ws.runJobs = queued, 1
		return
	}
	ws.started.Add(1)
	ws.queueWait.Observe(max(ws.mark-queued, 0))
}

// endRun tallies the queue waits of the run of jobs of the batched claim
// that ends: they all waited from the run's queue time to the claim's
// start.
//
//monogen:if metrics
func (s *workerStats) endRun() {
	if s.runJobs == 0 {
		return
	}
	d := max(s.mark-s.runQueued, 0)
	s.pending.waits[histBucket(d)] += s.runJobs
	s.pending.waitSum += d * int64(s.runJobs)
	s.runJobs = 0
}

// jobDone records a job w has just finished, which succeeded if ok. A job
// of a batched claim is counted in the claim: one that succeeded costs an
// increment, inlined into the worker's loop.
//
//monogen:if metrics
func (c *counters) jobDone(w *member, ok bool) {
	if ws := w.stats; ws.batched && ok {
		ws.ran++
		return
	}
	c.jobTimed(w, ok)
}

// jobTimed records a job w has just finished, which succeeded if ok,
// unless it is a job of a batched claim that succeeded (see jobDone).
//
//monogen:if metrics
func (c *counters) jobTimed(w *member, ok bool) {
	ws := w.stats
	if ws.batched {
		ws.ran++
		ws.fails++
		return
	}
	now := c.now()
	ws.runTime.Observe(now - ws.mark)
	ws.mark = now // the start of w's next job, if any
	if ok {
		ws.completed.Add(1)
	} else {
		ws.failed.Add(1)
	}
}

// shareDone restarts the clock of w's next job after a share of a Map
// batch, which is not a job (in a batched claim, it counts in the claim's
// time).
//
//monogen:if metrics
func (c *counters) shareDone(w *member) {
	if !w.stats.batched {
		w.stats.mark = c.now()
	}
}

// chunkDone records in ws k items of a Map batch called at queued that ran
// from start to end: their queue waits end at start, and each is given the
// chunk's mean run time. Chunks last up to chunkTime, so they are counted
// in the atomic fields at once.
//
//monogen:if metrics
func (c *counters) chunkDone(ws *workerStats, queued, k int64, start, end time.Time) {
	s, e := int64(start.Sub(c.epoch)), int64(end.Sub(c.epoch))
	wait := max(s-queued, 0)
	ws.queueWait.ObserveN(uint64(k), wait*k)
	ws.runTime.ObserveN(uint64(k), e-s)
}

// claimDone ends the claim w ran: a batched claim's jobs are tallied, each
// with the claim's mean run time, and the tally flushed if it is due.
//
//monogen:if metrics
func (c *counters) claimDone(w *member) {
	ws := w.stats
	if !ws.batched {
		return
	}
	ws.batched = false
	ws.endRun()
	if ws.ran == 0 {
		return
	}
	now := c.now()
	d := max(now-ws.mark, 0)
	t := &ws.pending
	t.runs[histBucket(d/int64(ws.ran))] += ws.ran
	t.runSum += d
	t.jobs += ws.ran
	t.fails += ws.fails
	ws.ran, ws.fails = 0, 0
	ws.mark, ws.fresh = now, true
	if now-ws.flushed >= int64(flushEvery) {
		ws.flush()
		ws.flushed = now
	}
}

// waiting flushes w's tally as w goes to wait for jobs, or exits.
//
//monogen:if metrics
func (c *counters) waiting(w *member) {
	w.stats.fresh = false
	w.stats.flush()
}

// exited moves the counts of w, whose goroutine is exiting, to gone: under
// s.life, as Stats adds them up, so they are counted once.
//
//monogen:if metrics
func (c *counters) exited(s *staff, w *member) {
	s.life.Lock()
	defer s.life.Unlock()
	w.stats.flush()
	c.gone.add(w.stats)
	for i, ws := range c.meters {
		if ws == w.stats {
			c.meters = append(c.meters[:i], c.meters[i+1:]...)
			break
		}
	}
}
