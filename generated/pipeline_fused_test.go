package generated_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/generated"
)

// The tests below hold the loop that takes each item of a batch through the
// fused stages of PipeFusedStop and PipeFusedCollect (toInt64, toFloat,
// toString; one worker, batches of 8) to what each stage does alone: a
// stage that drops, fails or panics on an item reports that stage's name
// and that stage's input, the other items go on (collect) or the run stops
// (stop), and a cancelled run stops within the batch it is in.

// fusedBatch is the batch= of PipeFusedStop and PipeFusedCollect.
const fusedBatch = 8

// fusedFault is what the stage functions of a test do: the items bad
// meets with kind ("skip", "fail" or "panic") at stage at (1 to 3), and
// first is called by toInt64 with each item before it converts it.
type fusedFault struct {
	at    int
	kind  string
	bad   func(x int) bool
	first func(x int)
}

// fusedStages returns the stage functions for f: toInt64 doubles, toFloat
// adds one half and toString formats, so that each stage's input tells the
// item (x, 2x, 2x+0.5). skip is the pipeline's skip error; calls counts the
// calls of toInt64.
func fusedStages(f fusedFault, skip error, calls *atomic.Int64) pipeFns {
	hit := func(stage, x int) error {
		if f.at != stage || f.bad == nil || !f.bad(x) {
			return nil
		}
		switch f.kind {
		case "skip":
			return skip
		case "fail":
			return fmt.Errorf("item %d: %w", x, errBoom)
		default:
			panic("bad item " + strconv.Itoa(x))
		}
	}
	return pipeFns{
		f1: func(_ context.Context, x int) (int64, error) {
			calls.Add(1)
			if f.first != nil {
				f.first(x)
			}
			if err := hit(1, x); err != nil {
				return 0, err
			}
			return int64(x) * 2, nil
		},
		f2: func(_ context.Context, x int64) (float64, error) {
			if err := hit(2, int(x/2)); err != nil {
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

// fusedPipe is PipeFusedStop or PipeFusedCollect.
type fusedPipe struct {
	name    string
	collect bool
	skip    error
	build   func(pipeFns) pipeImpl
	// failures returns what err reports, as FusedPipeEvents spells it:
	// "stage/item: error", a panic by its value.
	failures func(err error) []string
}

var fusedPipes = []fusedPipe{
	{
		name: "stop", skip: generated.ErrPipeFusedStopSkip,
		build: func(f pipeFns) pipeImpl {
			p := generated.NewPipeFusedStop(f.f1, f.f2, f.f3)
			return pipeImpl{runSlice: p.RunSlice, start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			}}
		},
		failures: func(err error) []string {
			var e *generated.PipeFusedStopItemError
			if !errors.As(err, &e) {
				return nil
			}
			return []string{fusedFailure(e.Stage, e.Item, e.Err)}
		},
	},
	{
		name: "collect", collect: true, skip: generated.ErrPipeFusedCollectSkip,
		build: func(f pipeFns) pipeImpl {
			p := generated.NewPipeFusedCollect(f.f1, f.f2, f.f3)
			return pipeImpl{runSlice: p.RunSlice, start: func(ctx context.Context, in <-chan int) (<-chan string, func() error) {
				out, r := p.Start(ctx, in)
				return out, r.Wait
			}}
		},
		failures: func(err error) []string {
			var fs generated.PipeFusedCollectFailures
			if !errors.As(err, &fs) {
				return nil
			}
			var out []string
			for _, e := range fs {
				out = append(out, fusedFailure(e.Stage, e.Item, e.Err))
			}
			return out
		},
	},
}

// fusedFailure spells a failure as the hooks of generated/pipeline.go do.
func fusedFailure(stage string, item any, err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "panic: ") {
		msg, _, _ = strings.Cut(msg, "\n")
	}
	return fmt.Sprintf("%s/%v: %s", stage, item, msg)
}

// fusedRun runs impl on the items 0 to n-1 with RunSlice, or with Start
// fed by a producer that sends them all and closes its channel, and returns
// the outputs (nil from RunSlice on an error in stop mode) and the error.
func fusedRun(ctx context.Context, impl pipeImpl, api string, n int) ([]string, error) {
	if api == "RunSlice" {
		return impl.runSlice(ctx, seq(n))
	}
	in := make(chan int)
	go func() { // a stopped run drains in until it is closed
		for x := range n {
			in <- x
		}
		close(in)
	}()
	out, wait := impl.start(ctx, in)
	var res []string
	for v := range out {
		res = append(res, v)
	}
	return res, wait()
}

// fusedOutputs are the outputs of the items 0 to n-1 but those dropped.
func fusedOutputs(n int, dropped func(int) bool) []string {
	var out []string
	for x := range n {
		if !dropped(x) {
			out = append(out, strconv.FormatFloat(float64(2*x)+0.5, 'f', 1, 64))
		}
	}
	return out
}

// events returns the arguments of the calls of hook in FusedPipeEvents,
// sorted, and forgets every call.
func fusedEvents(hook string) []string {
	var out []string
	for _, c := range generated.FusedPipeEvents.Take() {
		if c.Hook == hook {
			out = append(out, c.Arg)
		}
	}
	slices.Sort(out)
	return out
}

// sameStrings fails t unless got and want hold the same strings, in order
// when ordered.
func sameStrings(t *testing.T, what string, got, want []string, ordered bool) {
	t.Helper()
	if !ordered {
		got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\ngot  %q\nwant %q", what, got, want)
	}
}

// TestFusedChainPanicInLaterStageReportsThatStageAndItsInput panics in the
// second, then the third, of three fused stages on item 13: the failure, and
// what onfail= sees, name that stage and that stage's input (26 for
// toFloat, 26.5 for toString), not the first stage's. Collect mode goes on
// with every other item; stop mode drops the rest of the batch and stops
// (RunSlice: toInt64 never sees item 14).
func TestFusedChainPanicInLaterStageReportsThatStageAndItsInput(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n, bad = 100, 13
	for _, pipe := range fusedPipes {
		for _, at := range []int{2, 3} {
			for _, api := range []string{"RunSlice", "Start"} {
				t.Run(fmt.Sprintf("%s/stage=%d/%s", pipe.name, at, api), func(t *testing.T) {
					generated.FusedPipeEvents.Take()
					var calls atomic.Int64
					impl := pipe.build(fusedStages(fusedFault{at: at, kind: "panic", bad: func(x int) bool { return x == bad }}, pipe.skip, &calls))
					out, err := fusedRun(context.Background(), impl, api, n)
					want := []string{"toFloat/26: panic: bad item 13"}
					if at == 3 {
						want = []string{"toString/26.5: panic: bad item 13"}
					}
					sameStrings(t, "failures", pipe.failures(err), want, true)
					sameStrings(t, "onfail", fusedEvents("onfail"), want, true)
					switch {
					case pipe.collect:
						sameStrings(t, "outputs", out, fusedOutputs(n, func(x int) bool { return x == bad }), api == "RunSlice")
						if c := calls.Load(); c != n {
							t.Fatalf("toInt64 called %d times, want %d", c, n)
						}
					case api == "RunSlice":
						if out != nil {
							t.Fatalf("stop mode returned %d outputs with an error", len(out))
						}
						if c := calls.Load(); c != bad+1 {
							t.Fatalf("toInt64 called %d times, want %d: the run stops at the panic of item %d", c, bad+1, bad)
						}
					}
				})
			}
		}
	}
}

// TestFusedChainSkipInMiddleStageCallsItsOnSkip drops the multiples of 5 at
// the second of three fused stages: onskip= sees each with stage toFloat and
// toFloat's input (2x), the last stage never sees them, and every other item
// comes out, with no error.
func TestFusedChainSkipInMiddleStageCallsItsOnSkip(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 100
	dropped := func(x int) bool { return x%5 == 0 }
	var want []string
	for x := range n {
		if dropped(x) {
			want = append(want, fmt.Sprintf("toFloat/%d", 2*x))
		}
	}
	slices.Sort(want)
	for _, pipe := range fusedPipes {
		for _, api := range []string{"RunSlice", "Start"} {
			t.Run(pipe.name+"/"+api, func(t *testing.T) {
				generated.FusedPipeEvents.Take()
				var calls atomic.Int64
				impl := pipe.build(fusedStages(fusedFault{at: 2, kind: "skip", bad: dropped}, pipe.skip, &calls))
				out, err := fusedRun(context.Background(), impl, api, n)
				if err != nil {
					t.Fatalf("error %v, want nil: a skip is not a failure", err)
				}
				sameStrings(t, "onskip", fusedEvents("onskip"), want, true)
				sameStrings(t, "outputs", out, fusedOutputs(n, dropped), api == "RunSlice")
			})
		}
	}
}

// TestFusedChainFailureInLastStageKeepsOtherOutputs fails every item x with
// x%7 == 3 at the last of three fused stages, in collect mode: each is
// reported with stage toString and its input (2x+0.5), and every other item
// of the same batches comes out.
func TestFusedChainFailureInLastStageKeepsOtherOutputs(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 100
	failed := func(x int) bool { return x%7 == 3 }
	var want []string
	for x := range n {
		if failed(x) {
			want = append(want, fmt.Sprintf("toString/%v: item %d: boom", float64(2*x)+0.5, x))
		}
	}
	pipe := fusedPipes[1]
	for _, api := range []string{"RunSlice", "Start"} {
		t.Run(api, func(t *testing.T) {
			generated.FusedPipeEvents.Take()
			var calls atomic.Int64
			impl := pipe.build(fusedStages(fusedFault{at: 3, kind: "fail", bad: failed}, pipe.skip, &calls))
			out, err := fusedRun(context.Background(), impl, api, n)
			if !errors.Is(err, errBoom) {
				t.Fatalf("error %v, want the failures", err)
			}
			sameStrings(t, "failures", pipe.failures(err), want, api == "RunSlice")
			sameStrings(t, "onfail", fusedEvents("onfail"), slices.Sorted(slices.Values(want)), true)
			sameStrings(t, "outputs", out, fusedOutputs(n, failed), api == "RunSlice")
		})
	}
}

// TestFusedChainCancelledMidBatchStopsWithinTheBatch cancels the run's
// context while toInt64 converts item 13, in the middle of a batch: the
// worker finishes the batch it is in (RunSlice: items 8 to 15; Start: at
// most 7 items after 13, however the source batched them) and takes no
// other, and Wait reports the cancellation.
func TestFusedChainCancelledMidBatchStopsWithinTheBatch(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n, at = 1000, 13
	for _, pipe := range fusedPipes {
		for _, api := range []string{"RunSlice", "Start"} {
			t.Run(pipe.name+"/"+api, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var calls atomic.Int64
				impl := pipe.build(fusedStages(fusedFault{first: func(x int) {
					if x == at {
						cancel()
					}
				}}, pipe.skip, &calls))
				_, err := fusedRun(ctx, impl, api, n)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Wait = %v, want context.Canceled", err)
				}
				most := int64(at + fusedBatch) // item 13 and up to 7 after it, in its batch
				if api == "RunSlice" {
					most = (at/fusedBatch + 1) * fusedBatch // to the end of batch 1 (items 8 to 15)
				}
				if c := calls.Load(); c < at+1 || c > most {
					t.Fatalf("toInt64 called %d times, want %d to %d: the worker stops within the batch it is in", c, at+1, most)
				}
			})
		}
	}
}

