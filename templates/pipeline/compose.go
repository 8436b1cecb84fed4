package pipeline

import (
	"context"
	"slices"
)

// Pipeline is a chain of stages turning an In into an Out, built by [From]
// and [Then]. It holds no per-run state: Start and RunSlice may be called
// any number of times, concurrently.
//
// Pipeline exists only in the generic reference, where the chain's
// intermediate types are hidden in closures. Generated code replaces it by a
// struct with one field per stage, each a stencil of Stage, wired by the same
// steps: a source feeding the first stage, each stage started alone (start),
// or each fused chain run by its first stage's workers (run), a sink
// draining the last. A fused chain's workers take each item of a batch
// through the function of every stage in turn, in a loop the generated type
// has for the chain, and post the outputs with its last stage's post (or
// write them at their slot, in RunSlice); with metrics, they take the batch
// through the links of its stages to the last one's send, as here.
//
// A Pipeline must not be copied after first use.
//
//monogen:template
type Pipeline[In, Out any] struct {
	_ noCopy

	// cfg holds the options shared by the whole pipeline (Batch, Ordered,
	// Collect): the first stage's.
	cfg Config
	// window is the most batches an ordered run has in flight: the capacity
	// of every channel and worker of the pipeline, plus the source and sink,
	// so that it limits the reorder buffer, never the throughput.
	window int
	// buffer is the capacity of the channel from the source to the first
	// stage, and workers the first stage's workers.
	buffer, workers int
	// The last stage's workers and channel capacity, and whether a stage
	// may be fused after it (not when it is paced).
	lastWorkers, lastCapacity int
	lastFusable               bool
	// segments are the names of the stages, grouped by the goroutines they
	// run on: each group is a fused chain, or a stage alone.
	segments [][]string

	// start starts every stage in r, the first reading from in and
	// recycling to inFree, and returns the channel of the last stage's
	// output batches, with its free list; next is the number of goroutines
	// consuming them.
	start func(r *Run, in <-chan inBatch[In, Out], inFree chan []In, next int) (<-chan outBatch[In, Out], chan []Out)
	// link starts every stage in r likewise, but the workers of the last
	// chain hand the last stage's output to a step that then makes for each
	// of them, and call leave as they exit: how a stage is fused after the
	// pipeline.
	link func(r *Run, in <-chan inBatch[In, Out], inFree chan []In, leave func(), then func() func(seq uint64, items []Out, queued int) bool)

	// When every stage is fused, RunSlice runs them with no channel:
	// runSlice is the first stage's, gather the last one's, and place
	// makes the steps that take a batch through every stage, the last one
	// placing its outputs in res (Stage.place); placeLink is how a stage
	// is fused after the pipeline, as link is.
	runSlice  func(r *Run, in []In, chain func() func(seq uint64, items []In, queued int) bool)
	gather    func(res []Out, counts []int) []Out
	place     func(r *Run, res []Out, counts []int) func() func(seq uint64, items []In, queued int) bool
	placeLink func(r *Run, then func() func(seq uint64, items []Out, queued int) bool) func() func(seq uint64, items []In, queued int) bool

	// The first stage's source and the last stage's sink.
	feedSlice  func(r *Run, src []In, out chan<- inBatch[In, Out])
	feedChan   func(r *Run, src <-chan In, out chan<- inBatch[In, Out], free chan []In)
	drainSlice func(r *Run, in <-chan outBatch[In, Out], free chan []Out, size int) []Out
	drainChan  func(r *Run, in <-chan outBatch[In, Out], free chan []Out, dst chan<- Out)

	stats []func() StageStats
}

