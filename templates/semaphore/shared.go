package semaphore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Store keeps semaphores that processes share, such as in Redis. A holder
// keeps its units under a lease that expires unless renewed, so the units of
// a process that dies come back within the lease's time.
//
//monogen:if shared
type Store interface {
	// Acquire takes n units of the semaphore named key, whose capacity is
	// size, for holder until ttl from now, and reports whether it did: when
	// fewer than n units are free it takes nothing. Units of expired leases
	// are free.
	Acquire(ctx context.Context, key, holder string, n, size int64, ttl time.Duration) (bool, error)
	// Renew extends to ttl from now the leases of those holders that still
	// hold units, and returns how many did.
	Renew(ctx context.Context, key string, holders []string, ttl time.Duration) (int, error)
	// Release frees the units of holder.
	Release(ctx context.Context, key, holder string) error
}

// FailMode says what a Semaphore does while its Store fails: returns an
// error or does not answer within the store timeout.
//
//monogen:if shared
type FailMode uint8

//monogen:if shared
const (
	// FailOpen grants units while the store fails, bounded by this
	// process's own count only: onfail=open.
	FailOpen FailMode = iota
	// FailClosed fails Acquire with ErrStore while the store fails:
	// onfail=closed.
	FailClosed
	// FailLocal grants this process's share while the store fails: at most
	// N/Replicas units (at least one) held without the store: onfail=local.
	FailLocal
)

// DefaultTTL is the lease of Config.TTL zero: a process that dies holding
// units gives them back within it.
//
//monogen:template
const DefaultTTL = 10 * time.Second

// DefaultStoreTimeout bounds a call to the store when Config.StoreTimeout
// is zero.
//
//monogen:template
const DefaultStoreTimeout = 100 * time.Millisecond

// ErrStore is returned, wrapping the store's error, by Acquire of a
// semaphore that fails closed while its store fails.
//
//monogen:if shared
var ErrStore = errors.New("semaphore: the shared store failed")

// sharedState is what a shared semaphore keeps of the units it holds in its
// store.
//
//monogen:if shared
type sharedState struct {
	store Store
	key   string
	id    string // this semaphore's prefix of holder names

	mu       sync.Mutex
	seq      uint64
	held     map[int64][]string // holders of the store, by their units
	holders  int                // holders in held
	unbacked map[int64]int64    // grants made while the store failed, by units
	local    int64              // units held without the store (FailLocal's share)
	stop     chan struct{}      // closed to stop the renewer; nil while nothing is held

	calls, errs, lost atomic.Uint64
}

// NewShared returns a semaphore of capacity n shared through store under
// key with the semaphores of other processes.
//
//monogen:template
func NewShared(cfg Config, store Store, key string) *Semaphore {
	cfg.Shared = true
	if cfg.Replicas < 1 {
		cfg.Replicas = 1
	}
	cfg.LocalN = max(1, cfg.N/cfg.Replicas)
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = DefaultStoreTimeout
	}
	s := &Semaphore{cfg: cfg}
	s.initShared(store, key)
	return s
}

// initShared is init for a semaphore whose units are leased from store.
//
//monogen:if shared
func (s *Semaphore) initShared(store Store, key string) {
	s.init()
	var id [8]byte
	rand.Read(id[:])
	sh := &s.shared
	sh.store, sh.key, sh.id = store, key, hex.EncodeToString(id[:])
	sh.held = map[int64][]string{}
	sh.unbacked = map[int64]int64{}
}

// sharedAcquire is AcquireN for a shared semaphore: n units of this
// process's count, then n units of the store's.
//
//monogen:if shared
func (s *Semaphore) sharedAcquire(ctx context.Context, n int64) error {
	if err := s.acquireSlow(ctx, n); err != nil || n == 0 {
		return err
	}
	if _, err := s.acquireStore(ctx, n, true); err != nil {
		s.releaseLocal(n)
		return err
	}
	return nil
}

// sharedTryAcquire is TryAcquireN for a shared semaphore: one call to the
// store, no wait.
//
//monogen:if shared
func (s *Semaphore) sharedTryAcquire(n int64) bool {
	if !s.tryAcquireLocal(n) {
		return false
	}
	if n == 0 {
		return true
	}
	if ok, err := s.acquireStore(context.Background(), n, false); !ok || err != nil {
		s.releaseLocal(n)
		return false
	}
	return true
}

// acquireStore takes n units of the store under a new holder and reports
// whether it did, polling while the store has no room (from 1ms, doubling
// up to 100ms) when wait is set; without wait it reports false at once.
//
//monogen:if shared
func (s *Semaphore) acquireStore(ctx context.Context, n int64, wait bool) (bool, error) {
	sh := &s.shared
	sh.mu.Lock()
	sh.seq++
	holder := sh.id + "-" + strconv.FormatUint(sh.seq, 10)
	sh.mu.Unlock()
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 100*time.Millisecond) {
		sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
		ok, err := sh.store.Acquire(sctx, sh.key, holder, n, s.cfg.N, s.cfg.TTL)
		cancel()
		sh.calls.Add(1)
		switch {
		case err != nil && ctx.Err() != nil:
			return false, ctx.Err()
		case err != nil:
			sh.errs.Add(1)
			if s.grantUnbacked(n) {
				return true, nil
			}
			if s.cfg.OnFail == FailClosed {
				return false, fmt.Errorf("%w: %w", ErrStore, err)
			}
		case ok:
			s.hold(holder, n)
			return true, nil
		}
		if !wait {
			return false, nil
		}
		timer := time.NewTimer(backoff)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return false, ctx.Err()
		}
	}
}

