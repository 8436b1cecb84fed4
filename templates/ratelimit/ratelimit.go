// Package ratelimit provides a lock-free rate limiter: a token bucket kept as
// one atomic "theoretical arrival time" (GCRA), or a sliding window kept as
// two weighted counters packed into one atomic word.
//
// It is the generic reference of the monogen ratelimit kind:
//
//	//monogen:ratelimit API algo=token rate=100/s burst=20
//	//monogen:ratelimit Quota algo=window limit=1000 window=1m
//
// generate types whose algorithm and parameters are constants, so that the
// other algorithm's code is not generated.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	hist "github.com/monogen/monogen/templates/histogram"
)

// Algorithm selects how a Limiter counts events. A generated limiter's is
// the directive's algo=, and its code the one algorithm's.
//
//monogen:template
type Algorithm uint8

// The algorithms.
//
//monogen:template
const (
	// TokenBucket admits Burst events at once and then one event per
	// Interval: algo=token.
	TokenBucket Algorithm = iota
	// SlidingWindow admits at most Limit events in any Window, estimating
	// the count over the sliding window from the counts of the current and
	// the previous fixed window: algo=window.
	SlidingWindow
)

// MaxLimit is the largest window Limit. The window's counts and index
// share one 64-bit word; MaxLimit leaves the index at least 22 bits.
//
//monogen:if window
//monogen:if config
const MaxLimit = 1<<20 - 1

// Config holds the options of a Limiter.
//
//monogen:config
type Config struct {
	// Algorithm is TokenBucket or SlidingWindow: algo= in the directive.
	Algorithm Algorithm
	// Interval is the time between two tokens: rate=100/s gives 10ms.
	Interval time.Duration
	// Rate is the average number of events per second a TokenBucket
	// admits, when Interval is zero: the time between two tokens is
	// 1/Rate, rounded to the nanosecond (at least 1ns), computed once.
	Rate float64
	// Burst is the number of tokens the bucket holds: burst=.
	Burst int64
	// Limit is the number of events admitted per Window: limit=.
	Limit int64
	// Window is the length of the sliding window: window=.
	Window time.Duration
	// Shared makes a TokenBucket take its tokens from a Store that
	// limiters in other processes share: store=shared.
	Shared bool
	// OnFail is what a shared limiter does while its store fails: onfail=.
	OnFail FailMode
	// Replicas is the number of processes sharing the bucket, for
	// FailLocal: replicas=.
	Replicas int64
	// LocalBurst is this process's share of the burst for FailLocal:
	// Burst/Replicas, at least one token.
	LocalBurst int64
	// Lease is the most tokens a shared limiter takes from its store at
	// once: lease=.
	Lease int64
	// StoreTimeout bounds each call to the store: timeout=.
	StoreTimeout time.Duration

	// Metrics enables the histogram of Stats.WaitTime: metrics=.
	Metrics bool

	// hookReject says whether a function is called with each request
	// refused (SetOnReject, or the directive's onreject=).
	hookReject bool
}

// ErrDeadline is returned by Wait when the wait could not end before the
// context's deadline. errors.Is(ErrDeadline, context.DeadlineExceeded)
// holds, so callers need check only the latter.
var ErrDeadline = fmt.Errorf("ratelimit: wait would exceed the context deadline: %w", context.DeadlineExceeded)

// ErrExceedsBurst is returned by WaitN for more events than the limiter
// ever admits at once: more than Burst for a TokenBucket, more than Limit
// for a SlidingWindow.
//
//monogen:if !shared
//monogen:doc token ErrExceedsBurst is returned by WaitN for more events than the bucket
//monogen:doc token holds, which the limiter never admits at once.
//monogen:doc window ErrExceedsBurst is returned by WaitN for more events than the
//monogen:doc window window's limit, which the limiter never admits at once.
var ErrExceedsBurst = errors.New("ratelimit: n exceeds the events admitted at once")

// cacheLine is the size the state word is padded to on both sides, so that
// the line it lies on holds nothing else: no field of its own limiter, and
// nothing of the objects allocated next to it, such as other limiters. Go
// aligns an object only to its size class, so padding after the word
// alone would leave it sharing a line with what precedes it.
const cacheLine = 64

// Limiter controls how frequently events are allowed to happen.
//
// A Limiter is safe for concurrent use. It must be created with New and
// must not be copied after first use. Its methods never block except Wait,
// and never take a lock: each decision is one compare-and-swap on a single
// word.
//
// Methods ending in At take the current time explicitly (x/time/rate
// style); the others read a monotonic clock. Times are measured from the
// limiter's epoch, so times passed to the At methods should carry a
// monotonic reading (come from time.Now) or be derived from the epoch given
// to NewAt.
type Limiter struct {
	_ [cacheLine]byte //monogen:if !shared
	// state is, for TokenBucket, the theoretical arrival time of the next
	// event less Burst intervals, in nanoseconds since epoch; for
	// SlidingWindow, the index of the current fixed window and the counts
	// of it and the previous one.
	//
	//monogen:doc token state is the theoretical arrival time of the next event less a
	//monogen:doc token full bucket's intervals, in nanoseconds since epoch.
	//monogen:doc window state holds the index of the current fixed window and the
	//monogen:doc window counts of it and the previous one.
	state atomic.Int64
	_     [cacheLine - 8]byte //monogen:if !shared

	cfg    Config
	epoch  time.Time
	shared sharedState //monogen:if shared

	// interval and burst are the token bucket's interval in nanoseconds and
	// burst, which SetRate and SetBurst change; limitsMu serialises them.
	interval atomic.Int64 //monogen:mirror Interval Rate
	burst    atomic.Int64 //monogen:mirror Burst
	limitsMu sync.Mutex   //monogen:if config

	// onReject is the generic reference's reject hook (SetOnReject).
	//monogen:note A generated limiter calls onreject= directly.
	onReject func(n int, err error)

	// waitTime times the Waits that waited, for Stats.
	waitTime histogram //monogen:if metrics
}

