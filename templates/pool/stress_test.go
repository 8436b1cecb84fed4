package pool_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/monogen/monogen/templates/pool"
)

// TestAccountingUnderConcurrency submits, resizes, maps, closes and shuts
// down concurrently, and checks that every accepted job was delivered
// exactly once or returned by Shutdown, and no rejected job ran.
func TestAccountingUnderConcurrency(t *testing.T) {
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for round := range rounds {
		stressRound(t, round)
	}
}

func stressRound(t *testing.T, round int) {
	const (
		submitters = 4
		perSubmit  = 400
		maxID      = submitters * perSubmit
	)
	var delivered [maxID]atomic.Int32
	var ran [maxID]atomic.Int32
	fn := func(ctx context.Context, id int) (int, error) {
		if id < 0 { // a Map item
			return id, nil
		}
		ran[id].Add(1)
		switch id % 7 {
		case 0:
			return 0, errors.New("fails")
		case 1:
			panic("panics")
		case 2:
			<-ctx.Done() // cancelled by Shutdown or by the timeout
			return 0, ctx.Err()
		}
		return id, nil
	}
	// The timeout ends jobs of case 2 that Shutdown does not cancel.
	cfg := pool.Config{Workers: 3, Queue: 8, Retries: 1, Timeout: 1 << 20, Metrics: true}
	var bad atomic.Int64
	p := pool.New(fn, func(id, out int, err error) {
		if delivered[id].Add(1) != 1 {
			bad.Add(1)
		}
		if err == nil && out != id {
			bad.Add(1)
		}
	}, cfg)

	rng := rand.New(rand.NewPCG(uint64(round), 1))
	stopAt := rng.IntN(maxID)
	var accepted [submitters][]int
	var wg, stoppers sync.WaitGroup
	var submittedSoFar atomic.Int64
	var unrun []int
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			stoppers.Add(2)
			mode := round % 3
			go func() {
				defer stoppers.Done()
				if mode != 1 {
					p.Close()
				}
			}()
			go func() {
				defer stoppers.Done()
				if mode != 0 {
					u, err := p.Shutdown(context.Background())
					if err != nil {
						t.Error(err)
					}
					unrun = u
				}
			}()
		})
	}
	for s := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for i := range perSubmit {
				id := s*perSubmit + i
				var err error
				switch i % 3 {
				case 0:
					err = p.TrySubmit(id)
				case 1:
					err = p.Submit(ctx, id)
				default:
					c, cancel := context.WithCancel(ctx)
					if i%5 == 0 {
						cancel() // may be rejected while the queue is full
					}
					err = p.Submit(c, id)
					cancel()
				}
				if err == nil {
					accepted[s] = append(accepted[s], id)
				}
				if submittedSoFar.Add(1) == int64(stopAt) {
					stop()
				}
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 50 {
			p.Resize(1 + (i*7+round)%5)
		}
	}()
	go func() {
		defer wg.Done()
		for range 5 {
			ins := make([]int, 1000)
			for i := range ins {
				ins[i] = -1 - i
			}
			outs, err := p.Map(context.Background(), ins)
			if err != nil {
				if !errors.Is(err, pool.ErrClosed) && !errors.Is(err, context.Canceled) {
					t.Errorf("Map: %v", err)
				}
				continue
			}
			for i, o := range outs {
				if o != ins[i] {
					t.Errorf("Map: outs[%d] = %d, want %d", i, o, ins[i])
					return
				}
			}
		}
	}()
	wg.Wait()
	stop()
	stoppers.Wait()
	p.Close() // Shutdown alone may return before the workers exit

	inUnrun := make(map[int]int)
	for _, id := range unrun {
		inUnrun[id]++
	}
	isAccepted := make(map[int]bool)
	for s := range accepted {
		for _, id := range accepted[s] {
			isAccepted[id] = true
		}
	}
	for id := range maxID {
		d, u := int(delivered[id].Load()), inUnrun[id]
		if isAccepted[id] {
			if d+u != 1 {
				t.Fatalf("round %d: accepted job %d delivered %d times, returned %d times", round, id, d, u)
			}
			if u == 1 && ran[id].Load() != 0 {
				t.Fatalf("round %d: job %d returned by Shutdown but ran", round, id)
			}
		} else if d+u != 0 || ran[id].Load() != 0 {
			t.Fatalf("round %d: rejected job %d ran %d times, delivered %d, returned %d", round, id, ran[id].Load(), d, u)
		}
	}
	if bad.Load() != 0 {
		t.Fatalf("round %d: %d bad deliveries", round, bad.Load())
	}
	s := p.Stats()
	if s.Submitted != s.Completed+s.Failed+s.Unrun || s.InFlight != 0 || s.Queued != 0 {
		t.Fatalf("round %d: Stats %+v do not add up", round, s)
	}
	if s.Unrun != uint64(len(unrun)) {
		t.Fatalf("round %d: Stats.Unrun %d, Shutdown returned %d", round, s.Unrun, len(unrun))
	}
	if testing.Verbose() {
		t.Logf("round %d: %d accepted, %+v", round, len(isAccepted), s)
	}
}
