package generated

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// confSlotsWaiters counts the queued Acquire calls of s.
func confSlotsWaiters(s *ConfSlots) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for w := s.head; w != nil; w = w.next {
		n++
	}
	return n
}

// waitConfSlotsQueued spins until s has n queued waiters.
func waitConfSlotsQueued(s *ConfSlots, n int) {
	for confSlotsWaiters(s) != n {
		runtime.Gosched()
	}
}

// TestConfSlotsZeroConfigTakesDirectiveCapacity: a zero ConfSlotsConfig
// takes n=4 from the directive, and a given N replaces it.
func TestConfSlotsZeroConfigTakesDirectiveCapacity(t *testing.T) {
	if got := NewConfSlots(ConfSlotsConfig{}).Available(); got != 4 {
		t.Fatalf("NewConfSlots(ConfSlotsConfig{}).Available() = %d, want the directive's 4", got)
	}
	s := NewConfSlots(ConfSlotsConfig{N: 7})
	if got := s.Available(); got != 7 {
		t.Fatalf("Available with N=7 = %d, want 7", got)
	}
	if !s.TryAcquireN(7) || s.TryAcquire() {
		t.Fatal("capacity 7 did not admit exactly 7 units")
	}
	s.ReleaseN(7)
}

// TestNewConfSlotsPanicsOnInvalidCapacity: a negative N, or one above
// ConfSlotsMaxN, makes NewConfSlots panic, as its doc says.
func TestNewConfSlotsPanicsOnInvalidCapacity(t *testing.T) {
	for _, n := range []int64{-1, ConfSlotsMaxN + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewConfSlots(N: %d) did not panic", n)
				}
			}()
			NewConfSlots(ConfSlotsConfig{N: n})
		}()
	}
}

// TestConfSlotsSetCapacityGrowAdmitsWaitersInFIFOOrder is the semaphore
// template's test of the same name on the generated ConfSlots.
func TestConfSlotsSetCapacityGrowAdmitsWaitersInFIFOOrder(t *testing.T) {
	s := NewConfSlots(ConfSlotsConfig{N: 2})
	ctx := context.Background()
	if err := s.AcquireN(ctx, 2); err != nil {
		t.Fatal(err)
	}
	big := make(chan error, 1)
	go func() { big <- s.AcquireN(ctx, 2) }()
	waitConfSlotsQueued(s, 1)
	small := make(chan error, 1)
	go func() { small <- s.Acquire(ctx) }()
	waitConfSlotsQueued(s, 2)

	s.SetCapacity(3)
	if got := confSlotsWaiters(s); got != 2 {
		t.Fatalf("after growing to 3: %d waiters, want 2 (the small waiter overtook the head)", got)
	}
	s.SetCapacity(4)
	if err := <-big; err != nil {
		t.Fatal(err)
	}
	if got := confSlotsWaiters(s); got != 1 {
		t.Fatalf("after growing to 4: %d waiters, want 1", got)
	}
	s.Release()
	if err := <-small; err != nil {
		t.Fatal(err)
	}
	s.ReleaseN(4)
	if got := s.Available(); got != 4 {
		t.Fatalf("Available = %d, want 4", got)
	}
}

// TestConfSlotsSetCapacityShrinkKeepsHolders is the semaphore template's
// test of the same name on the generated ConfSlots.
func TestConfSlotsSetCapacityShrinkKeepsHolders(t *testing.T) {
	s := NewConfSlots(ConfSlotsConfig{})
	ctx := context.Background()
	if err := s.AcquireN(ctx, 4); err != nil {
		t.Fatal(err)
	}
	s.SetCapacity(2)
	if got := s.Available(); got != -2 {
		t.Fatalf("Available after shrinking 4 held to capacity 2 = %d, want -2", got)
	}
	if s.TryAcquire() {
		t.Fatal("TryAcquire succeeded with 4 held under capacity 2")
	}
	got := make(chan error, 1)
	go func() { got <- s.Acquire(ctx) }()
	waitConfSlotsQueued(s, 1)
	s.ReleaseN(2)
	if n := confSlotsWaiters(s); n != 1 {
		t.Fatalf("waiter admitted with 2 held under capacity 2 (%d waiters)", n)
	}
	s.Release()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	s.ReleaseN(2)
	if n := s.Available(); n != 2 {
		t.Fatalf("Available after every release = %d, want 2", n)
	}
}

