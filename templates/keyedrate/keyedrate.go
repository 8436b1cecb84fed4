// Package keyedrate provides a keyed rate limiter: one token bucket per key,
// such as one per client address, kept in a concurrent hash map whose idle
// keys are evicted.
//
// It is the generic reference of the monogen ratelimit kind with a key type:
//
//	//monogen:ratelimit PerIP[netip.Addr] algo=token rate=10/s burst=5 idle=1m keys=100000
//
// generates a type whose rate, burst and limits are constants, and whose map
// is the monogen map specialized for the key type, with its own hasher.
//
// # Memory
//
// Each key holds one 8-byte bucket, the theoretical arrival time of the
// bucket's next event (GCRA, as the unkeyed limiter), stored in the key's
// entry of the map, next to the key: the entry the lookup loads holds the
// bucket, and creating a key allocates that entry only. A bucket that is full
// behaves exactly as a bucket that was never created, so a full bucket can be
// evicted without changing what the limiter admits: eviction only ever
// removes full buckets, and never resets a key whose bucket is not full.
//
// Idle buckets are evicted by sweeps that run on the path that creates a
// key, not by a goroutine: the map only grows when a key is created, so
// sweeping there bounds it, and the limiter needs no Close. A sweep visits
// every key once, in the goroutine whose Allow created a key, at most once
// per Idle period. A full bucket is evicted by the first sweep after it has
// been full for Idle, so a key lives at most about 2×Idle after its bucket
// filled, as long as other keys are created.
//
// With Keys, the map holds at most Keys live buckets. When it is full, a new
// key first triggers a sweep that evicts every full bucket, idle or not (if
// any bucket may have become full since the last sweep); if the map is still
// full, the new key is refused: Allow returns false for it. Refusing is the
// safe failure of a limiter: evicting a bucket that is not full would give
// its key a fresh burst, so that a client cycling through keys could reset
// the buckets of others.
//
//monogen:note The map is shardmap.Map through the keyMap alias; the
//monogen:note generator stencils the shardmap template for the key type and
//monogen:note renames keyMap, newKeyMap and the compute operations to it.
package keyedrate

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monogen/monogen/templates/shardmap"
)

// Config holds the options of a Limiter.
//
//monogen:config
type Config struct {
	// Interval is the time between two tokens of a key: rate=10/s gives
	// 100ms.
	Interval time.Duration
	// Burst is the number of tokens each key's bucket holds: burst=.
	Burst int64
	// Idle is how long a key's bucket stays full before a sweep may evict
	// it: idle=. Zero turns the sweeps of new keys off.
	Idle time.Duration
	// Keys is the most keys held at once, 0 for no limit: keys=.
	Keys int64
}

// nanKeys reports whether a key can be unequal to itself, as a NaN is: the
// key type is a float or complex type, an interface, or a struct or array
// holding one.
//
//monogen:note The generator sets it from the key type, so that the check
//monogen:note in create is emitted only for such keys.
const nanKeys = true

// evicted is the state of a bucket that a sweep took out of the map: no
// event is counted on it any more, and an Allow that finds it looks the key
// up again.
const evicted = math.MaxInt64

// keyMap is the map from K to the buckets of the keys.
//
//monogen:template
type keyMap[K comparable] = shardmap.Map[K, int64]

// newKeyMap returns an empty keyMap.
//
//monogen:template
func newKeyMap[K comparable]() *keyMap[K] { return shardmap.New[K, int64]() }

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

// Limiter is a rate limiter per key of type K: each key has a token bucket,
// created full when the key is first seen.
//
// A Limiter is safe for concurrent use. It must be created with New and
// must not be copied after first use. Allow on a key already seen takes no
// lock: one lookup in a map whose reads take no lock, and one
// compare-and-swap on the key's bucket, in the map entry the lookup found.
// Allow on a new key locks a bucket of the map to insert it, and may sweep.
type Limiter[K comparable] struct {
	// buckets maps each key to its bucket: the theoretical arrival time
	// of the key's next event less Burst intervals, in nanoseconds since
	// the epoch, or evicted. The limiter reads and writes a bucket where
	// the map stores it, with atomics, through the map's pointer methods.
	buckets *keyMap[K]
	// live counts the buckets in the map: Len.
	live atomic.Int64
	// nextSweep is the time, in nanoseconds since epoch, from which a new
	// key sweeps the idle buckets.
	nextSweep atomic.Int64
	// nextFull is the earliest time at which a bucket that was not full at
	// the last sweep may be full: a full map sweeps for room only from then.
	nextFull atomic.Int64 //monogen:if keys
	// sweepMu lets one sweep run at a time.
	sweepMu sync.Mutex

	cfg   Config
	epoch time.Time
}

