// Package respool is the monogen template of a pool of reusable resources
// (connections, clients, buffers that are costly to make):
//
//	//monogen:respool Conns[*Conn] max=16 new=dial close=closeConn check=ping idle=5m
//
// At most Max resources exist at once: a resource counts from the moment
// Get starts making it until its close function has returned. Get takes a recently returned idle
// resource (one likely still warm: the last one its goroutine put back, if
// still idle), checks it, makes a new one when none is idle and the pool is
// below Max, and otherwise waits for a Put.
//
// Recently returned resources wait in hotSlots hot slots, each on cache
// lines of its own, that Put fills and Get empties with one atomic operation
// each; the older idle resources are a stack under a mutex, which Put pushes
// onto only when it finds every slot taken. Each goroutine has its own slot
// (hotStart, derived from its stack address), where Get looks first and Put
// puts, moving an older resource found there to another empty slot; only
// then do they scan the other slots. A goroutine thus gets back the resource
// it put back last, and goroutines on different cores rarely touch the same
// slot. A Get and a Put of the same resource, the common case, are one
// atomic operation each where a channel-based pool pays two channel
// operations (a lock and an unlock each), contended by every core, and still
// cannot count, check or evict. In generated code a slot is a pointer
// updated with sync/atomic, for pools of pointers (hotSlot); the generic
// reference guards each slot with a mutex of its own.
package respool

import (
	"context"
	"errors"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	hist "github.com/monogen/monogen/templates/histogram"
)

// ErrClosed is returned by Get after Close, and by the Gets Close interrupts.
var ErrClosed = errors.New("respool: closed")

// DefaultMax is the limit used when Config.Max is zero.
const DefaultMax = 16

// idleTicksToEvict is how many eviction ticks (two per period of
// Config.Idle) must pass over an idle resource before it is closed. A
// resource put back just before a tick has waited one half period at the
// next, so three ticks guarantee it idled at least the full period, and
// evict it after at most one and a half.
const idleTicksToEvict = 3

// hotSlot says whether Get and Put go through the hot slots (hotPut,
// hotSwap, hotTake) before the mutex. The generic reference has them, each
// guarded by a mutex of its own, so that its tests run the same code paths.
// Generated code has them for pools of pointers, whose slots are one word
// each, updated atomically, and not otherwise: a resource the hardware
// cannot swap in one instruction would need a lock of its own, no cheaper
// than the pool's.
const hotSlot = true

// runtimeLimits says whether Max is read at run time and SetMax may change
// it (config=true, and always in the generic reference).
const runtimeLimits = true

// hotSlots is the number of hot slots. Sixteen keep a few goroutines, each
// holding one resource at a time, mostly on slots of their own: two
// goroutines share one with odds of one in sixteen.
const hotSlots = 16

// slotPad is the padding after each hot slot, so that no two slots share a
// cache line, nor a pair of adjacent lines, which some processors prefetch
// together (sync.Pool pads its per-P data to 128 bytes for the same reason).
const slotPad = 128

// hotEntry is a hot slot: an idle resource or none.
type hotEntry[T any] struct {
	r    T
	full bool       // the generic reference's slot holds r
	mu   sync.Mutex // guards the generic reference's r and full
	_    [slotPad]byte
}

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
	// MaxLife is how long a resource may be used, from its making: Get and
	// Put close a resource older than that instead of reusing it. Zero
	// means forever.
	MaxLife time.Duration
	// MinIdle is how many idle resources the pool keeps warm: a goroutine
	// makes resources in the background while fewer are idle and fewer
	// than Max exist. Zero means none, and no goroutine.
	MinIdle int
	// Metrics enables the acquire counters reported by Stats.
	Metrics bool

	// hookWait says whether a function is called after each Get that
	// waited (SetOnWait, or the directive's onwait=); timed, whether the
	// waits of Gets are timed, for it or for Metrics.
	hookWait, timed bool
}

