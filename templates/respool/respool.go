// Package respool is the monogen template of a pool of reusable resources
// (connections, clients, buffers that are costly to make):
//
//	//monogen:respool Conns[*Conn] max=16 new=dial close=closeConn check=ping idle=5m
//
// At most Max resources exist at once. Get takes the most recently returned
// idle resource (the one most likely still warm), checks it, makes a new one
// when none is idle and the pool is below Max, and otherwise waits for a Put.
//
// The most recently returned resource waits in a hot slot that Get and Put
// exchange with one atomic swap each; the older idle resources are a stack
// under a mutex, which Put pushes onto only when it finds the slot taken. A
// Get and a Put of the same resource, the common case, are thus one atomic
// operation each where a channel-based pool pays two channel operations (a
// lock and an unlock each), and still cannot count, check or evict. In
// generated code the slot is a pointer swapped with sync/atomic, for pools of
// pointers (hotSlot); the generic reference guards it with a mutex of its own.
package respool

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Get after Close, and by the Gets Close interrupts.
var ErrClosed = errors.New("respool: closed")

// DefaultMax is the limit used when Config.Max is zero.
const DefaultMax = 16

// idleTicksToEvict is how many eviction ticks (every Config.Idle/2) must pass
// over an idle resource before it is closed. A resource put back just before a
// tick has waited one half period at the next, so three ticks guarantee it
// idled at least Idle, and evict it after at most 1.5×Idle.
const idleTicksToEvict = 3

// hotSlot says whether Get and Put go through the hot slot (hotSwap,
// hotTake) before the mutex. The generic reference has it, guarded by a
// mutex of its own, so that its tests run the same code paths. Generated
// code has it for pools of pointers, whose slot is one word swapped
// atomically, and not otherwise: a resource the hardware cannot swap in one
// instruction would need a lock of its own, no cheaper than the pool's.
const hotSlot = true

// Config holds the options of a Pool. In generated code each field is a
// constant taken from the directive.
//
//monogen:config
type Config struct {
	// Max is the most resources that exist at once, idle or in use. Zero
	// means DefaultMax.
	Max int
	// Idle is how long a resource may stay unused in the pool before it is
	// closed. Zero means never.
	Idle time.Duration
}

// idleResource is a resource in the pool and the eviction tick at which it
// was put back.
type idleResource[T any] struct {
	res  T
	tick uint64
}

// Pool is a bounded pool of resources of type T. Create one with New; the
// zero value is not usable. A Pool must not be copied after first use.
//
// A Put happens before the Get that returns the same resource.
type Pool[T any] struct {
	_ noCopy

	cfg     Config
	newFn   func(context.Context) (T, error) //monogen:if !boundNew
	closeFn func(T)                          //monogen:if !boundClose
	checkFn func(T) error                    //monogen:if !boundCheck

	// tick delivers eviction ticks; tests replace it.
	tick   <-chan time.Time
	ticker *time.Ticker
	done   chan struct{} // closed by Close: stops the evictor
	wg     sync.WaitGroup

	// hot is the hot slot: the most recently returned idle resource, if
	// any, newer than every resource in idle. Only the hooks hotSwap,
	// hotTake and hotPeek touch it.
	hot     T
	hotFull bool       // the generic reference's slot is not empty
	hotMu   sync.Mutex // guards the generic reference's hot and hotFull
	// nwait mirrors len(waiters) for Put, which reads it without the lock
	// after filling the hot slot. A Get stores it before its last look at
	// the slot, so (atomics being sequentially consistent) either the Get
	// sees the resource or the Put sees the waiter and hands it over.
	nwait atomic.Int32
	// closed is set by Close, under mu; Get and Put read it without mu on
	// the hot path.
	closed atomic.Bool

	mu      sync.Mutex
	idle    []idleResource[T] // oldest first; Get takes the last
	open    int               // resources that exist: idle, in use or being made
	waiters []chan struct{}   // Gets waiting at Max, oldest first
	ticks   uint64            // eviction ticks so far
}

