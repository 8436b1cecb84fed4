package keyedsem

import (
	"context"
	"testing"
	"time"
)

// TestAcquireOfAnEvictedSlotLooksTheKeyUpAgain plays an Acquire that found
// key's slot just before a sweep evicted it: the Acquire must take its unit
// on the key's new slot, the one in the map, not on the evicted one.
func TestAcquireOfAnEvictedSlotLooksTheKeyUpAgain(t *testing.T) {
	s := New[string](Config{N: 1})
	sl, err := s.slot("k")
	if err != nil {
		t.Fatal(err)
	}
	// The sweep runs between the lookup and the lock.
	s.sweepMu.Lock()
	s.sweep(s.clock(), 0)
	s.sweepMu.Unlock()
	if sl.state.Load() != evicted || s.Len() != 0 {
		t.Fatal("the idle slot was not evicted")
	}
	if err := s.Acquire(context.Background(), "k", 1); err != nil {
		t.Fatal(err)
	}
	now, _ := s.slots.Load("k")
	if now == sl || s.Held("k") != 1 || sl.state.Load() != evicted {
		t.Fatal("the unit was not taken on the key's new slot")
	}
	if s.TryAcquire("k", 1) {
		t.Fatal("a second unit of a capacity of 1 was acquired")
	}
}

// TestSweepNeverEvictsASlotWithAHolder plays a sweep that visits a slot
// right after an Acquire took a unit on it: the slot stays.
func TestSweepNeverEvictsASlotWithAHolder(t *testing.T) {
	s := New[string](Config{N: 1})
	sl, _ := s.slot("k")
	if !s.TryAcquire("k", 1) {
		t.Fatal("TryAcquire failed")
	}
	s.sweepMu.Lock()
	s.sweep(s.clock()+1<<40, 0)
	s.sweepMu.Unlock()
	if sl.state.Load() == evicted || s.Len() != 1 {
		t.Fatal("a slot with a holder was evicted")
	}
	s.Release("k", 1)
}

// TestCallsOfAKeyWithoutWaitersTakeNoLock holds the lock of a key's queue
// while TryAcquire, Acquire and Release of the key run: with no caller
// waiting, they complete without it, with one compare-and-swap on the
// key's count each.
func TestCallsOfAKeyWithoutWaitersTakeNoLock(t *testing.T) {
	s := New[string](Config{N: 2})
	sl, _ := s.slot("k")
	q := sl.lockQueue()
	done := make(chan bool)
	go func() {
		ok := s.TryAcquire("k", 1) && s.Acquire(context.Background(), "k", 1) == nil
		s.Release("k", 2)
		done <- ok && s.Held("k") == 0
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
		t.Fatal("TryAcquire, Acquire and Release of a key without waiters waited for its slot's lock")
	}
}