// From returns a pipeline of the single stage s.
//
//monogen:template
func From[In, Out any](s *Stage[In, Out]) *Pipeline[In, Out] {
	return &Pipeline[In, Out]{
		cfg:          s.cfg,
		window:       2 + 2*s.capacity() + s.cfg.Workers,
		buffer:       s.capacity(),
		workers:      s.cfg.Workers,
		lastWorkers:  s.cfg.Workers,
		lastCapacity: s.capacity(),
		lastFusable:  !s.cfg.paced,
		segments:     [][]string{{s.name}},
		start:        s.start,
		link: func(r *Run, in <-chan inBatch[In, Out], inFree chan []In, leave func(), then func() func(seq uint64, items []Out, queued int) bool) {
			s.run(r, in, inFree, leave, func() func(seq uint64, items []In, queued int) bool {
				return s.link(r, then())
			})
		},
		runSlice: s.runSlice,
		gather:   s.gather,
		place: func(r *Run, res []Out, counts []int) func() func(seq uint64, items []In, queued int) bool {
			return func() func(seq uint64, items []In, queued int) bool { return s.place(r, res, counts) }
		},
		placeLink: func(r *Run, then func() func(seq uint64, items []Out, queued int) bool) func() func(seq uint64, items []In, queued int) bool {
			return func() func(seq uint64, items []In, queued int) bool { return s.link(r, then()) }
		},
		feedSlice:  s.feedSlice,
		feedChan:   s.feedChan,
		drainSlice: s.drainSlice,
		drainChan:  s.drainChan,
		stats:      []func() StageStats{s.Stats},
	}
}

// Then returns the pipeline p followed by the stage s, fused with p's last
// stage when it can be (see Fusion in the package doc). It panics if s
// disagrees with p's first stage on Batch, Ordered or Collect, which apply
// to the whole pipeline. p is not modified.
//
//monogen:template
func Then[In, Mid, Out any](p *Pipeline[In, Mid], s *Stage[Mid, Out]) *Pipeline[In, Out] {
	if s.cfg.Batch != p.cfg.Batch || s.cfg.Ordered != p.cfg.Ordered || s.cfg.Collect != p.cfg.Collect {
		panic("pipeline: stage " + s.name + ": Batch, Ordered and Collect must be the same for every stage of a pipeline")
	}
	q := &Pipeline[In, Out]{
		cfg:          p.cfg,
		window:       p.window + s.capacity() + s.cfg.Workers,
		buffer:       p.buffer,
		workers:      p.workers,
		lastWorkers:  s.cfg.Workers,
		lastCapacity: s.capacity(),
		lastFusable:  !s.cfg.paced,
		segments:     append(p.segments[:len(p.segments):len(p.segments)], []string{s.name}),
		feedSlice:    p.feedSlice,
		feedChan:     p.feedChan,
		drainSlice:   s.drainSlice,
		drainChan:    s.drainChan,
		stats:        append(p.stats[:len(p.stats):len(p.stats)], s.Stats),
	}
	if p.lastFusable && !s.cfg.paced && !s.cfg.NoFuse && s.cfg.Workers == p.lastWorkers {
		// s runs on the workers of p's last chain, after its last stage:
		// the channel after that stage, and its workers, are gone.
		q.window = p.window - p.lastCapacity + s.capacity()
		chain := slices.Clone(p.segments[len(p.segments)-1])
		q.segments = append(p.segments[:len(p.segments)-1:len(p.segments)-1], append(chain, s.name))
		q.start = func(r *Run, in <-chan inBatch[In, Out], inFree chan []In, next int) (<-chan outBatch[In, Out], chan []Out) {
			out, free, leave := s.output(r, next)
			p.link(r, in, inFree, leave, func() func(seq uint64, items []Mid, queued int) bool {
				return s.send(r, out, free)
			})
			return out, free
		}
		q.link = func(r *Run, in <-chan inBatch[In, Out], inFree chan []In, leave func(), then func() func(seq uint64, items []Out, queued int) bool) {
			p.link(r, in, inFree, leave, func() func(seq uint64, items []Mid, queued int) bool {
				return s.link(r, then())
			})
		}
		if p.runSlice != nil { // every stage fused so far
			q.runSlice, q.gather = p.runSlice, s.gather
			q.place = func(r *Run, res []Out, counts []int) func() func(seq uint64, items []In, queued int) bool {
				return p.placeLink(r, func() func(seq uint64, items []Mid, queued int) bool { return s.place(r, res, counts) })
			}
			q.placeLink = func(r *Run, then func() func(seq uint64, items []Out, queued int) bool) func() func(seq uint64, items []In, queued int) bool {
				return p.placeLink(r, func() func(seq uint64, items []Mid, queued int) bool { return s.link(r, then()) })
			}
		}
		return q
	}
	// s runs alone, its workers reading what p's last chain sends them.
	q.start = func(r *Run, in <-chan inBatch[In, Out], inFree chan []In, next int) (<-chan outBatch[In, Out], chan []Out) {
		mid, midFree := p.start(r, in, inFree, s.cfg.Workers)
		return s.start(r, mid, midFree, next)
	}
	q.link = func(r *Run, in <-chan inBatch[In, Out], inFree chan []In, leave func(), then func() func(seq uint64, items []Out, queued int) bool) {
		mid, midFree := p.start(r, in, inFree, s.cfg.Workers)
		s.run(r, mid, midFree, leave, func() func(seq uint64, items []Mid, queued int) bool {
			return s.link(r, then())
		})
	}
	return q
}

