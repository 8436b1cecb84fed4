// Package keyedbrk provides a keyed circuit breaker: one circuit breaker per
// key, such as one per host a client calls, kept in a concurrent hash map
// whose idle keys are evicted.
//
// It is the generic reference of the monogen breaker kind with a key:
//
//	//monogen:breaker PerHost[Req, Resp] key=hostOf fn=call failures=5 cooldown=30s idle=1m keys=10000
//
// generates a type whose Execute computes the key of a request with hostOf,
// and runs the call through that key's breaker; its thresholds are
// constants, and its map is the monogen map specialized for the key type.
//
// # Memory
//
// Each key holds one circuit: its state, its calls in flight and its
// rolling window, whose buckets are allocated at its first count and freed
// by a sweep that finds the window empty. A circuit that is closed, has no call in flight and an
// empty window behaves exactly as a circuit that was never created, so
// eviction takes only such circuits: it never resets a key that is open or
// half-open, that has a call in flight, or that has a success or a failure
// in its window.
//
// Idle circuits are evicted by sweeps that run on the path that creates a
// key, not by a goroutine, so the breaker needs no Close. A sweep visits
// every key, in the goroutine whose call created a key, at most once per
// Config.Idle. A circuit on which no call has started since a sweep, or its
// creation, at least Config.Idle earlier, is evicted by the next sweep if
// its window is empty; the first sweep after a call puts the successes not
// yet counted in the window. So an idle key lives about 2 to 3×Config.Idle
// after its last call, as long as other keys are created, or longer if
// Config.Window is longer and its window still counts calls.
//
// With Config.Keys, the map holds at most that many circuits. When it is
// full, a new key first sweeps away every circuit that can be evicted,
// idle or not, at most once per bucket of the window; if the map is still
// full, the call is rejected with ErrTooManyKeys: evicting a key in use
// would forget that its host is failing.
//
//monogen:note The map is shardmap.Map through the keyMap alias, as in
//monogen:note keyedrate and keyedsem; the generator stencils the shardmap
//monogen:note template for the key type and renames keyMap, newKeyMap and
//monogen:note the compute operations to it. The breaker's algorithm is the
//monogen:note breaker template's, with the state of one breaker in circuit.
package keyedbrk

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monogen/monogen/templates/shardmap"
)

// State is the state of one key's breaker.
type State uint32

const (
	// StateClosed lets every call through and counts failures.
	StateClosed State = iota
	// StateOpen rejects every call until the cooldown has passed.
	StateOpen
	// StateHalfOpen lets a few probe calls through: enough successes close
	// the breaker, one failure opens it again.
	StateHalfOpen
)

// String returns "closed", "open" or "half-open".
func (s State) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateOpen:
		return "open"
	case StateHalfOpen:
		return "half-open"
	}
	return "unknown"
}

// ErrOpen is returned, or passed to the fallback, for a call rejected while
// its key's breaker is open.
//
//monogen:doc fallback ErrOpen is passed to the fallback for a call rejected while its
//monogen:doc fallback key's breaker is open.
//monogen:doc !fallback ErrOpen is returned for a call rejected while its key's breaker is
//monogen:doc !fallback open.
var ErrOpen = errors.New("breaker: circuit open")

// ErrTooManyProbes is returned, or passed to the fallback, for a call
// rejected while its key's breaker is half-open and its probes are taken.
//
//monogen:doc fallback ErrTooManyProbes is passed to the fallback for a call rejected while
//monogen:doc fallback its key's breaker is half-open and its probes are taken.
//monogen:doc !fallback ErrTooManyProbes is returned for a call rejected while its key's
//monogen:doc !fallback breaker is half-open and its probes are taken.
var ErrTooManyProbes = errors.New("breaker: too many half-open probes")

// ErrTooManyKeys is returned, or passed to the fallback, for a call of a new
// key while the breaker holds its most keys and none of them can be evicted.
//
//monogen:if keys
//monogen:doc fallback ErrTooManyKeys is passed to the fallback for a call of a new key
//monogen:doc fallback while the breaker holds its most keys and none of them can be
//monogen:doc fallback evicted.
//monogen:doc !fallback ErrTooManyKeys is returned for a call of a new key while the
//monogen:doc !fallback breaker holds its most keys and none of them can be evicted.
var ErrTooManyKeys = errors.New("breaker: too many keys")

