package main

import "testing"

// TestEndToEndBounded runs the semaphore, ratelimit, breaker and limiter
// kinds as a user does (go generate, vet, test -race in a module outside
// this repository): a client that bounds, rate-limits and guards its calls.
func TestEndToEndBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test builds a module and runs go test -race; not in -short mode")
	}
	EndToEnd(t, map[string]string{
		"client/client.go": `// Package client calls a backend within bounds.
package client

import (
	"context"
	"errors"
)

//go:generate go tool monogen

// Request and Response are the backend's types.
type (
	Request  struct{ ID int }
	Response struct{ Value int }
)

var errDown = errors.New("backend down")

// call is the backend: it fails for negative IDs.
func call(_ context.Context, r Request) (Response, error) {
	if r.ID < 0 {
		return Response{}, errDown
	}
	return Response{Value: r.ID * 10}, nil
}

func stale(_ context.Context, r Request, _ error) (Response, error) { return Response{Value: -1}, nil }

//monogen:semaphore Slots n=3
//monogen:ratelimit Rate algo=token rate=1000/s burst=50
//monogen:ratelimit Quota algo=window limit=100 window=1h
//monogen:breaker Guard[Request, Response] fn=call failures=3 ratio=0.5 cooldown=1m fallback=stale
//monogen:limiter Limit[Request, Response] fn=call min=2 max=64
var _ = 0
`,
		"client/client_test.go": `package client

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBounded(t *testing.T) {
	ctx := context.Background()
	s := NewSlots()
	var inside, peak atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if err := s.Acquire(ctx); err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				inside.Add(-1)
				s.Release()
			}
		}()
	}
	wg.Wait()
	if peak.Load() > 3 || s.Available() != 3 {
		t.Fatalf("peak %d, available %d; capacity 3", peak.Load(), s.Available())
	}

	epoch := time.Now()
	r := NewRateAt(epoch)
	var admitted atomic.Int64
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				if r.AllowAt(epoch) {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if admitted.Load() != 50 || !r.AllowAt(epoch.Add(time.Millisecond)) {
		t.Fatalf("admitted %d at once, want the burst of 50, then one per millisecond", admitted.Load())
	}
	q := NewQuota()
	n := 0
	for q.Allow() {
		n++
	}
	if n != 100 {
		t.Fatalf("quota admitted %d, want 100", n)
	}

	g := NewGuard()
	for i := 0; i < 3; i++ {
		if resp, err := g.Execute(ctx, Request{ID: -1}); err != nil || resp.Value != -1 {
			t.Fatalf("failing call: %v, %v; want the fallback", resp, err)
		}
	}
	if g.State() != GuardStateOpen {
		t.Fatalf("state %s after 3 failures, want open", g.State())
	}
	if resp, _ := g.Execute(ctx, Request{ID: 1}); resp.Value != -1 {
		t.Fatalf("open breaker called through: %v", resp)
	}

	l := NewLimit()
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 500; j++ {
				resp, err := l.Execute(ctx, Request{ID: j})
				if err != nil && err != ErrLimitLimited || err == nil && resp.Value != j*10 {
					t.Errorf("Execute(%d) = %v, %v", j, resp, err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	if st := l.Stats(); st.InFlight != 0 || st.Limit < 2 || st.Limit > 64 {
		t.Fatalf("limiter stats %+v", st)
	}
}
`,
	}, "client/client_monogen.go")
}
