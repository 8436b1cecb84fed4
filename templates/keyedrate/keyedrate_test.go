package keyedrate_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/templates/keyedrate"
	"github.com/monogen/monogen/templates/ratelimit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Now()

func at(d time.Duration) time.Time { return t0.Add(d) }

func limiter(interval time.Duration, burst int64, idle time.Duration, keys int64) *keyedrate.Limiter[string] {
	return keyedrate.NewAt[string](keyedrate.Config{Interval: interval, Burst: burst, Idle: idle, Keys: keys}, t0)
}

// allowN calls AllowAt n times for key at t and returns how many were allowed.
func allowN(l *keyedrate.Limiter[string], key string, t time.Time, n int) int {
	allowed := 0
	for range n {
		if l.AllowAt(key, t) {
			allowed++
		}
	}
	return allowed
}

func TestInvalidConfigPanics(t *testing.T) {
	for name, cfg := range map[string]keyedrate.Config{
		"interval=0": {Burst: 1},
		"burst=0":    {Interval: time.Second},
		"overflow":   {Interval: time.Hour, Burst: 1 << 62},
		"idle<0":     {Interval: time.Second, Burst: 1, Idle: -1},
		"keys<0":     {Interval: time.Second, Burst: 1, Keys: -1},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			keyedrate.New[string](cfg)
		})
	}
}

func TestEachKeyHasItsOwnBucket(t *testing.T) {
	l := limiter(10*time.Millisecond, 3, 0, 0)
	if got := allowN(l, "a", at(0), 5); got != 3 {
		t.Fatalf("key a: allowed %d at t0, want the burst of 3", got)
	}
	if got := allowN(l, "b", at(0), 5); got != 3 {
		t.Fatalf("key b: allowed %d at t0 after a drained its bucket, want its own burst of 3", got)
	}
	if got := allowN(l, "a", at(9*time.Millisecond), 2); got != 0 {
		t.Fatalf("key a: allowed %d before its next token, want 0", got)
	}
	if got := allowN(l, "a", at(10*time.Millisecond), 2); got != 1 {
		t.Fatalf("key a: allowed %d one interval later, want 1", got)
	}
	// A key first seen late starts with a full bucket.
	if got := allowN(l, "c", at(time.Hour), 5); got != 3 {
		t.Fatalf("key c: allowed %d when first seen, want the burst of 3", got)
	}
	if l.Len() != 3 {
		t.Fatalf("Len = %d, want 3", l.Len())
	}
}

// TestSameAnswersAsOneLimiterPerKey runs random events on random keys, with
// idle eviction, a cap on keys and explicit sweeps, and checks every answer
// against one unkeyed limiter per key that is never evicted: evicting only
// full buckets changes nothing that the limiter admits. The cap is larger
// than the keys used, so that no key is refused.
func TestSameAnswersAsOneLimiterPerKey(t *testing.T) {
	for _, idle := range []time.Duration{0, time.Millisecond, 50 * time.Millisecond} {
		t.Run(fmt.Sprint("idle=", idle), func(t *testing.T) {
			const interval, burst, keys = 3 * time.Millisecond, 4, 16
			l := limiter(interval, burst, idle, keys)
			model := map[string]*ratelimit.Limiter{}
			r := rand.New(rand.NewPCG(1, uint64(idle)))
			now := time.Duration(0)
			for i := range 20000 {
				now += time.Duration(r.IntN(int(time.Millisecond)))
				key := fmt.Sprint(r.IntN(keys))
				m := model[key]
				if m == nil {
					m = ratelimit.NewAt(ratelimit.Config{Algorithm: ratelimit.TokenBucket, Interval: interval, Burst: burst}, t0)
					model[key] = m
				}
				if got, want := l.AllowAt(key, at(now)), m.AllowAt(at(now)); got != want {
					t.Fatalf("event %d, key %s at %v: Allow = %v, one limiter per key says %v", i, key, now, got, want)
				}
				if i%1000 == 999 {
					l.SweepAt(at(now))
				}
			}
		})
	}
}

