// Package queue is the monogen template of a bounded multi-producer
// multi-consumer queue with backpressure:
//
//	//monogen:queue Orders[Order] size=1024 policy=block
//
// Queue is a ring of slots, each with a sequence number (Dmitry Vyukov's
// bounded MPMC queue): a producer claims a position with one compare-and-swap
// on the head and publishes the value with one store to the slot's sequence; a
// consumer does the same on the tail. Producers and consumers touch different
// cache lines, and no lock is taken while the queue is neither full nor empty.
// Only a goroutine that finds the queue full (policy Block) or empty parks, on
// a one-token channel, so that waiting honours a context.Context; the other
// side pays one atomic load per operation to see whether anybody is parked.
//
// PushMany and PopMany claim a run of slots with a single compare-and-swap,
// which amortises the synchronisation over the batch.
package queue

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// Policy says what Push does when the queue is full.
type Policy uint8

const (
	// Block makes Push wait until there is room, the context ends or the
	// queue is closed.
	Block Policy = iota
	// DropNewest makes Push discard the item it was given and return nil;
	// the drop is counted in Stats.
	DropNewest
	// DropOldest makes Push discard the oldest item in the queue to make
	// room; the drop is counted in Stats.
	DropOldest
	// Error makes Push return ErrFull.
	Error
)

var (
	// ErrClosed is returned by pushes after Close, and by pops once the
	// queue is closed and every item has been popped.
	ErrClosed = errors.New("queue: closed")
	// ErrFull is returned by Push and PushMany under the Error policy when
	// there is no room.
	ErrFull = errors.New("queue: full")
)

// DefaultSize is the capacity used when Config.Size is zero.
const DefaultSize = 1024

// Config holds the options of a Queue. In generated code each field is a
// constant taken from the directive.
//
//monogen:config
type Config struct {
	// Size is the capacity. New rounds it up to a power of two, at least 2,
	// so that a position maps to its slot with a mask and a published slot
	// (seq == pos+1) is never mistaken for a free one (seq == pos+size).
	// Zero means DefaultSize.
	Size int
	// Policy is what Push does when the queue is full. The zero value is
	// Block.
	Policy Policy

	// hookDrop says whether a function is called with each item the policy
	// drops (SetOnDrop, or the directive's ondrop=).
	hookDrop bool
}

// cacheLineSize separates the fields producers write from those consumers
// write, so that neither side invalidates the other's cache line.
const cacheLineSize = 64

// closedBit is set in head by Close. Keeping it in the word producers
// compare-and-swap makes Close linearizable: a push either claimed its slot
// before Close (and its item will be popped) or fails with ErrClosed.
// Positions never reach 2^63.
const closedBit = 1 << 63

// spinTries is how many times a goroutine that finds the queue full or empty
// retries, yielding its processor in between, before it parks. Parking and
// waking cost a few hundred nanoseconds each; a short spin lets a
// producer-consumer pair that runs at the same speed avoid both.
const spinTries = 4

// queueSlot is one cell of the ring. seq tells who owns it: seq == pos means
// free for the producer of position pos; seq == pos+1 means it holds the item
// of position pos, for the consumer of pos; a consumer releases it for the
// next lap with seq = pos+size.
type queueSlot[T any] struct {
	seq atomic.Uint64
	val T
}

// opStatus is the outcome of a non-blocking attempt on the ring.
type opStatus uint8

const (
	opDone   opStatus = iota // at least one item moved
	opFull                   // no free slot (push) or no published item (pop)
	opClosed                 // the queue is closed (and, for a pop, drained)
)

