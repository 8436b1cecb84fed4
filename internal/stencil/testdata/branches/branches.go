// Package branches is a template for the stencil's tests of folding:
// constant conditions from config fields and spec constants, else chains,
// switch clauses, and the code a folded branch makes unreachable.
package branches

import "time"

// Config holds the runtime options.
//
//monogen:config
type Config struct {
	Retries int
	Timeout time.Duration
	Strict  bool
}

// Box is the main type.
type Box struct {
	cfg Config
	n   int
}

// shardBits is an option constant the spec sets.
const shardBits = 4

// shards is computed from it.
const shards = 1 << shardBits

// Mode picks a branch of an else chain.
func (b *Box) Mode() string {
	if b.cfg.Retries > 3 {
		return "many"
	} else if b.cfg.Retries > 0 {
		return "some"
	} else {
		return "none"
	}
}

// Shards depends on a constant the spec sets.
func (b *Box) Shards() int {
	if shards > 8 {
		return shards
	}
	return 8
}

// Timeout keeps a condition that is not constant, and folds the rest.
func (b *Box) Timeout(d time.Duration) time.Duration {
	if d > 0 && b.cfg.Timeout > 0 {
		return min(d, b.cfg.Timeout)
	}
	if false && d > 0 {
		return d
	}
	if true || d > 0 {
		b.n++
	}
	if x := b.cfg.Timeout; x > 0 {
		return x // an if with an init statement is not folded
	}
	return d
}

// Check panics in strict mode, which makes what follows unreachable.
func (b *Box) Check(v int) int {
	switch {
	case v < 0:
		if b.cfg.Strict {
			panic("negative")
		}
		v = -v
	case v == 0:
		if !b.cfg.Strict {
			break
		}
		v = 1
	}
	return v
}

// Wait loops forever when strict: nothing after the loop runs.
func (b *Box) Wait(ch chan int) int {
	if b.cfg.Strict {
		for {
			if v := <-ch; v > 0 {
				return v
			}
		}
	}
	b.n++
	return b.n
}

// Drain breaks out of its loop when strict, so the loop does not end the
// branch: what follows stays.
func (b *Box) Drain(ch chan int) int {
	if b.cfg.Strict {
		for {
			if <-ch == 0 {
				break
			}
		}
	}
	return b.n
}

// Scale uses a conversion of a duration option.
func (b *Box) Scale() float64 {
	if float64(b.cfg.Timeout)/float64(time.Second) >= 1 {
		return float64(b.cfg.Timeout)
	}
	return 0
}
