package keyedsem_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/templates/keyedsem"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func sem(n int64, idle time.Duration, keys int64) *keyedsem.Semaphore[string] {
	return keyedsem.New[string](keyedsem.Config{N: n, Idle: idle, Keys: keys})
}

func TestInvalidConfigPanics(t *testing.T) {
	for name, cfg := range map[string]keyedsem.Config{
		"n=0":    {},
		"n>max":  {N: keyedsem.MaxN + 1},
		"idle<0": {N: 1, Idle: -1},
		"keys<0": {N: 1, Keys: -1},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			keyedsem.New[string](cfg)
		})
	}
}

func TestEachKeyHasItsOwnCapacity(t *testing.T) {
	s := sem(2, 0, 0)
	if !s.TryAcquire("a", 2) || s.TryAcquire("a", 1) {
		t.Fatal("key a: want 2 units, then none")
	}
	first, second, third := s.TryAcquire("b", 1), s.TryAcquire("b", 1), s.TryAcquire("b", 1)
	if !first || !second || third {
		t.Fatal("key b: want its own 2 units")
	}
	if s.TryAcquire("c", 3) {
		t.Fatal("key c: 3 units acquired of a capacity of 2")
	}
	s.Release("a", 1)
	if got := s.Held("a"); got != 1 {
		t.Fatalf("Held(a) = %d, want 1", got)
	}
	// A request above the capacity creates no slot.
	if s.Len() != 2 {
		t.Fatalf("Len = %d, want 2", s.Len())
	}
}

func TestReleaseGrantsWaitersInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sem(2, 0, 0)
		ctx := context.Background()
		s.TryAcquire("a", 2)
		var order []int
		var mu sync.Mutex
		for i, n := range []int64{2, 1} {
			go func() {
				if err := s.Acquire(ctx, "a", n); err != nil {
					t.Error(err)
				}
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
			}()
			synctest.Wait() // queued, in order
		}
		// One unit back: the head wants 2, and the 1 behind it waits too.
		s.Release("a", 1)
		synctest.Wait()
		if len(order) != 0 {
			t.Fatalf("granted %v with one unit free; want none: the head wants 2", order)
		}
		s.Release("a", 1)
		synctest.Wait()
		s.Release("a", 2)
		synctest.Wait()
		if len(order) != 2 || order[0] != 0 || order[1] != 1 {
			t.Fatalf("granted in order %v, want [0 1]", order)
		}
		s.Release("a", 1)
	})
}

func TestAcquireCanceledLeavesTheKeyUnchanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sem(1, 0, 0)
		s.TryAcquire("a", 1)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error)
		go func() { errc <- s.Acquire(ctx, "a", 1) }()
		synctest.Wait()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("Acquire = %v, want context.Canceled", err)
		}
		s.Release("a", 1)
		if !s.TryAcquire("a", 1) {
			t.Fatal("the unit did not come back to key a")
		}
	})
}

func TestReleaseMoreThanHeldPanics(t *testing.T) {
	s := sem(2, 0, 0)
	s.TryAcquire("a", 1)
	defer func() {
		if recover() == nil {
			t.Error("Release of 2 units of the 1 held did not panic")
		}
	}()
	s.Release("a", 2)
}

func TestIdleKeysAreEvictedWhenNewKeysCome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sem(1, time.Minute, 0)
		s.TryAcquire("a", 1)
		s.Release("a", 1)
		s.TryAcquire("held", 1)
		time.Sleep(time.Minute)
		// The first sweep, due at 1m, marks a, idle.
		s.TryAcquire("b", 1)
		if s.Len() != 3 {
			t.Fatalf("Len = %d after the first sweep, want 3: it only marks a", s.Len())
		}
		time.Sleep(time.Minute)
		// The next, a minute after the mark, finds a still idle.
		s.TryAcquire("c", 1)
		if s.Len() != 3 {
			t.Fatalf("Len = %d after the second sweep, want 3 (held, b and c)", s.Len())
		}
		if s.Held("held") != 1 || s.TryAcquire("held", 1) {
			t.Fatal("the key with a holder was reset by the sweep")
		}
		// An evicted key comes back with its whole capacity.
		if !s.TryAcquire("a", 1) {
			t.Fatal("key a refused after its eviction")
		}
	})
}

