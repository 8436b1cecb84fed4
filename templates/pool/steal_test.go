package pool_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monogen/monogen/templates/pool"
)

// TestTakeOverRunsEveryJobOnce drives the taking over of claimed tasks
// (a long queue, so that workers claim tasks by the dozen; bursts that
// each start with a few slow jobs, so that the other workers run dry and
// take over the claims' tails) and checks that every job runs and is
// delivered exactly once, while the pool is resized, and when it is shut
// down in the middle of a burst.
func TestTakeOverRunsEveryJobOnce(t *testing.T) {
	rounds := 8
	if testing.Short() {
		rounds = 2
	}
	for round := range rounds {
		takeOverRound(t, round)
	}
}

func takeOverRound(t *testing.T, round int) {
	const (
		bursts   = 12
		perBurst = 600
		jobs     = bursts * perBurst
	)
	var ran, delivered [jobs]atomic.Int32
	var finished atomic.Int64
	var burst sync.WaitGroup // the jobs of the burst in progress
	fn := func(_ context.Context, id int) (int, error) {
		ran[id].Add(1)
		switch {
		case id%perBurst < 3:
			time.Sleep(200 * time.Microsecond) // the slow head of a burst
		case id%7 == 0:
			for range 200 { // a little work, so that claims last a while
				finished.Load()
			}
		}
		return id, nil
	}
	var bad atomic.Int64
	p := pool.New(fn, func(id, out int, err error) {
		if delivered[id].Add(1) != 1 || err != nil || out != id {
			bad.Add(1)
		}
		finished.Add(1)
		burst.Done()
	}, pool.Config{Workers: 4, Queue: 1024})

	rng := rand.New(rand.NewPCG(uint64(round), 3))
	shutdownAt := -1
	if round%2 == 1 {
		shutdownAt = rng.IntN(jobs)
	}
	var unrun []int
	submitted := 0
	for b := range bursts {
		if b%3 == 2 {
			p.Resize(2 + rng.IntN(5))
		}
		for i := range perBurst {
			id := b*perBurst + i
			if id == shutdownAt {
				var err error
				if unrun, err = p.Shutdown(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			burst.Add(1)
			if err := p.Submit(context.Background(), id); err != nil {
				burst.Done()
				if shutdownAt < 0 || id < shutdownAt {
					t.Fatalf("round %d: Submit(%d): %v", round, id, err)
				}
				continue
			}
			submitted++
		}
		if shutdownAt >= 0 && submitted < (b+1)*perBurst {
			break
		}
		// Let the burst drain, so that the next one starts on idle
		// workers: they park, and the claimer wakes them to take over.
		burst.Wait()
	}
	p.Close()

	returned := make(map[int]int)
	for _, id := range unrun {
		returned[id]++
	}
	for id := range submitted {
		r, d, u := ran[id].Load(), delivered[id].Load(), returned[id]
		if d+int32(u) != 1 || r != d {
			t.Fatalf("round %d: job %d ran %d times, delivered %d, returned by Shutdown %d", round, id, r, d, u)
		}
	}
	for id := submitted; id < jobs; id++ {
		if ran[id].Load() != 0 {
			t.Fatalf("round %d: job %d, rejected, ran", round, id)
		}
	}
	if bad.Load() != 0 {
		t.Fatalf("round %d: %d bad deliveries", round, bad.Load())
	}
}
