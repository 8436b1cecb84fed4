// Package hooks is a template for the stencil's tests of rendering:
// hooks replaced and inlined, type parameters substituted, explicit
// instantiations removed, constants set, imports named by the spec.
package hooks

import (
	"hash/maphash"
	"sync/atomic"
	"time"
)

// Pool is the main type.
type Pool[In, Out any] struct {
	fn    func(In) (Out, error)
	seed  maphash.Seed
	count atomic.Int64
	every time.Duration
}

// maxBatch is a constant the spec sets.
const maxBatch int = 16

// window is a typed duration constant the spec sets.
const window time.Duration = time.Second

// New makes a Pool.
func New[In, Out any](fn func(In) (Out, error)) *Pool[In, Out] {
	p := &Pool[In, Out]{fn: fn, seed: maphash.MakeSeed(), every: window}
	return p
}

// call calls the user's function: the hook the kind replaces with a direct
// call when the directive names one.
//
//monogen:hook
func (p *Pool[In, Out]) call(in In) (Out, error) { return p.fn(in) }

// hashOf hashes an input generically.
//
//monogen:hook
func hashOf[In any](seed maphash.Seed, in In) uint64 {
	return maphash.Comparable(seed, any(in))
}

// zero returns the zero Out.
func zero[Out any]() Out {
	var z Out
	return z
}

// Do runs one input.
func (p *Pool[In, Out]) Do(in In) (Out, uint64, error) {
	p.count.Add(1)
	h := hashOf[In](p.seed, in)
	out, err := p.call(in)
	if err != nil {
		return zero[Out](), h, err
	}
	_ = Out(out)
	return out, h, nil
}

// Batch returns the batch size.
func (p *Pool[In, Out]) Batch() (int, time.Duration) { return maxBatch, window }