// TestKeysWithHoldersOrWaitersAreNeverEvicted sweeps, long after every
// idle period, a semaphore whose keys have holders or waiters: none is
// evicted, the waiter is granted by the holder's release, and the capacity
// of each key still holds.
func TestKeysWithHoldersOrWaitersAreNeverEvicted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sem(1, time.Millisecond, 0)
		ctx := context.Background()
		s.TryAcquire("held", 1)
		s.TryAcquire("waited", 1)
		got := make(chan error)
		go func() { got <- s.Acquire(ctx, "waited", 1) }()
		synctest.Wait()
		s.Sweep()
		time.Sleep(time.Hour)
		s.Sweep()
		s.TryAcquire("new", 1) // a sweep of its own
		if s.Len() != 3 {
			t.Fatalf("Len = %d, want 3", s.Len())
		}
		if s.TryAcquire("held", 1) {
			t.Fatal("key held admitted a second holder after the sweeps")
		}
		s.Release("waited", 1)
		if err := <-got; err != nil {
			t.Fatalf("the waiter failed: %v", err)
		}
		s.Release("waited", 1)
		s.Release("held", 1)
		s.Release("new", 1)
	})
}

func TestFullSemaphoreRefusesNewKeysUntilOneIsIdle(t *testing.T) {
	s := sem(1, time.Hour, 2)
	s.TryAcquire("a", 1)
	s.TryAcquire("b", 1)
	if s.TryAcquire("c", 1) {
		t.Fatal("key c acquired while 2 keys had holders")
	}
	if err := s.Acquire(context.Background(), "c", 1); !errors.Is(err, keyedsem.ErrTooManyKeys) {
		t.Fatalf("Acquire(c) = %v, want ErrTooManyKeys", err)
	}
	s.Release("a", 1)
	if !s.TryAcquire("c", 1) {
		t.Fatal("key c refused although a was idle")
	}
	if s.Len() != 2 || s.Held("b") != 1 || s.TryAcquire("b", 1) {
		t.Fatal("key b, held, was evicted to make room")
	}
}

// TestConcurrentSweepsNeverExceedACapacity runs holders on a few keys from
// many goroutines while another goroutine sweeps every idle key as fast as
// it can: a key's holders never exceed its capacity.
func TestConcurrentSweepsNeverExceedACapacity(t *testing.T) {
	const keys, n, workers, rounds = 4, 2, 8, 2000
	s := keyedsem.New[int](keyedsem.Config{N: n, Keys: keys})
	var inside [keys]atomic.Int64
	var over atomic.Int64
	var wg sync.WaitGroup
	stop, swept := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(swept)
		for {
			select {
			case <-stop:
				return
			default:
				s.Sweep()
			}
		}
	}()
	ctx := context.Background()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				k := (i + w) % keys
				if err := s.Acquire(ctx, k, 1); err != nil {
					t.Error(err)
					return
				}
				if inside[k].Add(1) > n {
					over.Add(1)
				}
				inside[k].Add(-1)
				s.Release(k, 1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-swept
	if over.Load() != 0 {
		t.Fatalf("%d times a key had more than %d holders", over.Load(), n)
	}
	if s.Len() > keys {
		t.Fatalf("Len = %d, more than keys=%d", s.Len(), keys)
	}
}

// TestAKeyUsedSinceItsMarkIsNotEvicted marks an idle key with a sweep, uses
// it, and sweeps again an idle period later: the key stays, since it was
// not idle all that time, and only the sweep an idle period after the next
// mark evicts it.
func TestAKeyUsedSinceItsMarkIsNotEvicted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sem(1, time.Minute, 0)
		s.TryAcquire("a", 1)
		s.Release("a", 1)
		s.Sweep() // marks a
		time.Sleep(time.Minute - time.Second)
		s.TryAcquire("a", 1)
		s.Release("a", 1)
		time.Sleep(time.Second)
		s.Sweep() // a minute after the mark, a second after a's release
		if s.Len() != 1 {
			t.Fatalf("Len = %d, want 1: a was used since its mark", s.Len())
		}
		time.Sleep(time.Minute)
		s.Sweep()
		if s.Len() != 0 {
			t.Fatalf("Len = %d, want 0: a idle since the last mark, a minute ago", s.Len())
		}
	})
}

