package pool

import (
	"context"
	"sync"

	"github.com/alitto/pond/v2"
	"github.com/panjf2000/ants/v2"
	"github.com/sourcegraph/conc/iter"
	concpool "github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"

	"github.com/monogen/monogen/generated"
	tpool "github.com/monogen/monogen/templates/pool"
)

// runner is one implementation running one job on a fixed number of
// workers.
type runner interface {
	// submitWave submits every element of ins as one job through the
	// per-job API and waits until all have completed.
	submitWave(ins []int)
	// mapInto runs the batch ins and writes outs[i] = job(ins[i]).
	mapInto(outs, ins []int)
	// close releases the workers.
	close()
}

// impl is one row of the comparison: name is the impl= value.
type impl struct {
	name  string
	start func(j job, workers int) runner
}

// impls is the comparison table.
var impls = []impl{
	{"generated", startGenerated},
	{"template", startTemplate},
	{"ants", startAnts},
	{"pond", startPond},
	{"conc", startConc},
	{"errgroup", startErrgroup},
	{"channels", startChannels},
}

// queueSize is the queue capacity of the implementations that take one.
const queueSize = 1024

// generated: the pools monogen generated for the two jobs (generated/pool.go:
// TinyPool and SpinPool, fn= bound, queue=1024, GOMAXPROCS workers).

// genPool is the API of a generated pool of ints.
type genPool interface {
	Submit(context.Context, int) error
	MapInto(context.Context, []int, []int) error
	Resize(int)
	Close()
}

type generatedRunner struct {
	p genPool
	c *completions
}

func startGenerated(j job, workers int) runner {
	r := &generatedRunner{c: newCompletions()}
	onResult := func(int, int, error) { r.c.finish() }
	switch j.name {
	case "tiny":
		r.p = generated.NewTinyPool(onResult)
	case "1us":
		r.p = generated.NewSpinPool(onResult)
	default:
		panic("no generated pool for job " + j.name)
	}
	r.p.Resize(workers)
	return r
}

func (r *generatedRunner) submitWave(ins []int) {
	r.c.expect(len(ins))
	ctx := context.Background()
	for _, x := range ins {
		if err := r.p.Submit(ctx, x); err != nil {
			panic(err)
		}
	}
	r.c.wait()
}

func (r *generatedRunner) mapInto(outs, ins []int) {
	if err := r.p.MapInto(context.Background(), outs, ins); err != nil {
		panic(err)
	}
}

func (r *generatedRunner) close() { r.p.Close() }

// template: the generic reference of monogen's pool.

type templateRunner struct {
	p *tpool.Pool[int, int]
	c *completions
}

func startTemplate(j job, workers int) runner {
	r := &templateRunner{c: newCompletions()}
	r.p = tpool.New(j.ctxFn, func(int, int, error) { r.c.finish() },
		tpool.Config{Workers: workers, Queue: queueSize})
	return r
}

func (r *templateRunner) submitWave(ins []int) {
	r.c.expect(len(ins))
	ctx := context.Background()
	for _, x := range ins {
		if err := r.p.Submit(ctx, x); err != nil {
			panic(err)
		}
	}
	r.c.wait()
}

func (r *templateRunner) mapInto(outs, ins []int) {
	if err := r.p.MapInto(context.Background(), outs, ins); err != nil {
		panic(err)
	}
}

func (r *templateRunner) close() { r.p.Close() }

// ants: a pool with a fixed function (its fastest API, no closure per
// task), one for each mode since the function is fixed at creation.

type antsRunner struct {
	submit, batch *ants.PoolWithFuncGeneric[int]
	c             *completions
	ins, outs     []int // the batch in progress
}

func startAnts(j job, workers int) runner {
	r := &antsRunner{c: newCompletions()}
	var err error
	r.submit, err = ants.NewPoolWithFuncGeneric(workers, func(x int) {
		j.fn(x)
		r.c.finish()
	})
	if err != nil {
		panic(err)
	}
	r.batch, err = ants.NewPoolWithFuncGeneric(workers, func(i int) {
		r.outs[i] = j.fn(r.ins[i])
		r.c.finish()
	})
	if err != nil {
		panic(err)
	}
	return r
}

func (r *antsRunner) submitWave(ins []int) {
	r.c.expect(len(ins))
	for _, x := range ins {
		if err := r.submit.Invoke(x); err != nil {
			panic(err)
		}
	}
	r.c.wait()
}

