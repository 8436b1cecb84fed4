package generated_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/pipeline"
)

// The generated pipelines are held to the template: each is built with the
// same options as a template pipeline, both run the same stage functions on
// the same inputs, and their outputs, failures and stats must agree.

// faults says which items the stage functions of a run skip, fail or panic
// on, and at which stage (0 means never).
type faults struct {
	skip    func(int) bool // stage 1 drops the item
	fail    func(int) bool // stage failAt fails the item
	failAt  int
	panics  func(int) bool // stage panicAt panics on the item
	panicAt int
	flaky   func(int) bool // stage 2 fails the first call only
}

// pipeFns are a run's three stage functions, sharing the input item's
// identity through the values: stage 1 doubles, stage 2 adds one half,
// stage 3 formats.
type pipeFns struct {
	f1 func(context.Context, int) (int64, error)
	f2 func(context.Context, int64) (float64, error)
	f3 func(context.Context, float64) (string, error)
}

var errBoom = errors.New("boom")

// makeFns returns the stage functions for fs; skip is the ErrSkip of the
// implementation they run in (each generated pipeline has its own).
func makeFns(fs faults, skip error) pipeFns {
	var mu sync.Mutex
	tried := map[int]bool{}
	hit := func(stage, x int) error {
		if fs.fail != nil && fs.failAt == stage && fs.fail(x) {
			return fmt.Errorf("item %d: %w", x, errBoom)
		}
		if fs.panics != nil && fs.panicAt == stage && fs.panics(x) {
			panic("bad item " + strconv.Itoa(x))
		}
		return nil
	}
	return pipeFns{
		f1: func(_ context.Context, x int) (int64, error) {
			if fs.skip != nil && fs.skip(x) {
				return 0, skip
			}
			if err := hit(1, x); err != nil {
				return 0, err
			}
			return int64(x) * 2, nil
		},
		f2: func(_ context.Context, x int64) (float64, error) {
			item := int(x / 2)
			if fs.flaky != nil && fs.flaky(item) {
				mu.Lock()
				first := !tried[item]
				tried[item] = true
				mu.Unlock()
				if first {
					return 0, errors.New("flaky")
				}
			}
			if err := hit(2, item); err != nil {
				return 0, err
			}
			return float64(x) + 0.5, nil
		},
		f3: func(_ context.Context, x float64) (string, error) {
			if err := hit(3, int(x)/2); err != nil {
				return "", err
			}
			return strconv.FormatFloat(x, 'f', 1, 64), nil
		},
	}
}

// pipeImpl is one pipeline under test, generated or template.
type pipeImpl struct {
	runSlice func(context.Context, []int) ([]string, error)
	start    func(context.Context, <-chan int) (<-chan string, func() error)
	stats    func() []pipeline.StageStats // nil without metrics
}

// pipeCase is a generated pipeline type and the template configuration it
// was generated with.
type pipeCase struct {
	name    string
	cfg     pipeline.Config
	workers [3]int
	bound   bool // stages 1 and 3 are generated.pipeDouble and pipeFormat
	build   func(fs faults) pipeImpl
}

func asStats[T any](in []T, conv func(T) pipeline.StageStats) []pipeline.StageStats {
	out := make([]pipeline.StageStats, len(in))
	for i, s := range in {
		out[i] = conv(s)
	}
	return out
}