// idleResource is a resource in the pool and the eviction tick at which it
// was put back.
//
//monogen:doc evictor idleResource is a resource in the pool and the eviction tick at
//monogen:doc evictor which it was put back.
//monogen:doc !evictor idleResource is a resource on the pool's idle stack.
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

	_ [slotPad]byte //monogen:if atomicSlots
	// hot are the hot slots, after padding that keeps the first off the
	// fields above: recently returned idle resources, generally newer than
	// those in idle. Only the hooks hotPut, hotSwap, hotTake and hotPeek
	// touch them.
	hot [hotSlots]hotEntry[T]
	// nwait mirrors len(waiters) for Put, which reads it without the lock
	// after filling a hot slot. A Get stores it before its last look at
	// the slots, so (atomics being sequentially consistent) either the Get
	// sees the resource or the Put sees the waiter and hands it over.
	nwait atomic.Int32
	// closed is set by Close, under mu; Get and Put read it without mu on
	// the hot path.
	closed atomic.Bool
	// over is set, under mu, while more resources exist than SetMax last
	// allowed: Put then goes past the hot slots, to close the resource.
	over atomic.Bool

	// stats are the acquire counters of Config.Metrics.
	stats acquireStats

	// onWait is the generic reference's wait hook (SetOnWait).
	//monogen:note A generated pool calls onwait= directly.
	onWait func(waited time.Duration, err error)

	// born maps the lifeKey of the resources that exist to their age, for
	// Config.MaxLife. lifeMu guards it.
	lifeMu sync.Mutex
	born   map[uint64]lifeRecord
	epoch  time.Time

	// warm wakes the warmer (Config.MinIdle) when a Get or a close may have
	// left fewer than MinIdle resources idle; warmCancel ends the making of
	// one at Close.
	warm       chan struct{}
	warmCancel context.CancelFunc

	mu      sync.Mutex
	idle    []idleResource[T] // oldest first; Get takes the last
	open    int               // resources that exist: idle, in use, being made or being closed
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
	cfg.timed = cfg.Metrics
	p := &Pool[T]{cfg: cfg, newFn: newFn, closeFn: closeFn, checkFn: checkFn}
	p.init()
	return p
}

// init starts the evictor and the warmer.
//
//monogen:doc evictor,warmer init starts the evictor and the warmer.
//monogen:doc evictor,!warmer init starts the evictor.
//monogen:doc !evictor,warmer init starts the warmer.
//monogen:doc !evictor,!warmer init makes the idle stack and the channel Close closes.
func (p *Pool[T]) init() {
	if p.cfg.Max < 1 || p.cfg.Idle < 0 {
		panic("respool: invalid configuration: want max >= 1 and idle >= 0")
	}
	p.idle = make([]idleResource[T], 0, p.cfg.Max)
	p.done = make(chan struct{})
	if p.cfg.MaxLife > 0 {
		p.born = make(map[uint64]lifeRecord)
		p.epoch = time.Now()
	}
	if p.cfg.MinIdle > 0 {
		p.warm = make(chan struct{}, 1)
		ctx, cancel := context.WithCancel(context.Background())
		p.warmCancel = cancel
		p.wg.Go(func() { p.warmer(ctx) })
	}
	if p.cfg.Idle > 0 {
		if p.tick == nil {
			// At least 1ns: idle=1ns would make a zero period, which
			// NewTicker rejects.
			p.ticker = time.NewTicker(max(p.cfg.Idle/2, 1))
			p.tick = p.ticker.C
		}
		p.wg.Go(p.evictor)
	}
}

// Get returns an idle resource that passes the check, closing those that
// fail it or are older than MaxLife, or a new one if fewer than Max exist.
// Otherwise it waits until a resource is put back or discarded. It returns
// ctx.Err() if ctx ends first, an error from making a resource, or
// ErrClosed after Close. A Get that waits fails if ctx has ended by the time
// the wait is over, even if a Put woke it at the same moment; one that need
// not wait may succeed with a context already done. The caller owns the
// resource until it passes it to Put or Discard.
//
//monogen:doc check,maxlife Get returns an idle resource that passes the check, closing those
//monogen:doc check,maxlife that fail it or are older than the maxlife= duration, or a new one if
//monogen:doc check,maxlife fewer resources exist than the pool's maximum.
//monogen:doc check,!maxlife Get returns an idle resource that passes the check, closing those
//monogen:doc check,!maxlife that fail it, or a new one if fewer resources exist than the pool's
//monogen:doc check,!maxlife maximum.
//monogen:doc !check,maxlife Get returns an idle resource, closing those older than the maxlife=
//monogen:doc !check,maxlife duration, or a new one if fewer resources exist than the pool's
//monogen:doc !check,maxlife maximum.
//monogen:doc !check,!maxlife Get returns an idle resource, or a new one if fewer resources exist
//monogen:doc !check,!maxlife than the pool's maximum.
//monogen:doc * Otherwise it waits until a resource is put back or discarded. It returns
//monogen:doc * ctx.Err() if ctx ends first, an error from making a resource, or
//monogen:doc * ErrClosed after Close. A Get that waits fails if ctx has ended by the time
//monogen:doc * the wait is over, even if a Put woke it at the same moment; one that need
//monogen:doc * not wait may succeed with a context already done. The caller owns the
//monogen:doc * resource until it passes it to Put or Discard.
func (p *Pool[T]) Get(ctx context.Context) (T, error) {
	if hotSlot {
		// The goroutine's own slot first, then the others.
		i := hotStart(unsafe.Pointer(&p))
		r, ok := p.hotTake(i)
		if !ok {
			r, ok = p.hotTakeAny(i + 1)
		}
		if ok {
			if p.closed.Load() {
				// Close ran after the Put that filled the slot.
				p.closeAll(r)
				var zero T
				return zero, ErrClosed
			}
			if p.reusable(r) {
				if p.cfg.Metrics || p.cfg.MinIdle > 0 {
					p.taken()
				}
				return r, nil
			}
			p.Discard(r)
		}
	}
	return p.getSlow(ctx)
}