// New returns a keyed limiter configured by cfg, whose clock starts now.
// It panics if cfg is invalid: it needs Interval > 0, Burst >= 1,
// Burst×Interval within a time.Duration, Idle >= 0 and Keys >= 0.
//
//monogen:template
func New[K comparable](cfg Config) *Limiter[K] {
	return NewAt[K](cfg, time.Now())
}

// NewAt is New with an explicit epoch. Tests use it with AllowAt to
// control time.
//
//monogen:template
func NewAt[K comparable](cfg Config, epoch time.Time) *Limiter[K] {
	l := &Limiter[K]{cfg: cfg}
	l.init(epoch)
	return l
}

// init checks the configuration, creates the map and starts the clock.
func (l *Limiter[K]) init(epoch time.Time) {
	if l.cfg.Interval <= 0 || l.cfg.Burst < 1 || l.cfg.Burst > math.MaxInt64/int64(l.cfg.Interval) || l.cfg.Idle < 0 || l.cfg.Keys < 0 {
		panic("ratelimit: invalid configuration")
	}
	l.buckets = newKeyMap[K]()
	l.epoch = epoch
	l.nextSweep.Store(int64(l.cfg.Idle))
}

// Allow reports whether an event of key may happen now, and if so counts
// it. It never blocks.
func (l *Limiter[K]) Allow(key K) bool {
	return l.allow(key, l.clock())
}

// AllowAt is Allow at time t.
func (l *Limiter[K]) AllowAt(key K, t time.Time) bool {
	return l.allow(key, l.offset(t))
}

// Len returns the number of keys that have a bucket: the keys seen and not
// evicted. It takes no lock.
func (l *Limiter[K]) Len() int {
	return int(l.live.Load())
}

// Sweep evicts the buckets that have been full for at least Config.Idle.
// Allow sweeps on its own when it creates a key; Sweep is for a program that
// wants the memory of idle keys back when no new key comes.
func (l *Limiter[K]) Sweep() {
	l.sweepAt(l.clock())
}

// SweepAt is Sweep at time t.
func (l *Limiter[K]) SweepAt(t time.Time) {
	l.sweepAt(l.offset(t))
}

func (l *Limiter[K]) sweepAt(now int64) {
	l.sweepMu.Lock()
	defer l.sweepMu.Unlock()
	l.sweep(now, int64(l.cfg.Idle))
}

// clock returns the monotonic time in nanoseconds since the epoch.
func (l *Limiter[K]) clock() int64 {
	return int64(time.Since(l.epoch))
}

// offset converts t to nanoseconds since the epoch.
func (l *Limiter[K]) offset(t time.Time) int64 {
	return int64(t.Sub(l.epoch))
}

func (l *Limiter[K]) allow(key K, now int64) bool {
	interval, tolerance := int64(l.cfg.Interval), int64(l.cfg.Interval)*l.cfg.Burst
	now = max(now, math.MinInt64+tolerance)
	b := l.buckets.LoadPointer(key)
	for {
		if b == nil {
			if b = l.create(key, now); b == nil {
				return false
			}
		}
		for {
			s := atomic.LoadInt64(b)
			from := max(s, now-tolerance)
			if from > now-interval {
				if s != evicted {
					return false
				}
				// A sweep evicted the bucket, full: the key's next
				// bucket starts full too.
				break
			}
			if atomic.CompareAndSwapInt64(b, s, from+interval) {
				return true
			}
		}
		b = nil
	}
}

