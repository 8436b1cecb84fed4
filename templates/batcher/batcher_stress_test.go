package batcher_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/monogen/monogen/templates/batcher"
)

// TestEveryItemDeliveredOrReported runs adders, flushes, interval ticks and
// a batch function that fails now and then against each other, closes the
// batcher while items are still being added, and checks that every item Add
// accepted went into exactly one successful call or exactly one failure report,
// and nothing else did.
func TestEveryItemDeliveredOrReported(t *testing.T) {
	for round := range 10 {
		checkBatcherAccounting(t, round)
	}
}

func checkBatcherAccounting(t *testing.T, round int) {
	const adders, perAdder = 4, 3000
	ctx := context.Background()
	errFlaky := errors.New("flaky")

	var mu sync.Mutex
	delivered := make(map[int]int)
	failed := make(map[int]int)
	attempts := make(map[int]int) // first item of a batch -> calls so far
	fn := func(_ context.Context, items []int) error {
		mu.Lock()
		defer mu.Unlock()
		attempts[items[0]]++
		// Deterministic flakiness: some batches recover after a retry,
		// some never do.
		switch {
		case items[0]%7 == 0:
			return errFlaky
		case items[0]%5 == 0 && attempts[items[0]] == 1:
			return errFlaky
		}
		for _, v := range items {
			delivered[v]++
		}
		return nil
	}
	onError := func(items []int, err error) {
		if err != errFlaky {
			t.Errorf("unexpected failure %v", err)
		}
		mu.Lock()
		for _, v := range items {
			failed[v]++
		}
		mu.Unlock()
	}
	tick := make(chan time.Time)
	b := batcher.NewWithTick(fn, onError, batcher.Config{Size: 7, Flush: time.Hour, Workers: 2, Retries: 1}, tick)

	accepted := make([][]int, adders)
	stop := make(chan struct{})
	halfway := make(chan struct{})
	var wg, adding sync.WaitGroup
	for a := range adders {
		adding.Add(1)
		wg.Go(func() {
			defer adding.Done()
			for i := 0; i < perAdder; {
				// Even adders use Add, odd ones AddMany of 1 to 5 items.
				vs := make([]int, 1)
				if a%2 == 1 {
					vs = make([]int, min(1+i%5, perAdder-i))
				}
				for k := range vs {
					vs[k] = a*perAdder + i + k
				}
				var n int
				var err error
				if len(vs) == 1 && a%2 == 0 {
					if err = b.Add(ctx, vs[0]); err == nil {
						n = 1
					}
				} else {
					n, err = b.AddMany(ctx, vs)
				}
				accepted[a] = append(accepted[a], vs[:n]...)
				if a == 0 && i == perAdder/2 {
					close(halfway)
				}
				if err == batcher.ErrClosed {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				if i%97 == 0 {
					if err := b.Flush(ctx); err != nil && err != batcher.ErrClosed {
						t.Error(err)
					}
				}
				i += len(vs)
			}
		})
	}
	wg.Go(func() { // the interval passing, as often as the scheduler allows
		for {
			select {
			case tick <- time.Time{}:
			case <-stop:
				return
			}
		}
	})
	// Close after every Add, or with items still coming.
	if round%2 == 0 {
		adding.Wait()
	} else {
		<-halfway
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()

	total := 0
	for _, vs := range accepted {
		for _, v := range vs {
			total++
			if n := delivered[v] + failed[v]; n != 1 {
				t.Fatalf("item %d delivered %d and reported %d times", v, delivered[v], failed[v])
			}
		}
	}
	if n := len(delivered) + len(failed); n != total {
		t.Fatalf("%d items delivered or reported, %d accepted", n, total)
	}
	if len(failed) == 0 || len(delivered) == 0 {
		t.Fatalf("the test did not exercise both outcomes: %d delivered, %d failed", len(delivered), len(failed))
	}
}
