package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/templates/pipeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// configs are the shapes every behaviour is checked under: latency and
// throughput batches, one and several workers, ordered or not, stages fused
// (the same workers), partly fused or each on its own.
var configs = []struct {
	name    string
	cfg     pipeline.Config
	workers [3]int
}{
	{"serial", pipeline.Config{Batch: 1, Buffer: 1}, [3]int{1, 1, 1}},
	{"serial-unfused", pipeline.Config{Batch: 1, Buffer: 1, NoFuse: true}, [3]int{1, 1, 1}},
	{"batched", pipeline.Config{}, [3]int{1, 1, 1}},
	{"batched-unfused", pipeline.Config{NoFuse: true}, [3]int{1, 1, 1}},
	{"fused", pipeline.Config{Batch: 5}, [3]int{3, 3, 3}},
	{"fused-ordered", pipeline.Config{Ordered: true, Batch: 5, Buffer: 2}, [3]int{2, 2, 2}},
	{"partly-fused", pipeline.Config{Batch: 3}, [3]int{1, 2, 2}},
	{"partly-fused-ordered", pipeline.Config{Ordered: true, Batch: 3}, [3]int{3, 3, 1}},
	{"fanout", pipeline.Config{Batch: 5}, [3]int{2, 4, 3}},
	{"fanout-latency", pipeline.Config{Batch: 1}, [3]int{3, 1, 4}},
	{"ordered", pipeline.Config{Ordered: true, Batch: 5, Buffer: 2}, [3]int{2, 4, 3}},
	{"ordered-latency", pipeline.Config{Ordered: true, Batch: 1}, [3]int{4, 1, 3}},
	{"ordered-batched", pipeline.Config{Ordered: true}, [3]int{1, 3, 1}},
}

// fns are a pipeline's three stage functions.
type fns struct {
	toInt64  func(context.Context, int) (int64, error)
	toFloat  func(context.Context, int64) (float64, error)
	toString func(context.Context, float64) (string, error)
}

// plain is the int -> int64 -> float64 -> string pipeline every test uses
// unless it says otherwise; want is what it makes of i.
var plain = fns{
	toInt64:  func(_ context.Context, x int) (int64, error) { return int64(x) * 2, nil },
	toFloat:  func(_ context.Context, x int64) (float64, error) { return float64(x) + 0.5, nil },
	toString: func(_ context.Context, x float64) (string, error) { return strconv.FormatFloat(x, 'f', 1, 64), nil },
}

func want(i int) string { return strconv.Itoa(2*i) + ".5" }

func build(cfg pipeline.Config, workers [3]int, f fns) *pipeline.Pipeline[int, string] {
	c := [3]pipeline.Config{cfg, cfg, cfg}
	for i := range c {
		c[i].Workers = workers[i]
	}
	return pipeline.Then(pipeline.Then(
		pipeline.From(pipeline.NewStage("int64", f.toInt64, c[0])),
		pipeline.NewStage("float", f.toFloat, c[1])),
		pipeline.NewStage("string", f.toString, c[2]))
}

func ints(n int) []int {
	in := make([]int, n)
	for i := range in {
		in[i] = i
	}
	return in
}

// checkOutputs checks that got is want(i) for every i of in, in order when
// ordered, as a multiset otherwise.
func checkOutputs(t *testing.T, got []string, in []int, ordered bool) {
	t.Helper()
	exp := make([]string, len(in))
	for i, x := range in {
		exp[i] = want(x)
	}
	if !ordered {
		got = slices.Clone(got)
		slices.Sort(got)
		slices.Sort(exp)
	}
	if !slices.Equal(got, exp) {
		t.Fatalf("got %d outputs, want %d; first got %.10q, want %.10q", len(got), len(exp), got, exp)
	}
}

