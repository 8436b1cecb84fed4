// Package breaker provides a typed circuit breaker whose closed state costs
// two atomic loads and one atomic add per call.
//
// It is the generic reference of the monogen breaker kind:
//
//	//monogen:breaker Fetch[Req, Resp] fn=fetch failures=5 ratio=0.5 cooldown=30s halfopen=3 fallback=fetchCached
//
// generates a type Fetch whose Execute calls fetch directly, falls back to
// fetchCached, and whose thresholds are constants.
package breaker

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// State is the state of a Breaker.
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
// the breaker is open.
//
//monogen:doc fallback ErrOpen is passed to the fallback for a call rejected while the
//monogen:doc fallback breaker is open.
//monogen:doc !fallback ErrOpen is returned for a call rejected while the breaker is open.
var ErrOpen = errors.New("breaker: circuit open")

// ErrTooManyProbes is returned, or passed to the fallback, for a call
// rejected while the breaker is half-open and its probes are taken.
//
//monogen:doc fallback ErrTooManyProbes is passed to the fallback for a call rejected while
//monogen:doc fallback the breaker is half-open and its probes are taken.
//monogen:doc !fallback ErrTooManyProbes is returned for a call rejected while the breaker
//monogen:doc !fallback is half-open and its probes are taken.
var ErrTooManyProbes = errors.New("breaker: too many half-open probes")

// Config holds the options of a Breaker.
//
//monogen:config
type Config struct {
	// Failures is the least number of failures in the window that trips
	// the breaker: failures= (default 5).
	Failures int64
	// Ratio is the least fraction of failed calls in the window that trips
	// the breaker, together with Failures: ratio= (0 counts failures only).
	Ratio float64
	// Cooldown is how long the breaker stays open before probing:
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
	// that succeeds: slow= (0: the duration does not matter). It costs two
	// clock reads a call.
	Slow time.Duration

	// fallback says whether a fallback handles errors; the reference
	// constructor sets it, the kind sets it from fallback=.
	fallback bool
}

