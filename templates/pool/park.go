package pool

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Parking. The queue never blocks; these methods put a worker to sleep when
// it finds the queue empty and a producer when it finds it full, and wake
// them. Each side announces itself in an atomic counter (sleepers,
// spaceWaiters) before checking the queue once more, and the other side
// checks the counter after changing the queue: with Go's sequentially
// consistent atomics, either the sleeper sees the change or the changer
// sees the sleeper, so no wake-up is lost. On the busy path, where nobody
// sleeps, the cost is one load of each counter.

// parking holds the workers that found the queue empty and the producers
// that found it full: the idle workers, LIFO, and their count for producers
// to check without the lock; the count of producers waiting for room, and
// the token that wakes one of them.
type parking struct {
	idleMu       sync.Mutex
	idle         []*worker
	sleepers     atomic.Int32
	spaceWaiters atomic.Int32
	space        chan struct{}

	// quit is closed when Close or Shutdown begins: it releases Submits
	// waiting for room.
	quit chan struct{}
}

// init makes the wake-up channels.
func (k *parking) init() {
	k.space = make(chan struct{}, 1)
	k.quit = make(chan struct{})
}

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
func (p *Pool[In, Out]) next(w *member, tasks []task[In, Out]) (n, pos uint64, shared, ok bool) {
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
			if p.spaceWaiters.Load() > 0 {
				p.halfFree(&p.q.ring)
			}
			return n, pos, shared, true
		case popDrained:
			// Help with the claims of the workers still running, then
			// exit.
			if !hunting {
				hunting = true
				p.hunting.Add(1)
				if p.cfg.Metrics {
					p.stats.waiting(w)
				}
			}
			if p.steal(w) && !w.retired.Load() {
				continue
			}
			p.hunting.Add(-1)
			return 0, 0, false, false
		case popPending:
			if p.q.settle(pos) {
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
				p.stats.waiting(w)
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
		if p.cfg.Metrics {
			// A job queued while w sleeps reads the clock (see stamp).
			p.stats.clock.Store(clockParked)
		}
		if !p.sleep(&p.q.ring, &p.staff, &w.worker) {
			p.hunting.Add(-1)
			return 0, 0, false, false
		}
	}
}

// settle waits for the push that claimed position pos of q, not yet
// published, and reports whether to look at q again: the task is published
// or taken by another worker, or q is closed (workers do not park once the
// queue is closed, see sleep: they yield to the pushing goroutine instead).
// It reports false when the pushing goroutine's thread may be descheduled.
func (q *ring) settle(pos uint64) bool {
	if q.await(pos, spinLimit) {
		return true
	}
	if q.closed() {
		runtime.Gosched()
		return true
	}
	return false
}

// halfFree wakes a producer waiting for room in q once half of q is free:
// one wake-up per half queue of jobs rather than per job. A worker that has
// just claimed from q calls it when producers wait.
func (k *parking) halfFree(q *ring) {
	if q.length() <= q.capacity()/2 && k.signalSpace() {
		// Hand this P to the producer just woken: it would otherwise wait
		// in this P's run queue until this worker blocks, which is when
		// the queue is empty, and refill it while the workers idle.
		runtime.Gosched()
	}
}

// passOn passes a producer's wake-up on to another producer waiting for
// room, if q has room: the workers sent one for half a queue of room.
func (k *parking) passOn(q *ring) {
	if k.spaceWaiters.Load() > 0 && q.length() < q.capacity() {
		k.signalSpace()
	}
}

// sleep parks w, a worker of s that found q empty, until a producer, Close,
// Resize or a worker with claimed tasks to take over wakes it. It returns
// false if w was retired.
func (k *parking) sleep(q *ring, s *staff, w *worker) bool {
	k.idleMu.Lock()
	w.asleep = true
	k.idle = append(k.idle, w)
	k.sleepers.Add(1)
	k.idleMu.Unlock()
	// Look once more, after the announcement: a worker that claims tasks
	// afterwards sees it (see offer).
	if _, stealable := s.stealable(q, w); q.ready() || stealable || w.retired.Load() {
		if k.unsleep(w) || w.retired.Load() {
			return !w.retired.Load()
		}
		// Lent to a Map caller (see lend): wait until it gives w back.
	}
	for {
		select {
		case <-w.wake:
			if k.woken(w) {
				return true
			}
			// A wake-up left over from before w was listed, or w is
			// lent: still parked.
		case <-w.stop:
			k.unsleep(w)
			return false
		}
	}
}

