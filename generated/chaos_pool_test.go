package generated_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monogen/monogen/generated"
)

// chaosPoolAPI is what the chaos test uses of a generated worker pool.
type chaosPoolAPI interface {
	Submit(ctx context.Context, in int) error
	TrySubmit(in int) error
	Map(ctx context.Context, ins []int) ([]int, error)
	Resize(n int)
	Close()
	Shutdown(ctx context.Context) ([]int, error)
}

// poolCounters are a pool's Stats, for the pools with metrics=true.
type poolCounters struct {
	Submitted, Completed, Failed, Retried, Unrun uint64
	InFlight                                     int64
	Queued                                       int
}

// chaosPoolShape is one generated pool and what the test must know of it.
type chaosPoolShape struct {
	name       string
	retries    int
	closed     error // its ErrClosed
	full       error // its ErrFull
	rejected   error // the error of an attempt its breaker rejects; nil: no breaker
	panicValue func(error) (any, bool)
	make       func(fn func(context.Context, int) (int, error), onResult func(int, int, error)) chaosPoolAPI
	stats      func(chaosPoolAPI) (poolCounters, bool) // false: no metrics
}

var chaosPoolShapes = []chaosPoolShape{
	{
		name: "ChaosPool", retries: 2,
		closed: generated.ErrChaosPoolClosed, full: generated.ErrChaosPoolFull,
		panicValue: func(err error) (any, bool) {
			var pe *generated.ChaosPoolPanicError
			if errors.As(err, &pe) {
				return pe.Value, true
			}
			return nil, false
		},
		make: func(fn func(context.Context, int) (int, error), onResult func(int, int, error)) chaosPoolAPI {
			return generated.NewChaosPool(fn, onResult)
		},
		stats: func(p chaosPoolAPI) (poolCounters, bool) {
			s := p.(*generated.ChaosPool).Stats()
			return poolCounters{s.Submitted, s.Completed, s.Failed, s.Retried, s.Unrun, s.InFlight, s.Queued}, true
		},
	},
	{
		name: "FuncPool", retries: 0,
		closed: generated.ErrFuncPoolClosed, full: generated.ErrFuncPoolFull,
		panicValue: func(err error) (any, bool) {
			var pe *generated.FuncPoolPanicError
			if errors.As(err, &pe) {
				return pe.Value, true
			}
			return nil, false
		},
		make: func(fn func(context.Context, int) (int, error), onResult func(int, int, error)) chaosPoolAPI {
			return generated.NewFuncPool(fn, onResult)
		},
		stats: func(chaosPoolAPI) (poolCounters, bool) { return poolCounters{}, false },
	},
	{
		// Every attempt goes through a breaker (failures=2, cooldown=1h):
		// once it opens, attempts fail with its ErrOpen.
		name: "GuardedPool", retries: 1,
		closed: generated.ErrGuardedPoolClosed, full: generated.ErrGuardedPoolFull, rejected: generated.ErrJobBreakerOpen,
		panicValue: func(err error) (any, bool) {
			var pe *generated.GuardedPoolPanicError
			if errors.As(err, &pe) {
				return pe.Value, true
			}
			return nil, false
		},
		make: func(fn func(context.Context, int) (int, error), onResult func(int, int, error)) chaosPoolAPI {
			return generated.NewGuardedPool(onResult, generated.NewJobBreaker(fn))
		},
		stats: func(p chaosPoolAPI) (poolCounters, bool) {
			s := p.(*generated.GuardedPool).Stats()
			return poolCounters{s.Submitted, s.Completed, s.Failed, s.Retried, s.Unrun, s.InFlight, s.Queued}, true
		},
	},
}

// jobPlan is what a chaos job does on each attempt.
type jobPlan uint8

const (
	planOK      jobPlan = iota // succeeds at once
	planFlaky                  // fails its first fails attempts, then succeeds
	planFail                   // fails every attempt
	planPanic                  // panics
	planWaitCtx                // waits for its context, or a short while, then succeeds
	planBusy                   // yields for a while, ignoring its context, then succeeds
)

