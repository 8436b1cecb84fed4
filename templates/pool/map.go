package pool

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// chunkTime is how long a chunk of a Map call should take.
//
// Chunking of a Map call: each helping worker claims chunks of consecutive
// items with one atomic add, so the cost of sharing out the work is paid
// once per chunk, not per item. But the items of a chunk wait for each
// other: a chunk holding two slow items keeps the second from a helper
// that idles meanwhile. So a helper sizes its chunks by time, not count:
// its first chunk is one item, and each next one as many items as its last
// chunk's pace says will take chunkTime, at most twice the last. Slow
// items go out one at a time, cheap ones by the tens of thousands, and an
// item waits in a chunk behind at most about chunkTime of items that have
// proved cheap. No chunk is larger than a share of what is left, so that
// the helpers finish together. The clock is read once per chunk.
//
// chunkTime is small next to a slow item and large next to the cost of a
// chunk (an atomic add and a clock read, about 0.1µs): the clock costs the
// tiniest items well under 1%.
const chunkTime = 50 * time.Microsecond

// batch is one Map call, shared by the workers helping with it.
type batch[In, Out any] struct {
	batchState
	ins  []In
	outs []Out

	// queued is when Map was called, in nanoseconds since the pool's
	// epoch: its items' queue waits start then.
	queued int64 //monogen:if metrics
}

// batchState is the progress of a Map call, whatever its items hold.
type batchState struct {
	parent  context.Context // Map's ctx
	ctx     context.Context // every item's context; cancelled when the batch stops
	cancel  context.CancelFunc
	n       int64 // items
	helpers int64

	next atomic.Int64  // first unclaimed index; past n once all are claimed
	left atomic.Int64  // items neither finished nor abandoned
	ok   atomic.Int64  // items finished with a nil error
	done chan struct{} // closed when left reaches zero

	errMu sync.Mutex
	err   error // why the batch stopped: the first reason given to fail
}

// Map runs every element of ins through the pool's function and returns the
// outputs in input order. It is the fast path for large batches: the workers
// share out ins by chunks (no queue hand-off per item), run them in a tight
// loop and write straight into the result slice. The result handler is not
// called for Map items.
//
// Each item runs under a context derived from ctx (so it carries ctx's
// values), cancelled when ctx is done, when Shutdown begins, or when another
// item fails. The first of these stops the batch: Map waits for the items
// already running and returns the outputs, with zero values for items that
// failed or never ran, and an error that says what came first: the failed
// item's error, of its last attempt, wrapped with its index; ctx.Err() if
// ctx was done; if Shutdown began, or the pool was closed before the batch
// was queued, ErrClosed. An item that fails once the batch has stopped (as a
// function that honours its context does) does not change the error. The
// error is nil if every item succeeded.
//
// If a worker is parked, the calling goroutine runs items in its stead
// (the worker stays parked until the caller is done), so that the batch
// starts at once instead of waiting for a worker to be woken and
// scheduled; up to Size()-1 other workers help, each receiving the batch
// through the queue like a job, if it has room, behind the jobs queued
// before it. If every worker is busy, the batch goes through the queue
// once per helping worker, up to Size(), and waits behind queued jobs.
// Either way, jobs and items never run on more goroutines at once than the
// pool has workers, and Close and Shutdown wait for the items the caller
// runs as for the workers'. Map must not be called from a job of the same
// pool.
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
	b := &batch[In, Out]{ins: ins, outs: outs}
	if p.cfg.Metrics {
		b.queued = p.stats.now()
	}
	b.start(ctx, n, helpers)
	defer b.cancel()
	// Shutdown stops the batch with ErrClosed, recorded before the items
	// see their contexts cancelled (see itemFailed). If it has begun, fail
	// runs at once.
	defer context.AfterFunc(p.ctx, func() { b.fail(ErrClosed) })()
	if p.cfg.Metrics {
		p.stats.submitted.Add(uint64(n))
	}

	if w := p.lend(&p.q.ring, &p.staff); w != nil {
		p.standIn(w, b)
	} else {
		// Every worker is busy: the batch waits for them in the queue.
		for range helpers {
			if err := p.send(ctx, task[In, Out]{batch: b}); err != nil {
				b.fail(err)
				break
			}
			p.untally()
		}
	}
	b.wait()
	if p.cfg.Metrics {
		ok := b.ok.Load()
		p.stats.completed.Add(uint64(ok))
		p.stats.failed.Add(uint64(n - ok))
	}
	return b.error()
}

// standIn runs items of b on the calling goroutine in the stead of w, a
// parked worker lent by lend, until none is left to claim, and asks b's
// other helpers for help through the queue, if it has room: a worker that
// comes when every item is claimed finds nothing to do.
func (p *Pool[In, Out]) standIn(w *worker, b *batch[In, Out]) {
	defer p.wg.Done()
	defer p.takeBack(&p.q.ring, &p.staff, w)
	if p.cfg.Metrics {
		// Busy, though w is counted in hunting.
		p.stats.stealing.Add(1)
		defer p.stats.stealing.Add(-1)
	}
	asked := false
	for range b.helpers - 1 {
		if p.q.tryPush(task[In, Out]{batch: b}) != pushed {
			break
		}
		p.pushed()
		p.untally()
		asked = true
	}
	if asked {
		runtime.Gosched()
	}
	p.runBatch(nil, b)
}