// ErrNaNKey is returned, or passed to the fallback, for a call whose key is
// not equal to itself: a NaN, or a struct, array or interface value holding
// one. No map can find such a key again, so its breaker could count
// nothing; the function is not called.
//
//monogen:if nanKeys
//monogen:doc fallback ErrNaNKey is passed to the fallback for a call whose key is not
//monogen:doc fallback equal to itself: a NaN, or a struct, array or interface value holding
//monogen:doc fallback one. No map can find such a key again, so its breaker could count
//monogen:doc fallback nothing; the function is not called.
//monogen:doc !fallback ErrNaNKey is returned for a call whose key is not equal to itself: a
//monogen:doc !fallback NaN, or a struct, array or interface value holding one. No map can
//monogen:doc !fallback find such a key again, so its breaker could count nothing; the
//monogen:doc !fallback function is not called.
var ErrNaNKey = errors.New("breaker: key not equal to itself (NaN)")

// nanKeys reports whether a key can be unequal to itself, as a NaN is: the
// key type is a float or complex type, an interface, or a struct or array
// holding one.
//
//monogen:note The generator sets it from the key type, so that the check
//monogen:note in create and ErrNaNKey are emitted only for such keys.
const nanKeys = true

// Config holds the options of a Breaker.
//
//monogen:config
type Config struct {
	// Failures is the least number of failures in a key's window that
	// trips its breaker: failures= (default 5).
	Failures int64
	// Ratio is the least fraction of failed calls in a key's window that
	// trips its breaker, together with Failures: ratio= (0 counts failures
	// only).
	Ratio float64
	// Cooldown is how long a key's breaker stays open before probing:
	// cooldown= (default 30s).
	Cooldown time.Duration
	// HalfOpen is the number of probes let through when half-open; that
	// many successes close the breaker: halfopen= (default 3).
	HalfOpen int64
	// Window is the length of the rolling window failures are counted in:
	// window= (default 10s).
	Window time.Duration
	// Buckets is the number of buckets the window is divided into:
	// buckets= (default 10).
	Buckets int64
	// Slow is the duration past which a call counts as a failure, even one
	// that succeeds: slow= (0: the duration does not matter).
	Slow time.Duration
	// Idle is how long a key goes without a call before a sweep may evict
	// it: idle=. Zero turns the sweeps of new keys off.
	Idle time.Duration
	// Keys is the most keys held at once, 0 for no limit: keys=.
	Keys int64

	// fallback says whether a fallback handles errors; the reference
	// constructor sets it, the kind sets it from fallback=.
	fallback bool
}

const (
	// stateBits hold the State in the low bits of a circuit's state word;
	// the rest counts transitions. The whole word is a generation: a call
	// remembers the word it was admitted under, and its result is ignored
	// if the word has changed by the time it returns.
	stateBits = 2
	stateMask = 1<<stateBits - 1
	// flushEvery is how many successes in the closed state are counted
	// before they are put in a bucket of the window. Power of two.
	flushEvery = 16
	// noBucket marks a bucket that holds no time's counts.
	noBucket = math.MinInt64
	// inFlightMask takes from a circuit's flight word the calls in flight,
	// its low 31 bits; evictedBit, bit 31, marks the circuit evicted; the
	// high 32 bits, from startedShift, count the calls started, so that a
	// sweep sees whether a call started since it last looked.
	inFlightMask = 1<<31 - 1
	evictedBit   = 1 << 31
	startedShift = 32
)

// runtimeLimits says whether the limits are read at run time (config=true,
// and always in the generic reference): then init computes what derives
// from them once, instead of the compiler.
const runtimeLimits = true

// notifyChange says whether the breaker calls a state-change function
// outside its lock (changed): the generic reference's SetOnChange, or the
// directive's onchange=. Without it, transitions gather no counts for it.
const notifyChange = true

// outcome is how a call's result counts.
type outcome int

const (
	succeeded outcome = iota // a success
	failed                   // a failure
	neutral                  // neither: the caller's own context ended it
)

// Counts are the counts of a state, given to the state-change function at
// the moment a key's breaker leaves it: for the closed state, the successes
// and failures of the rolling window, the last failure included; for the
// half-open state, the probes that succeeded and, if one failed, that one;
// for the open state, nothing.
//
//monogen:if onchange
type Counts struct {
	Successes, Failures int64
}

// change is a transition of key's breaker to report to the state-change
// function.
type change[K comparable] struct {
	key      K
	from, to State
	counts   Counts
}

// keyMap is the map from K to the circuits of the keys.
//
//monogen:template
type keyMap[K comparable] = shardmap.Map[K, *circuit]

// newKeyMap returns an empty keyMap.
//
//monogen:template
func newKeyMap[K comparable]() *keyMap[K] { return shardmap.New[K, *circuit]() }

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