// Queue is a bounded FIFO queue for any number of producers and consumers.
// Create one with New; the zero value is not usable. A Queue must not be
// copied after first use.
//
// A push that succeeds happens before the pop that returns the item, as a send
// on a channel happens before the corresponding receive. Items pushed by one
// goroutine are popped in the order it pushed them.
type Queue[T any] struct {
	_ noCopy

	// Read-only after init: they share a cache line with nothing written.
	slots    []queueSlot[T]
	cfg      Config
	notEmpty chan struct{} // one token: wakes a parked consumer
	notFull  chan struct{} // one token: wakes a parked producer
	done     chan struct{} // closed by Close: wakes everybody
	once     sync.Once
	_        [cacheLineSize]byte

	// head is the next position a producer claims, with closedBit.
	head atomic.Uint64
	_    [cacheLineSize - 8]byte
	// tail is the next position a consumer claims.
	tail atomic.Uint64
	_    [cacheLineSize - 8]byte

	// popWaiters and pushWaiters count parked consumers and producers. A
	// goroutine increments its counter before its last look at the ring and
	// the other side loads it after publishing, so (atomics being
	// sequentially consistent) either the waiter sees the change or the
	// other side sees the waiter and hands it a token.
	popWaiters  atomic.Int32
	pushWaiters atomic.Int32
	_           [cacheLineSize - 8]byte

	dropped atomic.Uint64 //monogen:if drops

	// onDrop is the generic reference's drop hook (SetOnDrop).
	//monogen:note A generated queue calls ondrop= directly.
	onDrop func(T)
}

// New returns an empty queue configured by cfg.
//
//monogen:template
func New[T any](cfg Config) *Queue[T] {
	if cfg.Size <= 0 {
		cfg.Size = DefaultSize
	}
	size := 2
	for size < cfg.Size {
		size <<= 1
	}
	cfg.Size = size
	q := &Queue[T]{cfg: cfg}
	q.init()
	return q
}

// init allocates the ring and the wake-up channels.
func (q *Queue[T]) init() {
	if q.cfg.Size < 2 || q.cfg.Size > 1<<30 || q.cfg.Size&(q.cfg.Size-1) != 0 {
		panic("queue: size must be a power of two from 2 to 1<<30")
	}
	q.slots = make([]queueSlot[T], q.cfg.Size)
	for i := range q.slots {
		q.slots[i].seq.Store(uint64(i))
	}
	q.notEmpty = make(chan struct{}, 1)
	q.notFull = make(chan struct{}, 1)
	q.done = make(chan struct{})
}

// SetOnDrop sets f to be called with each item that Push or PushMany
// discards under DropNewest (the item given) or DropOldest (the oldest item
// in the queue). f runs on the goroutine that called Push, before Push
// returns: it delays that producer only. Call it before the queue is used.
//
//monogen:template
func (q *Queue[T]) SetOnDrop(f func(T)) {
	q.onDrop = f
	q.cfg.hookDrop = f != nil
}

// discarded reports an item that the policy dropped.
//
//monogen:hook
func (q *Queue[T]) discarded(v T) {
	q.onDrop(v)
}

// Cap returns the capacity of the queue.
func (q *Queue[T]) Cap() int { return q.cfg.Size }

// Len returns the number of items in the queue, including those a producer
// has claimed a slot for but not yet published. Under concurrent use it is a
// snapshot that may be stale by the time it returns.
func (q *Queue[T]) Len() int {
	tail := q.tail.Load()
	head := q.head.Load() &^ closedBit
	if head < tail { // tail was loaded before consumers caught up with a later head
		return 0
	}
	return min(int(head-tail), q.cfg.Size)
}

// TryPush adds v if there is room now and reports whether it did. It never
// blocks and never drops an item, whatever the policy.
func (q *Queue[T]) TryPush(v T) bool {
	if q.enqueue(v) != opDone {
		return false
	}
	q.wakeConsumer()
	return true
}

// Push adds v to the queue. When the queue is full it follows the policy:
// Block waits for room and returns ctx.Err() if ctx ends first; DropNewest
// discards v and returns nil; DropOldest discards the oldest item and adds v;
// Error returns ErrFull. Push returns ErrClosed once Close has been called.
func (q *Queue[T]) Push(ctx context.Context, v T) error {
	woken := false
	for spins := 0; ; spins++ {
		switch q.enqueue(v) {
		case opDone:
			q.wakeConsumer()
			if woken {
				q.passProducerToken()
			}
			return nil
		case opClosed:
			return ErrClosed
		}
		if q.cfg.Policy == DropNewest {
			q.dropped.Add(1)
			if q.cfg.hookDrop {
				q.discarded(v)
			}
			return nil
		}
		if q.cfg.Policy == DropOldest {
			q.dropOldest()
			continue
		}
		if q.cfg.Policy == Error {
			return ErrFull
		}
		if spins < spinTries {
			runtime.Gosched()
			continue
		}
		var err error
		if woken, err = q.waitNotFull(ctx); err != nil {
			return err
		}
	}
}