// runtimeLimits says whether the limits are read at run time (config=true,
// and always in the generic reference): then init computes what derives
// from them once, instead of the compiler.
const runtimeLimits = true

// New returns a limiter configured by cfg, whose clock starts now. It
// panics if cfg is invalid: a TokenBucket needs Interval > 0, Burst >= 1
// and Burst×Interval within a time.Duration, a SlidingWindow needs
// Window > 0 and 1 <= Limit <= MaxLimit.
//
//monogen:template
func New(cfg Config) *Limiter {
	return NewAt(cfg, time.Now())
}

// NewAt is New with an explicit epoch, the time at which the bucket is full
// and the first window starts. Tests use it with the At methods to control
// time.
//
//monogen:template
func NewAt(cfg Config, epoch time.Time) *Limiter {
	l := &Limiter{cfg: cfg}
	l.init(epoch)
	return l
}

// init checks the configuration and starts the clock at epoch. NewAt calls
// it.
func (l *Limiter) init(epoch time.Time) {
	if runtimeLimits && l.cfg.Algorithm == TokenBucket {
		l.initLimits()
	}
	if l.cfg.Algorithm == SlidingWindow {
		if l.cfg.Window <= 0 || l.cfg.Limit < 1 || l.cfg.Limit > MaxLimit {
			panic("ratelimit: invalid sliding window")
		}
	} else {
		if int64(l.interval.Load()) <= 0 || l.burst.Load() < 1 || l.burst.Load() > math.MaxInt64/int64(l.interval.Load()) {
			panic("ratelimit: invalid token bucket")
		}
		if !l.cfg.Shared {
			// The bucket is full at the epoch.
			l.state.Store(-int64(l.interval.Load()) * l.burst.Load())
		}
	}
	l.epoch = epoch
}

// SetOnReject sets f to be called with each request the limiter refuses:
// an Allow or AllowN that returns false (err is nil), and a Wait or WaitN
// that returns an error (err is that error: ErrDeadline, ErrExceedsBurst
// or the context's), with the number of events asked for. f runs on the
// goroutine that called the method, before it returns: it delays that
// caller only. Call it before the limiter is used.
//
//monogen:template
func (l *Limiter) SetOnReject(f func(n int, err error)) {
	l.onReject = f
	l.cfg.hookReject = f != nil
}

// rejected reports a request for events that was refused with err (nil
// for an Allow).
//
//monogen:hook
func (l *Limiter) rejected(events int, err error) {
	l.onReject(events, err)
}

// validBucket reports whether a token bucket of burst tokens, one per
// interval nanoseconds, is valid: interval > 0, burst >= 1, and the full
// bucket's time fits in a time.Duration.
func validBucket(interval, burst int64) bool {
	return interval > 0 && burst >= 1 && burst <= math.MaxInt64/interval
}

// initLimits stores the bucket's limits where the methods read them: the
// interval from Rate when it is given.
func (l *Limiter) initLimits() {
	if l.cfg.Rate != 0 {
		l.interval.Store(rateInterval(l.cfg.Rate))
	} else {
		l.interval.Store(int64(l.cfg.Interval))
	}
	l.burst.Store(l.cfg.Burst)
}

// rateInterval returns the nanoseconds between two tokens at r events per
// second, at least one; 0 if r is not positive or too small for a
// time.Duration.
func rateInterval(r float64) int64 {
	ns := math.Round(1e9 / r)
	if !(r > 0) || ns >= math.MaxInt64 {
		return 0
	}
	return max(1, int64(ns))
}

// SetRate sets the average rate of the bucket to r events per second:
// the time between two tokens becomes 1/r, rounded to the nanosecond (at
// least 1ns). The tokens the bucket holds are kept, as are tokens owed by
// reservations: from now on they refill at the new rate. It panics unless
// r > 0 and Burst tokens at the new rate fit in a time.Duration. It is
// safe to call concurrently with every other method; a call that runs
// concurrently with it may count at the old rate or the new.
//
//monogen:if config
//monogen:if token
func (l *Limiter) SetRate(r float64) {
	l.SetRateAt(time.Now(), r)
}

// SetRateAt is SetRate at time t.
//
//monogen:if config
//monogen:if token
func (l *Limiter) SetRateAt(t time.Time, r float64) {
	l.limitsMu.Lock()
	defer l.limitsMu.Unlock()
	l.setLimits(l.offset(t), rateInterval(r), l.burst.Load())
}