// reusable reports whether r, an idle resource, may be returned by Get: it
// is not older than MaxLife and passes the check.
//
//monogen:doc check,maxlife reusable reports whether r, an idle resource, may be returned by
//monogen:doc check,maxlife Get: it is not older than the maxlife= duration and passes the check.
//monogen:doc check,!maxlife reusable reports whether r, an idle resource, may be returned by
//monogen:doc check,!maxlife Get: it passes the check.
//monogen:doc !check,maxlife reusable reports whether r, an idle resource, may be returned by
//monogen:doc !check,maxlife Get: it is not older than the maxlife= duration.
//monogen:doc !check,!maxlife reusable reports whether r, an idle resource, may be returned by
//monogen:doc !check,!maxlife Get: every one may.
func (p *Pool[T]) reusable(r T) bool {
	if p.cfg.MaxLife > 0 && p.tooOld(r) {
		return false
	}
	return p.healthy(r) == nil
}

// taken accounts for a Get that returns a resource: it counts it, and wakes
// the warmer, since the pool may now hold fewer than MinIdle idle resources.
//
//monogen:doc metrics,warmer taken accounts for a Get that returns a resource: it counts it,
//monogen:doc metrics,warmer and wakes the warmer, since the pool may now hold fewer idle
//monogen:doc metrics,warmer resources than minidle= asks for.
//monogen:doc metrics,!warmer taken counts a Get that returns a resource.
//monogen:doc !metrics,warmer taken wakes the warmer after a Get that returns a resource, since
//monogen:doc !metrics,warmer the pool may now hold fewer idle resources than minidle= asks for.
func (p *Pool[T]) taken() {
	if p.cfg.Metrics {
		p.stats.gets.Add(1)
	}
	if p.cfg.MinIdle > 0 {
		p.rewarm()
	}
}

// getSlow is Get past the hot slots: it takes the newest resource of the
// idle stack, makes a new one, or waits.
func (p *Pool[T]) getSlow(ctx context.Context) (T, error) {
	var zero T
	waitStart := time.Time{}
	p.mu.Lock()
	for {
		if p.closed.Load() {
			p.mu.Unlock()
			if p.cfg.timed {
				p.waitEnded(waitStart, ErrClosed)
			}
			return zero, ErrClosed
		}
		if hotSlot {
			// A Put may have filled a slot since the caller looked.
			if len(p.idle) == 0 {
				if r, ok := p.hotTakeAny(0); ok {
					p.idle = append(p.idle, idleResource[T]{res: r, tick: p.ticks})
				}
			}
		}
		if n := len(p.idle); n > 0 {
			r := p.idle[n-1].res
			p.idle[n-1] = idleResource[T]{}
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			if p.reusable(r) {
				if p.cfg.Metrics || p.cfg.MinIdle > 0 {
					p.taken()
				}
				if p.cfg.timed {
					p.waitEnded(waitStart, nil)
				}
				return r, nil
			}
			p.dispose(r)
			p.mu.Lock()
			p.open--
			continue // take the next idle one, or make a replacement
		}
		if p.open < p.cfg.Max {
			p.open++
			p.mu.Unlock()
			r, err := p.makeNew(ctx)
			if err != nil {
				p.mu.Lock()
				p.open--
				p.wakeLocked() // a waiter may make one now
				p.mu.Unlock()
				if p.cfg.Metrics {
					p.stats.failed(err)
				}
				if p.cfg.timed {
					p.waitEnded(waitStart, err)
				}
				return zero, err
			}
			if p.cfg.Metrics || p.cfg.MinIdle > 0 {
				p.taken()
			}
			if p.cfg.timed {
				p.waitEnded(waitStart, nil)
			}
			return r, nil
		}
		if p.cfg.timed {
			if waitStart.IsZero() {
				waitStart = time.Now()
			}
		}
		if err := p.waitLocked(ctx); err != nil {
			p.mu.Unlock()
			if p.cfg.Metrics {
				p.stats.failed(err)
			}
			if p.cfg.timed {
				p.waitEnded(waitStart, err)
			}
			return zero, err
		}
	}
}