func TestIdleKeysAreEvictedWhenNewKeysCome(t *testing.T) {
	const interval, burst, idle = 10 * time.Millisecond, 2, time.Second
	l := limiter(interval, burst, idle, 0)
	allowN(l, "a", at(0), 2) // drained: full again at 20ms
	allowN(l, "b", at(0), 1) // full again at 10ms
	// The first sweep runs when a key is created at or after idle.
	allowN(l, "c", at(idle), 1)
	if l.Len() != 3 {
		t.Fatalf("Len = %d after the sweep at %v, want 3: no bucket was full for %v", l.Len(), idle, idle)
	}
	// The next sweep is due at 2×idle: a and b have been full for
	// longer than idle, c (full at idle+10ms) has not.
	allowN(l, "d", at(2*idle), 1)
	if l.Len() != 2 {
		t.Fatalf("Len = %d after the sweep at %v, want 2 (c and d)", l.Len(), 2*idle)
	}
	// An evicted key comes back with a full bucket, as it would have had.
	if got := allowN(l, "a", at(2*idle), 3); got != burst {
		t.Fatalf("key a: allowed %d after its eviction, want the burst of %d", got, burst)
	}
}

func TestNoSweepBeforeIdle(t *testing.T) {
	l := limiter(time.Millisecond, 1, time.Hour, 0)
	for i := range 100 {
		l.AllowAt(fmt.Sprint(i), at(time.Duration(i)*time.Minute))
	}
	if l.Len() != 100 {
		t.Fatalf("Len = %d, want 100: no key has been idle for an hour", l.Len())
	}
}

func TestIdleZeroNeverSweepsOnItsOwn(t *testing.T) {
	l := limiter(time.Millisecond, 1, 0, 0)
	for i := range 100 {
		l.AllowAt(fmt.Sprint(i), at(time.Duration(i)*time.Hour))
	}
	if l.Len() != 100 {
		t.Fatalf("Len = %d, want 100: idle=0 sweeps only on Sweep", l.Len())
	}
}

func TestFullMapRefusesNewKeysUntilABucketIsFull(t *testing.T) {
	const interval = 10 * time.Millisecond
	l := limiter(interval, 1, time.Hour, 2)
	if !l.AllowAt("a", at(0)) || !l.AllowAt("b", at(5*time.Millisecond)) {
		t.Fatal("the first event of a and of b was refused")
	}
	if l.AllowAt("c", at(9*time.Millisecond)) {
		t.Fatal("key c was admitted while the map held 2 keys, neither with a full bucket")
	}
	if l.Len() != 2 {
		t.Fatalf("Len = %d, want 2", l.Len())
	}
	// At 10ms a's bucket is full again: c takes its place; b's is not,
	// and b keeps it.
	if !l.AllowAt("c", at(10*time.Millisecond)) {
		t.Fatal("key c was refused although a's bucket was full")
	}
	if l.Len() != 2 {
		t.Fatalf("Len = %d, want 2", l.Len())
	}
	if l.AllowAt("b", at(10*time.Millisecond)) {
		t.Fatal("key b was admitted at 10ms: its bucket, drained at 5ms, was reset")
	}
	if !l.AllowAt("b", at(15*time.Millisecond)) {
		t.Fatal("key b was refused at 15ms, one interval after its event")
	}
}

func TestPresentKeysStillAllowedWhenMapIsFull(t *testing.T) {
	l := limiter(time.Millisecond, 1, 0, 1)
	l.AllowAt("a", at(0))
	if l.AllowAt("b", at(0)) {
		t.Fatal("key b admitted in a full map")
	}
	if !l.AllowAt("a", at(time.Millisecond)) {
		t.Fatal("key a, present, refused in a full map")
	}
}