// pipeCases are the generated pipelines of pipeline.go. A case whose
// name ends in -unfused is the fuse=false twin of the case before it, built
// with the same options: TestPipelineFusedEqualsUnfused holds each pair to
// each other, and every test holds both to the template.
var pipeCases = []pipeCase{
	{"stop", pipeline.Config{Batch: 5}, [3]int{2, 2, 2}, false, func(fs faults) pipeImpl {
		f := makeFns(fs, generated.ErrPipeStopSkip)
		p := generated.NewPipeStop(f.f1, f.f2, f.f3)
		return pipeImpl{
			runSlice: p.RunSlice,
			start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			},
		}
	}},
	{"stop-unfused", pipeline.Config{Batch: 5, NoFuse: true}, [3]int{2, 2, 2}, false, func(fs faults) pipeImpl {
		f := makeFns(fs, generated.ErrPipeStopUnfusedSkip)
		p := generated.NewPipeStopUnfused(f.f1, f.f2, f.f3)
		return pipeImpl{
			runSlice: p.RunSlice,
			start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			},
		}
	}},
	{"ordered", pipeline.Config{Batch: 5, Buffer: 10, Ordered: true}, [3]int{2, 4, 4}, false, func(fs faults) pipeImpl {
		f := makeFns(fs, generated.ErrPipeOrderedSkip)
		p := generated.NewPipeOrdered(f.f1, f.f2, f.f3)
		return pipeImpl{
			runSlice: p.RunSlice,
			start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			},
		}
	}},
	{"ordered-unfused", pipeline.Config{Batch: 5, Buffer: 10, Ordered: true, NoFuse: true}, [3]int{2, 4, 4}, false, func(fs faults) pipeImpl {
		f := makeFns(fs, generated.ErrPipeOrderedUnfusedSkip)
		p := generated.NewPipeOrderedUnfused(f.f1, f.f2, f.f3)
		return pipeImpl{
			runSlice: p.RunSlice,
			start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			},
		}
	}},
	{"collect-latency-metrics", pipeline.Config{Batch: 1, Collect: true, Metrics: true}, [3]int{3, 3, 4}, false, func(fs faults) pipeImpl {
		f := makeFns(fs, generated.ErrPipeCollectSkip)
		p := generated.NewPipeCollect(f.f1, f.f2, f.f3)
		return pipeImpl{
			runSlice: p.RunSlice,
			start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			},
			stats: func() []pipeline.StageStats {
				return asStats(p.Stats(), func(s generated.PipeCollectStageStats) pipeline.StageStats {
					return pipeline.StageStats{Name: s.Name, Workers: s.Workers, In: s.In, Out: s.Out, Failed: s.Failed, Dropped: s.Dropped, Retries: s.Retries, Batches: s.Batches, Latency: pipeline.Histogram{Count: s.Latency.Count}}
				})
			},
		}
	}},
	{"collect-latency-metrics-unfused", pipeline.Config{Batch: 1, Collect: true, Metrics: true, NoFuse: true}, [3]int{3, 3, 4}, false, func(fs faults) pipeImpl {
		f := makeFns(fs, generated.ErrPipeCollectUnfusedSkip)
		p := generated.NewPipeCollectUnfused(f.f1, f.f2, f.f3)
		return pipeImpl{
			runSlice: p.RunSlice,
			start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			},
			stats: func() []pipeline.StageStats {
				return asStats(p.Stats(), func(s generated.PipeCollectUnfusedStageStats) pipeline.StageStats {
					return pipeline.StageStats{Name: s.Name, Workers: s.Workers, In: s.In, Out: s.Out, Failed: s.Failed, Dropped: s.Dropped, Retries: s.Retries, Batches: s.Batches, Latency: pipeline.Histogram{Count: s.Latency.Count}}
				})
			},
		}
	}},
	{"ordered-collect-retries", pipeline.Config{Ordered: true, Collect: true, Retries: 2, Metrics: true}, [3]int{1, 1, 1}, false, func(fs faults) pipeImpl {
		f := makeFns(fs, generated.ErrPipeOrderedCollectSkip)
		p := generated.NewPipeOrderedCollect(f.f1, f.f2, f.f3)
		return pipeImpl{
			runSlice: p.RunSlice,
			start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			},
			stats: func() []pipeline.StageStats {
				return asStats(p.Stats(), func(s generated.PipeOrderedCollectStageStats) pipeline.StageStats {
					return pipeline.StageStats{Name: s.Name, Workers: s.Workers, In: s.In, Out: s.Out, Failed: s.Failed, Dropped: s.Dropped, Retries: s.Retries, Batches: s.Batches, Latency: pipeline.Histogram{Count: s.Latency.Count}}
				})
			},
		}
	}},
	{"ordered-collect-retries-unfused", pipeline.Config{Ordered: true, Collect: true, Retries: 2, Metrics: true, NoFuse: true}, [3]int{1, 1, 1}, false, func(fs faults) pipeImpl {
		f := makeFns(fs, generated.ErrPipeOrderedCollectUnfusedSkip)
		p := generated.NewPipeOrderedCollectUnfused(f.f1, f.f2, f.f3)
		return pipeImpl{
			runSlice: p.RunSlice,
			start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			},
			stats: func() []pipeline.StageStats {
				return asStats(p.Stats(), func(s generated.PipeOrderedCollectUnfusedStageStats) pipeline.StageStats {
					return pipeline.StageStats{Name: s.Name, Workers: s.Workers, In: s.In, Out: s.Out, Failed: s.Failed, Dropped: s.Dropped, Retries: s.Retries, Batches: s.Batches, Latency: pipeline.Histogram{Count: s.Latency.Count}}
				})
			},
		}
	}},
	{"bound", pipeline.Config{Ordered: true}, [3]int{1, 2, 1}, true, func(fs faults) pipeImpl {
		f := makeFns(fs, generated.ErrPipeBoundSkip)
		p := generated.NewPipeBound(f.f2)
		return pipeImpl{
			runSlice: p.RunSlice,
			start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			},
		}
	}},
	{"bound-fused", pipeline.Config{Ordered: true}, [3]int{2, 2, 2}, true, func(fs faults) pipeImpl {
		f := makeFns(fs, generated.ErrPipeBoundFusedSkip)
		p := generated.NewPipeBoundFused(f.f2)
		return pipeImpl{
			runSlice: p.RunSlice,
			start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			},
		}
	}},
	{"bound-unfused", pipeline.Config{Ordered: true, NoFuse: true}, [3]int{2, 2, 2}, true, func(fs faults) pipeImpl {
		f := makeFns(fs, generated.ErrPipeBoundUnfusedSkip)
		p := generated.NewPipeBoundUnfused(f.f2)
		return pipeImpl{
			runSlice: p.RunSlice,
			start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			},
		}
	}},
}