// feed sends in on a new channel, closes it, and stops early if ctx is done.
func feed(ctx context.Context, in []int) <-chan int {
	ch := make(chan int)
	go func() {
		defer close(ch)
		for _, x := range in {
			select {
			case ch <- x:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

func TestRunSlice(t *testing.T) {
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			p := build(c.cfg, c.workers, plain)
			for _, n := range []int{0, 1, 4, 5, 6, 64, 65, 1000} {
				in := ints(n)
				got, err := p.RunSlice(context.Background(), in)
				if err != nil {
					t.Fatalf("n=%d: %v", n, err)
				}
				checkOutputs(t, got, in, c.cfg.Ordered)
				if !slices.Equal(in, ints(n)) {
					t.Fatalf("n=%d: RunSlice modified its input", n)
				}
			}
		})
	}
}

func TestStart(t *testing.T) {
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			p := build(c.cfg, c.workers, plain)
			in := ints(2000)
			out, run := p.Start(context.Background(), feed(context.Background(), in))
			var got []string
			for s := range out {
				got = append(got, s)
			}
			if err := run.Wait(); err != nil {
				t.Fatal(err)
			}
			checkOutputs(t, got, in, c.cfg.Ordered)
		})
	}
}

// TestStartEmpty checks that closing the input at once ends the run.
func TestStartEmpty(t *testing.T) {
	p := build(pipeline.Config{Ordered: true}, [3]int{2, 2, 2}, plain)
	in := make(chan int)
	close(in)
	out, run := p.Start(context.Background(), in)
	if s, ok := <-out; ok {
		t.Fatalf("got %q from an empty input", s)
	}
	if err := run.Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestFilter checks that ErrSkip, wrapped or not, drops an item without an
// error, at any stage.
func TestFilter(t *testing.T) {
	f := plain
	f.toInt64 = func(_ context.Context, x int) (int64, error) {
		if x%3 == 0 {
			return 0, pipeline.ErrSkip
		}
		return int64(x) * 2, nil
	}
	f.toFloat = func(_ context.Context, x int64) (float64, error) {
		if x%5 == 0 { // x is 2i: i%5 == 0
			return 0, fmt.Errorf("not this one: %w", pipeline.ErrSkip)
		}
		return float64(x) + 0.5, nil
	}
	var kept []int
	for i := range 1000 {
		if i%3 != 0 && i%5 != 0 {
			kept = append(kept, i)
		}
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Metrics = true
			p := build(cfg, c.workers, f)
			got, err := p.RunSlice(context.Background(), ints(1000))
			if err != nil {
				t.Fatal(err)
			}
			checkOutputs(t, got, kept, c.cfg.Ordered)
			st := p.Stats()
			if st[0].Dropped != 334 || st[1].Dropped != 133 || st[2].Dropped != 0 {
				t.Errorf("dropped per stage = %d, %d, %d; want 334, 133, 0", st[0].Dropped, st[1].Dropped, st[2].Dropped)
			}
		})
	}
}

var errBad = errors.New("bad item")

// TestStop checks errors=stop: the first failure ends the run, whether the
// input is a slice or an endless channel, and Wait returns it.
func TestStop(t *testing.T) {
	f := plain
	f.toFloat = func(_ context.Context, x int64) (float64, error) {
		if x == 2*500 {
			return 0, errBad
		}
		return float64(x) + 0.5, nil
	}
	check := func(t *testing.T, err error) {
		t.Helper()
		var ie *pipeline.ItemError
		if !errors.As(err, &ie) || !errors.Is(err, errBad) {
			t.Fatalf("err = %v, want an *ItemError wrapping errBad", err)
		}
		if ie.Stage != "float" || ie.Item != int64(1000) {
			t.Fatalf("failure at stage %q item %v, want stage float, item 1000", ie.Stage, ie.Item)
		}
	}
	for _, c := range configs {
		t.Run(c.name+"/slice", func(t *testing.T) {
			got, err := build(c.cfg, c.workers, f).RunSlice(context.Background(), ints(5000))
			check(t, err)
			if got != nil {
				t.Fatalf("got %d outputs with an error, want none", len(got))
			}
		})
		t.Run(c.name+"/chan", func(t *testing.T) {
			// An endless input: only the failure can end the run. Its
			// producer closes it once told to stop, as Start asks.
			in := make(chan int)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				defer close(in)
				for i := 0; ; i++ {
					select {
					case in <- i:
					case <-stop:
						return
					}
				}
			})
			out, run := build(c.cfg, c.workers, f).Start(context.Background(), in)
			for range out {
			}
			check(t, run.Wait())
			close(stop)
			wg.Wait()
		})
	}
}

