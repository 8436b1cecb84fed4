package pool_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monogen/monogen/templates/pool"
)

func TestMapKeepsInputOrder(t *testing.T) {
	for _, n := range []int{0, 1, 3, 100, 4097, 100_000} {
		p := pool.New(double, nil, pool.Config{Workers: 4, Metrics: true})
		ins := make([]int, n)
		for i := range ins {
			ins[i] = i
		}
		outs, err := p.Map(context.Background(), ins)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if len(outs) != n {
			t.Fatalf("n=%d: %d outputs", n, len(outs))
		}
		for i, o := range outs {
			if o != 2*i {
				t.Fatalf("n=%d: outs[%d] = %d, want %d", n, i, o, 2*i)
			}
		}
		p.Close()
		if s := p.Stats(); s.Submitted != uint64(n) || s.Completed != uint64(n) || s.InFlight != 0 {
			t.Fatalf("n=%d: Stats = %+v", n, s)
		}
	}
}

func TestMapStopsAtFirstFailure(t *testing.T) {
	var ran atomic.Int64
	bad := errors.New("bad item")
	fn := func(ctx context.Context, x int) (int, error) {
		ran.Add(1)
		if x == 500 {
			return 0, bad
		}
		return x, nil
	}
	p := pool.New(fn, nil, pool.Config{Workers: 1, Metrics: true})
	defer p.Close()
	ins := make([]int, 100_000)
	for i := range ins {
		ins[i] = i
	}
	outs, err := p.Map(context.Background(), ins)
	if !errors.Is(err, bad) || !strings.Contains(err.Error(), "item 500") {
		t.Fatalf("Map = %v, want the error of item 500", err)
	}
	if outs[499] != 499 || outs[500] != 0 {
		t.Fatalf("outs[499], outs[500] = %d, %d; want 499, 0", outs[499], outs[500])
	}
	// One worker runs the chunks in order: nothing past item 500's chunk.
	if ran.Load() != 501 {
		t.Fatalf("ran %d items, want 501: the batch must stop at the failure", ran.Load())
	}
	p.Close()
	if s := p.Stats(); s.Submitted != 100_000 || s.Completed != 500 || s.Failed != 100_000-500 {
		t.Fatalf("Stats = %+v", s)
	}
}

func TestMapPanic(t *testing.T) {
	p := pool.New(panicky, nil, pool.Config{Workers: 2})
	defer p.Close()
	_, err := p.Map(context.Background(), []int{0, 2, 4, 5, 6})
	var pe *pool.PanicError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "item 3") {
		t.Fatalf("Map = %v, want a *PanicError for item 3", err)
	}
	// The pool survives.
	outs, err := p.Map(context.Background(), []int{0, 2})
	if err != nil || outs[1] != 2 {
		t.Fatalf("Map after a panic = %v, %v", outs, err)
	}
}

func TestMapRetriesAndTimeout(t *testing.T) {
	var calls atomic.Int64
	fn := func(ctx context.Context, x int) (int, error) {
		if _, ok := ctx.Deadline(); !ok {
			return 0, errors.New("no deadline")
		}
		if calls.Add(1)%2 == 1 {
			return 0, errors.New("every other call fails")
		}
		return x, nil
	}
	p := pool.New(fn, nil, pool.Config{Workers: 1, Retries: 1, Timeout: 1 << 40})
	defer p.Close()
	outs, err := p.Map(context.Background(), []int{1, 2, 3})
	if err != nil || outs[2] != 3 {
		t.Fatalf("Map = %v, %v; want every item to succeed on its retry", outs, err)
	}
}

func TestMapContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// late counts the items started once the cancellation is visible. It
	// is not a count of items after the 10th: a worker descheduled inside
	// cancel() lets the other run any number of items meanwhile, all
	// legitimately before the cancellation.
	var ran, late atomic.Int64
	fn := func(itemCtx context.Context, x int) (int, error) {
		if itemCtx.Err() != nil {
			late.Add(1)
		}
		if ran.Add(1) == 10 {
			cancel()
		}
		return x, itemCtx.Err()
	}
	p := pool.New(fn, nil, pool.Config{Workers: 2})
	defer p.Close()
	ins := make([]int, 1_000_000)
	_, err := p.Map(ctx, ins)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Map = %v, want context.Canceled", err)
	}
	// Each of the two workers may finish the chunk (at most 256 items) it
	// holds when it sees the cancellation, and no more.
	if late.Load() > 2*256 {
		t.Fatalf("ran %d items after the cancellation was visible (of %d in all)", late.Load(), ran.Load())
	}
	if ran.Load() == int64(len(ins)) {
		t.Fatal("every item ran: the cancellation did not stop Map")
	}
}

