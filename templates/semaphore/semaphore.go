// Package semaphore provides a weighted, FIFO-fair counting semaphore whose
// uncontended Acquire and Release are a single atomic compare-and-swap each.
//
// It is the generic reference of the monogen semaphore kind:
//
//	//monogen:semaphore DBSlots n=16
//
// generates a type DBSlots whose capacity is the constant 16.
package semaphore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Config holds the options of a Semaphore.
//
//monogen:config
type Config struct {
	// N is the total weight held at once: n= in the directive. It must be in
	// [1, MaxN].
	N int64
	// Shared makes the semaphore lease its units from a Store that
	// semaphores in other processes share: store=shared.
	Shared bool
	// OnFail is what a shared semaphore does while its store fails:
	// onfail=.
	OnFail FailMode
	// Replicas is the number of processes sharing the semaphore, for
	// FailLocal: replicas=.
	Replicas int64
	// LocalN is this process's share for FailLocal: N/Replicas, at least
	// one unit.
	LocalN int64
	// TTL is how long a lease in the store lasts unless renewed: ttl=.
	TTL time.Duration
	// StoreTimeout bounds each call to the store: timeout=.
	StoreTimeout time.Duration
	// Metrics enables the counters and the wait histogram of Stats:
	// metrics=.
	Metrics bool

	// hookWait says whether a function is called after each wait (SetOnWait,
	// or the directive's onwait=); timed, whether waits are timed, for it
	// or for Metrics.
	hookWait, timed bool
}

// MaxN is the largest capacity a Semaphore supports. The two bits above it
// in the state word are the queued flag and the over-release guard.
const MaxN = 1<<61 - 1

const (
	// queuedBit is set in the state word while the waiter list is not
	// empty. Being larger than any capacity, it makes the fast path's
	// "fits" test fail on its own, so a newcomer never overtakes a waiter.
	queuedBit = 1 << 62
	// overBit can only become set when a release subtracts more than is
	// held: a borrow out of the held count into the flag bits.
	overBit = 1 << 61
	// cacheLine is the size the hot word is padded to. 64 bytes on amd64
	// and most arm64 cores; 128 would also cover Apple's and Neoverse's
	// adjacent-line prefetch at the cost of a larger struct.
	cacheLine = 64
)

// Semaphore bounds the total weight held at once by concurrent holders.
//
// Waiters are served in FIFO order: once a request has to wait, later
// requests wait behind it even if they are small enough to fit, so a large
// request is not starved by a stream of small ones.
//
// A Semaphore must be created with New and must not be copied after first
// use.
//
// In the terminology of the Go memory model, the n-th call to Release or
// ReleaseN "synchronizes before" any Acquire that obtains the units that
// call freed, and a function run by Go returns before the Wait that sees
// its completion returns.
type Semaphore struct {
	// state is the held weight in its low bits, plus queuedBit while
	// waiters are queued. Uncontended Acquire and Release touch only this.
	state atomic.Int64
	// capacity is the capacity, which SetCapacity changes. Every Acquire
	// reads it, so it shares state's cache line: on a line of its own it
	// made contended Acquire+Release six times slower.
	capacity atomic.Int64 //monogen:mirror N
	// The slow path's fields below are written by waiters while holders
	// spin on state; keep them on another cache line.
	_ [cacheLine - 8]byte

	cfg Config

	mu         sync.Mutex // guards head and tail
	head, tail *waiter

	group   sync.WaitGroup // goroutines started by Go
	errOnce sync.Once
	err     error       // first error returned by a function run by Go
	shared  sharedState //monogen:if shared

	// onWait is the generic reference's wait hook (SetOnWait).
	//monogen:note A generated semaphore calls onwait= directly.
	onWait func(waited time.Duration, err error)
	stats  counters //monogen:if metrics
}