// names are the stage names of every generated pipeline above.
var stageNames = [3]string{"toInt64", "toFloat", "toString"}

// template builds the template pipeline c was generated from.
func (c pipeCase) template(fs faults) pipeImpl {
	f := makeFns(fs, pipeline.ErrSkip)
	names := stageNames
	if c.bound {
		names[0], names[2] = "pipeDouble", "pipeFormat"
		f.f1 = func(_ context.Context, x int) (int64, error) { return int64(x) * 2, nil }
		f.f3 = func(_ context.Context, x float64) (string, error) { return strconv.FormatFloat(x, 'f', 1, 64), nil }
	}
	cfg := [3]pipeline.Config{c.cfg, c.cfg, c.cfg}
	for i := range cfg {
		cfg[i].Workers = c.workers[i]
	}
	p := pipeline.Then(pipeline.Then(
		pipeline.From(pipeline.NewStage(names[0], f.f1, cfg[0])),
		pipeline.NewStage(names[1], f.f2, cfg[1])),
		pipeline.NewStage(names[2], f.f3, cfg[2]))
	impl := pipeImpl{
		runSlice: p.RunSlice,
		start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
			out, r := p.Start(ctx, in)
			return out, r.Wait
		},
	}
	if c.cfg.Metrics {
		impl.stats = p.Stats
	}
	return impl
}

func seq(n int) []int {
	in := make([]int, n)
	for i := range in {
		in[i] = i
	}
	return in
}

// sameOutputs compares outputs: exactly when ordered, as multisets otherwise.
func sameOutputs(t *testing.T, got, want []string, ordered bool) {
	t.Helper()
	if !ordered {
		got, want = slices.Clone(got), slices.Clone(want)
		slices.Sort(got)
		slices.Sort(want)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("outputs differ: generated %d items, template %d\ngenerated: %.200v\ntemplate:  %.200v", len(got), len(want), got, want)
	}
}

// failure is an *ItemError reduced to what both implementations share.
type failure struct {
	stage string
	item  string
	panic string // the panic value, or "" for an error
	err   string
}