// grantUnbacked grants n units without the store, as the FailMode allows.
//
//monogen:if shared
func (s *Semaphore) grantUnbacked(n int64) bool {
	if s.cfg.OnFail == FailClosed {
		return false
	}
	sh := &s.shared
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if s.cfg.OnFail == FailLocal {
		if sh.local+n > s.cfg.LocalN {
			return false
		}
		sh.local += n
	}
	sh.unbacked[n]++
	return true
}

// hold records holder's n units and starts renewing their lease.
//
//monogen:if shared
func (s *Semaphore) hold(holder string, n int64) {
	sh := &s.shared
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.held[n] = append(sh.held[n], holder)
	sh.holders++
	if sh.stop == nil {
		sh.stop = make(chan struct{})
		go s.renew(sh.stop)
	}
}

// sharedRelease is ReleaseN for a shared semaphore: the store's units of a
// holder of n units, then this process's. It panics if no grant of n units
// is held: a shared semaphore releases units in the amounts it acquired
// them.
//
//monogen:if shared
func (s *Semaphore) sharedRelease(n int64) {
	if n < 0 {
		panic("semaphore: negative weight")
	}
	if n == 0 {
		return
	}
	sh := &s.shared
	sh.mu.Lock()
	holder := ""
	if list := sh.held[n]; len(list) > 0 {
		holder = list[len(list)-1]
		sh.held[n] = list[:len(list)-1]
		sh.holders--
		if sh.holders == 0 {
			close(sh.stop)
			sh.stop = nil
		}
	} else if sh.unbacked[n] > 0 {
		sh.unbacked[n]--
		if s.cfg.OnFail == FailLocal {
			sh.local -= n
		}
	} else {
		sh.mu.Unlock()
		panic("semaphore: released more than held, or in other amounts than acquired")
	}
	sh.mu.Unlock()
	if holder != "" {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.StoreTimeout)
		// A failed release leaves the lease to expire: it is no longer
		// renewed.
		if err := sh.store.Release(ctx, sh.key, holder); err != nil {
			sh.errs.Add(1)
		}
		cancel()
		sh.calls.Add(1)
	}
	s.releaseLocal(n)
}

// renew renews the leases of the units held in the store every third of
// their time to live, until stop is closed: when nothing is held.
//
//monogen:if shared
func (s *Semaphore) renew(stop <-chan struct{}) {
	sh := &s.shared
	ticker := time.NewTicker(s.cfg.TTL / 3)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
		}
		sh.mu.Lock()
		var holders []string
		for _, list := range sh.held {
			holders = append(holders, list...)
		}
		sh.mu.Unlock()
		if len(holders) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.StoreTimeout)
		renewed, err := sh.store.Renew(ctx, sh.key, holders, s.cfg.TTL)
		cancel()
		sh.calls.Add(1)
		if err != nil {
			sh.errs.Add(1)
			continue
		}
		if lost := len(holders) - renewed; lost > 0 {
			sh.lost.Add(uint64(lost))
		}
	}
}

// tryAcquireLocal is TryAcquireN of this process's count.
//
//monogen:if shared
func (s *Semaphore) tryAcquireLocal(n int64) bool {
	if n < 0 {
		panic("semaphore: negative weight")
	}
	for {
		c := s.state.Load()
		if n > s.cfg.N-c {
			return false
		}
		if s.state.CompareAndSwap(c, c+n) {
			return true
		}
	}
}

// releaseLocal is ReleaseN of this process's count.
//
//monogen:if shared
func (s *Semaphore) releaseLocal(n int64) {
	if c := s.state.Add(-n); c&(queuedBit|overBit) != 0 || c < 0 {
		s.releaseSlow(c)
	}
}

// SharedStats counts a shared semaphore's calls to its store.
//
//monogen:if shared
type SharedStats struct {
	// Calls and Errors count calls to the store, and those that failed.
	Calls, Errors uint64
	// Lost counts leases found expired at renewal: their holders went on
	// without the units, which others may have taken.
	Lost uint64
	// Unbacked is the number of grants held now that were made while the
	// store failed.
	Unbacked int64
}

// SharedStats returns the counts of the semaphore's calls to its store.
//
//monogen:if shared
func (s *Semaphore) SharedStats() SharedStats {
	sh := &s.shared
	sh.mu.Lock()
	unbacked := int64(0)
	for _, c := range sh.unbacked {
		unbacked += c
	}
	sh.mu.Unlock()
	return SharedStats{Calls: sh.calls.Load(), Errors: sh.errs.Load(), Lost: sh.lost.Load(), Unbacked: unbacked}
}
