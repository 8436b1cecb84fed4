// Package cleanup is a template for the stencil's cleanup tests: code that
// reads well generic and leaves residue once its options are constants.
package cleanup

import (
	"runtime"
	"time"
)

// Config holds the options.
//
//monogen:config
type Config struct {
	Workers  int
	Timeout  time.Duration
	Interval time.Duration
	Collect  bool
	Ratio    float64
	Buffer   int
	Batch    int
	Strict   bool
}

// defaultWorkers is the default of Workers, when it is not positive.
const defaultWorkers = 2

// spinTries is how many times Push spins before it gives up.
const spinTries = 8

// Box is the main type.
type Box struct {
	cfg   Config
	items []int
	n     int
}

// Workers returns how many workers run.
func (b *Box) Workers() int {
	workers := runtime.GOMAXPROCS(0)
	if b.cfg.Workers > 0 {
		workers = b.cfg.Workers
	}
	return workers
}

// Queue returns the queue length.
func (b *Box) Queue() int {
	queue := defaultWorkers
	if b.cfg.Workers > 0 {
		queue = b.cfg.Workers
	}
	return queue
}

// Deadline reports whether calls have a deadline.
func (b *Box) Deadline(strict bool) bool {
	if b.cfg.Timeout > 0 || b.cfg.Strict {
		return true
	}
	return strict && !b.cfg.Strict
}

// Ticks returns the tick interval in nanoseconds.
func (b *Box) Ticks() int64 {
	return int64(b.cfg.Interval)
}

// Half returns half the interval.
func (b *Box) Half() time.Duration {
	return max(b.cfg.Interval/2, 1)
}

// Batches returns how many batches the buffer holds.
func (b *Box) Batches() int {
	return max(1, b.cfg.Buffer/b.cfg.Batch)
}

// Trips reports whether fail failures of total trip the breaker.
func (b *Box) Trips(counts func() (int64, int64)) bool {
	succ, fail := counts()
	return fail > 2 && float64(fail) >= b.cfg.Ratio*float64(succ+fail)
}

// Push adds v, spinning while the box is full, unless Strict.
func (b *Box) Push(v int) bool {
	for spins := 0; ; spins++ {
		if len(b.items) < 4 {
			b.items = append(b.items, v)
			return true
		}
		if b.cfg.Strict {
			return false
		}
		if spins < spinTries {
			runtime.Gosched()
			continue
		}
		b.items = b.items[1:]
	}
}

// Take removes up to n items, counting its rounds.
func (b *Box) Take(n int) int {
	taken := 0
	for rounds := 0; taken < n; rounds++ {
		if len(b.items) == 0 {
			break
		}
		b.items = b.items[1:]
		taken++
		if b.cfg.Collect && rounds > spinTries {
			break
		}
	}
	return taken
}

// Step advances n, to the end when not collecting.
func (b *Box) Step(next int) (res int) {
	next++
	if !b.cfg.Collect {
		next = len(b.items)
	}
	return next
}

// Empty reports whether the box has nothing and collects nothing.
func (b *Box) Empty() bool {
	return len(b.items) == 0 && !b.cfg.Collect
}

// stamp is a value and when it was made.
type stamp struct {
	value int
	made  int64
}

// Stamp returns v, stamped on the way.
func (b *Box) Stamp(v int) int {
	st := stamp{value: v, made: int64(b.cfg.Interval)}
	return st.value
}

// Stamped returns v, stamped by stampOf.
func (b *Box) Stamped(v int) int {
	return stampOf(v).value
}

// stampOf stamps v.
//
//monogen:hook
func stampOf(v int) stamp { return stamp{value: v} }

// Count returns the number of items, and remembers it when Strict.
func (b *Box) Count() int {
	n := len(b.items)
	if b.cfg.Strict {
		b.n = n
	}
	return n
}

// Tally counts v, and when Strict also what the caller was at.
func (b *Box) Tally(v int) int { return b.tally(v, b.n) }

// tally returns v, plus the caller's position when Strict.
func (b *Box) tally(v, at int) int {
	if b.cfg.Strict {
		return v + at
	}
	return v
}

// Weigh weighs v on the box's scale.
func (b *Box) Weigh(v int) int { return b.weigh(v, b.n) + b.scale(v, 2) }

// weigh returns v; base, in the default build, is unused.
func (b *Box) weigh(v, base int) int {
	if b.cfg.Strict {
		return v * base
	}
	return v
}

// scale scales v.
//
//monogen:hook
func (b *Box) scale(v, k int) int { return v * k }

// Exported ignores x when not Strict; it keeps its name.
func (b *Box) Exported(x int) int {
	if b.cfg.Strict {
		return x
	}
	return 0
}
