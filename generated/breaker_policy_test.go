package generated_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/monogen/monogen/generated"
)

// TestPolicyBreaker runs the generated PolicyBreaker (failures=2
// cooldown=1ns halfopen=1 failure=countsAsFailure onchange=policyChanged):
// ErrNotFound is not a failure, the caller's own context error is not
// counted, other errors trip it, and every change reaches policyChanged
// with its counts.
func TestPolicyBreaker(t *testing.T) {
	generated.PolicyChanges()
	fail := errors.New("down")
	b := generated.NewPolicyBreaker(func(ctx context.Context, req int) (int, error) {
		switch {
		case ctx.Err() != nil:
			return 0, ctx.Err()
		case req == 404:
			return 0, generated.ErrNotFound
		case req < 0:
			return 0, fail
		}
		return req, nil
	})
	bg := context.Background()
	canceled, cancel := context.WithCancel(bg)
	cancel()
	for range 3 {
		if _, err := b.Execute(bg, 404); err != generated.ErrNotFound {
			t.Fatalf("Execute(404) = %v", err)
		}
		if _, err := b.Execute(canceled, 1); err != context.Canceled {
			t.Fatalf("Execute with a canceled context = %v", err)
		}
	}
	if st := b.Stats(); st.State != generated.PolicyBreakerStateClosed || st.Failures != 0 || st.Successes != 3 {
		t.Fatalf("after answers and calls given up: %+v; want closed, 3 successes, no failures", st)
	}
	b.Execute(bg, -1)
	b.Execute(bg, -1) // trips
	if b.State() != generated.PolicyBreakerStateOpen {
		t.Fatal("two failures did not trip the breaker")
	}
	for b.State() != generated.PolicyBreakerStateClosed { // cooldown=1ns: a probe closes it
		b.Execute(bg, 1)
	}
	// The three not-found answers counted as successes.
	want := []string{"closed->open 3/2", "open->half-open 0/0", "half-open->closed 1/0"}
	if got := generated.PolicyChanges(); !slices.Equal(got, want) {
		t.Fatalf("onchange saw %v, want %v", got, want)
	}
}

// TestSlowBreaker runs the generated SlowBreaker (failures=1 slow=100ms): a
// call that succeeds after more than 100ms trips it, and returns its
// result. The fast call is far within 100ms, even on a loaded machine.
func TestSlowBreaker(t *testing.T) {
	b := generated.NewSlowBreaker(func(_ context.Context, d int) (int, error) {
		for start := time.Now(); time.Since(start) < time.Duration(d)*time.Millisecond; {
		}
		return d, nil
	})
	if r, err := b.Execute(context.Background(), 0); r != 0 || err != nil || b.State() != generated.SlowBreakerStateClosed {
		t.Fatalf("a fast call: %d, %v, %v", r, err, b.State())
	}
	if r, err := b.Execute(context.Background(), 150); r != 150 || err != nil {
		t.Fatalf("a slow call returned %d, %v", r, err)
	}
	if b.State() != generated.SlowBreakerStateOpen {
		t.Fatal("a call slower than slow=100ms did not trip the breaker")
	}
}