// untally takes back from Submitted the task Map has just pushed for a
// helper, which the queue's tail counted as a job: after the push, so that
// Submitted never counts fewer than the jobs and items accepted.
func (p *Pool[In, Out]) untally() {
	if p.cfg.Metrics {
		p.stats.submitted.Add(^uint64(0))
	}
}

// start sets b up for n items shared out to helpers workers, under ctx.
func (b *batchState) start(ctx context.Context, n, helpers int64) {
	b.parent, b.n, b.helpers = ctx, n, helpers
	b.done = make(chan struct{})
	b.left.Store(n) // before anything can fail the batch and count items off
	b.ctx, b.cancel = context.WithCancel(ctx)
}

// wait waits until every item has finished or been abandoned.
func (b *batchState) wait() {
	select {
	case <-b.done:
	case <-b.ctx.Done():
		// Stopped by Map's ctx, or by fail, which recorded why: the
		// error of ctx counts only if it came first. Either way, wait
		// for the items still running: Map must not return while the
		// pool still reads its inputs or writes its outputs.
		b.fail(b.parent.Err())
		<-b.done
	}
}

// error returns why the batch stopped, or nil if every item succeeded,
// whatever stopped the batch after.
func (b *batchState) error() error {
	if b.ok.Load() == b.n {
		return nil
	}
	b.errMu.Lock()
	defer b.errMu.Unlock()
	return b.err
}

// fail stops the batch: it records err as the reason, unless err is nil or
// a reason was recorded first, cancels the running items and abandons the
// unclaimed ones.
func (b *batchState) fail(err error) {
	b.errMu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.errMu.Unlock()
	b.cancel()
	n := b.n
	// Claim everything left in one add, as a worker would claim a chunk.
	if lo := b.next.Add(n) - n; lo < n {
		b.finish(n - lo)
	}
}

// finish accounts for k items finished or abandoned.
func (b *batchState) finish(k int64) {
	if b.left.Add(-k) == 0 {
		close(b.done)
	}
}

// runBatch claims and runs chunks of b until none is left, sized by time
// (see chunkTime), on a worker or on Map's caller. It stops the batch if it
// finds b's context done.
func (p *Pool[In, Out]) runBatch(w *member, b *batch[In, Out]) {
	size := int64(1)
	start := time.Now()
	for {
		if b.ctx.Err() != nil {
			// Map's ctx is done, or the batch has stopped: claim the
			// rest, so that nobody runs any more of it.
			b.fail(b.parent.Err())
			return
		}
		lo, hi, more := b.claim(size)
		if !more {
			return
		}
		if p.cfg.Metrics {
			p.stats.inFlight.Add(hi - lo)
		}
		ok := p.runChunk(b, int(lo), int(hi))
		now := time.Now()
		if p.cfg.Metrics {
			p.stats.inFlight.Add(lo - hi)
			// Before finish: once Map returns, Stats has its items.
			ws := &p.stats.mapped
			if w != nil {
				ws = w.stats
			}
			p.stats.chunkDone(ws, b.queued, hi-lo, start, now)
		}
		b.ok.Add(int64(ok))
		b.finish(hi - lo)
		size = nextChunk(size, hi-lo, now.Sub(start))
		start = now
	}
}

// claim claims the next chunk of b, [lo, hi), of at most size items and
// at most a share of what is left, so that the helpers finish together; it
// reports false when every item is claimed.
func (b *batchState) claim(size int64) (lo, hi int64, ok bool) {
	k := min(size, max((b.n-b.next.Load())/(2*b.helpers), 1))
	hi = b.next.Add(k)
	lo = hi - k
	if lo >= b.n {
		return 0, 0, false
	}
	return lo, min(hi, b.n), true
}

// nextChunk returns the size of the chunk that follows one of k items,
// claimed at size, that ran in d: as many items as take chunkTime at that
// pace, at least one, at most twice size.
func nextChunk(size, k int64, d time.Duration) int64 {
	if d <= 0 {
		return 2 * size
	}
	return min(max(int64(chunkTime)*k/int64(d), 1), 2*size)
}

// itemFailed stops the batch because item i failed with err. If the batch
// had already stopped, the failure is most likely that stop seen through
// the item's context (a function that honours its context returns
// ctx.Err()), so the batch's error is the stop's reason instead: ctx.Err()
// if ctx is done, or the reason fail recorded before it cancelled the
// items (ErrClosed for Shutdown, an earlier item's failure).
func (b *batchState) itemFailed(i int, err error) {
	if b.ctx.Err() != nil {
		b.fail(b.parent.Err())
		return
	}
	b.fail(fmt.Errorf("pool: item %d: %w", i, err))
}

// runChunk runs items [lo, hi) of b and returns how many succeeded before
// the first failure, which fails the batch. It is the per-item loop of Map,
// kept tight: one call of the hook per item, and the retry and timeout
// paths only when those options are on.
//
//monogen:doc * runChunk runs items [lo, hi) of b and returns how many succeeded before
//monogen:doc * the first failure, which fails the batch: the per-item loop of Map.
//monogen:doc retries Each item gets its retries before it fails.
//monogen:doc !retries Each item is tried once.
func (p *Pool[In, Out]) runChunk(b *batch[In, Out], lo, hi int) (ok int) {
	i := lo // the item running, for the panic report
	defer func() {
		if r := recover(); r != nil {
			ok = i - lo
			err := newPanicError(r)
			if p.cfg.hookPanic {
				p.panicked(b.ins[i], err)
			}
			b.itemFailed(i, err)
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
			b.itemFailed(i, err)
			return j
		}
		outs[j] = out
		i++
	}
	return len(ins)
}
