package generated_test

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/generated"
)

// JobQuota (pool.go) admits three events at once and one an hour after
// that: a test sees exactly which jobs it lets through, with no clock to
// fake. A wait under a context whose deadline is sooner than the next token
// fails at once with ErrJobQuotaDeadline.

// quotaContext is a context whose deadline no wait for JobQuota's fourth
// token can meet.
func quotaContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestComposedPoolsAndPipelineShareARateLimit(t *testing.T) {
	defer goleak.VerifyNone(t)
	quota := generated.NewJobQuota()
	var calls atomic.Int64
	paced := generated.NewPacedPool(func(_ context.Context, x int) (int, error) {
		calls.Add(1)
		return 2 * x, nil
	}, nil, quota)
	defer paced.Close()
	sender := generated.NewPacedSender(nil, quota)
	defer sender.Close()
	ctx := quotaContext(t)

	// Two tokens for the pool, the third for the sender's first item.
	if outs, err := paced.Map(ctx, []int{1, 2}); err != nil || outs[0] != 2 || outs[1] != 4 {
		t.Fatalf("PacedPool.Map = %v, %v; want [2 4], nil", outs, err)
	}
	_, err := sender.Map(ctx, []string{"first", "second"})
	if !errors.Is(err, generated.ErrJobQuotaDeadline) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PacedSender.Map error = %v; want the second item failed with ErrJobQuotaDeadline", err)
	}
	if calls.Load() != 2 {
		t.Fatalf("PacedPool ran %d jobs, want 2", calls.Load())
	}
	// The pipeline shares the same quota: nothing is left for it.
	pipe := generated.NewPipePaced(toInt64(&calls), toFloat, toString, quota)
	outs, err := pipe.RunSlice(ctx, []int{7})
	var fails generated.PipePacedFailures
	if len(outs) != 0 || !errors.As(err, &fails) || len(fails) != 1 || !errors.Is(fails[0], generated.ErrJobQuotaDeadline) {
		t.Fatalf("PipePaced.RunSlice = %v, %v; want no output and the item failed with ErrJobQuotaDeadline", outs, err)
	}
	if calls.Load() != 2 {
		t.Fatalf("the first stage ran %d times, want 0", calls.Load()-2)
	}
	if st := quota.Stats(); st.Available != 0 {
		t.Fatalf("quota has %d tokens left, want 0", st.Available)
	}
}

