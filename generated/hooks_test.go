package generated_test

import (
	"context"
	"slices"
	"testing"

	"github.com/monogen/monogen/generated"
)

// TestGeneratedQueueOnDropReportsEachDroppedItemOnThePushingGoroutine
// fills HookedNewestQueue and HookedOldestQueue (ondrop=) and pushes past
// them from a goroutine of its own: ondrop= sees each dropped item once,
// on that goroutine, before Push returns, and nothing while pushes fit.
func TestGeneratedQueueOnDropReportsEachDroppedItemOnThePushingGoroutine(t *testing.T) {
	type queue interface {
		Push(context.Context, int) error
		PushMany(context.Context, []int) (int, error)
		TryPush(int) bool
		TryPop() (int, bool)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		q    queue
		want []int // reported by Push(5) then PushMany(6, 7)
		left []int
	}{
		{"newest", generated.NewHookedNewestQueue(), []int{5, 6, 7}, []int{1, 2, 3, 4}},
		{"oldest", generated.NewHookedOldestQueue(), []int{1, 2, 3}, []int{4, 5, 6, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			generated.QueueDrops.Take()
			for v := 1; v <= 4; v++ {
				if err := tc.q.Push(ctx, v); err != nil {
					t.Fatal(err)
				}
			}
			if tc.q.TryPush(99) {
				t.Fatal("TryPush into a full queue succeeded")
			}
			if calls := generated.QueueDrops.Take(); len(calls) != 0 {
				t.Fatalf("pushes that fit and TryPush reported drops %v", calls)
			}
			var pusher uint64
			done := make(chan struct{})
			go func() {
				defer close(done)
				pusher = generated.GoroutineID()
				tc.q.Push(ctx, 5)
				if calls := generated.QueueDrops.Take(); len(calls) != 1 || calls[0].Arg != tc.want[0] || calls[0].Hook != tc.name {
					t.Errorf("after Push(5) ondrop= saw %v, want one %s call with %d", calls, tc.name, tc.want[0])
				}
				tc.q.PushMany(ctx, []int{6, 7})
			}()
			<-done
			var items []int
			for _, c := range generated.QueueDrops.Take() {
				items = append(items, c.Arg)
				if c.On != pusher || c.Hook != tc.name {
					t.Errorf("ondrop= call %+v; want %s on the pushing goroutine %d", c, tc.name, pusher)
				}
			}
			if !slices.Equal(items, tc.want[1:]) {
				t.Errorf("after PushMany(6, 7) ondrop= saw %v, want %v", items, tc.want[1:])
			}
			var left []int
			for v, ok := tc.q.TryPop(); ok; v, ok = tc.q.TryPop() {
				left = append(left, v)
			}
			if !slices.Equal(left, tc.left) {
				t.Errorf("queue held %v, want %v", left, tc.left)
			}
		})
	}
}
