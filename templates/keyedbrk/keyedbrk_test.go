package keyedbrk_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/templates/keyedbrk"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errFail = errors.New("fail")

// fakeClock is a manual monotonic clock.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Duration      { return time.Duration(c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// req is a request to a host; it fails when fail is set.
type req struct {
	host string
	fail bool
}

func hostOf(r req) string { return r.host }

func call(_ context.Context, r req) (string, error) {
	if r.fail {
		return "", errFail
	}
	return r.host, nil
}

var cfg = keyedbrk.Config{Failures: 2, Cooldown: time.Minute, HalfOpen: 1, Window: 10 * time.Second, Buckets: 10, Idle: time.Minute}

func newBreaker(t *testing.T, c keyedbrk.Config, fn func(context.Context, req) (string, error)) (*keyedbrk.Breaker[string, req, string], *fakeClock) {
	t.Helper()
	b := keyedbrk.New(hostOf, fn, nil, c)
	clock := &fakeClock{}
	b.SetClock(clock.now)
	return b, clock
}

func exec(b *keyedbrk.Breaker[string, req, string], host string, fail bool) error {
	_, err := b.Execute(context.Background(), req{host, fail})
	return err
}

func TestEachKeyHasABreakerOfItsOwn(t *testing.T) {
	b, _ := newBreaker(t, cfg, call)
	for range 2 {
		if err := exec(b, "a", true); !errors.Is(err, errFail) {
			t.Fatalf("failing call: %v", err)
		}
	}
	if err := exec(b, "a", false); !errors.Is(err, keyedbrk.ErrOpen) {
		t.Fatalf("a after two failures: %v, want ErrOpen", err)
	}
	if err := exec(b, "b", false); err != nil {
		t.Fatalf("b: %v", err)
	}
	if b.State("a") != keyedbrk.StateOpen || b.State("b") != keyedbrk.StateClosed || b.State("c") != keyedbrk.StateClosed {
		t.Fatalf("states a=%v b=%v c=%v", b.State("a"), b.State("b"), b.State("c"))
	}
	if b.Len() != 2 {
		t.Fatalf("Len = %d, want 2", b.Len())
	}
}

func TestStateChangesReachOnChangeWithTheirKey(t *testing.T) {
	b, clock := newBreaker(t, cfg, call)
	var got []string
	b.SetOnChange(func(key string, from, to keyedbrk.State, counts keyedbrk.Counts) {
		got = append(got, fmt.Sprintf("%s %v->%v %d/%d", key, from, to, counts.Successes, counts.Failures))
	})
	_ = exec(b, "a", false)
	_ = exec(b, "a", true)
	_ = exec(b, "a", true)
	clock.advance(time.Minute)
	if err := exec(b, "a", false); err != nil {
		t.Fatalf("probe: %v", err)
	}
	want := []string{"a closed->open 1/2", "a open->half-open 0/0", "a half-open->closed 1/0"}
	if !slices.Equal(got, want) {
		t.Fatalf("changes %q, want %q", got, want)
	}
}

func TestHalfOpenFailedProbeReopens(t *testing.T) {
	b, clock := newBreaker(t, cfg, call)
	_ = exec(b, "a", true)
	_ = exec(b, "a", true)
	clock.advance(time.Minute)
	if err := exec(b, "a", true); !errors.Is(err, errFail) {
		t.Fatalf("probe: %v", err)
	}
	if b.State("a") != keyedbrk.StateOpen {
		t.Fatalf("state after a failed probe: %v", b.State("a"))
	}
	if err := exec(b, "a", false); !errors.Is(err, keyedbrk.ErrOpen) {
		t.Fatalf("after a failed probe: %v, want ErrOpen", err)
	}
}

func TestCallersOwnContextErrorsAreNeutral(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, _ := newBreaker(t, cfg, func(ctx context.Context, r req) (string, error) { return "", ctx.Err() })
	for range 5 {
		if _, err := b.Execute(ctx, req{host: "a"}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Execute: %v", err)
		}
	}
	if b.State("a") != keyedbrk.StateClosed {
		t.Fatal("the caller's own cancellations tripped the breaker")
	}
}