// TestCollect checks errors=collect and item accounting: every input is
// delivered, dropped, or reported as failed, exactly once.
func TestCollect(t *testing.T) {
	f := plain
	f.toInt64 = func(_ context.Context, x int) (int64, error) {
		if x%10 == 1 {
			return 0, pipeline.ErrSkip
		}
		return int64(x) * 2, nil
	}
	f.toFloat = func(_ context.Context, x int64) (float64, error) {
		if x%7 == 0 {
			return 0, fmt.Errorf("%d: %w", x, errBad)
		}
		return float64(x) + 0.5, nil
	}
	f.toString = func(_ context.Context, x float64) (string, error) {
		if int(x)%11 == 0 {
			panic(errBad)
		}
		return strconv.FormatFloat(x, 'f', 1, 64), nil
	}
	const n = 3000
	var kept, failed []int
	for i := range n {
		switch {
		case i%10 == 1:
		case (2*i)%7 == 0, (2*i)%11 == 0:
			failed = append(failed, i)
		default:
			kept = append(kept, i)
		}
	}
	for _, c := range configs {
		for _, mode := range []string{"slice", "chan"} {
			t.Run(c.name+"/"+mode, func(t *testing.T) {
				cfg := c.cfg
				cfg.Collect = true
				p := build(cfg, c.workers, f)
				var got []string
				var err error
				if mode == "slice" {
					got, err = p.RunSlice(context.Background(), ints(n))
				} else {
					out, run := p.Start(context.Background(), feed(context.Background(), ints(n)))
					for s := range out {
						got = append(got, s)
					}
					err = run.Wait()
				}
				checkOutputs(t, got, kept, c.cfg.Ordered)
				var fs pipeline.Failures
				if !errors.As(err, &fs) || !errors.Is(err, errBad) {
					t.Fatalf("err = %v, want Failures wrapping errBad", err)
				}
				var gotFailed []int
				for _, e := range fs {
					switch e.Stage {
					case "float":
						gotFailed = append(gotFailed, int(e.Item.(int64)/2))
					case "string":
						var pe *pipeline.PanicError
						if !errors.As(e, &pe) || !strings.Contains(string(pe.Stack), "panic") {
							t.Fatalf("stage string: err = %v, want a *PanicError with a stack", e.Err)
						}
						gotFailed = append(gotFailed, int(e.Item.(float64))/2)
					default:
						t.Fatalf("failure at stage %q: %v", e.Stage, e)
					}
				}
				slices.Sort(gotFailed)
				if !slices.Equal(gotFailed, failed) {
					t.Fatalf("%d failures, want %d", len(gotFailed), len(failed))
				}
			})
		}
	}
}

// TestPanicStops checks that a panic fails its item like an error: in stop
// mode it ends the run, with the stack.
func TestPanicStops(t *testing.T) {
	f := plain
	f.toInt64 = func(_ context.Context, x int) (int64, error) {
		if x == 13 {
			panic("thirteen")
		}
		return int64(x), nil
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			_, err := build(c.cfg, c.workers, f).RunSlice(context.Background(), ints(100))
			var pe *pipeline.PanicError
			if !errors.As(err, &pe) || pe.Value != "thirteen" || !strings.Contains(string(pe.Stack), "pipeline_test.TestPanicStops") {
				t.Fatalf("err = %v, want a *PanicError of thirteen with its stack", err)
			}
		})
	}
}

// TestCancel cancels runs mid-stream without draining their output, and
// checks that Wait reports the cancellation and that nothing is left behind
// (goleak, in TestMain).
func TestCancel(t *testing.T) {
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			in := make(chan int)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() { // endless, until the run is over
				// Closing in on ctx.Done() could end the input before the
				// run sees the cancellation (a parent context is done
				// before its children are cancelled), and a run whose
				// input ended and whose items were all delivered is
				// complete.
				defer close(in) // as Start asks
				for i := 0; ; i++ {
					select {
					case in <- i:
					case <-stop:
						return
					}
				}
			})
			out, run := build(c.cfg, c.workers, plain).Start(ctx, in)
			for range 100 {
				<-out
			}
			cancel()
			err := run.Wait()
			close(stop)
			wg.Wait()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Wait = %v, want context.Canceled", err)
			}
		})
	}
}

// TestCancelSlice cancels a RunSlice from inside a stage function.
func TestCancelSlice(t *testing.T) {
	cause := errors.New("enough")
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			f := plain
			f.toFloat = func(_ context.Context, x int64) (float64, error) {
				if x == 2*300 {
					cancel(cause)
				}
				return float64(x), nil
			}
			if _, err := build(c.cfg, c.workers, f).RunSlice(ctx, ints(100000)); !errors.Is(err, cause) {
				t.Fatalf("RunSlice = %v, want the cancellation's cause", err)
			}
		})
	}
}

