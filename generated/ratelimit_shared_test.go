package generated_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/monogen/monogen/generated"
)

// countStore is a store of one bucket that holds left tokens and never
// refills, failing with fail when it is set. It counts its calls.
type countStore struct {
	mu    sync.Mutex
	left  int64
	fail  error
	calls int
}

func (s *countStore) Take(ctx context.Context, key string, n int64, interval time.Duration, burst int64) (int64, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil {
		return 0, 0, s.fail
	}
	took := min(n, s.left)
	s.left -= took
	if took == 0 {
		return 0, time.Hour, nil
	}
	return took, 0, nil
}

// TestGeneratedSharedCancelAtReservationInstantGivesTheTokenBack: a
// store=shared limiter's reservation cancelled at its instant gives its
// token back to the lease it came from, without asking the store; it gave
// nothing back, though its Cancel promised it.
func TestGeneratedSharedCancelAtReservationInstantGivesTheTokenBack(t *testing.T) {
	store := &countStore{left: 2}
	now := time.Now()
	l := generated.NewSharedQuotaAt(store, "k", now)
	r := l.ReserveAt(now) // a lease of 2: one for r, one left
	if !r.OK() {
		t.Fatal("ReserveAt refused the first token of the store")
	}
	r.CancelAt(now)
	if got := l.StatsAt(now).Available; got != 2 {
		t.Errorf("Available = %d after cancelling one of a lease of 2 at its instant, want 2", got)
	}
	n := 0
	for range 10 {
		if l.AllowAt(now) {
			n++
		}
	}
	if n != 2 || store.calls != 2 {
		t.Errorf("admitted %d events after the cancel with %d calls to the store, want the 2 it granted with one lease and one refusal", n, store.calls)
	}
	r = l.ReserveAt(now)
	if r.OK() {
		t.Fatal("reserved a token from an empty store")
	}
	r.CancelAt(now) // not OK: nothing to give
	if l.AllowAt(now) {
		t.Error("cancelling a reservation that was not OK gave a token")
	}
}

// TestGeneratedSharedCancelAtGivesBackToTheLocalShare: while the store
// fails, SharedQuota (onfail=local, replicas=4) admits from its share of
// 100/4 = 25 tokens; a reservation cancelled at its instant goes back to
// that share. SharedOpen (onfail=open) took no token for the event it
// admitted, and its cancel gives nothing to anyone.
func TestGeneratedSharedCancelAtGivesBackToTheLocalShare(t *testing.T) {
	store := &countStore{fail: errors.New("store down")}
	now := time.Now()
	l := generated.NewSharedQuotaAt(store, "k", now)
	r := l.ReserveAt(now)
	if !r.OK() {
		t.Fatal("the local share refused the first event")
	}
	r.CancelAt(now)
	n := 0
	for range 100 {
		if l.AllowAt(now) {
			n++
		}
	}
	if n != 25 {
		t.Errorf("admitted %d events from the local share after the cancel, want its 25", n)
	}

	open := generated.NewSharedOpenAt(store, "k", now)
	ro := open.ReserveAt(now)
	if !ro.OK() {
		t.Fatal("onfail=open refused an event")
	}
	ro.CancelAt(now)
	if got := open.StatsAt(now).Available; got != 0 {
		t.Errorf("onfail=open: Available = %d after a cancel, want 0: the event took no token", got)
	}
}