// failuresOf returns the failures in err: generated and template item
// errors have the same fields under different type names.
func failuresOf(t *testing.T, err error) []failure {
	t.Helper()
	var out []failure
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		var f failure
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
			return
		case *pipeline.ItemError:
			f = failure{stage: e.Stage, item: fmt.Sprint(e.Item), err: e.Err.Error()}
			var pe *pipeline.PanicError
			if errors.As(e.Err, &pe) {
				f.panic, f.err = fmt.Sprint(pe.Value), ""
			}
		default:
			// A generated XItemError: Stage, Item, Err by reflection-free
			// duck typing through fmt and errors.
			st, ok := stageOf(err)
			if !ok {
				out = append(out, failure{err: err.Error()})
				return
			}
			f = st
		}
		out = append(out, f)
	}
	walk(err)
	slices.SortFunc(out, func(a, b failure) int {
		return cmpStrings(a.stage+"|"+a.item, b.stage+"|"+b.item)
	})
	return out
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// stageOf reads a generated item error.
func stageOf(err error) (failure, bool) {
	var f failure
	switch e := err.(type) {
	case *generated.PipeStopItemError:
		f = failure{stage: e.Stage, item: fmt.Sprint(e.Item), err: e.Err.Error()}
		if pe, ok := e.Err.(*generated.PipeStopPanicError); ok {
			f.panic, f.err = fmt.Sprint(pe.Value), ""
		}
	case *generated.PipeStopUnfusedItemError:
		f = failure{stage: e.Stage, item: fmt.Sprint(e.Item), err: e.Err.Error()}
		if pe, ok := e.Err.(*generated.PipeStopUnfusedPanicError); ok {
			f.panic, f.err = fmt.Sprint(pe.Value), ""
		}
	case *generated.PipeOrderedItemError:
		f = failure{stage: e.Stage, item: fmt.Sprint(e.Item), err: e.Err.Error()}
		if pe, ok := e.Err.(*generated.PipeOrderedPanicError); ok {
			f.panic, f.err = fmt.Sprint(pe.Value), ""
		}
	case *generated.PipeOrderedUnfusedItemError:
		f = failure{stage: e.Stage, item: fmt.Sprint(e.Item), err: e.Err.Error()}
		if pe, ok := e.Err.(*generated.PipeOrderedUnfusedPanicError); ok {
			f.panic, f.err = fmt.Sprint(pe.Value), ""
		}
	case *generated.PipeCollectItemError:
		f = failure{stage: e.Stage, item: fmt.Sprint(e.Item), err: e.Err.Error()}
		if pe, ok := e.Err.(*generated.PipeCollectPanicError); ok {
			f.panic, f.err = fmt.Sprint(pe.Value), ""
		}
	case *generated.PipeCollectUnfusedItemError:
		f = failure{stage: e.Stage, item: fmt.Sprint(e.Item), err: e.Err.Error()}
		if pe, ok := e.Err.(*generated.PipeCollectUnfusedPanicError); ok {
			f.panic, f.err = fmt.Sprint(pe.Value), ""
		}
	case *generated.PipeOrderedCollectItemError:
		f = failure{stage: e.Stage, item: fmt.Sprint(e.Item), err: e.Err.Error()}
		if pe, ok := e.Err.(*generated.PipeOrderedCollectPanicError); ok {
			f.panic, f.err = fmt.Sprint(pe.Value), ""
		}
	case *generated.PipeOrderedCollectUnfusedItemError:
		f = failure{stage: e.Stage, item: fmt.Sprint(e.Item), err: e.Err.Error()}
		if pe, ok := e.Err.(*generated.PipeOrderedCollectUnfusedPanicError); ok {
			f.panic, f.err = fmt.Sprint(pe.Value), ""
		}
	case *generated.PipeBoundItemError:
		f = failure{stage: e.Stage, item: fmt.Sprint(e.Item), err: e.Err.Error()}
		if pe, ok := e.Err.(*generated.PipeBoundPanicError); ok {
			f.panic, f.err = fmt.Sprint(pe.Value), ""
		}
	case *generated.PipeBoundFusedItemError:
		f = failure{stage: e.Stage, item: fmt.Sprint(e.Item), err: e.Err.Error()}
		if pe, ok := e.Err.(*generated.PipeBoundFusedPanicError); ok {
			f.panic, f.err = fmt.Sprint(pe.Value), ""
		}
	case *generated.PipeBoundUnfusedItemError:
		f = failure{stage: e.Stage, item: fmt.Sprint(e.Item), err: e.Err.Error()}
		if pe, ok := e.Err.(*generated.PipeBoundUnfusedPanicError); ok {
			f.panic, f.err = fmt.Sprint(pe.Value), ""
		}
	default:
		return f, false
	}
	return f, true
}