// TestRetries checks that a failed call is retried Retries times, and
// succeeds if one of the retries does.
func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		retries, failures int
		ok                bool
	}{{0, 0, true}, {0, 1, false}, {2, 2, true}, {2, 3, false}, {3, 1, true}} {
		t.Run(fmt.Sprintf("retries=%d/failures=%d", tc.retries, tc.failures), func(t *testing.T) {
			const n = 200
			var attempts [n]atomic.Int32
			f := plain
			f.toInt64 = func(_ context.Context, x int) (int64, error) {
				if int(attempts[x].Add(1)) <= tc.failures {
					return 0, errBad
				}
				return int64(x) * 2, nil
			}
			cfg := pipeline.Config{Retries: tc.retries, Backoff: 1, Collect: true, Metrics: true}
			p := build(cfg, [3]int{3, 1, 1}, f)
			got, err := p.RunSlice(context.Background(), ints(n))
			var fs pipeline.Failures
			switch {
			case tc.ok && err != nil:
				t.Fatal(err)
			case !tc.ok && (!errors.As(err, &fs) || len(fs) != n):
				t.Fatalf("err = %v, want %d failures", err, n)
			case tc.ok:
				checkOutputs(t, got, ints(n), false)
			}
			wantCalls := min(tc.failures+1, tc.retries+1)
			for i := range attempts {
				if a := int(attempts[i].Load()); a != wantCalls {
					t.Fatalf("item %d: %d calls, want %d", i, a, wantCalls)
				}
			}
			if r := p.Stats()[0].Retries; r != uint64(n*(wantCalls-1)) {
				t.Fatalf("Stats().Retries = %d, want %d", r, n*(wantCalls-1))
			}
		})
	}
}

// TestRetryNotSkip checks that ErrSkip is not retried.
func TestRetryNotSkip(t *testing.T) {
	var calls atomic.Int32
	f := plain
	f.toInt64 = func(context.Context, int) (int64, error) {
		calls.Add(1)
		return 0, pipeline.ErrSkip
	}
	got, err := build(pipeline.Config{Retries: 5}, [3]int{1, 1, 1}, f).RunSlice(context.Background(), ints(10))
	if err != nil || len(got) != 0 || calls.Load() != 10 {
		t.Fatalf("got %d outputs, err %v, %d calls; want 0, nil, 10", len(got), err, calls.Load())
	}
}

// TestCancelDuringBackoff checks that a run waiting to retry ends at once
// when cancelled.
func TestCancelDuringBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	failed := make(chan struct{})
	var once sync.Once
	f := plain
	f.toInt64 = func(context.Context, int) (int64, error) {
		once.Do(func() { close(failed) })
		return 0, errBad
	}
	p := build(pipeline.Config{Retries: 3, Backoff: 1 << 62}, [3]int{1, 1, 1}, f)
	out, run := p.Start(ctx, feed(ctx, ints(10)))
	<-failed
	cancel()
	for range out {
	}
	if err := run.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
}

// TestBackoffDoublingDoesNotWrap: a Backoff of 2^62 doubles to more than
// the largest Duration; the wait before the second retry must not wrap
// around to a negative one and retry at once. In a synctest bubble, time
// passes only while every goroutine waits.
func TestBackoffDoublingDoesNotWrap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const backoff = 1 << 62
		var calls atomic.Int64
		f := plain
		f.toInt64 = func(context.Context, int) (int64, error) {
			calls.Add(1)
			return 0, errBad
		}
		ctx, cancel := context.WithCancel(context.Background())
		p := build(pipeline.Config{Retries: 2, Backoff: backoff}, [3]int{1, 1, 1}, f)
		done := make(chan error)
		go func() {
			_, err := p.RunSlice(ctx, ints(1))
			done <- err
		}()
		time.Sleep(backoff + time.Hour) // the first retry comes at backoff
		if n := calls.Load(); n != 2 {
			t.Errorf("%d calls after backoff+1h, want 2: the second retry must wait", n)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("RunSlice = %v, want context.Canceled", err)
		}
	})
}

