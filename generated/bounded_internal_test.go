package generated

import (
	"context"
	"errors"
	"testing"
)

// TestSlotsAcquireNReturnsCtxErrWhenCanceledAsGranted is the semaphore
// template's test of the same name on the generated Slots: a waiting
// AcquireN whose context is cancelled before its units are granted, both
// before it starts waiting, fails with ctx.Err() and holds nothing
// (go.dev/issue/63615). A wait that picked either at random would succeed
// half the time.
func TestSlotsAcquireNReturnsCtxErrWhenCanceledAsGranted(t *testing.T) {
	s := NewSlots()
	bg := context.Background()
	for i := range 64 {
		if err := s.AcquireN(bg, 4); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(bg)
		done := ctx.Done()
		w, err := s.enqueue(ctx, done, 1)
		if w == nil {
			t.Fatalf("iteration %d: AcquireN(1) at capacity did not queue: %v", i, err)
		}
		cancel()
		s.ReleaseN(4) // grants the queued request its unit
		if err := s.await(ctx, done, w); !errors.Is(err, context.Canceled) {
			t.Fatalf("iteration %d: AcquireN cancelled before its grant = %v, want context.Canceled", i, err)
		}
		if got := s.Available(); got != 4 {
			t.Fatalf("iteration %d: Available = %d after the failed AcquireN, want 4", i, got)
		}
	}
}