// create gives key a new, full bucket, or returns the bucket another
// goroutine gave it first. It returns nil when the map holds Keys buckets
// and a sweep cannot make room.
func (l *Limiter[K]) create(key K, now int64) *int64 {
	if nanKeys && key != key {
		// A key not equal to itself, a NaN or a value holding one, is
		// refused: no lookup would find its bucket again, so each of
		// its events would get a fresh bucket that no sweep could evict.
		return nil
	}
	if l.cfg.Idle > 0 && now >= l.nextSweep.Load() && l.sweepMu.TryLock() {
		if now >= l.nextSweep.Load() {
			l.sweep(now, int64(l.cfg.Idle))
			l.nextSweep.Store(now + int64(l.cfg.Idle))
		}
		l.sweepMu.Unlock()
	}
	if l.cfg.Keys > 0 && l.live.Load() >= l.cfg.Keys {
		// Full: the count below decides whether key gets a bucket.
		l.makeRoom(now)
	}
	return l.buckets.ComputePointer(key, func(b *int64, loaded bool) computeOp {
		// A sweep evicts a bucket and deletes its key under the lock
		// this function holds: a bucket in the map is never evicted.
		if loaded || !l.countKey() {
			return cancelOp
		}
		// Full now: the tolerance is behind. The map publishes the
		// bucket with the key.
		*b = now - int64(l.cfg.Interval)*l.cfg.Burst
		if l.cfg.Keys > 0 {
			// The bucket is full again one interval after its first
			// event.
			l.lowerNextFull(now + int64(l.cfg.Interval))
		}
		return updateOp
	})
}

// countKey counts a new key in live, and reports whether it did: not when
// the map holds Keys buckets.
func (l *Limiter[K]) countKey() bool {
	if l.cfg.Keys == 0 {
		l.live.Add(1)
		return true
	}
	for {
		n := l.live.Load()
		if n >= l.cfg.Keys {
			return false
		}
		if l.live.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// makeRoom sweeps the map for room for a new key, evicting every full
// bucket, if any bucket may have become full since the last sweep and no
// other sweep is running.
//
//monogen:if keys
func (l *Limiter[K]) makeRoom(now int64) {
	if now < l.nextFull.Load() || !l.sweepMu.TryLock() {
		return
	}
	defer l.sweepMu.Unlock()
	if now >= l.nextFull.Load() {
		l.nextFull.Store(l.sweep(now, 0))
	}
}

// lowerNextFull sets nextFull to at if that is earlier.
//
//monogen:if keys
func (l *Limiter[K]) lowerNextFull(at int64) {
	for {
		n := l.nextFull.Load()
		if at >= n || l.nextFull.CompareAndSwap(n, at) {
			return
		}
	}
}

// sweep evicts the buckets that have been full for at least idle at now,
// and returns the earliest time at which a bucket it left may be full. The
// caller holds sweepMu.
func (l *Limiter[K]) sweep(now, idle int64) (next int64) {
	tolerance := int64(l.cfg.Interval) * l.cfg.Burst
	next = math.MaxInt64
	for key, b := range l.buckets.AllPointers() {
		s := atomic.LoadInt64(b)
		if s == evicted {
			continue
		}
		// The bucket has been full since s+tolerance.
		if s <= now-tolerance-idle && l.evict(key, b, s) {
			continue
		}
		next = min(next, s+tolerance)
	}
	return next
}

// evict takes key's bucket b out of the map if its state is still s, the
// state in which the sweep found it full and idle. An event counted on b
// since changed the state, and then b stays: eviction never takes away a
// token that was used. The bucket is marked evicted and its key deleted
// under the lock of the key's map bucket, so a key in the map never has an
// evicted bucket; an Allow that loaded b before and finds it evicted looks
// the key up again.
func (l *Limiter[K]) evict(key K, b *int64, s int64) bool {
	done := false
	l.buckets.ComputePointer(key, func(cur *int64, loaded bool) computeOp {
		if !loaded || cur != b || !atomic.CompareAndSwapInt64(b, s, evicted) {
			return cancelOp
		}
		done = true
		l.live.Add(-1)
		return deleteOp
	})
	return done
}
