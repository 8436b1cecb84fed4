package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/monogen/monogen/internal/testutil"
	"github.com/monogen/monogen/templates/pipeline"
)

// hookLog records the calls of a pipeline's fail and skip hooks, and the
// goroutine each stage function ran on for each item, to check that a hook
// runs on the goroutine that processed its item.
type hookLog struct {
	mu     sync.Mutex
	ranOn  map[string]uint64 // "stage/item": the goroutine of the call
	fails  []string          // "stage/item: error"
	skips  []string          // "stage/item"
	wrong  []string          // hook calls on another goroutine
	errors []*pipeline.ItemError
}

func newHookLog() *hookLog { return &hookLog{ranOn: map[string]uint64{}} }

func (l *hookLog) ran(stage string, item int) {
	id := testutil.GoroutineID()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ranOn[fmt.Sprintf("%s/%d", stage, item)] = id
}

func (l *hookLog) check(key string) {
	if l.ranOn[key] != testutil.GoroutineID() {
		l.wrong = append(l.wrong, key)
	}
}

func (l *hookLog) onFail(e *pipeline.ItemError) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := fmt.Sprintf("%s/%v", e.Stage, e.Item)
	l.check(key)
	msg := e.Err.Error()
	var pe *pipeline.PanicError
	if errors.As(e.Err, &pe) {
		msg = fmt.Sprint("panic ", pe.Value)
	}
	l.fails = append(l.fails, key+": "+msg)
	l.errors = append(l.errors, e)
}

func (l *hookLog) onSkip(stage string, item any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := fmt.Sprintf("%s/%v", stage, item)
	l.check(key)
	l.skips = append(l.skips, key)
}

// hooked builds a two-stage pipeline of ints with both hooks set: stage
// "filter" skips multiples of 3 and fails multiples of 5; stage "check"
// fails multiples of 7 and panics on 11.
func hooked(l *hookLog, cfg pipeline.Config) *pipeline.Pipeline[int, int] {
	filter := pipeline.NewStage("filter", func(_ context.Context, v int) (int, error) {
		l.ran("filter", v)
		switch {
		case v%3 == 0:
			return 0, fmt.Errorf("multiple of 3: %w", pipeline.ErrSkip)
		case v%5 == 0:
			return 0, errors.New("multiple of 5")
		}
		return v, nil
	}, cfg)
	check := pipeline.NewStage("check", func(_ context.Context, v int) (int, error) {
		l.ran("check", v)
		switch {
		case v == 11:
			panic("eleven")
		case v%7 == 0:
			return 0, errors.New("multiple of 7")
		}
		return v, nil
	}, cfg)
	for _, s := range []interface {
		SetOnFail(func(*pipeline.ItemError))
		SetOnSkip(func(string, any))
	}{filter, check} {
		s.SetOnFail(l.onFail)
		s.SetOnSkip(l.onSkip)
	}
	return pipeline.Then(pipeline.From(filter), check)
}

