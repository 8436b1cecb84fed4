package semaphore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/monogen/monogen/templates/semaphore"
)

// TestSetCapacityGrowAdmitsWaitersInFIFOOrder grows the capacity under a
// queue whose head needs more than the first grow frees: the small waiter
// behind it must not overtake it, and the second grow admits the head alone.
func TestSetCapacityGrowAdmitsWaitersInFIFOOrder(t *testing.T) {
	s := semaphore.New(2)
	ctx := context.Background()
	if err := s.AcquireN(ctx, 2); err != nil {
		t.Fatal(err)
	}
	big := make(chan error, 1)
	go func() { big <- s.AcquireN(ctx, 2) }()
	waitQueued(t, s, 1)
	small := make(chan error, 1)
	go func() { small <- s.Acquire(ctx) }()
	waitQueued(t, s, 2)

	s.SetCapacity(3) // one unit free: the head needs two, the small one waits behind it
	if got := s.Waiters(); got != 2 {
		t.Fatalf("after growing to 3: %d waiters, want 2 (the small waiter overtook the head)", got)
	}
	s.SetCapacity(4) // two free: the head fits
	if err := <-big; err != nil {
		t.Fatalf("head AcquireN(2) after the grow: %v", err)
	}
	if got := s.Waiters(); got != 1 {
		t.Fatalf("after growing to 4: %d waiters, want 1 (the small one, no room left)", got)
	}
	s.Release()
	if err := <-small; err != nil {
		t.Fatalf("small Acquire: %v", err)
	}
	s.ReleaseN(4)
	if got := s.Available(); got != 4 {
		t.Fatalf("Available = %d, want 4", got)
	}
}

// TestSetCapacityGrowAdmitsEveryWaiterThatFits checks that one grow admits
// as many queued waiters as the new units cover, not only the head.
func TestSetCapacityGrowAdmitsEveryWaiterThatFits(t *testing.T) {
	s := semaphore.New(1)
	ctx := context.Background()
	if err := s.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 3)
	for i := range 3 {
		go func() { errs <- s.Acquire(ctx) }()
		waitQueued(t, s, i+1)
	}
	s.SetCapacity(3)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Waiters(); got != 1 {
		t.Fatalf("after growing from 1 to 3 under 3 waiters: %d waiters, want 1", got)
	}
	s.SetCapacity(4)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	s.ReleaseN(4)
}

// TestSetCapacityShrinkKeepsHolders shrinks the capacity below what is held:
// the holders keep their units and release them without panicking, and a
// new Acquire waits until the held weight is below the new capacity.
func TestSetCapacityShrinkKeepsHolders(t *testing.T) {
	s := semaphore.New(4)
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
	waitQueued(t, s, 1)
	s.ReleaseN(2) // 2 held: still no room under 2
	if n := s.Waiters(); n != 1 {
		t.Fatalf("waiter admitted with 2 held under capacity 2 (%d waiters)", n)
	}
	s.Release() // 1 held: room for one
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if n := s.Available(); n != 0 {
		t.Fatalf("Available = %d, want 0", n)
	}
	s.ReleaseN(2)
	if n := s.Available(); n != 2 {
		t.Fatalf("Available after every release = %d, want 2", n)
	}
}

func TestSetCapacityPanicsOnBadCapacity(t *testing.T) {
	s := semaphore.New(1)
	for _, n := range []int64{0, -1, semaphore.MaxN + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SetCapacity(%d) did not panic", n)
				}
			}()
			s.SetCapacity(n)
		}()
	}
	if got := s.Available(); got != 1 {
		t.Fatalf("Available after refused SetCapacity = %d, want 1", got)
	}
}

// TestSetCapacityConcurrentWithAcquire changes the capacity between 1 and 8
// while holders come and go: the weight held never exceeds the largest
// capacity set, nobody is left waiting once the capacity ends at 8, and the
// semaphore ends empty.
func TestSetCapacityConcurrentWithAcquire(t *testing.T) {
	const most = 8
	s := semaphore.New(most)
	ctx := context.Background()
	var held, peak atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(g%2 + 1)
			for i := 0; i < 2000; i++ {
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
	setter := make(chan struct{})
	go func() {
		defer close(setter)
		for i := int64(0); ; i++ {
			select {
			case <-stop:
				s.SetCapacity(most)
				return
			default:
			}
			s.SetCapacity(i%(most-1) + 2) // 2, 3, ..., most, 2, ...
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
