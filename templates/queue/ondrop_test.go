package queue_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/monogen/monogen/internal/testutil"
	"github.com/monogen/monogen/templates/queue"
)

// dropLog records the calls of a queue's drop hook.
type dropLog struct {
	mu    sync.Mutex
	items []int
	on    []uint64
}

func (l *dropLog) hook(v int) {
	id := testutil.GoroutineID()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = append(l.items, v)
	l.on = append(l.on, id)
}

func (l *dropLog) take() ([]int, []uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	items, on := l.items, l.on
	l.items, l.on = nil, nil
	return items, on
}

// TestOnDropReportsEachDroppedItemOnThePushingGoroutine fills queues of
// each drop policy and pushes past them from a goroutine of their own: the
// hook sees each item the policy drops once (the item given under
// DropNewest, the oldest under DropOldest), on that goroutine, before Push
// returns; pushes that fit, TryPush and the other policies call nothing.
func TestOnDropReportsEachDroppedItemOnThePushingGoroutine(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		policy queue.Policy
		want   []int // items reported by Push(5) then PushMany(6, 7)
		left   []int // what the queue then holds
	}{
		{queue.DropNewest, []int{5, 6, 7}, []int{1, 2, 3, 4}},
		{queue.DropOldest, []int{1, 2, 3}, []int{4, 5, 6, 7}},
		{queue.Block, nil, []int{1, 2, 3, 4}},
		{queue.Error, nil, []int{1, 2, 3, 4}},
	} {
		t.Run(policyName(tc.policy), func(t *testing.T) {
			var log dropLog
			q := queue.New[int](queue.Config{Size: 4, Policy: tc.policy})
			q.SetOnDrop(log.hook)
			for v := 1; v <= 4; v++ {
				if err := q.Push(ctx, v); err != nil {
					t.Fatal(err)
				}
			}
			if q.TryPush(99) {
				t.Fatal("TryPush into a full queue succeeded")
			}
			if items, _ := log.take(); len(items) != 0 {
				t.Fatalf("pushes that fit and TryPush reported drops %v", items)
			}
			if tc.policy == queue.Block {
				return // a full Block queue waits: nothing more to see
			}
			var pusher uint64
			done := make(chan struct{})
			go func() {
				defer close(done)
				pusher = testutil.GoroutineID()
				q.Push(ctx, 5)
				// Reported before Push returned.
				if items, _ := log.take(); !slices.Equal(items, tc.want[:min(1, len(tc.want))]) {
					t.Errorf("after Push(5) the hook saw %v, want %v", items, tc.want[:min(1, len(tc.want))])
				}
				q.PushMany(ctx, []int{6, 7})
			}()
			<-done
			items, on := log.take()
			if want := tc.want[min(1, len(tc.want)):]; !slices.Equal(items, want) {
				t.Errorf("after PushMany(6, 7) the hook saw %v, want %v", items, want)
			}
			for _, id := range on {
				if id != pusher {
					t.Errorf("hook ran on goroutine %d, want the pushing goroutine %d", id, pusher)
				}
			}
			var left []int
			for v, ok := q.TryPop(); ok; v, ok = q.TryPop() {
				left = append(left, v)
			}
			if !slices.Equal(left, tc.left) {
				t.Errorf("queue held %v, want %v", left, tc.left)
			}
		})
	}
}

// TestOnDropSeesEveryItemNotPoppedUnderContention has producers push
// distinct items into a small queue of each drop policy while consumers pop
// them: every item is either popped or reported to the hook, exactly once,
// and the hook's calls match Stats().Dropped.
func TestOnDropSeesEveryItemNotPoppedUnderContention(t *testing.T) {
	const producers, each = 4, 2000
	for _, policy := range []queue.Policy{queue.DropNewest, queue.DropOldest} {
		t.Run(policyName(policy), func(t *testing.T) {
			var log dropLog
			q := queue.New[int](queue.Config{Size: 8, Policy: policy})
			q.SetOnDrop(log.hook)
			var popped sync.Map
			var wg, cons sync.WaitGroup
			for p := range producers {
				wg.Go(func() {
					for i := range each {
						if i%2 == 0 {
							q.Push(context.Background(), p*each+i)
						} else {
							q.PushMany(context.Background(), []int{p*each + i})
						}
					}
				})
			}
			for range 2 {
				cons.Go(func() {
					for {
						v, err := q.Pop(context.Background())
						if err != nil {
							return
						}
						if _, dup := popped.LoadOrStore(v, true); dup {
							t.Errorf("%d popped twice", v)
						}
					}
				})
			}
			wg.Wait()
			q.Close()
			cons.Wait()
			items, _ := log.take()
			if uint64(len(items)) != q.Stats().Dropped {
				t.Errorf("hook called %d times, Stats().Dropped = %d", len(items), q.Stats().Dropped)
			}
			seen := map[int]int{}
			for _, v := range items {
				seen[v]++
			}
			for v := range producers * each {
				_, p := popped.Load(v)
				if n := seen[v]; n > 1 || (n == 1) == p {
					t.Errorf("item %d: reported dropped %d times, popped %v; want exactly one of the two", v, n, p)
				}
			}
		})
	}
}