// makeNew makes a resource with create and, for MaxLife, records when.
//
//monogen:doc maxlife makeNew makes a resource with create and records when, for its age.
//monogen:doc !maxlife makeNew makes a resource with create.
func (p *Pool[T]) makeNew(ctx context.Context) (T, error) {
	r, err := p.create(ctx)
	if p.cfg.MaxLife > 0 && err == nil {
		now := p.sinceEpoch()
		key := p.lifeKey(r)
		p.lifeMu.Lock()
		l := p.born[key]
		if l.n == 0 {
			l.made = now
		}
		l.n++
		p.born[key] = l
		p.lifeMu.Unlock()
	}
	return r, err
}

// dispose closes r with destroy and, for MaxLife, forgets when it was made.
// It does not count r out: the caller does.
//
//monogen:doc maxlife dispose closes r with destroy and forgets when it was made. It does
//monogen:doc maxlife not count r out: the caller does.
//monogen:doc !maxlife dispose closes r with destroy. It does not count r out: the caller
//monogen:doc !maxlife does.
func (p *Pool[T]) dispose(r T) {
	if p.cfg.MaxLife > 0 {
		// Before destroy: r is alive until then, so no resource made
		// meanwhile can share its key.
		key := p.lifeKey(r)
		p.lifeMu.Lock()
		if l := p.born[key]; l.n > 1 {
			l.n--
			p.born[key] = l
		} else {
			delete(p.born, key)
		}
		p.lifeMu.Unlock()
	}
	p.destroy(r)
}

// tooOld reports whether r, or a resource equal to it that exists, was made
// more than MaxLife ago (see lifeRecord). A resource the pool did not make is
// never too old.
//
//monogen:doc lifeByAddress tooOld reports whether r was made more than the maxlife= duration ago.
//monogen:doc lifeByAddress A resource the pool did not make is never too old.
//monogen:doc !lifeByAddress tooOld reports whether r, or a resource equal to it that exists, was made
//monogen:doc !lifeByAddress more than the maxlife= duration ago (see lifeRecord). A resource the pool
//monogen:doc !lifeByAddress did not make is never too old.
func (p *Pool[T]) tooOld(r T) bool {
	key := p.lifeKey(r)
	now := p.sinceEpoch()
	p.lifeMu.Lock()
	l, ok := p.born[key]
	p.lifeMu.Unlock()
	return ok && now-l.made > int64(p.cfg.MaxLife)
}

// lifeRecord is the age of the resources that have one lifeKey: n of them
// exist, and the first was made at made, in nanoseconds since the pool's
// epoch. Resources that are equal have one key and cannot be told apart:
// all of them take the age of the oldest, the first made while any exists,
// until the last is closed. One may then be closed before its time, but
// none is reused after it.
//
//monogen:note The type is shared by the pools of a package, so its doc is
//monogen:note the same for all: in a pool of pointers, keyed by address, n
//monogen:note is never more than one.
type lifeRecord struct {
	made int64
	n    int
}

// sinceEpoch returns the nanoseconds since the pool was made, on the
// monotonic clock.
func (p *Pool[T]) sinceEpoch() int64 {
	return int64(time.Since(p.epoch))
}

// lifeSeed seeds lifeKey's hash.
var lifeSeed = maphash.MakeSeed()

// lifeKey identifies r among the resources that exist, for MaxLife. The
// generic reference hashes r, which panics if r's dynamic type is not
// comparable; a generated pool of pointers uses the address.
//
//monogen:hook
func (p *Pool[T]) lifeKey(r T) uint64 {
	return maphash.Comparable(lifeSeed, any(r))
}

// rewarm wakes the warmer, for MinIdle, without waiting.
func (p *Pool[T]) rewarm() {
	select {
	case p.warm <- struct{}{}:
	default: // already woken
	}
}

// warmer makes resources while fewer than MinIdle are idle and fewer than
// Max exist, one at a time, then sleeps until a Get or a close wakes it, or
// Close. A resource it makes goes onto the idle stack, waking a waiting Get.
// If making one fails, it tries again at the next wake-up.
func (p *Pool[T]) warmer(ctx context.Context) {
	for {
		p.mu.Lock()
		short := !p.closed.Load() && p.idleLocked() < p.cfg.MinIdle && p.open < p.cfg.Max
		if short {
			p.open++
		}
		p.mu.Unlock()
		if short {
			r, err := p.makeNew(ctx)
			p.mu.Lock()
			if err != nil {
				p.open--
				p.wakeLocked() // a waiter may make one now
			} else if p.putLocked(r) {
				p.mu.Unlock()
				p.closeAll(r) // closed meanwhile
				return
			}
			p.mu.Unlock()
			if err == nil {
				continue
			}
		}
		select {
		case <-p.warm:
		case <-p.done:
			return
		}
	}
}