// TestConfSlotsSetCapacityConcurrentWithAcquire is the semaphore template's
// test of the same name on the generated ConfSlots.
func TestConfSlotsSetCapacityConcurrentWithAcquire(t *testing.T) {
	const most = 8
	s := NewConfSlots(ConfSlotsConfig{N: most})
	ctx := context.Background()
	var held, peak atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(g%2 + 1)
			for range 2000 {
				if err := s.AcquireN(ctx, n); err != nil {
					t.Error(err)
					return
				}
				h := held.Add(n)
				for p := peak.Load(); h > p && !peak.CompareAndSwap(p, h); p = peak.Load() {
				}
				held.Add(-n)
				s.ReleaseN(n)
			}
		}()
	}
	stop, setter := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(setter)
		for i := int64(0); ; i++ {
			select {
			case <-stop:
				s.SetCapacity(most)
				return
			default:
			}
			s.SetCapacity(i%(most-1) + 2)
		}
	}()
	wg.Wait()
	close(stop)
	<-setter
	if p := peak.Load(); p > most {
		t.Fatalf("held %d at once, more than the largest capacity %d", p, most)
	}
	if got := s.Available(); got != most {
		t.Fatalf("Available at the end = %d, want %d", got, most)
	}
}

var errConfFail = errors.New("fail")

// failing is a breaker's function that always fails.
func failing(context.Context, int) (int, error) { return 0, errConfFail }

// tripsAfter calls b until it rejects a call and returns how many calls
// failed first.
func tripsAfter(t *testing.T, b *ConfBreaker) int {
	t.Helper()
	for n := 0; n < 100; n++ {
		if _, err := b.Execute(context.Background(), n); errors.Is(err, ErrConfBreakerOpen) {
			return n
		}
	}
	t.Fatal("breaker never opened")
	return 0
}

// TestConfBreakerZeroConfigTakesDirectiveValues: a zero ConfBreakerConfig
// trips after failures=3 from the directive, and a Failures of its own
// replaces it.
func TestConfBreakerZeroConfigTakesDirectiveValues(t *testing.T) {
	if got := tripsAfter(t, NewConfBreaker(failing, ConfBreakerConfig{})); got != 3 {
		t.Fatalf("zero config: open after %d failures, want the directive's 3", got)
	}
	if got := tripsAfter(t, NewConfBreaker(failing, ConfBreakerConfig{Failures: 7})); got != 7 {
		t.Fatalf("Failures=7: open after %d failures, want 7", got)
	}
	b := NewConfBreaker(failing, ConfBreakerConfig{})
	if b.cfg.Cooldown != time.Hour || b.cfg.HalfOpen != 3 || b.cfg.Window != 10*time.Second {
		t.Fatalf("zero config gave %+v, want cooldown=1h from the directive and the defaults halfopen=3, window=10s", b.cfg)
	}
}

// TestConfBreakerCooldownFromConfig: a Cooldown given at run time replaces
// the directive's hour: the breaker probes once it has passed.
func TestConfBreakerCooldownFromConfig(t *testing.T) {
	ok := false
	b := NewConfBreaker(func(context.Context, int) (int, error) {
		if ok {
			return 1, nil
		}
		return 0, errConfFail
	}, ConfBreakerConfig{Failures: 1, Cooldown: time.Nanosecond, HalfOpen: 1})
	if _, err := b.Execute(context.Background(), 0); !errors.Is(err, errConfFail) {
		t.Fatalf("first call = %v, want its failure", err)
	}
	if s := b.State(); s == ConfBreakerStateClosed {
		t.Fatal("still closed after failures=1 failure")
	}
	ok = true
	start := time.Now()
	for time.Since(start) < time.Nanosecond {
		runtime.Gosched()
	}
	if got, err := b.Execute(context.Background(), 0); err != nil || got != 1 {
		t.Fatalf("probe after a 1ns cooldown = %d, %v; want 1, nil", got, err)
	}
	if s := b.State(); s != ConfBreakerStateClosed {
		t.Fatalf("state after halfopen=1 successful probe = %v, want closed", s)
	}
}

