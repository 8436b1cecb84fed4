package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/monogen/monogen/templates/pipeline"
)

// fakeLimiter lets every call through at once.
type fakeLimiter struct{}

func (fakeLimiter) Wait(context.Context) error { return nil }

// TestSegments checks which stages are fused: adjacent stages with the same
// workers, unless the later one asks not to be or the earlier one is paced.
func TestSegments(t *testing.T) {
	for _, tc := range []struct {
		workers [3]int
		noFuse  [3]bool
		paced   bool
		want    string
	}{
		{[3]int{1, 1, 1}, [3]bool{}, false, "[[int64 float string]]"},
		{[3]int{4, 4, 4}, [3]bool{}, false, "[[int64 float string]]"},
		{[3]int{1, 4, 4}, [3]bool{}, false, "[[int64] [float string]]"},
		{[3]int{2, 2, 3}, [3]bool{}, false, "[[int64 float] [string]]"},
		{[3]int{2, 4, 2}, [3]bool{}, false, "[[int64] [float] [string]]"},
		{[3]int{1, 1, 1}, [3]bool{false, false, true}, false, "[[int64 float] [string]]"},
		{[3]int{1, 1, 1}, [3]bool{true, true, true}, false, "[[int64] [float] [string]]"},
		{[3]int{1, 1, 1}, [3]bool{true, false, false}, false, "[[int64 float string]]"}, // nothing before the first
		{[3]int{1, 1, 1}, [3]bool{}, true, "[[int64] [float string]]"},
	} {
		cfg := [3]pipeline.Config{}
		for i := range cfg {
			cfg[i] = pipeline.Config{Workers: tc.workers[i], NoFuse: tc.noFuse[i]}
		}
		if tc.paced {
			cfg[0].Rate = fakeLimiter{}
		}
		p := pipeline.Then(pipeline.Then(
			pipeline.From(pipeline.NewStage("int64", plain.toInt64, cfg[0])),
			pipeline.NewStage("float", plain.toFloat, cfg[1])),
			pipeline.NewStage("string", plain.toString, cfg[2]))
		if got := fmt.Sprint(pipeline.Segments(p)); got != tc.want {
			t.Errorf("workers %v, NoFuse %v, paced %v: segments %s, want %s", tc.workers, tc.noFuse, tc.paced, got, tc.want)
		}
		if out, err := p.RunSlice(context.Background(), ints(500)); err != nil {
			t.Fatal(err)
		} else {
			checkOutputs(t, out, ints(500), false)
		}
	}
}

// TestFusedChainTakesEachBatchThroughEveryStage checks what fusion means: the
// stages of a fused chain with one worker run one after the other on one
// goroutine, so the second stage's call on item 0 ends before the first
// stage sees item 1; on their own, the first stage goes on to item 1 while
// the second works on item 0.
func TestFusedChainTakesEachBatchThroughEveryStage(t *testing.T) {
	for _, noFuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoFuse=%v", noFuse), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				seen1 := make(chan struct{})
				overlap := false
				f := plain
				f.toInt64 = func(_ context.Context, x int) (int64, error) {
					if x == 1 {
						close(seen1)
					}
					return int64(x) * 2, nil
				}
				f.toFloat = func(_ context.Context, x int64) (float64, error) {
					if x == 0 {
						// Waits for the first stage to see item 1, or, if
						// nothing else can happen, an hour of the bubble's
						// clock, which passes at once.
						select {
						case <-seen1:
							overlap = true
						case <-time.After(time.Hour):
						}
					}
					return float64(x) + 0.5, nil
				}
				p := build(pipeline.Config{Batch: 1, NoFuse: noFuse}, [3]int{1, 1, 1}, f)
				out, err := p.RunSlice(t.Context(), ints(2))
				if err != nil {
					t.Fatal(err)
				}
				checkOutputs(t, out, ints(2), false)
				if overlap == noFuse {
					return
				}
				if noFuse {
					t.Fatal("stages on their own: the first stage did not go on to item 1 while the second worked on item 0")
				}
				t.Fatal("fused stages: the first stage saw item 1 before the second was done with item 0")
			})
		})
	}
}

