package pool

import "runtime"

// Parking. The queue never blocks; these methods put a worker to sleep when
// it finds the queue empty and a producer when it finds it full, and wake
// them. Each side announces itself in an atomic counter (sleepers,
// spaceWaiters) before checking the queue once more, and the other side
// checks the counter after changing the queue: with Go's sequentially
// consistent atomics, either the sleeper sees the change or the changer
// sees the sleeper, so no wake-up is lost. On the busy path, where nobody
// sleeps, the cost is one load of each counter.

// spinLimit is how many times a goroutine retries before parking when it
// finds another one in the middle of a step of a few instructions: a
// producer between claiming a slot and publishing it, or a worker between
// claiming tasks and freeing their slots. The other goroutine is almost
// always running on another core and done within the spin; when it is not,
// its thread has been descheduled, and only parking gives it the CPU back.
// Yielding instead (runtime.Gosched) would cost a trip through the
// scheduler's global run queue on every such meeting, which on a busy pool
// is a large share of all jobs.
const spinLimit = 64

// maxClaim bounds how many tasks a worker claims at once (see claim and
// steal).
const maxClaim = 64

// next claims the next tasks, at least one and at most maxClaim (see
// queue.claim), sleeping while the queue is empty, and returns how many,
// the first one's position, and whether the claim is shared. The first
// task is taken into tasks[0]. A claim of jobs w has found cheap is taken
// whole into tasks; another claim of several is shared: its other tasks
// stay in their slots, for w to take when it starts them or for idle
// workers to take over (see steal). While the queue is empty, next runs
// the shared tasks that other workers have not started. It returns false
// when w must exit: retired, or the queue closed and drained.
func (p *Pool[In, Out]) next(w *worker, tasks []task[In, Out]) (n, pos uint64, shared, ok bool) {
	hunting := false
	for {
		pos, n, r := p.q.claim(2*uint64(p.size.Load()), uint64(len(tasks)))
		switch r {
		case popped:
			if hunting {
				p.hunting.Add(-1)
			}
			tasks[0] = p.q.take(pos)
			if shared = n > 1 && !w.cheap; shared {
				// Published before the claim's first job runs, so that
				// a hunter can take over the others (see offer).
				w.claim.Store(pos<<claimBits | n)
			} else {
				for i := range n - 1 {
					tasks[i+1] = p.q.take(pos + 1 + i)
				}
			}
			if p.spaceWaiters.Load() > 0 && p.q.length() <= p.q.capacity()/2 {
				// Wake producers only once half the queue is free: one
				// wake-up per half queue of jobs rather than per job.
				if p.signalSpace() {
					// Hand this P to the producer just woken: it would
					// otherwise wait in this P's run queue until this
					// worker blocks, which is when the queue is empty,
					// and refill it while the workers idle.
					runtime.Gosched()
				}
			}
			return n, pos, shared, true
		case popDrained:
			// Help with the claims of the workers still running, then
			// exit.
			if !hunting {
				hunting = true
				p.hunting.Add(1)
				if p.cfg.Metrics {
					p.waiting(w)
				}
			}
			if p.steal(w) && !w.retired.Load() {
				continue
			}
			p.hunting.Add(-1)
			return 0, 0, false, false
		case popPending:
			if p.q.await(pos, spinLimit) {
				continue // published, or taken by another worker
			}
			if p.q.closed() {
				// Workers do not park once the queue is closed (see
				// sleep): yield to the pushing goroutine instead.
				runtime.Gosched()
				continue
			}
			// Its thread may be descheduled: park, and let it wake us
			// once it has published (see pushed).
		}
		// Nothing queued, or nothing published: take over a task another
		// worker claimed and has not started, else park.
		if !hunting {
			hunting = true
			p.hunting.Add(1)
			if p.cfg.Metrics {
				p.waiting(w)
			}
		}
		if p.steal(w) {
			if w.retired.Load() {
				p.hunting.Add(-1)
				return 0, 0, false, false
			}
			continue
		}
		// Whatever comes after a wait is new: not known to be cheap.
		w.cheap = false
		if !p.sleep(w) {
			p.hunting.Add(-1)
			return 0, 0, false, false
		}
	}
}

// sleep parks w until a producer, Close, Resize or a worker with claimed
// tasks to take over wakes it. It returns false if w was retired.
func (p *Pool[In, Out]) sleep(w *worker) bool {
	if p.cfg.Metrics {
		// A job queued while w sleeps reads the clock (see stamp).
		p.stats.clock.Store(clockParked)
	}
	p.idleMu.Lock()
	w.asleep = true
	p.idle = append(p.idle, w)
	p.sleepers.Add(1)
	p.idleMu.Unlock()
	// Look once more, after the announcement: a worker that claims tasks
	// afterwards sees it (see offer).
	if _, stealable := p.stealable(w); p.q.ready() || stealable || w.retired.Load() {
		p.unsleep(w)
		return !w.retired.Load()
	}
	select {
	case <-w.wake:
		return true
	case <-w.stop:
		p.unsleep(w)
		return false
	}
}

// unsleep takes w, which did not wait for its wake-up, off the idle list.
// If a producer has already taken it off to wake it, the wake-up is passed
// to another sleeper: w may be about to exit, and the producer's task must
// not wait for a worker that will not come.
func (p *Pool[In, Out]) unsleep(w *worker) {
	p.idleMu.Lock()
	if w.asleep {
		for i, v := range p.idle {
			if v == w {
				last := len(p.idle) - 1
				copy(p.idle[i:], p.idle[i+1:])
				p.idle[last] = nil
				p.idle = p.idle[:last]
				break
			}
		}
		w.asleep = false
		p.sleepers.Add(-1)
		p.idleMu.Unlock()
		return
	}
	p.idleMu.Unlock()
	p.wakeOne()
}

// wakeOne wakes the most recently parked worker (its cache is the warmest),
// if any.
func (p *Pool[In, Out]) wakeOne() {
	p.idleMu.Lock()
	n := len(p.idle)
	if n == 0 {
		p.idleMu.Unlock()
		return
	}
	w := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	w.asleep = false
	p.sleepers.Add(-1)
	p.idleMu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// wakeAll wakes every parked worker; after the queue is closed, none parks
// again.
func (p *Pool[In, Out]) wakeAll() {
	p.idleMu.Lock()
	idle := p.idle
	p.idle = nil
	for _, w := range idle {
		w.asleep = false
	}
	p.sleepers.Store(0)
	p.idleMu.Unlock()
	for _, w := range idle {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// signalSpace wakes one producer waiting for room, and reports whether it
// sent the wake-up; the producer passes it on once it has pushed (see send).
func (p *Pool[In, Out]) signalSpace() bool {
	select {
	case p.space <- struct{}{}:
		return true
	default: // a wake-up is already pending
		return false
	}
}
