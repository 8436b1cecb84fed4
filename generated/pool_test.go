package generated_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/pool"
)

// delivery is one call of a pool's result handler, with the error reduced to
// what both the generated and the template pool report alike.
type delivery struct {
	In  string
	Out string
	Err string
}

// errText normalizes an error: a panic's stack differs between pools, and
// the generated pools have their own PanicError and ErrClosed.
func errText(err error) string {
	var gp *generated.ResizerPanicError
	var tp *pool.PanicError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &gp):
		return fmt.Sprintf("panic: %v", gp.Value)
	case errors.As(err, &tp):
		return fmt.Sprintf("panic: %v", tp.Value)
	}
	return err.Error()
}

// recorder collects deliveries, in any order.
type recorder struct {
	mu  sync.Mutex
	got []delivery
}

func (r *recorder) add(in, out any, err error) {
	r.mu.Lock()
	r.got = append(r.got, delivery{fmt.Sprint(in), fmt.Sprint(out), errText(err)})
	r.mu.Unlock()
}

func (r *recorder) sorted() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]delivery(nil), r.got...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.In != b.In {
			return a.In < b.In
		}
		return a.Out+a.Err < b.Out+b.Err
	})
	return out
}

// randomJobs returns n jobs with unique IDs from base: most succeed at once,
// some fail one to three attempts (retries=2 recovers up to two), a few
// panic.
func randomJobs(rng *rand.Rand, base, n int) []generated.Job {
	jobs := make([]generated.Job, n)
	for i := range jobs {
		j := generated.Job{ID: base + i}
		switch r := rng.IntN(10); {
		case r < 6:
		case r < 9:
			j.Fails = 1 + rng.IntN(3)
		default:
			j.Panic = true
		}
		jobs[i] = j
	}
	return jobs
}

// TestPoolEquivalenceOptions runs the same random jobs through the generated
// Resizer (every option on, fn bound) and through the template configured
// alike, and compares every delivery, the Map results and the counters.
func TestPoolEquivalenceOptions(t *testing.T) {
	defer goleak.VerifyNone(t)
	for seed := range uint64(3) {
		poolEquivalenceOptions(t, seed)
	}
}