// poolJob is the plan of one job or Map item.
type poolJob struct {
	plan  jobPlan
	fails int32         // planFlaky
	wait  time.Duration // planWaitCtx
	spins int           // planBusy
}

func randomPoolJob(rng *rand.Rand) poolJob {
	switch r := rng.IntN(100); {
	case r < 50:
		return poolJob{plan: planOK}
	case r < 65:
		return poolJob{plan: planFlaky, fails: 1 + rng.Int32N(3)}
	case r < 72:
		return poolJob{plan: planFail}
	case r < 78:
		return poolJob{plan: planPanic}
	case r < 90:
		return poolJob{plan: planWaitCtx, wait: randDuration(rng, 300*time.Microsecond)}
	default:
		return poolJob{plan: planBusy, spins: rng.IntN(20)}
	}
}

// succeeds reports whether the job succeeds when nothing cancels it, with
// retries retries.
func (j poolJob) succeeds(retries int) bool {
	switch j.plan {
	case planFail, planPanic:
		return false
	case planFlaky:
		return int(j.fails) <= retries
	}
	return true
}

// poolOutcome is a delivery to the result handler.
type poolOutcome struct {
	out int
	err error
}

// chaosPool drives each generated pool with submitters (Submit and
// TrySubmit under random contexts), Map callers, Resizes, and a random
// Close, Shutdown, or both at once while jobs are in flight, then accounts
// for every job: accepted ones delivered exactly once or returned by
// Shutdown, rejected ones never run, no attempt beyond the retries, nothing
// run or delivered after Close or Shutdown returned, Map outputs and errors
// as documented, and the counters' identity.
func chaosPool(c *chaos) {
	for round := range c.rounds {
		for _, shape := range chaosPoolShapes {
			chaosPoolRound(c, shape, round)
		}
	}
}