// Put returns r to the pool for another Get. After Close, or if r is older
// than MaxLife, Put closes r.
//
//monogen:doc maxlife Put returns r to the pool for another Get. After Close, or if r is
//monogen:doc maxlife older than the maxlife= duration, Put closes r.
//monogen:doc !maxlife Put returns r to the pool for another Get. After Close, Put closes r.
func (p *Pool[T]) Put(r T) {
	if p.cfg.MaxLife > 0 && p.tooOld(r) {
		p.closeAll(r)
		return
	}
	if !hotSlot {
		p.mu.Lock()
		closeIt := p.putLocked(r)
		p.mu.Unlock()
		if closeIt {
			p.closeAll(r)
		}
	} else if p.hotHolds(r) && !(runtimeLimits && p.over.Load()) {
		p.putHot(r, hotStart(unsafe.Pointer(&p)))
	} else {
		p.putPastHot(r)
	}
}

// putPastHot is Put of a resource the hot slots cannot hold. It goes onto
// the stack, after the slots' resources, which are older.
func (p *Pool[T]) putPastHot(r T) {
	p.mu.Lock()
	toClose := p.hotToIdleLocked()
	if p.putLocked(r) {
		toClose = append(toClose, r)
	}
	p.mu.Unlock()
	p.closeAll(toClose...)
}

// putHot is Put through the hot slots, starting at slot i, the goroutine's
// own: one compare-and-swap when that slot is empty, nobody waits and the
// pool is open.
func (p *Pool[T]) putHot(r T, i uint32) {
	ok := p.hotPut(i, r)
	if !ok {
		// The slot holds an older resource: r takes its place, for the
		// goroutine's next Get, and the older one moves to another empty
		// slot, or onto the stack if none is.
		if old, had := p.hotSwap(i, r); had {
			r = old
			_, ok = p.hotPutAny(i+1, r)
		} else {
			ok = true
		}
	}
	if ok && p.nwait.Load() == 0 && !p.closed.Load() {
		return
	}
	// r found no empty slot and goes onto the stack. Or a Get is waiting:
	// a slot's resource goes onto the stack for it, which may be r or, if
	// r was taken meanwhile, another Put's. Or the pool is closed: Close
	// emptied the slots before this Put filled one, so every resource a
	// slot holds now is to be closed.
	var toClose []T
	p.mu.Lock()
	if !ok && p.putLocked(r) {
		toClose = append(toClose, r)
	}
	if p.closed.Load() {
		toClose = append(toClose, p.hotToIdleLocked()...)
	} else if len(p.waiters) > 0 {
		if h, ok := p.hotTakeAny(i); ok {
			p.putLocked(h) // wakes the waiter; the pool is open
		}
	}
	p.mu.Unlock()
	p.closeAll(toClose...)
}

// hotToIdleLocked empties the hot slots through putLocked: onto the stack,
// or, after Close, into the returned resources for the caller to close
// outside the lock. p.mu is held.
func (p *Pool[T]) hotToIdleLocked() (toClose []T) {
	for i := range uint32(hotSlots) {
		if h, ok := p.hotTake(i); ok && p.putLocked(h) {
			toClose = append(toClose, h)
		}
	}
	return toClose
}

// hotStart returns the calling goroutine's own hot slot, where its Get and
// Put start their scan of the slots, from at, the address of their receiver
// parameter. That is on the caller's stack, at the same address for a Get
// and a Put called from the same function (the register ABI spills the
// receiver of either into the caller's argument area), so the Put of a
// resource usually picks the slot its Get took it from. Other goroutines
// have other stacks, at least 2 KiB apart: the address's bits from 11 up,
// xored together three at a time, pick different slots for stacks allocated
// near each other. The slot is only where the scan starts: a wrong guess costs
// time, never correctness.
func hotStart(at unsafe.Pointer) uint32 {
	h := uint32(uintptr(at) >> 11)
	h ^= h>>3 ^ h>>6 ^ h>>9 ^ h>>12
	return h % hotSlots
}

// hotTakeAny empties the first full hot slot from start on, cyclically, and
// returns the resource it held, if any. It looks before it takes: a look at
// a slot that another core uses leaves the cache line shared.
func (p *Pool[T]) hotTakeAny(start uint32) (r T, ok bool) {
	for k := range uint32(hotSlots) {
		if i := (start + k) % hotSlots; p.hotPeek(i) {
			if r, ok = p.hotTake(i); ok {
				return r, true
			}
		}
	}
	return r, false
}

// hotPutAny puts r in the first empty hot slot from start on, cyclically,
// and returns its index, or reports that every slot was full. It looks
// before it puts, as hotTakeAny does.
func (p *Pool[T]) hotPutAny(start uint32, r T) (i uint32, ok bool) {
	for k := range uint32(hotSlots) {
		if i = (start + k) % hotSlots; !p.hotPeek(i) && p.hotPut(i, r) {
			return i, true
		}
	}
	return 0, false
}