func TestMapShutdown(t *testing.T) {
	started := make(chan struct{}, 2)
	fn := func(ctx context.Context, x int) (int, error) {
		started <- struct{}{}
		<-ctx.Done()
		return 0, ctx.Err()
	}
	p := pool.New(fn, nil, pool.Config{Workers: 2})
	done := make(chan error)
	go func() {
		_, err := p.Map(context.Background(), make([]int, 1000))
		done <- err
	}()
	<-started
	if _, err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != pool.ErrClosed {
		t.Fatalf("Map across Shutdown = %v, want ErrClosed", err)
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

// The items of a cancelled Map fail with their context's error; Map must
// still report ctx.Err() itself, not the first item's failure ("pool: item
// 0: context canceled"). Several rounds: the order in which the item and
// Map see the cancellation varies.
func TestMapErrorIsCtxErrWhenFnHonoursContext(t *testing.T) {
	for round := range 20 {
		started := make(chan struct{}, 1)
		p := pool.New(blockUntilDone(started), nil, pool.Config{Workers: 2})
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

// The same across Shutdown: Map reports ErrClosed, not the failure of an
// item whose context Shutdown cancelled.
func TestMapErrorIsErrClosedWhenFnHonoursContextAcrossShutdown(t *testing.T) {
	for round := range 20 {
		started := make(chan struct{}, 1)
		p := pool.New(blockUntilDone(started), nil, pool.Config{Workers: 2})
		done := make(chan error)
		go func() {
			_, err := p.Map(context.Background(), make([]int, 100))
			done <- err
		}()
		<-started
		if _, err := p.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != pool.ErrClosed {
			t.Fatalf("round %d: Map across Shutdown = %v, want ErrClosed itself", round, err)
		}
	}
}

// An item that fails on its own, before anything else stops the batch,
// gives the batch its error, even when the items it stops then fail with
// their cancelled context, and when ctx is cancelled afterwards.
func TestMapErrorIsTheItemsWhenItFailsFirst(t *testing.T) {
	bad := errors.New("bad item")
	started := make(chan struct{}, 1)
	block := blockUntilDone(started)
	// Item 0 waits for its context; the last item, which the other
	// worker reaches, fails once item 0 is running; the rest succeed.
	fn := func(ctx context.Context, x int) (int, error) {
		switch x {
		case 0:
			return block(ctx, x)
		case 99:
			<-started
			return 0, bad
		}
		return x, nil
	}
	p := pool.New(fn, nil, pool.Config{Workers: 2})
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ins := make([]int, 100)
	for i := range ins {
		ins[i] = i
	}
	_, err := p.Map(ctx, ins)
	cancel()
	if !errors.Is(err, bad) || !strings.Contains(err.Error(), "item 99") {
		t.Fatalf("Map = %v, want the error of item 99", err)
	}
}

// Map on a pool already shut down fails the batch from two goroutines at
// once: its own (the queue is closed) and the one Shutdown's context
// starts. Neither may count the items off before Map has counted them in,
// or Map waits forever for items nobody runs. Many rounds: it is a race.
func TestMapAfterShutdownReturnsErrClosed(t *testing.T) {
	p := pool.New(double, nil, pool.Config{Workers: 2})
	if _, err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		for range 2000 {
			if _, err := p.Map(context.Background(), make([]int, 10)); err != pool.ErrClosed {
				done <- err
				return
			}
		}
		done <- pool.ErrClosed
	}()
	select {
	case err := <-done:
		if err != pool.ErrClosed {
			t.Fatalf("Map after Shutdown = %v, want ErrClosed", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Map after Shutdown did not return")
	}
}

func TestMapAndSubmitShareWorkers(t *testing.T) {
	var active, peak atomic.Int64
	fn := func(_ context.Context, x int) (int, error) {
		a := active.Add(1)
		for {
			p := peak.Load()
			if a <= p || peak.CompareAndSwap(p, a) {
				break
			}
		}
		for range 100 { // long enough for overlaps to show
			active.Load()
		}
		active.Add(-1)
		return x, nil
	}
	p := pool.New(fn, nil, pool.Config{Workers: 2})
	go func() {
		for i := range 2000 {
			if p.Submit(context.Background(), i) != nil {
				return
			}
		}
	}()
	if _, err := p.Map(context.Background(), make([]int, 20_000)); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if peak.Load() > 2 {
		t.Fatalf("peak concurrency %d with 2 workers: Map must run on the pool's workers", peak.Load())
	}
}
