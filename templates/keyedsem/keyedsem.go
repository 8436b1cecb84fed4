// Package keyedsem provides a keyed semaphore: a weighted FIFO semaphore of
// the same capacity per key, such as one per tenant, kept in a concurrent
// hash map whose idle keys are evicted.
//
// It is the generic reference of the monogen semaphore kind with a key type:
//
//	//monogen:semaphore PerTenant[TenantID] n=4 idle=1m keys=10000
//
// generates a type whose capacity and limits are constants, and whose map is
// the monogen map specialized for the key type, with its own hasher.
//
// # Memory
//
// Each key holds one slot, of 24 bytes on 64-bit platforms: one word for its
// count of units held and its flags, the time of its mark, and its queue of
// waiters, created by the first caller of the key that has to wait. A slot
// with no holder and no waiter is idle; it behaves exactly as a slot that was
// never created, so eviction takes only idle slots, and never a key that has
// holders or waiters.
//
// Idle slots are evicted by sweeps that run on the path that creates a key,
// not by a goroutine: the map only grows when a key is created, so sweeping
// there bounds it, and the semaphore needs no Close. A sweep visits every
// key once, in the goroutine whose call created a key, at most once per
// Config.Idle. A sweep marks the idle slots it finds with its time; a call
// that takes units clears the mark, and a sweep Config.Idle or more after the
// mark evicts the slot if it is still marked. So a key is evicted between
// Config.Idle and about 2×Config.Idle after its last release, as long as
// other keys are created, and no call but the one that creates a key reads
// the clock.
//
// With Config.Keys, the map holds at most that many slots. When it is full,
// a new key first sweeps away every idle slot (when there is one); if the
// map is still full, the new key is refused with ErrTooManyKeys: evicting a
// key with holders would let its next callers exceed its capacity.
//
//monogen:note The map is shardmap.Map through the keyMap alias, as in
//monogen:note keyedrate; the generator stencils the shardmap template for
//monogen:note the key type and renames keyMap, newKeyMap and the compute
//monogen:note operations to it.
package keyedsem

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monogen/monogen/templates/shardmap"
)

// Config holds the options of a Semaphore.
//
//monogen:config
type Config struct {
	// N is the total weight held at once per key: n= in the directive.
	N int64
	// Idle is how long a key stays idle before a sweep may evict it:
	// idle=. Zero turns the sweeps of new keys off.
	Idle time.Duration
	// Keys is the most keys held at once, 0 for no limit: keys=.
	Keys int64
}

// MaxN is the largest capacity per key: the held weight and a request,
// each at most the capacity, add up without overflow.
const MaxN = math.MaxInt64 / 2

// ErrTooManyKeys is returned by Acquire, and makes TryAcquire fail, for a
// new key while the semaphore holds its most keys and none of them is idle.
//
//monogen:if keys
var ErrTooManyKeys = errors.New("semaphore: too many keys")

// ErrNaNKey is returned by Acquire, and makes TryAcquire fail, for a key
// that is not equal to itself: a NaN, or a struct, array or interface value
// holding one. No map can find such a key again, so the units it held could
// not be released.
//
//monogen:if nanKeys
var ErrNaNKey = errors.New("semaphore: key not equal to itself (NaN)")

// nanKeys reports whether a key can be unequal to itself, as a NaN is: the
// key type is a float or complex type, an interface, or a struct or array
// holding one.
//
//monogen:note The generator sets it from the key type, so that the check
//monogen:note in create and ErrNaNKey are emitted only for such keys.
const nanKeys = true

// keyMap is the map from K to the slots of the keys.
//
//monogen:template
type keyMap[K comparable] = shardmap.Map[K, *slot]

// newKeyMap returns an empty keyMap.
//
//monogen:template
func newKeyMap[K comparable]() *keyMap[K] { return shardmap.New[K, *slot]() }

// computeOp is what keyMap.Compute does with the value its function returns.
//
//monogen:template
type computeOp = shardmap.ComputeOp

