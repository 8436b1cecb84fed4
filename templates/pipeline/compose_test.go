package pipeline_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/monogen/monogen/templates/pipeline"
)

// quota is a fake rate limiter: its first n waits succeed, every later one
// fails at once with errQuota, as a limiter whose next token lies past the
// run's deadline does. It records each wait's context.
type quota struct {
	mu       sync.Mutex
	left     int
	ctxs     []context.Context
	admitted atomic.Int64
}

var errQuota = errors.New("quota exhausted")

func (q *quota) Wait(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ctxs = append(q.ctxs, ctx)
	if q.left == 0 {
		return errQuota
	}
	q.left--
	q.admitted.Add(1)
	return nil
}

var _ pipeline.Limiter = (*quota)(nil)

func TestRatePacesTheStage(t *testing.T) {
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			q := &quota{left: 1 << 20}
			var calls, early atomic.Int64
			var tried sync.Map
			f := plain
			f.toInt64 = func(_ context.Context, x int) (int64, error) {
				// Every call is preceded by its own wait.
				if calls.Add(1) > q.admitted.Load() {
					early.Add(1)
				}
				if _, again := tried.LoadOrStore(x, true); !again && x%10 == 0 {
					return 0, errors.New("flaky") // retried
				}
				return int64(x) * 2, nil
			}
			cfg := c.cfg
			cfg.Retries = 3
			first := cfg
			first.Rate = q
			first.Workers = c.workers[0]
			rest := cfg
			rest.Workers = c.workers[1]
			p := pipeline.Then(pipeline.Then(
				pipeline.From(pipeline.NewStage("toInt64", f.toInt64, first)),
				pipeline.NewStage("toFloat", f.toFloat, rest)),
				pipeline.NewStage("toString", f.toString, rest))
			type key struct{}
			ctx := context.WithValue(context.Background(), key{}, "run")
			outs, err := p.RunSlice(ctx, ints(100))
			if err != nil || len(outs) != 100 {
				t.Fatalf("RunSlice = %d outputs, %v; want 100, nil", len(outs), err)
			}
			if early.Load() != 0 {
				t.Fatalf("%d calls ran before their wait", early.Load())
			}
			if got := len(q.ctxs); int64(got) != calls.Load() {
				t.Fatalf("%d waits for %d calls of the paced stage; want one per call, retries included", got, calls.Load())
			}
			for _, wc := range q.ctxs {
				if wc.Value(key{}) != "run" {
					t.Fatal("a wait's context is not the run's")
				}
			}
		})
	}
}

func TestRateWaitErrorFailsTheItem(t *testing.T) {
	q := &quota{left: 3}
	var calls atomic.Int64
	count := func(_ context.Context, x int) (int64, error) { calls.Add(1); return int64(x), nil }
	p := pipeline.Then(pipeline.Then(
		pipeline.From(pipeline.NewStage("toInt64", count, pipeline.Config{Collect: true, Rate: q, Workers: 2})),
		pipeline.NewStage("toFloat", plain.toFloat, pipeline.Config{Collect: true})),
		pipeline.NewStage("toString", plain.toString, pipeline.Config{Collect: true}))
	outs, err := p.RunSlice(context.Background(), ints(5))
	var fails pipeline.Failures
	if !errors.As(err, &fails) || len(fails) != 2 {
		t.Fatalf("RunSlice error = %v; want the 2 items past the quota as failures", err)
	}
	for _, f := range fails {
		if f.Stage != "toInt64" || !errors.Is(f, errQuota) {
			t.Fatalf("failure %v; want stage toInt64 failed with errQuota", f)
		}
	}
	if len(outs) != 3 || calls.Load() != 3 {
		t.Fatalf("%d outputs after %d calls; want 3 of each", len(outs), calls.Load())
	}
	// Stop mode: the first failed wait stops the run.
	q = &quota{left: 0}
	stop := pipeline.From(pipeline.NewStage("toInt64", count, pipeline.Config{Rate: q}))
	if _, err := stop.RunSlice(context.Background(), ints(5)); !errors.Is(err, errQuota) {
		t.Fatalf("stop mode: RunSlice error = %v, want errQuota", err)
	}
	if calls.Load() != 3 {
		t.Fatalf("a stage ran %d times although its wait failed", calls.Load()-3)
	}
}