// TestFusedChainRetriesALaterStageWithItsInput makes the last of three
// fused stages of PipeFusedCollect (retries=2) fail the first two calls for
// every item x with x%9 == 4: the loop retries the call with the same input
// (2x+0.5), every item comes out, and nothing fails. An item that fails a
// third time fails once, at that stage, after three calls.
func TestFusedChainRetriesALaterStageWithItsInput(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 100
	flaky := func(x int) bool { return x%9 == 4 }
	for _, always := range []bool{false, true} {
		t.Run(fmt.Sprintf("always=%v", always), func(t *testing.T) {
			generated.FusedPipeEvents.Take()
			var calls atomic.Int64
			f := fusedStages(fusedFault{}, generated.ErrPipeFusedCollectSkip, &calls)
			tries := map[float64]int{} // one worker: no lock needed
			next := f.f3
			f.f3 = func(ctx context.Context, x float64) (string, error) {
				if item := int(x) / 2; flaky(item) {
					tries[x]++
					if always || tries[x] <= 2 {
						return "", fmt.Errorf("item %d: %w", item, errBoom)
					}
				}
				return next(ctx, x)
			}
			out, err := generated.NewPipeFusedCollect(f.f1, f.f2, f.f3).RunSlice(context.Background(), seq(n))
			var want []string
			retried := 0
			for x := range n {
				if !flaky(x) {
					continue
				}
				retried++
				if in := float64(2*x) + 0.5; tries[in] != 3 {
					t.Fatalf("item %d: toString called %d times with its input %v, want 3", x, tries[in], in)
				}
				if always {
					want = append(want, fmt.Sprintf("toString/%v: item %d: boom", float64(2*x)+0.5, x))
				}
			}
			if len(tries) != retried {
				t.Fatalf("toString retried %d inputs, want %d: %v", len(tries), retried, tries)
			}
			sameStrings(t, "failures", fusedPipes[1].failures(err), want, true)
			if !always {
				if err != nil {
					t.Fatalf("error %v, want nil: every retried item succeeds", err)
				}
				sameStrings(t, "outputs", out, fusedOutputs(n, func(int) bool { return false }), true)
			} else {
				sameStrings(t, "outputs", out, fusedOutputs(n, flaky), true)
			}
		})
	}
}