// The compute operations of keyMap.
//
//monogen:template
const (
	cancelOp = shardmap.CancelOp
	updateOp = shardmap.UpdateOp
	deleteOp = shardmap.DeleteOp
)

// Semaphore bounds, for each key of type K, the total weight held at once by
// the concurrent holders of that key.
//
// The waiters of a key are served in FIFO order: once a request has to
// wait, later requests for the key wait behind it even if they are small
// enough to fit.
//
// A Semaphore must be created with New and must not be copied after first
// use. While no caller of a key waits, Acquire, TryAcquire and Release on
// the key, once seen, take no lock: one lookup in a map whose reads take no
// lock, and one compare-and-swap on the key's count. A call that must wait,
// and the calls of a key while it has waiters, lock the key's queue.
type Semaphore[K comparable] struct {
	slots *keyMap[K]
	// live counts the slots in the map: Len.
	live atomic.Int64
	// idle counts the live slots with no holder and no waiter: a full
	// map sweeps for room only when one is.
	idle atomic.Int64 //monogen:if keys
	// nextSweep is the time, in nanoseconds since epoch, from which a new
	// key sweeps the idle slots.
	nextSweep atomic.Int64
	// sweepMu lets one sweep run at a time.
	sweepMu sync.Mutex

	cfg   Config
	epoch time.Time
}

// The word of a slot: the weight held in the bits of heldMask, and two
// flags.
const (
	// heldMask holds the weight held: at most MaxN.
	heldMask = MaxN
	// queued is set while the slot has waiters: the calls of its key then
	// lock its queue, which keeps them in FIFO order.
	queued = 1 << 62
	// marked is set, on an idle slot, by a sweep that found it idle; the
	// first call that takes units clears it.
	marked = math.MinInt64
	// evicted is the word of a slot that a sweep took out of the map: a
	// caller that finds it looks the key up again. No other word has both
	// flags: a marked slot has no waiter.
	evicted = queued | marked
)

// slot is one key's semaphore.
type slot struct {
	// state is the weight held and the flags queued and marked, or
	// evicted. Callers change it with compare-and-swap while queued is
	// clear; while it is set, only holders of the queue's lock change it.
	state atomic.Int64
	// markedAt is the time of the sweep that marked the slot, in
	// nanoseconds since the epoch. Only sweeps, which hold sweepMu, use it.
	markedAt int64
	// queue is nil until a caller of the key has to wait.
	queue atomic.Pointer[waitQueue]
}

// waitQueue is the queue of a slot's waiters.
type waitQueue struct {
	// mu guards waiters, the requests queued, in order.
	mu      sync.Mutex
	waiters []*waiter
}

// lockQueue returns the queue of sl, locked, creating it if sl has none.
func (sl *slot) lockQueue() *waitQueue {
	q := sl.queue.Load()
	if q == nil {
		q = new(waitQueue)
		if !sl.queue.CompareAndSwap(nil, q) {
			q = sl.queue.Load()
		}
	}
	q.mu.Lock()
	return q
}

// waiter is a queued request for n units, granted when ready is closed.
type waiter struct {
	n     int64
	ready chan struct{}
}

// New returns a keyed semaphore configured by cfg. It panics if cfg is
// invalid: it needs 1 <= N <= MaxN, Idle >= 0 and Keys >= 0.
//
//monogen:template
func New[K comparable](cfg Config) *Semaphore[K] {
	s := &Semaphore[K]{cfg: cfg}
	s.init()
	return s
}

// init checks the configuration, creates the map and starts the clock.
func (s *Semaphore[K]) init() {
	if s.cfg.N < 1 || s.cfg.N > MaxN || s.cfg.Idle < 0 || s.cfg.Keys < 0 {
		panic("semaphore: invalid configuration")
	}
	s.slots = newKeyMap[K]()
	s.epoch = time.Now()
	s.nextSweep.Store(int64(s.cfg.Idle))
}

