package generated_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/monogen/monogen/generated"
)

// pipeFailure is an item a pipeline reported failed.
type pipeFailure struct {
	stage string
	item  any
	err   error
}

// pipeStats are a stage's counters, for the pipelines with metrics=true.
type pipeStats struct {
	In, Out, Failed, Retries uint64
}

// pipeStages are the three stage functions of a chaos pipeline.
type pipeStages struct {
	f1 func(context.Context, int) (int64, error)
	f2 func(context.Context, int64) (float64, error)
	f3 func(context.Context, float64) (string, error)
}

// chaosPipeAPI is one pipeline built on a run's stage functions.
type chaosPipeAPI struct {
	runSlice func(ctx context.Context, in []int) ([]string, error)
	start    func(ctx context.Context, in <-chan int) (<-chan string, func() error)
	stats    func() []pipeStats // nil: no metrics
}

// chaosPipeShape is one generated pipeline and what the test must know of
// it.
type chaosPipeShape struct {
	name             string
	ordered, collect bool
	retries          int
	skip             error
	build            func(pipeStages) chaosPipeAPI
	// failures returns the failures err reports: the ItemError of stop
	// mode, the Failures of collect mode.
	failures   func(err error) []pipeFailure
	panicValue func(error) (any, bool)
}

var chaosPipeShapes = []chaosPipeShape{
	{
		name: "PipeStop", skip: generated.ErrPipeStopSkip,
		build: func(s pipeStages) chaosPipeAPI {
			p := generated.NewPipeStop(s.f1, s.f2, s.f3)
			return chaosPipeAPI{runSlice: p.RunSlice, start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			}}
		},
		failures: func(err error) []pipeFailure {
			var ie *generated.PipeStopItemError
			if errors.As(err, &ie) {
				return []pipeFailure{{ie.Stage, ie.Item, ie.Err}}
			}
			return nil
		},
		panicValue: func(err error) (any, bool) {
			var pe *generated.PipeStopPanicError
			if errors.As(err, &pe) {
				return pe.Value, true
			}
			return nil, false
		},
	},
	{
		name: "PipeOrdered", ordered: true, skip: generated.ErrPipeOrderedSkip,
		build: func(s pipeStages) chaosPipeAPI {
			p := generated.NewPipeOrdered(s.f1, s.f2, s.f3)
			return chaosPipeAPI{runSlice: p.RunSlice, start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			}}
		},
		failures: func(err error) []pipeFailure {
			var ie *generated.PipeOrderedItemError
			if errors.As(err, &ie) {
				return []pipeFailure{{ie.Stage, ie.Item, ie.Err}}
			}
			return nil
		},
		panicValue: func(err error) (any, bool) {
			var pe *generated.PipeOrderedPanicError
			if errors.As(err, &pe) {
				return pe.Value, true
			}
			return nil, false
		},
	},
	{
		name: "PipeCollect", collect: true, skip: generated.ErrPipeCollectSkip,
		build: func(s pipeStages) chaosPipeAPI {
			p := generated.NewPipeCollect(s.f1, s.f2, s.f3)
			return chaosPipeAPI{runSlice: p.RunSlice, start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			}, stats: func() []pipeStats {
				var res []pipeStats
				for _, st := range p.Stats() {
					res = append(res, pipeStats{st.In, st.Out, st.Failed, st.Retries})
				}
				return res
			}}
		},
		failures: func(err error) []pipeFailure {
			var fs generated.PipeCollectFailures
			if !errors.As(err, &fs) {
				return nil
			}
			var res []pipeFailure
			for _, ie := range fs {
				res = append(res, pipeFailure{ie.Stage, ie.Item, ie.Err})
			}
			return res
		},
		panicValue: func(err error) (any, bool) {
			var pe *generated.PipeCollectPanicError
			if errors.As(err, &pe) {
				return pe.Value, true
			}
			return nil, false
		},
	},
	{
		name: "PipeOrderedCollect", ordered: true, collect: true, retries: 2, skip: generated.ErrPipeOrderedCollectSkip,
		build: func(s pipeStages) chaosPipeAPI {
			p := generated.NewPipeOrderedCollect(s.f1, s.f2, s.f3)
			return chaosPipeAPI{runSlice: p.RunSlice, start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			}}
		},
		failures: func(err error) []pipeFailure {
			var fs generated.PipeOrderedCollectFailures
			if !errors.As(err, &fs) {
				return nil
			}
			var res []pipeFailure
			for _, ie := range fs {
				res = append(res, pipeFailure{ie.Stage, ie.Item, ie.Err})
			}
			return res
		},
		panicValue: func(err error) (any, bool) {
			var pe *generated.PipeOrderedCollectPanicError
			if errors.As(err, &pe) {
				return pe.Value, true
			}
			return nil, false
		},
	},
}