// goroutineID returns the number runtime.Stack gives the calling goroutine.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := strings.Cut(strings.TrimPrefix(string(buf), "goroutine "), " ")
	return id
}

// TestFusedOneWorkerRunSliceRunsOnTheCallersGoroutine: RunSlice of a
// pipeline whose stages are all fused with one worker (PipeFusedStop,
// PipeFusedCollect) calls every stage function on the calling goroutine,
// with the ctx it was given, and allocates its result only: the run stays
// on the stack. Before, a run had a context of its own, and RunSlice
// allocated eight times whatever the input.
func TestFusedOneWorkerRunSliceRunsOnTheCallersGoroutine(t *testing.T) {
	type key struct{}
	for _, pipe := range fusedPipes {
		t.Run(pipe.name, func(t *testing.T) {
			ctx := context.WithValue(context.Background(), key{}, pipe.name)
			caller := goroutineID()
			var calls atomic.Int64
			var wrong atomic.Value
			f := fusedStages(fusedFault{}, pipe.skip, &calls)
			f1 := f.f1
			f.f1 = func(c context.Context, x int) (int64, error) {
				if c != ctx {
					wrong.Store("a context other than RunSlice's")
				}
				if id := goroutineID(); id != caller {
					wrong.Store("goroutine " + id + ", not the caller's " + caller)
				}
				return f1(c, x)
			}
			impl := pipe.build(f)
			out, err := impl.runSlice(ctx, seq(100))
			if err != nil || len(out) != 100 {
				t.Fatalf("RunSlice: %d outputs, %v; want 100, nil", len(out), err)
			}
			if w := wrong.Load(); w != nil {
				t.Fatalf("a stage function got %s", w)
			}

			p := pipe.build(fusedStages(fusedFault{}, pipe.skip, &calls))
			in := seq(16)
			allocs := testing.AllocsPerRun(100, func() {
				if _, err := p.runSlice(context.Background(), in); err != nil {
					t.Fatal(err)
				}
			})
			// The result, and toString's strings (FormatFloat).
			if want := float64(1 + len(in)); allocs > want {
				t.Fatalf("RunSlice of %d items: %.0f allocations, want at most %.0f: the result and the strings", len(in), allocs, want)
			}
		})
	}
}

