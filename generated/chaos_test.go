package generated_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The chaos test drives every concurrent kind of the package with random
// cancellations, failures, panics and shutdowns, many goroutines at once,
// and accounts for every job, item and resource against what the types'
// doc comments promise: nothing lost, nothing run twice, nothing delivered
// after Close or Shutdown returns, no goroutine left behind. Each kind is a
// sub-test (chaos_*_test.go) with rounds of random operations.
//
// The random choices of a sub-test come from one seed: a failure logs the
// command that replays them. The schedule of the goroutines is not
// replayed; a failure that depends on it may need a few runs.

var chaosSeedFlag = flag.Uint64("chaos.seed", 0, "seed of the chaos test's random choices (0: from the clock)")

// chaosSeed is the seed of this run: -chaos.seed, or one drawn once.
var chaosSeed = sync.OnceValue(func() uint64 {
	if *chaosSeedFlag != 0 {
		return *chaosSeedFlag
	}
	return uint64(time.Now().UnixNano())
})

// chaosMaxReports is how many failures of one kind (one format string) a
// sub-test reports in full: a broken promise tends to break many accounts
// at once, and must not hide the others.
const chaosMaxReports = 3

// chaos is the state of one sub-test: its random source, the goroutines'
// own sources derived from it, and the count of checked operations.
type chaos struct {
	t       *testing.T
	seed    uint64
	rng     *rand.Rand // the sub-test's goroutine only
	streams uint64     // sources handed out by fork
	ops     atomic.Int64
	rounds  int

	mu      sync.Mutex
	reports map[string]int // failures by format string
}

// TestChaos runs the chaos sub-tests. Run one alone, replaying a failure's
// random choices, with
//
//	go test -race -run 'TestChaos/^pool$' -chaos.seed=N ./generated/
func TestChaos(t *testing.T) {
	start := time.Now()
	var ops atomic.Int64
	for _, kind := range []struct {
		name   string
		rounds int // rounds in a full run; -short runs a quarter
		run    func(*chaos)
	}{
		{"pool", 36, chaosPool},
		{"pipeline", 96, chaosPipeline},
		{"queue", 48, chaosQueue},
		{"batcher", 96, chaosBatcher},
		{"respool", 24, chaosResPool},
		{"semaphore", 64, chaosSemaphore},
		{"ratelimit", 16, chaosRateLimit},
		{"breaker", 160, chaosBreaker},
		{"limiter", 16, chaosLimiter},
	} {
		t.Run(kind.name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			c := newChaos(t, kind.name, kind.rounds)
			began := time.Now()
			kind.run(c)
			c.summary()
			ops.Add(c.ops.Load())
			t.Logf("%s: %d operations checked in %d rounds, %v", kind.name, c.ops.Load(), c.rounds, time.Since(began).Round(time.Millisecond))
		})
	}
	t.Logf("chaos: %d operations checked in %v (seed %d)", ops.Load(), time.Since(start).Round(time.Millisecond), chaosSeed())
}

// newChaos returns the state of the sub-test name, whose seed is the run's
// seed mixed with the name, so that each sub-test replays alone.
func newChaos(t *testing.T, name string, rounds int) *chaos {
	h := fnv.New64a()
	h.Write([]byte(name))
	seed := chaosSeed()
	if testing.Short() {
		rounds = max(rounds/4, 1)
	}
	c := &chaos{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, h.Sum64())), rounds: rounds}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay the random choices: go test -race -run 'TestChaos/^%s$' -chaos.seed=%d ./generated/", name, seed)
		}
	})
	return c
}

// fork returns a random source for one goroutine, derived from the
// sub-test's: call it on the sub-test's goroutine, before starting the
// goroutine, so that every goroutine's choices replay.
func (c *chaos) fork() *rand.Rand {
	c.streams++
	return rand.New(rand.NewPCG(c.rng.Uint64(), c.streams))
}

// errorf reports a broken promise: in full the first chaosMaxReports
// times for its format, then only counted (see summary).
func (c *chaos) errorf(format string, args ...any) {
	c.t.Helper()
	c.mu.Lock()
	if c.reports == nil {
		c.reports = map[string]int{}
	}
	c.reports[format]++
	n := c.reports[format]
	c.mu.Unlock()
	if n <= chaosMaxReports {
		c.t.Errorf(format, args...)
	}
}

// summary reports how many times each failure was seen beyond those
// reported in full.
func (c *chaos) summary() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for format, n := range c.reports {
		if n > chaosMaxReports {
			c.t.Errorf("%d more times: %q", n-chaosMaxReports, format)
		}
	}
}

// op counts one checked operation.
func (c *chaos) op() { c.ops.Add(1) }

// randomCtx returns a context that is already done, never done before
// release, or cancelled by another goroutine at a random point: after a
// random number of yields, or when a timer of up to within fires. release
// cancels the context and waits for the goroutine.
func randomCtx(rng *rand.Rand, within time.Duration) (ctx context.Context, release func()) {
	ctx, cancel := context.WithCancel(context.Background())
	switch rng.IntN(5) {
	case 0:
		return ctx, cancel
	case 1:
		cancel()
		return ctx, cancel
	case 2, 3:
		t := time.AfterFunc(randDuration(rng, within), cancel)
		return ctx, func() {
			t.Stop()
			cancel()
		}
	default:
		yields := rng.IntN(64)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range yields {
				runtime.Gosched()
			}
			cancel()
		}()
		return ctx, func() {
			cancel()
			<-done
		}
	}
}

// randDuration returns a duration in [0, within).
func randDuration(rng *rand.Rand, within time.Duration) time.Duration {
	if within <= 0 {
		return 0
	}
	return time.Duration(rng.Int64N(int64(within)))
}

// busy yields the processor n times: a job that takes a while without
// sleeping, so that the schedule, not a timer, decides what overlaps it.
func busy(n int) {
	for range n {
		runtime.Gosched()
	}
}

// chaosPanic is the value the chaos test's functions panic with.
type chaosPanic struct{ id int }

func (p chaosPanic) String() string { return fmt.Sprintf("chaos panic %d", p.id) }

// errChaos is the error of a failing attempt.
var errChaos = errors.New("chaos failure")

// short returns the first line of err's message: a panic's error carries
// its stack.
func short(err error) string {
	if err == nil {
		return "<nil>"
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