// TestConfBreakerWindowWidthComputedOnce: init divides the window given at
// run time into the directive's 10 buckets once.
func TestConfBreakerWindowWidthComputedOnce(t *testing.T) {
	b := NewConfBreaker(failing, ConfBreakerConfig{Window: time.Minute})
	if b.width != int64(6*time.Second) || b.bucketWidth() != int64(6*time.Second) {
		t.Fatalf("bucket width of a 1m window = %d, want 6s", b.bucketWidth())
	}
}

// TestNewConfBreakerPanicsOnInvalidConfig: a field out of range makes
// NewConfBreaker panic, as its doc says.
func TestNewConfBreakerPanicsOnInvalidConfig(t *testing.T) {
	for _, cfg := range []ConfBreakerConfig{
		{Failures: -1}, {Ratio: 1.5}, {Ratio: -0.5}, {Cooldown: -time.Second}, {HalfOpen: -1}, {Window: 5},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewConfBreaker(%+v) did not panic", cfg)
				}
			}()
			NewConfBreaker(failing, cfg)
		}()
	}
}

// TestConfLimiterZeroConfigTakesDirectiveValues: a zero ConfLimiterConfig
// starts at 20 (min=2, raised to 20 as max=64 allows); Min, Max and Initial
// given at run time replace the directive's.
func TestConfLimiterZeroConfigTakesDirectiveValues(t *testing.T) {
	for _, tc := range []struct {
		cfg           ConfLimiterConfig
		limit, lo, hi int64
	}{
		{ConfLimiterConfig{}, 20, 2, 64},
		{ConfLimiterConfig{Max: 8}, 8, 2, 8},
		{ConfLimiterConfig{Min: 30}, 30, 30, 64},
		{ConfLimiterConfig{Initial: 5}, 5, 2, 64},
	} {
		l := NewConfLimiter(tc.cfg)
		if got := l.Stats().Limit; got != tc.limit || l.cfg.Min != tc.lo || l.cfg.Max != tc.hi {
			t.Errorf("NewConfLimiter(%+v): limit %d in [%d, %d], want %d in [%d, %d]", tc.cfg, got, l.cfg.Min, l.cfg.Max, tc.limit, tc.lo, tc.hi)
		}
	}
}

// TestNewConfLimiterPanicsOnInvalidConfig: a field out of range makes
// NewConfLimiter panic, as its doc says.
func TestNewConfLimiterPanicsOnInvalidConfig(t *testing.T) {
	for _, cfg := range []ConfLimiterConfig{
		{Min: -1}, {Min: 10, Max: 5}, {Initial: 100}, {Initial: -1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewConfLimiter(%+v) did not panic", cfg)
				}
			}()
			NewConfLimiter(cfg)
		}()
	}
}

// confTokensAllowed calls AllowAt n times at t and returns how many were
// admitted.
func confTokensAllowed(l *ConfTokens, t time.Time, n int) int {
	allowed := 0
	for range n {
		if l.AllowAt(t) {
			allowed++
		}
	}
	return allowed
}

// TestConfTokensZeroConfigTakesDirectiveValues: a zero ConfTokensConfig is
// rate=100/s burst=20 from the directive; Rate and Burst given at run time
// replace them, the interval computed once from Rate.
func TestConfTokensZeroConfigTakesDirectiveValues(t *testing.T) {
	t0 := time.Now()
	l := NewConfTokensAt(t0, ConfTokensConfig{})
	if got := confTokensAllowed(l, t0, 30); got != 20 {
		t.Fatalf("zero config: %d admitted at once, want burst=20", got)
	}
	if l.AllowAt(t0.Add(9*time.Millisecond)) || !l.AllowAt(t0.Add(10*time.Millisecond)) {
		t.Fatal("zero config: not one token per 10ms (rate=100/s)")
	}
	l = NewConfTokensAt(t0, ConfTokensConfig{Rate: 1000, Burst: 3})
	if l.interval.Load() != int64(time.Millisecond) {
		t.Fatalf("Rate 1000 gave an interval of %dns, want 1ms", l.interval.Load())
	}
	if got := confTokensAllowed(l, t0, 30); got != 3 {
		t.Fatalf("Burst 3: %d admitted at once, want 3", got)
	}
	if got := confTokensAllowed(l, t0.Add(2*time.Millisecond), 30); got != 2 {
		t.Fatalf("Rate 1000: %d admitted 2ms later, want 2", got)
	}
}