// New returns a pool that makes resources with newFn, closes them with
// closeFn (nil: nothing to close) and checks an idle resource with checkFn
// (nil: no check) before Get returns it.
//
//monogen:template
func New[T any](newFn func(context.Context) (T, error), closeFn func(T), checkFn func(T) error, cfg Config) *Pool[T] {
	if cfg.Max <= 0 {
		cfg.Max = DefaultMax
	}
	p := &Pool[T]{cfg: cfg, newFn: newFn, closeFn: closeFn, checkFn: checkFn}
	p.init()
	return p
}

// init starts the evictor.
func (p *Pool[T]) init() {
	p.idle = make([]idleResource[T], 0, p.cfg.Max)
	p.done = make(chan struct{})
	if p.cfg.Idle > 0 {
		if p.tick == nil {
			p.ticker = time.NewTicker(p.cfg.Idle / 2)
			p.tick = p.ticker.C
		}
		p.wg.Go(p.evictor)
	}
}

// Get returns an idle resource that passes the check, closing those that
// fail it, or a new one if fewer than Max exist. Otherwise it waits until a
// resource is put back or discarded. It returns ctx.Err() if ctx ends first,
// an error from making a resource, or ErrClosed after Close. The caller owns
// the resource until it passes it to Put or Discard.
func (p *Pool[T]) Get(ctx context.Context) (T, error) {
	if hotSlot {
		if r, ok := p.hotTake(); ok {
			if p.closed.Load() {
				// Close ran after the Put that filled the slot.
				p.destroy(r)
				p.mu.Lock()
				p.open--
				p.mu.Unlock()
				var zero T
				return zero, ErrClosed
			}
			if p.healthy(r) == nil {
				return r, nil
			}
			p.Discard(r)
		}
	}
	return p.getSlow(ctx)
}

// getSlow is Get past the hot slot: it takes the newest resource of the idle
// stack, makes a new one, or waits.
func (p *Pool[T]) getSlow(ctx context.Context) (T, error) {
	var zero T
	p.mu.Lock()
	for {
		if p.closed.Load() {
			p.mu.Unlock()
			return zero, ErrClosed
		}
		if hotSlot {
			// A Put may have filled the slot since the caller looked.
			if len(p.idle) == 0 {
				if r, ok := p.hotTake(); ok {
					p.idle = append(p.idle, idleResource[T]{res: r, tick: p.ticks})
				}
			}
		}
		if n := len(p.idle); n > 0 {
			r := p.idle[n-1].res
			p.idle[n-1] = idleResource[T]{}
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			if p.healthy(r) == nil {
				return r, nil
			}
			p.destroy(r)
			p.mu.Lock()
			p.open--
			continue // take the next idle one, or make a replacement
		}
		if p.open < p.cfg.Max {
			p.open++
			p.mu.Unlock()
			r, err := p.create(ctx)
			if err != nil {
				p.mu.Lock()
				p.open--
				p.wakeLocked() // a waiter may make one now
				p.mu.Unlock()
				return zero, err
			}
			return r, nil
		}
		if err := p.waitLocked(ctx); err != nil {
			p.mu.Unlock()
			return zero, err
		}
	}
}

// Put returns r to the pool for another Get. After Close, Put closes r.
func (p *Pool[T]) Put(r T) {
	if !hotSlot {
		p.mu.Lock()
		closeIt := p.putLocked(r)
		p.mu.Unlock()
		if closeIt {
			p.destroy(r)
		}
	} else if p.hotHolds(r) {
		p.putHot(r)
	} else {
		p.putPastHot(r)
	}
}

// putPastHot is Put of a resource the hot slot cannot hold. It goes onto
// the stack, after the slot's resource, which is older.
func (p *Pool[T]) putPastHot(r T) {
	p.mu.Lock()
	h, closeHot := p.hotTake()
	if closeHot {
		closeHot = p.putLocked(h)
	}
	closeIt := p.putLocked(r)
	p.mu.Unlock()
	if closeHot {
		p.destroy(h)
	}
	if closeIt {
		p.destroy(r)
	}
}

