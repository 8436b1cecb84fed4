// Package batcher is the monogen template of a batcher: it collects items
// added by any number of goroutines and hands them to a function in batches,
// when a batch is full or when the flush interval passes:
//
//	//monogen:batcher Writes[Row] size=500 flush=50ms fn=writeRows workers=2 retries=3
//
// Adding an item costs a mutex and an append; the hand-off to a worker, the
// only channel operation, happens once per batch. Batch slices are recycled
// through a fixed set of buffers, so a steady stream allocates nothing, and
// when every buffer is in flight Add waits: that is the backpressure.
package batcher

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ErrClosed is returned by Add and Flush after Close.
var ErrClosed = errors.New("batcher: closed")

// Defaults used for zero Config fields.
const (
	DefaultSize    = 500
	DefaultWorkers = 1
)

// buffersPerWorker is how many batch buffers each worker has: one it is
// processing and one queued for it. One more buffer is being filled. With
// fewer, Add would wait whenever a worker starts a batch; with more, only
// memory and latency grow.
const buffersPerWorker = 2

// Config holds the options of a Batcher. In generated code each field is a
// constant taken from the directive.
//
//monogen:config
type Config struct {
	// Size is the number of items that makes a batch full. Zero means
	// DefaultSize.
	Size int
	// Flush is the interval at which a batch that is not full is handed
	// over anyway, so no item waits longer than about Flush. Zero means
	// batches go out only when full, on Flush and on Close.
	Flush time.Duration
	// Workers is the number of goroutines calling the batch function, so
	// the number of batches in progress at once. Zero means DefaultWorkers.
	Workers int
	// Retries is how many more times a failed batch is tried before it is
	// reported.
	Retries int
}

// BatchError reports a batch that failed after every retry: its items and
// the last error.
//
//monogen:doc retries BatchError reports a batch that failed after every retry: its items
//monogen:doc retries and the last error.
//monogen:doc !retries BatchError reports a batch that failed: its items and the error.
type BatchError[T any] struct {
	Items []T
	Err   error
}

func (e *BatchError[T]) Error() string {
	return fmt.Sprintf("batcher: batch of %d items failed: %v", len(e.Items), e.Err)
}

func (e *BatchError[T]) Unwrap() error { return e.Err }

// batchJob is a batch handed to the workers, with its sequence number.
type batchJob[T any] struct {
	seq   uint64
	items []T
}

// flushWaiter is a Flush waiting for every batch up to seq to be done.
type flushWaiter struct {
	seq  uint64
	done chan struct{}
}

// Batcher collects items and passes them in batches to a function. Create one
// with New; the zero value is not usable. A Batcher must not be copied after
// first use.
//
// Every item for which Add returned nil is passed to exactly one call of the
// function that returned nil, or reported as failed (to the error handler, or
// by Flush or Close) after every retry; Close waits for all of them. An Add
// happens before the call of the function that receives its item.
//
//monogen:doc * Batcher collects items and passes them in batches to a function. Create one
//monogen:doc * with New; the zero value is not usable. A Batcher must not be copied after
//monogen:doc * first use.
//monogen:doc *
//monogen:doc * Every item for which Add returned nil is passed to exactly one call of the
//monogen:doc * function that returned nil, or reported as failed (to the error handler, or
//monogen:doc retries by Flush or Close) after every retry; Close waits for all of them. An Add
//monogen:doc !retries by Flush or Close); Close waits for all of them. An Add
//monogen:doc * happens before the call of the function that receives its item.
type Batcher[T any] struct {
	_ noCopy

	cfg     Config
	fn      func(context.Context, []T) error //monogen:if !boundFn
	onError func([]T, error)                 //monogen:if !boundOnError

	// tick delivers the flush interval; tests replace it.
	tick   <-chan time.Time
	ticker *time.Ticker

	free chan []T         // empty batch buffers
	work chan batchJob[T] // full batches for the workers; never blocks
	done chan struct{}    // closed by Close: stops waiting Adds and the ticker
	ctx  context.Context  // given to fn; cancelled when Close gives up
	stop context.CancelCauseFunc
	wg   sync.WaitGroup // workers and ticker

	mu       sync.Mutex
	cur      []T // batch being filled; nil when every buffer is in flight
	seq      uint64
	inflight []uint64 // sequence numbers handed over and not yet done
	waiters  []flushWaiter
	failed   []error // BatchErrors kept for Flush and Close when onError is nil
	closed   bool
}