// pipeScenarios are the inputs and faults the equivalence tests run every
// pipeline on.
var pipeScenarios = []struct {
	name string
	fs   faults
	n    int
}{
	{"plain", faults{}, 3000},
	{"filter", faults{skip: func(x int) bool { return x%7 == 3 }}, 3000},
	{"empty", faults{}, 0},
	{"one", faults{}, 1},
	{"errors", faults{skip: func(x int) bool { return x%7 == 3 }, fail: func(x int) bool { return x%97 == 5 }, failAt: 2}, 2000},
	{"panics", faults{panics: func(x int) bool { return x%101 == 50 }, panicAt: 3}, 2000},
	{"one-error", faults{fail: func(x int) bool { return x == 1234 }, failAt: 1}, 2000},
	{"flaky", faults{flaky: func(x int) bool { return x%50 == 1 }}, 1000},
}

// comparePipelines runs got and want, pipelines of case c, on the same
// inputs with faults fs: their outputs (in order when ordered), failures
// and stats must agree.
func comparePipelines(t *testing.T, c pipeCase, fs faults, n int, got, want pipeImpl) {
	t.Helper()
	in := seq(n)
	gotOut, gotErr := got.runSlice(context.Background(), in)
	wantOut, wantErr := want.runSlice(context.Background(), in)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("error %v, want %v", gotErr, wantErr)
	}
	if c.cfg.Collect || gotErr == nil {
		sameOutputs(t, gotOut, wantOut, c.cfg.Ordered)
	} else if gotOut != nil || wantOut != nil {
		t.Fatalf("stop mode returned outputs with an error: %d and %d", len(gotOut), len(wantOut))
	}
	gotF, wantF := failuresOf(t, gotErr), failuresOf(t, wantErr)
	if !c.cfg.Collect && len(gotF) > 0 {
		// Stop mode reports the first failure, which depends on
		// scheduling; it must be one of the items that fail.
		if len(gotF) != 1 || len(wantF) != 1 || gotF[0].stage != wantF[0].stage {
			t.Fatalf("stop mode: %+v, want %+v", gotF, wantF)
		}
		return
	}
	if (fs.fail != nil || fs.panics != nil || fs.flaky != nil && c.cfg.Retries == 0) && len(gotF) == 0 {
		t.Fatal("no failures reported")
	}
	if !slices.Equal(gotF, wantF) {
		t.Fatalf("failures differ:\ngot  %+v\nwant %+v", gotF, wantF)
	}
	if got.stats != nil {
		g, w := got.stats(), want.stats()
		for i := range g {
			g[i].Busy, w[i].Busy, g[i].QueueAvg, w[i].QueueAvg = 0, 0, 0, 0
			g[i].Batches, w[i].Batches = 0, 0 // batching depends on timing
			// One latency per item received; the times vary.
			w[i].Latency = pipeline.Histogram{Count: w[i].Latency.Count}
			if g[i].Latency.Count != g[i].In {
				t.Errorf("stage %d: Latency count %d, want one per item received, %d", i, g[i].Latency.Count, g[i].In)
			}
		}
		if !slices.Equal(g, w) {
			t.Fatalf("stats differ:\ngot  %+v\nwant %+v", g, w)
		}
	}
}

// runsScenario reports whether case c runs scenario fs: a bound pipeline's
// stages 1 and 3 never fail.
func runsScenario(c pipeCase, fs faults) bool {
	stage2Only := fs.skip == nil && (fs.fail == nil || fs.failAt == 2) && fs.panics == nil
	return !c.bound || stage2Only
}

// TestPipelineEquivalence runs every generated pipeline and its template on
// the same inputs and faults: outputs (in order when ordered), failures and
// stats must agree.
func TestPipelineEquivalence(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range pipeCases {
		for _, sc := range pipeScenarios {
			if !runsScenario(c, sc.fs) {
				continue
			}
			t.Run(c.name+"/"+sc.name, func(t *testing.T) {
				comparePipelines(t, c, sc.fs, sc.n, c.build(sc.fs), c.template(sc.fs))
			})
		}
	}
}

