// Package respool is the monogen template of a pool of reusable resources
// (connections, clients, buffers that are costly to make):
//
//	//monogen:respool Conns[*Conn] max=16 new=dial close=closeConn check=ping idle=5m
//
// At most Max resources exist at once. Get takes the most recently returned
// idle resource (the one most likely still warm), checks it, makes a new one
// when none is idle and the pool is below Max, and otherwise waits for a Put.
// The idle resources are a stack under one mutex: a Get and a Put are a lock
// and an unlock each, where a channel-based pool pays two channel operations
// and still cannot count, check or evict.
package respool

import (
	"context"
	"errors"
	"slices"
	"sync"
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

	mu      sync.Mutex
	idle    []idleResource[T] // oldest first; Get takes the last
	open    int               // resources that exist: idle, in use or being made
	waiters []chan struct{}   // Gets waiting at Max, oldest first
	ticks   uint64            // eviction ticks so far
	closed  bool
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
	var zero T
	p.mu.Lock()
	for {
		if p.closed {
			p.mu.Unlock()
			return zero, ErrClosed
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
	p.mu.Lock()
	if p.closed {
		p.open--
		p.mu.Unlock()
		p.destroy(r)
		return
	}
	p.idle = append(p.idle, idleResource[T]{res: r, tick: p.ticks})
	p.wakeLocked()
	p.mu.Unlock()
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
	return p.open, len(p.idle)
}

// Close closes every idle resource, makes waiting and later Gets return
// ErrClosed, and stops idle eviction. A resource in use is closed when it is
// put back. Close may be called more than once.
func (p *Pool[T]) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.open -= len(idle)
	for _, w := range p.waiters {
		close(w)
	}
	p.waiters = nil
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
	p.mu.Unlock()
	select {
	case <-w:
		p.mu.Lock()
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		if i := slices.Index(p.waiters, w); i >= 0 {
			p.waiters = slices.Delete(p.waiters, i, i+1)
		} else if !p.closed {
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
func (p *Pool[T]) evictIdle() {
	p.mu.Lock()
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

// noCopy lets go vet's copylocks check report a Pool copied by value.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