// TestAcquireIsNeverLeftWaitingByAConcurrentRelease runs Acquire and
// Release of random weights on one key from many goroutines, so that
// callers queue while others release without the lock: every Acquire
// returns (a waiter queued as the units it waits for come back is granted),
// and the key's holders never exceed its capacity.
func TestAcquireIsNeverLeftWaitingByAConcurrentRelease(t *testing.T) {
	const n, workers, rounds = 3, 8, 3000
	s := sem(n, 0, 0)
	var inside, over atomic.Int64
	var wg sync.WaitGroup
	ctx := context.Background()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				weight := int64((i+w)%n + 1)
				if err := s.Acquire(ctx, "k", weight); err != nil {
					t.Error(err)
					return
				}
				if inside.Add(weight) > n {
					over.Add(1)
				}
				inside.Add(-weight)
				s.Release("k", weight)
			}
		}()
	}
	wg.Wait()
	if over.Load() != 0 {
		t.Fatalf("%d times the key had more than %d units held", over.Load(), n)
	}
	if s.Held("k") != 0 || !s.TryAcquire("k", n) {
		t.Fatalf("Held = %d after every release, want 0 and the whole capacity free", s.Held("k"))
	}
}

// releaseCtx is a context whose first Done call runs release, and whose
// later calls find it canceled: it plays a Release that runs between an
// Acquire's check that its units do not fit and its queueing.
type releaseCtx struct {
	context.Context
	release func()
	calls   int
}

func (c *releaseCtx) Done() <-chan struct{} {
	c.calls++
	if c.calls == 1 {
		c.release()
		return nil
	}
	done := make(chan struct{})
	close(done)
	return done
}

func (c *releaseCtx) Err() error {
	if c.calls > 1 {
		return context.Canceled
	}
	return nil
}

// TestReleaseBetweenAnAcquiresCheckAndItsQueueingIsNotLost releases a unit
// of a full key, without the lock, just after an Acquire of the key found
// no room and before it queues: the Acquire must see the unit and take it,
// not queue with the count it read (which would lose the release, and leave
// the Acquire waiting for a unit already free).
func TestReleaseBetweenAnAcquiresCheckAndItsQueueingIsNotLost(t *testing.T) {
	s := sem(2, 0, 0)
	s.TryAcquire("k", 2)
	ctx := &releaseCtx{Context: context.Background(), release: func() { s.Release("k", 1) }}
	if err := s.Acquire(ctx, "k", 1); err != nil {
		t.Fatalf("Acquire = %v, want nil: a unit was free", err)
	}
	if got := s.Held("k"); got != 2 {
		t.Fatalf("Held = %d, want 2: one unit left, one taken", got)
	}
	s.Release("k", 2)
	if !s.TryAcquire("k", 2) {
		t.Fatal("the capacity did not come back")
	}
}

// TestNaNKeyFailsWithErrNaNKeyAndHoldsNothing: a key not equal to itself (a
// NaN, or a struct or interface holding one) is never found in the map again.
// Acquire used to give it a slot and its units, which Release then could not
// find: Release panicked ("released more than held") and the slot stayed in
// the map forever. Acquire fails with ErrNaNKey and TryAcquire with false,
// holding nothing.
func TestNaNKeyFailsWithErrNaNKeyAndHoldsNothing(t *testing.T) {
	nan := math.NaN()
	type point struct{ X, Y float64 }
	floats := keyedsem.New[float64](keyedsem.Config{N: 2, Idle: time.Minute, Keys: 4})
	points := keyedsem.New[point](keyedsem.Config{N: 2, Idle: time.Minute})
	anys := keyedsem.New[any](keyedsem.Config{N: 2, Idle: time.Minute})
	ctx := context.Background()
	for range 10 {
		for _, err := range []error{floats.Acquire(ctx, nan, 1), points.Acquire(ctx, point{nan, 0}, 1), anys.Acquire(ctx, nan, 1)} {
			if !errors.Is(err, keyedsem.ErrNaNKey) {
				t.Fatalf("Acquire of a NaN key: %v, want ErrNaNKey", err)
			}
		}
		if floats.TryAcquire(nan, 1) || points.TryAcquire(point{0, nan}, 1) || anys.TryAcquire(nan, 1) {
			t.Fatal("TryAcquire of a NaN key succeeded")
		}
	}
	if n := floats.Len() + points.Len() + anys.Len(); n != 0 {
		t.Fatalf("Len = %d after NaN keys, want 0", n)
	}
	// -0 and +0 are one key, of capacity 2.
	if !floats.TryAcquire(0, 1) || !floats.TryAcquire(math.Copysign(0, -1), 1) || floats.TryAcquire(0, 1) {
		t.Fatal("-0 and +0 are not one key of capacity 2")
	}
	floats.Release(math.Copysign(0, -1), 2)
	if h := floats.Held(0); h != 0 {
		t.Fatalf("Held(0) = %d after releasing both units through -0, want 0", h)
	}
}