// SetBurst sets the number of tokens the bucket holds to b. The tokens
// it holds are kept, up to b: a bucket that grows fills at its rate, it
// does not fill at once. It panics unless b >= 1 and b tokens fit in a
// time.Duration at the limiter's rate. It is safe to call concurrently with
// every other method.
//
//monogen:if config
//monogen:if token
func (l *Limiter) SetBurst(b int64) {
	l.SetBurstAt(time.Now(), b)
}

// SetBurstAt is SetBurst at time t.
//
//monogen:if config
//monogen:if token
func (l *Limiter) SetBurstAt(t time.Time, b int64) {
	l.limitsMu.Lock()
	defer l.limitsMu.Unlock()
	l.setLimits(l.offset(t), l.interval.Load(), b)
}

// setLimits changes the interval and burst of the bucket at now,
// keeping the tokens it holds (or owes) there: their time is scaled from
// the old interval to the new. l.limitsMu must be held.
//
//monogen:if config
//monogen:if token
func (l *Limiter) setLimits(now, interval, burst int64) {
	if l.cfg.Algorithm != TokenBucket || l.cfg.Shared {
		panic("ratelimit: SetRate and SetBurst are for a TokenBucket of this process")
	}
	if !validBucket(interval, burst) {
		panic("ratelimit: invalid token bucket")
	}
	oldInterval, tolerance := l.interval.Load(), l.interval.Load()*l.burst.Load()
	now = max(now, math.MinInt64+max(tolerance, interval*burst))
	l.interval.Store(interval)
	l.burst.Store(burst)
	for {
		s := l.state.Load()
		// held is the time the tokens held at now took to accrue, less
		// what reservations owe; capped by the old burst.
		held := now - max(s, now-tolerance)
		scaled := int64(float64(held) / float64(oldInterval) * float64(interval))
		if l.state.CompareAndSwap(s, now-scaled) {
			return
		}
	}
}

// Allow reports whether an event may happen now, and if so counts it. It
// never blocks.
func (l *Limiter) Allow() bool {
	ok := l.allow(l.clock())
	if l.cfg.hookReject {
		if !ok {
			l.rejected(1, nil)
		}
	}
	return ok
}

// AllowAt is Allow at time t.
func (l *Limiter) AllowAt(t time.Time) bool {
	ok := l.allow(l.offset(t))
	if l.cfg.hookReject {
		if !ok {
			l.rejected(1, nil)
		}
	}
	return ok
}

// Reserve reserves one event and returns when it may happen. A
// TokenBucket always grants the reservation, possibly in the future; a
// SlidingWindow grants it only when the event may happen now, and otherwise
// returns a reservation that is not OK and whose Delay says when to retry.
//
//monogen:doc token Reserve reserves one event and returns when it may happen. The
//monogen:doc token reservation is always granted, possibly in the future.
//monogen:doc window Reserve reserves one event if it may happen now. Otherwise it
//monogen:doc window returns a reservation that is not OK and whose Delay says when to
//monogen:doc window retry.
func (l *Limiter) Reserve() Reservation {
	return l.reserve(l.clock())
}

// ReserveAt is Reserve at time t.
func (l *Limiter) ReserveAt(t time.Time) Reservation {
	return l.reserve(l.offset(t))
}

// AllowN reports whether n events may happen now, and if so counts them
// all; otherwise it counts none. It never blocks. As in x/time/rate, n
// above Burst (TokenBucket) or Limit (SlidingWindow) is never allowed, and
// n <= 0 is always allowed, counting nothing.
//
//monogen:if !shared
//monogen:doc token AllowN reports whether n events may happen now, and if so counts them
//monogen:doc token all; otherwise it counts none. It never blocks. As in x/time/rate, n
//monogen:doc token above the burst is never allowed, and n <= 0 is always allowed,
//monogen:doc token counting nothing.
//monogen:doc window AllowN reports whether n events may happen now, and if so counts them
//monogen:doc window all; otherwise it counts none. It never blocks. n above the limit is
//monogen:doc window never allowed, and n <= 0 is always allowed, counting nothing.
func (l *Limiter) AllowN(n int) bool {
	ok := l.allowN(l.clock(), int64(n))
	if l.cfg.hookReject {
		if !ok {
			l.rejected(n, nil)
		}
	}
	return ok
}

// AllowNAt is AllowN at time t.
//
//monogen:if !shared
func (l *Limiter) AllowNAt(t time.Time, n int) bool {
	ok := l.allowN(l.offset(t), int64(n))
	if l.cfg.hookReject {
		if !ok {
			l.rejected(n, nil)
		}
	}
	return ok
}