// putHot is Put through the hot slot: one swap when the slot was empty,
// nobody waits and the pool is open.
func (p *Pool[T]) putHot(r T) {
	old, had := p.hotSwap(r)
	if !had && p.nwait.Load() == 0 && !p.closed.Load() {
		return
	}
	// The slot held an older resource, which goes onto the stack. If a Get
	// is waiting or the pool is closed, the slot's resource follows it, for
	// the waiter to be handed or for Close's leftovers to be closed. It may
	// be r or, if r was taken meanwhile, a later Put's.
	p.mu.Lock()
	var closeOld, closeNew, ok bool
	if had {
		closeOld = p.putLocked(old)
	}
	if len(p.waiters) > 0 || p.closed.Load() {
		if r, ok = p.hotTake(); ok {
			closeNew = p.putLocked(r)
		}
	}
	p.mu.Unlock()
	if closeOld {
		p.destroy(old)
	}
	if closeNew {
		p.destroy(r)
	}
}

// putLocked pushes r onto the idle stack and wakes a waiting Get, or, after
// Close, forgets r and reports that the caller must close it (outside the
// lock). p.mu is held.
func (p *Pool[T]) putLocked(r T) (closeIt bool) {
	if p.closed.Load() {
		p.open--
		return true
	}
	p.idle = append(p.idle, idleResource[T]{res: r, tick: p.ticks})
	p.wakeLocked()
	return false
}

// Discard closes r, a resource from Get that must not be reused, making room
// for a new one.
func (p *Pool[T]) Discard(r T) {
	p.destroy(r)
	p.mu.Lock()
	p.open--
	p.wakeLocked()
	p.mu.Unlock()
}

// Len returns the number of resources that exist, idle or in use, and how
// many of them are idle.
func (p *Pool[T]) Len() (open, idle int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	idle = len(p.idle)
	if hotSlot {
		if p.hotPeek() {
			idle++
		}
	}
	return p.open, idle
}

// Close closes every idle resource, makes waiting and later Gets return
// ErrClosed, and stops idle eviction. A resource in use is closed when it is
// put back. Close may be called more than once.
func (p *Pool[T]) Close() {
	p.mu.Lock()
	if p.closed.Load() {
		p.mu.Unlock()
		return
	}
	p.closed.Store(true)
	if hotSlot {
		// closed is set before the slot is emptied: a Put that fills it
		// later sees closed and closes its resource itself.
		if r, ok := p.hotTake(); ok {
			p.idle = append(p.idle, idleResource[T]{res: r, tick: p.ticks})
		}
	}
	idle := p.idle
	p.idle = nil
	p.open -= len(idle)
	for _, w := range p.waiters {
		close(w)
	}
	p.waiters = nil
	if hotSlot {
		p.nwait.Store(0)
	}
	close(p.done)
	p.mu.Unlock()
	if p.ticker != nil {
		p.ticker.Stop()
	}
	p.wg.Wait()
	for _, ir := range idle {
		p.destroy(ir.res)
	}
}

// waitLocked waits, with p.mu held on entry and on return, until a Put,
// Discard or Close wakes the caller. A waiter woken just as its context ends
// passes the wake-up on, so that it is not lost.
func (p *Pool[T]) waitLocked(ctx context.Context) error {
	w := make(chan struct{}, 1)
	p.waiters = append(p.waiters, w)
	if hotSlot {
		// Announce the wait, then look at the hot slot a last time: a Put
		// that fills it after this look sees nwait and wakes a waiter.
		p.nwait.Store(int32(len(p.waiters)))
		if r, ok := p.hotTake(); ok {
			p.waiters = p.waiters[:len(p.waiters)-1]
			p.nwait.Store(int32(len(p.waiters)))
			p.idle = append(p.idle, idleResource[T]{res: r, tick: p.ticks})
			return nil
		}
	}
	p.mu.Unlock()
	select {
	case <-w:
		p.mu.Lock()
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		if i := slices.Index(p.waiters, w); i >= 0 {
			p.waiters = slices.Delete(p.waiters, i, i+1)
			if hotSlot {
				p.nwait.Store(int32(len(p.waiters)))
			}
		} else if !p.closed.Load() {
			p.wakeLocked() // we were woken too late to use it
		}
		return ctx.Err()
	}
}