// pipeStageNames are the names of the chaos pipelines' stages, in order.
var pipeStageNames = [3]string{"toInt64", "toFloat", "toString"}

// itemEvent is what happens to an item at the stage of its plan.
type itemEvent uint8

const (
	eventPass    itemEvent = iota // nothing
	eventSkip                     // the stage returns ErrSkip
	eventSkipped                  // the stage returns ErrSkip wrapped
	eventFlaky                    // the stage fails its first fails calls
	eventFail                     // the stage fails every call
	eventPanic                    // the stage panics
	eventWaitCtx                  // the stage waits for the run's context or a short while
	eventBusy                     // the stage yields a while
)

// itemPlan is the plan of one pipeline item: an event at one stage (0-2).
type itemPlan struct {
	event itemEvent
	stage int
	fails int32
	wait  time.Duration
}

func randomItemPlan(rng *rand.Rand, faults int) itemPlan {
	p := itemPlan{stage: rng.IntN(3)}
	r := rng.IntN(1000)
	switch {
	case r < 60:
		p.event = eventSkip
	case r < 80:
		p.event = eventSkipped
	case r < 80+faults:
		p.event = eventFlaky
		p.fails = 1 + rng.Int32N(3)
	case r < 80+2*faults:
		p.event = eventFail
	case r < 80+3*faults:
		p.event = eventPanic
	case r < 80+3*faults+60:
		p.event = eventWaitCtx
		p.wait = randDuration(rng, 200*time.Microsecond)
	case r < 80+3*faults+120:
		p.event = eventBusy
	}
	return p
}

// outcome is what a completed run does with the item: drop it (skipped),
// report it failed at stage failedAt, or else (failedAt -1) deliver it.
func (p itemPlan) outcome(retries int) (skipped bool, failedAt int) {
	switch p.event {
	case eventSkip, eventSkipped:
		return true, -1
	case eventFlaky:
		if int(p.fails) > retries {
			return false, p.stage
		}
	case eventFail, eventPanic:
		return false, p.stage
	}
	return false, -1
}

// chaosPipeline runs each generated pipeline on random items that skip,
// fail, fail and recover, panic or wait at random stages, through RunSlice
// and through Start with a producer and a consumer, under a context
// cancelled at a random point, and checks each run against its plan:
// a completed run delivers every item exactly once, drops the skipped and
// reports exactly the failed ones; any run delivers only items that may be
// delivered, in input order when ordered, reports only planned failures,
// never runs a stage after Wait returns nor more often than its retries
// allow, and does not leave its producer blocked, whether that selects on
// the context or not.
func chaosPipeline(c *chaos) {
	stuck := false // a producer was left blocked: do not wait for the next
	for round := range c.rounds {
		for _, shape := range chaosPipeShapes {
			chaosPipelineRun(c, shape, round, &stuck)
		}
	}
}

