// Package gate is a template for the stencil's tests of config fields kept
// at run time (Spec.Runtime) and //monogen:mirror fields.
package gate

import "sync/atomic"

// Config holds the options of a Gate.
//
//monogen:config
type Config struct {
	// N is the most holders at once.
	N int64
	// Strict makes Enter refuse at N.
	Strict bool
}

// Gate admits holders up to a limit.
type Gate struct {
	cfg Config
	// limit is N, which SetLimit changes.
	limit atomic.Int64 //monogen:mirror N
	held  atomic.Int64
}

// New returns a gate of limit n.
//
//monogen:template
func New(n int64) *Gate {
	g := &Gate{cfg: Config{N: n, Strict: true}}
	g.init()
	return g
}

// init checks the limit.
func (g *Gate) init() {
	if g.cfg.N < 1 {
		panic("gate: limit out of range")
	}
	g.limit.Store(g.cfg.N)
}

// Enter enters the gate and reports whether the holder fits.
func (g *Gate) Enter() bool {
	if g.cfg.Strict {
		return g.held.Add(1) <= g.limit.Load()
	}
	g.held.Add(1)
	return true
}

// SetLimit sets the limit to n.
//
//monogen:if config
func (g *Gate) SetLimit(n int64) {
	g.limit.Store(n)
}