// wakeLocked wakes the oldest waiting Get, if any. p.mu is held.
func (p *Pool[T]) wakeLocked() {
	if len(p.waiters) == 0 {
		return
	}
	w := p.waiters[0]
	p.waiters = slices.Delete(p.waiters, 0, 1)
	if hotSlot {
		p.nwait.Store(int32(len(p.waiters)))
	}
	w <- struct{}{}
}

// evictor closes resources that stayed idle too long, at every tick until
// Close.
func (p *Pool[T]) evictor() {
	for {
		select {
		case <-p.tick:
			p.evictIdle()
		case <-p.done:
			return
		}
	}
}

// evictIdle counts a tick and closes the idle resources put back at least
// idleTicksToEvict ticks ago. They are the oldest, at the start of p.idle.
//
// It first moves the hot slot's resource onto the stack, stamped with the
// tick count before this tick: the slot was emptied at the previous tick, so
// that is when the resource was put back, and it ages as if Put had pushed it.
func (p *Pool[T]) evictIdle() {
	p.mu.Lock()
	if hotSlot {
		if r, ok := p.hotTake(); ok {
			p.idle = append(p.idle, idleResource[T]{res: r, tick: p.ticks})
		}
	}
	p.ticks++
	n := 0
	for n < len(p.idle) && p.ticks-p.idle[n].tick >= idleTicksToEvict {
		n++
	}
	expired := slices.Clone(p.idle[:n])
	p.idle = slices.Delete(p.idle, 0, n)
	p.open -= n
	for range n {
		p.wakeLocked() // each closed resource makes room for a waiting Get
	}
	p.mu.Unlock()
	for _, ir := range expired {
		p.destroy(ir.res)
	}
}

// create makes a resource with the user's function.
//
//monogen:hook
func (p *Pool[T]) create(ctx context.Context) (T, error) {
	return p.newFn(ctx)
}

// destroy closes a resource with the user's function, if there is one.
//
//monogen:hook
func (p *Pool[T]) destroy(r T) {
	if p.closeFn != nil {
		p.closeFn(r)
	}
}

// healthy checks an idle resource with the user's function, if there is one.
//
//monogen:hook
func (p *Pool[T]) healthy(r T) error {
	if p.checkFn == nil {
		return nil
	}
	return p.checkFn(r)
}

// hotHolds reports whether the hot slot can hold r. The generated slot of a
// pointer uses nil for empty, so a nil resource goes to the stack.
//
//monogen:hook
func (p *Pool[T]) hotHolds(r T) bool {
	return true
}

// hotSwap puts r in the hot slot and returns the resource the slot held, if
// any.
//
//monogen:hook
func (p *Pool[T]) hotSwap(r T) (old T, had bool) {
	p.hotMu.Lock()
	old, had = p.hot, p.hotFull
	p.hot, p.hotFull = r, true
	p.hotMu.Unlock()
	return old, had
}

// hotTake empties the hot slot and returns the resource it held, if any.
//
//monogen:hook
func (p *Pool[T]) hotTake() (r T, ok bool) {
	var zero T
	p.hotMu.Lock()
	r, ok = p.hot, p.hotFull
	p.hot, p.hotFull = zero, false
	p.hotMu.Unlock()
	return r, ok
}

// hotPeek reports whether the hot slot holds a resource.
//
//monogen:hook
func (p *Pool[T]) hotPeek() bool {
	p.hotMu.Lock()
	defer p.hotMu.Unlock()
	return p.hotFull
}

// noCopy lets go vet's copylocks check report a Pool copied by value.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