func chaosPipelineRun(c *chaos, shape chaosPipeShape, round int, stuck *bool) {
	rng := c.rng
	n := 20 + rng.IntN(200)
	faults := []int{0, 2, 10, 40}[rng.IntN(4)] // per mille of items, per kind of fault
	plans := make([]itemPlan, n)
	for i := range plans {
		plans[i] = randomItemPlan(rng, faults)
	}
	useStart := rng.IntN(2) == 0
	where := fmt.Sprintf("%s round %d (%s, faults %d‰)", shape.name, round, map[bool]string{false: "RunSlice", true: "Start"}[useStart], faults)

	var (
		attempts [3][]atomic.Int32
		passed   [3][]atomic.Bool
		skipped  [3][]atomic.Bool
		finished atomic.Bool // RunSlice or Wait returned
	)
	for s := range 3 {
		attempts[s] = make([]atomic.Int32, n)
		passed[s] = make([]atomic.Bool, n)
		skipped[s] = make([]atomic.Bool, n)
	}
	// stage runs the plan of item id at stage s.
	stage := func(ctx context.Context, s, id int) error {
		if id < 0 || id >= n {
			c.errorf("%s: stage %d got item %d, not an input", where, s, id)
			return errChaos
		}
		if finished.Load() {
			c.errorf("%s: stage %d ran item %d after the run returned", where, s, id)
		}
		if passed[s][id].Load() || skipped[s][id].Load() {
			c.errorf("%s: stage %d ran item %d again after it passed or skipped it", where, s, id)
		}
		a := attempts[s][id].Add(1)
		if int(a) > 1+shape.retries {
			c.errorf("%s: stage %d called %d times on item %d, retries=%d", where, s, a, id, shape.retries)
		}
		p := plans[id]
		if p.stage != s {
			passed[s][id].Store(true)
			return nil
		}
		switch p.event {
		case eventSkip:
			skipped[s][id].Store(true)
			return shape.skip
		case eventSkipped:
			skipped[s][id].Store(true)
			return fmt.Errorf("item %d: %w", id, shape.skip)
		case eventFlaky:
			if a <= p.fails {
				return fmt.Errorf("item %d attempt %d: %w", id, a, errChaos)
			}
		case eventFail:
			return fmt.Errorf("item %d attempt %d: %w", id, a, errChaos)
		case eventPanic:
			panic(chaosPanic{id})
		case eventWaitCtx:
			t := time.NewTimer(p.wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		case eventBusy:
			busy(10)
		}
		passed[s][id].Store(true)
		return nil
	}
	api := shape.build(pipeStages{
		f1: func(ctx context.Context, x int) (int64, error) {
			return int64(x), stage(ctx, 0, x)
		},
		f2: func(ctx context.Context, x int64) (float64, error) {
			return float64(x), stage(ctx, 1, int(x))
		},
		f3: func(ctx context.Context, x float64) (string, error) {
			return strconv.Itoa(int(x)), stage(ctx, 2, int(x))
		},
	})

	ins := rng.Perm(n)
	ctx, release := randomCtx(c.fork(), 2*time.Millisecond)
	defer release()
	var (
		outs        []string
		err         error
		producerOut bool              // the producer was still blocked well after Wait returned
		sent        = make([]bool, n) // the run's input: what the producer sent
	)
	if !useStart {
		for i := range sent {
			sent[i] = true
		}
		outs, err = api.runSlice(ctx, ins)
		finished.Store(true)
	} else {
		// The producer sends every item and closes in, selecting on ctx
		// or not: a stopped run receives and discards the rest of its
		// input, so neither blocks. unblock only keeps a broken run from
		// hanging the test.
		in := make(chan int)
		unblock := make(chan struct{})
		fed := make(chan struct{})
		watchCtx := ctx.Done()
		if rng.IntN(2) == 0 {
			watchCtx = nil
		}
		go func() {
			defer close(fed)
			defer close(in)
			for _, x := range ins {
				select {
				case in <- x:
					sent[x] = true
				case <-watchCtx:
					return
				case <-unblock:
					return
				}
			}
		}()
		ch, wait := api.start(ctx, in)
		for s := range ch {
			outs = append(outs, s)
		}
		err = wait()
		finished.Store(true)
		// Wait need not wait for the producer; but it must finish by
		// itself. The bound only ends a wait that would never end.
		patience := 2 * time.Second
		if *stuck {
			patience = 0 // already reported: do not wait again
		}
		t := time.NewTimer(patience)
		select {
		case <-fed:
		case <-t.C:
			producerOut, *stuck = true, true
		}
		t.Stop()
		close(unblock)
		<-fed
	}
	cancelled := ctx.Err() != nil

	// Every output is an item's, once, from an item that may produce one,
	// that passed every stage; in input order when ordered.
	pos := make([]int, n) // position of each item in ins
	for i, x := range ins {
		pos[x] = i
	}
	seen := make([]bool, n)
	last := -1
	for _, s := range outs {
		id, convErr := strconv.Atoi(s)
		if convErr != nil || id < 0 || id >= n {
			c.errorf("%s: output %q is not an item", where, s)
			continue
		}
		if seen[id] {
			c.errorf("%s: item %d delivered twice", where, id)
		}
		seen[id] = true
		if sk, at := plans[id].outcome(shape.retries); sk || at >= 0 {
			c.errorf("%s: item %d (plan %+v) delivered", where, id, plans[id])
		}
		for s := range 3 {
			if !passed[s][id].Load() {
				c.errorf("%s: item %d delivered without passing stage %d", where, id, s)
			}
		}
		if shape.ordered && pos[id] < last {
			c.errorf("%s: item %d delivered out of input order", where, id)
		}
		last = max(last, pos[id])
		c.op()
	}

	// Reported failures are planned ones, at their stage, with their error.
	failures := shape.failures(err)
	reported := make([]bool, n)
	for _, f := range failures {
		id := pipeItemID(f.item)
		if id < 0 || id >= n {
			c.errorf("%s: failure of %v, not an item", where, f.item)
			continue
		}
		if reported[id] {
			c.errorf("%s: item %d reported failed twice", where, id)
		}
		reported[id] = true
		p := plans[id]
		_, at := p.outcome(shape.retries)
		if at < 0 || f.stage != pipeStageNames[at] {
			c.errorf("%s: item %d (plan %+v) reported failed at stage %s: %s", where, id, p, f.stage, short(f.err))
			continue
		}
		pv, panicked := shape.panicValue(f.err)
		switch {
		case p.event == eventPanic:
			if !panicked || pv != (chaosPanic{id}) {
				c.errorf("%s: item %d panicked, reported %s", where, id, short(f.err))
			}
		case !errors.Is(f.err, errChaos):
			c.errorf("%s: item %d (plan %+v) reported with error %s", where, id, p, short(f.err))
		}
		c.op()
	}
	if !shape.collect && !useStart && err != nil && outs != nil {
		c.errorf("%s: RunSlice returned outputs with the error %s", where, short(err))
	}

	// The run's outcome.
	planned := 0 // items a completed run reports failed
	for id := range n {
		if _, at := plans[id].outcome(shape.retries); at >= 0 && sent[id] {
			planned++
		}
	}
	complete := false
	switch {
	case err == nil:
		complete = true
		if planned > 0 && !shape.collect {
			c.errorf("%s: run with %d failing items returned nil", where, planned)
		}
	case errors.Is(err, context.Canceled):
		if !cancelled {
			c.errorf("%s: run returned %s, but its context was not cancelled", where, short(err))
		}
		if !shape.collect && err != context.Canceled {
			c.errorf("%s: run returned %s, want the cause context.Canceled", where, short(err))
		}
	case len(failures) > 0:
		complete = shape.collect
	default:
		c.errorf("%s: run returned unexpected error %s", where, short(err))
	}
	if complete {
		// Every item of the input delivered, dropped or reported, exactly
		// once. (A producer that saw the context cancelled may have
		// stopped sending before the run saw it: the run completes with
		// what it was sent.)
		for id := range n {
			sk, at := plans[id].outcome(shape.retries)
			switch {
			case !sent[id]:
				if attempts[0][id].Load() != 0 {
					c.errorf("%s: item %d never sent, but run by the first stage", where, id)
				}
			case sk:
				if seen[id] || reported[id] {
					c.errorf("%s: skipped item %d delivered or reported", where, id)
				}
			case at >= 0:
				if !reported[id] {
					c.errorf("%s: item %d (plan %+v) failed at stage %d but was not reported", where, id, plans[id], at)
				}
			case !seen[id]:
				c.errorf("%s: item %d (plan %+v) lost by a completed run", where, id, plans[id])
			}
			c.op()
		}
	}
	if producerOut {
		c.errorf("%s: the producer was still blocked sending to the input after Wait returned %s", where, short(err))
	}

	if api.stats != nil {
		st := api.stats()
		for s := range 3 {
			var want pipeStats
			for id := range n {
				a := attempts[s][id].Load()
				if a == 0 {
					continue
				}
				want.In++
				want.Retries += uint64(a - 1)
				switch {
				case passed[s][id].Load():
					want.Out++
				case !skipped[s][id].Load():
					want.Failed++
				}
			}
			if st[s] != want {
				c.errorf("%s: stage %d Stats %+v, want %+v", where, s, st[s], want)
			}
		}
	}
	c.op()
}

// pipeItemID returns the item of a stage's input: an int, int64 or
// float64 holding its ID.
func pipeItemID(item any) int {
	switch v := item.(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return -1
}
