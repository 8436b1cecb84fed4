package generated

import (
	"context"
	"errors"
	"testing"
)

// TestFuncConnsGetReturnsCtxErrWhenCanceledAsWoken is the respool
// template's TestGetReturnsCtxErrWhenCanceledAsWoken on the generated
// FuncConns (max=3): a Get waiting at the maximum whose context is
// cancelled before a Put wakes it, both before it starts waiting, fails with
// ctx.Err() and passes the wake-up on. A wait that picked either at random
// would succeed half the time.
func TestFuncConnsGetReturnsCtxErrWhenCanceledAsWoken(t *testing.T) {
	bg := context.Background()
	made := 0
	p := NewFuncConns(func(context.Context) (*Conn, error) {
		made++
		return &Conn{ID: made}, nil
	})
	defer p.Close()
	var held []*Conn
	for range 3 {
		c, err := p.Get(bg)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for i := range 64 {
		ctx, cancel := context.WithCancel(bg)
		p.mu.Lock()
		w := p.enqueueLocked()
		p.mu.Unlock()
		if w == nil {
			t.Fatalf("iteration %d: Get at the maximum did not queue", i)
		}
		cancel()
		p.Put(held[0]) // wakes the queued Get
		p.mu.Lock()
		err := p.awaitLocked(ctx, w)
		waiters := len(p.waiters)
		p.mu.Unlock()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("iteration %d: Get cancelled before its wake-up = %v, want context.Canceled", i, err)
		}
		if waiters != 0 {
			t.Fatalf("iteration %d: %d Gets still queued", i, waiters)
		}
		if open, idle := p.Len(); open != 3 || idle != 1 {
			t.Fatalf("iteration %d: Len() = %d, %d; want 3, 1", i, open, idle)
		}
		c, err := p.Get(bg) // the idle one, without waiting
		if err != nil || c != held[0] {
			t.Fatalf("iteration %d: Get = %v, %v; want the connection put back", i, c, err)
		}
	}
	for _, c := range held {
		p.Put(c)
	}
	if made != 3 {
		t.Fatalf("made %d connections, want 3", made)
	}
}