// ReserveN reserves n events and returns when they may happen, as Reserve
// does for one: a TokenBucket grants the reservation, possibly in the
// future; a SlidingWindow grants it only when the n events may happen now,
// and otherwise returns a reservation that is not OK and whose Delay says
// when to retry. As in x/time/rate, a reservation of more than Burst
// (Limit) events is not OK, and its Delay is the largest duration; n <= 0
// reserves nothing, OK and now. Cancel gives the n events back, less what
// reservations made after it hold.
//
//monogen:if !shared
//monogen:doc token ReserveN reserves n events and returns when they may happen, as
//monogen:doc token Reserve does for one: the reservation is granted, possibly in the
//monogen:doc token future. As in x/time/rate, a reservation of more events than the
//monogen:doc token burst is not OK, and its Delay is the largest duration; n <= 0
//monogen:doc token reserves nothing, OK and now. Cancel gives the n events back, less
//monogen:doc token what reservations made after it hold.
//monogen:doc window ReserveN reserves n events if they may happen now, as Reserve does
//monogen:doc window for one, and otherwise returns a reservation that is not OK and
//monogen:doc window whose Delay says when to retry. A reservation of more events than
//monogen:doc window the limit is not OK, and its Delay is the largest duration; n <= 0
//monogen:doc window reserves nothing, OK and now.
func (l *Limiter) ReserveN(n int) Reservation {
	return l.reserveN(l.clock(), int64(n))
}

// ReserveNAt is ReserveN at time t.
//
//monogen:if !shared
func (l *Limiter) ReserveNAt(t time.Time, n int) Reservation {
	return l.reserveN(l.offset(t), int64(n))
}

// WaitN blocks until n events may happen, and counts them, as Wait does for
// one. As in x/time/rate, it returns an error at once, without waiting, if
// n exceeds Burst (Limit): ErrExceedsBurst; and if the events could not
// happen before ctx's deadline: ErrDeadline. On error no event is counted.
// Unlike x/time/rate, a SlidingWindow does not queue the n events: WaitN
// retries when the window should have room for them, so a stream of
// smaller requests may keep taking that room first.
//
//monogen:if !shared
//monogen:doc token WaitN blocks until n events may happen, and counts them, as Wait
//monogen:doc token does for one. As in x/time/rate, it returns an error at once, without
//monogen:doc token waiting, if n exceeds the burst: ErrExceedsBurst; and if the events
//monogen:doc token could not happen before ctx's deadline: ErrDeadline. On error no
//monogen:doc token event is counted.
//monogen:doc window WaitN blocks until n events may happen, and counts them, as Wait
//monogen:doc window does for one. It returns an error at once, without waiting, if n
//monogen:doc window exceeds the limit: ErrExceedsBurst; and if the events could not
//monogen:doc window happen before ctx's deadline: ErrDeadline. On error no event is
//monogen:doc window counted. Unlike x/time/rate's WaitN, it does not queue the n events:
//monogen:doc window it retries when the window should have room for them, so a stream
//monogen:doc window of smaller requests may keep taking that room first.
func (l *Limiter) WaitN(ctx context.Context, n int) error {
	var err error
	if int64(n) > l.most() {
		err = fmt.Errorf("%w: n=%d, at most %d", ErrExceedsBurst, n, l.most())
	} else {
		err = l.waitN(ctx, max(int64(n), 0))
	}
	if l.cfg.hookReject {
		if err != nil {
			l.rejected(n, err)
		}
	}
	return err
}

// most returns the most events admitted at once: Burst or Limit.
//
//monogen:doc token most returns the most events admitted at once: the burst.
//monogen:doc window most returns the most events admitted at once: the limit.
func (l *Limiter) most() int64 {
	if l.cfg.Algorithm == SlidingWindow {
		return l.cfg.Limit
	}
	return l.burst.Load()
}

// Wait blocks until an event may happen, and counts it. It returns
// ctx.Err() if ctx is done first, and ErrDeadline at once, without
// waiting, if the event could not happen before ctx's deadline. On error
// no event is counted. A Wait that waits fails if ctx is done by the time
// the wait is over, even if the event's time came at the same moment.
func (l *Limiter) Wait(ctx context.Context) error {
	err := l.waitN(ctx, 1)
	if l.cfg.hookReject {
		if err != nil {
			l.rejected(1, err)
		}
	}
	return err
}

// waitN is WaitN for 0 <= n <= most().
func (l *Limiter) waitN(ctx context.Context, n int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	deadline := int64(math.MaxInt64)
	if d, ok := ctx.Deadline(); ok {
		deadline = l.offset(d)
	}
	waitStart := int64(-1)
	for {
		now := l.clock()
		r := l.reserveN(now, n)
		if r.OK() && r.at <= now {
			if l.cfg.Metrics {
				l.waited(waitStart, now)
			}
			return nil
		}
		if r.at > deadline {
			//monogen:note Only a token bucket of this process reserves
			//monogen:note ahead: a window's or a shared limiter's r is not
			//monogen:note OK here, and only says when to retry.
			if l.cfg.Algorithm == TokenBucket && !l.cfg.Shared {
				r.cancel(now)
			}
			if l.cfg.Metrics {
				l.waited(waitStart, now)
			}
			return ErrDeadline
		}
		if l.cfg.Metrics {
			if waitStart < 0 {
				waitStart = now
			}
		}
		timer := time.NewTimer(time.Duration(nanosBetween(now, r.at)))
		done := ctx.Done()
		select {
		case <-timer.C:
		case <-done:
			timer.Stop()
		}
		select {
		case <-done:
			// Fail even if the timer fired too: a select between the two
			// picks either at random.
			if l.cfg.Algorithm == TokenBucket && !l.cfg.Shared {
				// The event will not happen: it goes back even if its
				// time has come.
				r.undo()
			}
			if l.cfg.Metrics {
				l.waited(waitStart, l.clock())
			}
			return ctx.Err()
		default:
		}
		if l.cfg.Algorithm == TokenBucket && !l.cfg.Shared && r.OK() {
			if l.cfg.Metrics {
				l.waited(waitStart, l.clock())
			}
			return nil
		}
		//monogen:note A window's or a shared limiter's reservation only
		//monogen:note said when to retry.
	}
}