// putLocked pushes r onto the idle stack and wakes a waiting Get, or, after
// Close, reports that the caller must close it with closeAll (outside the
// lock). p.mu is held.
func (p *Pool[T]) putLocked(r T) (closeIt bool) {
	if p.closed.Load() || runtimeLimits && p.open > p.cfg.Max {
		return true
	}
	p.idle = append(p.idle, idleResource[T]{res: r, tick: p.ticks})
	p.wakeLocked()
	return false
}

// Discard closes r, a resource from Get that must not be reused, making room
// for a new one once r is closed.
func (p *Pool[T]) Discard(r T) {
	p.closeAll(r)
}

// closeAll closes rs, resources the pool counts, and only then stops
// counting them and wakes as many waiting Gets: a resource counts toward the
// maximum until its close function has returned, so that no Get makes one
// while the maximum number of others still exist. p.mu is not held.
func (p *Pool[T]) closeAll(rs ...T) {
	if len(rs) == 0 {
		return
	}
	for _, r := range rs {
		p.dispose(r)
	}
	p.mu.Lock()
	p.open -= len(rs)
	if runtimeLimits && p.over.Load() && p.open <= p.cfg.Max {
		p.over.Store(false)
	}
	for range rs {
		p.wakeLocked() // each closed resource makes room for a waiting Get
	}
	p.mu.Unlock()
	if p.cfg.MinIdle > 0 {
		p.rewarm()
	}
}

// SetMax sets the most resources that exist at once to n. It panics if n
// is less than 1.
//
// When the maximum grows, as many waiting Gets as it makes room for wake,
// oldest first, to make a resource each. When it shrinks, no resource in
// use is closed: idle resources beyond the new maximum are closed at once,
// the oldest first, a resource put back while more than n exist is closed
// instead of kept (but for those the hot slots take: they stay idle until a
// Get takes them or they are evicted), and Gets wait until fewer than n
// exist. SetMax is safe to call concurrently with every other method.
//
//monogen:if config
func (p *Pool[T]) SetMax(n int) {
	if n < 1 {
		panic("respool: max must be at least 1")
	}
	p.mu.Lock()
	for range n - p.cfg.Max {
		p.wakeLocked()
	}
	p.cfg.Max = n
	var toClose []T
	p.over.Store(p.open > n)
	if p.open > n {
		if hotSlot {
			toClose = p.hotToIdleLocked()
		}
		drop := min(p.open-n-len(toClose), len(p.idle))
		for i := range max(drop, 0) {
			toClose = append(toClose, p.idle[i].res)
		}
		if drop > 0 {
			p.idle = slices.Delete(p.idle, 0, drop)
		}
	}
	p.mu.Unlock()
	p.closeAll(toClose...)
}

// Len returns the number of resources that exist, idle, in use or being
// closed, and how many of them are idle.
func (p *Pool[T]) Len() (open, idle int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open, p.idleLocked()
}

// idleLocked returns the number of idle resources. p.mu is held.
func (p *Pool[T]) idleLocked() int {
	idle := len(p.idle)
	if hotSlot {
		for i := range uint32(hotSlots) {
			if p.hotPeek(i) {
				idle++
			}
		}
	}
	return idle
}

// Close closes every idle resource, makes waiting and later Gets return
// ErrClosed, and stops idle eviction and the warmer, waiting for their
// goroutines to end (the warmer's context is canceled if it is making a
// resource). A resource in use is closed when it is put back. Close may be
// called more than once.
//
//monogen:doc evictor,warmer Close closes every idle resource, makes waiting and later Gets
//monogen:doc evictor,warmer return ErrClosed, and stops idle eviction and the warmer, waiting
//monogen:doc evictor,warmer for their goroutines to end (the warmer's context is canceled if it
//monogen:doc evictor,warmer is making a resource).
//monogen:doc evictor,!warmer Close closes every idle resource, makes waiting and later Gets
//monogen:doc evictor,!warmer return ErrClosed, and stops idle eviction, waiting for its goroutine
//monogen:doc evictor,!warmer to end.
//monogen:doc !evictor,warmer Close closes every idle resource, makes waiting and later Gets
//monogen:doc !evictor,warmer return ErrClosed, and stops the warmer, waiting for its goroutine to
//monogen:doc !evictor,warmer end (its context is canceled if it is making a resource).
//monogen:doc !evictor,!warmer Close closes every idle resource and makes waiting and later
//monogen:doc !evictor,!warmer Gets return ErrClosed.
//monogen:doc * A resource in use is closed when it is put back. Close may be called
//monogen:doc * more than once.
func (p *Pool[T]) Close() {
	p.mu.Lock()
	if p.closed.Load() {
		p.mu.Unlock()
		return
	}
	p.closed.Store(true)
	if hotSlot {
		// closed is set before the slots are emptied: a Put that fills one
		// later sees closed and closes its resource itself.
		p.hotToStackLocked()
	}
	idle := p.idle
	p.idle = nil
	for _, w := range p.waiters {
		close(w)
	}
	p.waiters = nil
	if hotSlot {
		p.nwait.Store(0)
	}
	close(p.done)
	p.mu.Unlock()
	if p.cfg.MinIdle > 0 {
		p.warmCancel()
	}
	if p.ticker != nil {
		p.ticker.Stop()
	}
	p.wg.Wait()
	rs := make([]T, len(idle))
	for i, ir := range idle {
		rs[i] = ir.res
	}
	p.closeAll(rs...)
}

