package pipeline

import "context"

// Pipeline is a chain of stages turning an In into an Out, built by [From]
// and [Then]. It holds no per-run state: Start and RunSlice may be called
// any number of times, concurrently.
//
// Pipeline exists only in the generic reference, where the chain's
// intermediate types are hidden in closures. Generated code replaces it by a
// struct with one field per stage, each a stencil of Stage, wired by the same
// steps: a source feeding the first stage, start for each stage in turn, a
// sink draining the last.
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

	// start starts every stage in r, the first reading from in and
	// recycling to inFree; next is the number of goroutines consuming the
	// last stage's output.
	start func(r *Run, in <-chan struct {
		seq   uint64
		items []In
	}, inFree chan []In, next int) (<-chan struct {
		seq   uint64
		items []Out
	}, chan []Out)

	// The first stage's source and the last stage's sink.
	feedSlice func(r *Run, src []In, out chan<- struct {
		seq   uint64
		items []In
	})
	feedChan func(r *Run, src <-chan In, out chan<- struct {
		seq   uint64
		items []In
	}, free chan []In)
	drainSlice func(r *Run, in <-chan struct {
		seq   uint64
		items []Out
	}, free chan []Out, size int) []Out
	drainChan func(r *Run, in <-chan struct {
		seq   uint64
		items []Out
	}, free chan []Out, dst chan<- Out)

	stats []func() StageStats
}

// From returns a pipeline of the single stage s.
//
//monogen:template
func From[In, Out any](s *Stage[In, Out]) *Pipeline[In, Out] {
	return &Pipeline[In, Out]{
		cfg:     s.cfg,
		window:  2 + 2*s.capacity() + s.cfg.Workers,
		buffer:  s.capacity(),
		workers: s.cfg.Workers,
		start: func(r *Run, in <-chan struct {
			seq   uint64
			items []In
		}, inFree chan []In, next int) (<-chan struct {
			seq   uint64
			items []Out
		}, chan []Out) {
			return s.start(r, in, inFree, next)
		},
		feedSlice:  s.feedSlice,
		feedChan:   s.feedChan,
		drainSlice: s.drainSlice,
		drainChan:  s.drainChan,
		stats:      []func() StageStats{s.Stats},
	}
}

// Then returns the pipeline p followed by the stage s. It panics if s
// disagrees with p's first stage on Batch, Ordered or Collect, which apply to
// the whole pipeline. p is not modified.
//
//monogen:template
func Then[In, Mid, Out any](p *Pipeline[In, Mid], s *Stage[Mid, Out]) *Pipeline[In, Out] {
	if s.cfg.Batch != p.cfg.Batch || s.cfg.Ordered != p.cfg.Ordered || s.cfg.Collect != p.cfg.Collect {
		panic("pipeline: stage " + s.name + ": Batch, Ordered and Collect must be the same for every stage of a pipeline")
	}
	prev := p.start
	return &Pipeline[In, Out]{
		cfg:     p.cfg,
		window:  p.window + s.capacity() + s.cfg.Workers,
		buffer:  p.buffer,
		workers: p.workers,
		start: func(r *Run, in <-chan struct {
			seq   uint64
			items []In
		}, inFree chan []In, next int) (<-chan struct {
			seq   uint64
			items []Out
		}, chan []Out) {
			mid, midFree := prev(r, in, inFree, s.cfg.Workers)
			return s.start(r, mid, midFree, next)
		},
		feedSlice:  p.feedSlice,
		feedChan:   p.feedChan,
		drainSlice: s.drainSlice,
		drainChan:  s.drainChan,
		stats:      append(p.stats[:len(p.stats):len(p.stats)], s.Stats),
	}
}

// newRun returns a run of p under ctx.
func (p *Pipeline[In, Out]) newRun(ctx context.Context) *Run {
	if p.cfg.Ordered {
		return newRun(ctx, p.window)
	}
	return newRun(ctx, 0)
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
	src := make(chan struct {
		seq   uint64
		items []In
	}, p.buffer)
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
	r := p.newRun(ctx)
	src := make(chan struct {
		seq   uint64
		items []In
	}, p.buffer)
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