// Acquire acquires n units of key, blocking until they are available or ctx
// is done. On success it returns nil. On failure it returns ctx.Err() and
// leaves the semaphore unchanged; once it waits, it fails if ctx is done
// when the wait ends, even if the units were granted at the same moment. A
// request for more than the capacity waits for ctx to be done without
// holding back other callers. Acquire panics if n is negative.
func (s *Semaphore[K]) Acquire(ctx context.Context, key K, n int64) error {
	if n < 0 {
		panic("semaphore: negative weight")
	}
	if n == 0 {
		return nil
	}
	if n > s.cfg.N {
		<-ctx.Done()
		return ctx.Err()
	}
	for {
		sl, err := s.slot(key)
		if err != nil {
			return err
		}
		st, ok := s.tryTake(sl, n)
		if ok {
			return nil
		}
		if st == evicted {
			continue
		}
		q := sl.lockQueue()
		w, retry, err := s.enqueue(ctx, sl, q, n)
		q.mu.Unlock()
		if retry {
			continue
		}
		if w == nil {
			return err
		}
		return s.await(ctx, sl, q, w)
	}
}

// TryAcquire acquires n units of key without blocking and reports whether
// it did. It fails while other callers of key are waiting, even if the units
// are free, and for a new key the semaphore has no room for. It panics if n
// is negative.
func (s *Semaphore[K]) TryAcquire(key K, n int64) bool {
	if n < 0 {
		panic("semaphore: negative weight")
	}
	if n == 0 {
		return true
	}
	if n > s.cfg.N {
		return false
	}
	for {
		sl, err := s.slot(key)
		if err != nil {
			return false
		}
		st, ok := s.tryTake(sl, n)
		if st != evicted {
			return ok
		}
	}
}

// tryTake takes n units of sl if no caller waits for sl and they fit. It
// returns the word it last saw, evicted if a sweep evicted sl.
func (s *Semaphore[K]) tryTake(sl *slot, n int64) (st int64, ok bool) {
	for {
		st = sl.state.Load()
		if st&queued != 0 || st&heldMask+n > s.cfg.N {
			return st, false
		}
		// A mark goes: the slot is in use.
		if sl.state.CompareAndSwap(st, st&heldMask+n) {
			if s.cfg.Keys > 0 && st&heldMask == 0 {
				s.idle.Add(-1)
			}
			return st, true
		}
	}
}

