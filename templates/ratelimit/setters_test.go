package ratelimit_test

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/monogen/monogen/templates/ratelimit"
)

// TestSetRateKeepsTokens: the tokens a bucket holds when its rate changes
// are kept, and from then on it refills at the new rate.
func TestSetRateKeepsTokens(t *testing.T) {
	l := token(10*time.Millisecond, 10)
	if got := allowN(l, at(0), 4); got != 4 {
		t.Fatalf("full bucket of 10 admitted %d of 4", got)
	}
	l.SetRateAt(at(0), 1000) // one token per millisecond
	if got := allowN(l, at(0), 10); got != 6 {
		t.Fatalf("after SetRate: %d admitted at once, want the 6 tokens held", got)
	}
	if got := allowN(l, at(time.Millisecond), 10); got != 1 {
		t.Fatalf("1ms after SetRate(1000): %d admitted, want 1 (the old rate gives none)", got)
	}
	l.SetRateAt(at(time.Millisecond), 10) // one token per 100ms
	if got := allowN(l, at(50*time.Millisecond), 10); got != 0 {
		t.Fatalf("50ms after SetRate(10): %d admitted, want 0", got)
	}
	if got := allowN(l, at(101*time.Millisecond), 10); got != 1 {
		t.Fatalf("100ms after SetRate(10): %d admitted, want 1", got)
	}
}

// TestSetRateKeepsFullBucketFull: a full bucket stays full (burst tokens)
// across a change of rate, a partly refilled one keeps its part.
func TestSetRateKeepsFullBucketFull(t *testing.T) {
	l := token(time.Second, 5)
	l.SetRateAt(at(time.Hour), 1e6)
	if got := allowN(l, at(time.Hour), 10); got != 5 {
		t.Fatalf("full bucket after SetRate: %d admitted, want burst 5", got)
	}
	// Empty now; half an old interval (of the new 1µs) later: none yet,
	// 3µs later: 3.
	if got := allowN(l, at(time.Hour+3*time.Microsecond), 10); got != 3 {
		t.Fatalf("3µs after emptying at 1e6/s: %d admitted, want 3", got)
	}
}

// TestSetRateKeepsWhatReservationsOwe: tokens reserved ahead are still owed
// after a change of rate, repaid at the new rate.
func TestSetRateKeepsWhatReservationsOwe(t *testing.T) {
	l := token(10*time.Millisecond, 1)
	if !l.AllowAt(at(0)) {
		t.Fatal("first Allow refused")
	}
	r := l.ReserveAt(at(0)) // owed until 10ms
	if d := r.DelayFrom(at(0)); d != 10*time.Millisecond {
		t.Fatalf("reservation delay = %v, want 10ms", d)
	}
	l.SetRateAt(at(0), 1000) // the 10ms owed become 1ms
	if l.AllowAt(at(time.Millisecond - 1)) {
		t.Fatal("admitted before the reservation was repaid at the new rate")
	}
	if !l.AllowAt(at(2 * time.Millisecond)) {
		t.Fatal("refused after the reservation was repaid at the new rate")
	}
}

// TestSetBurstKeepsTokens: a bucket that grows keeps the tokens it holds and
// fills at its rate; one that shrinks holds at most the new burst.
func TestSetBurstKeepsTokens(t *testing.T) {
	l := token(time.Millisecond, 10)
	if got := allowN(l, at(0), 8); got != 8 {
		t.Fatalf("admitted %d of 8", got)
	}
	l.SetBurstAt(at(0), 20)
	if got := allowN(l, at(0), 20); got != 2 {
		t.Fatalf("after growing the burst: %d admitted at once, want the 2 held", got)
	}
	if got := allowN(l, at(time.Second), 30); got != 20 {
		t.Fatalf("a second later: %d admitted, want the new burst 20", got)
	}
	l.SetBurstAt(at(2*time.Second), 3) // full (20 held) when it shrinks
	if got := allowN(l, at(2*time.Second), 30); got != 3 {
		t.Fatalf("after shrinking a full bucket to 3: %d admitted, want 3", got)
	}
}

func TestSetRateAndBurstPanicOnInvalid(t *testing.T) {
	l := token(time.Millisecond, 10)
	for name, f := range map[string]func(){
		"SetRate(0)":          func() { l.SetRateAt(at(0), 0) },
		"SetRate(-1)":         func() { l.SetRateAt(at(0), -1) },
		"SetRate(NaN)":        func() { l.SetRateAt(at(0), math.NaN()) },
		"SetRate(1e-300)":     func() { l.SetRateAt(at(0), 1e-300) },
		"SetBurst(0)":         func() { l.SetBurstAt(at(0), 0) },
		"SetBurst(too large)": func() { l.SetBurstAt(at(0), math.MaxInt64) },
		"SetRate(sliding)":    func() { sliding(10, time.Second).SetRateAt(at(0), 10) },
		"SetBurst(sliding)":   func() { sliding(10, time.Second).SetBurstAt(at(0), 10) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
	if got := allowN(l, at(0), 20); got != 10 {
		t.Fatalf("after the refused changes: %d admitted, want the burst 10 unchanged", got)
	}
}

// TestSetRateConcurrentWithAllow changes the rate and burst while callers
// take tokens; under -race, and the bucket ends no fuller than its burst.
func TestSetRateConcurrentWithAllow(t *testing.T) {
	l := ratelimit.New(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Rate: 1e6, Burst: 100})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				l.Allow()
				if r := l.Reserve(); r.OK() {
					r.Cancel()
				}
			}
		}()
	}
	for i := range 2000 {
		l.SetRate(float64(1000 + i%7*1000))
		l.SetBurst(int64(1 + i%50))
	}
	close(stop)
	wg.Wait()
	l.SetBurst(5)
	if got := l.Stats().Available; got > 5 {
		t.Fatalf("Available = %d after SetBurst(5), want at most 5", got)
	}
}

// TestRateDerivesInterval: Rate gives the interval, rounded to the
// nanosecond, when Interval is zero.
func TestRateDerivesInterval(t *testing.T) {
	l := ratelimit.NewAt(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Rate: 3, Burst: 1}, t0)
	if !l.AllowAt(at(0)) || l.AllowAt(at(333333332)) || !l.AllowAt(at(333333333)) {
		t.Fatal("Rate 3 did not give one token per 333333333ns")
	}
}