// PushMany adds the items of vs in order and returns how many it added. It
// claims as many slots as are free with a single atomic operation, so a batch
// costs about as much as one Push. When the queue is full it follows the
// policy like Push: Block waits (and returns the count so far with ctx.Err()
// or ErrClosed); DropNewest discards the items that do not fit and returns
// nil; DropOldest discards the oldest items to make room; Error returns the
// count so far with ErrFull.
func (q *Queue[T]) PushMany(ctx context.Context, vs []T) (int, error) {
	added := 0
	woken := false
	for spins := 0; added < len(vs); spins++ {
		n, st := q.enqueueMany(vs[added:])
		if n > 0 {
			added += n
			q.wakeConsumer()
			if woken {
				q.passProducerToken()
				woken = false
			}
			spins = 0 // progress: spin afresh before parking the next time
			continue
		}
		if st == opClosed {
			return added, ErrClosed
		}
		if q.cfg.Policy == DropNewest {
			q.dropped.Add(uint64(len(vs) - added))
			if q.cfg.hookDrop {
				for _, v := range vs[added:] {
					q.discarded(v)
				}
			}
			return added, nil
		}
		if q.cfg.Policy == DropOldest {
			q.dropOldest()
			continue
		}
		if q.cfg.Policy == Error {
			return added, ErrFull
		}
		if spins < spinTries {
			runtime.Gosched()
			continue
		}
		var err error
		if woken, err = q.waitNotFull(ctx); err != nil {
			return added, err
		}
	}
	return added, nil
}

// TryPop removes and returns the oldest item if there is one. It never blocks.
func (q *Queue[T]) TryPop() (T, bool) {
	v, st := q.dequeue()
	if st != opDone {
		return v, false
	}
	q.wakeProducer()
	return v, true
}

// Pop removes and returns the oldest item, waiting for one if the queue is
// empty. It returns ctx.Err() if ctx ends first, and ErrClosed once the queue
// is closed and drained: items pushed before Close are still returned.
func (q *Queue[T]) Pop(ctx context.Context) (T, error) {
	woken := false
	for spins := 0; ; spins++ {
		v, st := q.dequeue()
		switch st {
		case opDone:
			q.wakeProducer()
			if woken {
				q.passConsumerToken()
			}
			return v, nil
		case opClosed:
			return v, ErrClosed
		}
		if spins < spinTries {
			runtime.Gosched()
			continue
		}
		var err error
		if woken, err = q.waitNotEmpty(ctx); err != nil {
			return v, err
		}
	}
}

// PopMany waits until the queue holds at least one item, then removes up to
// len(buf) items into buf, oldest first, without waiting for more, and returns
// how many it removed. It claims them with a single atomic operation. It
// returns ctx.Err() if ctx ends before any item arrives and ErrClosed once the
// queue is closed and drained. A PopMany with an empty buf returns at once.
func (q *Queue[T]) PopMany(ctx context.Context, buf []T) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	woken := false
	for spins := 0; ; spins++ {
		n, st := q.dequeueMany(buf)
		switch st {
		case opDone:
			q.wakeProducer()
			if woken {
				q.passConsumerToken()
			}
			return n, nil
		case opClosed:
			return 0, ErrClosed
		}
		if spins < spinTries {
			runtime.Gosched()
			continue
		}
		var err error
		if woken, err = q.waitNotEmpty(ctx); err != nil {
			return 0, err
		}
	}
}

// Close stops the queue accepting items. Pushes waiting for room return
// ErrClosed; consumers pop the items left and then get ErrClosed. Every push
// that returned nil before Close started has its item popped by some later
// pop (or dropped under DropOldest). Close may be called more than once.
func (q *Queue[T]) Close() {
	q.once.Do(func() {
		q.head.Or(closedBit)
		close(q.done)
	})
}

// Stats holds counters of a queue's life so far.
//
//monogen:if drops
type Stats struct {
	// Dropped counts the items the queue discarded because it was full:
	// the newest or the oldest, as its policy says.
	Dropped uint64
}