func TestFailureDecidesWhichErrorsCount(t *testing.T) {
	b, _ := newBreaker(t, cfg, call)
	b.SetFailure(func(error) bool { return false })
	for range 5 {
		_ = exec(b, "a", true)
	}
	if b.State("a") != keyedbrk.StateClosed {
		t.Fatal("errors that are not failures tripped the breaker")
	}
}

func TestSlowCallsFail(t *testing.T) {
	c := cfg
	c.Slow = time.Second
	var clock *fakeClock
	b, clock := newBreaker(t, c, func(_ context.Context, r req) (string, error) {
		clock.advance(2 * time.Second)
		return r.host, nil
	})
	_ = exec(b, "a", false)
	_ = exec(b, "a", false)
	if b.State("a") != keyedbrk.StateOpen {
		t.Fatal("two slow calls did not trip the breaker")
	}
}

func TestFallbackGetsRejectedAndFailedCalls(t *testing.T) {
	var errs []error
	b := keyedbrk.New(hostOf, call, func(_ context.Context, r req, err error) (string, error) {
		errs = append(errs, err)
		return "fallback", nil
	}, cfg)
	for range 3 {
		if resp, err := b.Execute(context.Background(), req{"a", true}); resp != "fallback" || err != nil {
			t.Fatalf("Execute = %q, %v", resp, err)
		}
	}
	if !slices.Equal(errs, []error{errFail, errFail, keyedbrk.ErrOpen}) {
		t.Fatalf("fallback errors %v", errs)
	}
}

