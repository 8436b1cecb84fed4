package queue_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/monogen/monogen/templates/queue"
)

// TestEveryItemAccounted runs producers and consumers mixing every operation,
// closes the queue while they run, and checks that every item a push accepted
// was popped exactly once, counted as dropped, or is still in the queue; that
// nothing else was popped; and that each consumer saw each producer's items in
// the order they were pushed.
func TestEveryItemAccounted(t *testing.T) {
	const (
		producers = 4
		consumers = 3
		perRound  = 3000 // pops before Close, per round
		rounds    = 20
	)
	for _, p := range policies {
		t.Run("policy="+policyName(p), func(t *testing.T) {
			for round := range rounds {
				checkAccounting(t, p, producers, consumers, perRound, uint64(round))
			}
		})
	}
}

func checkAccounting(t *testing.T, p queue.Policy, producers, consumers, closeAfter int, seed uint64) {
	ctx := context.Background()
	q := queue.New[uint64](queue.Config{Size: 16, Policy: p})
	accepted := make([][]uint64, producers) // per producer, in push order
	popped := make([][]uint64, consumers)   // per consumer, in pop order
	var pops atomic.Int64
	closeNow := make(chan struct{})
	var closeOnce sync.Once

	// Drop policies never hold producers back, so each stops after
	// maxItems; when all have stopped the queue is closed anyway.
	const maxItems = 4 * 1024
	var wg, producing sync.WaitGroup
	for id := range producers {
		producing.Add(1)
		wg.Go(func() {
			defer producing.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(id)))
			next := uint64(id) << 32
			batch := make([]uint64, 8)
			for next < uint64(id)<<32+maxItems {
				switch rng.IntN(3) {
				case 0:
					err := q.Push(ctx, next)
					if err == queue.ErrClosed {
						return
					}
					if err == nil { // includes an item DropNewest dropped
						accepted[id] = append(accepted[id], next)
					} else if err != queue.ErrFull {
						t.Error(err)
						return
					}
					next++
				case 1:
					if q.TryPush(next) {
						accepted[id] = append(accepted[id], next)
					}
					next++
				case 2:
					b := batch[:1+rng.IntN(len(batch))]
					for i := range b {
						b[i] = next
						next++
					}
					n, err := q.PushMany(ctx, b)
					if err == nil {
						n = len(b) // DropNewest counts the rest as dropped
					}
					accepted[id] = append(accepted[id], b[:n]...)
					if err == queue.ErrClosed {
						return
					}
					if err != nil && err != queue.ErrFull {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	for id := range consumers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, 100+uint64(id)))
			buf := make([]uint64, 8)
			for {
				switch rng.IntN(3) {
				case 0:
					v, err := q.Pop(ctx)
					if err == queue.ErrClosed {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					popped[id] = append(popped[id], v)
				case 1:
					if v, ok := q.TryPop(); ok {
						popped[id] = append(popped[id], v)
					}
				case 2:
					n, err := q.PopMany(ctx, buf[:1+rng.IntN(len(buf))])
					if err == queue.ErrClosed {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					popped[id] = append(popped[id], buf[:n]...)
				}
				if pops.Add(1) == int64(closeAfter) {
					closeOnce.Do(func() { close(closeNow) })
				}
			}
		})
	}
	producersDone := make(chan struct{})
	go func() {
		producing.Wait()
		close(producersDone)
	}()
	select {
	case <-closeNow:
	case <-producersDone:
	}
	q.Close()
	wg.Wait()
	<-producersDone

	// Consumers stopped on ErrClosed, so the queue must be drained.
	if v, ok := q.TryPop(); ok {
		t.Fatalf("item %#x left in the queue after consumers saw ErrClosed", v)
	}
	if q.Len() != 0 {
		t.Fatalf("Len() = %d after drain", q.Len())
	}

	want := make(map[uint64]bool)
	for _, ids := range accepted {
		for _, v := range ids {
			want[v] = true
		}
	}
	seen := make(map[uint64]bool)
	for c, ids := range popped {
		last := make(map[uint64]uint64) // producer -> last item popped by consumer c
		for _, v := range ids {
			if !want[v] {
				t.Fatalf("consumer %d popped %#x, which no push accepted", c, v)
			}
			if seen[v] {
				t.Fatalf("item %#x popped twice", v)
			}
			seen[v] = true
			if prev, ok := last[v>>32]; ok && v <= prev {
				t.Fatalf("consumer %d popped %#x after %#x from the same producer", c, v, prev)
			}
			last[v>>32] = v
		}
	}
	var dropped uint64
	if p == queue.DropNewest || p == queue.DropOldest {
		dropped = q.Stats().Dropped
	}
	if got := uint64(len(seen)) + dropped; got != uint64(len(want)) {
		t.Fatalf("accepted %d items; popped %d + dropped %d = %d", len(want), len(seen), dropped, got)
	}
	if p == queue.Block && dropped != 0 {
		t.Fatal("Block dropped items")
	}
}

func TestFanInFanOutDeliverEverything(t *testing.T) {
	const producers, consumers, each = 4, 3, 2000
	q := queue.New[int](queue.Config{Size: 32})
	ctx := context.Background()
	var got [producers * each]atomic.Int32
	var wg sync.WaitGroup
	wg.Go(func() {
		err := q.FanIn(ctx, producers, func(ctx context.Context, i int) error {
			for j := range each {
				if err := q.Push(ctx, i*each+j); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	err := q.FanOut(ctx, consumers, func(ctx context.Context, v int) error {
		got[v].Add(1)
		return nil
	})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	for v := range got {
		if n := got[v].Load(); n != 1 {
			t.Fatalf("item %d consumed %d times", v, n)
		}
	}
}

func TestFanOutStopsOnFirstError(t *testing.T) {
	q := queue.New[int](queue.Config{Size: 8})
	for i := range 8 {
		q.TryPush(i)
	}
	boom := errors.New("boom")
	var calls atomic.Int32
	err := q.FanOut(context.Background(), 3, func(ctx context.Context, v int) error {
		calls.Add(1)
		if v == 3 {
			return boom
		}
		return nil
	})
	if err != boom {
		t.Fatalf("FanOut = %v, want boom", err)
	}
	// Not closed: the consumers stopped because of the error, and every
	// item is either consumed or still queued.
	if n := int(calls.Load()) + q.Len(); n != 8 {
		t.Fatalf("consumed %d + queued %d != 8", calls.Load(), q.Len())
	}
}