// TestPipelineFusedEqualsUnfused runs every generated pipeline and its
// fuse=false twin on the same inputs and faults: outputs (in order when
// ordered), failures and stats must agree.
func TestPipelineFusedEqualsUnfused(t *testing.T) {
	defer goleak.VerifyNone(t)
	pairs := 0
	for i, c := range pipeCases {
		if !strings.HasSuffix(c.name, "-unfused") {
			continue
		}
		fused := pipeCases[i-1]
		if fused.cfg.Collect != c.cfg.Collect || fused.cfg.Ordered != c.cfg.Ordered || fused.workers != c.workers || fused.cfg.NoFuse == c.cfg.NoFuse {
			t.Fatalf("case %s is not the twin of %s", c.name, fused.name)
		}
		pairs++
		for _, sc := range pipeScenarios {
			if !runsScenario(c, sc.fs) {
				continue
			}
			t.Run(fused.name+"/"+sc.name, func(t *testing.T) {
				comparePipelines(t, c, sc.fs, sc.n, fused.build(sc.fs), c.build(sc.fs))
			})
		}
	}
	if pairs != 5 {
		t.Fatalf("%d fused and unfused pairs, want 5", pairs)
	}
}

// TestPipelinePacedFusedEqualsUnfused runs PipePaced, whose last two
// stages are fused, and its fuse=false twin on the same items, each with a
// quota of its own that admits three at once: the same outputs, and the
// same items failed at the first stage.
func TestPipelinePacedFusedEqualsUnfused(t *testing.T) {
	defer goleak.VerifyNone(t)
	var calls atomic.Int64
	fused := generated.NewPipePaced(toInt64(&calls), toFloat, toString, generated.NewJobQuota())
	alone := generated.NewPipePacedUnfused(toInt64(&calls), toFloat, toString, generated.NewJobQuota())
	in := []int{1, 2, 3, 4, 5}
	outs, err := fused.RunSlice(quotaContext(t), in)
	var fails generated.PipePacedFailures
	if !errors.As(err, &fails) || len(fails) != 2 {
		t.Fatalf("fused: RunSlice error = %v; want the two items past the quota as failures", err)
	}
	outs2, err := alone.RunSlice(quotaContext(t), in)
	var fails2 generated.PipePacedUnfusedFailures
	if !errors.As(err, &fails2) || len(fails2) != 2 {
		t.Fatalf("unfused: RunSlice error = %v; want the two items past the quota as failures", err)
	}
	for i := range fails {
		if fails[i].Stage != "toInt64" || fails2[i].Stage != "toInt64" || fails[i].Item != fails2[i].Item {
			t.Fatalf("failure %d: stage %s item %v, unfused stage %s item %v; want stage toInt64 and the same item",
				i, fails[i].Stage, fails[i].Item, fails2[i].Stage, fails2[i].Item)
		}
	}
	sameOutputs(t, outs, outs2, false)
}

// TestPipelineStart runs Start, the channel form, on both implementations.
func TestPipelineStart(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range pipeCases {
		t.Run(c.name, func(t *testing.T) {
			fs := faults{}
			if !c.bound {
				fs.skip = func(x int) bool { return x%5 == 0 }
			}
			var outs [2][]string
			for i, impl := range []pipeImpl{c.build(fs), c.template(fs)} {
				in := make(chan int)
				go func() {
					for x := range 1500 {
						in <- x
					}
					close(in)
				}()
				out, wait := impl.start(context.Background(), in)
				for v := range out {
					outs[i] = append(outs[i], v)
				}
				if err := wait(); err != nil {
					t.Fatal(err)
				}
			}
			sameOutputs(t, outs[0], outs[1], c.cfg.Ordered)
		})
	}
}