// newRun returns a run of p under ctx.
func (p *Pipeline[In, Out]) newRun(ctx context.Context) *Run {
	if p.cfg.Ordered {
		return newOrderedRun(ctx, p.window)
	}
	return newRun(ctx)
}

// Start runs the pipeline on the items received from in, until in is closed
// or ctx is cancelled, and returns the channel of outputs, closed after the
// last one, with the run, whose Wait reports the outcome. Outputs come in
// the order of their inputs if the pipeline is Ordered, as they are ready
// otherwise.
//
// The caller must either receive from the output channel until it is closed
// or cancel ctx, and then call Wait. In stop mode, items in flight when a
// failure stops the run may or may not be delivered before the channel
// closes.
//
// The producer of in must close it when done, even after the run has
// stopped: a run that stops before in is closed (a failure in stop mode, or
// ctx cancelled) goes on receiving from in, and discards what it receives,
// until in is closed. So a producer that sends without selecting on a
// context never blocks, and Wait does not wait for it.
func (p *Pipeline[In, Out]) Start(ctx context.Context, in <-chan In) (<-chan Out, *Run) {
	r := p.newRun(ctx)
	src := make(chan inBatch[In, Out], p.buffer)
	// The source's batches are recycled like any stage's output: the first
	// stage returns them to srcFree, sized like a stage's free list.
	srcFree := make(chan []In, max(p.buffer+p.workers+2, cap(r.tokens)))
	last, free := p.start(r, src, srcFree, 1)
	dst := make(chan Out, p.cfg.Batch)
	r.wg.Add(2)
	go p.feedChan(r, in, src, srcFree)
	go p.drainChan(r, last, free, dst)
	return dst, r
}

// RunSlice runs the pipeline on the items of in and returns the outputs, in
// input order if the pipeline is Ordered. It returns what Run.Wait returns;
// in stop mode, when that is an error, the outputs are nil. in is only read.
func (p *Pipeline[In, Out]) RunSlice(ctx context.Context, in []In) ([]Out, error) {
	if p.runSlice != nil {
		return p.runFused(ctx, in)
	}
	r := p.newRun(ctx)
	src := make(chan inBatch[In, Out], p.buffer)
	// The batches are subslices of in (see feedSlice): no free list.
	last, free := p.start(r, src, nil, 1)
	r.wg.Add(1)
	go p.feedSlice(r, in, src)
	res := p.drainSlice(r, last, free, len(in)) // the sink runs in the caller
	err := r.Wait()
	if err != nil && !p.cfg.Collect {
		return nil, err
	}
	return res, err
}

// Stats returns a snapshot of each stage's counters, in pipeline order; see
// Stage.Stats.
func (p *Pipeline[In, Out]) Stats() []StageStats {
	res := make([]StageStats, len(p.stats))
	for i, f := range p.stats {
		res[i] = f()
	}
	return res
}

// runFused is RunSlice when every stage is fused: one set of workers takes
// the batches straight from in through every stage and places the outputs
// in the result, with no channel, no source and no sink; with one worker,
// the caller's goroutine does it all.
//
//monogen:note With one worker and no metrics, generated code goes further
//monogen:note (pipelineOneGoroutine in internal/kinds/pipeline.go): the
//monogen:note run's context is ctx itself and RunSlice appends each batch's
//monogen:note outputs with the chain's loop, so a call allocates the run and
//monogen:note its result only; a stop is seen in r.err, not by a cancel.
func (p *Pipeline[In, Out]) runFused(ctx context.Context, in []In) ([]Out, error) {
	r := newRun(ctx) // outputs keep their place: no window to bound
	res := make([]Out, len(in))
	counts := make([]int, (len(in)+p.cfg.Batch-1)/p.cfg.Batch)
	p.runSlice(r, in, p.place(r, res, counts))
	res = p.gather(res, counts)
	err := r.Wait()
	if err != nil && !p.cfg.Collect {
		return nil, err
	}
	return res, err
}