// TestOneGoroutineRunSliceAllocatesOnlyItsResult: RunSlice of a pipeline
// fused into one worker, whose stage functions allocate nothing
// (BenchPipe1Bound, BenchPipe1 with closures), allocates the slice of
// outputs and nothing else, whatever the number of items.
func TestOneGoroutineRunSliceAllocatesOnlyItsResult(t *testing.T) {
	closures := generated.NewBenchPipe1(
		func(_ context.Context, x int) (int64, error) { return generated.BenchTriple(x), nil },
		func(_ context.Context, x int64) (float64, error) { return generated.BenchHalve(x), nil },
		func(_ context.Context, x float64) (uint64, error) { return generated.BenchRound(x), nil },
	)
	for _, pipe := range []struct {
		name string
		run  func(context.Context, []int) ([]uint64, error)
	}{
		{"BenchPipe1Bound", generated.NewBenchPipe1Bound().RunSlice},
		{"BenchPipe1", closures.RunSlice},
	} {
		for _, n := range []int{1, 100, 1000} {
			in := seq(n)
			allocs := testing.AllocsPerRun(50, func() {
				out, err := pipe.run(context.Background(), in)
				if err != nil || len(out) != n {
					t.Fatalf("%s.RunSlice: %d outputs, %v; want %d, nil", pipe.name, len(out), err, n)
				}
			})
			if allocs != 1 {
				t.Errorf("%s.RunSlice of %d items: %.0f allocations, want 1 (the outputs)", pipe.name, n, allocs)
			}
		}
	}
}

