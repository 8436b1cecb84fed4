package sessions_test

import (
	"sync"
	"testing"

	"github.com/monogen/monogen/examples/sessions"
)

func TestExample(t *testing.T) {
	s := sessions.NewStore()
	s.Store(42, &sessions.Session{User: "ada"})
	if got, ok := s.Load(42); !ok || got.User != "ada" {
		t.Fatalf("Load(42) = %v, %v", got, ok)
	}
	h := sessions.NewHits()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 250 {
				sessions.Hit(h, sessions.HitKey{Tenant: 1, Route: 2})
			}
		}()
	}
	wg.Wait()
	if n, _ := h.Load(sessions.HitKey{Tenant: 1, Route: 2}); n != 1000 {
		t.Fatalf("hits = %d, want 1000", n)
	}
}