// waited records a Wait that waited from start to end, in nanoseconds
// since the epoch; a negative start means it did not wait.
//
//monogen:if metrics
func (l *Limiter) waited(start, end int64) {
	if start >= 0 {
		l.waitTime.Observe(end - start)
	}
}

// Stats is a snapshot of a Limiter's state.
type Stats struct {
	// Available is the number of events that may happen at once now.
	Available int64
	// Delay is how long until one more event may happen: zero when
	// Available > 0.
	Delay time.Duration
	// Current and Previous are the counts of the current and previous
	// fixed windows of a SlidingWindow; zero for a TokenBucket.
	//
	//monogen:doc window Current and Previous are the counts of the current and previous
	//monogen:doc window fixed windows.
	Current, Previous int64 //monogen:if window
	// StoreCalls and StoreErrors count a shared limiter's calls to its
	// store, and those that failed.
	StoreCalls, StoreErrors uint64 //monogen:if shared
	// WaitTime is how long the Waits that had to wait waited, whatever
	// came of it. Waits that did not wait are not counted, which would
	// cost every Wait a shared atomic add.
	WaitTime Histogram //monogen:if metrics
}

// Stats returns a snapshot of the limiter's state now.
func (l *Limiter) Stats() Stats {
	return l.StatsAt(time.Now())
}

// StatsAt is Stats at time t.
func (l *Limiter) StatsAt(t time.Time) Stats {
	s := l.stats(l.offset(t))
	if l.cfg.Metrics {
		histCollect(&s.WaitTime, &l.waitTime)
	}
	return s
}

// Histogram is a snapshot of a distribution of durations in fixed buckets.
//
//monogen:template
//monogen:note The generator stencils the histogram template next to a
//monogen:note limiter with metrics=true and renames Histogram and
//monogen:note histogram to what it declares.
type Histogram = hist.Histogram

// histogram records the durations of a Histogram.
//
//monogen:template
type histogram = hist.Recorder

// histCollect adds the distribution h recorded to s.
//
//monogen:template
func histCollect(s *Histogram, h *histogram) { hist.Collect(s, h) }

// Reservation is an event reserved by Reserve. It is a value; Cancel it at
// most once.
type Reservation struct {
	l  *Limiter
	at int64 // nanoseconds since epoch at which the events may happen
	n  int64 // the events reserved
	ok bool  // the events are counted
	// from is the lease a shared limiter's token came from: nil for an
	// event admitted while the store failed.
	from *tokenLease //monogen:if shared
}

// OK reports whether the reservation holds an event. A SlidingWindow's
// reservation is not OK when the event may not happen now; Delay then says
// when to try again.
//
//monogen:doc token OK reports whether the reservation holds its events: not when
//monogen:doc token they are more than the bucket holds.
//monogen:doc window OK reports whether the reservation holds its events: not when they
//monogen:doc window may not happen now. Delay then says when to try again.
func (r Reservation) OK() bool { return r.ok }

// Delay returns how long to wait from now before acting on the
// reservation (or, if it is not OK, before retrying). Zero means now.
func (r Reservation) Delay() time.Duration {
	return r.DelayFrom(time.Now())
}

// DelayFrom is Delay from time t.
func (r Reservation) DelayFrom(t time.Time) time.Duration {
	return time.Duration(nanosBetween(r.l.offset(t), r.at))
}

// Cancel gives the reserved event back if its time has not come yet, so
// that another event may take its place. As in x/time/rate, the time that
// reservations made after it took stays theirs: cancelling a reservation
// that a later one follows gives back only what the later one does not
// hold, possibly nothing. It does nothing for a reservation that is not OK.
func (r Reservation) Cancel() {
	r.CancelAt(time.Now())
}

// CancelAt is Cancel at time t.
func (r Reservation) CancelAt(t time.Time) {
	r.cancel(r.l.offset(t))
}

func (r Reservation) cancel(now int64) {
	if r.at < now {
		return
	}
	r.undo()
}

