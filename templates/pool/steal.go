package pool

import "time"

// claimBits is the width of a claim's length in a worker's claim field,
// whose upper bits hold the low bits of its first position.
//
// Taking over claimed tasks. A worker claims up to maxClaim queued tasks
// with one CAS (see queue.claim), which is where a pool of cheap jobs gets
// its throughput. But a claim must not keep its tasks from idle workers:
// if one of them is slow, those behind it would wait for it while other
// workers idle, and a burst of jobs of unequal length would take up to W
// times as long as on a channel pool (one worker running every slow job
// while the others idle). So a worker leaves its claimed tasks in their
// slots, publishes the claim (its claim field), and takes each task only
// when it starts it; a worker that finds the queue empty (a hunter) takes
// over tasks not started from other workers' claims, and runs them.
//
// They must never both take a task. A hunter takes one with a CAS on its
// slot. The claimer does not, on the hot path: it publishes how far it has
// got instead. After each job (or each task a hunter took, which it skips)
// it stores the task's position in its done field, and only then loads
// hunting: if no worker is hunting, it takes the next task in place (a
// load of its slot, then the read and the free that every task costs
// anyway); otherwise with a CAS, as hunters do. A hunter announces itself
// in hunting, then loads done, and takes over only tasks at least two past
// it: the claimer is at most running the one after done, and will load
// hunting, after its next store to done, before it takes the one after
// that. With Go's sequentially consistent atomics, either the claimer sees
// the hunter or the hunter sees the claimer's progress. A hunter stays
// announced until it has taken the task, and the in-place take checks the
// slot, so a task taken over just before the claimer saw hunting drop to
// zero is skipped, not taken twice.
//
// The store to done is what a claim costs per task: one locked instruction
// on a line of the worker's own. Without it, the task after the running
// job would have to stay the claimer's: kept from idle workers, and
// holding its slot, which a producer wrapping around the ring waits for
// until that job ends.
//
// A claimer that sees a parked hunter while it has tasks behind the one it
// is about to run wakes it: the hunter may have looked before the claim
// was published, and parked (see offer and sleep).
const claimBits = 7 // maxClaim fits

// cheapJob is the longest job that a worker takes with others of its
// claim at once, and for which the store to done would cost more than 1%.
//
// Claim modes. Sharing a claim costs its claimer the store to done per
// task: one locked instruction, on the tiniest jobs a quarter of what the
// pool spends on each. A claim taken whole at once (its tasks read and
// their slots freed in one go, as a claim of one task always is) costs
// nothing more, but keeps its tasks from idle workers while its jobs run.
// So a worker shares its claims of several tasks unless it has found their
// jobs cheap, shorter than cheapJob each: taking those whole, a slow job
// among them holds up at most the cheap jobs claimed with it, for as long
// as it runs, and the worker shares its claims again from the next one it
// times. It times every shared claim, and one in timeEvery of those taken
// whole: a clock read costs about as much as a cheap job. A worker that
// had to wait for work does not know what comes next, and shares.
const cheapJob = time.Microsecond

// timeEvery is how many claims taken whole a worker makes per one it times.
const timeEvery = 8

// timeClaim reports whether w times the claim it is about to run: every
// shared claim, and one in timeEvery of those taken whole.
func (w *worker) timeClaim() bool {
	if !w.cheap {
		return true
	}
	if w.untimed++; w.untimed < timeEvery {
		return false
	}
	w.untimed = 0
	return true
}

// claimAt returns the claim [pos, pos+n) that c, a worker's claim field,
// holds. The position is rebuilt from its low bits and the queue's head,
// which a claim not finished is less than a lap behind.
func claimAt(c, head uint64) (pos, n uint64) {
	const posMask = 1<<(64-claimBits) - 1
	return head - (head-c>>claimBits)&posMask, c & (1<<claimBits - 1)
}

// stealable returns the position in q of a claimed task that a hunter may
// take over, if any. The caller must be counted in hunting.
func (s *staff) stealable(q *ring, self *worker) (uint64, bool) {
	crew := s.crew.Load()
	head := q.head.Load()
	for _, w := range *crew {
		c := w.claim.Load()
		if w == self || c == 0 {
			continue
		}
		pos, n := claimAt(c, head)
		// done may hold a position of the claimer's previous claim: it
		// has then not finished this claim's first job.
		from := max(pos+1, w.done.Load()+2)
		for j := from; j < pos+n; j++ {
			if q.unstarted(j) {
				return j, true
			}
		}
	}
	return 0, false
}

// steal takes over one claimed task not started, and runs it; it reports
// whether there was one. self must be counted in hunting.
func (p *Pool[In, Out]) steal(self *member) bool {
	for {
		pos, ok := p.stealable(&p.q.ring, &self.worker)
		if !ok {
			return false
		}
		if t, ok := p.q.takeOver(pos); ok {
			// Still counted in hunting while it runs the job: claimers
			// then take their next tasks with a CAS, and this worker
			// can take them over when it is done.
			p.freed(&p.q.ring, pos)
			if p.cfg.Metrics {
				// Timed alone, like the jobs of a shared claim.
				p.stats.stealing.Add(1) // busy, though counted in hunting
				p.stats.claimStarted(self, false)
			}
			p.run(self, t)
			if p.cfg.Metrics {
				p.stats.stealing.Add(-1)
			}
			return true
		}
		// Taken by its claimer or another hunter meanwhile: look again.
	}
}

// runClaim runs the tasks of the shared claim [pos, pos+n), n > 1, in
// order, t being the first, already taken: it takes each of the others
// only when it gets to it, and skips those a hunter has taken over (see
// steal). It returns how many it ran.
func (p *Pool[In, Out]) runClaim(w *member, t task[In, Out], pos, n uint64) (ran uint64) {
	end := pos + n
	hunted := p.hunting.Load() != 0 // after the claim was published
	for j := pos; ; {
		if hunted {
			p.offer(&p.q.ring, j+1, end)
		}
		if t.batch == nil && !p.halted.Load() {
			p.runJob(w, t) // the common case, without a call to run
		} else {
			p.run(w, t)
		}
		ran++
		for {
			if j+1 == end {
				return ran
			}
			w.done.Store(j) // before loading hunting: see steal
			j++
			var ok bool
			if hunted = p.hunting.Load() != 0; !hunted {
				// No hunter can take it now; one may have taken it
				// before.
				if ok = p.q.unstarted(j); ok {
					t = p.q.take(j)
				}
			} else {
				t, ok = p.q.takeOver(j)
			}
			if ok {
				p.freed(&p.q.ring, j)
				break
			}
		}
	}
}

// offer wakes a parked worker to take over the claimed tasks of q in [pos,
// end), which the caller will not start before the job it is about to run
// ends.
func (k *parking) offer(q *ring, pos, end uint64) {
	if pos < end && k.sleepers.Load() > 0 && q.unstarted(pos) {
		k.wakeOne()
	}
}

// freed wakes a producer waiting for the slot of pos in q, just freed, so
// that it does not wait for a claim that frees its slots one by one.
func (k *parking) freed(q *ring, pos uint64) {
	if k.spaceWaiters.Load() > 0 && q.waitsFor(pos) {
		k.signalSpace()
	}
}