// TestFusedAndUnfusedAgree runs pipelines fused and with NoFuse on every
// stage, on the same inputs and faults: skips, failures, retried failures
// and panics at every stage. Outputs (in order when ordered), failures and
// stats must be the same.
func TestFusedAndUnfusedAgree(t *testing.T) {
	type run struct {
		out   []string
		fails []string
		stats []pipeline.StageStats
	}
	// fns returns stage functions with faults: stage 1 skips x%7 == 3,
	// stage 2 fails x%13 == 5 and fails the first call of x%19 == 2 (a
	// retry passes it), stage 3 panics on x%17 == 8.
	fns := func() fns {
		var mu sync.Mutex
		tried := map[int64]bool{}
		return fns{
			toInt64: func(_ context.Context, x int) (int64, error) {
				if x%7 == 3 {
					return 0, pipeline.ErrSkip
				}
				return int64(x) * 2, nil
			},
			toFloat: func(_ context.Context, x int64) (float64, error) {
				switch {
				case x/2%13 == 5:
					return 0, fmt.Errorf("item %d: %w", x/2, errBad)
				case x/2%19 == 2:
					mu.Lock()
					first := !tried[x]
					tried[x] = true
					mu.Unlock()
					if first {
						return 0, errors.New("flaky")
					}
				}
				return float64(x) + 0.5, nil
			},
			toString: func(_ context.Context, x float64) (string, error) {
				if int(x)/2%17 == 8 {
					panic("bad " + strconv.Itoa(int(x)/2))
				}
				return strconv.FormatFloat(x, 'f', 1, 64), nil
			},
		}
	}
	do := func(t *testing.T, cfg pipeline.Config, workers [3]int, n int) run {
		p := build(cfg, workers, fns())
		out, err := p.RunSlice(context.Background(), ints(n))
		var fs pipeline.Failures
		if !errors.As(err, &fs) {
			t.Fatalf("RunSlice = %v, want Failures", err)
		}
		var r run
		r.out = out
		for _, e := range fs {
			msg := e.Err.Error()
			var pe *pipeline.PanicError
			if errors.As(e.Err, &pe) {
				msg = fmt.Sprint("panic ", pe.Value)
			}
			r.fails = append(r.fails, fmt.Sprintf("%s %v %s", e.Stage, e.Item, msg))
		}
		slices.Sort(r.fails)
		r.stats = p.Stats()
		for i := range r.stats {
			// Timing, and how items group into batches, vary from run to run.
			r.stats[i].Busy, r.stats[i].QueueAvg, r.stats[i].Batches = 0, 0, 0
			r.stats[i].Latency = pipeline.Histogram{Count: r.stats[i].Latency.Count}
		}
		return r
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Collect, cfg.Metrics, cfg.Retries = true, true, 1
			cfg.NoFuse = false
			fused := do(t, cfg, c.workers, 3000)
			cfg.NoFuse = true
			alone := do(t, cfg, c.workers, 3000)
			if !c.cfg.Ordered {
				slices.Sort(fused.out)
				slices.Sort(alone.out)
			}
			if !slices.Equal(fused.out, alone.out) {
				t.Fatalf("outputs differ: fused %d, unfused %d", len(fused.out), len(alone.out))
			}
			if len(fused.fails) == 0 || !slices.Equal(fused.fails, alone.fails) {
				t.Fatalf("failures differ:\nfused   %q\nunfused %q", fused.fails, alone.fails)
			}
			if !slices.Equal(fused.stats, alone.stats) {
				t.Fatalf("stats differ:\nfused   %+v\nunfused %+v", fused.stats, alone.stats)
			}
		})
	}
}

// TestFusedStagesKeepTheirStats checks that every stage of a fused chain
// counts its own items, batches and busy time, and that only the first,
// which has an input channel, reports a queue.
func TestFusedStagesKeepTheirStats(t *testing.T) {
	p := build(pipeline.Config{Metrics: true, Batch: 4}, [3]int{2, 2, 2}, plain)
	if got := fmt.Sprint(pipeline.Segments(p)); got != "[[int64 float string]]" {
		t.Fatalf("segments %s, want one fused chain", got)
	}
	if _, err := p.RunSlice(context.Background(), ints(1000)); err != nil {
		t.Fatal(err)
	}
	for i, st := range p.Stats() {
		if st.In != 1000 || st.Out != 1000 || st.Workers != 2 || st.Batches != 250 || st.Busy <= 0 {
			t.Errorf("stage %d: %+v; want 1000 in and out, 2 workers, 250 batches, some busy time", i, st)
		}
		if i > 0 && st.QueueAvg != 0 {
			t.Errorf("stage %d: QueueAvg %v, want 0 for a fused stage", i, st.QueueAvg)
		}
	}
}

// TestRunSliceFusedPlacesOutputsInInputOrder checks RunSlice of a pipeline
// fused throughout, which writes each batch's outputs at the batch's place:
// outputs come in input order even unordered and with several workers, the
// gaps left by skipped and failed items closed.
func TestRunSliceFusedPlacesOutputsInInputOrder(t *testing.T) {
	f := plain
	f.toInt64 = func(_ context.Context, x int) (int64, error) {
		if x%5 == 2 {
			return 0, pipeline.ErrSkip
		}
		return int64(x) * 2, nil
	}
	f.toFloat = func(_ context.Context, x int64) (float64, error) {
		if x%7 == 0 {
			return 0, errBad
		}
		return float64(x) + 0.5, nil
	}
	var kept []int
	for i := range 3001 {
		if i%5 != 2 && (2*i)%7 != 0 {
			kept = append(kept, i)
		}
	}
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprint("workers=", workers), func(t *testing.T) {
			p := build(pipeline.Config{Batch: 7, Collect: true}, [3]int{workers, workers, workers}, f)
			got, err := p.RunSlice(context.Background(), ints(3001))
			if !errors.Is(err, errBad) {
				t.Fatalf("RunSlice = %v, want the failures", err)
			}
			checkOutputs(t, got, kept, true)
		})
	}
}

// TestRunSliceFusedOneWorkerRunsOnTheCaller checks that RunSlice of a
// pipeline fused throughout with one worker runs every stage on the
// caller's goroutine: the stage functions see the test on their stack.
func TestRunSliceFusedOneWorkerRunsOnTheCaller(t *testing.T) {
	var elsewhere atomic.Int64
	f := plain
	f.toString = func(_ context.Context, x float64) (string, error) {
		if !strings.Contains(string(debug.Stack()), "TestRunSliceFusedOneWorkerRunsOnTheCaller(") {
			elsewhere.Add(1)
		}
		return strconv.FormatFloat(x, 'f', 1, 64), nil
	}
	for _, noFuse := range []bool{false, true} {
		elsewhere.Store(0)
		out, err := build(pipeline.Config{NoFuse: noFuse}, [3]int{1, 1, 1}, f).RunSlice(context.Background(), ints(300))
		if err != nil {
			t.Fatal(err)
		}
		checkOutputs(t, out, ints(300), false)
		if n := elsewhere.Load(); (n == 0) == noFuse {
			t.Fatalf("NoFuse %v: %d of 300 calls of the last stage on another goroutine", noFuse, n)
		}
	}
}