// TestConfTokensSetRateKeepsTokens is the ratelimit template's test of the
// same name on the generated ConfTokens.
func TestConfTokensSetRateKeepsTokens(t *testing.T) {
	t0 := time.Now()
	l := NewConfTokensAt(t0, ConfTokensConfig{Rate: 100, Burst: 10})
	if got := confTokensAllowed(l, t0, 4); got != 4 {
		t.Fatalf("admitted %d of 4", got)
	}
	l.SetRateAt(t0, 1000)
	if got := confTokensAllowed(l, t0, 10); got != 6 {
		t.Fatalf("after SetRate: %d admitted at once, want the 6 tokens held", got)
	}
	if got := confTokensAllowed(l, t0.Add(time.Millisecond), 10); got != 1 {
		t.Fatalf("1ms after SetRate(1000): %d admitted, want 1", got)
	}
}

// TestConfTokensSetBurstKeepsTokens is the ratelimit template's test of the
// same name on the generated ConfTokens.
func TestConfTokensSetBurstKeepsTokens(t *testing.T) {
	t0 := time.Now()
	l := NewConfTokensAt(t0, ConfTokensConfig{Rate: 1000, Burst: 10})
	if got := confTokensAllowed(l, t0, 8); got != 8 {
		t.Fatalf("admitted %d of 8", got)
	}
	l.SetBurstAt(t0, 20)
	if got := confTokensAllowed(l, t0, 20); got != 2 {
		t.Fatalf("after growing the burst: %d admitted at once, want the 2 held", got)
	}
	if got := confTokensAllowed(l, t0.Add(time.Second), 30); got != 20 {
		t.Fatalf("a second later: %d admitted, want the new burst 20", got)
	}
	l.SetBurstAt(t0.Add(2*time.Second), 3)
	if got := confTokensAllowed(l, t0.Add(2*time.Second), 30); got != 3 {
		t.Fatalf("after shrinking a full bucket to 3: %d admitted, want 3", got)
	}
}

// TestConfTokensInvalidConfigPanics: NewConfTokens, SetRate and SetBurst
// panic on values out of range, as their docs say.
func TestConfTokensInvalidConfigPanics(t *testing.T) {
	l := NewConfTokens(ConfTokensConfig{})
	for name, f := range map[string]func(){
		"Rate: -1":           func() { NewConfTokens(ConfTokensConfig{Rate: -1}) },
		"Burst: -1":          func() { NewConfTokens(ConfTokensConfig{Burst: -1}) },
		"SetRate(0)":         func() { l.SetRate(0) },
		"SetBurst(0)":        func() { l.SetBurst(0) },
		"SetBurst(too many)": func() { l.SetBurst(1 << 62) },
		"Window: -1":         func() { NewConfWindow(ConfWindowConfig{Window: -1}) },
		"Limit: MaxLimit+1":  func() { NewConfWindow(ConfWindowConfig{Limit: ConfWindowMaxLimit + 1}) },
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
}

// TestConfTokensSetRateConcurrentWithAllow is the ratelimit template's test
// of the same name on the generated ConfTokens.
func TestConfTokensSetRateConcurrentWithAllow(t *testing.T) {
	l := NewConfTokens(ConfTokensConfig{Rate: 1e6, Burst: 100})
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

// TestConfWindowZeroConfigTakesDirectiveValues: a zero ConfWindowConfig is
// limit=1000 window=1m from the directive; Limit given at run time replaces
// it.
func TestConfWindowZeroConfigTakesDirectiveValues(t *testing.T) {
	t0 := time.Now()
	for _, tc := range []struct {
		cfg  ConfWindowConfig
		want int
	}{{ConfWindowConfig{}, 1000}, {ConfWindowConfig{Limit: 7}, 7}, {ConfWindowConfig{Limit: 7, Window: time.Second}, 7}} {
		l := NewConfWindowAt(t0, tc.cfg)
		got := 0
		for range 2000 {
			if l.AllowAt(t0) {
				got++
			}
		}
		if got != tc.want {
			t.Errorf("NewConfWindow(%+v): %d admitted at once, want %d", tc.cfg, got, tc.want)
		}
	}
}

// confConnsWaiters counts the Gets of p waiting at its maximum.
func confConnsWaiters(p *ConfConns) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiters)
}