// TestStatsBusyDoesNotWrap: Busy sums the workers' time; past the largest
// Duration it must stop there, not wrap around to a negative one.
func TestStatsBusyDoesNotWrap(t *testing.T) {
	s := pipeline.NewStage("int64", plain.toInt64, pipeline.Config{Metrics: true})
	pipeline.AddBusy(s, math.MaxInt64)
	pipeline.AddBusy(s, time.Hour)
	if got := s.Stats().Busy; got != math.MaxInt64 {
		t.Fatalf("Busy = %v, want the largest Duration", got)
	}
}

// TestOrderedWindow checks that an ordered run whose first item is stuck
// holds a bounded number of items, and delivers all in order once it is
// released.
func TestOrderedWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var calls atomic.Int64
		f := plain
		f.toInt64 = func(_ context.Context, x int) (int64, error) {
			if x == 0 {
				<-release
			}
			calls.Add(1)
			return int64(x) * 2, nil
		}
		const batch, buffer = 4, 2
		workers := [3]int{3, 2, 2}
		p := build(pipeline.Config{Ordered: true, Batch: batch, Buffer: buffer}, workers, f)
		const n = 20000
		out, run := p.Start(t.Context(), feed(t.Context(), ints(n)))
		synctest.Wait() // everything is blocked behind item 0
		// The window is the pipeline's capacity in batches: the source's
		// channel, each stage's buffer and workers, the source and the sink.
		window := 2 + buffer + 3*buffer + workers[0] + workers[1] + workers[2]
		if c := calls.Load(); c == 0 || c > int64(window*batch) {
			t.Fatalf("%d items went through the first stage while the first was stuck; want 1 to %d", c, window*batch)
		}
		close(release)
		i := 0
		for s := range out {
			if s != want(i) {
				t.Fatalf("output %d = %q, want %q", i, s, want(i))
			}
			i++
		}
		if err := run.Wait(); err != nil || i != n {
			t.Fatalf("%d outputs, Wait = %v; want %d, nil", i, err, n)
		}
	})
}

// TestStats checks the per-stage counters.
func TestStats(t *testing.T) {
	f := plain
	f.toFloat = func(_ context.Context, x int64) (float64, error) {
		switch {
		case x%6 == 0:
			return 0, pipeline.ErrSkip
		case x%10 == 0:
			return 0, errBad
		}
		return float64(x), nil
	}
	p := build(pipeline.Config{Metrics: true, Collect: true, Batch: 10}, [3]int{2, 3, 1}, f)
	for range 2 { // counters add up over runs
		if _, err := p.RunSlice(context.Background(), ints(300)); !errors.Is(err, errBad) {
			t.Fatal(err)
		}
	}
	st := p.Stats()
	// 300 items: 100 multiples of 3 skipped, 60 multiples of 5 of which 20
	// are multiples of 3 fail: 40; 160 go on.
	exp := []pipeline.StageStats{
		{Name: "int64", Workers: 2, In: 600, Out: 600},
		{Name: "float", Workers: 3, In: 600, Out: 320, Failed: 80, Dropped: 200},
		{Name: "string", Workers: 1, In: 320, Out: 320},
	}
	for i, e := range exp {
		g := st[i]
		if g.Name != e.Name || g.Workers != e.Workers || g.In != e.In || g.Out != e.Out || g.Failed != e.Failed || g.Dropped != e.Dropped {
			t.Errorf("stage %d: %+v, want %+v", i, g, e)
		}
		if g.Batches == 0 || g.Busy <= 0 {
			t.Errorf("stage %d: %d batches, %v busy; want both positive", i, g.Batches, g.Busy)
		}
		// One latency per item received, summing to the busy time.
		if g.Latency.Count != g.In || g.Latency.Sum != g.Busy {
			t.Errorf("stage %d: Latency count %d, sum %v; want %d items, the busy time %v", i, g.Latency.Count, g.Latency.Sum, g.In, g.Busy)
		}
	}
}

// TestThenMismatch checks that stages disagreeing on a pipeline-wide
// option are refused.
func TestThenMismatch(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("Then accepted stages with different Ordered")
		}
	}()
	pipeline.Then(pipeline.From(pipeline.NewStage("a", plain.toInt64, pipeline.Config{Ordered: true})),
		pipeline.NewStage("b", plain.toFloat, pipeline.Config{}))
}

