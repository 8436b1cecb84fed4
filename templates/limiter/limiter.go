// Package limiter provides an adaptive concurrency limiter: it bounds the
// calls in flight to a function by a limit that follows the function's
// latency, and rejects calls beyond it at once.
//
// It is the generic reference of the monogen limiter kind:
//
//	//monogen:limiter Backend[Req, Resp] fn=call min=2 max=256
//
// generates a type Backend whose Execute calls call directly.
//
// The limit follows the gradient algorithm of Netflix's concurrency-limits
// (Gradient2): it grows while the latency of calls stays near its long-run
// average, and shrinks in proportion when latency rises, which is the sign
// of a queue forming behind the function.
package limiter

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// ErrLimited is returned by Execute for a call rejected because as many
// calls as the limit are in flight.
var ErrLimited = errors.New("limiter: concurrency limit reached")

// Config holds the options of a Limiter.
//
//monogen:config
type Config struct {
	// Min and Max bound the limit: min= (default 1) and max= (default
	// 1000).
	Min, Max int64
	// Initial is the limit to start with: initial= (default Min, raised
	// to 20 if Max allows). Zero takes the default.
	Initial int64
	// SampleEvery is one in how many calls is timed and fed to the
	// algorithm: sample= (default 16). A power of two. Timing every call
	// would cost two clock reads per call, more than the limiter itself.
	SampleEvery uint32
	// Tolerance is how much latency may rise above its long-run average
	// before the limit shrinks: tolerance= (default 1.5).
	Tolerance float64
	// Smoothing is the weight of a new sample in the limit: smoothing=
	// (default 0.2).
	Smoothing float64

	// hookLimit says whether a function is called when the limit changes
	// (SetOnLimit, or the directive's onlimit=).
	hookLimit bool
}

const (
	// longWindow is the number of samples the long-run latency average
	// spans (an exponential moving average with weight 1/longWindow).
	longWindow = 100
	// backoff is the factor the limit is multiplied by when a call times
	// out: a timeout gives no latency, only a sign of overload.
	backoff = 0.9
	// cacheLine is the size the hot words are padded to.
	cacheLine = 64
)

// Limiter bounds the number of concurrent calls to a function by an
// adaptive limit.
//
// A Limiter must be created with New and must not be copied after first
// use. Its methods are safe for concurrent use. A call admitted by Execute
// counts as in flight until the function returns (or panics).
type Limiter[Req, Resp any] struct {
	inFlight atomic.Int64
	limit    atomic.Int64
	_        [cacheLine - 16]byte

	cfg Config
	fn  func(context.Context, Req) (Resp, error) //monogen:if !boundFn

	epoch time.Time
	now   func() time.Duration // when not nil, replaces the monotonic clock

	rejected atomic.Uint64

	mu       sync.Mutex // guards the algorithm's state below
	estimate float64    // the limit before rounding
	longRTT  float64    // long-run average latency in nanoseconds
	// reported is the limit last reported to the limit hook, zero before
	// the first report (the limit was Initial).
	reported int64

	// onLimit is the generic reference's limit hook (SetOnLimit).
	//monogen:note A generated limiter calls onlimit= directly.
	onLimit func(from, to int64)
}

// New returns a limiter around fn. Zero fields of cfg take their defaults.
// New panics if cfg is invalid.
//
//monogen:template
func New[Req, Resp any](fn func(context.Context, Req) (Resp, error), cfg Config) *Limiter[Req, Resp] {
	if cfg.Min == 0 {
		cfg.Min = 1
	}
	if cfg.Max == 0 {
		cfg.Max = 1000
	}
	if cfg.Initial == 0 {
		cfg.Initial = max(cfg.Min, min(20, cfg.Max))
	}
	if cfg.SampleEvery == 0 {
		cfg.SampleEvery = 16
	}
	if cfg.Tolerance == 0 {
		cfg.Tolerance = 1.5
	}
	if cfg.Smoothing == 0 {
		cfg.Smoothing = 0.2
	}
	l := &Limiter[Req, Resp]{cfg: cfg, fn: fn}
	l.init()
	return l
}

// SetClock makes the limiter read time from now, a monotonic clock in
// nanoseconds, instead of the system's. Tests use it; call it before the
// limiter is used.
//
//monogen:template
func (l *Limiter[Req, Resp]) SetClock(now func() time.Duration) {
	l.now = now
}

// init checks the configuration and sets the initial limit. New calls it
// after building the struct.
func (l *Limiter[Req, Resp]) init() {
	if l.cfg.Min < 1 || l.cfg.Max < l.cfg.Min || l.cfg.Initial < l.cfg.Min || l.cfg.Initial > l.cfg.Max ||
		l.cfg.SampleEvery == 0 || l.cfg.SampleEvery&(l.cfg.SampleEvery-1) != 0 ||
		l.cfg.Tolerance < 1 || l.cfg.Smoothing <= 0 || l.cfg.Smoothing > 1 {
		panic("limiter: invalid configuration")
	}
	l.epoch = time.Now()
	l.estimate = float64(l.cfg.Initial)
	l.limit.Store(l.cfg.Initial)
}

