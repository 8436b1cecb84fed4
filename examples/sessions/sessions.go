// Package sessions is the example monogen runs on in make demo: a session
// store keyed by an integer ID and a counter keyed by a small struct, the two
// shapes where a specialized hasher beats the generic one most.
package sessions

//go:generate go run ../../cmd/monogen

// SessionID identifies a session.
type SessionID int64

// Session is a logged-in user.
//
//monogen:map Store[SessionID, *Session] shards=64
type Session struct {
	User  string
	Roles []string
}

// HitKey counts requests per tenant and route.
//
//monogen:map Hits[HitKey, int64]
type HitKey struct {
	Tenant int32
	Route  int64
}

// Hit adds one to the counter of k and returns the new count.
func Hit(h *Hits, k HitKey) int64 {
	n, _ := h.Compute(k, func(old int64, loaded bool) (int64, HitsComputeOp) {
		return old + 1, HitsUpdateOp
	})
	return n
}