// Breaker is a circuit breaker per key around a function from Req to Resp:
// the key of a request is computed from it, and each key has a breaker of
// its own, with the same limits.
//
// Closed, a key's breaker calls the function and counts failures (non-nil
// errors) in a rolling window; when both the count and the ratio of
// failures reach their thresholds it opens. Open, it rejects calls with
// ErrOpen until the cooldown has passed, then goes half-open. Half-open, it
// lets HalfOpen probe calls through and rejects the others with
// ErrTooManyProbes; a failed probe opens it again, HalfOpen successful
// probes close it. The result of a call admitted before its key's breaker
// last changed state is ignored.
//
// A Breaker must be created with New and must not be copied after first
// use. Its methods are safe for concurrent use. Execute on a key already
// seen looks the key up in a map whose reads take no lock; in the closed
// state it takes the key's lock only on a failure and once every 16
// successes, to count them in the window.
type Breaker[K comparable, Req, Resp any] struct {
	circuits *keyMap[K]
	// live counts the circuits in the map: Len.
	live atomic.Int64
	// nextSweep is the time, in nanoseconds since epoch, from which a new
	// key sweeps the idle circuits.
	nextSweep atomic.Int64
	// nextRoom is the time from which a new key that finds the map full
	// may sweep it for room.
	nextRoom atomic.Int64 //monogen:if keys
	// sweepMu lets one sweep run at a time.
	sweepMu sync.Mutex

	cfg        Config
	keyFn      func(Req) K
	fn         func(context.Context, Req) (Resp, error)        //monogen:if !boundFn
	fallbackFn func(context.Context, Req, error) (Resp, error) //monogen:if fallback

	epoch time.Time
	now   func() time.Duration // when not nil, replaces the monotonic clock
	width int64                // nanoseconds a bucket covers, when the window is read at run time

	failureFn func(error) bool                           // the reference's SetFailure
	changeFn  func(key K, from, to State, counts Counts) // the reference's SetOnChange
}

// circuit is one key's breaker.
type circuit struct {
	// state is the transition count << stateBits | State.
	state atomic.Uint64
	// flight counts the calls started and in flight, and marks the
	// circuit evicted: see evictedBit.
	flight atomic.Uint64
	// pending counts closed-state successes not yet put in a bucket.
	pending  atomic.Int64
	openedAt atomic.Int64 // clock reading when the breaker last opened
	probes   atomic.Int64 // probes admitted in this half-open period; written under mu
	// rejected counts the calls rejected with ErrOpen or ErrTooManyProbes.
	rejected atomic.Uint64

	mu      sync.Mutex // serialises transitions, probes and the window
	probeOK int64      // probes that succeeded in this half-open period
	buckets []bucket   // the rolling window, nil until its first count
	// seen is the count of calls started at the sweep that last saw it
	// change, at seenAt (the circuit's creation, at first). Sweeps write
	// them, under the breaker's sweepMu.
	seen   uint32
	seenAt int64
}

// bucket holds the counts of one slice of a key's rolling window, under
// the circuit's lock.
type bucket struct {
	index               int64 // clock / bucket width of the slice counted, or noBucket
	successes, failures int64
}

// New returns a keyed breaker around fn, whose keys key computes. If
// fallback is not nil, it is called instead of returning an error: with
// ErrOpen, ErrTooManyProbes or ErrTooManyKeys for a rejected call, or with
// fn's error. Zero fields of cfg take their defaults, but Idle and Keys. New
// panics if cfg is invalid.
//
//monogen:template
func New[K comparable, Req, Resp any](key func(Req) K, fn func(context.Context, Req) (Resp, error), fallback func(context.Context, Req, error) (Resp, error), cfg Config) *Breaker[K, Req, Resp] {
	if cfg.Failures == 0 {
		cfg.Failures = 5
	}
	if cfg.Cooldown == 0 {
		cfg.Cooldown = 30 * time.Second
	}
	if cfg.HalfOpen == 0 {
		cfg.HalfOpen = 3
	}
	if cfg.Window == 0 {
		cfg.Window = 10 * time.Second
	}
	if cfg.Buckets == 0 {
		cfg.Buckets = 10
	}
	cfg.fallback = fallback != nil
	b := &Breaker[K, Req, Resp]{cfg: cfg, keyFn: key, fn: fn, fallbackFn: fallback}
	b.init()
	return b
}

// SetClock makes the breaker read time from now, a monotonic clock in
// nanoseconds that must not go backwards, instead of the system's. Tests
// use it; call it before the breaker is used.
//
//monogen:template
func (b *Breaker[K, Req, Resp]) SetClock(now func() time.Duration) {
	b.now = now
	b.init()
}

// SetFailure makes f decide which errors count as failures; the others
// count as successes. The default counts every error. Call it before the
// breaker is used.
//
//monogen:template
func (b *Breaker[K, Req, Resp]) SetFailure(f func(error) bool) { b.failureFn = f }

// SetOnChange sets f to be called on every change of state of a key's
// breaker, outside the key's lock, as the directive's onchange= function
// is. Call it before the breaker is used.
//
//monogen:template
func (b *Breaker[K, Req, Resp]) SetOnChange(f func(key K, from, to State, counts Counts)) {
	b.changeFn = f
}