// enqueue queues a request for n units of sl in q, sl's queue, or takes
// them if they fit now. It returns the queued waiter; or nil and nil when it
// took the units; or nil and ctx.Err() when ctx is done; or retry when a
// sweep evicted sl. The caller holds q.mu.
func (s *Semaphore[K]) enqueue(ctx context.Context, sl *slot, q *waitQueue, n int64) (w *waiter, retry bool, err error) {
	for {
		st := sl.state.Load()
		if st == evicted {
			return nil, true, nil
		}
		if st&queued == 0 && st&heldMask+n <= s.cfg.N {
			if _, ok := s.tryTake(sl, n); ok {
				return nil, false, nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		default:
		}
		// The units do not fit: from the flag on, the calls of the
		// key lock the queue, and the release that frees the units
		// grants them.
		if st&queued == 0 && !sl.state.CompareAndSwap(st, st|queued) {
			continue
		}
		w = &waiter{n: n, ready: make(chan struct{})}
		q.waiters = append(q.waiters, w)
		return w, false, nil
	}
}

// Release releases n units of key, acquired before, and grants the
// waiters of key that then fit, in order. It panics if n is negative or
// more than key holds.
func (s *Semaphore[K]) Release(key K, n int64) {
	if n < 0 {
		panic("semaphore: negative weight")
	}
	if n == 0 {
		return
	}
	// A slot that holds units is never evicted: key's slot in the map is
	// the one that holds them.
	sl, ok := s.slots.Load(key)
	if !ok {
		panic("semaphore: released more than held")
	}
	for {
		st := sl.state.Load()
		if st&queued != 0 {
			q := sl.lockQueue()
			ok := s.put(sl, q, n)
			q.mu.Unlock()
			if !ok {
				panic("semaphore: released more than held")
			}
			return
		}
		if st&heldMask < n {
			panic("semaphore: released more than held")
		}
		if sl.state.CompareAndSwap(st, st-n) {
			if s.cfg.Keys > 0 && st == n {
				s.idle.Add(1)
			}
			return
		}
	}
}

// put gives n units back to sl and grants the waiters of q, sl's queue,
// that then fit, in order. It reports false, changing nothing, if sl holds
// fewer than n units. The caller holds q.mu.
func (s *Semaphore[K]) put(sl *slot, q *waitQueue, n int64) bool {
	for {
		st := sl.state.Load()
		if st == evicted || st&heldMask < n {
			return false
		}
		if !sl.state.CompareAndSwap(st, st-n) {
			continue
		}
		if st&queued != 0 {
			s.grant(sl, q)
		} else if s.cfg.Keys > 0 && st == n {
			s.idle.Add(1)
		}
		return true
	}
}

// Held returns the weight key holds at the moment of the call.
func (s *Semaphore[K]) Held(key K) int64 {
	sl, ok := s.slots.Load(key)
	if !ok {
		return 0
	}
	if st := sl.state.Load(); st != evicted {
		return st & heldMask
	}
	return 0
}

// Len returns the number of keys that have a slot: the keys seen and not
// evicted. It takes no lock.
func (s *Semaphore[K]) Len() int {
	return int(s.live.Load())
}

// Sweep evicts the keys that have had no holder and no waiter since a sweep
// at least Config.Idle ago, and marks the other keys that have none.
// Acquire and TryAcquire sweep on their own when they create a key; Sweep is
// for a program that wants the memory of idle keys back when no new key
// comes.
func (s *Semaphore[K]) Sweep() {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	s.sweep(s.clock(), int64(s.cfg.Idle))
}

// clock returns the monotonic time in nanoseconds since the epoch.
func (s *Semaphore[K]) clock() int64 {
	return int64(time.Since(s.epoch))
}

// grant gives the waiters of q, sl's queue, that fit their units, in
// order, and clears queued when none is left. The caller holds q.mu, and sl
// has queued set: no other caller changes the word.
func (s *Semaphore[K]) grant(sl *slot, q *waitQueue) {
	held := sl.state.Load() & heldMask
	for len(q.waiters) > 0 && held+q.waiters[0].n <= s.cfg.N {
		w := q.waiters[0]
		held += w.n
		close(w.ready)
		q.waiters[0] = nil
		q.waiters = q.waiters[1:]
	}
	if len(q.waiters) > 0 {
		sl.state.Store(held | queued)
		return
	}
	q.waiters = nil
	sl.state.Store(held)
	if s.cfg.Keys > 0 && held == 0 {
		s.idle.Add(1)
	}
}

// await waits until w, queued in q, sl's queue, is granted its units or
// ctx is done. If ctx is done when the wait ends, the request fails even if
// it was granted too, and gives the units back.
func (s *Semaphore[K]) await(ctx context.Context, sl *slot, q *waitQueue, w *waiter) error {
	done := ctx.Done()
	select {
	case <-w.ready:
		select {
		case <-done:
		default:
			return nil
		}
	case <-done:
	}
	q.mu.Lock()
	select {
	case <-w.ready:
		// Giving units back may let the next waiters in.
		s.put(sl, q, w.n)
	default:
		for i, o := range q.waiters {
			if o == w {
				q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
				break
			}
		}
		// Leaving the head of the queue may let the next waiters in.
		s.grant(sl, q)
	}
	q.mu.Unlock()
	return ctx.Err()
}

// slot returns key's slot, creating it if key has none or an evicted one.
// The slot it returns may be evicted by the time the caller uses it.
func (s *Semaphore[K]) slot(key K) (*slot, error) {
	if sl, ok := s.slots.Load(key); ok && sl.state.Load() != evicted {
		return sl, nil
	}
	return s.create(key, s.clock())
}

// create gives key a new, idle slot, or returns the slot another goroutine
// gave it first. It fails with ErrTooManyKeys when the map holds Keys slots
// and a sweep cannot make room.
func (s *Semaphore[K]) create(key K, now int64) (*slot, error) {
	if nanKeys && key != key {
		// A key not equal to itself, a NaN or a value holding one: no
		// lookup would find its slot again.
		return nil, ErrNaNKey
	}
	if s.cfg.Idle > 0 && now >= s.nextSweep.Load() && s.sweepMu.TryLock() {
		if now >= s.nextSweep.Load() {
			s.sweep(now, int64(s.cfg.Idle))
			s.nextSweep.Store(now + int64(s.cfg.Idle))
		}
		s.sweepMu.Unlock()
	}
	if s.cfg.Keys > 0 && s.live.Load() >= s.cfg.Keys {
		// Full: the count below decides whether key gets a slot.
		s.makeRoom(now)
	}
	sl, _ := s.slots.Compute(key, func(old *slot, loaded bool) (*slot, computeOp) {
		if loaded && old.state.Load() != evicted {
			return old, cancelOp
		}
		// A slot evicted but still in the map is replaced in its room,
		// counted in live and idle until the map no longer holds it.
		if !loaded && !s.countKey() {
			return nil, cancelOp
		}
		return &slot{}, updateOp
	})
	if s.cfg.Keys > 0 && sl == nil {
		// Only a full map gives a key no slot.
		return nil, ErrTooManyKeys
	}
	return sl, nil
}

// countKey counts a new, idle key in live, and reports whether it did: not
// when the map holds Keys slots.
func (s *Semaphore[K]) countKey() bool {
	if s.cfg.Keys == 0 {
		s.live.Add(1)
		return true
	}
	for {
		n := s.live.Load()
		if n >= s.cfg.Keys {
			return false
		}
		if s.live.CompareAndSwap(n, n+1) {
			s.idle.Add(1)
			return true
		}
	}
}

// makeRoom sweeps the map for room for a new key, evicting every idle slot,
// if there is one and no other sweep is running.
//
//monogen:if keys
func (s *Semaphore[K]) makeRoom(now int64) {
	if s.idle.Load() == 0 || !s.sweepMu.TryLock() {
		return
	}
	defer s.sweepMu.Unlock()
	s.sweep(now, 0)
}

// sweep evicts the slots that a sweep marked at least idle before now and
// that have stayed idle since, and marks the other idle slots; with idle 0,
// it evicts every idle slot. The caller holds sweepMu.
func (s *Semaphore[K]) sweep(now, idle int64) {
	for key, sl := range s.slots.All() {
		st := sl.state.Load()
		switch {
		case st == marked && sl.markedAt <= now-idle, st == 0 && idle == 0:
			// Idle since the mark: no caller holds or waits for its
			// units, and one that finds it from now on looks the key
			// up again. A call that took units since made the word
			// differ, and the slot stays.
			if sl.state.CompareAndSwap(st, evicted) {
				s.evict(key, sl)
			}
		case st == 0:
			sl.markedAt = now
			sl.state.CompareAndSwap(0, marked)
		}
	}
}

// evict takes key's evicted slot sl out of the map.
func (s *Semaphore[K]) evict(key K, sl *slot) {
	s.slots.Compute(key, func(old *slot, loaded bool) (*slot, computeOp) {
		if loaded && old == sl {
			s.live.Add(-1)
			if s.cfg.Keys > 0 {
				s.idle.Add(-1)
			}
			return nil, deleteOp
		}
		// A new slot took its place, and its room.
		return old, cancelOp
	})
}