// undo gives the reserved event back, whether or not its time has come.
func (r Reservation) undo() {
	if !r.ok {
		return
	}
	if r.l.cfg.Shared {
		if r.from != nil {
			// To the lease the token came from: if a new lease has
			// replaced it, or it is past its life, no event takes the
			// token again. The store never takes tokens back.
			r.from.tokens.Add(1)
		} else if r.l.cfg.OnFail == FailLocal {
			// Admitted from this process's share while the store failed.
			r.l.localCancel(r.at)
		}
		//monogen:note FailOpen admitted the event without a token, and
		//monogen:note FailClosed admits none while the store fails: no
		//monogen:note other branch.
	} else if r.l.cfg.Algorithm == TokenBucket {
		// Later reservations keep their times; what they took past
		// this one's time is theirs, the rest goes to whoever reserves
		// next.
		r.l.tokenCancel(r.at, r.n)
	} else {
		r.l.windowCancel(r.at, r.n)
	}
}

// clock returns the monotonic time in nanoseconds since the epoch.
func (l *Limiter) clock() int64 {
	return int64(time.Since(l.epoch))
}

// offset converts t to nanoseconds since the epoch.
func (l *Limiter) offset(t time.Time) int64 {
	return int64(t.Sub(l.epoch))
}

// addSaturating returns t+d for d >= 0, or the largest time if that
// overflows.
func addSaturating(t, d int64) int64 {
	if t > math.MaxInt64-d {
		return math.MaxInt64
	}
	return t + d
}

// nanosBetween returns the nanoseconds from from to to: zero if to is not
// later, the largest duration if the difference overflows.
func nanosBetween(from, to int64) int64 {
	if to <= from {
		return 0
	}
	if d := to - from; d > 0 {
		return d
	}
	return math.MaxInt64
}

func (l *Limiter) allow(now int64) bool {
	if l.cfg.Shared {
		_, ok := l.sharedAllow(now)
		return ok
	}
	if l.cfg.Algorithm == SlidingWindow {
		return l.windowAllow(now)
	}
	return l.tokenAllow(now)
}

func (l *Limiter) reserve(now int64) Reservation {
	if l.cfg.Shared {
		// A shared limiter reserves only for now.
		if from, ok := l.sharedAllow(now); ok {
			return Reservation{l: l, at: now, n: 1, ok: true, from: from}
		}
		return Reservation{l: l, at: l.sharedRetry(now), n: 1}
	}
	if l.cfg.Algorithm == SlidingWindow {
		if l.windowAllow(now) {
			return Reservation{l: l, at: now, n: 1, ok: true}
		}
		return Reservation{l: l, at: addSaturating(now, l.windowRetry(now, 1)), n: 1}
	}
	return Reservation{l: l, at: l.tokenReserve(now), n: 1, ok: true}
}

func (l *Limiter) allowN(now, n int64) bool {
	if n <= 0 {
		return true
	}
	if n > l.most() {
		return false
	}
	if l.cfg.Algorithm == SlidingWindow {
		return l.windowAllowN(now, n)
	}
	return l.tokenAllowN(now, n)
}

func (l *Limiter) reserveN(now, n int64) Reservation {
	if l.cfg.Shared {
		// Wait's one event: a shared limiter has no N forms.
		return l.reserve(now)
	}
	if n <= 0 {
		return Reservation{l: l, at: now, ok: true}
	}
	if n > l.most() {
		return Reservation{l: l, at: math.MaxInt64, n: n}
	}
	if l.cfg.Algorithm == SlidingWindow {
		if l.windowAllowN(now, n) {
			return Reservation{l: l, at: now, n: n, ok: true}
		}
		return Reservation{l: l, at: addSaturating(now, l.windowRetry(now, n)), n: n}
	}
	return Reservation{l: l, at: l.tokenReserveN(now, n), n: n, ok: true}
}

func (l *Limiter) stats(now int64) Stats {
	if l.cfg.Shared {
		return l.sharedStats(now)
	}
	if l.cfg.Algorithm == SlidingWindow {
		return l.windowStats(now)
	}
	return l.tokenStats(now)
}

// The token bucket is GCRA: were events spaced exactly one Interval apart,
// the next would arrive at the theoretical arrival time tat. An event at
// now conforms when pushing tat one Interval past max(tat, now) keeps it
// within the tolerance, Burst intervals, of now, which is the bucket
// holding a token.
//
// The state word holds tat less the tolerance, the time from which the
// next event conforms, so that no sum can wrap around: the test becomes
// max(state, now-tolerance) <= now-Interval, and an admitted event moves
// the state to at most now. (Holding tat itself, tat = now+tolerance would
// not fit in an int64 for a bucket of Burst×Interval near the largest
// Duration.) Times before the epoch by more than the largest Duration less
// the tolerance are taken as that time, where the bucket is empty; the
// state saturates at the largest time when reservations pile up past it.