// TestEvictionNeverResetsAKeyInUse sweeps, long after every key's last
// call, a breaker holding an open key, a half-open key, a key with a call
// in flight, a closed key with a failure in its window and an idle closed
// key: only the idle key is evicted, and the others keep their state. The
// open and half-open keys' failures have left their window: their state
// alone keeps them.
func TestEvictionNeverResetsAKeyInUse(t *testing.T) {
	c := cfg
	c.Failures, c.HalfOpen, c.Window = 3, 2, 10*time.Minute
	entered, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	first.Store(true)
	b, clock := newBreaker(t, c, func(ctx context.Context, r req) (string, error) {
		switch r.host {
		case "inflight":
			if first.CompareAndSwap(true, false) {
				entered <- struct{}{}
				<-release
			}
		case "idle":
			return "", ctx.Err()
		}
		return call(ctx, r)
	})
	for range 3 {
		_ = exec(b, "open", true)
		_ = exec(b, "halfopen", true)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	// A call the caller gave up counts for nothing: the idle key's window
	// stays empty.
	if _, err := b.Execute(canceled, req{host: "idle"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("idle key: %v", err)
	}
	done := make(chan error)
	go func() { done <- exec(b, "inflight", true) }()
	<-entered
	clock.advance(time.Minute)
	// One of the two probes succeeds: the key stays half-open.
	if err := exec(b, "halfopen", false); err != nil || b.State("halfopen") != keyedbrk.StateHalfOpen {
		t.Fatalf("probe: %v, state %v", err, b.State("halfopen"))
	}
	// The first sweep sees the calls started since the keys were
	// created; the failures of "open" and "halfopen" are out of the window.
	clock.advance(time.Hour)
	b.Sweep()
	clock.advance(time.Minute)
	_ = exec(b, "failed", true)
	// The second sweep sees the call on "failed"; the others had none for
	// two minutes: the idle key goes.
	clock.advance(time.Minute)
	b.Sweep()
	// The third finds "failed" without a call for a minute, but with its
	// failure in the window.
	clock.advance(time.Minute)
	b.Sweep()
	if b.Len() != 4 {
		t.Fatalf("Len = %d after the sweeps, want 4: only the idle key may go", b.Len())
	}
	if b.State("open") != keyedbrk.StateOpen || b.State("halfopen") != keyedbrk.StateHalfOpen {
		t.Fatalf("after the sweeps open is %v, halfopen %v", b.State("open"), b.State("halfopen"))
	}
	// The failure in the window is kept: two more trip the key.
	_ = exec(b, "failed", true)
	_ = exec(b, "failed", true)
	if b.State("failed") != keyedbrk.StateOpen {
		t.Fatal("the failure in the window was lost: two more did not trip the key")
	}
	// The in-flight call's failure counts on its key's breaker.
	close(release)
	if err := <-done; !errors.Is(err, errFail) {
		t.Fatalf("in-flight call: %v", err)
	}
	_ = exec(b, "inflight", true)
	_ = exec(b, "inflight", true)
	if b.State("inflight") != keyedbrk.StateOpen {
		t.Fatal("the in-flight call's failure was lost")
	}
	// The half-open key's second probe closes it.
	if err := exec(b, "halfopen", false); err != nil || b.State("halfopen") != keyedbrk.StateClosed {
		t.Fatalf("second probe: %v, state %v", err, b.State("halfopen"))
	}
}

// TestSweepEvictsIdleClosedKeys checks that a key with an empty window and
// no call for two idle periods is evicted, and comes back closed.
func TestSweepEvictsIdleClosedKeys(t *testing.T) {
	b, clock := newBreaker(t, cfg, call)
	_ = exec(b, "a", false)
	clock.advance(time.Minute)
	b.Sweep()
	if b.Len() != 1 {
		t.Fatal("a key used since the last sweep was evicted")
	}
	clock.advance(time.Minute)
	b.Sweep()
	if b.Len() != 0 {
		t.Fatalf("Len = %d, want 0: the idle key was not evicted", b.Len())
	}
	if err := exec(b, "a", false); err != nil || b.Len() != 1 {
		t.Fatalf("the evicted key came back with %v, Len %d", err, b.Len())
	}
}

// TestFullBreakerRefusesNewKeysWhileNoneCanBeEvicted fills keys=2 with two
// open keys: a new key is refused with ErrTooManyKeys until one of them
// closes and its window empties.
func TestFullBreakerRefusesNewKeysWhileNoneCanBeEvicted(t *testing.T) {
	c := cfg
	c.Keys, c.Failures, c.Idle = 2, 1, 0
	b, clock := newBreaker(t, c, call)
	_ = exec(b, "a", true)
	_ = exec(b, "b", true)
	if err := exec(b, "c", false); !errors.Is(err, keyedbrk.ErrTooManyKeys) {
		t.Fatalf("new key in a full breaker: %v, want ErrTooManyKeys", err)
	}
	clock.advance(time.Minute)
	if err := exec(b, "a", false); err != nil || b.State("a") != keyedbrk.StateClosed {
		t.Fatalf("probe of a: %v, state %v", err, b.State("a"))
	}
	clock.advance(time.Second)
	if err := exec(b, "c", false); err != nil {
		t.Fatalf("new key once a could go: %v", err)
	}
	if b.State("b") != keyedbrk.StateOpen || b.Len() != 2 {
		t.Fatalf("b is %v, Len %d", b.State("b"), b.Len())
	}
}

// TestOpenKeysSurviveConcurrentEviction trips one key, then churns many
// others through a breaker of few keys, sweeping, while calls on the open
// key are made: none of them may reach the function before its cooldown.
func TestOpenKeysSurviveConcurrentEviction(t *testing.T) {
	var badCalls atomic.Int64
	c := keyedbrk.Config{Failures: 1, Cooldown: time.Hour, Keys: 8, Idle: time.Nanosecond, Window: time.Millisecond, Buckets: 1}
	b, clock := newBreaker(t, c, func(ctx context.Context, r req) (string, error) {
		if r.host == "bad" {
			badCalls.Add(1)
		}
		return call(ctx, r)
	})
	_ = exec(b, "bad", true)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				clock.advance(time.Millisecond)
				_ = exec(b, fmt.Sprint(g, "-", i%32), i%5 == 0)
				if i%64 == 0 {
					b.Sweep()
				}
				if err := exec(b, "bad", false); !errors.Is(err, keyedbrk.ErrOpen) {
					t.Errorf("open key: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := badCalls.Load(); n != 1 {
		t.Fatalf("the open key's function ran %d times, want 1", n)
	}
	if b.Len() > 8 {
		t.Fatalf("Len = %d, want at most 8", b.Len())
	}
}

func TestStatsArePerKeyAndCountRejectionsAndTransitions(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	b, clock := newBreaker(t, cfg, func(ctx context.Context, r req) (string, error) {
		if r.host == "a" && !r.fail {
			// a's probe waits, holding the one probe slot.
			entered <- struct{}{}
			<-release
		}
		return call(ctx, r)
	})
	if got := b.Stats("a"); got != (keyedbrk.Stats{}) {
		t.Fatalf("Stats of a key never seen = %+v, want the zero Stats", got)
	}
	for range 3 {
		_ = exec(b, "b", false)
	}
	_ = exec(b, "a", true)
	_ = exec(b, "a", true) // opens a
	for range 2 {
		if err := exec(b, "a", true); !errors.Is(err, keyedbrk.ErrOpen) {
			t.Fatalf("a while open: %v, want ErrOpen", err)
		}
	}
	want := keyedbrk.Stats{State: keyedbrk.StateOpen, Failures: 2, Rejected: 2, Transitions: 1}
	if got := b.Stats("a"); got != want {
		t.Fatalf("Stats(a) while open = %+v, want %+v", got, want)
	}
	// b's successes are counted though fewer than a flush's worth.
	want = keyedbrk.Stats{State: keyedbrk.StateClosed, Successes: 3}
	if got := b.Stats("b"); got != want {
		t.Fatalf("Stats(b) = %+v, want %+v", got, want)
	}

	clock.advance(time.Minute)
	done := make(chan error)
	go func() { done <- exec(b, "a", false) }()
	<-entered
	if err := exec(b, "a", true); !errors.Is(err, keyedbrk.ErrTooManyProbes) {
		t.Fatalf("a while its probe runs: %v, want ErrTooManyProbes", err)
	}
	want = keyedbrk.Stats{State: keyedbrk.StateHalfOpen, Rejected: 3, Transitions: 2}
	if got := b.Stats("a"); got != want {
		t.Fatalf("Stats(a) half-open = %+v, want %+v", got, want)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("probe: %v", err)
	}
	want = keyedbrk.Stats{State: keyedbrk.StateClosed, Rejected: 3, Transitions: 3}
	if got := b.Stats("a"); got != want {
		t.Fatalf("Stats(a) closed again = %+v, want %+v", got, want)
	}

	// b, idle, is evicted by the second sweep (the first sees its calls),
	// and counts from zero when it comes back.
	clock.advance(time.Minute)
	b.Sweep()
	clock.advance(time.Minute)
	b.Sweep()
	if got := b.Stats("b"); got != (keyedbrk.Stats{}) {
		t.Fatalf("Stats(b) once evicted = %+v, want the zero Stats", got)
	}
	_ = exec(b, "b", true)
	want = keyedbrk.Stats{State: keyedbrk.StateClosed, Failures: 1}
	if got := b.Stats("b"); got != want {
		t.Fatalf("Stats(b) seen again = %+v, want %+v", got, want)
	}
}

// TestNaNKeyIsRejectedWithErrNaNKey: a key not equal to itself (a NaN, or a
// struct or interface holding one) is never found in the map again. Execute
// used to give it a new circuit at every call, so that its failures were
// never counted together and the circuit never opened, and those circuits,
// which no sweep could find, stayed in the map forever. The call is rejected
// with ErrNaNKey, through the fallback, without calling the function.
func TestNaNKeyIsRejectedWithErrNaNKey(t *testing.T) {
	type fr struct {
		host float64
	}
	var calls atomic.Int64
	fn := func(context.Context, fr) (string, error) { calls.Add(1); return "", errFail }
	var fellBack atomic.Int64
	fallback := func(_ context.Context, _ fr, err error) (string, error) {
		if errors.Is(err, keyedbrk.ErrNaNKey) {
			fellBack.Add(1)
		}
		return "", err
	}
	b := keyedbrk.New(func(r fr) float64 { return r.host }, fn, fallback, cfg)
	for range 10 {
		if _, err := b.Execute(context.Background(), fr{math.NaN()}); !errors.Is(err, keyedbrk.ErrNaNKey) {
			t.Fatalf("Execute with a NaN key: %v, want ErrNaNKey", err)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("the function was called %d times for a NaN key, want 0", n)
	}
	if n := fellBack.Load(); n != 10 {
		t.Fatalf("the fallback saw ErrNaNKey %d times, want 10", n)
	}
	if n := b.Len(); n != 0 {
		t.Fatalf("Len = %d after NaN keys, want 0", n)
	}
	// -0 and +0 are one key: two failures open it.
	b.Execute(context.Background(), fr{0})
	b.Execute(context.Background(), fr{math.Copysign(0, -1)})
	if s := b.State(0); s != keyedbrk.StateOpen {
		t.Fatalf("State(0) after failures on +0 and -0 = %v, want open", s)
	}
}