// TestFusedCollectKeepsEveryOutputAroundDropsAndPanics mixes, in every
// batch of PipeFusedCollect, items skipped and failed by one stage with
// items on which a later or an earlier stage panics: the outputs of a batch
// up to a panic are those of its items that were not dropped, so RunSlice
// returns, in order, the output of every other item, and the failures name
// the stage of each.
func TestFusedCollectKeepsEveryOutputAroundDropsAndPanics(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 100
	// fault is what happens to x at stage: by x mod the batch size.
	fault := func(stage, x int) string {
		switch {
		case stage == 1 && x%fusedBatch == 1, stage == 3 && x%fusedBatch == 7:
			return "skip"
		case stage == 2 && x%fusedBatch == 3:
			return "fail"
		case stage == 3 && x%fusedBatch == 5, stage == 1 && x%fusedBatch == 6:
			return "panic"
		}
		return ""
	}
	hit := func(stage, x int) error {
		switch fault(stage, x) {
		case "skip":
			return generated.ErrPipeFusedCollectSkip
		case "fail":
			return fmt.Errorf("item %d: %w", x, errBoom)
		case "panic":
			panic("bad item " + strconv.Itoa(x))
		}
		return nil
	}
	var calls atomic.Int64
	f := fusedStages(fusedFault{}, generated.ErrPipeFusedCollectSkip, &calls)
	f1, f2, f3 := f.f1, f.f2, f.f3
	f.f1 = func(ctx context.Context, x int) (int64, error) {
		if err := hit(1, x); err != nil {
			return 0, err
		}
		return f1(ctx, x)
	}
	f.f2 = func(ctx context.Context, x int64) (float64, error) {
		if err := hit(2, int(x/2)); err != nil {
			return 0, err
		}
		return f2(ctx, x)
	}
	f.f3 = func(ctx context.Context, x float64) (string, error) {
		if err := hit(3, int(x)/2); err != nil {
			return "", err
		}
		return f3(ctx, x)
	}
	p := generated.NewPipeFusedCollect(f.f1, f.f2, f.f3)
	out, err := p.RunSlice(context.Background(), seq(n))
	sameStrings(t, "outputs", out, fusedOutputs(n, func(x int) bool {
		return fault(1, x) != "" || fault(2, x) != "" || fault(3, x) != ""
	}), true)
	var fs generated.PipeFusedCollectFailures
	if !errors.As(err, &fs) {
		t.Fatalf("RunSlice: %v, want the failures", err)
	}
	var got, want []string
	for _, e := range fs {
		got = append(got, e.Stage+"/"+fmt.Sprint(e.Item))
	}
	for x := range n {
		switch {
		case fault(1, x) == "panic":
			want = append(want, "toInt64/"+strconv.Itoa(x))
		case fault(2, x) == "fail":
			want = append(want, "toFloat/"+strconv.Itoa(2*x))
		case fault(3, x) == "panic":
			want = append(want, "toString/"+strconv.FormatFloat(float64(2*x)+0.5, 'g', -1, 64))
		}
	}
	sameStrings(t, "failures", got, want, true)
	generated.FusedPipeEvents.Take()
}