// TestConfConnsZeroConfigTakesDirectiveValues: a zero ConfConnsConfig is
// max=4 idle=1m from the directive; Max given at run time replaces it.
func TestConfConnsZeroConfigTakesDirectiveValues(t *testing.T) {
	p := NewConfConns(ConfConnsConfig{})
	defer p.Close()
	if p.cfg.Max != 4 || p.cfg.Idle != time.Minute {
		t.Fatalf("zero config gave %+v, want max=4 idle=1m", p.cfg)
	}
	q := NewConfConns(ConfConnsConfig{Max: 2})
	defer q.Close()
	ctx := context.Background()
	a, _ := q.Get(ctx)
	b, _ := q.Get(ctx)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := q.Get(cctx); err == nil {
		t.Fatal("a third Get under Max 2 did not wait")
	}
	q.Put(a)
	q.Put(b)
}

// TestNewConfConnsPanicsOnInvalidConfig: a negative Max or Idle makes
// NewConfConns panic, as its doc says.
func TestNewConfConnsPanicsOnInvalidConfig(t *testing.T) {
	for _, cfg := range []ConfConnsConfig{{Max: -1}, {Idle: -time.Second}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewConfConns(%+v) did not panic", cfg)
				}
			}()
			NewConfConns(cfg).Close()
		}()
	}
}

// TestConfConnsSetMaxGrowWakesWaiters is the respool template's
// TestSetMaxGrowWakesWaiters on the generated ConfConns.
func TestConfConnsSetMaxGrowWakesWaiters(t *testing.T) {
	ctx := context.Background()
	p := NewConfConns(ConfConnsConfig{Max: 1})
	defer p.Close()
	a, _ := p.Get(ctx)
	got := make(chan *Conn, 3)
	for i := range 3 {
		go func() {
			r, err := p.Get(ctx)
			if err != nil {
				t.Error(err)
			}
			got <- r
		}()
		for confConnsWaiters(p) != i+1 {
			runtime.Gosched()
		}
	}
	p.SetMax(3)
	r1, r2 := <-got, <-got
	if r1 == a || r2 == a || r1 == r2 {
		t.Fatal("the woken Gets did not make a resource each")
	}
	if n := confConnsWaiters(p); n != 1 {
		t.Fatalf("%d Gets wait after growing from 1 to 3 under 3 waiters, want 1", n)
	}
	p.Put(a)
	if r := <-got; r != a {
		t.Fatal("the last waiter did not get the resource put back")
	}
	p.Put(a)
	p.Put(r1)
	p.Put(r2)
}

// TestConfConnsSetMaxShrinkKeepsResourcesInUse is the respool template's
// TestSetMaxShrinkKeepsResourcesInUse on the generated ConfConns: a Put
// while more than the maximum exist closes the resource, even of a pool of
// pointers, whose Puts go through the hot slots.
func TestConfConnsSetMaxShrinkKeepsResourcesInUse(t *testing.T) {
	ctx := context.Background()
	p := NewConfConns(ConfConnsConfig{Max: 4})
	defer p.Close()
	var rs []*Conn
	for range 4 {
		r, err := p.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	p.Put(rs[3])
	p.SetMax(2)
	if open, idle := p.Len(); open != 3 || idle != 0 {
		t.Fatalf("after SetMax(2) with 3 in use and 1 idle: Len = %d, %d; want 3 open, 0 idle", open, idle)
	}
	p.Put(rs[0])
	if open, _ := p.Len(); open != 2 {
		t.Fatalf("a resource put back while 3 exist under a maximum of 2 was kept: %d open", open)
	}
	p.Put(rs[1])
	p.Put(rs[2])
	if open, idle := p.Len(); open != 2 || idle != 2 {
		t.Fatalf("Len = %d open, %d idle; want 2, 2", open, idle)
	}
}

// TestConfQueueZeroConfigTakesDirectiveSize: a zero ConfQueueConfig is
// size=8 from the directive; a Size given at run time replaces it, and the
// drop-oldest policy works on the ring of that size.
func TestConfQueueZeroConfigTakesDirectiveSize(t *testing.T) {
	if got := NewConfQueue(ConfQueueConfig{}).Cap(); got != 8 {
		t.Fatalf("zero config: Cap = %d, want size=8", got)
	}
	q := NewConfQueue(ConfQueueConfig{Size: 16})
	ctx := context.Background()
	for i := range 17 {
		if err := q.Push(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if q.Cap() != 16 || q.Len() != 16 {
		t.Fatalf("Cap, Len = %d, %d after 17 pushes into Size 16; want 16, 16", q.Cap(), q.Len())
	}
	for want := 1; want <= 16; want++ {
		if v, ok := q.TryPop(); !ok || v != want {
			t.Fatalf("TryPop = %d, %v; want %d (the oldest, 0, dropped)", v, ok, want)
		}
	}
}

// TestNewConfQueuePanicsOnInvalidSize: a Size that is not a power of two
// from 2 to 1<<30 makes NewConfQueue panic, as its doc says.
func TestNewConfQueuePanicsOnInvalidSize(t *testing.T) {
	for _, n := range []int{-1, 1, 3, 1000, 1 << 31} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewConfQueue(Size: %d) did not panic", n)
				}
			}()
			NewConfQueue(ConfQueueConfig{Size: n})
		}()
	}
}