// waiter is one queued AcquireN call. ready is closed once its units have
// been added to the state word on its behalf.
type waiter struct {
	n          int64
	ready      chan struct{}
	prev, next *waiter
	// since is when the request was queued.
	since time.Time //monogen:if timed
}

// New returns a semaphore with the given capacity. It panics unless
// 1 <= n <= MaxN.
//
//monogen:template
func New(n int64) *Semaphore {
	s := &Semaphore{cfg: Config{N: n}}
	s.init()
	return s
}

// SetOnWait sets f to be called after every Acquire that had to wait,
// whether it got its units (a nil err) or ctx ended the wait (ctx's
// error), with how long it waited. f runs on the goroutine that called
// Acquire, before Acquire returns: it delays that caller only. Call it
// before the semaphore is used.
//
//monogen:template
func (s *Semaphore) SetOnWait(f func(waited time.Duration, err error)) {
	s.onWait = f
	s.cfg.hookWait = f != nil
	s.cfg.timed = s.cfg.hookWait || s.cfg.Metrics
}

// SetMetrics turns on the counters and the wait histogram of Stats. Call
// it before the semaphore is used.
//
//monogen:template
func (s *Semaphore) SetMetrics() {
	s.cfg.Metrics = true
	s.cfg.timed = true
}

// waitedFor reports an Acquire that waited for d and ended with err.
//
//monogen:hook
func (s *Semaphore) waitedFor(d time.Duration, err error) {
	s.onWait(d, err)
}

// waited records the wait of the queued request w, which ended with err.
//
//monogen:if timed
func (s *Semaphore) waited(w *waiter, err error) {
	d := time.Since(w.since)
	if s.cfg.Metrics {
		s.stats.waits.Add(1)
		if err != nil {
			s.stats.canceled.Add(1)
		}
		s.stats.waitTime.Observe(int64(d))
	}
	if s.cfg.hookWait {
		s.waitedFor(d, err)
	}
}

// init checks the configuration.
//
//monogen:note The generated constructor calls it after building the struct.
func (s *Semaphore) init() {
	if s.cfg.N < 1 || s.cfg.N > MaxN {
		panic("semaphore: capacity out of range")
	}
	s.capacity.Store(s.cfg.N)
}

// SetCapacity sets the capacity to n. It panics unless 1 <= n <= MaxN.
//
// When the capacity grows, the waiters that now fit are admitted at once,
// in FIFO order. When it shrinks, holders keep their units: Available may be
// negative until they release, and Acquire calls that start after
// SetCapacity returns wait until the weight held leaves room for them under
// the new capacity. A waiter queued for more than the new capacity holds
// back the waiters behind it until the capacity grows again or its ctx is
// done; a request made for more than the capacity at the time of the call
// waits for its ctx, as AcquireN says. SetCapacity is safe to call
// concurrently with every other method.
//
//monogen:if config
func (s *Semaphore) SetCapacity(n int64) {
	if n < 1 || n > MaxN {
		panic("semaphore: capacity out of range")
	}
	if s.cfg.Shared {
		panic("semaphore: SetCapacity of a shared semaphore")
	}
	s.mu.Lock()
	s.capacity.Store(n)
	// Units freed by a grow go to the queue first, as a release's do.
	s.notifyLocked()
	s.mu.Unlock()
}

// Acquire acquires one unit, blocking until it is available or ctx is done.
// On success it returns nil. On failure it returns ctx.Err() and leaves the
// semaphore unchanged. If ctx is already done, Acquire may still succeed
// without blocking when a unit is free and nobody is waiting. Once it
// waits, it fails if ctx is done when the wait ends, even if the unit was
// granted at the same moment: the unit goes back, and a caller that cancels
// ctx before releasing units never sees the waiter succeed.
func (s *Semaphore) Acquire(ctx context.Context) error {
	if s.cfg.Shared {
		return s.sharedAcquire(ctx, 1)
	}
	if c := s.state.Load(); c < s.capacity.Load() && s.state.CompareAndSwap(c, c+1) {
		return nil
	}
	return s.acquireSlow(ctx, 1)
}