// Stats returns the queue's counters.
//
//monogen:if drops
func (q *Queue[T]) Stats() Stats {
	return Stats{Dropped: q.dropped.Load()}
}

// enqueue claims the slot at head and publishes v in it.
func (q *Queue[T]) enqueue(v T) opStatus {
	mask := uint64(q.cfg.Size) - 1
	pos := q.head.Load()
	for {
		if pos&closedBit != 0 {
			return opClosed
		}
		slot := &q.slots[pos&mask]
		switch lap := int64(slot.seq.Load() - pos); {
		case lap == 0:
			if q.head.CompareAndSwap(pos, pos+1) {
				slot.val = v
				slot.seq.Store(pos + 1)
				return opDone
			}
		case lap < 0: // the slot still holds the item of the previous lap
			return opFull
		}
		pos = q.head.Load() // another producer claimed pos first
	}
}

// enqueueMany claims the run of free slots starting at head, up to len(vs),
// with one compare-and-swap and publishes vs in them. Slots seen free stay
// free until head passes them, since only the producer that moves head over
// a position may fill it.
func (q *Queue[T]) enqueueMany(vs []T) (int, opStatus) {
	mask := uint64(q.cfg.Size) - 1
	limit := min(len(vs), q.cfg.Size)
	pos := q.head.Load()
	for {
		if pos&closedBit != 0 {
			return 0, opClosed
		}
		n := 0
		for n < limit && q.slots[(pos+uint64(n))&mask].seq.Load() == pos+uint64(n) {
			n++
		}
		if n == 0 && int64(q.slots[pos&mask].seq.Load()-pos) < 0 {
			return 0, opFull
		}
		if n > 0 && q.head.CompareAndSwap(pos, pos+uint64(n)) {
			for i, v := range vs[:n] {
				q.slots[(pos+uint64(i))&mask].val = v
			}
			// Publish last to first: a consumer that sees the first slot
			// published sees the whole run and takes it in one batch,
			// instead of chasing the writes one cache line at a time.
			for i := n - 1; i >= 0; i-- {
				p := pos + uint64(i)
				q.slots[p&mask].seq.Store(p + 1)
			}
			return n, opDone
		}
		pos = q.head.Load()
	}
}

// dequeue claims the slot at tail and takes its item.
func (q *Queue[T]) dequeue() (T, opStatus) {
	var zero T
	mask := uint64(q.cfg.Size) - 1
	pos := q.tail.Load()
	for {
		slot := &q.slots[pos&mask]
		switch lap := int64(slot.seq.Load() - (pos + 1)); {
		case lap == 0:
			if q.tail.CompareAndSwap(pos, pos+1) {
				v := slot.val
				slot.val = zero // let the garbage collector have it
				slot.seq.Store(pos + mask + 1)
				return v, opDone
			}
		case lap < 0: // nothing published at pos yet
			return zero, q.emptyStatus(pos)
		}
		pos = q.tail.Load()
	}
}

// dequeueMany claims the run of published slots starting at tail, up to
// len(buf), with one compare-and-swap and moves their items into buf.
func (q *Queue[T]) dequeueMany(buf []T) (int, opStatus) {
	var zero T
	mask := uint64(q.cfg.Size) - 1
	limit := min(len(buf), q.cfg.Size)
	pos := q.tail.Load()
	for {
		n := 0
		for n < limit && q.slots[(pos+uint64(n))&mask].seq.Load() == pos+uint64(n)+1 {
			n++
		}
		if n == 0 && int64(q.slots[pos&mask].seq.Load()-(pos+1)) < 0 {
			return 0, q.emptyStatus(pos)
		}
		if n > 0 && q.tail.CompareAndSwap(pos, pos+uint64(n)) {
			for i := range buf[:n] {
				slot := &q.slots[(pos+uint64(i))&mask]
				buf[i] = slot.val
				slot.val = zero
			}
			// Release last to first, for the reason enqueueMany publishes
			// last to first.
			for i := n - 1; i >= 0; i-- {
				p := pos + uint64(i)
				q.slots[p&mask].seq.Store(p + mask + 1)
			}
			return n, opDone
		}
		pos = q.tail.Load()
	}
}

