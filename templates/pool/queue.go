package pool

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// queue is the job queue: a ring of slots, each holding a task and the
// sequence number that publishes it (see ring).
//
//monogen:note The parking is in park.go.
type queue[In, Out any] struct {
	ring
	slots []slot[In, Out]
}

// slot holds one task. seq == pos: free for the push at pos; seq == pos+1:
// holds the task pushed at pos, ready to pop.
type slot[In, Out any] struct {
	seq atomic.Uint64
	t   task[In, Out]
}

// ring is a bounded multi-producer multi-consumer queue (Dmitry Vyukov's
// design), but for the tasks themselves: a producer claims a position with
// one CAS on tail and publishes the task through the slot's sequence
// number, a consumer claims with one CAS on head (several tasks at once
// when many are queued, see claim) and frees each slot through its
// sequence number. Producers and consumers touch different counters and
// never take a lock, which is where it beats a channel: a channel's single
// lock is contended by every sender and receiver on every job.
//
// It never blocks; the pool parks workers and producers around it. Closing
// it is one atomic Or of closedBit into tail: no push succeeds afterwards,
// and every push that claimed a position before still publishes it, so
// consumers drain exactly what was accepted.
//
// It reaches the sequence numbers by address (seq), in the slots beside
// the tasks they publish, so that a push or a pop touches one cache line.
type ring struct {
	head atomic.Uint64 // next position to pop
	_    [cacheLine - 8]byte
	tail atomic.Uint64 // next position to push, | closedBit once closed
	_    [cacheLine - 8]byte
	mask uint64
	// seqs is the address of the first slot's sequence number, stride
	// the size of a slot.
	seqs   unsafe.Pointer
	stride uintptr
}

// seq returns the sequence number of the slot of pos.
func (q *ring) seq(pos uint64) *atomic.Uint64 {
	return (*atomic.Uint64)(unsafe.Add(q.seqs, uintptr(pos&q.mask)*q.stride))
}

// closedBit, set in tail, marks the queue closed. Positions never reach it:
// 2^63 pushes would take centuries.
const closedBit = 1 << 63

type pushResult uint8

const (
	pushed pushResult = iota
	pushFull
	pushClosed
)

type popResult uint8

const (
	popped     popResult = iota
	popEmpty             // nothing queued
	popPending           // a push has claimed the next position but not yet published it
	popDrained           // closed and empty: nothing will ever come
)

// init sizes the ring to capacity rounded up to a power of two, at least 2
// (one slot cannot tell full from free).
func (q *queue[In, Out]) init(capacity int) {
	n := uint64(2)
	if capacity > 2 {
		n = 1 << bits.Len64(uint64(capacity-1))
	}
	q.slots = make([]slot[In, Out], n)
	q.ring.init(unsafe.Pointer(&q.slots[0].seq), unsafe.Sizeof(q.slots[0]), n)
}

// init sets up the ring over n slots, the first one's sequence number at
// seqs and each next one stride bytes further.
func (q *ring) init(seqs unsafe.Pointer, stride uintptr, n uint64) {
	q.seqs, q.stride, q.mask = seqs, stride, n-1
	for i := range n {
		q.seq(i).Store(i)
	}
}

// tryPush adds t unless the queue is full or closed.
func (q *queue[In, Out]) tryPush(t task[In, Out]) pushResult {
	pos := q.tail.Load()
	for {
		if pos&closedBit != 0 {
			return pushClosed
		}
		s := &q.slots[pos&q.mask]
		switch dif := int64(s.seq.Load() - pos); {
		case dif == 0:
			if q.tail.CompareAndSwap(pos, pos+1) {
				s.t = t
				s.seq.Store(pos + 1) // publish
				return pushed
			}
		case dif < 0: // the slot still holds the task of the previous lap
			return pushFull
		}
		pos = q.tail.Load()
	}
}

