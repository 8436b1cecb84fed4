// Package pipeline runs items through a chain of typed stages, each on its
// own set of goroutines: stage i turns a T(i-1) into a T(i), and the stages
// work concurrently on different items, connected by bounded channels.
//
// It is the generic reference of the monogen pipeline pattern:
//
//	//monogen:pipeline Ingest[[]byte, Event, Enriched, Stored] workers=1,4,2 buffer=64 stages=parse,enrich,store ordered=true errors=collect retries=2 metrics=true
//
// generates a non-generic Ingest wiring three stages whose options are
// constants, so that an option left off generates no code at all. Go has no
// variadic type parameters, so the reference is written around one generic
// stage, [Stage], and composes stages with [From] and [Then]:
//
//	parse := pipeline.NewStage("parse", parseFn, cfg)
//	enrich := pipeline.NewStage("enrich", enrichFn, cfg)
//	store := pipeline.NewStage("store", storeFn, cfg)
//	p := pipeline.Then(pipeline.Then(pipeline.From(parse), enrich), store)
//	stored, err := p.RunSlice(ctx, raw)
//
// # Batches
//
// Items travel between stages in batches: one channel send carries up to
// Config.Batch items, so the cost of a send, and of waking the goroutine that
// receives it, is shared by the whole batch. The source never waits to fill a
// batch: it sends what it has as soon as its input is momentarily empty, so a
// slow trickle of items travels one at a time with no added latency, and only
// a backlog forms full batches. This throughput mode (Batch 64) is the
// default because it costs nothing when the input is slow and divides the
// per-item cost of a busy pipeline several times. Batch 1 is the latency
// mode: one item per send, never held back behind the others of a batch
// while a stage works through them. A batch keeps its identity through the
// pipeline (batch k of a stage's output holds the results of batch k of its
// input), and emptied batches are handed back to their producer through a
// free list, so a running pipeline allocates nothing per item.
//
// # Fusion
//
// Adjacent stages with the same number of workers are fused: they run
// together on one set of goroutines, each of which takes a batch through
// every stage of the chain in turn, with no channel between them. (Without
// metrics, generated code goes further: the pipeline type has a loop per
// fused chain that takes each item of a batch through every stage in turn,
// the item's value in a local variable, under one deferred recover per
// batch, and each stage's reject and panicked handle its outcome, as in
// processFrom. With metrics it keeps this stage-by-stage form, which times
// each stage's batch.) A chain of
// fused stages with Workers N is N data-parallel goroutines over batches:
// the hand-off between stages, a channel send and often the wake-up of
// another goroutine, which costs more than a cheap stage function, is gone,
// and so is the copy of each batch into the next stage's buffer. When every
// stage of a pipeline is fused, RunSlice uses no channel at all: the
// workers, the caller's goroutine one of them, take batches straight from
// the slice and write the outputs straight into the result, each batch at
// its place (so they come in input order, ordered or not). What breaks a
// chain:
//   - a different number of workers: each stage's function is called by at
//     most Workers goroutines at once, fused or not;
//   - a paced stage (Config.Rate): its workers spend their time waiting for
//     the limiter, and stages fused after it would lengthen every wait, so
//     the stage runs alone and the limiter alone sets its pace;
//   - Config.NoFuse on the later stage (fuse=false in a directive).
//
// Every behaviour stays as it is for stages on their own: a fused stage's
// function sees the same items, fails, skips, retries and panics the same
// way, and keeps its own Stats (its QueueAvg is zero: it has no input
// channel; nor has the first stage in a RunSlice of a pipeline fused
// throughout). What fusion trades away is the overlap of the stages' work: the
// stages of a fused chain with one worker run one after the other on one
// goroutine, where stages on their own would each use a core. For stages
// slow enough that the hand-off does not matter (a microsecond and more),
// more workers, or NoFuse, keep the cores busy.
//
// # Filtering, errors and panics
//
// A stage function drops an item by returning [ErrSkip]; that is not an
// error. Any other error fails the item. With Config.Collect false (the
// default, errors=stop), the first failure cancels the run, like errgroup:
// every stage stops and [Run.Wait] returns an [*ItemError]. With Collect
// (errors=collect), a failed item is left out, recorded with its stage and
// input, and the others go on; Wait returns every failure as [Failures]. A
// failed call is retried Config.Retries times first, with exponential
// backoff. A panic in a stage function is recovered into a [*PanicError]
// holding the stack and fails that item; it is not retried.
//
// [Stage.SetOnFail] and [Stage.SetOnSkip] (a directive's onfail= and
// onskip=) report each failed and each skipped item to a function, on the
// goroutine that ran the stage for it.
//
// # Accounting
//
// When a run completes (Wait returns nil, or Failures in collect mode),
// every input item either produced exactly one output, was dropped by
// ErrSkip at some stage, or is reported in Failures. A run stopped by an
// error or by its context loses the items still in flight, and discards the
// rest of its input.
//
// # Cancellation
//
// Every goroutine of a run watches the run's context. Cancelling the context
// passed to Start or RunSlice ends the run promptly: nobody needs to drain
// the output channel, and once Wait returns no goroutine of the run remains
// but one, after a stop, that receives and discards the rest of Start's
// input channel until its producer closes it. That producer may send
// without selecting on a context: a stopped run never leaves it blocked.
package pipeline