const (
	// stateBits hold the State in the low bits of the state word; the
	// rest counts transitions. The whole word is a generation: a call
	// remembers the word it was admitted under, and its result is ignored
	// if the word has changed by the time it returns.
	stateBits = 2
	stateMask = 1<<stateBits - 1
	// flushEvery is how many successes in the closed state are counted
	// before the clock is read to give them a bucket. Successes thus cost
	// no clock read; one may be counted at most flushEvery-1 calls (or one
	// failure) late, in a later bucket than it belongs to. Power of two.
	flushEvery = 16
	// cacheLine is the size the hot words are padded to.
	cacheLine = 64
	// noBucket marks a bucket that holds no time's counts.
	noBucket = math.MinInt64
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
// the moment the breaker leaves it: for the closed state, the successes and
// failures of the rolling window, the last failure included; for the
// half-open state, the probes that succeeded and, if one failed, that one;
// for the open state, nothing.
//
//monogen:if onchange
type Counts struct {
	Successes, Failures int64
}

// change is a transition to report to the state-change function.
type change struct {
	from, to State
	counts   Counts
}

// Breaker is a circuit breaker around a function from Req to Resp.
//
// Closed, it calls the function and counts failures (non-nil errors) in a
// rolling window; when both the count and the ratio of failures reach
// their thresholds it opens. Open, it rejects calls with ErrOpen until the
// cooldown has passed, then goes half-open. Half-open, it lets HalfOpen
// probe calls through and rejects the others with ErrTooManyProbes; a
// failed probe opens it again, HalfOpen successful probes close it.
//
// Only results of the current state count: the result of a call admitted
// before the breaker last changed state (a probe of an earlier half-open
// period, a call made while closed that returns after the breaker opened)
// is ignored. A closed-state call that returns while the breaker changes
// state may still be counted in the new state: an error of one call.
//
// A Breaker must be created with New and must not be copied after first
// use. Its methods are safe for concurrent use. The state-change callback
// is called with the breaker's internal lock held, in the order of the
// transitions.
type Breaker[Req, Resp any] struct {
	// state is the transition count << stateBits | State. Only
	// transitions write it: it has a cache line of its own, apart from
	// pending, which every successful call writes.
	state atomic.Uint64
	_     [cacheLine - 8]byte
	// pending counts closed-state successes not yet put in a bucket.
	pending atomic.Int64
	_       [cacheLine - 8]byte

	cfg        Config
	fn         func(context.Context, Req) (Resp, error)        //monogen:if !boundFn
	fallbackFn func(context.Context, Req, error) (Resp, error) //monogen:if fallback

	epoch time.Time
	now   func() time.Duration // when not nil, replaces the monotonic clock

	buckets  []bucket
	width    int64        // nanoseconds a bucket covers, when the window is read at run time
	openedAt atomic.Int64 // clock reading when the breaker last opened
	probes   atomic.Int64 // probes admitted in this half-open period; written under mu
	rejected atomic.Uint64

	mu       sync.Mutex // serialises transitions, probes, bucket rotation and onChange
	probeOK  int64      // probes that succeeded in this half-open period
	onChange func(from, to State)

	failureFn func(error) bool                    // the reference's SetFailure
	changeFn  func(from, to State, counts Counts) // the reference's SetOnChange
}

// bucket holds the counts of one slice of the rolling window. The counts
// have a word each: a slice of a long window may count more than 2^32
// calls (window=1h at 1.2 million calls a second).
type bucket struct {
	index     atomic.Int64 // clock / bucket width of the slice counted, or noBucket
	successes atomic.Int64
	failures  atomic.Int64
}

// New returns a closed breaker around fn. If fallback is not nil, it is
// called instead of returning an error: with ErrOpen or ErrTooManyProbes
// for a rejected call, or with fn's error. Zero fields of cfg take their
// defaults. New panics if cfg is invalid.
//
//monogen:template
func New[Req, Resp any](fn func(context.Context, Req) (Resp, error), fallback func(context.Context, Req, error) (Resp, error), cfg Config) *Breaker[Req, Resp] {
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
	b := &Breaker[Req, Resp]{cfg: cfg, fn: fn, fallbackFn: fallback}
	b.init()
	return b
}

// SetClock makes the breaker read time from now, a monotonic clock in
// nanoseconds that must not go backwards, instead of the system's. Tests
// use it; call it before the breaker is used.
//
//monogen:template
func (b *Breaker[Req, Resp]) SetClock(now func() time.Duration) {
	b.now = now
	b.init()
}

// SetFailure makes f decide which errors count as failures; the others
// count as successes. The default counts every error. Call it before the
// breaker is used.
//
//monogen:template
func (b *Breaker[Req, Resp]) SetFailure(f func(error) bool) { b.failureFn = f }

// SetOnChange sets f to be called on every change of state, outside the
// breaker's lock, as the directive's onchange= function is. Call it before
// the breaker is used.
//
//monogen:template
func (b *Breaker[Req, Resp]) SetOnChange(f func(from, to State, counts Counts)) { b.changeFn = f }

// init checks the configuration and resets the window. New calls it after
// building the struct.
func (b *Breaker[Req, Resp]) init() {
	if b.cfg.Failures < 1 || b.cfg.Ratio < 0 || b.cfg.Ratio > 1 || b.cfg.Cooldown <= 0 || b.cfg.Slow < 0 ||
		b.cfg.HalfOpen < 1 || b.cfg.Buckets < 1 || b.cfg.Window < time.Duration(b.cfg.Buckets) {
		panic("breaker: invalid configuration")
	}
	if runtimeLimits {
		b.width = int64(b.cfg.Window) / b.cfg.Buckets
	}
	b.epoch = time.Now()
	b.buckets = make([]bucket, b.cfg.Buckets)
	for i := range b.buckets {
		b.buckets[i].index.Store(noBucket)
	}
}

// OnStateChange sets f to be called on every change of state. f is called
// with the breaker's lock held: it must not call Execute.
func (b *Breaker[Req, Resp]) OnStateChange(f func(from, to State)) {
	b.mu.Lock()
	b.onChange = f
	b.mu.Unlock()
}

// Execute calls the function with ctx and req if the breaker lets the call
// through, and records its outcome. A rejected call returns ErrOpen or
// ErrTooManyProbes; with a fallback, rejected and failed calls return what
// the fallback returns. A panicking probe counts as a failure.
//
// A call fails when it returns an error that counts as a failure (every
// error, unless a failure function decides), or when it takes longer than
// Slow, if set. A call that returns the caller's own context error (ctx is
// done and the error is ctx.Err(), or wraps it) counts as neither a success
// nor a failure: the caller gave up, the function did not fail. Errors that
// are not failures are returned as they are, without the fallback; a slow
// call that succeeds returns its result.
//
//monogen:doc * Execute calls the function with ctx and req if the breaker lets the
//monogen:doc * call through, and records its outcome.
//monogen:doc !fallback A rejected call returns ErrOpen or ErrTooManyProbes.
//monogen:doc fallback A rejected call returns what the fallback returns for ErrOpen or
//monogen:doc fallback ErrTooManyProbes, and a failed call what it returns for the call's
//monogen:doc fallback error.
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
func (b *Breaker[Req, Resp]) Execute(ctx context.Context, req Req) (Resp, error) {
	st := b.state.Load()
	if State(st&stateMask) != StateClosed {
		return b.executeSlow(ctx, req, st)
	}
	if b.cfg.Slow > 0 {
		return b.executeTimed(ctx, req, st)
	}
	resp, err := b.call(ctx, req)
	if err != nil {
		switch b.judge(ctx, err) {
		case neutral:
			return resp, err
		case failed:
			b.failure(st)
			if b.cfg.fallback {
				return b.fallback(ctx, req, err)
			}
			return resp, err
		}
	}
	// A success of a call admitted before a transition is not counted.
	if b.state.Load() == st && b.pending.Add(1)&(flushEvery-1) == 0 {
		b.flush(b.clock())
	}
	return resp, err
}

// executeTimed is Execute in the closed state word st for a breaker with
// Slow: the call is timed.
func (b *Breaker[Req, Resp]) executeTimed(ctx context.Context, req Req, st uint64) (Resp, error) {
	resp, o, err := b.callJudged(ctx, req)
	switch o {
	case neutral:
		return resp, err
	case failed:
		b.failure(st)
		if b.cfg.fallback && err != nil {
			return b.fallback(ctx, req, err)
		}
		return resp, err
	}
	if b.state.Load() == st && b.pending.Add(1)&(flushEvery-1) == 0 {
		b.flush(b.clock())
	}
	return resp, err
}

// callJudged calls the function and says how its result counts, timing
// the call if Slow is set.
//
//monogen:doc slow callJudged calls the function, timing it, and says how its result
//monogen:doc slow counts.
//monogen:doc !slow callJudged calls the function and says how its result counts.
func (b *Breaker[Req, Resp]) callJudged(ctx context.Context, req Req) (Resp, outcome, error) {
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
func (b *Breaker[Req, Resp]) judge(ctx context.Context, err error) outcome {
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

// isFailure reports whether err, a call's error that is not the caller's
// own context error, counts as a failure.
//
//monogen:hook
func (b *Breaker[Req, Resp]) isFailure(err error) bool {
	if b.failureFn != nil {
		return b.failureFn(err)
	}
	return true
}

// changed calls the state-change function for ch, outside the lock.
//
//monogen:hook
func (b *Breaker[Req, Resp]) changed(ch change) {
	if b.changeFn != nil {
		b.changeFn(ch.from, ch.to, ch.counts)
	}
}

// State returns the current state. An open breaker whose cooldown has
// passed reports StateOpen until a call moves it to half-open.
func (b *Breaker[Req, Resp]) State() State {
	return State(b.state.Load() & stateMask)
}

// Stats is a snapshot of a Breaker.
type Stats struct {
	State State
	// Successes and Failures are the counts in the rolling window.
	Successes, Failures int64
	// Rejected counts the calls rejected since the breaker was created.
	Rejected uint64
	// Transitions counts the changes of state.
	Transitions uint64
}

// Stats returns a snapshot of the breaker's state and counts.
func (b *Breaker[Req, Resp]) Stats() Stats {
	now := b.clock()
	b.flush(now)
	st := b.state.Load()
	succ, fail := b.window(now)
	return Stats{
		State:       State(st & stateMask),
		Successes:   succ,
		Failures:    fail,
		Rejected:    b.rejected.Load(),
		Transitions: st >> stateBits,
	}
}

// call calls the user's function.
//
//monogen:hook
func (b *Breaker[Req, Resp]) call(ctx context.Context, req Req) (Resp, error) {
	return b.fn(ctx, req)
}

// fallback calls the user's fallback for a rejected or failed call.
//
//monogen:hook
//monogen:if fallback
func (b *Breaker[Req, Resp]) fallback(ctx context.Context, req Req, err error) (Resp, error) {
	return b.fallbackFn(ctx, req, err)
}

// executeSlow handles a call that finds the breaker open or half-open.
func (b *Breaker[Req, Resp]) executeSlow(ctx context.Context, req Req, st uint64) (Resp, error) {
	var err error
	for {
		switch State(st & stateMask) {
		case StateClosed:
			return b.Execute(ctx, req)
		case StateOpen:
			now := b.clock()
			if now-b.openedAt.Load() < int64(b.cfg.Cooldown) {
				err = ErrOpen
				break
			}
			b.transition(st, StateHalfOpen, now)
			st = b.state.Load()
			continue
		case StateHalfOpen:
			admitted, cur := b.admitProbe(st)
			if admitted {
				return b.probe(ctx, req, st)
			}
			if cur != st {
				st = cur
				continue
			}
			err = ErrTooManyProbes
		}
		break
	}
	b.rejected.Add(1)
	if b.cfg.fallback {
		return b.fallback(ctx, req, err)
	}
	var zero Resp
	return zero, err
}

// admitProbe takes one of the probe slots of the half-open state word st.
// It reports whether it did, and the current state word: a different one
// when the breaker has changed state since st was read.
func (b *Breaker[Req, Resp]) admitProbe(st uint64) (admitted bool, cur uint64) {
	if b.probes.Load() >= b.cfg.HalfOpen {
		// The slots are taken: reject without the lock.
		return false, st
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	// Under the lock, so that a caller that read an earlier half-open
	// period never takes a slot of a later one: its result would be
	// ignored, and the slot lost.
	if cur = b.state.Load(); cur != st {
		return false, cur
	}
	if b.probes.Load() >= b.cfg.HalfOpen {
		return false, st
	}
	b.probes.Add(1)
	return true, st
}

// probe makes a half-open probe call admitted under the state word st.
func (b *Breaker[Req, Resp]) probe(ctx context.Context, req Req, st uint64) (resp Resp, err error) {
	ok := false
	defer func() {
		// A failed or panicking probe reopens the breaker, unless it is
		// a probe of an earlier half-open period; without this a panic
		// would hold a probe slot forever.
		if !ok {
			b.transition(st, StateOpen, b.clock())
		}
	}()
	resp, o, err := b.callJudged(ctx, req)
	switch o {
	case neutral:
		ok = true
		b.probeNeutral(st)
		return resp, err
	case failed:
		if b.cfg.fallback && err != nil {
			return b.fallback(ctx, req, err)
		}
		return resp, err
	}
	ok = true
	b.probeSucceeded(st)
	return resp, err
}

// probeNeutral gives back the slot of a probe admitted under the state word
// st that counted as neither success nor failure, so that another call may
// probe instead.
func (b *Breaker[Req, Resp]) probeNeutral(st uint64) {
	b.mu.Lock()
	if b.state.Load() == st {
		b.probes.Add(-1)
	}
	b.mu.Unlock()
}

// probeSucceeded counts a successful probe admitted under the state word
// st, and closes the breaker at the HalfOpen-th success of the period. A
// probe of an earlier period is not counted.
func (b *Breaker[Req, Resp]) probeSucceeded(st uint64) {
	b.mu.Lock()
	if b.state.Load() != st {
		b.mu.Unlock()
		return
	}
	b.probeOK++
	if b.probeOK == b.cfg.HalfOpen {
		b.transitionUnlock(st, StateClosed, b.clock())
		return
	}
	b.mu.Unlock()
}

// failure records a failed call admitted under the closed state word st
// and trips the breaker if the window's counts reach the thresholds. The
// failure of a call admitted before a transition is not counted: the look at
// the state and the count are one step under b.mu, which every transition
// holds, so the breaker cannot trip, probe and close again in between and
// leave the failure in the next closed period's window.
func (b *Breaker[Req, Resp]) failure(st uint64) {
	now := b.clock()
	b.mu.Lock()
	if b.state.Load() != st {
		b.mu.Unlock()
		return
	}
	b.addLocked(now, b.pending.Swap(0), 1)
	succ, fail := b.window(now)
	if fail >= b.cfg.Failures && float64(fail) >= b.cfg.Ratio*float64(succ+fail) {
		b.transitionUnlock(st, StateOpen, now)
		return
	}
	b.mu.Unlock()
}

// flush puts the pending successes in now's bucket.
func (b *Breaker[Req, Resp]) flush(now int64) {
	if n := b.pending.Swap(0); n != 0 {
		b.add(now, n, 0)
	}
}

// add counts successes and failures in now's bucket, first clearing the
// bucket, under b.mu, if it still holds an older slice of time.
func (b *Breaker[Req, Resp]) add(now, successes, failures int64) {
	index := now / b.bucketWidth()
	bk := &b.buckets[index%b.cfg.Buckets]
	if bk.index.Load() < index {
		b.mu.Lock()
		b.addLocked(now, successes, failures)
		b.mu.Unlock()
		return
	}
	bk.count(successes, failures)
}

// addLocked is add with b.mu held.
func (b *Breaker[Req, Resp]) addLocked(now, successes, failures int64) {
	index := now / b.bucketWidth()
	bk := &b.buckets[index%b.cfg.Buckets]
	if bk.index.Load() < index {
		// A caller that read index before this and adds after it
		// counts in the new slice: an error of one call.
		bk.successes.Store(0)
		bk.failures.Store(0)
		bk.index.Store(index)
	}
	bk.count(successes, failures)
}

// count adds successes and failures to the bucket.
func (bk *bucket) count(successes, failures int64) {
	if successes != 0 {
		bk.successes.Add(successes)
	}
	if failures != 0 {
		bk.failures.Add(failures)
	}
}

// window returns the counts of the rolling window ending at now.
func (b *Breaker[Req, Resp]) window(now int64) (successes, failures int64) {
	index := now / b.bucketWidth()
	for i := range b.buckets {
		bk := &b.buckets[i]
		if bi := bk.index.Load(); bi > index-b.cfg.Buckets && bi <= index {
			successes += bk.successes.Load()
			failures += bk.failures.Load()
		}
	}
	return successes, failures
}

func (b *Breaker[Req, Resp]) bucketWidth() int64 {
	if runtimeLimits {
		return b.width
	}
	return int64(b.cfg.Window) / b.cfg.Buckets
}

// transition moves the breaker from the state word from to the state to,
// unless another transition came first.
func (b *Breaker[Req, Resp]) transition(from uint64, to State, now int64) {
	b.mu.Lock()
	b.transitionUnlock(from, to, now)
}

// transitionUnlock is transition with b.mu held, which it releases. A change
// it makes is then reported to the state-change function, outside the lock.
//
//monogen:doc onchange transitionUnlock is transition with b.mu held, which it releases. A change
//monogen:doc onchange it makes is then reported to the state-change function, outside the lock.
//monogen:doc !onchange transitionUnlock is transition with b.mu held, which it releases.
func (b *Breaker[Req, Resp]) transitionUnlock(from uint64, to State, now int64) {
	if b.state.Load() != from {
		b.mu.Unlock()
		return
	}
	//monogen:note Two branches, not a shared tail after an if: without a
	//monogen:note state-change function the stencil keeps the else branch
	//monogen:note alone, and no change is built or declared.
	if notifyChange {
		ch := b.changeLocked(from, to, now)
		b.moveLocked(from, to, now)
		b.mu.Unlock()
		b.changed(ch)
	} else {
		b.moveLocked(from, to, now)
		b.mu.Unlock()
	}
}

// changeLocked returns the change from the state word from to the state
// to, with the counts of the state left, for the state-change function. The
// caller holds b.mu.
func (b *Breaker[Req, Resp]) changeLocked(from uint64, to State, now int64) change {
	ch := change{from: State(from & stateMask), to: to}
	switch ch.from {
	case StateClosed:
		ch.counts.Successes, ch.counts.Failures = b.window(now)
	case StateHalfOpen:
		ch.counts.Successes = b.probeOK
		if to == StateOpen {
			ch.counts.Failures = 1
		}
	}
	return ch
}

// moveLocked moves the breaker from the state word from, the current one,
// to the state to. The caller holds b.mu.
func (b *Breaker[Req, Resp]) moveLocked(from uint64, to State, now int64) {
	switch to {
	case StateOpen:
		b.openedAt.Store(now)
	case StateHalfOpen:
		b.probes.Store(0)
		b.probeOK = 0
	case StateClosed:
		b.pending.Store(0)
		for i := range b.buckets {
			b.buckets[i].index.Store(noBucket)
		}
	}
	b.state.Store((from>>stateBits+1)<<stateBits | uint64(to))
	if b.onChange != nil {
		b.onChange(State(from&stateMask), to)
	}
}

// clock returns the time in nanoseconds since the breaker was created.
//
//monogen:note The generated code, which has no SetClock, reads the
//monogen:note monotonic clock directly.
//monogen:hook
func (b *Breaker[Req, Resp]) clock() int64 {
	if b.now != nil {
		return int64(b.now())
	}
	return int64(time.Since(b.epoch))
}
