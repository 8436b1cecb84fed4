package ratelimit

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Store keeps token buckets that limiters in several processes share, such
// as one in Redis. A Limiter asks its Store for tokens in leases and admits
// events from its lease without a round trip, so the store sees one call
// per lease, not one per event.
//
//monogen:if shared
type Store interface {
	// Take takes up to n tokens (n >= 1) from the bucket named key, which
	// holds at most burst tokens and gains one per interval, and returns how
	// many it took. When it took none, wait is how long until the bucket
	// holds one. A bucket that does not exist yet is full. Take must be
	// atomic across processes and measure time by one clock they all share.
	Take(ctx context.Context, key string, n int64, interval time.Duration, burst int64) (took int64, wait time.Duration, err error)
}

// FailMode says what a Limiter does while its Store fails: returns an error
// or does not answer within the store timeout.
//
//monogen:if shared
type FailMode uint8

//monogen:if shared
const (
	// FailOpen admits every event while the store fails: onfail=open.
	FailOpen FailMode = iota
	// FailClosed admits no event while the store fails: onfail=closed.
	FailClosed
	// FailLocal admits this process's share while the store fails: a
	// bucket of its own refilled at 1/Replicas of the rate, holding
	// 1/Replicas of the burst (at least one token): onfail=local.
	FailLocal
)

// DefaultStoreTimeout bounds a call to the store when Config.StoreTimeout
// is zero.
//
//monogen:template
const DefaultStoreTimeout = 100 * time.Millisecond

// DefaultLease is the largest lease when Config.Lease is zero: a quarter of
// the burst, so that four processes at full speed can hold a lease at once.
//
//monogen:template
func DefaultLease(burst int64) int64 { return max(1, burst/4) }

// storeRetry is how long a shared limiter applies its FailMode after the
// store failed before it asks the store again.
//
//monogen:if shared
const storeRetry = 250 * time.Millisecond

// leaseLife is how long the tokens of a lease may be used. Tokens left
// after it are dropped, never used late: the store counted them when it
// granted the lease, so dropping them admits less, never more.
//
//monogen:if shared
const leaseLife = time.Second

// sharedState is what a shared limiter keeps of its store's bucket.
//
//monogen:if shared
type sharedState struct {
	store Store
	key   string

	current atomic.Pointer[tokenLease] // the lease events take tokens from
	denied  atomic.Int64               // until this clock reading the store has no token for us
	failing atomic.Int64               // until this clock reading the store is taken as down
	local   atomic.Int64               // token bucket state of this process's share (FailLocal)

	calls, errs atomic.Uint64 // calls to the store, and calls that failed

	mu    sync.Mutex // held while asking the store for a lease
	size  int64      // the next lease's size: grows while leases run out fast
	taken int64      // clock reading of the last lease
}

// tokenLease is a lease of tokens the store granted. A new lease replaces
// the current one, whose tokens left are dropped: no event takes from it
// again, nor from a lease past its life.
//
//monogen:if shared
type tokenLease struct {
	tokens  atomic.Int64 // tokens left
	expires int64        // clock reading after which the tokens are void
}

// NewShared returns a limiter configured by cfg that shares the token bucket
// named key in store with the limiters of other processes. cfg.Algorithm must
// be TokenBucket.
//
// Its reservations are for now only: Reserve takes a token as Allow does,
// or returns a reservation that is not OK. CancelAt at the reservation's
// time gives the token back to the lease it came from, unless a new lease
// has replaced that one; a token admitted while the store failed goes back
// to this process's share (FailLocal), or took nothing (FailOpen). The store
// is never asked to take a token back.
//
//monogen:template
func NewShared(cfg Config, store Store, key string) *Limiter {
	cfg.Shared = true
	if cfg.Replicas < 1 {
		cfg.Replicas = 1
	}
	cfg.LocalBurst = max(1, cfg.Burst/cfg.Replicas)
	if cfg.Lease < 1 {
		cfg.Lease = DefaultLease(cfg.Burst)
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = DefaultStoreTimeout
	}
	l := &Limiter{cfg: cfg}
	l.initShared(store, key, time.Now())
	return l
}

// initShared is init for a limiter whose tokens come from store.
//
//monogen:if shared
func (l *Limiter) initShared(store Store, key string, epoch time.Time) {
	l.init(epoch)
	sh := &l.shared
	sh.store, sh.key, sh.size = store, key, 1
	// No lease yet: an empty one.
	sh.current.Store(&tokenLease{})
	sh.denied.Store(math.MinInt64)
	sh.failing.Store(math.MinInt64)
	if l.cfg.OnFail == FailLocal {
		// The share is full at the epoch, like the bucket.
		sh.local.Store(-int64(l.localInterval()) * l.localBurst())
	}
}