// Execute calls the function with ctx and req, unless as many calls as the
// limit are in flight, in which case it returns ErrLimited at once.
func (l *Limiter[Req, Resp]) Execute(ctx context.Context, req Req) (Resp, error) {
	n := l.inFlight.Add(1)
	if n > l.limit.Load() {
		l.inFlight.Add(-1)
		l.rejected.Add(1)
		var zero Resp
		return zero, ErrLimited
	}
	defer l.inFlight.Add(-1)
	if l.cfg.SampleEvery > 1 && rand.Uint32()&(l.cfg.SampleEvery-1) != 0 {
		return l.call(ctx, req)
	}
	start := l.clock()
	resp, err := l.call(ctx, req)
	l.sample(l.clock()-start, n, err)
	return resp, err
}

// Stats is a snapshot of a Limiter.
type Stats struct {
	// Limit is the current limit and InFlight the calls in flight.
	Limit, InFlight int64
	// Rejected counts the calls rejected since the limiter was created.
	Rejected uint64
	// Latency is the long-run average latency of the sampled calls.
	Latency time.Duration
}

// Stats returns a snapshot of the limiter.
func (l *Limiter[Req, Resp]) Stats() Stats {
	l.mu.Lock()
	rtt := l.longRTT
	l.mu.Unlock()
	return Stats{
		Limit:    l.limit.Load(),
		InFlight: l.inFlight.Load(),
		Rejected: l.rejected.Load(),
		Latency:  time.Duration(rtt),
	}
}

// call calls the user's function.
//
//monogen:hook
func (l *Limiter[Req, Resp]) call(ctx context.Context, req Req) (Resp, error) {
	return l.fn(ctx, req)
}

// SetOnLimit sets f to be called when the limit changes, with the limit
// before and after. f runs on the goroutine of the Execute whose sample
// changed it, after Execute's function returned and before Execute
// returns, holding no lock: it must not block, as it delays that caller.
// Each change is reported once, in order of the changes; two reports may
// run at once, on different goroutines. Call it before the limiter is
// used.
//
//monogen:template
func (l *Limiter[Req, Resp]) SetOnLimit(f func(from, to int64)) {
	l.onLimit = f
	l.cfg.hookLimit = f != nil
}

// limitChanged reports a change of the limit from from to to.
//
//monogen:hook
func (l *Limiter[Req, Resp]) limitChanged(from, to int64) {
	l.onLimit(from, to)
}

// reportLimit calls limitChanged if the limit changed since it last did.
func (l *Limiter[Req, Resp]) reportLimit() {
	l.mu.Lock()
	from, to := l.reported, l.limit.Load()
	if from == 0 {
		from = l.cfg.Initial
	}
	l.reported = to
	l.mu.Unlock()
	if to != from {
		l.limitChanged(from, to)
	}
}

// sample feeds the latency of one call, made with inFlight calls in flight
// counting itself, to the algorithm.
func (l *Limiter[Req, Resp]) sample(rtt int64, inFlight int64, err error) {
	l.mu.Lock()
	l.adjust(rtt, inFlight, err)
	l.mu.Unlock()
	if l.cfg.hookLimit {
		l.reportLimit()
	}
}

// adjust moves the limit after a sample; l.mu is held.
func (l *Limiter[Req, Resp]) adjust(rtt int64, inFlight int64, err error) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		l.estimate *= backoff
	case err != nil:
		// A failure's latency says nothing about the queue: failures
		// are often fast.
		return
	default:
		short := float64(max(rtt, 1))
		if l.longRTT == 0 {
			l.longRTT = short
		}
		l.longRTT += (short - l.longRTT) / longWindow
		if l.longRTT > 2*short {
			// Latency dropped for good: let the average follow quickly
			// instead of granting a huge gradient for longWindow samples.
			l.longRTT = 0.95*l.longRTT + 0.05*short
		}
		if float64(inFlight) < l.estimate/2 {
			// Too little load to tell whether the limit is too low.
			return
		}
		gradient := max(0.5, min(1, l.cfg.Tolerance*l.longRTT/short))
		// sqrt(limit) calls may queue: enough to probe for more capacity,
		// few enough for latency to show the queue.
		next := l.estimate*gradient + math.Sqrt(l.estimate)
		l.estimate += (next - l.estimate) * l.cfg.Smoothing
	}
	l.estimate = max(float64(l.cfg.Min), min(float64(l.cfg.Max), l.estimate))
	l.limit.Store(int64(l.estimate))
}

// clock returns the time in nanoseconds since the limiter was created.
//
//monogen:note The generated code, which has no SetClock, reads the
//monogen:note monotonic clock directly.
//monogen:hook
func (l *Limiter[Req, Resp]) clock() int64 {
	if l.now != nil {
		return int64(l.now())
	}
	return int64(time.Since(l.epoch))
}
