package semaphore_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/templates/semaphore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitQueued spins until s has n queued waiters.
func waitQueued(t *testing.T, s *semaphore.Semaphore, n int) {
	t.Helper()
	for s.Waiters() != n {
		runtime.Gosched()
	}
}

func TestAcquireRelease(t *testing.T) {
	s := semaphore.New(3)
	ctx := context.Background()
	for i := range 3 {
		if err := s.Acquire(ctx); err != nil {
			t.Fatalf("Acquire %d: %v", i, err)
		}
	}
	if s.TryAcquire() {
		t.Fatal("TryAcquire succeeded at capacity")
	}
	if got := s.Available(); got != 0 {
		t.Fatalf("Available = %d, want 0", got)
	}
	s.Release()
	if !s.TryAcquire() {
		t.Fatal("TryAcquire failed with a free unit")
	}
	s.ReleaseN(3)
	if !s.TryAcquireN(3) {
		t.Fatal("TryAcquireN(3) failed on an empty semaphore")
	}
	if s.TryAcquireN(1) {
		t.Fatal("TryAcquireN(1) succeeded at capacity")
	}
	s.ReleaseN(3)
	if got := s.Available(); got != 3 {
		t.Fatalf("Available = %d, want 3", got)
	}
}

func TestNewPanicsOnBadCapacity(t *testing.T) {
	for _, n := range []int64{0, -1, semaphore.MaxN + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d) did not panic", n)
				}
			}()
			semaphore.New(n)
		}()
	}
}

func TestOverReleasePanics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		queued bool
	}{{"idle", false}, {"queued", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := semaphore.New(2)
			s.ReleaseN(0)
			if !s.TryAcquire() {
				t.Fatal("TryAcquire failed")
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			if tc.queued {
				go func() { done <- s.AcquireN(ctx, 2) }()
				waitQueued(t, s, 1)
			}
			func() {
				defer func() {
					if recover() == nil {
						t.Error("ReleaseN(2) with 1 held did not panic")
					}
				}()
				s.ReleaseN(2)
			}()
			cancel()
			if tc.queued {
				<-done
			}
		})
	}
}

// TestFIFO checks that a large waiter is served before smaller requests
// that arrive after it, even when those would fit.
func TestFIFO(t *testing.T) {
	s := semaphore.New(4)
	ctx := context.Background()
	if err := s.AcquireN(ctx, 3); err != nil {
		t.Fatal(err)
	}
	big := make(chan error)
	go func() { big <- s.AcquireN(ctx, 4) }()
	waitQueued(t, s, 1)

	if s.TryAcquire() {
		t.Fatal("TryAcquire overtook a queued waiter")
	}
	small := make(chan error)
	go func() { small <- s.Acquire(ctx) }()
	waitQueued(t, s, 2)

	s.ReleaseN(3)
	if err := <-big; err != nil {
		t.Fatalf("big AcquireN: %v", err)
	}
	select {
	case <-small:
		t.Fatal("small Acquire granted while big holds everything")
	default:
	}
	s.ReleaseN(4)
	if err := <-small; err != nil {
		t.Fatalf("small Acquire: %v", err)
	}
	s.Release()
	if got := s.Available(); got != 4 {
		t.Fatalf("Available = %d, want 4", got)
	}
}

// TestCancelHeadUnblocksNext checks that cancelling a large head waiter lets
// the smaller waiters behind it in, and leaves the semaphore unchanged.
func TestCancelHeadUnblocksNext(t *testing.T) {
	s := semaphore.New(4)
	bg := context.Background()
	if err := s.AcquireN(bg, 2); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	big := make(chan error)
	go func() { big <- s.AcquireN(ctx, 4) }()
	waitQueued(t, s, 1)
	small := make(chan error)
	go func() { small <- s.AcquireN(bg, 2) }()
	waitQueued(t, s, 2)

	cancel()
	if err := <-big; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled AcquireN = %v, want context.Canceled", err)
	}
	if err := <-small; err != nil {
		t.Fatalf("small AcquireN: %v", err)
	}
	if got := s.Available(); got != 0 {
		t.Fatalf("Available = %d, want 0", got)
	}
	s.ReleaseN(4)
	if !s.TryAcquireN(4) {
		t.Fatal("queue not cleared after the last waiter left")
	}
}

func TestAcquireDoneContext(t *testing.T) {
	s := semaphore.New(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// A free unit may be acquired even with a done context...
	if err := s.Acquire(ctx); err != nil {
		t.Fatalf("Acquire of a free unit: %v", err)
	}
	// ...but a wait fails at once.
	if err := s.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire at capacity = %v, want context.Canceled", err)
	}
	if s.Waiters() != 0 {
		t.Fatal("failed Acquire left a waiter")
	}
	// More than the capacity can only fail, and does not queue.
	if err := s.AcquireN(ctx, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("AcquireN(2) = %v, want context.Canceled", err)
	}
	s.Release()
	if err := s.AcquireN(context.Background(), 0); err != nil {
		t.Fatalf("AcquireN(0): %v", err)
	}
	if got := s.Available(); got != 1 {
		t.Fatalf("Available = %d, want 1", got)
	}
}