// sharedAllow is Allow for a shared limiter: a token from the lease if one
// is left, and otherwise a new lease from the store, asked for by one
// caller at a time. The others wait for its answer rather than ask too. It
// also returns the lease the token came from: nil for an event admitted
// while the store fails.
//
//monogen:if shared
func (l *Limiter) sharedAllow(now int64) (*tokenLease, bool) {
	sh := &l.shared
	if from := sh.take(now); from != nil {
		return from, true
	}
	if now < sh.denied.Load() {
		return nil, false
	}
	if now < sh.failing.Load() {
		return nil, l.failAllow(now)
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	// While this caller waited for the lock, another may have taken a lease
	// or learned that the store has no token or is down.
	if from := sh.take(now); from != nil {
		return from, true
	}
	if now < sh.denied.Load() {
		return nil, false
	}
	if now < sh.failing.Load() {
		return nil, l.failAllow(now)
	}
	return l.lease(now)
}

// take takes a token from the current lease and returns that lease, or nil
// if the lease has none left or has expired.
//
//monogen:if shared
func (sh *sharedState) take(now int64) *tokenLease {
	cur := sh.current.Load()
	if now > cur.expires {
		return nil
	}
	for {
		t := cur.tokens.Load()
		if t <= 0 {
			return nil
		}
		if cur.tokens.CompareAndSwap(t, t-1) {
			return cur
		}
	}
}

// lease asks the store for a lease, keeps one of its tokens for the caller
// and reports whether there was one, returning the new lease. The caller
// holds sh.mu.
//
//monogen:if shared
func (l *Limiter) lease(now int64) (*tokenLease, bool) {
	sh := &l.shared
	cur := sh.current.Load()
	// A lease that expired with tokens left was too large for this
	// process's rate; one used up within an eighth of its life, too small.
	if cur.tokens.Load() > 0 {
		sh.size = max(1, sh.size/2)
	} else if now-sh.taken < int64(leaseLife/8) {
		sh.size = min(2*sh.size, l.cfg.Lease)
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.StoreTimeout)
	took, wait, err := sh.store.Take(ctx, sh.key, sh.size, l.cfg.Interval, l.cfg.Burst)
	cancel()
	sh.calls.Add(1)
	if err != nil || took < 0 || took > sh.size {
		sh.errs.Add(1)
		cur.tokens.Store(0)
		sh.failing.Store(addSaturating(now, int64(storeRetry)))
		return nil, l.failAllow(now)
	}
	if took == 0 {
		sh.denied.Store(addSaturating(now, max(int64(wait), 1)))
		return nil, false
	}
	sh.taken = now
	next := &tokenLease{expires: addSaturating(now, int64(leaseLife))}
	next.tokens.Store(took - 1)
	sh.current.Store(next)
	return next, true
}

// failAllow is Allow while the store is down.
//
//monogen:if shared
func (l *Limiter) failAllow(now int64) bool {
	if l.cfg.OnFail == FailOpen {
		return true
	}
	if l.cfg.OnFail == FailClosed {
		return false
	}
	interval, tolerance := int64(l.localInterval()), int64(l.localInterval())*l.localBurst()
	now = max(now, math.MinInt64+tolerance)
	for {
		s := l.shared.local.Load()
		from := max(s, now-tolerance)
		if from > now-interval {
			return false
		}
		if l.shared.local.CompareAndSwap(s, from+interval) {
			return true
		}
	}
}

// localCancel gives back to this process's share a token admitted from it
// at at, less what events admitted after it took past at: that time is
// theirs, and giving it back too would let two events have it.
//
//monogen:if shared
func (l *Limiter) localCancel(at int64) {
	interval := int64(l.localInterval())
	for {
		s := l.shared.local.Load()
		give := interval - nanosBetween(at, s)
		if give <= 0 {
			return
		}
		if l.shared.local.CompareAndSwap(s, max(s, math.MinInt64+give)-give) {
			return
		}
	}
}

// sharedRetry returns when an event refused at now may next be admitted.
//
//monogen:if shared
func (l *Limiter) sharedRetry(now int64) int64 {
	sh := &l.shared
	if d := sh.denied.Load(); now < d {
		return d
	}
	if f := sh.failing.Load(); now < f {
		if l.cfg.OnFail == FailOpen {
			return now
		}
		if l.cfg.OnFail == FailClosed {
			return f
		}
		// FailLocal: when the local share next holds a token, or when the
		// store is asked again, whichever is first.
		return min(f, max(now, sh.local.Load()+int64(l.localInterval())))
	}
	// A lease came and went in between: try again at once.
	return now
}

// sharedStats is Stats for a shared limiter: what is left of the lease.
//
//monogen:if shared
func (l *Limiter) sharedStats(now int64) Stats {
	sh := &l.shared
	st := Stats{StoreCalls: sh.calls.Load(), StoreErrors: sh.errs.Load()}
	if cur := sh.current.Load(); now <= cur.expires {
		st.Available = max(cur.tokens.Load(), 0)
	}
	if st.Available == 0 {
		st.Delay = time.Duration(nanosBetween(now, l.sharedRetry(now)))
	}
	return st
}

// localInterval is the interval of this process's share of the rate.
//
//monogen:if shared
func (l *Limiter) localInterval() time.Duration {
	return l.cfg.Interval * time.Duration(l.cfg.Replicas)
}

// localBurst is this process's share of the burst.
//
//monogen:if shared
func (l *Limiter) localBurst() int64 {
	return l.cfg.LocalBurst
}
