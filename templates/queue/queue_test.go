package queue_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/templates/queue"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var policies = []queue.Policy{queue.Block, queue.DropNewest, queue.DropOldest, queue.Error}

func policyName(p queue.Policy) string {
	return [...]string{"block", "drop-newest", "drop-oldest", "error"}[p]
}

func TestSizeRoundsUpToPowerOfTwo(t *testing.T) {
	for _, tc := range []struct{ size, want int }{{0, queue.DefaultSize}, {1, 2}, {2, 2}, {3, 4}, {1000, 1024}, {1024, 1024}} {
		if got := queue.New[int](queue.Config{Size: tc.size}).Cap(); got != tc.want {
			t.Errorf("Size %d: Cap() = %d, want %d", tc.size, got, tc.want)
		}
	}
}

func TestFIFOAndLen(t *testing.T) {
	ctx := context.Background()
	q := queue.New[int](queue.Config{Size: 4})
	// Several laps, so that slots are reused.
	for lap := range 5 {
		for i := range 4 {
			if err := q.Push(ctx, lap*10+i); err != nil {
				t.Fatal(err)
			}
			if q.Len() != i+1 {
				t.Fatalf("Len() = %d after %d pushes", q.Len(), i+1)
			}
		}
		if q.TryPush(99) {
			t.Fatal("TryPush succeeded on a full queue")
		}
		for i := range 4 {
			v, err := q.Pop(ctx)
			if err != nil || v != lap*10+i {
				t.Fatalf("Pop() = %d, %v; want %d, nil", v, err, lap*10+i)
			}
		}
		if v, ok := q.TryPop(); ok {
			t.Fatalf("TryPop on an empty queue returned %d", v)
		}
		if q.Len() != 0 {
			t.Fatalf("Len() = %d on an empty queue", q.Len())
		}
	}
}

func TestFullPolicies(t *testing.T) {
	ctx := context.Background()
	fill := func(p queue.Policy) *queue.Queue[int] {
		q := queue.New[int](queue.Config{Size: 2, Policy: p})
		q.TryPush(1)
		q.TryPush(2)
		return q
	}
	drain := func(q *queue.Queue[int]) []int {
		var got []int
		for v, ok := q.TryPop(); ok; v, ok = q.TryPop() {
			got = append(got, v)
		}
		return got
	}

	t.Run("block", func(t *testing.T) {
		q := fill(queue.Block)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := q.Push(cctx, 3); !errors.Is(err, context.Canceled) {
			t.Fatalf("Push on a full queue with a cancelled context = %v", err)
		}
		if got := drain(q); !slices.Equal(got, []int{1, 2}) {
			t.Fatalf("queue holds %v, want [1 2]", got)
		}
	})
	t.Run("drop-newest", func(t *testing.T) {
		q := fill(queue.DropNewest)
		if err := q.Push(ctx, 3); err != nil {
			t.Fatal(err)
		}
		if n, err := q.PushMany(ctx, []int{4, 5}); n != 0 || err != nil {
			t.Fatalf("PushMany = %d, %v; want 0, nil", n, err)
		}
		if got := drain(q); !slices.Equal(got, []int{1, 2}) {
			t.Fatalf("queue holds %v, want [1 2]", got)
		}
		if d := q.Stats().Dropped; d != 3 {
			t.Fatalf("Dropped = %d, want 3", d)
		}
	})
	t.Run("drop-oldest", func(t *testing.T) {
		q := fill(queue.DropOldest)
		if err := q.Push(ctx, 3); err != nil {
			t.Fatal(err)
		}
		if n, err := q.PushMany(ctx, []int{4, 5, 6}); n != 3 || err != nil {
			t.Fatalf("PushMany = %d, %v; want 3, nil", n, err)
		}
		if got := drain(q); !slices.Equal(got, []int{5, 6}) {
			t.Fatalf("queue holds %v, want [5 6]", got)
		}
		if d := q.Stats().Dropped; d != 4 {
			t.Fatalf("Dropped = %d, want 4", d)
		}
	})
	t.Run("error", func(t *testing.T) {
		q := fill(queue.Error)
		if err := q.Push(ctx, 3); err != queue.ErrFull {
			t.Fatalf("Push on a full queue = %v, want ErrFull", err)
		}
		q.TryPop()
		if n, err := q.PushMany(ctx, []int{4, 5}); n != 1 || err != queue.ErrFull {
			t.Fatalf("PushMany = %d, %v; want 1, ErrFull", n, err)
		}
		if got := drain(q); !slices.Equal(got, []int{2, 4}) {
			t.Fatalf("queue holds %v, want [2 4]", got)
		}
	})
}