// waitLocked waits, with p.mu held on entry and on return, until a Put,
// Discard or Close wakes the caller, or ctx ends.
func (p *Pool[T]) waitLocked(ctx context.Context) error {
	w := p.enqueueLocked()
	if w == nil {
		return nil
	}
	if p.cfg.Metrics {
		p.stats.waits.Add(1)
	}
	return p.awaitLocked(ctx, w)
}

// enqueueLocked queues a waiting Get and returns the channel that wakes it,
// or nil if it found a resource in a hot slot after all and put it on the
// idle stack for the caller. p.mu is held.
func (p *Pool[T]) enqueueLocked() chan struct{} {
	w := make(chan struct{}, 1)
	p.waiters = append(p.waiters, w)
	if hotSlot {
		// Announce the wait, then look at the hot slots a last time: a Put
		// that fills one after this look sees nwait and wakes a waiter.
		p.nwait.Store(int32(len(p.waiters)))
		if r, ok := p.hotTakeAny(0); ok {
			p.waiters = p.waiters[:len(p.waiters)-1]
			p.nwait.Store(int32(len(p.waiters)))
			p.idle = append(p.idle, idleResource[T]{res: r, tick: p.ticks})
			return nil
		}
	}
	return w
}

// awaitLocked waits, with p.mu held on entry and on return, until w wakes
// the caller or ctx ends. If ctx has ended when the wait ends, it fails even
// if the caller was woken too: a select between the two picks either at
// random, and the wake-up may have come after ctx ended. A waiter that
// fails after its wake-up passes it on, so that it is not lost.
func (p *Pool[T]) awaitLocked(ctx context.Context, w chan struct{}) error {
	p.mu.Unlock()
	done := ctx.Done()
	select {
	case <-w:
		select {
		case <-done:
			// Fail as if done had been picked.
		default:
			p.mu.Lock()
			return nil
		}
	case <-done:
	}
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
// idleTicksToEvict ticks ago, keeping MinIdle of them. They are the oldest,
// at the start of p.idle.
// They count toward the maximum until closed: a Get waiting at the maximum
// is woken only once their close functions have returned.
//
// It first moves the hot slots' resources onto the stack, stamped with the
// tick count before this tick: the slots were emptied at the previous tick,
// so that is when the resources were put back, and they age as if Put had
// pushed them.
func (p *Pool[T]) evictIdle() {
	p.mu.Lock()
	if p.closed.Load() {
		// Close closed the idle resources; those Puts still bring to the
		// slots are theirs to close.
		p.mu.Unlock()
		return
	}
	if hotSlot {
		p.hotToStackLocked()
	}
	p.ticks++
	n := 0
	for n < len(p.idle) && p.ticks-p.idle[n].tick >= idleTicksToEvict {
		n++
	}
	if p.cfg.MinIdle > 0 {
		n = min(n, max(len(p.idle)-p.cfg.MinIdle, 0))
	}
	expired := make([]T, n)
	for i, ir := range p.idle[:n] {
		expired[i] = ir.res
	}
	p.idle = slices.Delete(p.idle, 0, n)
	p.mu.Unlock()
	p.closeAll(expired...)
}

// hotToStackLocked moves the resources of the hot slots onto the idle stack.
// p.mu is held.
func (p *Pool[T]) hotToStackLocked() {
	for i := range uint32(hotSlots) {
		if r, ok := p.hotTake(i); ok {
			p.idle = append(p.idle, idleResource[T]{res: r, tick: p.ticks})
		}
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

// hotHolds reports whether the hot slots can hold r. The generated slot of
// a pointer uses nil for empty, so a nil resource goes to the stack.
//
//monogen:hook
func (p *Pool[T]) hotHolds(r T) bool {
	return true
}

// hotPut puts r in hot slot i if it is empty, and reports whether it was.
//
//monogen:hook
func (p *Pool[T]) hotPut(i uint32, r T) bool {
	h := &p.hot[i]
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.full {
		return false
	}
	h.r, h.full = r, true
	return true
}

// hotSwap puts r in hot slot i and returns the resource the slot held, if
// any.
//
//monogen:hook
func (p *Pool[T]) hotSwap(i uint32, r T) (old T, had bool) {
	h := &p.hot[i]
	h.mu.Lock()
	old, had = h.r, h.full
	h.r, h.full = r, true
	h.mu.Unlock()
	return old, had
}

// hotTake empties hot slot i and returns the resource it held, if any.
//
//monogen:hook
func (p *Pool[T]) hotTake(i uint32) (r T, ok bool) {
	var zero T
	h := &p.hot[i]
	h.mu.Lock()
	r, ok = h.r, h.full
	h.r, h.full = zero, false
	h.mu.Unlock()
	return r, ok
}

// hotPeek reports whether hot slot i holds a resource.
//
//monogen:hook
func (p *Pool[T]) hotPeek(i uint32) bool {
	h := &p.hot[i]
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.full
}

// noCopy lets go vet's copylocks check report a Pool copied by value.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// acquireStats are the counters behind Stats, on cache lines of their own:
// every Get updates one.
type acquireStats struct {
	_        [slotPad]byte
	gets     atomic.Int64
	waits    atomic.Int64
	canceled atomic.Int64
	timedOut atomic.Int64
	waitTime histogram //monogen:if metrics
	_        [slotPad]byte
}

// SetOnWait sets f to be called after every Get that waited at Max,
// whether it got a resource (a nil err) or not (the error Get returns),
// with how long it waited, from its first wait to its return. f runs on
// the goroutine that called Get, before Get returns and holding no lock:
// it delays that caller only. Call it before the pool is used.
//
//monogen:template
func (p *Pool[T]) SetOnWait(f func(waited time.Duration, err error)) {
	p.onWait = f
	p.cfg.hookWait = f != nil
	p.cfg.timed = p.cfg.hookWait || p.cfg.Metrics
}

// waitedFor reports a Get that waited for d and ended with err.
//
//monogen:hook
func (p *Pool[T]) waitedFor(d time.Duration, err error) {
	p.onWait(d, err)
}

// waitEnded records the end of a Get that ended with err, having waited
// at Max since start; a zero start means it did not wait.
//
//monogen:if timed
func (p *Pool[T]) waitEnded(start time.Time, err error) {
	if start.IsZero() {
		return
	}
	d := time.Since(start)
	if p.cfg.Metrics {
		p.stats.waitTime.Observe(int64(d))
	}
	if p.cfg.hookWait {
		p.waitedFor(d, err)
	}
}

// failed accounts for a Get that failed with err.
func (s *acquireStats) failed(err error) {
	switch {
	case errors.Is(err, context.Canceled):
		s.canceled.Add(1)
	case errors.Is(err, context.DeadlineExceeded):
		s.timedOut.Add(1)
	}
}

// Stats is a snapshot of a pool's acquire counters, in the manner of
// pgx/puddle's Stat. Each counter is read atomically, the snapshot as a
// whole is not.
//
//monogen:if metrics
type Stats struct {
	// Gets is the number of Gets that returned a resource.
	Gets int64
	// Waits is the number of times Gets waited at Max for a resource to be
	// put back or closed, whatever they returned. A Get waits again when
	// the resource it was woken for fails its check, or another Get took
	// it.
	Waits int64
	// WaitTime is how long the Gets that waited at Max waited, each from
	// its first wait to its return, whatever it returned: one observation
	// per Get, where Waits counts each wait.
	WaitTime Histogram
	// Canceled and TimedOut are the Gets that failed because their context
	// was canceled or its deadline passed, waiting or making a resource.
	Canceled, TimedOut int64
	// Open and Idle are what Len returns.
	Open, Idle int
}

// Stats returns the acquire counters. They are zero unless Config.Metrics
// is set.
//
//monogen:if metrics
func (p *Pool[T]) Stats() Stats {
	open, idle := p.Len()
	s := Stats{
		Gets:     p.stats.gets.Load(),
		Waits:    p.stats.waits.Load(),
		Canceled: p.stats.canceled.Load(),
		TimedOut: p.stats.timedOut.Load(),
		Open:     open,
		Idle:     idle,
	}
	histCollect(&s.WaitTime, &p.stats.waitTime)
	return s
}

// Histogram is a snapshot of a distribution of durations in fixed buckets.
//
//monogen:template
//monogen:note The generator stencils the histogram template next to a pool
//monogen:note with metrics=true and renames Histogram and histogram to what
//monogen:note it declares.
type Histogram = hist.Histogram

// histogram records the durations of a Histogram.
//
//monogen:template
type histogram = hist.Recorder

// histCollect adds the distribution h recorded to s.
//
//monogen:template
func histCollect(s *Histogram, h *histogram) { hist.Collect(s, h) }
