package generated

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPerIPEvictionNeverResetsAKeyInUse is the keyedrate template's test of
// the same name on the generated PerIP: a sweep finds a client's bucket full
// and idle, an event takes a token before the sweep evicts it, and the
// eviction must fail, the token staying taken.
func TestPerIPEvictionNeverResetsAKeyInUse(t *testing.T) {
	epoch := time.Now()
	l := NewPerIPAt(epoch)
	a := clientAddr(1)
	for range 5 {
		l.allow(a, 0)
	}
	b := l.buckets.LoadPointer(a)
	// At 2m the bucket, full since 500ms, has been idle for over a minute.
	now := int64(2 * time.Minute)
	s := atomic.LoadInt64(b)
	if s > now-int64(500*time.Millisecond)-int64(time.Minute) {
		t.Fatal("the bucket is not full and idle at 2m")
	}
	for range 5 {
		if !l.allow(a, now) {
			t.Fatal("an event of the full burst at 2m was refused")
		}
	}
	if l.evict(a, b, s) {
		t.Fatal("the sweep evicted a bucket whose tokens events had just taken")
	}
	if got := l.buckets.LoadPointer(a); got != b || l.Len() != 1 {
		t.Fatal("the client's bucket left the map")
	}
	if l.allow(a, now) {
		t.Fatal("a sixth event at 2m was admitted: the client was reset")
	}
}

// TestPerUserConcurrentSweepsNeverAdmitMoreThanTheBurst hammers users from
// many goroutines at one instant while another goroutine sweeps at a time
// when a bucket no event has used is full and idle, and one that an event
// used is not: each user admits exactly its burst of 2, however the sweeps
// and the events interleave.
func TestPerUserConcurrentSweepsNeverAdmitMoreThanTheBurst(t *testing.T) {
	const users, workers, tries = 512, 8, 1000
	l := NewPerUserAt(time.Now())
	// Events at 0; a used bucket is full again at 10ms, so idle at 60ms,
	// after the sweeps' 55ms.
	sweepAt := int64(55 * time.Millisecond)
	var admitted [users]atomic.Int64
	var wg sync.WaitGroup
	stop, swept := make(chan struct{}), make(chan struct{})
	var sweeps int
	go func() {
		defer close(swept)
		for {
			select {
			case <-stop:
				return
			default:
				l.sweepMu.Lock()
				l.sweep(sweepAt, int64(50*time.Millisecond))
				l.sweepMu.Unlock()
				sweeps++
			}
		}
	}()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range tries {
				u := uint64((i*13 + w) % users)
				if l.allow(u, 0) {
					admitted[u].Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-swept
	for u := range admitted {
		if n := admitted[u].Load(); n != 2 {
			t.Errorf("user %d admitted %d events at one instant, want its burst of 2", u, n)
		}
	}
	if sweeps == 0 {
		t.Error("no sweep ran")
	}
}

// TestPerTenantAcquireOfAnEvictedSlotLooksTheKeyUpAgain is the keyedsem
// template's test of the same name on the generated PerTenant: an Acquire
// that found the tenant's slot just before a sweep evicted it takes its
// unit on the tenant's new slot.
func TestPerTenantAcquireOfAnEvictedSlotLooksTheKeyUpAgain(t *testing.T) {
	s := NewPerTenant()
	sl, err := s.slot("acme")
	if err != nil {
		t.Fatal(err)
	}
	s.sweepMu.Lock()
	s.sweep(s.clock(), 0)
	s.sweepMu.Unlock()
	if sl.state.Load() != perTenantEvicted || s.Len() != 0 {
		t.Fatal("the idle slot was not evicted")
	}
	for range 4 {
		if err := s.Acquire(context.Background(), "acme", 1); err != nil {
			t.Fatal(err)
		}
	}
	if now, _ := s.slots.Load("acme"); now == sl || s.Held("acme") != 4 || sl.state.Load() != perTenantEvicted {
		t.Fatal("the units were not taken on the tenant's new slot")
	}
	if s.TryAcquire("acme", 1) {
		t.Fatal("a fifth unit of a capacity of 4 was acquired")
	}
}

// TestPerTenantCallsOfAKeyWithoutWaitersTakeNoLock is the keyedsem
// template's test of the same name on the generated PerTenant: with the
// lock of a tenant's queue held, TryAcquire, Acquire and Release of the
// tenant complete, since no caller waits.
func TestPerTenantCallsOfAKeyWithoutWaitersTakeNoLock(t *testing.T) {
	s := NewPerTenant()
	sl, _ := s.slot("acme")
	q := sl.lockQueue()
	done := make(chan bool)
	go func() {
		ok := s.TryAcquire("acme", 1) && s.Acquire(context.Background(), "acme", 3) == nil
		s.Release("acme", 4)
		done <- ok && s.Held("acme") == 0
	}()
	select {
	case ok := <-done:
		q.mu.Unlock()
		if !ok {
			t.Fatal("TryAcquire, Acquire or Release failed")
		}
	case <-time.After(10 * time.Second):
		// Let the calls finish, for the goroutine leak check.
		q.mu.Unlock()
		<-done
		t.Fatal("TryAcquire, Acquire and Release of a tenant without waiters waited for its slot's lock")
	}
}
