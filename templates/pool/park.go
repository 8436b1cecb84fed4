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

// next returns the next task for w, sleeping while the queue is empty. It
// returns false when w must exit: retired, or the queue closed and drained.
func (p *Pool[In, Out]) next(w *worker) (task[In, Out], bool) {
	for {
		t, r := p.q.tryPop()
		switch r {
		case popped:
			if p.spaceWaiters.Load() > 0 && p.q.length() <= p.q.capacity()/2 {
				// Wake producers only once half the queue is free: one
				// wake-up per half queue of jobs rather than per job.
				p.signalSpace()
			}
			return t, true
		case popDrained:
			return t, false
		case popPending:
			runtime.Gosched() // the pushing goroutine is about to publish
			continue
		}
		if !p.sleep(w) {
			return t, false
		}
	}
}

// sleep parks w until a producer, Close or Resize wakes it. It returns
// false if w was retired.
func (p *Pool[In, Out]) sleep(w *worker) bool {
	p.idleMu.Lock()
	w.asleep = true
	p.idle = append(p.idle, w)
	p.sleepers.Add(1)
	p.idleMu.Unlock()
	if p.q.busy() || w.retired.Load() {
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

// signalSpace wakes one producer waiting for room; it passes the wake-up on
// once it has pushed (see push).
func (p *Pool[In, Out]) signalSpace() {
	select {
	case p.space <- struct{}{}:
	default: // a wake-up is already pending
	}
}