// TestPipelineCancel cancels runs mid-stream: both implementations stop,
// report the cancellation, and leave no goroutine behind, whether or not
// the caller drains the output.
func TestPipelineCancel(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range pipeCases {
		for _, drain := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/drain=%v", c.name, drain), func(t *testing.T) {
				for i, impl := range []pipeImpl{c.build(faults{}), c.template(faults{})} {
					ctx, cancel := context.WithCancel(context.Background())
					in := make(chan int)
					stop := make(chan struct{})
					fed := make(chan struct{})
					go func() { // an endless input
						defer close(fed)
						defer close(in) // as Start asks
						for x := 0; ; x++ {
							select {
							case in <- x:
							case <-stop:
								return
							}
						}
					}()
					out, wait := impl.start(ctx, in)
					for range 100 {
						<-out
					}
					cancel()
					if drain {
						for range out {
						}
					}
					err := wait()
					close(stop)
					<-fed
					if !errors.Is(err, context.Canceled) {
						t.Fatalf("impl %d: Wait = %v, want context.Canceled", i, err)
					}
				}
			})
		}
	}
}

// TestPipelineStress runs many overlapping runs of one generated pipeline
// (it holds no per-run state), under -race.
func TestPipelineStress(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range pipeCases {
		t.Run(c.name, func(t *testing.T) {
			impl := c.build(faults{fail: func(x int) bool { return x%211 == 7 }, failAt: 2})
			ref, refErr := c.template(faults{fail: func(x int) bool { return x%211 == 7 }, failAt: 2}).runSlice(context.Background(), seq(1000))
			var wg sync.WaitGroup
			for g := range 6 {
				wg.Go(func() {
					for range 4 {
						ctx, cancel := context.WithCancel(context.Background())
						if g == 5 {
							cancel() // some runs start cancelled
						}
						out, err := impl.runSlice(ctx, seq(1000))
						cancel()
						if g == 5 {
							if err == nil {
								t.Error("a cancelled run returned no error")
							}
							continue
						}
						if (err == nil) != (refErr == nil) {
							t.Errorf("error %v, template %v", err, refErr)
							return
						}
						if c.cfg.Collect && len(out) != len(ref) {
							t.Errorf("%d outputs, template %d", len(out), len(ref))
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestPipelineProducerWithoutSelectIsNotBlockedByStop feeds runs of both
// implementations from the obvious producer, which sends 1000 items without
// selecting on a context and then closes its channel, and stops them: by a
// failure of item 3 (which collect mode reports and goes on), or by
// cancelling the context, before the run or during it. Wait must return
// without waiting for the producer (which holds item 500 back until Wait has
// returned, unless the run must read everything), the producer must finish,
// and no goroutine may be left once it has closed its channel. A run that
// stopped used to leave the producer blocked on its send forever.
func TestPipelineProducerWithoutSelectIsNotBlockedByStop(t *testing.T) {
	const n, bad = 1000, 3
	for _, c := range pipeCases {
		for _, how := range []string{"fail", "cancel-before", "cancel-during"} {
			t.Run(c.name+"/"+how, func(t *testing.T) {
				var fs faults
				if how == "fail" {
					fs = faults{fail: func(x int) bool { return x == bad }, failAt: 2}
				}
				for i, impl := range []pipeImpl{c.build(fs), c.template(fs)} {
					synctest.Test(t, func(t *testing.T) {
						ctx, cancel := context.WithCancel(t.Context())
						defer cancel()
						if how == "cancel-before" {
							cancel()
						}
						hold := how != "fail" || !c.cfg.Collect // a completed run reads every item
						release, produced := make(chan struct{}), make(chan struct{})
						in := make(chan int)
						go func() { // the obvious producer
							defer close(produced)
							for x := range n {
								if hold && x == n/2 {
									<-release
								}
								in <- x
							}
							close(in)
						}()
						out, wait := impl.start(ctx, in)
						got := 0
						for range out {
							if got++; how == "cancel-during" && got == 1 {
								cancel()
							}
						}
						err := wait() // a deadlock if it waited for the producer
						close(release)
						synctest.Wait()
						select {
						case <-produced:
						default:
							t.Fatalf("impl %d: the producer is blocked: the run stopped reading its input", i)
						}
						switch {
						case how != "fail":
							if !errors.Is(err, context.Canceled) {
								t.Fatalf("impl %d: Wait = %v, want context.Canceled", i, err)
							}
						case !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "item 3:"):
							t.Fatalf("impl %d: Wait = %v, want the failure of item %d", i, err, bad)
						case c.cfg.Collect && got != n-1:
							t.Fatalf("impl %d: %d outputs, want %d", i, got, n-1)
						}
					})
				}
			})
		}
	}
}
