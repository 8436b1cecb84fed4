// Package fold is a template for the stencil's folding tests.
package fold

import "time"

// Config holds the options.
//
//monogen:config
type Config struct {
	Fast     bool
	Interval time.Duration
}

// Box is the main type.
type Box struct {
	cfg Config
}

// init checks the options.
func (b *Box) init() {
	if int64(b.cfg.Interval) <= 0 {
		panic("bad interval")
	}
}

// Get returns the fast or the slow answer.
func (b *Box) Get() int {
	if b.cfg.Fast {
		return b.fast()
	}
	// only when slow
	return b.slow()
}

func (b *Box) fast() int { return 1 }

func (b *Box) slow() int { return 2 }

// Drain counts down n, the fast way or the slow way.
func (b *Box) Drain(n int) int {
	for n > 0 {
		if b.cfg.Fast {
			n -= b.fast()
			continue
		}
		n -= b.slow()
	}
	return n
}

// cached is an option that steers a branch of Peek and nothing else.
const cached = false

// Peek returns a value.
func (b *Box) Peek() int {
	if cached {
		return 3
	}
	return 4
}

// Pick returns n, doubled when the way is fast and n small: a chain whose
// last else if folds.
func (b *Box) Pick(n int) int {
	if n > 10 {
		n--
	} else if b.cfg.Fast {
		n *= 2
	}
	return n
}

// Nudge returns n moved by the way: an else if that folds either way
// before a final else.
func (b *Box) Nudge(n int) int {
	if n > 10 {
		n--
	} else if b.cfg.Fast {
		n *= 2
	} else {
		n++
	}
	return n
}