// tokenAllow is Allow for a token bucket.
//
//monogen:if token
//monogen:note Why a load and a compare-and-swap, and not an atomic add
//monogen:note (measured December 2026, issue 15): an admission into a full
//monogen:note bucket must clamp, state = max(state, now-tolerance)+interval,
//monogen:note which no single atomic instruction does. An add from a stale
//monogen:note state would count the event among the discarded tokens: the
//monogen:note bucket would admit more than its burst. The benchmark's bucket
//monogen:note (rate 1e9/s) is full on nearly every call; an add applies only
//monogen:note to callers whose clock is behind the last writer's (about 40%
//monogen:note of the contended calls). An add refused after the load must be
//monogen:note undone: Add(-interval) can shift an admission made on top of it
//monogen:note into its caller's discarded tokens (over-admission), and a
//monogen:note compare-and-swap undo that loses leaks the interval. Reading
//monogen:note the state with Add(0) once a compare-and-swap was lost (one
//monogen:note line transfer instead of a shared read and an upgrade) did not
//monogen:note help either. When the two cores really run Allow at once, every
//monogen:note variant (this one, the add, Add(0), uber's Take, which is the
//monogen:note same load and compare-and-swap) costs about 60-90 ns a call: one move
//monogen:note of the state's line between the cores a call. Only callers on
//monogen:note different cores using different lines (a bucket split into
//monogen:note shards) could beat that; when the calls do not overlap, the
//monogen:note clock read is most of the cost, and uber's is twice as long.
func (l *Limiter) tokenAllow(now int64) bool {
	interval := int64(l.interval.Load())
	tolerance := interval * l.burst.Load()
	now = max(now, math.MinInt64+tolerance)
	for {
		s := l.state.Load()
		from := max(s, now-tolerance)
		if from > now-interval {
			return false
		}
		if l.state.CompareAndSwap(s, from+interval) {
			return true
		}
	}
}

// tokenReserve takes the next token, whenever it comes, and returns the
// time at which it may be used.
//
//monogen:if token
func (l *Limiter) tokenReserve(now int64) int64 {
	interval := int64(l.interval.Load())
	tolerance := interval * l.burst.Load()
	now = max(now, math.MinInt64+tolerance)
	for {
		s := l.state.Load()
		next := addSaturating(max(s, now-tolerance), interval)
		if l.state.CompareAndSwap(s, next) {
			return max(next, now)
		}
	}
}

// tokenAllowN is AllowN for a token bucket, 1 <= n <= Burst: tokenAllow
// for n tokens at once.
//
//monogen:if token
func (l *Limiter) tokenAllowN(now, n int64) bool {
	interval := int64(l.interval.Load())
	need, tolerance := interval*n, interval*l.burst.Load()
	now = max(now, math.MinInt64+tolerance)
	for {
		s := l.state.Load()
		from := max(s, now-tolerance)
		if from > now-need {
			return false
		}
		if l.state.CompareAndSwap(s, from+need) {
			return true
		}
	}
}

// tokenReserveN is tokenReserve for n tokens, 1 <= n <= Burst.
//
//monogen:if token
func (l *Limiter) tokenReserveN(now, n int64) int64 {
	interval := int64(l.interval.Load())
	need, tolerance := interval*n, interval*l.burst.Load()
	now = max(now, math.MinInt64+tolerance)
	for {
		s := l.state.Load()
		next := addSaturating(max(s, now-tolerance), need)
		if l.state.CompareAndSwap(s, next) {
			return max(next, now)
		}
	}
}

// tokenCancel gives back the n intervals of a reservation whose events
// were to happen at at, less what reservations made after it took past at,
// as x/time/rate does: with a burst of 1, reservations at 10ms and 20ms,
// cancelling the one at 10ms gives nothing back, since giving it back would
// put the next reservation at 20ms beside the one already there.
//
//monogen:if token
func (l *Limiter) tokenCancel(at, n int64) {
	need := int64(l.interval.Load()) * n
	for {
		s := l.state.Load()
		give := need - nanosBetween(at, s)
		if give <= 0 {
			return
		}
		if l.state.CompareAndSwap(s, max(s, math.MinInt64+give)-give) {
			return
		}
	}
}

//monogen:if token
func (l *Limiter) tokenStats(now int64) Stats {
	interval := int64(l.interval.Load())
	tolerance := interval * l.burst.Load()
	now = max(now, math.MinInt64+tolerance)
	from := max(l.state.Load(), now-tolerance)
	if from > now-interval {
		return Stats{Delay: time.Duration(nanosBetween(now-interval, from))}
	}
	return Stats{Available: (now - from) / interval}
}

// The sliding window estimates the count over the last Window as
// previous*(1-elapsed/Window) + current, where elapsed is the time since
// the start of the current fixed window. The state word holds, from the
// top, the fixed window's index (truncated), the previous count and the
// current count, each count in countBits bits.

// window is the decoded state of a sliding window at some time. It has four
// word-sized fields, the most the compiler keeps in registers: Allow must not
// go through memory for it.
//
//monogen:if window
type window struct {
	index     uint64 // truncated index of the current fixed window
	prev, cur int64
	elapsed   int64 // time since the fixed window started
}

// windowLoad decodes the state word s as seen at now, rolling it forward
// to now's fixed window.
//
//monogen:if window
func (l *Limiter) windowLoad(s int64, now int64) window {
	width := int64(l.cfg.Window)
	countBits := uint(bits.Len64(uint64(l.cfg.Limit)))
	countMask := int64(1)<<countBits - 1
	indexMask := uint64(1)<<(64-2*countBits) - 1

	now = max(now, 0)
	index := now / width
	w := window{index: uint64(index) & indexMask, elapsed: now - index*width}
	stateIndex := uint64(s) >> (2 * countBits)
	prev, cur := s>>countBits&countMask, s&countMask
	switch ahead := (w.index - stateIndex) & indexMask; {
	case ahead == 0:
		w.prev, w.cur = prev, cur
	case ahead == 1:
		w.prev = cur
	case ahead > indexMask/2:
		// Another caller read a later clock and moved the state into the
		// next window first: count there, as at its very start.
		w.index, w.prev, w.cur, w.elapsed = stateIndex, prev, cur, 0
	}
	return w
}