func TestComposedPoolPacesSubmittedJobs(t *testing.T) {
	defer goleak.VerifyNone(t)
	var calls atomic.Int64
	type outcome struct {
		in  int
		err error
	}
	delivered := make(chan outcome, 16)
	p := generated.NewPacedPool(func(_ context.Context, x int) (int, error) {
		calls.Add(1)
		return x, nil
	}, func(in, _ int, err error) { delivered <- outcome{in, err} }, generated.NewJobQuota())
	const jobs = 6
	for i := range jobs {
		if err := p.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	// The quota admits three jobs at once; the fourth would wait an hour.
	for range 3 {
		if o := <-delivered; o.err != nil {
			t.Fatalf("job %d failed: %v", o.in, o.err)
		}
	}
	unrun, err := p.Shutdown(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	close(delivered)
	// Shutdown ends the waits: those jobs fail with the pool's context's
	// error; the jobs no worker took are returned.
	canceled := 0
	for o := range delivered {
		if !errors.Is(o.err, context.Canceled) {
			t.Fatalf("job %d delivered with %v after Shutdown, want context.Canceled", o.in, o.err)
		}
		canceled++
	}
	if calls.Load() != 3 || canceled+len(unrun) != jobs-3 {
		t.Fatalf("%d jobs ran, %d cancelled in their wait, %d unrun; want 3 ran and the other %d accounted for", calls.Load(), canceled, len(unrun), jobs-3)
	}
	st := p.Stats()
	if st.Submitted != jobs || st.Completed != 3 || st.Failed != uint64(canceled) || st.Unrun != uint64(len(unrun)) {
		t.Fatalf("Stats = %+v; want %d submitted = 3 completed + %d failed + %d unrun", st, jobs, canceled, len(unrun))
	}
}

func TestComposedPoolRunsJobsThroughTheBreaker(t *testing.T) {
	defer goleak.VerifyNone(t)
	var calls atomic.Int64
	errNegative := errors.New("negative")
	brk := generated.NewJobBreaker(func(_ context.Context, x int) (int, error) {
		calls.Add(1)
		if x < 0 {
			return 0, errNegative
		}
		return x, nil
	})
	var mu sync.Mutex
	errs := map[int]error{}
	p := generated.NewGuardedPool(func(in, _ int, err error) {
		mu.Lock()
		errs[in] = err
		mu.Unlock()
	}, brk)
	// One worker runs the jobs in order: job -1 fails twice (it is retried
	// once) and trips the breaker; job 2 and its retry are rejected.
	for _, x := range []int{1, -1, 2} {
		if err := p.Submit(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	if errs[1] != nil || !errors.Is(errs[-1], errNegative) || !errors.Is(errs[2], generated.ErrJobBreakerOpen) {
		t.Fatalf("delivered errors %v; want job 1 nil, job -1 %v, job 2 %v", errs, errNegative, generated.ErrJobBreakerOpen)
	}
	if calls.Load() != 3 {
		t.Fatalf("the breaker's function ran %d times, want 3", calls.Load())
	}
	if st := p.Stats(); st.Submitted != 3 || st.Completed != 1 || st.Failed != 2 || st.Retried != 2 {
		t.Fatalf("pool Stats = %+v; want 3 submitted, 1 completed, 2 failed, 2 retried", st)
	}
	if st := brk.Stats(); st.State != generated.JobBreakerStateOpen || st.Rejected != 2 {
		t.Fatalf("breaker Stats = %+v; want open, 2 rejected", st)
	}

	// Map items fail fast too, with the breaker's error.
	q := generated.NewGuardedPool(nil, brk)
	defer q.Close()
	_, err := q.Map(context.Background(), []int{3, 4})
	if !errors.Is(err, generated.ErrJobBreakerOpen) || calls.Load() != 3 {
		t.Fatalf("Map error = %v after %d calls; want ErrJobBreakerOpen and no call", err, calls.Load()-3)
	}
}

func TestComposedPipelinePacesItsFirstStage(t *testing.T) {
	defer goleak.VerifyNone(t)
	var calls atomic.Int64
	pipe := generated.NewPipePaced(toInt64(&calls), toFloat, toString, generated.NewJobQuota())
	outs, err := pipe.RunSlice(quotaContext(t), []int{1, 2, 3, 4, 5})
	var fails generated.PipePacedFailures
	if !errors.As(err, &fails) || len(fails) != 2 {
		t.Fatalf("RunSlice error = %v; want the two items past the quota as failures", err)
	}
	for _, f := range fails {
		if f.Stage != "toInt64" || !errors.Is(f, generated.ErrJobQuotaDeadline) {
			t.Fatalf("failure %v; want stage toInt64 and ErrJobQuotaDeadline", f)
		}
	}
	sort.Strings(outs)
	if len(outs) != 3 || calls.Load() != 3 {
		t.Fatalf("outputs %v after %d calls of the first stage; want 3 of each", outs, calls.Load())
	}
}

// The stage functions of PipePaced: the first counts its calls.
func toInt64(calls *atomic.Int64) func(context.Context, int) (int64, error) {
	return func(_ context.Context, x int) (int64, error) {
		calls.Add(1)
		return int64(x), nil
	}
}

func toFloat(_ context.Context, x int64) (float64, error) { return float64(x) / 2, nil }

func toString(_ context.Context, x float64) (string, error) {
	return strconv.FormatFloat(x, 'f', 1, 64), nil
}