// New returns a Batcher that passes batches to fn and reports a batch that
// failed after every retry to onError. The slice given to fn and onError is
// reused once they return: copy what must outlive the call. If onError is nil,
// failed batches are kept (with a copy of their items) and returned by the
// next Flush or Close as *BatchError values joined into one error.
//
//monogen:template
func New[T any](fn func(context.Context, []T) error, onError func([]T, error), cfg Config) *Batcher[T] {
	if cfg.Size <= 0 {
		cfg.Size = DefaultSize
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	cfg.Retries = max(cfg.Retries, 0)
	b := &Batcher[T]{cfg: cfg, fn: fn, onError: onError}
	b.init()
	return b
}

// init allocates the buffers and starts the workers and the ticker.
func (b *Batcher[T]) init() {
	if b.cfg.Size < 1 || b.cfg.Flush < 0 {
		panic("batcher: invalid configuration: want size >= 1 and flush >= 0")
	}
	buffers := buffersPerWorker*b.cfg.Workers + 1
	b.free = make(chan []T, buffers)
	for range buffers - 1 {
		b.free <- make([]T, 0, b.cfg.Size)
	}
	b.cur = make([]T, 0, b.cfg.Size)
	b.work = make(chan batchJob[T], buffers)
	b.done = make(chan struct{})
	b.inflight = make([]uint64, 0, buffers)
	b.ctx, b.stop = context.WithCancelCause(context.Background())
	for range b.cfg.Workers {
		b.wg.Go(b.worker)
	}
	if b.cfg.Flush > 0 {
		if b.tick == nil {
			b.ticker = time.NewTicker(b.cfg.Flush)
			b.tick = b.ticker.C
		}
		b.wg.Go(b.flusher)
	}
}

// Add adds v to the current batch, handing the batch over if it is full. If
// every batch buffer is in flight, Add waits for one and returns ctx.Err() if
// ctx ends first. It returns ErrClosed after Close.
func (b *Batcher[T]) Add(ctx context.Context, v T) error {
	b.mu.Lock()
	for b.cur == nil || b.closed {
		if b.closed {
			b.mu.Unlock()
			return ErrClosed
		}
		b.mu.Unlock()
		var buf []T
		select {
		case buf = <-b.free:
		case <-b.done:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
		b.mu.Lock()
		if b.cur == nil && !b.closed {
			b.cur = buf
		} else {
			b.free <- buf // another Add got one first; free has room for it
		}
	}
	b.cur = append(b.cur, v)
	if len(b.cur) >= b.cfg.Size {
		b.dispatchLocked()
	}
	b.mu.Unlock()
	return nil
}

// AddMany adds the items of vs in order, as successive Adds would, but takes
// the lock once per batch rather than once per item. It returns how many items
// it added; when that is less than len(vs), the error says why, as for Add.
func (b *Batcher[T]) AddMany(ctx context.Context, vs []T) (int, error) {
	added := 0
	b.mu.Lock()
	for added < len(vs) {
		if b.closed {
			b.mu.Unlock()
			return added, ErrClosed
		}
		if b.cur == nil {
			b.mu.Unlock()
			var buf []T
			select {
			case buf = <-b.free:
			case <-b.done:
				return added, ErrClosed
			case <-ctx.Done():
				return added, ctx.Err()
			}
			b.mu.Lock()
			if b.cur == nil && !b.closed {
				b.cur = buf
			} else {
				b.free <- buf
			}
			continue
		}
		n := min(len(vs)-added, b.cfg.Size-len(b.cur))
		b.cur = append(b.cur, vs[added:added+n]...)
		added += n
		if len(b.cur) >= b.cfg.Size {
			b.dispatchLocked()
		}
	}
	b.mu.Unlock()
	return added, nil
}

// Flush hands over the current batch, even if it is not full, and waits until
// every batch handed over before it has been passed to the function (and
// reported, if it failed). It returns ctx.Err() if ctx ends first, ErrClosed
// after Close, and the batches that failed since the last Flush or Close when
// there is no error handler.
func (b *Batcher[T]) Flush(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	if len(b.cur) > 0 {
		b.dispatchLocked()
	}
	var done chan struct{}
	if len(b.inflight) > 0 {
		done = make(chan struct{})
		b.waiters = append(b.waiters, flushWaiter{seq: b.seq, done: done})
	}
	b.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return b.takeFailed()
}

// Close hands over the current batch, stops accepting items and waits until
// every batch has been passed to the function or reported. If ctx ends first,
// Close cancels the context given to the function, reports the batches not yet
// passed to it as failed with the cause, waits for the calls in progress to
// return and returns ctx.Err(). Otherwise it returns the batches that failed
// since the last Flush when there is no error handler. Close after Close
// returns ErrClosed.
func (b *Batcher[T]) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	if len(b.cur) > 0 {
		b.dispatchLocked()
	}
	b.closed = true
	close(b.work) // no send follows: every send is under mu and checks closed
	close(b.done)
	b.mu.Unlock()
	if b.ticker != nil {
		b.ticker.Stop()
	}

	stopped := make(chan struct{})
	go func() {
		b.wg.Wait()
		close(stopped)
	}()
	var err error
	select {
	case <-stopped:
	case <-ctx.Done():
		err = ctx.Err()
		b.stop(context.Cause(ctx))
		<-stopped
	}
	b.stop(ErrClosed)
	return errors.Join(err, b.takeFailed())
}

// dispatchLocked hands the current batch to the workers and takes a free
// buffer for the next one, if there is one. b.mu is held.
func (b *Batcher[T]) dispatchLocked() {
	b.seq++
	b.inflight = append(b.inflight, b.seq)
	b.work <- batchJob[T]{seq: b.seq, items: b.cur}
	select {
	case buf := <-b.free:
		b.cur = buf
	default:
		b.cur = nil
	}
}

// worker passes batches to the function until Close.
func (b *Batcher[T]) worker() {
	for job := range b.work {
		b.process(job.items)
		b.finish(job)
	}
}

// process passes one batch to the function, retrying, and reports it if it
// still fails. Once Close has given up, it reports without calling.
func (b *Batcher[T]) process(items []T) {
	if err := context.Cause(b.ctx); err != nil {
		b.report(items, err)
		return
	}
	err := b.call(b.ctx, items)
	if b.cfg.Retries > 0 {
		for attempt := 0; err != nil && attempt < b.cfg.Retries && b.ctx.Err() == nil; attempt++ {
			err = b.call(b.ctx, items)
		}
	}
	if err != nil {
		b.report(items, err)
	}
}

// finish recycles a processed batch's buffer and releases the Flushes that
// were waiting for it.
func (b *Batcher[T]) finish(job batchJob[T]) {
	clear(job.items) // let the garbage collector have the items
	b.free <- job.items[:0]
	b.mu.Lock()
	i := slices.Index(b.inflight, job.seq)
	b.inflight = slices.Delete(b.inflight, i, i+1)
	oldest := b.seq + 1
	if len(b.inflight) > 0 {
		oldest = slices.Min(b.inflight)
	}
	b.waiters = slices.DeleteFunc(b.waiters, func(w flushWaiter) bool {
		if w.seq < oldest {
			close(w.done)
			return true
		}
		return false
	})
	b.mu.Unlock()
}

// flusher hands over the current batch at every tick until Close.
func (b *Batcher[T]) flusher() {
	for {
		select {
		case <-b.tick:
			b.mu.Lock()
			if !b.closed && len(b.cur) > 0 {
				b.dispatchLocked()
			}
			b.mu.Unlock()
		case <-b.done:
			return
		}
	}
}

// call passes a batch to the user's function.
//
//monogen:hook
func (b *Batcher[T]) call(ctx context.Context, items []T) error {
	return b.fn(ctx, items)
}

// report passes a failed batch to the user's error handler, or keeps it for
// Flush and Close when there is none.
//
//monogen:hook
func (b *Batcher[T]) report(items []T, err error) {
	if b.onError != nil {
		b.onError(items, err)
		return
	}
	b.keepFailed(items, err)
}

// keepFailed records a failed batch, with a copy of its items since the
// buffer is reused.
func (b *Batcher[T]) keepFailed(items []T, err error) {
	e := &BatchError[T]{Items: slices.Clone(items), Err: err}
	b.mu.Lock()
	b.failed = append(b.failed, e)
	b.mu.Unlock()
}

// takeFailed returns the kept failures joined, and forgets them.
func (b *Batcher[T]) takeFailed() error {
	b.mu.Lock()
	failed := b.failed
	b.failed = nil
	b.mu.Unlock()
	return errors.Join(failed...)
}

// noCopy lets go vet's copylocks check report a Batcher copied by value.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