// TestPipelineReportsFailedAndSkippedItemsToHooks runs a collect-mode
// pipeline, fused and not, through RunSlice and Start: the fail hook sees
// each failed item once, with its stage, item and error (a panic as a
// *PanicError), the same *ItemError that Wait returns; the skip hook sees
// each skipped item once with its stage; both on the goroutine that called
// the stage function for that item.
func TestPipelineReportsFailedAndSkippedItemsToHooks(t *testing.T) {
	in := make([]int, 40)
	for i := range in {
		in[i] = i + 1
	}
	var wantFails, wantSkips []string
	for _, v := range in {
		switch {
		case v%3 == 0:
			wantSkips = append(wantSkips, fmt.Sprintf("filter/%d", v))
		case v%5 == 0:
			wantFails = append(wantFails, fmt.Sprintf("filter/%d: multiple of 5", v))
		case v == 11:
			wantFails = append(wantFails, "check/11: panic eleven")
		case v%7 == 0:
			wantFails = append(wantFails, fmt.Sprintf("check/%d: multiple of 7", v))
		}
	}
	slices.Sort(wantFails)
	slices.Sort(wantSkips)
	for _, workers := range []int{1, 3} {
		for _, noFuse := range []bool{false, true} {
			for _, start := range []bool{false, true} {
				name := fmt.Sprintf("workers=%d/nofuse=%v/start=%v", workers, noFuse, start)
				t.Run(name, func(t *testing.T) {
					l := newHookLog()
					p := hooked(l, pipeline.Config{Workers: workers, Batch: 4, Collect: true, NoFuse: noFuse})
					var err error
					if start {
						src := make(chan int)
						go func() {
							defer close(src)
							for _, v := range in {
								src <- v
							}
						}()
						out, run := p.Start(context.Background(), src)
						for range out {
						}
						err = run.Wait()
					} else {
						_, err = p.RunSlice(context.Background(), in)
					}
					var failures pipeline.Failures
					if !errors.As(err, &failures) {
						t.Fatalf("err = %v, want Failures", err)
					}
					l.mu.Lock()
					defer l.mu.Unlock()
					fails, skips := slices.Sorted(slices.Values(l.fails)), slices.Sorted(slices.Values(l.skips))
					if !slices.Equal(fails, wantFails) {
						t.Errorf("fail hook saw\n%q\nwant\n%q", fails, wantFails)
					}
					if !slices.Equal(skips, wantSkips) {
						t.Errorf("skip hook saw\n%q\nwant\n%q", skips, wantSkips)
					}
					if len(l.wrong) > 0 {
						t.Errorf("hooks for %v ran on another goroutine than the stage function's", l.wrong)
					}
					for _, e := range failures {
						if !slices.Contains(l.errors, e) {
							t.Errorf("Wait's %v was not given to the fail hook", e)
						}
					}
				})
			}
		}
	}
}

// TestPipelineHooksNotCalledWhenNothingFails: a run with no failure and no
// skip calls neither hook.
func TestPipelineHooksNotCalledWhenNothingFails(t *testing.T) {
	for _, noFuse := range []bool{false, true} {
		l := newHookLog()
		p := hooked(l, pipeline.Config{Workers: 2, Collect: true, NoFuse: noFuse})
		in := []int{1, 2, 4, 8, 13, 16, 17, 19, 22, 23}
		out, err := p.RunSlice(context.Background(), in)
		if err != nil || len(out) != len(in) {
			t.Fatalf("NoFuse %v: %d outputs, err %v; want %d, nil", noFuse, len(out), err, len(in))
		}
		if len(l.fails)+len(l.skips) != 0 {
			t.Errorf("NoFuse %v: hooks saw fails %q, skips %q; want none", noFuse, l.fails, l.skips)
		}
	}
}

// TestPipelineFailHookSeesTheFailureThatStopsTheRun: in stop mode, with
// one worker per stage, the fail hook sees exactly the failure that stops
// the run, the *ItemError Wait returns, and none of the failures that the
// cancellation causes after it.
func TestPipelineFailHookSeesTheFailureThatStopsTheRun(t *testing.T) {
	for _, noFuse := range []bool{false, true} {
		l := newHookLog()
		p := hooked(l, pipeline.Config{NoFuse: noFuse})
		_, err := p.RunSlice(context.Background(), []int{1, 2, 4, 5, 6, 8})
		var ie *pipeline.ItemError
		if !errors.As(err, &ie) {
			t.Fatalf("NoFuse %v: err = %v, want an ItemError", noFuse, err)
		}
		if want := []string{"filter/5: multiple of 5"}; !slices.Equal(l.fails, want) || len(l.errors) != 1 || l.errors[0] != ie {
			t.Errorf("NoFuse %v: fail hook saw %q, want %q, the error Wait returned", noFuse, l.fails, want)
		}
	}
}