// AcquireN acquires n units, blocking until they are available or ctx is
// done, with the guarantees of Acquire. A request for more than the
// capacity can never succeed: it waits for ctx to be done without holding
// back other callers. AcquireN panics if n is negative.
func (s *Semaphore) AcquireN(ctx context.Context, n int64) error {
	if s.cfg.Shared {
		return s.sharedAcquire(ctx, n)
	}
	// The capacity minus c cannot overflow, and is negative while waiters
	// are queued.
	if c := s.state.Load(); n > 0 && n <= s.capacity.Load()-c && s.state.CompareAndSwap(c, c+n) {
		return nil
	}
	return s.acquireSlow(ctx, n)
}

// TryAcquire acquires one unit without blocking and reports whether it did.
// It fails while other callers are waiting, even if a unit is free.
func (s *Semaphore) TryAcquire() bool {
	if s.cfg.Shared {
		return s.sharedTryAcquire(1)
	}
	for {
		c := s.state.Load()
		if c >= s.capacity.Load() {
			return false
		}
		if s.state.CompareAndSwap(c, c+1) {
			return true
		}
	}
}

// TryAcquireN acquires n units without blocking and reports whether it did,
// with the guarantees of TryAcquire. It panics if n is negative.
func (s *Semaphore) TryAcquireN(n int64) bool {
	if s.cfg.Shared {
		return s.sharedTryAcquire(n)
	}
	if n < 0 {
		panic("semaphore: negative weight")
	}
	for {
		c := s.state.Load()
		if n > s.capacity.Load()-c {
			return false
		}
		if s.state.CompareAndSwap(c, c+n) {
			return true
		}
	}
}

// Release releases one unit. It panics if that releases more than is held.
func (s *Semaphore) Release() {
	if s.cfg.Shared {
		s.sharedRelease(1)
		return
	}
	if c := s.state.Add(-1); c&(queuedBit|overBit) != 0 || c < 0 {
		s.releaseSlow(c)
	}
}

// ReleaseN releases n units. It panics if that releases more than is held
// or if n is negative.
func (s *Semaphore) ReleaseN(n int64) {
	if s.cfg.Shared {
		s.sharedRelease(n)
		return
	}
	if n < 0 {
		panic("semaphore: negative weight")
	}
	if c := s.state.Add(-n); c&(queuedBit|overBit) != 0 || c < 0 {
		s.releaseSlow(c)
	}
}

// Available returns the weight that is free at the moment of the call. A
// caller may not be able to acquire it: waiters come first.
func (s *Semaphore) Available() int64 {
	return s.capacity.Load() - s.state.Load()&^queuedBit
}

// Go waits for a unit as Acquire does, then calls f in a new goroutine and
// releases the unit when f returns. It returns ctx.Err() without calling f
// if ctx is done first. The first non-nil error returned by a function run
// by Go is returned by Wait.
func (s *Semaphore) Go(ctx context.Context, f func() error) error {
	if err := s.Acquire(ctx); err != nil {
		return err
	}
	s.group.Add(1)
	go func() {
		defer s.group.Done()
		defer s.Release()
		if err := f(); err != nil {
			s.errOnce.Do(func() { s.err = err })
		}
	}()
	return nil
}

// Wait blocks until every function started by Go has returned, then
// returns the first non-nil error (if any) they returned. As with
// sync.WaitGroup, calls to Go that start a batch must happen before Wait.
func (s *Semaphore) Wait() error {
	s.group.Wait()
	return s.err
}

// acquireSlow acquires n units through the mutex, queueing when they do
// not fit or others are already queued.
func (s *Semaphore) acquireSlow(ctx context.Context, n int64) error {
	if n < 0 {
		panic("semaphore: negative weight")
	}
	if n == 0 {
		return nil
	}
	done := ctx.Done()
	if n > s.capacity.Load() {
		// Queueing it would block everyone behind a request that can
		// never be granted.
		<-done
		return ctx.Err()
	}
	w, err := s.enqueue(ctx, done, n)
	if w == nil {
		return err
	}
	if s.cfg.timed {
		err = s.await(ctx, done, w)
		s.waited(w, err)
		return err
	}
	return s.await(ctx, done, w)
}