import (
	"context"
	"errors"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// ErrSkip is returned by a stage function to drop its item: no output, no
// failure. It is how a stage filters. Wrapped errors count (errors.Is).
var ErrSkip = errors.New("pipeline: skip item")

// Defaults applied by [NewStage] to options that are zero or negative.
const (
	// defaultBuffer items between stages (4 batches of 64) let a producer
	// run ahead of a consumer that hiccups, and in latency mode save most
	// sends from waking the receiver, without holding much in memory.
	defaultBuffer = 256
	// defaultBatch items per send: large enough that a channel operation
	// (~100 ns when it wakes a goroutine) costs under 2 ns per item, small
	// enough that a batch of 64-byte items stays within 4 KiB.
	defaultBatch = 64
)

// Config holds the options of a stage. The zero value is one worker, a
// buffer of 256 items, batches of 64 items, unordered, stop at the first
// error, no retries, no metrics.
//
// Batch, Ordered and Collect apply to a whole pipeline: [Then] panics when
// stages disagree on them. Workers, Buffer, Retries, Backoff, Metrics, Rate
// and NoFuse may differ from stage to stage.
//
// In generated code these are constants chosen by the directive (workers=,
// buffer=, batch=, ordered=, errors=, retries=, backoff=, metrics=); an
// option that is off generates no code.
//
//monogen:config
type Config struct {
	// Workers is the number of goroutines running the stage function: the
	// stage's fan-out. Zero or negative means 1.
	Workers int
	// Buffer is the number of items the channel carrying the stage's output
	// to the next stage holds: Buffer/Batch sends, at least one. Zero or
	// negative means 256.
	Buffer int
	// Batch is the largest number of items carried by one send; zero or
	// negative means 64, and 1 is the latency mode (see the package doc).
	Batch int
	// Ordered delivers outputs in the order of their inputs, even when stages
	// have several workers. Batches carry sequence numbers and the last step
	// puts them back in order; the number of batches in flight is bounded so
	// that one slow item holds back a bounded amount of memory.
	Ordered bool
	// Collect reports failed items and goes on (errors=collect). Otherwise
	// the first failure stops the run (errors=stop).
	Collect bool
	// Retries is how many more times a failed call is attempted. ErrSkip,
	// panics and calls made after the run was cancelled are not retried.
	Retries int
	// Backoff is the wait before the first retry; it doubles for each further
	// retry, up to the largest Duration. Zero retries at once.
	Backoff time.Duration
	// Metrics enables the counters reported by Stats. Off, they cost nothing.
	Metrics bool
	// Rate, if not nil, paces the stage: every call of its function, retries
	// included, first waits for Rate.Wait with the run's context, and a
	// failed wait fails the item with Wait's error. Stages, and pipelines,
	// may share one limiter. Nil means no limit, and no waiting code.
	Rate Limiter

	// NoFuse keeps the stage on goroutines of its own, with a channel
	// before it, even when it could be fused with the stage before (see
	// Fusion in the package doc; the directive's fuse=false).
	NoFuse bool

	// paced is Rate != nil: NewStage sets it; a generated pipeline has it
	// from rate=, for its first stage.
	paced bool

	// hookFail and hookSkip say whether a function is called with each
	// item the stage fails or skips (SetOnFail and SetOnSkip, or the
	// directive's onfail= and onskip=).
	hookFail, hookSkip bool
}

// Limiter paces a stage (Config.Rate): Wait blocks until one more event may
// happen, or returns an error if ctx is done first or the wait could not end
// before ctx's deadline. ratelimit.Limiter and x/time/rate's Limiter have
// this method.
//
//monogen:template
type Limiter interface {
	Wait(ctx context.Context) error
}

// inBatch is the message a stage receives: as many items as Config.Batch
// allows, and the sequence number the source gave the batch, which it keeps
// from stage to stage: an ordered run, and RunSlice, put the outputs in
// input order by it.
//
//monogen:doc ordered inBatch is the message a stage receives: as many items as Config.Batch
//monogen:doc ordered allows, and the sequence number the source gave the batch, which it keeps
//monogen:doc ordered from stage to stage: the sink puts the outputs in input order by it.
//monogen:doc !ordered inBatch is the message a stage receives: as many items as Config.Batch
//monogen:doc !ordered allows, and the sequence number the source gave the batch, which it keeps
//monogen:doc !ordered from stage to stage.
//monogen:note inBatch and outBatch are aliases of one struct type of the
//monogen:note items, so that stage i's output channel is stage i+1's input
//monogen:note channel in the generic code too; a generic named batch[T] would
//monogen:note be instantiated with both In and Out, which the stencil cannot
//monogen:note specialize. Generated code declares each once, as a named type:
//monogen:note stage i+1's inBatch is stage i's outBatch.
type inBatch[In, Out any] = struct {
	seq   uint64
	items []In
}

// outBatch is the message a stage sends to the next one, or to the sink:
// the items made from one batch it received, and that batch's sequence
// number.
type outBatch[In, Out any] = struct {
	seq   uint64
	items []Out
}

// Stage applies one function to every item that goes through it, on as
// many goroutines as Config.Workers.
//
// A Stage must be created with [NewStage]; the zero value is not usable. A
// Stage must not be copied after first use. A Stage holds no per-run state,
// so one Stage may serve several runs, of one or several pipelines, at once;
// its Stats add up all of them.
//
//monogen:doc * Stage applies one function to every item that goes through it, on as
//monogen:doc * many goroutines as Config.Workers.
//monogen:doc *
//monogen:doc * A Stage must be created with [NewStage]; the zero value is not usable. A
//monogen:doc * Stage must not be copied after first use. A Stage holds no per-run state,
//monogen:doc metrics so one Stage may serve several runs, of one or several pipelines, at once;
//monogen:doc metrics its Stats add up all of them.
//monogen:doc !metrics so one Stage may serve several runs, of one or several pipelines, at once.
//monogen:note Stage is the unit of a pipeline: generated code stencils it
//monogen:note once per stage, with In and Out the types on either side.
type Stage[In, Out any] struct {
	_ noCopy

	cfg   Config
	name  string
	fn    func(context.Context, In) (Out, error) //monogen:if !boundFn
	stats stageMetrics                           //monogen:if metrics

	// rate paces the stage (Config.Rate): every call waits for it first.
	rate Limiter //monogen:if rate

	// onFail and onSkip are the generic reference's event hooks
	// (SetOnFail, SetOnSkip).
	//monogen:note A generated pipeline calls onfail= and onskip= directly.
	onFail func(*ItemError)
	onSkip func(stage string, item any)
}

// NewStage returns a stage named name (the name appears in errors and
// stats) that applies fn to each item. fn is called concurrently from the
// stage's workers; it returns ErrSkip to drop an item.
//
//monogen:template
func NewStage[In, Out any](name string, fn func(context.Context, In) (Out, error), cfg Config) *Stage[In, Out] {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = defaultBuffer
	}
	if cfg.Batch <= 0 {
		cfg.Batch = defaultBatch
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	cfg.paced = cfg.Rate != nil
	return &Stage[In, Out]{cfg: cfg, name: name, fn: fn, rate: cfg.Rate}
}

// SetOnFail sets f to be called with each item the stage fails, as the
// *ItemError that the run records (collect mode) or stops with (stop mode):
// the stage function returned an error other than ErrSkip on its last
// attempt, or panicked (the Err is then a *PanicError). Like the run, it
// does not see failures that happen once the run is cancelled, mostly the
// cancellation itself seen by the stage function; in stop mode it sees the
// failure that stops the run and any that happened before the stop. f runs
// on the worker goroutine that called the stage function (in RunSlice, that
// may be the caller's), after the failure is recorded; while it runs, that
// worker processes nothing. f must not modify the ItemError. Call it before
// the stage is used.
//
//monogen:template
func (s *Stage[In, Out]) SetOnFail(f func(*ItemError)) {
	s.onFail = f
	s.cfg.hookFail = f != nil
}

// SetOnSkip sets f to be called with the stage's name and each item the
// stage function dropped by returning ErrSkip, on the worker goroutine that
// called it (in RunSlice, that may be the caller's), before the worker goes
// on to the next item; while f runs, that worker processes nothing. Skips
// are reported whether or not the run has been cancelled. Call it before the
// stage is used.
//
//monogen:template
func (s *Stage[In, Out]) SetOnSkip(f func(stage string, item any)) {
	s.onSkip = f
	s.cfg.hookSkip = f != nil
}

// failed reports an item the stage failed.
//
//monogen:hook
func (s *Stage[In, Out]) failed(e *ItemError) {
	s.onFail(e)
}

// skipped reports an item the stage named stage dropped.
//
//monogen:hook
func (s *Stage[In, Out]) skipped(stage string, in In) {
	s.onSkip(stage, in)
}

// batch is the message between stages: up to Config.Batch items, and the
// sequence number the source gave the batch, which it keeps from stage to
// stage (an ordered run, and RunSlice, put the outputs in input order by
// it). In Stage code it is spelled out as
// struct{ seq uint64; items []In } or []Out: a named generic type would be
// instantiated with both In and Out, which the stencil cannot specialize;
// two identical struct types are the same type, so stage i's output channel
// is stage i+1's input channel.

// capacity is the capacity in sends of the channel after the stage.
func (s *Stage[In, Out]) capacity() int {
	return max(1, s.cfg.Buffer/s.cfg.Batch)
}

// call applies the stage function to one item. It is the only place a user
// function is called.
//
//monogen:note With stages= naming package-level functions, the generator
//monogen:note replaces this body with a direct call, adapted to the
//monogen:note function's form.
//monogen:hook
func (s *Stage[In, Out]) call(ctx context.Context, in In) (Out, error) {
	return s.fn(ctx, in)
}

// output makes the channel that carries the stage's output batches to the
// next goroutines, with the free list the consumer returns emptied output
// batches to, and leave, which each worker feeding the channel calls as it
// exits: the last one closes the channel. next is the number of goroutines
// consuming the output; together with the buffer and the workers it bounds
// how many output batches can be in use at once, which is the free list's
// capacity, so a run in steady state allocates none.
func (s *Stage[In, Out]) output(r *Run, next int) (chan outBatch[In, Out], chan []Out, func()) {
	out := make(chan outBatch[In, Out], s.capacity())
	// The buffer, the consumers, each worker's batch, and one more.
	//monogen:note Workers and the one are summed apart so that the stencil
	//monogen:note folds them into one number.
	size := s.capacity() + next + (s.cfg.Workers + 1)
	if s.cfg.Ordered {
		// In an ordered run at most cap(r.tokens) batches exist at once, and
		// the sink may hold all of them while it waits for a late one.
		size = max(size, cap(r.tokens))
	}
	free := make(chan []Out, size)
	left := new(atomic.Int32) // running workers; the last one closes out
	left.Store(int32(s.cfg.Workers))
	leave := func() {
		if left.Add(-1) == 0 {
			close(out)
		}
	}
	return out, free, leave
}

// start launches the stage's workers in r, the stage running alone on them,
// and returns the channel of their output batches with its free list (see
// output). The workers read batches from in and return each emptied input
// batch to inFree (nil: input batches are not theirs to recycle).
func (s *Stage[In, Out]) start(r *Run, in <-chan inBatch[In, Out], inFree chan []In, next int) (<-chan outBatch[In, Out], chan []Out) {
	out, free, leave := s.output(r, next)
	s.run(r, in, inFree, leave, func() func(seq uint64, items []In, queued int) bool {
		return s.send(r, out, free)
	})
	return out, free
}

// run launches the stage's workers in r: each reads batches from in, hands
// every batch to a step of its own, made by chain, and returns the emptied
// batch to inFree; it calls leave as it exits. The step is the stage's send
// when the stage runs alone, or its link to the stages fused after it: the
// workers of the first stage of a fused chain take each batch through every
// stage of the chain.
func (s *Stage[In, Out]) run(r *Run, in <-chan inBatch[In, Out], inFree chan []In, leave func(), chain func() func(seq uint64, items []In, queued int) bool) {
	r.wg.Add(s.cfg.Workers)
	for range s.cfg.Workers {
		go s.work(r, in, inFree, leave, chain())
	}
}

// work is one worker of the stage: it hands input batches to step until in
// is closed, the run is cancelled or step reports that it was.
func (s *Stage[In, Out]) work(r *Run, in <-chan inBatch[In, Out], inFree chan []In, leave func(), step func(seq uint64, items []In, queued int) bool) {
	defer r.wg.Done()
	defer leave()
	done := r.ctx.Done()
	for {
		// Channel operations come in two steps: first alone, which takes
		// only that channel's lock, then, if it would block, in a select with
		// done. A select locks every channel it names, and done is shared by
		// every goroutine of the run: selecting on it for every send would
		// make it the run's point of contention. The poll of done, lock-free
		// on an open channel, bounds what a cancelled worker still does to
		// one batch.
		select {
		case <-done:
			return
		default:
		}
		var b inBatch[In, Out]
		var ok bool
		select {
		case b, ok = <-in:
		default:
			select {
			case b, ok = <-in:
			case <-done:
				return
			}
		}
		if !ok {
			return
		}
		more := step(b.seq, b.items, len(in))
		s.putIn(inFree, b.items)
		if !more {
			return
		}
	}
}

// send returns the step of a stage whose output goes on a channel: it
// processes a batch into an output batch from free and sends that on out.
// The step reports false if the run was cancelled while it waited to send.
// queued is the number of batches that waited in the stage's input channel.
func (s *Stage[In, Out]) send(r *Run, out chan<- outBatch[In, Out], free chan []Out) func(seq uint64, items []In, queued int) bool {
	return func(seq uint64, items []In, queued int) bool {
		return s.post(r, out, free, seq, s.measure(r, items, s.getOut(free), queued))
	}
}

// post sends res, the outputs of batch seq, on out, and reports false if
// the run was cancelled while it waited to send.
//
//monogen:doc !ordered post sends res, the outputs of batch seq, on out, and reports false if
//monogen:doc !ordered the run was cancelled while it waited to send. An empty res goes back
//monogen:doc !ordered to free instead: the sink would have nothing to deliver.
//monogen:note A generated pipeline's fused chain posts the outputs of its
//monogen:note last stage with it.
func (s *Stage[In, Out]) post(r *Run, out chan<- outBatch[In, Out], free chan []Out, seq uint64, res []Out) bool {
	if !s.cfg.Ordered {
		// An empty batch need not go on: the sink has nothing to deliver.
		//monogen:note Only an unordered run drops it: an ordered one's sink
		//monogen:note waits for every sequence number.
		if len(res) == 0 {
			s.putOut(free, res)
			return true
		}
	}
	m := outBatch[In, Out]{seq: seq, items: res}
	select { // alone first: see work
	case out <- m:
	default:
		select {
		case out <- m:
		case <-r.ctx.Done():
			return false
		}
	}
	return true
}

// link returns the step of a stage fused with the next one: it processes a
// batch into a scratch batch of its own, reused from batch to batch, and
// hands the results to next, the next stage's step, on the same goroutine:
// no channel, no wait, no other goroutine to wake. Each worker has its own
// link, so the scratch batch is never shared. The step reports false if the
// run is cancelled.
func (s *Stage[In, Out]) link(r *Run, next func(seq uint64, items []Out, queued int) bool) func(seq uint64, items []In, queued int) bool {
	scratch := make([]Out, 0, s.cfg.Batch)
	done := r.ctx.Done()
	return func(seq uint64, items []In, queued int) bool {
		res := s.measure(r, items, scratch, queued)
		more := true
		select {
		case <-done:
			// A stopped run's items are lost; the rest of the chain need
			// not see them.
			more = false
		default:
			// A fused stage has no input channel, so nothing waited.
			if s.cfg.Ordered {
				// Even an empty batch goes on, as in post: the sink waits
				// for every sequence number.
				more = next(seq, res, 0)
			} else if len(res) > 0 {
				more = next(seq, res, 0)
			}
		}
		clear(res) // let the garbage collector have what the items point to
		scratch = res[:0]
		return more
	}
}

// runSlice runs a pipeline whose stages are all fused, this stage first,
// on the items of in, with no channel at all: its workers, the calling
// goroutine one of them, take batches straight from in, in turn, and hand
// each, numbered by its place in in, to a step of their own, made by chain,
// whose last stage places the outputs (place). It returns once every batch
// is done or the run is cancelled, having marked the run complete if it was
// not.
func (s *Stage[In, Out]) runSlice(r *Run, in []In, chain func() func(seq uint64, items []In, queued int) bool) {
	batches := (len(in) + s.cfg.Batch - 1) / s.cfg.Batch
	var claimed atomic.Int64 // batches taken
	work := func(step func(seq uint64, items []In, queued int) bool) {
		done := r.ctx.Done()
		for {
			select { // bounds what a cancelled worker does to one batch
			case <-done:
				return
			default:
			}
			k := int(claimed.Add(1) - 1)
			if k >= batches {
				return
			}
			lo := k * s.cfg.Batch
			hi := min(lo+s.cfg.Batch, len(in))
			// A fused first stage has no input channel: nothing waited.
			if !step(uint64(k), in[lo:hi:hi], 0) {
				return
			}
		}
	}
	if s.cfg.Workers == 1 {
		work(chain())
	} else {
		var wg sync.WaitGroup
		for range min(s.cfg.Workers, batches) - 1 {
			step := chain()
			wg.Go(func() { work(step) })
		}
		work(chain())
		wg.Wait()
	}
	r.finish()
}

// place returns the step of the last stage of a pipeline that runSlice
// runs: it processes batch seq straight into res, at the batch's own place
// (batch seq of the input starts at item seq*Batch, and makes at most one
// output per item), and records in counts[seq] how many outputs it made.
// Workers write apart: each batch has its own part of res and of counts.
// gather then closes the gaps.
func (s *Stage[In, Out]) place(r *Run, res []Out, counts []int) func(seq uint64, items []In, queued int) bool {
	return func(seq uint64, items []In, queued int) bool {
		counts[seq] = len(s.measure(r, items, s.slot(res, seq, len(items)), queued))
		return true
	}
}

// slot returns the place in res of the outputs of batch seq, of n items:
// empty, with room for n outputs from item seq*Batch on.
func (s *Stage[In, Out]) slot(res []Out, seq uint64, n int) []Out {
	at := int(seq) * s.cfg.Batch
	return res[at : at : at+n]
}

// gather closes the gaps that place left in res, where batches made fewer
// outputs than they had items, and returns the outputs, in input order.
func (s *Stage[In, Out]) gather(res []Out, counts []int) []Out {
	n := 0
	for k, c := range counts {
		if at := k * s.cfg.Batch; at != n {
			copy(res[n:n+c], res[at:at+c])
		}
		n += c
	}
	clear(res[n:]) // let the garbage collector have what the gaps point to
	return res[:n]
}

// measure is process, counted in the stage's Stats when metrics are on;
// queued is the number of batches that waited in the stage's input channel.
//
//monogen:doc metrics measure is process, counted in the stage's Stats; queued is the
//monogen:doc metrics number of batches that waited in the stage's input channel.
//monogen:doc !metrics measure is process: the pipeline keeps no statistics.
func (s *Stage[In, Out]) measure(r *Run, in []In, out []Out, queued int) []Out {
	if !s.cfg.Metrics {
		return s.process(r, in, out)
	}
	s.stats.received(len(in), queued)
	began := time.Now()
	res := s.process(r, in, out)
	s.stats.processed(len(in), len(res), time.Since(began))
	return res
}

// process applies the stage to every item of in and appends the results to
// out. A panic fails only the item that raised it: processing resumes after
// it, so a batch costs one deferred recover, not one per item.
func (s *Stage[In, Out]) process(r *Run, in []In, out []Out) []Out {
	for i := 0; i < len(in); {
		out, i = s.processFrom(r, in, i, out)
	}
	return out
}

// processFrom is process from in[from:]. It returns the extended out and
// where to resume: len(in) when done, or after an item that panicked.
func (s *Stage[In, Out]) processFrom(r *Run, in []In, from int, out []Out) (res []Out, next int) {
	res = out
	defer func() {
		if v := recover(); v != nil {
			s.panicked(r, in[next], v)
			next++
			if !s.cfg.Collect {
				next = len(in) // the run is stopping; drop the rest
			}
		}
	}()
	ctx := r.ctx
	for next = from; next < len(in); next++ {
		o, err := s.apply(ctx, in[next])
		if err != nil {
			if !s.reject(r, in[next], err) {
				return res, len(in) // the run is stopping; drop the rest
			}
			continue
		}
		res = append(res, o)
	}
	return res, next
}

// reject handles the error err of the stage function on item in: ErrSkip
// drops the item (and reports the skip), any other error fails it. It
// reports whether the worker goes on with the next item: false when the
// failure stops the run (errors=stop).
//
//monogen:note A generated pipeline's fused chain calls it for each stage.
func (s *Stage[In, Out]) reject(r *Run, in In, err error) bool {
	if err == ErrSkip || errors.Is(err, ErrSkip) {
		if s.cfg.hookSkip {
			s.skipped(s.name, in)
		}
		return true
	}
	s.fail(r, in, err)
	return s.cfg.Collect
}

// panicked fails item in, on which the stage function panicked with v, with
// a *PanicError holding v and the stack. It is called from the deferred
// function that recovered v, so the stack still shows the panic.
func (s *Stage[In, Out]) panicked(r *Run, in In, v any) {
	s.fail(r, in, &PanicError{Value: v, Stack: debug.Stack()})
}

// apply calls the stage function, and again on failure as many times as
// Config.Retries says. The retry loop lives in its own function so that
// apply stays small enough to inline.
//
//monogen:doc rate,retries apply waits for the rate limiter, then calls the stage function,
//monogen:doc rate,retries and again on failure as many times as Config.Retries says. The retry
//monogen:doc rate,retries loop lives in its own function so that apply stays small enough to
//monogen:doc rate,retries inline.
//monogen:doc !rate,retries apply calls the stage function, and again on failure as many times as
//monogen:doc !rate,retries Config.Retries says. The retry loop lives in its own function so that
//monogen:doc !rate,retries apply stays small enough to inline.
//monogen:doc rate,!retries apply waits for the rate limiter, then calls the stage function.
//monogen:doc !rate,!retries apply calls the stage function.
//monogen:note Without retries the branch folds away.
func (s *Stage[In, Out]) apply(ctx context.Context, in In) (Out, error) {
	if s.cfg.paced {
		if err := s.rate.Wait(ctx); err != nil {
			var zero Out
			return zero, err
		}
	}
	out, err := s.call(ctx, in)
	if s.cfg.Retries > 0 && err != nil {
		return s.retry(ctx, in, err)
	}
	return out, err
}

// retry makes the retries of a call that failed with err.
func (s *Stage[In, Out]) retry(ctx context.Context, in In, err error) (Out, error) {
	var out Out
	wait := s.cfg.Backoff
	for range s.cfg.Retries {
		if errors.Is(err, ErrSkip) || ctx.Err() != nil {
			break
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return out, err
			}
			wait = nextBackoff(wait)
		}
		if s.cfg.Metrics {
			s.stats.retries.Add(1)
		}
		if s.cfg.paced {
			if err = s.rate.Wait(ctx); err != nil {
				break
			}
		}
		out, err = s.call(ctx, in)
		if err == nil {
			break
		}
	}
	return out, err
}