// init checks the configuration, creates the map and starts the clock. New
// calls it after building the struct.
func (b *Breaker[K, Req, Resp]) init() {
	if b.cfg.Failures < 1 || b.cfg.Ratio < 0 || b.cfg.Ratio > 1 || b.cfg.Cooldown <= 0 || b.cfg.Slow < 0 ||
		b.cfg.HalfOpen < 1 || b.cfg.Buckets < 1 || b.cfg.Window < time.Duration(b.cfg.Buckets) ||
		b.cfg.Idle < 0 || b.cfg.Keys < 0 {
		panic("breaker: invalid configuration")
	}
	if runtimeLimits {
		b.width = int64(b.cfg.Window) / b.cfg.Buckets
	}
	b.circuits = newKeyMap[K]()
	b.epoch = time.Now()
	b.nextSweep.Store(int64(b.cfg.Idle))
}

// Execute computes the key of req and calls the function with ctx and req
// if the key's breaker lets the call through, and records its outcome. A
// rejected call returns ErrOpen, ErrTooManyProbes or, for a new key the
// breaker has no room for, ErrTooManyKeys; with a fallback, rejected and
// failed calls return what the fallback returns. A panicking probe counts
// as a failure.
//
// A call fails when it returns an error that counts as a failure (every
// error, unless a failure function decides), or when it takes longer than
// Slow, if set. A call that returns the caller's own context error (ctx is
// done and the error is ctx.Err(), or wraps it) counts as neither a success
// nor a failure: the caller gave up, the function did not fail. Errors that
// are not failures are returned as they are, without the fallback; a slow
// call that succeeds returns its result.
//
//monogen:doc * Execute computes the key of req and calls the function with ctx and
//monogen:doc * req if the key's breaker lets the call through, and records its
//monogen:doc * outcome.
//monogen:doc !fallback,keys A rejected call returns ErrOpen, ErrTooManyProbes or, for a new
//monogen:doc !fallback,keys key the breaker has no room for, ErrTooManyKeys.
//monogen:doc !fallback,!keys A rejected call returns ErrOpen or ErrTooManyProbes.
//monogen:doc fallback,keys A rejected call returns what the fallback returns for ErrOpen,
//monogen:doc fallback,keys ErrTooManyProbes or, for a new key the breaker has no room for,
//monogen:doc fallback,keys ErrTooManyKeys, and a failed call what it returns for the call's
//monogen:doc fallback,keys error.
//monogen:doc fallback,!keys A rejected call returns what the fallback returns for ErrOpen or
//monogen:doc fallback,!keys ErrTooManyProbes, and a failed call what it returns for the call's
//monogen:doc fallback,!keys error.
//monogen:doc * A panicking probe counts as a failure.
//monogen:doc *
//monogen:doc !failureFn,!slow A call fails when it returns an error.
//monogen:doc !failureFn,slow A call fails when it returns an error, or when it takes longer than
//monogen:doc !failureFn,slow the slow= duration.
//monogen:doc failureFn,!slow A call fails when it returns an error that the failure= function
//monogen:doc failureFn,!slow counts as a failure.
//monogen:doc failureFn,slow A call fails when it returns an error that the failure= function
//monogen:doc failureFn,slow counts as a failure, or when it takes longer than the slow= duration.
//monogen:doc * A call that returns the caller's own context error (ctx is done and the
//monogen:doc * error is ctx.Err(), or wraps it) counts as neither a success nor a
//monogen:doc * failure: the caller gave up, the function did not fail.
//monogen:doc failureFn,fallback Errors that are not failures are returned as they are, without the
//monogen:doc failureFn,fallback fallback.
//monogen:doc failureFn,!fallback Errors that are not failures are returned as they are.
//monogen:doc slow A slow call that succeeds returns its result.
func (b *Breaker[K, Req, Resp]) Execute(ctx context.Context, req Req) (Resp, error) {
	key := b.key(req)
	for {
		c, ok := b.circuits.Load(key)
		if !ok || c.flight.Load()&evictedBit != 0 {
			var err error
			if c, err = b.create(key, b.clock()); err != nil {
				return b.reject(ctx, req, err)
			}
		}
		// Entering counts the call in flight, which no sweep evicts; a
		// circuit evicted before it could is looked up again.
		if c.flight.Add(1<<startedShift|1)&evictedBit == 0 {
			return b.execute(ctx, key, req, c)
		}
		c.flight.Add(^uint64(0))
	}
}