// woken reports whether w, which has received a wake-up, is to run: taken
// off the idle list and not lent to a Map caller.
func (k *parking) woken(w *worker) bool {
	k.idleMu.Lock()
	defer k.idleMu.Unlock()
	return !w.asleep && !w.lent
}

// unsleep takes w, which did not wait for its wake-up, off the idle list,
// and reports whether w may run: false while it is lent to a Map caller.
// If a producer has already taken it off to wake it, the wake-up is passed
// to another sleeper: w may be about to exit, and the producer's task must
// not wait for a worker that will not come.
func (k *parking) unsleep(w *worker) bool {
	k.idleMu.Lock()
	if w.asleep {
		k.unlist(w)
		k.idleMu.Unlock()
		return true
	}
	if w.lent {
		k.idleMu.Unlock()
		return false
	}
	k.idleMu.Unlock()
	k.wakeOne()
	return true
}

// unlist takes w, which is on the idle list, off it. k.idleMu must be
// held.
func (k *parking) unlist(w *worker) {
	for i, v := range k.idle {
		if v == w {
			last := len(k.idle) - 1
			copy(k.idle[i:], k.idle[i+1:])
			k.idle[last] = nil
			k.idle = k.idle[:last]
			break
		}
	}
	w.asleep = false
	k.sleepers.Add(-1)
}

// lend takes a parked worker of s off the idle list for a Map caller to
// run the batch's items in its stead, so that the batch starts at once,
// without waiting for a worker to wake, and the items and jobs running
// never outnumber the workers. It counts the caller in s.wg, for Close
// and Shutdown to wait for it. It returns nil if no worker is parked or q
// is closed. The worker stays parked, and no wake-up runs it, until the
// caller gives it back (see takeBack).
func (k *parking) lend(q *ring, s *staff) *worker {
	if k.sleepers.Load() == 0 {
		return nil
	}
	k.idleMu.Lock()
	defer k.idleMu.Unlock()
	if q.closed() {
		return nil
	}
	// The first listed, the longest parked: its cache is the coldest, and
	// the caller's helpers are woken from the other end.
	for _, w := range k.idle {
		if !w.retired.Load() {
			k.unlist(w)
			w.lent = true
			// w's goroutine, parked, keeps the count above zero.
			s.wg.Add(1)
			return w
		}
	}
	return nil
}

// takeBack gives back w, lent to a Map caller by lend: it parks it again,
// at the cold end of the idle list, or wakes it if q was closed
// meanwhile (it must drain q and exit). Like a worker going to sleep, it
// looks at q once more after listing w, and wakes a worker if there is work
// it would have found.
func (k *parking) takeBack(q *ring, s *staff, w *worker) {
	k.idleMu.Lock()
	w.lent = false
	relist := !q.closed() && !w.retired.Load()
	if relist {
		w.asleep = true
		k.idle = slices.Insert(k.idle, 0, w)
		k.sleepers.Add(1)
	}
	k.idleMu.Unlock()
	if !relist {
		select {
		case w.wake <- struct{}{}:
		default:
		}
		return
	}
	if _, stealable := s.stealable(q, w); q.ready() || stealable {
		k.wakeOne()
	}
}

// wakeOne wakes the most recently parked worker (its cache is the warmest),
// if any.
func (k *parking) wakeOne() {
	k.idleMu.Lock()
	n := len(k.idle)
	if n == 0 {
		k.idleMu.Unlock()
		return
	}
	w := k.idle[n-1]
	k.idle[n-1] = nil
	k.idle = k.idle[:n-1]
	w.asleep = false
	k.sleepers.Add(-1)
	k.idleMu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// wakeAll wakes every parked worker; after the queue is closed, none parks
// again.
func (k *parking) wakeAll() {
	k.idleMu.Lock()
	idle := k.idle
	k.idle = nil
	for _, w := range idle {
		w.asleep = false
	}
	k.sleepers.Store(0)
	k.idleMu.Unlock()
	for _, w := range idle {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// signalSpace wakes one producer waiting for room, and reports whether it
// sent the wake-up; the producer passes it on once it has pushed (see send).
func (k *parking) signalSpace() bool {
	select {
	case k.space <- struct{}{}:
		return true
	default: // a wake-up is already pending
		return false
	}
}

// stopAccepting closes q, so that every later Submit fails, and wakes every
// parked worker and producer. The pool's life must be held.
func (k *parking) stopAccepting(q *ring) {
	if q.closed() {
		return
	}
	q.close()
	close(k.quit) // release Submits waiting for room
	k.wakeAll()   // the workers that are not retired drain the queue and exit
}