func poolEquivalenceOptions(t *testing.T, seed uint64) {
	// Resizer's function counts attempts in the package's
	// ResizerAttempts, which outlives the test: start from zero, as the
	// template's own counter below does, or a second run (-count=2)
	// sees every job one attempt further on.
	generated.ResizerAttempts.Reset()
	rng := rand.New(rand.NewPCG(seed, 7))
	jobs := randomJobs(rng, int(seed)*1000, 60)
	// A batch with one failing item (Fails > retries) fails at that
	// item whatever the schedule; one without succeeds.
	okBatch := randomJobs(rng, int(seed)*1000+500, 40)
	for i := range okBatch {
		okBatch[i].Fails = min(okBatch[i].Fails, 2)
		okBatch[i].Panic = false
	}
	badBatch := randomJobs(rng, int(seed)*1000+700, 40)
	for i := range badBatch {
		badBatch[i].Fails, badBatch[i].Panic = 0, false
	}
	badBatch[17].Fails = 3

	var gen, tpl recorder
	g := generated.NewResizer(func(in generated.Job, out generated.Result, err error) { gen.add(in, out, err) })
	var tplAttempts generated.Attempts
	p := pool.New(func(ctx context.Context, j generated.Job) (generated.Result, error) {
		return tplAttempts.Flaky(ctx, j, true)
	}, func(in generated.Job, out generated.Result, err error) { tpl.add(in, out, err) },
		pool.Config{Workers: 3, Queue: 8, Retries: 2, Backoff: time.Millisecond, Timeout: time.Second, Metrics: true})
	// Close is idempotent: these stop the workers when a check fails
	// before the Close calls below, so that goleak reports the failure
	// and not the pools' goroutines.
	defer g.Close()
	defer p.Close()

	ctx := context.Background()
	for _, j := range jobs {
		if err := g.Submit(ctx, j); err != nil {
			t.Fatal(err)
		}
		if err := p.Submit(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	gOuts, gErr := g.Map(ctx, okBatch)
	pOuts, pErr := p.Map(ctx, okBatch)
	if gErr != nil || pErr != nil || !reflect.DeepEqual(gOuts, pOuts) {
		t.Fatalf("seed %d: Map: generated %v, %v; template %v, %v", seed, gOuts, gErr, pOuts, pErr)
	}
	_, gErr = g.Map(ctx, badBatch)
	_, pErr = p.Map(ctx, badBatch)
	if errText(gErr) != errText(pErr) || gErr == nil || !errors.Is(gErr, generated.ErrFlaky) {
		t.Fatalf("seed %d: failing Map: generated %v; template %v", seed, gErr, pErr)
	}
	g.Close()
	p.Close()

	if a, b := gen.sorted(), tpl.sorted(); !reflect.DeepEqual(a, b) {
		t.Fatalf("seed %d: deliveries differ:\ngenerated %v\ntemplate  %v", seed, a, b)
	}
	gs, ps := g.Stats(), p.Stats()
	// Items of the failing batch that were abandoned depend on the
	// schedule; the sums do not.
	if gs.Submitted != ps.Submitted || gs.Completed+gs.Failed != ps.Completed+ps.Failed ||
		gs.InFlight != 0 || ps.InFlight != 0 || gs.Queued != 0 || gs.Unrun != ps.Unrun {
		t.Fatalf("seed %d: Stats: generated %+v, template %+v", seed, gs, ps)
	}
	if err := g.Submit(ctx, generated.Job{}); !errors.Is(err, generated.ErrResizerClosed) {
		t.Fatalf("Submit after Close: %v", err)
	}
}

// TestPoolEquivalenceForms checks the pools whose job functions have other
// forms (func(In) Out, Name[In] with a bound handler, no fn=) against the
// template running the same function.
func TestPoolEquivalenceForms(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	ints := make([]int, 5000)
	for i := range ints {
		ints[i] = rng.IntN(1<<20) - 1<<19
	}

	// TinyPool: fn=func(int) int, Submit and Map.
	var gen, tpl recorder
	tiny := generated.NewTinyPool(func(in, out int, err error) { gen.add(in, out, err) })
	tp := pool.New(func(_ context.Context, x int) (int, error) { return generated.Tiny(x), nil },
		func(in, out int, err error) { tpl.add(in, out, err) }, pool.Config{Queue: 1024})
	for _, x := range ints {
		if err := tiny.Submit(ctx, x); err != nil {
			t.Fatal(err)
		}
		if err := tp.Submit(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	gOuts, gErr := tiny.Map(ctx, ints)
	pOuts, pErr := tp.Map(ctx, ints)
	tiny.Close()
	tp.Close()
	if gErr != nil || pErr != nil || !reflect.DeepEqual(gOuts, pOuts) {
		t.Fatalf("TinyPool Map differs from the template: %v, %v", gErr, pErr)
	}
	if a, b := gen.sorted(), tpl.sorted(); !reflect.DeepEqual(a, b) {
		t.Fatal("TinyPool deliveries differ from the template's")
	}

	// FuncPool: no fn=, the constructor takes it.
	half := func(_ context.Context, x int) (int, error) {
		if x%3 == 0 {
			return 0, fmt.Errorf("multiple of 3: %d", x)
		}
		return x / 2, nil
	}
	gen, tpl = recorder{}, recorder{}
	fp := generated.NewFuncPool(half, func(in, out int, err error) { gen.add(in, out, err) })
	tp = pool.New(half, func(in, out int, err error) { tpl.add(in, out, err) }, pool.Config{Queue: 64})
	for _, x := range ints[:1000] {
		if err := fp.Submit(ctx, x); err != nil {
			t.Fatal(err)
		}
		if err := tp.Submit(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	fp.Close()
	tp.Close()
	if a, b := gen.sorted(), tpl.sorted(); !reflect.DeepEqual(a, b) {
		t.Fatal("FuncPool deliveries differ from the template's")
	}

	// Sender: Name[In], fn=func(In) error and result= bound.
	generated.SenderResults.Lock()
	generated.SenderResults.Ok, generated.SenderResults.Failed = nil, nil
	generated.SenderResults.Unlock()
	var tplOk, tplFailed []string
	var mu sync.Mutex
	sp := pool.New(func(_ context.Context, msg string) (struct{}, error) {
		if msg == "" {
			return struct{}{}, errors.New("empty message")
		}
		return struct{}{}, nil
	}, func(msg string, _ struct{}, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			tplFailed = append(tplFailed, msg)
		} else {
			tplOk = append(tplOk, msg)
		}
	}, pool.Config{Workers: 2})
	s := generated.NewSender()
	for i := range 300 {
		msg := ""
		if i%4 != 0 {
			msg = fmt.Sprint("m", i)
		}
		if err := s.Submit(ctx, msg); err != nil {
			t.Fatal(err)
		}
		if err := sp.Submit(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	sp.Close()
	sort.Strings(tplOk)
	sort.Strings(tplFailed)
	generated.SenderResults.Lock()
	gotOk := append([]string(nil), generated.SenderResults.Ok...)
	gotFailed := append([]string(nil), generated.SenderResults.Failed...)
	generated.SenderResults.Unlock()
	sort.Strings(gotOk)
	sort.Strings(gotFailed)
	if !reflect.DeepEqual(gotOk, tplOk) || !reflect.DeepEqual(gotFailed, tplFailed) || len(gotFailed) != 75 {
		t.Fatalf("Sender: ok %d failed %d; template ok %d failed %d", len(gotOk), len(gotFailed), len(tplOk), len(tplFailed))
	}
}

// blockUntilDone is a job function that honours its context: it signals
// started (without blocking) and returns ctx.Err() once ctx is done.
func blockUntilDone(started chan<- struct{}) func(context.Context, int) (int, error) {
	return func(ctx context.Context, x int) (int, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return 0, ctx.Err()
	}
}

// TestPoolMapErrorIsCtxErrWhenFnHonoursContext: the items of a cancelled
// Map fail with their context's error, and the generated Map must still
// report ctx.Err() itself, not "pool: item 0: context canceled".
func TestPoolMapErrorIsCtxErrWhenFnHonoursContext(t *testing.T) {
	defer goleak.VerifyNone(t)
	for round := range 20 {
		started := make(chan struct{}, 1)
		p := generated.NewFuncPool(blockUntilDone(started), nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			_, err := p.Map(ctx, make([]int, 100))
			done <- err
		}()
		<-started
		cancel()
		err := <-done
		p.Close()
		if err != context.Canceled {
			t.Fatalf("round %d: Map = %v, want ctx.Err() (%v) itself", round, err, context.Canceled)
		}
	}
}

// TestPoolMapErrorIsErrClosedWhenFnHonoursContextAcrossShutdown: the same
// across Shutdown, which must give ErrFuncPoolClosed.
func TestPoolMapErrorIsErrClosedWhenFnHonoursContextAcrossShutdown(t *testing.T) {
	defer goleak.VerifyNone(t)
	for round := range 20 {
		started := make(chan struct{}, 1)
		p := generated.NewFuncPool(blockUntilDone(started), nil)
		done := make(chan error)
		go func() {
			_, err := p.Map(context.Background(), make([]int, 100))
			done <- err
		}()
		<-started
		if _, err := p.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != generated.ErrFuncPoolClosed {
			t.Fatalf("round %d: Map across Shutdown = %v, want ErrFuncPoolClosed itself", round, err)
		}
	}
}

// stressPool is the API the accounting stress test drives, met by the
// generated StressPool and by the template.
type stressPool interface {
	Submit(context.Context, int) error
	TrySubmit(int) error
	Resize(int)
	Map(context.Context, []int) ([]int, error)
	Close()
	Shutdown(context.Context) ([]int, error)
}

// TestPoolAccountingUnderConcurrency submits, resizes, maps, closes and
// shuts down the generated StressPool concurrently, and checks that every
// accepted job was delivered exactly once or returned by Shutdown, and no
// rejected job ran (the template's own stress test, on the generated code).
func TestPoolAccountingUnderConcurrency(t *testing.T) {
	defer goleak.VerifyNone(t)
	rounds := 12
	if testing.Short() {
		rounds = 4
	}
	for round := range rounds {
		poolStressRound(t, round)
	}
}

func poolStressRound(t *testing.T, round int) {
	const (
		submitters = 4
		perSubmit  = 300
		maxID      = submitters * perSubmit
	)
	var delivered [maxID]atomic.Int32
	var ran [maxID]atomic.Int32
	fn := func(ctx context.Context, id int) (int, error) {
		if id < 0 { // a Map item
			return id, nil
		}
		ran[id].Add(1)
		switch id % 7 {
		case 0:
			return 0, errors.New("fails")
		case 1:
			panic("panics")
		case 2:
			<-ctx.Done() // cancelled by Shutdown or by the 1ms timeout
			return 0, ctx.Err()
		}
		return id, nil
	}
	var bad atomic.Int64
	p := generated.NewStressPool(fn, func(id, out int, err error) {
		if delivered[id].Add(1) != 1 {
			bad.Add(1)
		}
		if err == nil && out != id {
			bad.Add(1)
		}
	})
	var sp stressPool = p

	rng := rand.New(rand.NewPCG(uint64(round), 1))
	stopAt := rng.IntN(maxID)
	var accepted [submitters][]int
	var wg, stoppers sync.WaitGroup
	var submittedSoFar atomic.Int64
	var unrun []int
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			stoppers.Add(2)
			mode := round % 3
			go func() {
				defer stoppers.Done()
				if mode != 1 {
					sp.Close()
				}
			}()
			go func() {
				defer stoppers.Done()
				if mode != 0 {
					u, err := sp.Shutdown(context.Background())
					if err != nil {
						t.Error(err)
					}
					unrun = u
				}
			}()
		})
	}
	for s := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for i := range perSubmit {
				id := s*perSubmit + i
				var err error
				switch i % 3 {
				case 0:
					err = sp.TrySubmit(id)
				case 1:
					err = sp.Submit(ctx, id)
				default:
					c, cancel := context.WithCancel(ctx)
					if i%5 == 0 {
						cancel() // may be rejected while the queue is full
					}
					err = sp.Submit(c, id)
					cancel()
				}
				switch {
				case err == nil:
					accepted[s] = append(accepted[s], id)
				case !errors.Is(err, generated.ErrStressPoolClosed) && !errors.Is(err, generated.ErrStressPoolFull) &&
					!errors.Is(err, context.Canceled):
					t.Errorf("Submit: %v", err)
				}
				if submittedSoFar.Add(1) == int64(stopAt) {
					stop()
				}
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 50 {
			sp.Resize(1 + (i*7+round)%5)
		}
	}()
	go func() {
		defer wg.Done()
		for range 5 {
			ins := make([]int, 1000)
			for i := range ins {
				ins[i] = -1 - i
			}
			outs, err := sp.Map(context.Background(), ins)
			if err != nil {
				if !errors.Is(err, generated.ErrStressPoolClosed) && !errors.Is(err, context.Canceled) {
					t.Errorf("Map: %v", err)
				}
				continue
			}
			for i, o := range outs {
				if o != ins[i] {
					t.Errorf("Map: outs[%d] = %d, want %d", i, o, ins[i])
					return
				}
			}
		}
	}()
	wg.Wait()
	stop()
	stoppers.Wait()
	sp.Close() // Shutdown alone may return before the workers exit

	inUnrun := make(map[int]int)
	for _, id := range unrun {
		inUnrun[id]++
	}
	isAccepted := make(map[int]bool)
	for s := range accepted {
		for _, id := range accepted[s] {
			isAccepted[id] = true
		}
	}
	for id := range maxID {
		d, u := int(delivered[id].Load()), inUnrun[id]
		if isAccepted[id] {
			if d+u != 1 {
				t.Fatalf("round %d: accepted job %d delivered %d times, returned %d times", round, id, d, u)
			}
			if u == 1 && ran[id].Load() != 0 {
				t.Fatalf("round %d: job %d returned by Shutdown but ran", round, id)
			}
		} else if d+u != 0 || ran[id].Load() != 0 {
			t.Fatalf("round %d: rejected job %d ran %d times, delivered %d, returned %d", round, id, ran[id].Load(), d, u)
		}
	}
	if bad.Load() != 0 {
		t.Fatalf("round %d: %d bad deliveries", round, bad.Load())
	}
	s := p.Stats()
	if s.Submitted != s.Completed+s.Failed+s.Unrun || s.InFlight != 0 || s.Queued != 0 {
		t.Fatalf("round %d: Stats %+v do not add up", round, s)
	}
	if s.Unrun != uint64(len(unrun)) {
		t.Fatalf("round %d: Stats.Unrun %d, Shutdown returned %d", round, s.Unrun, len(unrun))
	}
}
