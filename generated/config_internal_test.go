package generated

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// confSlotsWaiters counts the queued Acquire calls of s.
func confSlotsWaiters(s *ConfSlots) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for w := s.head; w != nil; w = w.next {
		n++
	}
	return n
}

// waitConfSlotsQueued spins until s has n queued waiters.
func waitConfSlotsQueued(s *ConfSlots, n int) {
	for confSlotsWaiters(s) != n {
		runtime.Gosched()
	}
}

// TestConfSlotsZeroConfigTakesDirectiveCapacity: a zero ConfSlotsConfig
// takes n=4 from the directive, and a given N replaces it.
func TestConfSlotsZeroConfigTakesDirectiveCapacity(t *testing.T) {
	if got := NewConfSlots(ConfSlotsConfig{}).Available(); got != 4 {
		t.Fatalf("NewConfSlots(ConfSlotsConfig{}).Available() = %d, want the directive's 4", got)
	}
	s := NewConfSlots(ConfSlotsConfig{N: 7})
	if got := s.Available(); got != 7 {
		t.Fatalf("Available with N=7 = %d, want 7", got)
	}
	if !s.TryAcquireN(7) || s.TryAcquire() {
		t.Fatal("capacity 7 did not admit exactly 7 units")
	}
	s.ReleaseN(7)
}

// TestNewConfSlotsPanicsOnInvalidCapacity: a negative N, or one above
// ConfSlotsMaxN, makes NewConfSlots panic, as its doc says.
func TestNewConfSlotsPanicsOnInvalidCapacity(t *testing.T) {
	for _, n := range []int64{-1, ConfSlotsMaxN + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewConfSlots(N: %d) did not panic", n)
				}
			}()
			NewConfSlots(ConfSlotsConfig{N: n})
		}()
	}
}

// TestConfSlotsSetCapacityGrowAdmitsWaitersInFIFOOrder is the semaphore
// template's test of the same name on the generated ConfSlots.
func TestConfSlotsSetCapacityGrowAdmitsWaitersInFIFOOrder(t *testing.T) {
	s := NewConfSlots(ConfSlotsConfig{N: 2})
	ctx := context.Background()
	if err := s.AcquireN(ctx, 2); err != nil {
		t.Fatal(err)
	}
	big := make(chan error, 1)
	go func() { big <- s.AcquireN(ctx, 2) }()
	waitConfSlotsQueued(s, 1)
	small := make(chan error, 1)
	go func() { small <- s.Acquire(ctx) }()
	waitConfSlotsQueued(s, 2)

	s.SetCapacity(3)
	if got := confSlotsWaiters(s); got != 2 {
		t.Fatalf("after growing to 3: %d waiters, want 2 (the small waiter overtook the head)", got)
	}
	s.SetCapacity(4)
	if err := <-big; err != nil {
		t.Fatal(err)
	}
	if got := confSlotsWaiters(s); got != 1 {
		t.Fatalf("after growing to 4: %d waiters, want 1", got)
	}
	s.Release()
	if err := <-small; err != nil {
		t.Fatal(err)
	}
	s.ReleaseN(4)
	if got := s.Available(); got != 4 {
		t.Fatalf("Available = %d, want 4", got)
	}
}

// TestConfSlotsSetCapacityShrinkKeepsHolders is the semaphore template's
// test of the same name on the generated ConfSlots.
func TestConfSlotsSetCapacityShrinkKeepsHolders(t *testing.T) {
	s := NewConfSlots(ConfSlotsConfig{})
	ctx := context.Background()
	if err := s.AcquireN(ctx, 4); err != nil {
		t.Fatal(err)
	}
	s.SetCapacity(2)
	if got := s.Available(); got != -2 {
		t.Fatalf("Available after shrinking 4 held to capacity 2 = %d, want -2", got)
	}
	if s.TryAcquire() {
		t.Fatal("TryAcquire succeeded with 4 held under capacity 2")
	}
	got := make(chan error, 1)
	go func() { got <- s.Acquire(ctx) }()
	waitConfSlotsQueued(s, 1)
	s.ReleaseN(2)
	if n := confSlotsWaiters(s); n != 1 {
		t.Fatalf("waiter admitted with 2 held under capacity 2 (%d waiters)", n)
	}
	s.Release()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	s.ReleaseN(2)
	if n := s.Available(); n != 2 {
		t.Fatalf("Available after every release = %d, want 2", n)
	}
}

// TestConfSlotsSetCapacityConcurrentWithAcquire is the semaphore template's
// test of the same name on the generated ConfSlots.
func TestConfSlotsSetCapacityConcurrentWithAcquire(t *testing.T) {
	const most = 8
	s := NewConfSlots(ConfSlotsConfig{N: most})
	ctx := context.Background()
	var held, peak atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(g%2 + 1)
			for range 2000 {
				if err := s.AcquireN(ctx, n); err != nil {
					t.Error(err)
					return
				}
				h := held.Add(n)
				for p := peak.Load(); h > p && !peak.CompareAndSwap(p, h); p = peak.Load() {
				}
				held.Add(-n)
				s.ReleaseN(n)
			}
		}()
	}
	stop, setter := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(setter)
		for i := int64(0); ; i++ {
			select {
			case <-stop:
				s.SetCapacity(most)
				return
			default:
			}
			s.SetCapacity(i%(most-1) + 2)
		}
	}()
	wg.Wait()
	close(stop)
	<-setter
	if p := peak.Load(); p > most {
		t.Fatalf("held %d at once, more than the largest capacity %d", p, most)
	}
	if got := s.Available(); got != most {
		t.Fatalf("Available at the end = %d, want %d", got, most)
	}
}