// execute is Execute on the circuit c of key, which counts the call in
// flight until it returns.
func (b *Breaker[K, Req, Resp]) execute(ctx context.Context, key K, req Req, c *circuit) (Resp, error) {
	defer c.flight.Add(^uint64(0))
	st := c.state.Load()
	if State(st&stateMask) != StateClosed {
		return b.executeSlow(ctx, key, req, c, st)
	}
	resp, o, err := b.callJudged(ctx, req)
	switch o {
	case neutral:
		return resp, err
	case failed:
		b.failure(key, c, st)
		if b.cfg.fallback && err != nil {
			return b.fallback(ctx, req, err)
		}
		return resp, err
	}
	// A success of a call admitted before a transition is not counted.
	if c.state.Load() == st && c.pending.Add(1)&(flushEvery-1) == 0 {
		b.flush(c)
	}
	return resp, err
}

// callJudged calls the function and says how its result counts, timing
// the call if Slow is set.
//
//monogen:doc slow callJudged calls the function, timing it, and says how its result
//monogen:doc slow counts.
//monogen:doc !slow callJudged calls the function and says how its result counts.
func (b *Breaker[K, Req, Resp]) callJudged(ctx context.Context, req Req) (Resp, outcome, error) {
	if b.cfg.Slow > 0 {
		start := b.clock()
		resp, err := b.call(ctx, req)
		o := b.judge(ctx, err)
		if o == succeeded && b.clock()-start > int64(b.cfg.Slow) {
			o = failed
		}
		return resp, o, err
	}
	resp, err := b.call(ctx, req)
	return resp, b.judge(ctx, err), err
}

// judge returns how the error of a call counts, whatever its duration.
func (b *Breaker[K, Req, Resp]) judge(ctx context.Context, err error) outcome {
	if err == nil {
		return succeeded
	}
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return neutral
	}
	if b.isFailure(err) {
		return failed
	}
	return succeeded
}

// key returns the key of req.
//
//monogen:hook
func (b *Breaker[K, Req, Resp]) key(req Req) K {
	return b.keyFn(req)
}

// isFailure reports whether err, a call's error that is not the caller's
// own context error, counts as a failure.
//
//monogen:hook
func (b *Breaker[K, Req, Resp]) isFailure(err error) bool {
	if b.failureFn != nil {
		return b.failureFn(err)
	}
	return true
}

// changed calls the state-change function for ch, outside the lock.
//
//monogen:hook
func (b *Breaker[K, Req, Resp]) changed(ch change[K]) {
	if b.changeFn != nil {
		b.changeFn(ch.key, ch.from, ch.to, ch.counts)
	}
}

// call calls the user's function.
//
//monogen:hook
func (b *Breaker[K, Req, Resp]) call(ctx context.Context, req Req) (Resp, error) {
	return b.fn(ctx, req)
}

// fallback calls the user's fallback for a rejected or failed call.
//
//monogen:hook
//monogen:if fallback
func (b *Breaker[K, Req, Resp]) fallback(ctx context.Context, req Req, err error) (Resp, error) {
	return b.fallbackFn(ctx, req, err)
}

// State returns the state of key's breaker: StateClosed for a key the
// breaker does not hold. An open breaker whose cooldown has passed reports
// StateOpen until a call moves it to half-open.
func (b *Breaker[K, Req, Resp]) State(key K) State {
	c, ok := b.circuits.Load(key)
	if !ok {
		return StateClosed
	}
	return State(c.state.Load() & stateMask)
}

// Stats is a snapshot of one key's breaker.
type Stats struct {
	State State
	// Successes and Failures are the counts in the key's rolling window.
	Successes, Failures int64
	// Rejected counts the key's calls rejected with ErrOpen or
	// ErrTooManyProbes since its breaker was created.
	Rejected uint64
	// Transitions counts the changes of state of the key's breaker since
	// it was created.
	Transitions uint64
}

// Stats returns a snapshot of key's breaker: its state, the counts of its
// rolling window, and what it rejected and its changes of state since it
// was created. A key the breaker does not hold, never seen or evicted, has
// the zero Stats: closed, nothing counted; a key evicted and seen again
// counts from zero.
func (b *Breaker[K, Req, Resp]) Stats(key K) Stats {
	c, ok := b.circuits.Load(key)
	if !ok || c.flight.Load()&evictedBit != 0 {
		return Stats{}
	}
	now := b.clock()
	c.mu.Lock()
	b.flushLocked(c, now)
	succ, fail := b.window(c, now)
	st := c.state.Load()
	c.mu.Unlock()
	return Stats{
		State:       State(st & stateMask),
		Successes:   succ,
		Failures:    fail,
		Rejected:    c.rejected.Load(),
		Transitions: st >> stateBits,
	}
}

// Len returns the number of keys that have a breaker: the keys seen and not
// evicted. It takes no lock.
func (b *Breaker[K, Req, Resp]) Len() int {
	return int(b.live.Load())
}

