package pool

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// Chunking of a Map call: each helping worker claims chunks of consecutive
// items with one atomic add, so the cost of sharing out the work is paid
// once per chunk, not per item.
const (
	// maxChunk bounds a chunk so that workers finishing early still find
	// work to steal (load balance) on large batches.
	maxChunk = 256
	// chunksPerHelper is how many chunks each helper should get on a batch
	// too small for maxChunk: enough to even out unequal jobs.
	chunksPerHelper = 8
)

// batch is one Map call, shared by the workers helping with it.
type batch[In, Out any] struct {
	ctx    context.Context // every item's context; cancelled on the first failure
	cancel context.CancelFunc
	ins    []In
	outs   []Out
	chunk  int64

	next atomic.Int64  // first unclaimed index; past len(ins) once all are claimed
	left atomic.Int64  // items neither finished nor abandoned
	ok   atomic.Int64  // items finished with a nil error
	done chan struct{} // closed when left reaches zero

	errOnce sync.Once
	err     error // the first failure, set once under errOnce
}

// Map runs every element of ins through the pool's function and returns the
// outputs in input order. It is the fast path for large batches: the workers
// share out ins by chunks (no queue hand-off per item), run them in a tight
// loop and write straight into the result slice. The result handler is not
// called for Map items.
//
// Each item runs under a context derived from ctx (so it carries ctx's
// values), cancelled when ctx is done, when Shutdown begins, or when another
// item fails. The first item to fail (after its retries) stops the batch:
// Map waits for the items already running and returns the outputs, with
// zero values for items that failed or never ran, and that item's error
// wrapped with its index. If ctx is done first, the error is ctx.Err(); if
// the pool is closing, ErrClosed.
//
// The batch goes through the queue like a job, once per helping worker, so
// it waits behind queued jobs and shares the workers with them. Map must not
// be called from a job of the same pool.
//
// The completion of every item happens before Map returns.
func (p *Pool[In, Out]) Map(ctx context.Context, ins []In) ([]Out, error) {
	outs := make([]Out, len(ins))
	return outs, p.MapInto(ctx, outs, ins)
}

// MapInto is Map writing the outputs into outs, which must be as long as
// ins: a caller running batches in a loop reuses one output slice, and
// allocates nothing per batch but the batch's own bookkeeping. It panics if
// the lengths differ.
func (p *Pool[In, Out]) MapInto(ctx context.Context, outs []Out, ins []In) error {
	if len(outs) != len(ins) {
		panic("pool: MapInto: len(outs) != len(ins)")
	}
	n := int64(len(ins))
	if n == 0 {
		return nil
	}
	helpers := min(p.size.Load(), n)
	if helpers < 1 {
		helpers = 1
	}
	b := &batch[In, Out]{
		ins:   ins,
		outs:  outs,
		chunk: min(max(n/(helpers*chunksPerHelper), 1), maxChunk),
		done:  make(chan struct{}),
	}
	b.ctx, b.cancel = context.WithCancel(ctx)
	defer b.cancel()
	defer context.AfterFunc(p.ctx, b.cancel)()
	b.left.Store(n)
	if p.cfg.Metrics {
		p.stats.submitted.Add(uint64(n))
	}

	for range helpers {
		if err := p.send(ctx, task[In, Out]{batch: b}); err != nil {
			b.fail(err)
			break
		}
	}
	select {
	case <-b.done:
	case <-b.ctx.Done():
		switch {
		case ctx.Err() != nil:
			b.fail(ctx.Err())
		case p.ctx.Err() != nil:
			b.fail(ErrClosed)
		}
		// Otherwise an item failed and has set the error. Either way, wait
		// for the items still running: Map must not return while the
		// pool still reads ins or writes outs.
		<-b.done
	}
	if p.cfg.Metrics {
		ok := uint64(b.ok.Load())
		p.stats.completed.Add(ok)
		p.stats.failed.Add(uint64(n) - ok)
	}
	return b.err
}

// fail records the batch's error if it is the first, cancels the running
// items and abandons the unclaimed ones.
func (b *batch[In, Out]) fail(err error) {
	b.errOnce.Do(func() { b.err = err })
	b.cancel()
	n := int64(len(b.ins))
	// Claim everything left in one add, as a worker would claim a chunk.
	if lo := b.next.Add(n) - n; lo < n {
		b.finish(n - lo)
	}
}

// finish accounts for k items finished or abandoned.
func (b *batch[In, Out]) finish(k int64) {
	if b.left.Add(-k) == 0 {
		close(b.done)
	}
}

// runBatch claims and runs chunks of b until none is left.
func (p *Pool[In, Out]) runBatch(b *batch[In, Out]) {
	n := int64(len(b.ins))
	for {
		hi := b.next.Add(b.chunk)
		lo := hi - b.chunk
		if lo >= n {
			return
		}
		hi = min(hi, n)
		if p.cfg.Metrics {
			p.stats.inFlight.Add(hi - lo)
		}
		ok := p.runChunk(b, int(lo), int(hi))
		if p.cfg.Metrics {
			p.stats.inFlight.Add(lo - hi)
		}
		b.ok.Add(int64(ok))
		b.finish(hi - lo)
	}
}

// runChunk runs items [lo, hi) of b and returns how many succeeded before
// the first failure, which fails the batch. It is the per-item loop of Map,
// kept tight: one call of the hook per item, and the retry and timeout
// paths only when those options are on.
func (p *Pool[In, Out]) runChunk(b *batch[In, Out], lo, hi int) (ok int) {
	i := lo // the item running, for the panic report
	defer func() {
		if r := recover(); r != nil {
			ok = i - lo
			b.fail(fmt.Errorf("pool: item %d: %w", i, newPanicError(r)))
		}
	}()
	ctx := b.ctx
	ins := b.ins[lo:hi]
	outs := b.outs[lo:hi]
	outs = outs[:len(ins)] // one bounds check for the loop
	for j := range ins {
		var out Out
		var err error
		if p.cfg.Timeout > 0 || p.cfg.paced {
			out, err = p.attempt(ctx, ins[j])
		} else {
			out, err = p.call(ctx, ins[j])
		}
		if p.cfg.Retries > 0 { //monogen:note outermost, so the stencil can fold it
			if err != nil {
				out, err = p.retry(ctx, ins[j], err)
			}
		}
		if err != nil {
			i = lo + j
			b.fail(fmt.Errorf("pool: item %d: %w", i, err))
			return j
		}
		outs[j] = out
		i++
	}
	return len(ins)
}