// emptyStatus tells an empty queue from a closed and drained one, given the
// tail position at which nothing was published. A producer may have claimed
// pos before Close without publishing yet: that is empty, not drained.
func (q *Queue[T]) emptyStatus(pos uint64) opStatus {
	if head := q.head.Load(); head&closedBit != 0 && head&^closedBit == pos {
		return opClosed
	}
	return opFull
}

// dropOldest discards the oldest item to make room under DropOldest. If the
// oldest slot is still being published or released by another goroutine, it
// yields to let that goroutine finish.
func (q *Queue[T]) dropOldest() {
	if q.dropTaken(q.dequeue()) {
		return
	}
	runtime.Gosched()
}

// dropTaken counts and reports v, the oldest item, if the dequeue that
// returned st took it, and says whether it did.
func (q *Queue[T]) dropTaken(v T, st opStatus) bool {
	if st != opDone {
		return false
	}
	q.dropped.Add(1)
	if q.cfg.hookDrop {
		q.discarded(v)
	}
	return true
}

// readable reports whether an item is published at tail.
func (q *Queue[T]) readable() bool {
	pos := q.tail.Load()
	return int64(q.slots[pos&(uint64(q.cfg.Size)-1)].seq.Load()-(pos+1)) >= 0
}

// writable reports whether the slot at head is free.
func (q *Queue[T]) writable() bool {
	pos := q.head.Load() &^ closedBit
	return int64(q.slots[pos&(uint64(q.cfg.Size)-1)].seq.Load()-pos) >= 0
}

// wakeConsumer hands a token to a parked consumer, if any, after a push.
func (q *Queue[T]) wakeConsumer() {
	if q.popWaiters.Load() != 0 {
		signal(q.notEmpty)
	}
}

// wakeProducer hands a token to a parked producer, if any, after a pop. Only
// Block parks producers.
func (q *Queue[T]) wakeProducer() {
	if q.cfg.Policy == Block {
		if q.pushWaiters.Load() != 0 {
			signal(q.notFull)
		}
	}
}

// passConsumerToken is called by a consumer woken with the token once it has
// its item. A producer that found the token already taken skipped its own
// signal, counting on the taker to look again: if items and waiters remain,
// the token goes on.
func (q *Queue[T]) passConsumerToken() {
	if q.popWaiters.Load() != 0 && q.readable() {
		signal(q.notEmpty)
	}
}

// passProducerToken is passConsumerToken for producers under Block.
func (q *Queue[T]) passProducerToken() {
	if q.pushWaiters.Load() != 0 && q.writable() {
		signal(q.notFull)
	}
}

// waitNotEmpty parks the calling consumer until a producer or Close wakes it
// or ctx ends, and reports whether it was woken with the token. It does not
// park if an item was published since the caller looked.
func (q *Queue[T]) waitNotEmpty(ctx context.Context) (bool, error) {
	q.popWaiters.Add(1)
	if q.readable() {
		q.popWaiters.Add(-1)
		return false, nil
	}
	select {
	case <-q.notEmpty:
		q.popWaiters.Add(-1)
		return true, nil
	case <-q.done:
		// Closed but not drained: producers that claimed slots before
		// Close are still publishing. Let them run.
		q.popWaiters.Add(-1)
		runtime.Gosched()
		return false, nil
	case <-ctx.Done():
		q.popWaiters.Add(-1)
		return false, ctx.Err()
	}
}

// waitNotFull is waitNotEmpty for producers under the Block policy.
func (q *Queue[T]) waitNotFull(ctx context.Context) (bool, error) {
	q.pushWaiters.Add(1)
	if q.writable() {
		q.pushWaiters.Add(-1)
		return false, nil
	}
	select {
	case <-q.notFull:
		q.pushWaiters.Add(-1)
		return true, nil
	case <-q.done:
		q.pushWaiters.Add(-1)
		return false, nil // the next enqueue reports opClosed
	case <-ctx.Done():
		q.pushWaiters.Add(-1)
		return false, ctx.Err()
	}
}

// signal puts a token in a one-token channel unless one is already there, in
// which case the goroutine that takes it will look at the queue.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// noCopy lets go vet's copylocks check report a Queue copied by value.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