// windowEstimate returns the weighted count of the sliding window ending at
// w's time.
//
//monogen:if window
func (l *Limiter) windowEstimate(w window) float64 {
	width := int64(l.cfg.Window)
	return float64(w.prev)*float64(width-w.elapsed)/float64(width) + float64(w.cur)
}

// windowAllow is Allow for a sliding window: one load and one
// compare-and-swap of the state word, retried only when another event got
// in between.
//
//monogen:if window
func (l *Limiter) windowAllow(now int64) bool {
	width := int64(l.cfg.Window)
	countBits := uint(bits.Len64(uint64(l.cfg.Limit)))
	for {
		s := l.state.Load()
		w := l.windowLoad(s, now)
		// windowEstimate(w)+1 > Limit, multiplied by the width to save a
		// division.
		if float64(w.prev)*float64(width-w.elapsed)+float64(w.cur+1)*float64(width) > float64(l.cfg.Limit)*float64(width) {
			return false
		}
		next := int64(w.index<<(2*countBits)) | w.prev<<countBits | (w.cur + 1)
		if l.state.CompareAndSwap(s, next) {
			return true
		}
	}
}

// windowAllowN is windowAllow for n events, 1 <= n <= Limit.
//
//monogen:if window
func (l *Limiter) windowAllowN(now, n int64) bool {
	width := int64(l.cfg.Window)
	countBits := uint(bits.Len64(uint64(l.cfg.Limit)))
	for {
		s := l.state.Load()
		w := l.windowLoad(s, now)
		if float64(w.prev)*float64(width-w.elapsed)+float64(w.cur+n)*float64(width) > float64(l.cfg.Limit)*float64(width) {
			return false
		}
		next := int64(w.index<<(2*countBits)) | w.prev<<countBits | (w.cur + n)
		if l.state.CompareAndSwap(s, next) {
			return true
		}
	}
}

// windowCancel takes back the n events of a reservation granted at at, from
// the count of the fixed window that counted them: the current one, or the
// previous one if the state has moved on since (there they weigh less in
// the estimate, so taking them back frees no more than they took). Events
// of an older window no longer count, and nothing is taken back. A count
// never goes below zero.
//
//monogen:if window
func (l *Limiter) windowCancel(at, n int64) {
	width := int64(l.cfg.Window)
	countBits := uint(bits.Len64(uint64(l.cfg.Limit)))
	countMask := int64(1)<<countBits - 1
	indexMask := uint64(1)<<(64-2*countBits) - 1
	index := uint64(max(at, 0)/width) & indexMask
	for {
		s := l.state.Load()
		stateIndex := uint64(s) >> (2 * countBits)
		prev, cur := s>>countBits&countMask, s&countMask
		switch (stateIndex - index) & indexMask {
		case 0:
			cur -= min(n, cur)
		case 1:
			prev -= min(n, prev)
		default:
			return
		}
		if l.state.CompareAndSwap(s, int64(stateIndex<<(2*countBits))|prev<<countBits|cur) {
			return
		}
	}
}

// windowRetry returns how long after now n more events would be allowed if
// no other event came, 1 <= n <= Limit.
//
//monogen:if window
func (l *Limiter) windowRetry(now, n int64) int64 {
	width := int64(l.cfg.Window)
	w := l.windowLoad(l.state.Load(), now)
	room := float64(l.cfg.Limit - n)
	// In this window, wait for prev's weight to fall to what cur leaves.
	if free := room - float64(w.cur); free >= 0 {
		if w.prev == 0 || float64(w.prev) <= free {
			return 0
		}
		at := ceilNanos(float64(width) * (1 - free/float64(w.prev)))
		return max(at-w.elapsed, 0)
	}
	// Otherwise in the next one, where cur becomes the previous count.
	toNext := width - w.elapsed
	if float64(w.cur) <= room {
		return toNext
	}
	// Up to two windows: saturate rather than wrap for the longest.
	return addSaturating(toNext, ceilNanos(float64(width)*(1-room/float64(w.cur))))
}

// ceilNanos rounds a non-negative number of nanoseconds up to an int64,
// saturating: float64(width) may round up past the largest int64.
//
//monogen:if window
func ceilNanos(ns float64) int64 {
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(math.Ceil(ns))
}

//monogen:if window
func (l *Limiter) windowStats(now int64) Stats {
	w := l.windowLoad(l.state.Load(), now)
	avail := int64(math.Floor(float64(l.cfg.Limit) - l.windowEstimate(w)))
	st := Stats{Available: max(avail, 0), Current: w.cur, Previous: w.prev}
	if avail <= 0 {
		st.Delay = time.Duration(l.windowRetry(now, 1))
	}
	return st
}
