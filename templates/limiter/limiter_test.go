package limiter_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/templates/limiter"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Duration      { return time.Duration(c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// gated is a function whose calls block until the test opens the gate.
type gated struct {
	started atomic.Int64
	gate    chan struct{}
}

func (g *gated) call(_ context.Context, req int) (int, error) {
	g.started.Add(1)
	<-g.gate
	return req, nil
}

// wave starts as many calls as the limit admits, lets rtt pass on the fake
// clock, releases them and returns the limit they found.
func wave(t *testing.T, l *limiter.Limiter[int, int], g *gated, clock *fakeClock, rtt time.Duration) int64 {
	t.Helper()
	limit := l.Stats().Limit
	g.started.Store(0)
	g.gate = make(chan struct{})
	var wg sync.WaitGroup
	for i := range limit {
		wg.Go(func() {
			if got, err := l.Execute(context.Background(), int(i)); err != nil || got != int(i) {
				t.Errorf("Execute(%d) = %d, %v", i, got, err)
			}
		})
	}
	for g.started.Load() != limit {
		runtime.Gosched()
	}
	if _, err := l.Execute(context.Background(), -1); !errors.Is(err, limiter.ErrLimited) {
		t.Fatalf("call beyond the limit %d: %v, want ErrLimited", limit, err)
	}
	clock.advance(rtt)
	close(g.gate)
	wg.Wait()
	return limit
}

func TestLimitFollowsLatency(t *testing.T) {
	g := &gated{}
	clock := &fakeClock{}
	l := limiter.New(g.call, limiter.Config{Min: 2, Max: 64, Initial: 4, SampleEvery: 1})
	l.SetClock(clock.now)

	prev := int64(0)
	for range 30 {
		prev = wave(t, l, g, clock, 10*time.Millisecond)
	}
	grown := l.Stats().Limit
	if grown != 64 || prev < 32 {
		t.Fatalf("limit %d after steady latency, want it grown to the max 64", grown)
	}
	if st := l.Stats(); st.Latency != 10*time.Millisecond || st.InFlight != 0 || st.Rejected != 30 {
		t.Fatalf("Stats = %+v", st)
	}
	wave(t, l, g, clock, 100*time.Millisecond)
	if shrunk := l.Stats().Limit; shrunk >= grown/2 {
		t.Fatalf("limit %d after latency rose tenfold, want well under %d", shrunk, grown)
	}
	// Sustained, the new latency becomes the long-run average, and the
	// limit probes upwards again.
	for range 30 {
		wave(t, l, g, clock, 100*time.Millisecond)
	}
	if got := l.Stats().Limit; got < 2 || got > 64 {
		t.Fatalf("limit %d outside [2, 64]", got)
	}
}

func TestTimeoutsShrinkAndFailuresIgnored(t *testing.T) {
	errs := []error{errors.New("bad request"), context.DeadlineExceeded}
	i := 0
	l := limiter.New(func(context.Context, int) (int, error) { return 0, errs[i] }, limiter.Config{Min: 2, Max: 100, Initial: 50, SampleEvery: 1})
	l.Execute(context.Background(), 0)
	if got := l.Stats().Limit; got != 50 {
		t.Fatalf("limit %d after a plain failure, want 50 unchanged", got)
	}
	i = 1
	l.Execute(context.Background(), 0)
	if got := l.Stats().Limit; got != 45 {
		t.Fatalf("limit %d after a timeout, want 45", got)
	}
	for range 100 {
		l.Execute(context.Background(), 0)
	}
	if got := l.Stats().Limit; got != 2 {
		t.Fatalf("limit %d after many timeouts, want the min 2", got)
	}
}

func TestPanicReleasesSlot(t *testing.T) {
	l := limiter.New(func(context.Context, int) (int, error) { panic("boom") }, limiter.Config{Min: 1, Max: 1})
	for range 3 {
		func() {
			defer func() {
				if recover() != "boom" {
					t.Fatal("panic not propagated")
				}
			}()
			l.Execute(context.Background(), 0)
		}()
	}
	if st := l.Stats(); st.InFlight != 0 || st.Rejected != 0 {
		t.Fatalf("Stats = %+v after panics, want nothing in flight or rejected", st)
	}
}

func TestInvalidConfigPanics(t *testing.T) {
	for name, cfg := range map[string]limiter.Config{
		"max<min":        {Min: 5, Max: 2},
		"sample=3":       {SampleEvery: 3},
		"tolerance<1":    {Tolerance: 0.5},
		"initial>max":    {Max: 4, Initial: 5},
		"smoothing>1":    {Smoothing: 2},
		"negative limit": {Min: -1},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			limiter.New(func(context.Context, int) (int, error) { return 0, nil }, cfg)
		})
	}
}

// TestStress checks under the race detector that the limit is never
// exceeded by more than the callers racing past it, and that every call is
// made or rejected.
func TestStress(t *testing.T) {
	const goroutines, calls, maxLimit = 8, 2000, 4
	var running, made atomic.Int64
	fn := func(_ context.Context, req int) (int, error) {
		if r := running.Add(1); r > maxLimit {
			t.Errorf("%d calls running, limit at most %d", r, maxLimit)
		}
		runtime.Gosched()
		running.Add(-1)
		made.Add(1)
		return req, nil
	}
	l := limiter.New(fn, limiter.Config{Min: 1, Max: maxLimit, SampleEvery: 2})
	var wg sync.WaitGroup
	var rejected atomic.Int64
	for g := range goroutines {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 3))
			for range calls {
				req := r.IntN(1000)
				got, err := l.Execute(context.Background(), req)
				switch {
				case errors.Is(err, limiter.ErrLimited):
					rejected.Add(1)
				case err != nil || got != req:
					t.Errorf("Execute(%d) = %d, %v", req, got, err)
				}
			}
		})
	}
	wg.Wait()
	st := l.Stats()
	if made.Load()+rejected.Load() != goroutines*calls || st.Rejected != uint64(rejected.Load()) || st.InFlight != 0 {
		t.Fatalf("made %d + rejected %d != %d; Stats %+v", made.Load(), rejected.Load(), goroutines*calls, st)
	}
}