func TestPushWaitsForRoom(t *testing.T) {
	ctx := context.Background()
	q := queue.New[int](queue.Config{Size: 2})
	q.TryPush(0)
	q.TryPush(1)
	done := make(chan error)
	go func() { done <- q.Push(ctx, 2) }()
	select {
	case err := <-done:
		t.Fatalf("Push on a full queue returned %v before any pop", err)
	default:
	}
	if v, err := q.Pop(ctx); v != 0 || err != nil {
		t.Fatalf("Pop() = %d, %v", v, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 2; want++ {
		if v, err := q.Pop(ctx); v != want || err != nil {
			t.Fatalf("Pop() = %d, %v; want %d", v, err, want)
		}
	}
}

func TestPopWaitsForItem(t *testing.T) {
	ctx := context.Background()
	q := queue.New[int](queue.Config{Size: 8})
	got := make(chan int)
	go func() {
		v, err := q.Pop(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	buf := make([]int, 1) // not more, or it could take both items
	gotMany := make(chan []int)
	go func() {
		n, err := q.PopMany(ctx, buf)
		if err != nil {
			t.Error(err)
		}
		gotMany <- buf[:n]
	}()
	if err := q.Push(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if err := q.Push(ctx, 8); err != nil {
		t.Fatal(err)
	}
	a, b := <-got, <-gotMany
	if len(b) != 1 || a+b[0] != 15 {
		t.Fatalf("Pop got %d, PopMany got %v; want 7 and [8] in some order", a, b)
	}
}

func TestContextEndsWaits(t *testing.T) {
	q := queue.New[int](queue.Config{Size: 2})
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { _, err := q.Pop(ctx); errs <- err }()
	go func() { _, err := q.PopMany(ctx, make([]int, 4)); errs <- err }()
	cancel()
	for range 2 {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("waiting pop returned %v, want context.Canceled", err)
		}
	}
	q.TryPush(0)
	q.TryPush(1)
	ctx, cancel = context.WithCancel(context.Background())
	go func() { errs <- q.Push(ctx, 2) }()
	go func() { _, err := q.PushMany(ctx, []int{3, 4}); errs <- err }()
	cancel()
	for range 2 {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("waiting push returned %v, want context.Canceled", err)
		}
	}
	if q.Len() != 2 {
		t.Fatalf("Len() = %d after cancelled pushes, want 2", q.Len())
	}
}

func TestCloseDrainsThenReportsClosed(t *testing.T) {
	ctx := context.Background()
	q := queue.New[int](queue.Config{Size: 4})
	q.TryPush(1)
	q.TryPush(2)
	q.TryPush(3)
	q.Close()
	q.Close() // idempotent
	if err := q.Push(ctx, 4); err != queue.ErrClosed {
		t.Fatalf("Push after Close = %v", err)
	}
	if q.TryPush(4) {
		t.Fatal("TryPush after Close succeeded")
	}
	if n, err := q.PushMany(ctx, []int{4}); n != 0 || err != queue.ErrClosed {
		t.Fatalf("PushMany after Close = %d, %v", n, err)
	}
	if v, err := q.Pop(ctx); v != 1 || err != nil {
		t.Fatalf("Pop() = %d, %v; want 1, nil", v, err)
	}
	buf := make([]int, 4)
	if n, err := q.PopMany(ctx, buf); n != 2 || err != nil || !slices.Equal(buf[:2], []int{2, 3}) {
		t.Fatalf("PopMany = %v, %v; want [2 3], nil", buf[:n], err)
	}
	if _, err := q.Pop(ctx); err != queue.ErrClosed {
		t.Fatalf("Pop on a closed, drained queue = %v", err)
	}
	if _, err := q.PopMany(ctx, buf); err != queue.ErrClosed {
		t.Fatalf("PopMany on a closed, drained queue = %v", err)
	}
}

func TestCloseWakesWaiters(t *testing.T) {
	ctx := context.Background()
	empty := queue.New[int](queue.Config{Size: 2})
	full := queue.New[int](queue.Config{Size: 2})
	full.TryPush(0)
	full.TryPush(9)
	errs := make(chan error, 4)
	go func() { _, err := empty.Pop(ctx); errs <- err }()
	go func() { _, err := empty.PopMany(ctx, make([]int, 2)); errs <- err }()
	go func() { errs <- full.Push(ctx, 1) }()
	go func() { _, err := full.PushMany(ctx, []int{1, 2}); errs <- err }()
	empty.Close()
	full.Close()
	for range 4 {
		if err := <-errs; err != queue.ErrClosed {
			t.Fatalf("waiter woken by Close returned %v, want ErrClosed", err)
		}
	}
	if v, err := full.Pop(ctx); v != 0 || err != nil {
		t.Fatalf("Pop on the closed full queue = %d, %v; want 0, nil", v, err)
	}
}

// TestAgainstModel runs random single-goroutine operation sequences against a
// slice and checks every result.
func TestAgainstModel(t *testing.T) {
	ctx := context.Background()
	for _, p := range policies {
		t.Run("policy="+policyName(p), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(p)))
			const size = 8
			q := queue.New[int](queue.Config{Size: size, Policy: p})
			var model []int
			var dropped uint64
			next := 0
			push := func(v int) (added bool, err error) {
				if len(model) < size {
					model = append(model, v)
					return true, nil
				}
				switch p {
				case queue.DropNewest:
					dropped++
					return false, nil
				case queue.DropOldest:
					dropped++
					model = append(model[1:], v)
					return true, nil
				default: // Block is not exercised on a full queue here
					return false, queue.ErrFull
				}
			}
			for step := range 5000 {
				switch op := rng.IntN(5); {
				case op == 0 && (p != queue.Block || len(model) < size):
					v := next
					next++
					_, wantErr := push(v)
					if err := q.Push(ctx, v); err != wantErr {
						t.Fatalf("step %d: Push = %v, want %v", step, err, wantErr)
					}
				case op == 1:
					v := next
					next++
					want := len(model) < size
					if want {
						model = append(model, v)
					}
					if got := q.TryPush(v); got != want {
						t.Fatalf("step %d: TryPush = %v, want %v", step, got, want)
					}
				case op == 2 && p != queue.Block:
					vs := make([]int, rng.IntN(2*size))
					wantN := 0
					var wantErr error
					for i := range vs {
						vs[i] = next
						next++
						if wantErr == nil {
							added, err := push(vs[i])
							wantErr = err
							if added {
								wantN++
							}
						}
					}
					n, err := q.PushMany(ctx, vs)
					if n != wantN || err != wantErr {
						t.Fatalf("step %d: PushMany(%d items) = %d, %v; want %d, %v", step, len(vs), n, err, wantN, wantErr)
					}
				case op == 3:
					v, ok := q.TryPop()
					if ok != (len(model) > 0) || ok && v != model[0] {
						t.Fatalf("step %d: TryPop = %d, %v; model %v", step, v, ok, model)
					}
					if ok {
						model = model[1:]
					}
				case op == 4 && len(model) > 0:
					buf := make([]int, 1+rng.IntN(2*size))
					n, err := q.PopMany(ctx, buf)
					want := model[:min(len(buf), len(model))]
					if err != nil || !slices.Equal(buf[:n], want) {
						t.Fatalf("step %d: PopMany = %v, %v; want %v", step, buf[:n], err, want)
					}
					model = model[len(want):]
				}
				if q.Len() != len(model) {
					t.Fatalf("step %d: Len() = %d, want %d", step, q.Len(), len(model))
				}
			}
			if p == queue.DropNewest || p == queue.DropOldest {
				if got := q.Stats().Dropped; got != dropped {
					t.Fatalf("Dropped = %d, want %d", got, dropped)
				}
			}
		})
	}
}

func ExampleQueue_FanOut() {
	q := queue.New[int](queue.Config{Size: 16})
	ctx := context.Background()
	go q.FanIn(ctx, 2, func(ctx context.Context, i int) error {
		for j := range 3 {
			if err := q.Push(ctx, i*100+j); err != nil {
				return err
			}
		}
		return nil
	})
	var mu = make(chan struct{}, 1)
	sum := 0
	err := q.FanOut(ctx, 3, func(ctx context.Context, v int) error {
		mu <- struct{}{}
		sum += v
		<-mu
		return nil
	})
	fmt.Println(sum, err)
	// Output: 306 <nil>
}