// TestConfBatcherSizeFromConfig: a zero ConfBatcherConfig hands over
// batches of size=4 from the directive; a Size given at run time replaces
// it.
func TestConfBatcherSizeFromConfig(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		cfg  ConfBatcherConfig
		want int
	}{{ConfBatcherConfig{}, 4}, {ConfBatcherConfig{Size: 3}, 3}} {
		var mu sync.Mutex
		var sizes []int
		b := NewConfBatcher(func(_ context.Context, items []int) error {
			mu.Lock()
			sizes = append(sizes, len(items))
			mu.Unlock()
			return nil
		}, nil, tc.cfg)
		for i := range 2 * tc.want {
			if err := b.Add(ctx, i); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if len(sizes) != 2 || sizes[0] != tc.want || sizes[1] != tc.want {
			t.Errorf("NewConfBatcher(%+v): batches of %v, want two of %d", tc.cfg, sizes, tc.want)
		}
	}
}

// TestNewConfBatcherPanicsOnInvalidConfig: a negative Size or Flush makes
// NewConfBatcher panic, as its doc says.
func TestNewConfBatcherPanicsOnInvalidConfig(t *testing.T) {
	for _, cfg := range []ConfBatcherConfig{{Size: -1}, {Flush: -time.Second}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewConfBatcher(%+v) did not panic", cfg)
				}
			}()
			NewConfBatcher(func(context.Context, []int) error { return nil }, nil, cfg)
		}()
	}
}

// TestConfPoolZeroConfigTakesDirectiveValues: a zero ConfPoolConfig is
// workers=2 queue=16 from the directive; Workers and Queue given at run
// time replace them, the queue rounded up to a power of two.
func TestConfPoolZeroConfigTakesDirectiveValues(t *testing.T) {
	for _, tc := range []struct {
		cfg     ConfPoolConfig
		workers int
		slots   int
	}{{ConfPoolConfig{}, 2, 16}, {ConfPoolConfig{Workers: 3, Queue: 50}, 3, 64}} {
		p := NewConfPool(nil, tc.cfg)
		p.life.Lock()
		workers := len(p.workers)
		p.life.Unlock()
		if workers != tc.workers || len(p.q.slots) != tc.slots {
			t.Errorf("NewConfPool(%+v): %d workers, %d slots; want %d, %d", tc.cfg, workers, len(p.q.slots), tc.workers, tc.slots)
		}
		outs, err := p.Map(context.Background(), []int{1, 2, 3})
		if err != nil || len(outs) != 3 || outs[2] != 6 {
			t.Errorf("Map = %v, %v; want [2 4 6]", outs, err)
		}
		p.Close()
	}
}

// TestNewConfPoolPanicsOnNegativeConfig: a negative Workers or Queue makes
// NewConfPool panic, as its doc says.
func TestNewConfPoolPanicsOnNegativeConfig(t *testing.T) {
	for _, cfg := range []ConfPoolConfig{{Workers: -1}, {Queue: -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewConfPool(%+v) did not panic", cfg)
				}
			}()
			NewConfPool(nil, cfg).Close()
		}()
	}
}