// TestStress runs one pipeline from many goroutines at once, under -race,
// with filters, failures and panics, and checks the accounting of each run.
func TestStress(t *testing.T) {
	f := plain
	f.toInt64 = func(_ context.Context, x int) (int64, error) {
		if x%13 == 0 {
			return 0, pipeline.ErrSkip
		}
		return int64(x) * 2, nil
	}
	f.toFloat = func(_ context.Context, x int64) (float64, error) {
		if x%17 == 0 {
			panic("seventeen")
		}
		return float64(x) + 0.5, nil
	}
	const runs, n = 8, 3000
	expKept, expFailed := 0, 0
	for i := range n {
		switch {
		case i%13 == 0:
		case (2*i)%17 == 0:
			expFailed++
		default:
			expKept++
		}
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Collect = true
			cfg.Metrics = true
			p := build(cfg, c.workers, f)
			var wg sync.WaitGroup
			for r := range runs {
				wg.Go(func() {
					var got []string
					var err error
					if r%2 == 0 {
						got, err = p.RunSlice(context.Background(), ints(n))
					} else {
						out, run := p.Start(context.Background(), feed(context.Background(), ints(n)))
						for s := range out {
							got = append(got, s)
						}
						err = run.Wait()
					}
					var fs pipeline.Failures
					if !errors.As(err, &fs) || len(fs) != expFailed || len(got) != expKept {
						t.Errorf("run %d: %d outputs, %d failures, err %v; want %d, %d", r, len(got), len(fs), err, expKept, expFailed)
					}
				})
			}
			wg.Wait()
			if st := p.Stats(); st[0].In != runs*n || st[2].Out != uint64(runs*expKept) {
				t.Errorf("stats: first stage in %d, last stage out %d; want %d, %d", st[0].In, st[2].Out, runs*n, runs*expKept)
			}
		})
	}
}

// TestProducerWithoutSelectIsNotBlockedByStop feeds runs from the obvious
// producer, which sends 1000 items without selecting on a context and then
// closes its channel, and stops them: by a failure of item 3 (stop mode), or
// by cancelling the context, before the run or during it. Wait must return
// the failure or the cancellation without waiting for the producer (which
// holds item 500 back until Wait has returned), the producer must finish,
// and no goroutine may be left once it has closed its channel. In collect
// mode the failure does not stop the run: the producer just finishes. A run
// that stopped used to leave the producer blocked on its send forever.
func TestProducerWithoutSelectIsNotBlockedByStop(t *testing.T) {
	const n, bad = 1000, 3
	for _, c := range configs {
		for _, how := range []string{"fail", "collect", "cancel-before", "cancel-during"} {
			t.Run(c.name+"/"+how, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					cfg := c.cfg
					cfg.Collect = how == "collect"
					fails := how == "fail" || how == "collect"
					f := plain
					f.toInt64 = func(_ context.Context, x int) (int64, error) {
						if fails && x == bad {
							return 0, errBad
						}
						return int64(x) * 2, nil
					}
					ctx, cancel := context.WithCancel(t.Context())
					defer cancel()
					if how == "cancel-before" {
						cancel()
					}
					hold := how != "collect" // a completed run reads every item
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
					out, run := build(cfg, c.workers, f).Start(ctx, in)
					got := 0
					for range out {
						if got++; how == "cancel-during" && got == 1 {
							cancel()
						}
					}
					err := run.Wait() // a deadlock if it waited for the producer
					close(release)
					synctest.Wait()
					select {
					case <-produced:
					default:
						t.Fatal("the producer is blocked: the run stopped reading its input")
					}

					var ie *pipeline.ItemError
					var fs pipeline.Failures
					switch how {
					case "fail":
						if !errors.As(err, &ie) || ie.Item != bad || !errors.Is(err, errBad) {
							t.Fatalf("Wait = %v, want the failure of item %d", err, bad)
						}
					case "collect":
						if !errors.As(err, &fs) || len(fs) != 1 || fs[0].Item != bad || got != n-1 {
							t.Fatalf("Wait = %v after %d outputs, want the failure of item %d after %d", err, got, bad, n-1)
						}
					default:
						if !errors.Is(err, context.Canceled) {
							t.Fatalf("Wait = %v, want context.Canceled", err)
						}
					}
				})
			})
		}
	}
}