// Sweep evicts the keys on which no call has started since a sweep, or
// their creation, at least Config.Idle earlier, and that can be evicted:
// closed, with no call in flight and an empty window. Execute sweeps on its
// own when it creates a key; Sweep is for a program that wants the memory
// of idle keys back when no new key comes.
func (b *Breaker[K, Req, Resp]) Sweep() {
	b.sweepMu.Lock()
	defer b.sweepMu.Unlock()
	b.sweep(b.clock(), int64(b.cfg.Idle))
}

// reject returns err for a rejected call, or what the fallback returns.
//
//monogen:doc fallback reject returns what the fallback returns for a rejected call and
//monogen:doc fallback err.
//monogen:doc !fallback reject returns err for a rejected call.
func (b *Breaker[K, Req, Resp]) reject(ctx context.Context, req Req, err error) (Resp, error) {
	if b.cfg.fallback {
		return b.fallback(ctx, req, err)
	}
	var zero Resp
	return zero, err
}

// executeSlow handles a call that finds key's breaker, c, open or
// half-open.
func (b *Breaker[K, Req, Resp]) executeSlow(ctx context.Context, key K, req Req, c *circuit, st uint64) (Resp, error) {
	for {
		switch State(st & stateMask) {
		case StateClosed:
			return b.execute(ctx, key, req, c)
		case StateOpen:
			now := b.clock()
			if now-c.openedAt.Load() < int64(b.cfg.Cooldown) {
				c.rejected.Add(1)
				return b.reject(ctx, req, ErrOpen)
			}
			b.transition(key, c, st, StateHalfOpen, now)
			st = c.state.Load()
			continue
		case StateHalfOpen:
			admitted, cur := b.admitProbe(c, st)
			if admitted {
				return b.probe(ctx, key, req, c, st)
			}
			if cur != st {
				st = cur
				continue
			}
		}
		c.rejected.Add(1)
		return b.reject(ctx, req, ErrTooManyProbes)
	}
}