// claim claims the oldest published task, and the ones published after it
// up to a share of the queue, with one CAS on head: a worker claims n tasks
// for the cost of one, and the line holding head moves between the cores of
// competing workers once per claim rather than once per task. The caller
// then takes each claimed position.
//
// It claims at most most tasks, and at most the number queued divided by
// share (twice the number of workers): more than one only when at least
// 2*share are queued, and never more than half a fair share, so that the
// other workers, and workers added by Resize, still find the rest in the
// queue. share 0 claims one task.
func (q *ring) claim(share, most uint64) (pos, n uint64, r popResult) {
	pos = q.head.Load()
	for {
		s := q.seq(pos)
		switch dif := int64(s.Load() - (pos + 1)); {
		case dif == 0:
			n = 1
			if share > 0 && q.seq(pos+1).Load() == pos+2 {
				// More than one is published: only then read the length,
				// a load of the line producers write.
				limit := min(uint64(q.length())/share, most)
				for n < limit && q.seq(pos+n).Load() == pos+n+1 {
					n++
				}
			}
			if q.head.CompareAndSwap(pos, pos+n) {
				return pos, n, popped
			}
		case dif < 0:
			tail := q.tail.Load()
			switch {
			case tail&^closedBit > pos:
				return pos, 0, popPending
			case tail&closedBit != 0:
				return pos, 0, popDrained
			}
			return pos, 0, popEmpty
		}
		pos = q.head.Load()
	}
}

// await waits, reading at most spins times, until the task at pos, claimed
// by a push but not yet published, is published or taken by another
// consumer; it reports whether it was. It reads only the slot and head: the
// pushing goroutine is about to write the slot, and tail is its to write on
// the next push.
func (q *ring) await(pos uint64, spins int) bool {
	s := q.seq(pos)
	for range spins {
		if s.Load() != pos || q.head.Load() != pos {
			return true
		}
	}
	return false
}

// take returns the task at pos, which the caller has claimed, and frees its
// slot.
func (q *queue[In, Out]) take(pos uint64) task[In, Out] {
	s := &q.slots[pos&q.mask]
	t := s.t
	s.t = task[In, Out]{} // drop references for the GC
	s.seq.Store(pos + q.mask + 1)
	return t
}

// unstarted reports whether the claimed task at pos is still in its slot.
//
// A worker that shares a claim of several tasks leaves them in their slots
// and takes each one only when it starts it, so that idle workers can take
// over those it has not started (see Pool.steal). Claimer and hunter meet
// on the slot: a claimed task not started has seq == pos+1, and whoever
// takes it with a CAS to seq == pos (a position in the past: a producer
// still finds the slot full) reads it and frees the slot.
func (q *ring) unstarted(pos uint64) bool {
	return q.seq(pos).Load() == pos+1
}

// takeOver takes the claimed task at pos and frees its slot, unless another
// worker took it first.
func (q *queue[In, Out]) takeOver(pos uint64) (task[In, Out], bool) {
	s := &q.slots[pos&q.mask]
	if !s.seq.CompareAndSwap(pos+1, pos) {
		return task[In, Out]{}, false
	}
	return q.take(pos), true
}

// waitsFor reports whether the push at the tail waits for the slot of pos.
func (q *ring) waitsFor(pos uint64) bool {
	return pos+q.mask+1 == q.tail.Load()&^closedBit
}

// tryPop removes the oldest task, if one is published (Shutdown drains the
// queue with it).
func (q *queue[In, Out]) tryPop() (task[In, Out], popResult) {
	pos, _, r := q.claim(0, 1)
	if r != popped {
		return task[In, Out]{}, r
	}
	return q.take(pos), popped
}

// close makes every later push fail.
func (q *ring) close() { q.tail.Or(closedBit) }

// closed reports whether close has been called.
func (q *ring) closed() bool { return q.tail.Load()&closedBit != 0 }

// ready reports whether a pop would make progress now: the oldest task is
// published, or the queue is closed (a worker must then drain and exit). A
// task claimed but not yet published does not count: its producer wakes a
// worker once it has published it.
func (q *ring) ready() bool {
	for {
		pos := q.head.Load()
		if q.seq(pos).Load() == pos+1 {
			return true
		}
		if q.head.Load() == pos { // not a slot popped under our feet
			return q.closed()
		}
	}
}

// length reports the number of tasks queued or being pushed.
func (q *ring) length() int {
	tail := q.tail.Load() &^ closedBit
	head := q.head.Load()
	if head >= tail {
		return 0
	}
	return int(tail - head)
}

// pushes reports the number of pushes that have claimed a position: every
// task accepted so far, queued or taken.
func (q *ring) pushes() uint64 { return q.tail.Load() &^ closedBit }

// capacity reports the number of slots.
func (q *ring) capacity() int { return int(q.mask + 1) }