func (r *antsRunner) mapInto(outs, ins []int) {
	r.ins, r.outs = ins, outs
	r.c.expect(len(ins))
	for i := range ins {
		if err := r.batch.Invoke(i); err != nil {
			panic(err)
		}
	}
	r.c.wait()
}

func (r *antsRunner) close() {
	r.submit.Release()
	r.batch.Release()
}

// pond: Go for jobs whose result goes elsewhere, a task group for a batch.

type pondRunner struct {
	p  pond.Pool
	fn func(int) int
	c  *completions
}

func startPond(j job, workers int) runner {
	return &pondRunner{p: pond.NewPool(workers), fn: j.fn, c: newCompletions()}
}

func (r *pondRunner) submitWave(ins []int) {
	r.c.expect(len(ins))
	for _, x := range ins {
		if err := r.p.Go(func() {
			r.fn(x)
			r.c.finish()
		}); err != nil {
			panic(err)
		}
	}
	r.c.wait()
}

func (r *pondRunner) mapInto(outs, ins []int) {
	g := r.p.NewGroup()
	for i, x := range ins {
		g.Submit(func() { outs[i] = r.fn(x) })
	}
	if err := g.Wait(); err != nil {
		panic(err)
	}
}

func (r *pondRunner) close() { r.p.StopAndWait() }

// conc: a pool lives for one wave (Wait ends it), and iter.Mapper is its
// batch API.

type concRunner struct {
	fn      func(int) int
	workers int
}

func startConc(j job, workers int) runner {
	return &concRunner{fn: j.fn, workers: workers}
}

func (r *concRunner) submitWave(ins []int) {
	p := concpool.New().WithMaxGoroutines(r.workers)
	for _, x := range ins {
		p.Go(func() { r.fn(x) })
	}
	p.Wait()
}

func (r *concRunner) mapInto(outs, ins []int) {
	m := iter.Mapper[int, int]{MaxGoroutines: r.workers}
	copy(outs, m.Map(ins, func(x *int) int { return r.fn(*x) }))
}

func (r *concRunner) close() {}

// errgroup: a group with a limit, one goroutine per job.

type errgroupRunner struct {
	fn      func(int) int
	workers int
}

func startErrgroup(j job, workers int) runner {
	return &errgroupRunner{fn: j.fn, workers: workers}
}

func (r *errgroupRunner) submitWave(ins []int) {
	var g errgroup.Group
	g.SetLimit(r.workers)
	for _, x := range ins {
		g.Go(func() error {
			r.fn(x)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		panic(err)
	}
}

func (r *errgroupRunner) mapInto(outs, ins []int) {
	var g errgroup.Group
	g.SetLimit(r.workers)
	for i, x := range ins {
		g.Go(func() error {
			outs[i] = r.fn(x)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		panic(err)
	}
}

func (r *errgroupRunner) close() {}

// channels: the worker pool people write by hand, typed: long-lived
// workers ranging over a buffered channel of values. A batch sends each
// index through a second channel.

type channelsRunner struct {
	jobs      chan int
	indices   chan int
	fn        func(int) int
	c         *completions
	ins, outs []int // the batch in progress
	wg        sync.WaitGroup
}

func startChannels(j job, workers int) runner {
	r := &channelsRunner{
		jobs:    make(chan int, queueSize),
		indices: make(chan int, queueSize),
		fn:      j.fn,
		c:       newCompletions(),
	}
	r.wg.Add(workers)
	for range workers {
		go r.work()
	}
	return r
}

func (r *channelsRunner) work() {
	defer r.wg.Done()
	for {
		select {
		case x, ok := <-r.jobs:
			if !ok {
				return
			}
			r.fn(x)
			r.c.finish()
		case i := <-r.indices:
			r.outs[i] = r.fn(r.ins[i])
			r.c.finish()
		}
	}
}

func (r *channelsRunner) submitWave(ins []int) {
	r.c.expect(len(ins))
	for _, x := range ins {
		r.jobs <- x
	}
	r.c.wait()
}

func (r *channelsRunner) mapInto(outs, ins []int) {
	r.ins, r.outs = ins, outs
	r.c.expect(len(ins))
	for i := range ins {
		r.indices <- i
	}
	r.c.wait()
}

func (r *channelsRunner) close() {
	close(r.jobs)
	r.wg.Wait()
}

// The generated SpinPool runs the same work as spin.
var _ = [1]int{}[generated.SpinWork-spinWork]
