package semaphore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/monogen/monogen/templates/semaphore"
)

// slotStore is a Store of one process, with failures on demand and a
// signal on every renewal.
type slotStore struct {
	mu      sync.Mutex
	held    map[string]int64
	fail    error
	renewed chan []string
}

func newSlotStore() *slotStore {
	return &slotStore{held: map[string]int64{}, renewed: make(chan []string, 100)}
}

func (s *slotStore) Acquire(ctx context.Context, key, holder string, n, size int64, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return false, s.fail
	}
	used := int64(0)
	for _, u := range s.held {
		used += u
	}
	if used+n > size {
		return false, nil
	}
	s.held[holder] = n
	return true, nil
}

func (s *slotStore) Renew(ctx context.Context, key string, holders []string, ttl time.Duration) (int, error) {
	s.renewed <- holders
	return len(holders), nil
}

func (s *slotStore) Release(ctx context.Context, key, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.held, holder)
	return nil
}

func sharedConfig(onfail semaphore.FailMode) semaphore.Config {
	return semaphore.Config{N: 4, OnFail: onfail, Replicas: 2, TTL: 30 * time.Millisecond, StoreTimeout: 10 * time.Millisecond}
}

// TestSharedHoldsInTheStoreAndRenews: units are held in the store under
// one holder per grant, renewed while held, and released with the units.
func TestSharedHoldsInTheStoreAndRenews(t *testing.T) {
	store := newSlotStore()
	s := semaphore.NewShared(sharedConfig(semaphore.FailClosed), store, "k")
	if err := s.AcquireN(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	if got := <-store.renewed; len(got) != 1 {
		t.Fatalf("renewed %v, want the one holder", got)
	}
	other := semaphore.NewShared(sharedConfig(semaphore.FailClosed), store, "k")
	if other.TryAcquireN(2) {
		t.Fatal("another process acquired 2 units while 3 of 4 are held")
	}
	if other.Available() != 4 {
		t.Fatalf("a refused TryAcquireN kept units of the process's count: Available %d", other.Available())
	}
	s.ReleaseN(3)
	if len(store.held) != 0 {
		t.Fatalf("the store still holds %v after the release", store.held)
	}
	if !other.TryAcquireN(4) {
		t.Fatal("4 units not free after the release")
	}
	other.ReleaseN(4)
}

// TestSharedReleaseInOtherAmountsPanics: a shared semaphore releases units
// in the amounts it acquired them.
func TestSharedReleaseInOtherAmountsPanics(t *testing.T) {
	s := semaphore.NewShared(sharedConfig(semaphore.FailClosed), newSlotStore(), "k")
	if err := s.AcquireN(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Release of 1 unit of a grant of 2 did not panic")
		}
		s.ReleaseN(2)
	}()
	s.Release()
}

// TestSharedFailModes: with the store failing, closed fails with ErrStore
// and leaves the count unchanged, open grants up to the process's count,
// local its share (N/Replicas = 2).
func TestSharedFailModes(t *testing.T) {
	down := errors.New("down")
	for _, tc := range []struct {
		mode semaphore.FailMode
		want int
	}{{semaphore.FailClosed, 0}, {semaphore.FailOpen, 4}, {semaphore.FailLocal, 2}} {
		store := newSlotStore()
		store.fail = down
		s := semaphore.NewShared(sharedConfig(tc.mode), store, "k")
		got := 0
		for range 6 {
			if s.TryAcquire() {
				got++
			}
		}
		if got != tc.want {
			t.Errorf("mode %d: granted %d units with the store down, want %d", tc.mode, got, tc.want)
		}
		if tc.mode == semaphore.FailClosed {
			if err := s.Acquire(context.Background()); !errors.Is(err, semaphore.ErrStore) || !errors.Is(err, down) {
				t.Errorf("closed: Acquire = %v, want ErrStore wrapping the store's error", err)
			}
			if s.Available() != 4 {
				t.Errorf("closed: a failed Acquire kept a unit: Available %d", s.Available())
			}
		}
		if st := s.SharedStats(); st.Unbacked != int64(tc.want) {
			t.Errorf("mode %d: SharedStats().Unbacked = %d, want %d", tc.mode, st.Unbacked, tc.want)
		}
		for range got {
			s.Release()
		}
		store.fail = nil
		if !s.TryAcquireN(4) {
			t.Errorf("mode %d: the recovered store refused 4 units", tc.mode)
		}
		s.ReleaseN(4)
	}
}

// TestSharedAcquireWaitsForRoomAndHonoursCtx: Acquire polls a full store
// until room is made, and gives up with ctx.Err() leaving the count as it
// was.
func TestSharedAcquireWaitsForRoomAndHonoursCtx(t *testing.T) {
	store := newSlotStore()
	a := semaphore.NewShared(sharedConfig(semaphore.FailClosed), store, "k")
	b := semaphore.NewShared(sharedConfig(semaphore.FailClosed), store, "k")
	if err := a.AcquireN(context.Background(), 4); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- b.Acquire(ctx) }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire on a full store with ctx cancelled: %v", err)
	}
	if b.Available() != 4 {
		t.Fatalf("a cancelled Acquire kept a unit: Available %d", b.Available())
	}
	go func() { errc <- b.Acquire(context.Background()) }()
	a.ReleaseN(4)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	b.Release()
}