// TestConcurrentSweepsNeverAdmitMoreThanTheBurst hammers a few keys from
// many goroutines at one instant while another goroutine sweeps: a sweep
// may evict only the buckets no event has used, so each key admits exactly
// its burst, however the sweeps interleave.
func TestConcurrentSweepsNeverAdmitMoreThanTheBurst(t *testing.T) {
	const keys, burst, workers, tries = 64, 3, 8, 400
	// The clock has passed the instant of the events, so that sweeps see
	// the unused buckets full; an hour's interval keeps a used one from
	// refilling.
	now := time.Now()
	l := keyedrate.NewAt[int](keyedrate.Config{Interval: time.Hour, Burst: burst}, now.Add(-time.Minute))
	var admitted [keys]atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	sweeps := make(chan struct{})
	go func() {
		defer close(sweeps)
		for {
			select {
			case <-stop:
				return
			default:
				l.SweepAt(now)
			}
		}
	}()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range tries {
				k := (i*7 + w) % keys
				if l.AllowAt(k, now.Add(-time.Second)) {
					admitted[k].Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sweeps
	for k := range admitted {
		if n := admitted[k].Load(); n != burst {
			t.Errorf("key %d admitted %d events at one instant, want its burst of %d", k, n, burst)
		}
	}
	if l.Len() > keys {
		t.Errorf("Len = %d, more than the %d keys used", l.Len(), keys)
	}
}

// TestCapHoldsUnderConcurrentNewKeys creates many keys from many goroutines
// in a map capped at a few: Len never exceeds the cap, and no key admits
// more than its burst.
func TestCapHoldsUnderConcurrentNewKeys(t *testing.T) {
	const capKeys, workers, tries = 8, 8, 500
	now := time.Now()
	l := keyedrate.NewAt[int](keyedrate.Config{Interval: time.Hour, Burst: 1, Keys: capKeys}, now.Add(-time.Minute))
	var admitted sync.Map
	var wg sync.WaitGroup
	var over atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range tries {
				k := i*workers + w
				if l.AllowAt(k%97, now.Add(-time.Second)) {
					if _, loaded := admitted.LoadOrStore(k%97, true); loaded {
						over.Add(1)
					}
				}
				if n := l.Len(); n > capKeys {
					over.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if over.Load() != 0 {
		t.Fatalf("%d times a key admitted a second event or Len exceeded %d", over.Load(), capKeys)
	}
}

// TestNewKeyAllocatesOnlyItsMapEntry checks that a key's bucket is stored in
// the key's entry of the map, the entry a lookup loads: creating a key
// allocates that entry and nothing else (the map's growth, shared by its
// keys, aside), and Allow on a key already seen allocates nothing.
func TestNewKeyAllocatesOnlyItsMapEntry(t *testing.T) {
	const keys = 1 << 12
	l := keyedrate.New[int](keyedrate.Config{Interval: time.Nanosecond, Burst: 1 << 40, Idle: time.Hour})
	for k := range keys {
		l.Allow(k)
	}
	next := keys
	if a := testing.AllocsPerRun(keys, func() {
		l.Allow(next)
		next++
	}); a != 1 {
		t.Errorf("Allow on a new key allocated %v times, want 1: the key's entry", a)
	}
	if a := testing.AllocsPerRun(keys, func() { l.Allow(0) }); a != 0 {
		t.Errorf("Allow on a key already seen allocated %v times, want 0", a)
	}
}

// TestNaNKeyIsRefusedWithoutLeakingABucket: a key not equal to itself (a NaN,
// or a struct or interface holding one) is never found in the map again.
// Allow used to give it a fresh, full bucket at every call, so that it was
// never limited, and that bucket could never be evicted: the map grew by one
// key per call, forever, and with Keys the limiter ended up refusing every
// new key. It is refused, and holds nothing.
func TestNaNKeyIsRefusedWithoutLeakingABucket(t *testing.T) {
	nan := math.NaN()
	type point struct{ X, Y float64 }
	floats := keyedrate.NewAt[float64](keyedrate.Config{Interval: time.Second, Burst: 5, Idle: time.Minute, Keys: 4}, t0)
	points := keyedrate.NewAt[point](keyedrate.Config{Interval: time.Second, Burst: 5, Idle: time.Minute}, t0)
	anys := keyedrate.NewAt[any](keyedrate.Config{Interval: time.Second, Burst: 5, Idle: time.Minute}, t0)
	for range 100 {
		if floats.AllowAt(nan, t0) || points.AllowAt(point{1, nan}, t0) || anys.AllowAt(nan, t0) {
			t.Fatal("Allow admitted a NaN key")
		}
	}
	if n := floats.Len() + points.Len() + anys.Len(); n != 0 {
		t.Fatalf("Len = %d after NaN keys, want 0", n)
	}
	// The keys that are equal to themselves still work, up to Keys.
	for i := range 4 {
		if !floats.AllowAt(float64(i), t0) {
			t.Fatalf("key %d refused after NaN keys", i)
		}
	}
	// -0 and +0 are one key.
	if got := allowFloat(floats, math.Copysign(0, -1), 10); got != 4 {
		t.Fatalf("-0 after +0's first event: %d of 10 allowed, want 4 (one bucket of 5)", got)
	}
}

func allowFloat(l *keyedrate.Limiter[float64], key float64, n int) int {
	allowed := 0
	for range n {
		if l.AllowAt(key, t0) {
			allowed++
		}
	}
	return allowed
}
