package keyedsem

import (
	"context"
	"testing"
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
	if !sl.evicted.Load() || s.Len() != 0 {
		t.Fatal("the idle slot was not evicted")
	}
	if err := s.Acquire(context.Background(), "k", 1); err != nil {
		t.Fatal(err)
	}
	now, _ := s.slots.Load("k")
	if now == sl || s.Held("k") != 1 || sl.held != 0 {
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
	if sl.evicted.Load() || s.Len() != 1 {
		t.Fatal("a slot with a holder was evicted")
	}
	s.Release("k", 1)
}