func chaosPoolRound(c *chaos, shape chaosPoolShape, round int) {
	rng := c.rng
	const (
		submitters = 4
		mappers    = 2
		mapCalls   = 3 // per mapper
		maxItems   = 40
	)
	perSubmitter := 60 + rng.IntN(60)
	nSubmit := submitters * perSubmitter
	n := nSubmit + mappers*mapCalls*maxItems

	plans := make([]poolJob, n)
	for i := range plans {
		plans[i] = randomPoolJob(rng)
	}
	mapOf := make([]int, n) // the Map call of an item, -1 for a submitted job
	for i := range mapOf {
		mapOf[i] = -1
	}
	var (
		attempts    = make([]atomic.Int32, n)
		delivered   = make([]atomic.Int32, n)
		outcomes    = make([]poolOutcome, n) // written by the first delivery only
		accepted    = make([]atomic.Bool, n)
		returned    = make([]atomic.Int32, n)
		mapReturned = make([]atomic.Bool, mappers*mapCalls)
		closeBegun  atomic.Bool // Close or Shutdown called
		shutBegun   atomic.Bool // Shutdown called
		stopped     atomic.Bool // Close returned, or Shutdown returned nil
		maps        poolMapTotals
	)
	where := fmt.Sprintf("%s round %d", shape.name, round)

	fn := func(ctx context.Context, id int) (int, error) {
		if stopped.Load() {
			c.errorf("%s: job %d started after Close or Shutdown returned", where, id)
		}
		if m := mapOf[id]; m >= 0 && mapReturned[m].Load() {
			c.errorf("%s: Map item %d started after its Map returned", where, id)
		}
		a := attempts[id].Add(1)
		if int(a) > 1+shape.retries {
			c.errorf("%s: job %d attempted %d times, retries=%d", where, id, a, shape.retries)
		}
		j := plans[id]
		switch j.plan {
		case planFlaky:
			if a <= j.fails {
				return 0, fmt.Errorf("job %d attempt %d: %w", id, a, errChaos)
			}
		case planFail:
			return 0, fmt.Errorf("job %d attempt %d: %w", id, a, errChaos)
		case planPanic:
			panic(chaosPanic{id})
		case planWaitCtx:
			t := time.NewTimer(j.wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return 0, ctx.Err()
			case <-t.C:
			}
		case planBusy:
			busy(j.spins)
		}
		return 2*id + 1, nil
	}
	onResult := func(in, out int, err error) {
		if stopped.Load() {
			c.errorf("%s: job %d delivered after Close or Shutdown returned", where, in)
		}
		if in < 0 || in >= n || mapOf[in] >= 0 {
			c.errorf("%s: handler got %d, not a submitted job", where, in)
			return
		}
		if d := delivered[in].Add(1); d != 1 {
			c.errorf("%s: job %d delivered %d times", where, in, d)
			return
		}
		outcomes[in] = poolOutcome{out, err}
	}
	p := shape.make(fn, onResult)

	var wg sync.WaitGroup
	for s := range submitters {
		rng := c.fork()
		wg.Go(func() {
			for id := s * perSubmitter; id < (s+1)*perSubmitter; id++ {
				late := stopped.Load()
				var err error
				if rng.IntN(4) == 0 {
					err = p.TrySubmit(id)
					switch {
					case err == nil:
					case errors.Is(err, shape.full):
					case err == shape.closed:
						if !closeBegun.Load() {
							c.errorf("%s: TrySubmit(%d) = ErrClosed before Close or Shutdown", where, id)
						}
					default:
						c.errorf("%s: TrySubmit(%d) = %s", where, id, short(err))
					}
				} else {
					ctx, release := randomCtx(rng, 200*time.Microsecond)
					err = p.Submit(ctx, id)
					switch {
					case err == nil:
					case err == shape.closed:
						if !closeBegun.Load() {
							c.errorf("%s: Submit(%d) = ErrClosed before Close or Shutdown", where, id)
						}
					case err != ctx.Err():
						c.errorf("%s: Submit(%d) = %v, want nil, ErrClosed or ctx.Err() (%v)", where, id, err, ctx.Err())
					}
					release()
				}
				if err == nil {
					accepted[id].Store(true)
					if late {
						c.errorf("%s: job %d accepted after Close or Shutdown returned", where, id)
					}
				}
				c.op()
				if rng.IntN(8) == 0 {
					busy(rng.IntN(10))
				}
			}
		})
	}
	for m := range mappers {
		rng := c.fork()
		wg.Go(func() {
			for k := range mapCalls {
				call := m*mapCalls + k
				base := nSubmit + call*maxItems
				ins := make([]int, 1+rng.IntN(maxItems))
				for i := range ins {
					ins[i] = base + i
					mapOf[base+i] = call // before Map: the items' jobs read it
				}
				ctx, release := randomCtx(rng, time.Millisecond)
				late := stopped.Load()
				outs, err := p.Map(ctx, ins)
				mapReturned[call].Store(true)
				checkPoolMap(c, where, shape, plans, attempts, ins, outs, err, ctx, closeBegun.Load(), late, &maps)
				release()
				c.op()
			}
		})
	}

	// The chaos: Resizes all along, and one of the ways to stop a pool at
	// a random point while the submitters and mappers run.
	resizing := make(chan struct{})
	var resizer sync.WaitGroup
	rrng := c.fork()
	resizer.Go(func() {
		for {
			select {
			case <-resizing:
				return
			default:
			}
			busy(rrng.IntN(200))
			p.Resize(1 + rrng.IntN(4))
			c.op()
		}
	})
	ctl := c.fork()
	busy(ctl.IntN(400))
	shutdown := func(ctx context.Context) {
		shutBegun.Store(true)
		closeBegun.Store(true)
		unrun, err := p.Shutdown(ctx)
		if err == nil {
			stopped.Store(true)
		} else if err != ctx.Err() {
			c.errorf("%s: Shutdown = %s, want nil or ctx.Err()", where, short(err))
		}
		for _, id := range unrun {
			if id < 0 || id >= nSubmit {
				c.errorf("%s: Shutdown returned %d, not a submitted job", where, id)
				continue
			}
			returned[id].Add(1)
		}
		c.op()
	}
	switch ctl.IntN(6) {
	case 0: // a graceful end: every job submitted, then Close
		wg.Wait()
		closeBegun.Store(true)
		p.Close()
		stopped.Store(true)
	case 1:
		closeBegun.Store(true)
		p.Close()
		stopped.Store(true)
	case 2:
		shutdown(context.Background())
	case 3:
		ctx, release := randomCtx(ctl, 100*time.Microsecond)
		shutdown(ctx)
		release()
	default: // Close and Shutdowns at once
		var stoppers sync.WaitGroup
		stoppers.Go(func() {
			closeBegun.Store(true)
			p.Close()
			stopped.Store(true)
		})
		stoppers.Go(func() { shutdown(context.Background()) })
		ctx, release := randomCtx(ctl, 100*time.Microsecond)
		stoppers.Go(func() { shutdown(ctx) })
		stoppers.Wait()
		release()
	}
	wg.Wait()
	close(resizing)
	resizer.Wait()
	// Whatever happened, Close waits for the workers: after it nothing runs.
	p.Close()
	stopped.Store(true)

	// Accounting of the submitted jobs.
	var deliveredOK, deliveredClosed, returnedN, retried uint64
	for id := range n {
		a := attempts[id].Load()
		if a > 1 {
			retried += uint64(a - 1)
		}
		if id >= nSubmit {
			continue
		}
		acc, d, r := accepted[id].Load(), delivered[id].Load(), returned[id].Load()
		j := plans[id]
		switch {
		case !acc:
			if d != 0 || r != 0 || a != 0 {
				c.errorf("%s: rejected job %d: delivered %d, returned %d, attempted %d times", where, id, d, r, a)
			}
			continue
		case d+r != 1:
			c.errorf("%s: accepted job %d delivered %d times and returned by Shutdown %d times", where, id, d, r)
			continue
		case r == 1:
			returnedN++
			if a != 0 {
				c.errorf("%s: job %d returned by Shutdown after %d attempts", where, id, a)
			}
			continue
		}
		o := outcomes[id]
		pv, panicked := shape.panicValue(o.err)
		switch {
		case o.err == nil:
			deliveredOK++
			if o.out != 2*id+1 || a == 0 || (!j.succeeds(shape.retries) && j.plan != planWaitCtx) {
				c.errorf("%s: job %d (plan %+v) delivered %d, nil after %d attempts", where, id, j, o.out, a)
			}
		case o.err == shape.closed:
			deliveredClosed++
			if a != 0 || !shutBegun.Load() {
				c.errorf("%s: job %d delivered ErrClosed after %d attempts (Shutdown called: %v)", where, id, a, shutBegun.Load())
			}
		case panicked:
			if j.plan != planPanic || pv != (chaosPanic{id}) || a != 1 {
				c.errorf("%s: job %d (plan %+v) delivered panic %v after %d attempts", where, id, j, pv, a)
			}
		case shape.rejected != nil && errors.Is(o.err, shape.rejected):
			// The breaker is open: any job may fail so.
		case errors.Is(o.err, errChaos):
			// Retries end early once Shutdown cancels the pool's context.
			if j.succeeds(shape.retries) && !shutBegun.Load() ||
				j.plan == planFail && !shutBegun.Load() && int(a) != 1+shape.retries {
				c.errorf("%s: job %d (plan %+v) failed after %d attempts: %s", where, id, j, a, short(o.err))
			}
		case errors.Is(o.err, context.Canceled):
			if j.plan != planWaitCtx || !shutBegun.Load() {
				c.errorf("%s: job %d (plan %+v) delivered %v (Shutdown called: %v)", where, id, j, o.err, shutBegun.Load())
			}
		default:
			c.errorf("%s: job %d (plan %+v) delivered unexpected error %s", where, id, j, short(o.err))
		}
		c.op()
	}
	if st, ok := shape.stats(p); ok {
		// Once Close has returned: Submitted == Completed + Failed + Unrun,
		// and each counter matches what the test saw.
		var acceptedN uint64
		for id := range nSubmit {
			if accepted[id].Load() {
				acceptedN++
			}
		}
		items, itemsOK := maps.items.Load(), maps.ok.Load()
		delivered := acceptedN - returnedN
		switch {
		case st.Submitted != st.Completed+st.Failed+st.Unrun,
			st.Submitted != acceptedN+items,
			st.Completed != deliveredOK+itemsOK,
			st.Failed != delivered-deliveredOK-deliveredClosed+items-itemsOK,
			st.Unrun != returnedN+deliveredClosed,
			shape.rejected == nil && st.Retried != retried,
			st.Retried < retried, // a retry the breaker rejects runs nothing
			st.InFlight != 0, st.Queued != 0:
			c.errorf("%s: Stats %+v; want Submitted %d (%d jobs, %d Map items), Completed %d, Failed %d, Unrun %d, Retried %d",
				where, st, acceptedN+items, acceptedN, items, deliveredOK+itemsOK,
				delivered-deliveredOK-deliveredClosed+items-itemsOK, returnedN+deliveredClosed, retried)
		}
		c.op()
	}
}