// nextBackoff returns the wait after d: twice d, or the largest Duration
// if that overflows.
func nextBackoff(d time.Duration) time.Duration {
	if d > math.MaxInt64/2 {
		return math.MaxInt64
	}
	return 2 * d
}

// fail reports that the stage failed item in with err: recorded in collect
// mode, the end of the run otherwise. Once the run is cancelled, failures are
// not reported: they are mostly the cancellation seen by the stage function,
// and the run's outcome is the cancellation (or the failure that caused it).
//
//monogen:note The fail hook (SetOnFail, onfail=) is called last, so that a
//monogen:note slow hook does not delay the stop of the run.
func (s *Stage[In, Out]) fail(r *Run, in In, err error) {
	if s.cfg.Metrics {
		s.stats.failed.Add(1)
	}
	if r.ctx.Err() != nil {
		return
	}
	e := &ItemError{Stage: s.name, Item: in, Err: err}
	if s.cfg.Collect {
		r.collect(e)
	} else {
		r.stop(e)
	}
	if s.cfg.hookFail {
		s.failed(e)
	}
}

// getIn returns an empty input batch from free, or a new one when the free
// list is empty (only while a run warms up).
func (s *Stage[In, Out]) getIn(free chan []In) []In {
	select {
	case b := <-free:
		return b
	default:
		return make([]In, 0, s.cfg.Batch)
	}
}

// putIn returns an emptied input batch to its free list, dropping it when
// the list is full. A nil free list means the batch is not ours: a slice
// given to RunSlice, which must be neither cleared nor reused.
func (s *Stage[In, Out]) putIn(free chan []In, b []In) {
	if free == nil {
		return
	}
	clear(b) // let the garbage collector have what the items point to
	select {
	case free <- b[:0]:
	default:
	}
}

// getOut is getIn for output batches.
func (s *Stage[In, Out]) getOut(free chan []Out) []Out {
	select {
	case b := <-free:
		return b
	default:
		return make([]Out, 0, s.cfg.Batch)
	}
}

// putOut is putIn for output batches.
func (s *Stage[In, Out]) putOut(free chan []Out, b []Out) {
	clear(b)
	select {
	case free <- b[:0]:
	default:
	}
}
