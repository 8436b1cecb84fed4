package batcher_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/templates/batcher"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a batch function that keeps a copy of every batch it accepts.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
}

func (r *recorder) fn(_ context.Context, items []int) error {
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(items))
	r.mu.Unlock()
	return nil
}

func (r *recorder) got() [][]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

func noErrors(t *testing.T) func([]int, error) {
	return func(items []int, err error) { t.Errorf("batch %v failed: %v", items, err) }
}

func TestFullBatchesAndFlush(t *testing.T) {
	ctx := context.Background()
	var r recorder
	b := batcher.New(r.fn, noErrors(t), batcher.Config{Size: 4})
	for i := range 10 {
		if err := b.Add(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := [][]int{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}
	if got := r.got(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	if err := b.Flush(ctx); err != nil { // nothing pending
		t.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.got(); len(got) != 3 {
		t.Fatalf("Close after Flush made %d batches, want 3", len(got))
	}
}

func TestIntervalFlush(t *testing.T) {
	ctx := context.Background()
	tick := make(chan time.Time)
	batches := make(chan []int, 1)
	fn := func(_ context.Context, items []int) error {
		batches <- slices.Clone(items)
		return nil
	}
	b := batcher.NewWithTick(fn, noErrors(t), batcher.Config{Size: 100, Flush: time.Hour}, tick)
	defer b.Close(ctx)
	tick <- time.Time{} // nothing pending: no batch
	for i := range 3 {
		b.Add(ctx, i)
	}
	select {
	case got := <-batches:
		t.Fatalf("batch %v before the interval passed", got)
	default:
	}
	tick <- time.Time{}
	if got := <-batches; !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("batch after the interval %v, want [0 1 2]", got)
	}
}

func TestRetriesThenReport(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	for _, tc := range []struct {
		name          string
		failures      int
		wantCalls     int
		wantDelivered bool
	}{
		{"recovers", 3, 4, true},
		{"gives-up", 4, 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls int
			var delivered []int
			fn := func(_ context.Context, items []int) error {
				calls++
				if calls <= tc.failures {
					return boom
				}
				delivered = slices.Clone(items)
				return nil
			}
			var reported []int
			var reportedErr error
			onError := func(items []int, err error) { reported, reportedErr = slices.Clone(items), err }
			b := batcher.New(fn, onError, batcher.Config{Size: 2, Retries: 3})
			b.Add(ctx, 1)
			b.Add(ctx, 2)
			if err := b.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if calls != tc.wantCalls {
				t.Fatalf("fn called %d times, want %d", calls, tc.wantCalls)
			}
			if tc.wantDelivered {
				if !slices.Equal(delivered, []int{1, 2}) || reported != nil {
					t.Fatalf("delivered %v, reported %v", delivered, reported)
				}
			} else if !slices.Equal(reported, []int{1, 2}) || reportedErr != boom || delivered != nil {
				t.Fatalf("reported %v (%v), delivered %v", reported, reportedErr, delivered)
			}
		})
	}
}

func TestFailuresWithoutHandlerAreReturned(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	fn := func(_ context.Context, items []int) error {
		if items[0] == 0 {
			return boom
		}
		return nil
	}
	b := batcher.New(fn, nil, batcher.Config{Size: 2})
	for i := range 4 {
		b.Add(ctx, i)
	}
	err := b.Flush(ctx)
	var be *batcher.BatchError[int]
	if !errors.As(err, &be) || !slices.Equal(be.Items, []int{0, 1}) || !errors.Is(err, boom) {
		t.Fatalf("Flush = %v, want the failed batch [0 1]", err)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatalf("second Flush = %v, want nil: failures are returned once", err)
	}
	b.Add(ctx, 0)
	if err := b.Close(ctx); !errors.As(err, &be) || !slices.Equal(be.Items, []int{0}) {
		t.Fatalf("Close = %v, want the failed batch [0]", err)
	}
}

func TestAddWaitsWhenEveryBufferIsInFlight(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	var r recorder
	fn := func(ctx context.Context, items []int) error {
		started <- struct{}{}
		<-release
		return r.fn(ctx, items)
	}
	// One worker and Size 1: three buffers, so three Adds fill them all
	// (one in fn, one queued, one just handed over).
	b := batcher.New(fn, noErrors(t), batcher.Config{Size: 1, Workers: 1})
	for i := range 3 {
		if err := b.Add(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	<-started
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Add(cctx, 3); !errors.Is(err, context.Canceled) {
		t.Fatalf("Add with every buffer in flight = %v, want context.Canceled", err)
	}
	added := make(chan error)
	go func() { added <- b.Add(ctx, 4) }()
	close(release)
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	want := [][]int{{0}, {1}, {2}, {4}}
	if got := r.got(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches %v, want %v", got, want)
	}
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	var r recorder
	b := batcher.New(r.fn, noErrors(t), batcher.Config{Size: 10, Workers: 2})
	b.Add(ctx, 1)
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.got(); len(got) != 1 || !slices.Equal(got[0], []int{1}) {
		t.Fatalf("Close delivered %v, want [[1]]", got)
	}
	if err := b.Add(ctx, 2); err != batcher.ErrClosed {
		t.Fatalf("Add after Close = %v", err)
	}
	if err := b.Flush(ctx); err != batcher.ErrClosed {
		t.Fatalf("Flush after Close = %v", err)
	}
	if err := b.Close(ctx); err != batcher.ErrClosed {
		t.Fatalf("second Close = %v", err)
	}
}

func TestCloseGivesUpWhenContextEnds(t *testing.T) {
	ctx := context.Background()
	inFn := make(chan struct{})
	fn := func(ctx context.Context, items []int) error {
		if items[0] == 0 {
			close(inFn)
			<-ctx.Done() // a slow call that honours its context
			return ctx.Err()
		}
		t.Errorf("fn called with %v after Close gave up", items)
		return nil
	}
	var mu sync.Mutex
	var reported []int
	onError := func(items []int, err error) {
		mu.Lock()
		reported = append(reported, items...)
		mu.Unlock()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("batch %v reported with %v, want context.Canceled", items, err)
		}
	}
	b := batcher.New(fn, onError, batcher.Config{Size: 1, Workers: 1, Retries: 5})
	for i := range 3 {
		b.Add(ctx, i)
	}
	<-inFn
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Close(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v, want context.Canceled", err)
	}
	slices.Sort(reported)
	if !slices.Equal(reported, []int{0, 1, 2}) {
		t.Fatalf("reported %v, want [0 1 2]", reported)
	}
}

func TestAddMany(t *testing.T) {
	ctx := context.Background()
	var r recorder
	b := batcher.New(r.fn, noErrors(t), batcher.Config{Size: 4})
	b.Add(ctx, 0)
	if n, err := b.AddMany(ctx, []int{1, 2, 3, 4, 5, 6, 7, 8, 9}); n != 9 || err != nil {
		t.Fatalf("AddMany = %d, %v", n, err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	want := [][]int{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}
	if got := r.got(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	if n, err := b.AddMany(ctx, []int{1}); n != 0 || err != batcher.ErrClosed {
		t.Fatalf("AddMany after Close = %d, %v", n, err)
	}
}