// admitProbe takes one of the probe slots of c's half-open state word st.
// It reports whether it did, and the current state word: a different one
// when the breaker has changed state since st was read.
func (b *Breaker[K, Req, Resp]) admitProbe(c *circuit, st uint64) (admitted bool, cur uint64) {
	if c.probes.Load() >= b.cfg.HalfOpen {
		// The slots are taken: reject without the lock.
		return false, st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Under the lock, so that a caller that read an earlier half-open
	// period never takes a slot of a later one.
	if cur = c.state.Load(); cur != st {
		return false, cur
	}
	if c.probes.Load() >= b.cfg.HalfOpen {
		return false, st
	}
	c.probes.Add(1)
	return true, st
}

// probe makes a half-open probe call on c admitted under the state word st.
func (b *Breaker[K, Req, Resp]) probe(ctx context.Context, key K, req Req, c *circuit, st uint64) (resp Resp, err error) {
	ok := false
	defer func() {
		// A failed or panicking probe reopens the breaker, unless it is
		// a probe of an earlier half-open period; without this a panic
		// would hold a probe slot forever.
		if !ok {
			b.transition(key, c, st, StateOpen, b.clock())
		}
	}()
	resp, o, err := b.callJudged(ctx, req)
	switch o {
	case neutral:
		ok = true
		b.probeNeutral(c, st)
		return resp, err
	case failed:
		if b.cfg.fallback && err != nil {
			return b.fallback(ctx, req, err)
		}
		return resp, err
	}
	ok = true
	b.probeSucceeded(key, c, st)
	return resp, err
}

// probeNeutral gives back the slot of a probe admitted under the state word
// st that counted as neither success nor failure, so that another call may
// probe instead.
func (b *Breaker[K, Req, Resp]) probeNeutral(c *circuit, st uint64) {
	c.mu.Lock()
	if c.state.Load() == st {
		c.probes.Add(-1)
	}
	c.mu.Unlock()
}

// probeSucceeded counts a successful probe admitted under the state word
// st, and closes the breaker at the HalfOpen-th success of the period. A
// probe of an earlier period is not counted.
func (b *Breaker[K, Req, Resp]) probeSucceeded(key K, c *circuit, st uint64) {
	c.mu.Lock()
	if c.state.Load() != st {
		c.mu.Unlock()
		return
	}
	c.probeOK++
	if c.probeOK == b.cfg.HalfOpen {
		b.transitionUnlock(key, c, st, StateClosed, b.clock())
		return
	}
	c.mu.Unlock()
}

// failure records a failed call on c admitted under the closed state word
// st and trips the breaker if the window's counts reach the thresholds. The
// failure of a call admitted before a transition is not counted.
func (b *Breaker[K, Req, Resp]) failure(key K, c *circuit, st uint64) {
	now := b.clock()
	c.mu.Lock()
	if c.state.Load() != st {
		c.mu.Unlock()
		return
	}
	b.addLocked(c, now, c.pending.Swap(0), 1)
	succ, fail := b.window(c, now)
	if fail >= b.cfg.Failures && float64(fail) >= b.cfg.Ratio*float64(succ+fail) {
		b.transitionUnlock(key, c, st, StateOpen, now)
		return
	}
	c.mu.Unlock()
}

// flush puts the pending successes of c in the bucket of the time.
func (b *Breaker[K, Req, Resp]) flush(c *circuit) {
	now := b.clock()
	c.mu.Lock()
	// flushLocked's body, written out: the compiler does not inline it,
	// and this is on the path of the successes.
	if n := c.pending.Swap(0); n != 0 {
		b.addLocked(c, now, n, 0)
	}
	c.mu.Unlock()
}

// flushLocked puts the pending successes of c in now's bucket, for a key's
// snapshot and the sweeps. The caller holds c.mu.
func (b *Breaker[K, Req, Resp]) flushLocked(c *circuit, now int64) {
	if n := c.pending.Swap(0); n != 0 {
		b.addLocked(c, now, n, 0)
	}
}

// addLocked counts successes and failures in now's bucket of c, first
// clearing the bucket if it still holds an older slice of time. The caller
// holds c.mu.
func (b *Breaker[K, Req, Resp]) addLocked(c *circuit, now, successes, failures int64) {
	if c.buckets == nil {
		c.buckets = make([]bucket, b.cfg.Buckets)
		for i := range c.buckets {
			c.buckets[i].index = noBucket
		}
	}
	index := now / b.bucketWidth()
	bk := &c.buckets[index%b.cfg.Buckets]
	if bk.index < index {
		bk.index, bk.successes, bk.failures = index, 0, 0
	}
	bk.successes += successes
	bk.failures += failures
}

// window returns the counts of c's rolling window ending at now. The caller
// holds c.mu.
func (b *Breaker[K, Req, Resp]) window(c *circuit, now int64) (successes, failures int64) {
	index := now / b.bucketWidth()
	for i := range c.buckets {
		bk := &c.buckets[i]
		if bk.index > index-b.cfg.Buckets && bk.index <= index {
			successes += bk.successes
			failures += bk.failures
		}
	}
	return successes, failures
}

func (b *Breaker[K, Req, Resp]) bucketWidth() int64 {
	if runtimeLimits {
		return b.width
	}
	return int64(b.cfg.Window) / b.cfg.Buckets
}

// transition moves key's breaker c from the state word from to the state
// to, unless another transition came first.
func (b *Breaker[K, Req, Resp]) transition(key K, c *circuit, from uint64, to State, now int64) {
	c.mu.Lock()
	b.transitionUnlock(key, c, from, to, now)
}

// transitionUnlock is transition with c.mu held, which it releases. A
// change it makes is then reported to the state-change function, outside
// the lock.
//
//monogen:doc onchange transitionUnlock is transition with c.mu held, which it releases. A
//monogen:doc onchange change it makes is then reported to the state-change function, outside
//monogen:doc onchange the lock.
//monogen:doc !onchange transitionUnlock is transition with c.mu held, which it releases.
func (b *Breaker[K, Req, Resp]) transitionUnlock(key K, c *circuit, from uint64, to State, now int64) {
	if c.state.Load() != from {
		c.mu.Unlock()
		return
	}
	//monogen:note Two branches, not a shared tail after an if: without a
	//monogen:note state-change function the stencil keeps the else branch
	//monogen:note alone, and no change is built or declared.
	if notifyChange {
		ch := b.changeLocked(key, c, from, to, now)
		c.moveLocked(from, to, now)
		c.mu.Unlock()
		b.changed(ch)
	} else {
		c.moveLocked(from, to, now)
		c.mu.Unlock()
	}
}

// changeLocked returns the change of key's breaker c from the state word
// from to the state to, with the counts of the state left, for the
// state-change function. The caller holds c.mu.
func (b *Breaker[K, Req, Resp]) changeLocked(key K, c *circuit, from uint64, to State, now int64) change[K] {
	ch := change[K]{key: key, from: State(from & stateMask), to: to}
	switch ch.from {
	case StateClosed:
		ch.counts.Successes, ch.counts.Failures = b.window(c, now)
	case StateHalfOpen:
		ch.counts.Successes = c.probeOK
		if to == StateOpen {
			ch.counts.Failures = 1
		}
	}
	return ch
}

// moveLocked moves the breaker c from the state word from, the current
// one, to the state to. The caller holds c.mu.
func (c *circuit) moveLocked(from uint64, to State, now int64) {
	switch to {
	case StateOpen:
		c.openedAt.Store(now)
	case StateHalfOpen:
		c.probes.Store(0)
		c.probeOK = 0
	case StateClosed:
		c.pending.Store(0)
		for i := range c.buckets {
			c.buckets[i].index = noBucket
		}
	}
	c.state.Store((from>>stateBits+1)<<stateBits | uint64(to))
}

// create gives key a new, closed circuit, or returns the circuit another
// goroutine gave it first. It fails with ErrTooManyKeys when the map holds
// Keys circuits and a sweep cannot make room.
func (b *Breaker[K, Req, Resp]) create(key K, now int64) (*circuit, error) {
	if nanKeys && key != key {
		// A key not equal to itself, a NaN or a value holding one: no
		// lookup would find its circuit again.
		return nil, ErrNaNKey
	}
	if b.cfg.Idle > 0 && now >= b.nextSweep.Load() && b.sweepMu.TryLock() {
		if now >= b.nextSweep.Load() {
			b.sweep(now, int64(b.cfg.Idle))
			b.nextSweep.Store(now + int64(b.cfg.Idle))
		}
		b.sweepMu.Unlock()
	}
	if b.cfg.Keys > 0 && b.live.Load() >= b.cfg.Keys {
		// Full: the count below decides whether key gets a circuit.
		b.makeRoom(now)
	}
	c, _ := b.circuits.Compute(key, func(old *circuit, loaded bool) (*circuit, computeOp) {
		if loaded && old.flight.Load()&evictedBit == 0 {
			return old, cancelOp
		}
		// A circuit evicted but still in the map is replaced in its
		// room, counted in live until the map no longer holds it.
		if !loaded && !b.countKey() {
			return nil, cancelOp
		}
		return &circuit{seenAt: now}, updateOp
	})
	if b.cfg.Keys > 0 && c == nil {
		// Only a full map gives a key no circuit.
		return nil, ErrTooManyKeys
	}
	return c, nil
}

// countKey counts a new key in live, and reports whether it did: not when
// the map holds Keys circuits.
func (b *Breaker[K, Req, Resp]) countKey() bool {
	if b.cfg.Keys == 0 {
		b.live.Add(1)
		return true
	}
	for {
		n := b.live.Load()
		if n >= b.cfg.Keys {
			return false
		}
		if b.live.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// makeRoom sweeps the map for room for a new key, evicting every circuit
// that can be, idle or not, unless another sweep is running or a sweep for
// room ran less than a bucket width ago: no circuit's window empties
// sooner, but by a transition to closed.
//
//monogen:if keys
func (b *Breaker[K, Req, Resp]) makeRoom(now int64) {
	if now < b.nextRoom.Load() || !b.sweepMu.TryLock() {
		return
	}
	defer b.sweepMu.Unlock()
	b.sweep(now, 0)
	b.nextRoom.Store(now + b.bucketWidth())
}

// sweep evicts the circuits on which no call has started since a sweep, or
// their creation, at least idle before now, and that are closed, with no
// call in flight and an empty window. The caller holds sweepMu.
func (b *Breaker[K, Req, Resp]) sweep(now, idle int64) {
	for key, c := range b.circuits.All() {
		if b.evictable(c, now, idle) {
			b.circuits.Compute(key, func(old *circuit, loaded bool) (*circuit, computeOp) {
				if loaded && old == c {
					b.live.Add(-1)
					return nil, deleteOp
				}
				// A new circuit took its place, and its room.
				return old, cancelOp
			})
		}
	}
}

// evictable marks c evicted, and reports whether it did: when no call has
// started on c since a sweep at least idle before now, and c is closed,
// with no call in flight and an empty window. A call that starts on c once
// it is marked looks its key up again. The caller holds sweepMu.
func (b *Breaker[K, Req, Resp]) evictable(c *circuit, now, idle int64) bool {
	w := c.flight.Load()
	if w&evictedBit != 0 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Successes not yet in a bucket are put in now's: a key whose calls
	// all succeeded empties its window too, a window after this sweep.
	b.flushLocked(c, now)
	if started := uint32(w >> startedShift); started != c.seen {
		c.seen, c.seenAt = started, now
		if idle > 0 {
			return false
		}
	}
	if State(c.state.Load()&stateMask) != StateClosed {
		return false
	}
	if succ, fail := b.window(c, now); succ != 0 || fail != 0 {
		return false
	}
	// An empty window holds nothing: its memory goes back until its next
	// count.
	c.buckets = nil
	if w&inFlightMask != 0 || now-c.seenAt < idle {
		return false
	}
	// The outcome of every call started before w was read is counted, as
	// it was counted before the call left: the window is empty. A call
	// started since changed the word, and the circuit is kept.
	return c.flight.CompareAndSwap(w, w|evictedBit)
}

// clock returns the time in nanoseconds since the breaker was created.
//
//monogen:note The generated code, which has no SetClock, reads the
//monogen:note monotonic clock directly.
//monogen:hook
func (b *Breaker[K, Req, Resp]) clock() int64 {
	if b.now != nil {
		return int64(b.now())
	}
	return int64(time.Since(b.epoch))
}