// poolMapTotals counts the Map items of a round and those that produced an
// output, for the pool's counters.
type poolMapTotals struct{ items, ok atomic.Uint64 }

// checkPoolMap checks one Map call: every output is the item's or zero,
// none without a run, all of them when err is nil; and err is nil, ctx.Err(),
// ErrClosed once the pool is stopping, or a failing item's error wrapped
// with its index.
func checkPoolMap(c *chaos, where string, shape chaosPoolShape, plans []poolJob, attempts []atomic.Int32,
	ins, outs []int, err error, ctx context.Context, closing, late bool, totals *poolMapTotals) {
	totals.items.Add(uint64(len(ins)))
	if len(outs) != len(ins) {
		c.errorf("%s: Map of %d items returned %d outputs", where, len(ins), len(outs))
		return
	}
	for i, id := range ins {
		switch o := outs[i]; {
		case o == 0:
			if err == nil {
				c.errorf("%s: Map returned nil but item %d (job %d, plan %+v) has no output", where, i, id, plans[id])
			}
		case o != 2*id+1:
			c.errorf("%s: Map item %d (job %d) = %d, want %d", where, i, id, o, 2*id+1)
		case attempts[id].Load() == 0:
			c.errorf("%s: Map item %d (job %d) has an output but never ran", where, i, id)
		default:
			totals.ok.Add(1)
		}
	}
	if late && err != shape.closed {
		c.errorf("%s: Map called after Close or Shutdown returned = %s, want ErrClosed", where, short(err))
	}
	var index int
	switch {
	case err == nil:
	case err == ctx.Err():
	case err == shape.closed:
		if !closing {
			c.errorf("%s: Map = ErrClosed before Close or Shutdown", where)
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// Known bug: the item's own cancellation error instead of
		// ctx.Err() or ErrClosed.
		c.errorf("%s: Map = %q, want ctx.Err() (%v) or ErrClosed when the batch is cancelled", where, err, ctx.Err())
	default:
		if _, scanErr := fmt.Sscanf(err.Error(), "pool: item %d:", &index); scanErr != nil || index < 0 || index >= len(ins) {
			c.errorf("%s: Map = %s, not an item's error", where, short(err))
			return
		}
		id := ins[index]
		j := plans[id]
		pv, panicked := shape.panicValue(err)
		switch {
		case panicked:
			if j.plan != planPanic || pv != (chaosPanic{id}) {
				c.errorf("%s: Map = %s: item %d (job %d, plan %+v) did not panic so", where, short(err), index, id, j)
			}
		case shape.rejected != nil && errors.Is(err, shape.rejected):
		case errors.Is(err, errChaos):
			// A flaky item's retries end early once the batch is
			// cancelled, by ctx or by Shutdown.
			if j.succeeds(shape.retries) && ctx.Err() == nil && !closing {
				c.errorf("%s: Map = %s: item %d (job %d, plan %+v) should have succeeded", where, short(err), index, id, j)
			}
		default:
			c.errorf("%s: Map = %s: unexpected item error", where, short(err))
		}
	}
}