// enqueue takes n units at once if they fit and nobody is queued, fails if
// done is closed, and otherwise queues a waiter for them and returns it:
// nil and the result when no wait is needed.
func (s *Semaphore) enqueue(ctx context.Context, done <-chan struct{}, n int64) (*waiter, error) {
	s.mu.Lock()
	for {
		c := s.state.Load()
		if n > s.capacity.Load()-c {
			break
		}
		if s.state.CompareAndSwap(c, c+n) {
			s.mu.Unlock()
			return nil, nil
		}
	}
	select {
	case <-done:
		s.mu.Unlock()
		return nil, ctx.Err()
	default:
	}

	w := &waiter{n: n, ready: make(chan struct{})}
	if s.cfg.timed {
		w.since = time.Now()
	}
	s.push(w)
	for {
		c := s.state.Load()
		if c&queuedBit != 0 || s.state.CompareAndSwap(c, c|queuedBit) {
			break
		}
	}
	// Units freed between the failed attempt above and setting queuedBit
	// were released on the fast path, which notifies nobody.
	s.notifyLocked()
	s.mu.Unlock()
	return w, nil
}

// await waits until the queued w is granted its units or done is closed.
// If done is closed when the wait ends, the request fails even if it was
// granted too: a select between the two picks either at random, and the
// grant may have come after ctx ended (go.dev/issue/63615).
func (s *Semaphore) await(ctx context.Context, done <-chan struct{}, w *waiter) error {
	select {
	case <-w.ready:
		select {
		case <-done:
			// Fail as if done had been picked; the units go back below.
		default:
			return nil
		}
	case <-done:
	}
	s.mu.Lock()
	select {
	case <-w.ready:
		// Granted as ctx ended: give the units back, so that a failed
		// Acquire leaves the semaphore unchanged.
		s.state.Add(-w.n)
	default:
		s.remove(w)
	}
	// Removing the head, or giving units back, may let the next waiters in.
	s.notifyLocked()
	s.mu.Unlock()
	return ctx.Err()
}

// releaseSlow handles a release whose result c has queuedBit set, or shows
// that more was released than held.
func (s *Semaphore) releaseSlow(c int64) {
	if c < 0 || c&overBit != 0 {
		panic("semaphore: released more than held")
	}
	s.mu.Lock()
	s.notifyLocked()
	s.mu.Unlock()
}

// notifyLocked grants queued requests in order while the head fits, and
// clears queuedBit once the queue is empty. s.mu must be held.
func (s *Semaphore) notifyLocked() {
	for {
		c := s.state.Load()
		w := s.head
		if w == nil {
			if c&queuedBit == 0 || s.state.CompareAndSwap(c, c&^queuedBit) {
				return
			}
			continue
		}
		if w.n > s.capacity.Load()-c&^queuedBit {
			return
		}
		next := c + w.n
		if w.next == nil {
			next &^= queuedBit
		}
		if s.state.CompareAndSwap(c, next) {
			s.remove(w)
			close(w.ready)
		}
	}
}

// push appends w to the waiter list. s.mu must be held.
func (s *Semaphore) push(w *waiter) {
	w.prev = s.tail
	if s.tail == nil {
		s.head = w
	} else {
		s.tail.next = w
	}
	s.tail = w
	if s.cfg.Metrics {
		s.stats.queued++
	}
}

// remove unlinks w from the waiter list. s.mu must be held.
func (s *Semaphore) remove(w *waiter) {
	if w.prev == nil {
		s.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		s.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next = nil, nil
	if s.cfg.Metrics {
		s.stats.queued--
	}
}
