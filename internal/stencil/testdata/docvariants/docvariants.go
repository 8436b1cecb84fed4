package docvariants

import "errors"

// Mode selects how a Counter counts.
type Mode uint8

const (
	// Fast counts roughly.
	//
	//monogen:doc fast Fast is how this Counter counts: roughly.
	Fast Mode = iota
	// Exact counts every event.
	Exact
)

// ErrFull is returned by Add when the Counter is full: at its Cap for a
// Fast counter, at its Limit for an Exact one.
//
//monogen:doc fast ErrFull is returned by Add when the Counter is at its Cap.
//monogen:doc !fast ErrFull is returned by Add when the Counter is at its
//monogen:doc !fast Limit.
//monogen:doc !fast
//monogen:doc !fast An exact Counter never drops an event it took.
var ErrFull = errors.New("full")

// Counter counts events of a K, fast or exactly.
//
//monogen:doc fast Counter counts events of a K, roughly.
type Counter[K comparable] struct {
	// n is, for a Fast counter, an estimate; for an Exact one, the count.
	//
	//monogen:doc fast n is the estimate.
	n int
	// last is the last K counted.
	last K
}

// Add counts k: roughly for a Fast counter, exactly for an Exact one.
//
//monogen:doc fast Add counts k roughly.
//monogen:doc !fast Add counts k exactly.
func (c *Counter[K]) Add(k K) error {
	if c.n < 0 {
		return ErrFull
	}
	c.n++
	c.last = k
	return nil
}

// Mode returns Fast.
//
//monogen:doc fast Mode returns how c counts.
func (c *Counter[K]) Mode() Mode { return Fast }

// Reset empties c.
//
//monogen:doc * Reset empties c.
//monogen:doc fast,big It forgets its estimate and its cap.
//monogen:doc fast,!big It forgets its estimate.
//monogen:doc *
//monogen:doc * It is safe to call at any time.
func (c *Counter[K]) Reset() { c.n = 0 }

// Zero is zero.
//
//monogen:doc * Zero is nothing at all.
const Zero = 0