// TestStress runs weighted acquirers, some of which give up, and checks
// that the held weight never exceeds the capacity and that everything is
// given back. Acquire runs among the others.
func TestStress(t *testing.T) {
	const (
		capacity   = 10
		goroutines = 16
		iterations = 2000
	)
	s := semaphore.New(capacity)
	var held, acquired, cancelled atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range iterations {
				n := 1 + r.Int64N(capacity/2)
				ctx, cancel := context.WithCancel(context.Background())
				if r.IntN(8) == 0 {
					cancel() // gives up at once if it has to wait
				}
				var err error
				switch r.IntN(4) {
				case 0:
					if !s.TryAcquireN(n) {
						err = context.Canceled
					}
				case 1:
					if n = 1; !s.TryAcquire() {
						err = context.Canceled
					}
				case 2:
					n = 1
					err = s.Acquire(ctx)
				default:
					err = s.AcquireN(ctx, n)
				}
				cancel()
				if err != nil {
					cancelled.Add(1)
					continue
				}
				acquired.Add(1)
				if h := held.Add(n); h > capacity {
					t.Errorf("held %d > capacity %d", h, capacity)
				}
				runtime.Gosched()
				held.Add(-n)
				if n == 1 && r.IntN(2) == 0 {
					s.Release()
				} else {
					s.ReleaseN(n)
				}
			}
		})
	}
	wg.Wait()
	if got := s.Available(); got != capacity {
		t.Fatalf("Available = %d after stress, want %d", got, capacity)
	}
	if s.Waiters() != 0 {
		t.Fatal("waiters left after stress")
	}
	if acquired.Load()+cancelled.Load() != goroutines*iterations {
		t.Fatalf("acquired %d + failed %d != %d", acquired.Load(), cancelled.Load(), goroutines*iterations)
	}
	if acquired.Load() == 0 {
		t.Fatal("nothing acquired")
	}
}

func TestGoWait(t *testing.T) {
	const limit, jobs = 3, 200
	s := semaphore.New(limit)
	var running, peak, ran atomic.Int64
	errFirst := errors.New("first")
	for i := range jobs {
		err := s.Go(context.Background(), func() error {
			r := running.Add(1)
			for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
			}
			runtime.Gosched()
			running.Add(-1)
			ran.Add(1)
			if i == 0 {
				return errFirst
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Go: %v", err)
		}
	}
	if err := s.Wait(); !errors.Is(err, errFirst) {
		t.Fatalf("Wait = %v, want %v", err, errFirst)
	}
	if ran.Load() != jobs {
		t.Fatalf("ran %d of %d", ran.Load(), jobs)
	}
	if p := peak.Load(); p > limit || p < 1 {
		t.Fatalf("peak concurrency %d, want 1..%d", p, limit)
	}
	if got := s.Available(); got != limit {
		t.Fatalf("Available = %d, want %d", got, limit)
	}
}

func TestGoCancelled(t *testing.T) {
	s := semaphore.New(1)
	block := make(chan struct{})
	if err := s.Go(context.Background(), func() error { <-block; return nil }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	if err := s.Go(ctx, func() error { called = true; return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Go = %v, want context.Canceled", err)
	}
	close(block)
	if err := s.Wait(); err != nil {
		t.Fatalf("Wait = %v", err)
	}
	if called {
		t.Fatal("Go called f after failing to acquire")
	}
}

// TestHappensBefore checks, under the race detector, that a write made
// while holding the unit is visible to the next holder.
func TestHappensBefore(t *testing.T) {
	s := semaphore.New(1)
	shared := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				if err := s.Acquire(context.Background()); err != nil {
					t.Error(err)
					return
				}
				shared++
				s.Release()
			}
		})
	}
	wg.Wait()
	if shared != 8*500 {
		t.Fatalf("shared = %d, want %d", shared, 8*500)
	}
}

// TestAcquireNReturnsCtxErrWhenCanceledAsGranted checks that a waiting
// AcquireN whose context is cancelled before its units are granted fails
// with ctx.Err() and holds nothing, even when both have happened by the time
// it looks (go.dev/issue/63615). Here both happen between queueing and
// waiting, so a wait that picks either at random succeeds half the time:
// every iteration must fail.
func TestAcquireNReturnsCtxErrWhenCanceledAsGranted(t *testing.T) {
	s := semaphore.New(2)
	bg := context.Background()
	for i := range 64 {
		if err := s.AcquireN(bg, 2); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(bg)
		err := s.AcquireNQueued(ctx, 1, func() {
			cancel()
			s.ReleaseN(2) // grants the queued request its unit
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("iteration %d: AcquireN cancelled before its grant = %v, want context.Canceled", i, err)
		}
		if got := s.Available(); got != 2 {
			t.Fatalf("iteration %d: Available = %d after the failed AcquireN, want 2", i, got)
		}
	}
}

// TestWeightedAcquireCanceled is x/sync/semaphore's test of the same bug
// (go.dev/issue/63615): a context cancelled before the units it waits for
// are released makes the Acquire fail. It catches the bug only when the
// cancel and the release both land before the waiter starts waiting.
func TestWeightedAcquireCanceled(t *testing.T) {
	sem := semaphore.New(2)
	ctx, cancel := context.WithCancel(context.Background())
	if err := sem.AcquireN(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{})
	go func() {
		// Synchronize with the AcquireN(2) below.
		for sem.TryAcquireN(1) {
			sem.ReleaseN(1)
		}
		// Now cancel ctx, and then release the unit.
		cancel()
		sem.ReleaseN(1)
		close(ch)
	}()
	// Since the context being cancelled happens before enough units become
	// available, this AcquireN must fail.
	if err := sem.AcquireN(ctx, 2); err != context.Canceled {
		t.Errorf("AcquireN with cancelled context = %v, want context.Canceled", err)
	}
	// There must always be two units free after the other goroutine
	// releases the one held at the start.
	<-ch
	if !sem.TryAcquireN(2) {
		t.Fatal("TryAcquireN(2) after cancelled AcquireN failed")
	}
}
