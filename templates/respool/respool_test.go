package respool_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/templates/respool"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// resource is a fake connection that knows whether it is in use and closed.
type resource struct {
	id     int
	inUse  atomic.Bool
	closed atomic.Bool
	broken atomic.Bool
}

// factory makes resources and counts what happens to them.
type factory struct {
	made, closedN atomic.Int64
	failNext      atomic.Bool
}

var errDial = errors.New("dial failed")

func (f *factory) newRes(context.Context) (*resource, error) {
	if f.failNext.Swap(false) {
		return nil, errDial
	}
	return &resource{id: int(f.made.Add(1))}, nil
}

func (f *factory) closeRes(r *resource) {
	if r.closed.Swap(true) {
		panic("resource closed twice")
	}
	f.closedN.Add(1)
}

func check(r *resource) error {
	if r.broken.Load() {
		return errors.New("broken")
	}
	return nil
}

func newPool(f *factory, max int) *respool.Pool[*resource] {
	return respool.New(f.newRes, f.closeRes, check, respool.Config{Max: max})
}

func TestReusesMostRecentlyPut(t *testing.T) {
	ctx := context.Background()
	var f factory
	p := newPool(&f, 4)
	defer p.Close()
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	p.Put(a)
	p.Put(b)
	if open, idle := p.Len(); open != 2 || idle != 2 {
		t.Fatalf("Len() = %d, %d; want 2, 2", open, idle)
	}
	if got, _ := p.Get(ctx); got != b {
		t.Fatalf("Get returned resource %d, want the last put back (%d)", got.id, b.id)
	}
	if f.made.Load() != 2 {
		t.Fatalf("made %d resources, want 2", f.made.Load())
	}
}

func TestGetWaitsAtMax(t *testing.T) {
	ctx := context.Background()
	var f factory
	p := newPool(&f, 1)
	defer p.Close()
	a, _ := p.Get(ctx)
	got := make(chan *resource)
	go func() {
		r, err := p.Get(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	select {
	case r := <-got:
		t.Fatalf("Get at Max returned %v before any Put", r)
	default:
	}
	p.Put(a)
	if r := <-got; r != a {
		t.Fatalf("waiting Get returned %v, want the resource put back", r)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Get(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get at Max with a cancelled context = %v", err)
	}
	// Discard makes room: the waiting Get makes a new resource.
	go func() {
		r, err := p.Get(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	p.Discard(a)
	if r := <-got; r == a || r.id != 2 {
		t.Fatalf("Get after Discard returned %d, want a new resource", r.id)
	}
	if !a.closed.Load() {
		t.Fatal("Discard did not close the resource")
	}
}

func TestFailingCheckReplaces(t *testing.T) {
	ctx := context.Background()
	var f factory
	p := newPool(&f, 2)
	defer p.Close()
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	p.Put(a)
	p.Put(b)
	b.broken.Store(true)
	a.broken.Store(true)
	r, err := p.Get(ctx)
	if err != nil || r == a || r == b {
		t.Fatalf("Get = %v, %v; want a new resource", r, err)
	}
	if !a.closed.Load() || !b.closed.Load() {
		t.Fatal("resources that failed the check were not closed")
	}
	if open, idle := p.Len(); open != 1 || idle != 0 {
		t.Fatalf("Len() = %d, %d; want 1, 0", open, idle)
	}
}

func TestNewErrorFreesTheSlot(t *testing.T) {
	ctx := context.Background()
	var f factory
	p := newPool(&f, 1)
	defer p.Close()
	f.failNext.Store(true)
	if _, err := p.Get(ctx); err != errDial {
		t.Fatalf("Get = %v, want errDial", err)
	}
	if r, err := p.Get(ctx); err != nil || r == nil {
		t.Fatalf("Get after a failed make = %v, %v", r, err)
	}
}

func TestIdleEviction(t *testing.T) {
	ctx := context.Background()
	var f factory
	p := respool.NewManual(f.newRes, f.closeRes, check, respool.Config{Max: 4, Idle: time.Minute})
	defer p.Close()
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	p.Put(a) // before tick 1
	p.Tick()
	p.Put(b) // between ticks 1 and 2
	p.Tick()
	if a.closed.Load() || b.closed.Load() {
		t.Fatal("evicted after 2 ticks, when it may have idled only Idle/2")
	}
	p.Tick()
	if !a.closed.Load() || b.closed.Load() {
		t.Fatalf("after tick 3: a closed %v, b closed %v; want true, false", a.closed.Load(), b.closed.Load())
	}
	p.Tick()
	if !b.closed.Load() {
		t.Fatal("b not evicted at its third tick")
	}
	if open, idle := p.Len(); open != 0 || idle != 0 {
		t.Fatalf("Len() = %d, %d; want 0, 0", open, idle)
	}
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	var f factory
	p := newPool(&f, 2)
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	errs := make(chan error)
	go func() {
		_, err := p.Get(ctx) // waits at Max
		errs <- err
	}()
	for p.Waiters() == 0 {
		runtime.Gosched()
	}
	p.Close()
	if err := <-errs; err != respool.ErrClosed {
		t.Fatalf("waiting Get after Close = %v", err)
	}
	if _, err := p.Get(ctx); err != respool.ErrClosed {
		t.Fatalf("Get after Close = %v", err)
	}
	if f.closedN.Load() != 0 {
		t.Fatal("Close closed resources in use")
	}
	p.Put(a)
	p.Put(b)
	p.Close()
	if f.made.Load() != f.closedN.Load() {
		t.Fatalf("made %d, closed %d", f.made.Load(), f.closedN.Load())
	}
}

// TestStress runs Gets, Puts, Discards and failing checks concurrently and
// checks that no resource is handed to two users at once, that at most Max
// exist, and that Close plus the last Puts close every one.
func TestStress(t *testing.T) {
	const max, workers, ops = 3, 6, 2000
	ctx := context.Background()
	var f factory
	var live atomic.Int64
	newRes := func(ctx context.Context) (*resource, error) {
		if n := live.Add(1); n > max {
			t.Errorf("%d resources exist, Max is %d", n, max)
		}
		return f.newRes(ctx)
	}
	closeRes := func(r *resource) {
		live.Add(-1)
		f.closeRes(r)
	}
	p := respool.NewManual(newRes, closeRes, check, respool.Config{Max: max, Idle: time.Minute})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 0))
			for range ops {
				cctx, cancel := context.WithCancel(ctx)
				if rng.IntN(10) == 0 {
					cancel()
				}
				r, err := p.Get(cctx)
				cancel()
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						t.Error(err)
					}
					continue
				}
				if r.inUse.Swap(true) || r.closed.Load() {
					t.Errorf("resource %d handed out while in use or closed", r.id)
				}
				switch rng.IntN(20) {
				case 0:
					p.Tick()
				case 1:
					r.broken.Store(true)
				}
				r.inUse.Store(false)
				if rng.IntN(10) == 0 {
					p.Discard(r)
				} else {
					p.Put(r)
				}
			}
		})
	}
	wg.Wait()
	p.Close()
	if f.made.Load() != f.closedN.Load() || live.Load() != 0 {
		t.Fatalf("made %d, closed %d, live %d", f.made.Load(), f.closedN.Load(), live.Load())
	}
}

// TestCloseWhileInUse closes the pool while Gets and Puts race through the
// hot slot, and checks that every resource made is closed exactly once: none
// stays behind in the slot, none is handed out after Close.
func TestCloseWhileInUse(t *testing.T) {
	const max, workers = 4, 6
	for round := range 20 {
		ctx := context.Background()
		var f factory
		p := newPool(&f, max)
		var wg sync.WaitGroup
		var gets atomic.Int64
		for range workers {
			wg.Go(func() {
				for {
					r, err := p.Get(ctx)
					if err == respool.ErrClosed {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					if r.closed.Load() {
						t.Errorf("round %d: closed resource %d handed out", round, r.id)
					}
					gets.Add(1)
					p.Put(r)
				}
			})
		}
		for gets.Load() < int64(100*(round+1)) {
			runtime.Gosched()
		}
		p.Close()
		wg.Wait()
		if open, idle := p.Len(); open != 0 || idle != 0 {
			t.Fatalf("round %d: after Close, Len() = %d, %d; want 0, 0", round, open, idle)
		}
		if f.made.Load() != f.closedN.Load() {
			t.Fatalf("round %d: made %d, closed %d", round, f.made.Load(), f.closedN.Load())
		}
	}
}

// TestHotSlotsStress runs more goroutines than there are hot slots against
// a pool whose Max exceeds the slots, so that Puts fill every slot, displace
// older resources and spill onto the stack, while Gets wait at Max (each
// goroutine sometimes holds two resources), give up on cancelled contexts,
// evict and discard. When the goroutines stop, every resource made must be
// idle or closed; then a second round races Gets and Puts with Close, after
// which every resource made must be closed exactly once.
func TestHotSlotsStress(t *testing.T) {
	const max, workers, ops = 40, 24, 1500
	var f factory
	// live counts the resources made and not closed: at most Max, since a
	// resource counts until its close function has returned.
	var live atomic.Int64
	newRes := func(ctx context.Context) (*resource, error) {
		if n := live.Add(1); n > max {
			t.Errorf("%d resources exist, Max is %d", n, max)
		}
		return f.newRes(ctx)
	}
	closeRes := func(r *resource) {
		live.Add(-1)
		f.closeRes(r)
	}
	p := respool.NewManual(newRes, closeRes, check, respool.Config{Max: max, Idle: time.Minute})
	take := func(ctx context.Context) (*resource, error) {
		r, err := p.Get(ctx)
		if err == nil && (r.inUse.Swap(true) || r.closed.Load()) {
			t.Errorf("resource %d handed out while in use or closed", r.id)
		}
		return r, err
	}
	give := func(rng *rand.Rand, r *resource) {
		r.inUse.Store(false)
		switch rng.IntN(30) {
		case 0:
			p.Discard(r)
		case 1:
			r.broken.Store(true)
			p.Put(r)
		default:
			p.Put(r)
		}
	}
	// work does ops rounds of Get and Put (two Gets in one round in ten),
	// or stops at ErrClosed.
	work := func(seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 1))
		for range ops {
			r, err := take(context.Background())
			if err != nil {
				if err != respool.ErrClosed {
					t.Error(err)
				}
				return
			}
			if rng.IntN(10) == 0 {
				ctx, cancel := context.WithCancel(context.Background())
				if rng.IntN(2) == 0 {
					cancel()
				}
				r2, err := take(ctx)
				cancel()
				switch {
				case err == nil:
					give(rng, r2)
				case !errors.Is(err, context.Canceled) && err != respool.ErrClosed:
					t.Error(err)
				}
			}
			if rng.IntN(200) == 0 {
				p.Tick()
			}
			give(rng, r)
		}
	}

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { work(uint64(w)) })
	}
	wg.Wait()
	open, idle := p.Len()
	if open != idle || int64(open) != live.Load() || int64(open) != f.made.Load()-f.closedN.Load() {
		t.Fatalf("at rest: Len() = %d, %d; live %d, made %d, closed %d; want every live resource idle",
			open, idle, live.Load(), f.made.Load(), f.closedN.Load())
	}

	var gets atomic.Int64
	for w := range workers {
		wg.Go(func() {
			work(uint64(w + workers))
			gets.Add(1)
		})
	}
	for gets.Load() == 0 {
		runtime.Gosched()
	}
	p.Close()
	wg.Wait()
	if open, idle := p.Len(); open != 0 || idle != 0 {
		t.Fatalf("after Close, Len() = %d, %d; want 0, 0", open, idle)
	}
	if live.Load() != 0 || f.made.Load() != f.closedN.Load() {
		t.Fatalf("after Close: live %d, made %d, closed %d", live.Load(), f.made.Load(), f.closedN.Load())
	}
}

// TestMaxCountsResourceUntilClosed checks that a resource counts toward Max,
// and in Len, until its close function has returned, whichever path closes
// it. With Max 1 and the close of the only resource held open by the test, a
// Get must wait for the close instead of making a second resource.
func TestMaxCountsResourceUntilClosed(t *testing.T) {
	const max = 1
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// open says whether the pool stays open, so that a Get could make
		// a resource while r closes.
		open bool
		// closeIt makes the pool close r, which it holds from Get. It
		// returns what the pool handed out meanwhile, to put back.
		closeIt func(p *respool.Pool[*resource], r *resource) *resource
	}{
		{"evict", true, func(p *respool.Pool[*resource], r *resource) *resource {
			p.Put(r)
			for range 3 { // idleTicksToEvict
				p.Tick()
			}
			return nil
		}},
		{"discard", true, func(p *respool.Pool[*resource], r *resource) *resource {
			p.Discard(r)
			return nil
		}},
		{"check", true, func(p *respool.Pool[*resource], r *resource) *resource {
			r.broken.Store(true)
			p.Put(r)
			r2, err := p.Get(ctx) // closes r, then makes a replacement
			if err != nil {
				t.Error(err)
			}
			return r2
		}},
		{"close", false, func(p *respool.Pool[*resource], r *resource) *resource {
			p.Put(r)
			p.Close()
			return nil
		}},
		{"put after close", false, func(p *respool.Pool[*resource], r *resource) *resource {
			p.Close()
			p.Put(r)
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var live atomic.Int64
			closing := make(chan struct{}, 1) // a close function started
			release := make(chan struct{})    // lets the close functions return
			var releaseOnce sync.Once
			releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
			newRes := func(context.Context) (*resource, error) {
				if n := live.Add(1); n > max {
					t.Errorf("%d resources exist, Max is %d", n, max)
				}
				return &resource{}, nil
			}
			closeRes := func(r *resource) {
				select {
				case closing <- struct{}{}:
				default:
				}
				<-release
				live.Add(-1)
			}
			p := respool.NewManual(newRes, closeRes, check, respool.Config{Max: max, Idle: time.Minute})
			r, err := p.Get(ctx)
			if err != nil {
				t.Fatal(err)
			}

			var wg sync.WaitGroup
			defer wg.Wait()
			defer releaseAll()
			closed := make(chan *resource, 1)
			wg.Go(func() { closed <- tc.closeIt(p, r) })
			<-closing

			// r is closing: it still exists.
			if open, _ := p.Len(); open != 1 {
				t.Errorf("Len() open = %d while the close function runs, want 1", open)
			}
			got := make(chan *resource, 1)
			if tc.open {
				wg.Go(func() {
					r, err := p.Get(ctx)
					if err != nil {
						t.Error(err)
					}
					got <- r
				})
				for p.Waiters() == 0 {
					select {
					case r := <-got:
						releaseAll()
						if r2 := <-closed; r2 != nil {
							p.Put(r2)
						}
						p.Put(r)
						p.Close()
						t.Fatalf("Get returned a resource while the close function of the only one ran (Max %d)", max)
					default:
						runtime.Gosched()
					}
				}
			}

			// Once r is closed the waiting Get makes a resource. In the
			// check case so does the Get that closed r, and one of the two
			// waits for the other's Put.
			releaseAll()
			results := 1
			if tc.open {
				results = 2
			}
			for range results {
				var r *resource
				select {
				case r = <-closed:
				case r = <-got:
				}
				if r != nil {
					p.Put(r)
				}
			}
			p.Close()
			if open, idle := p.Len(); open != 0 || idle != 0 || live.Load() != 0 {
				t.Fatalf("after Close: Len() = %d, %d, live %d; want 0, 0, 0", open, idle, live.Load())
			}
		})
	}
}

// TestGetReturnsCtxErrWhenCanceledAsWoken checks that a Get waiting at Max
// whose context is cancelled before a Put wakes it fails with ctx.Err(), even
// when both have happened by the time it looks, and passes the wake-up on:
// the resource stays idle for the next Get. Here both happen between
// queueing and waiting, so a wait that picks either at random succeeds half
// the time: every iteration must fail.
func TestGetReturnsCtxErrWhenCanceledAsWoken(t *testing.T) {
	bg := context.Background()
	var f factory
	p := newPool(&f, 1)
	defer p.Close()
	for i := range 64 {
		r, err := p.Get(bg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(bg)
		err = p.WaitQueued(ctx, func() {
			cancel()
			p.Put(r) // wakes the queued Get
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("iteration %d: Get cancelled before its wake-up = %v, want context.Canceled", i, err)
		}
		if n := p.Waiters(); n != 0 {
			t.Fatalf("iteration %d: %d Gets still queued", i, n)
		}
		if open, idle := p.Len(); open != 1 || idle != 1 {
			t.Fatalf("iteration %d: Len() = %d, %d; want 1, 1", i, open, idle)
		}
	}
	if f.made.Load() != 1 {
		t.Fatalf("made %d resources, want 1", f.made.Load())
	}
}

// TestShortestIdleEvicts: idle=1ns makes an eviction period of Idle/2 = 0,
// which time.NewTicker rejects with a panic; the period must be at least
// 1ns, and eviction work as for any Idle.
func TestShortestIdleEvicts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &factory{}
		p := respool.New(f.newRes, f.closeRes, check, respool.Config{Max: 2, Idle: time.Nanosecond})
		defer p.Close()
		r, err := p.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		p.Put(r)
		time.Sleep(time.Microsecond) // fake time: a thousand ticks
		synctest.Wait()
		if n := f.closedN.Load(); n != 1 {
			t.Fatalf("%d resources closed after idling a microsecond, want 1", n)
		}
	})
}

// TestMaxLifeClosesOldResourcesOnGetAndPut ages a resource past MaxLife
// while it is idle, then while it is in use: Get closes it instead of
// returning it, and Put closes it instead of keeping it.
func TestMaxLifeClosesOldResourcesOnGetAndPut(t *testing.T) {
	f := &factory{}
	p := respool.NewManual(f.newRes, f.closeRes, check, respool.Config{Max: 2, MaxLife: time.Hour, Idle: time.Hour})
	defer p.Close()
	ctx := context.Background()
	r1, _ := p.Get(ctx)
	p.Put(r1)
	if r, _ := p.Get(ctx); r != r1 {
		t.Fatal("a young resource was not reused")
	} else {
		p.Put(r)
	}

	p.Age(time.Hour + time.Second) // r1 is idle
	r2, err := p.Get(ctx)
	if err != nil || r2 == r1 || !r1.closed.Load() {
		t.Fatalf("Get after MaxLife: got resource %d (err %v), resource 1 closed %v; want a new one and 1 closed", r2.id, err, r1.closed.Load())
	}

	p.Age(time.Hour + time.Second) // r2 is in use
	p.Put(r2)
	if !r2.closed.Load() {
		t.Fatal("Put kept a resource older than MaxLife")
	}
	if open, idle := p.Len(); open != 0 || idle != 0 {
		t.Fatalf("Len() = %d, %d; want 0, 0", open, idle)
	}
	if f.made.Load() != 2 || f.closedN.Load() != 2 {
		t.Fatalf("made %d, closed %d; want 2 and 2", f.made.Load(), f.closedN.Load())
	}
}

// TestMaxLifeAgesEqualResourcesAsTheOldest: resources that == compares
// equal cannot be told apart, so they take the age of the oldest of them and
// none is reused past MaxLife. Before, making the second overwrote the first
// one's age, and the first was reused at 70s with MaxLife a minute.
func TestMaxLifeAgesEqualResourcesAsTheOldest(t *testing.T) {
	var made, closed atomic.Int64
	newFn := func(context.Context) (int, error) { made.Add(1); return 7, nil }
	closeFn := func(int) { closed.Add(1) }
	p := respool.NewManual(newFn, closeFn, nil, respool.Config{Max: 2, MaxLife: time.Minute, Idle: time.Hour})
	defer p.Close()
	ctx := context.Background()
	a, _ := p.Get(ctx) // made at 0s
	p.Age(50 * time.Second)
	b, _ := p.Get(ctx) // made at 50s, equal to a
	p.Put(a)
	p.Put(b)
	if closed.Load() != 0 {
		t.Fatalf("%d closed at 50s; want none: neither resource is a minute old", closed.Load())
	}

	p.Age(20 * time.Second) // a is 70s old, b 20s
	r, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if closed.Load() != 2 || made.Load() != 3 {
		t.Fatalf("Get at 70s: %d closed, %d made; want both old ones closed (either may be the one made at 0s) and a third made", closed.Load(), made.Load())
	}
	// The new one has an age of its own: it is reused until a minute
	// after it was made.
	p.Put(r)
	p.Age(50 * time.Second)
	r, _ = p.Get(ctx)
	if closed.Load() != 2 || made.Load() != 3 {
		t.Fatalf("Get 50s after the third was made: %d closed, %d made; want it reused", closed.Load(), made.Load())
	}
	p.Put(r)
	if open, idle := p.Len(); open != 1 || idle != 1 {
		t.Fatalf("Len() = %d, %d; want 1, 1", open, idle)
	}
}

// eventually polls cond, yielding, until it holds or ten seconds pass: for
// what a background goroutine does, which no channel of the test reports.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after 10s", what)
		}
		runtime.Gosched()
	}
}

// TestMinIdleKeepsWarm checks that the warmer fills the pool to MinIdle idle
// resources, refills it after Gets, never makes more than Max, and stops at
// Close (TestMain's goleak finds a goroutine left behind).
func TestMinIdleKeepsWarm(t *testing.T) {
	f := &factory{}
	var live, most atomic.Int64
	newRes := func(ctx context.Context) (*resource, error) {
		n := live.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		return f.newRes(ctx)
	}
	closeRes := func(r *resource) { live.Add(-1); f.closeRes(r) }
	p := respool.New(newRes, closeRes, nil, respool.Config{Max: 3, MinIdle: 2})
	idleIs := func(n int) func() bool { return func() bool { _, idle := p.Len(); return idle == n } }
	eventually(t, "2 idle after New", idleIs(2))

	ctx := context.Background()
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	// Two in use: the warmer may make one more, the third, and no more.
	eventually(t, "3 open after 2 Gets", func() bool { open, _ := p.Len(); return open == 3 })
	c, _ := p.Get(ctx)
	p.Put(a)
	p.Put(b)
	p.Put(c)
	eventually(t, "3 idle after the Puts", idleIs(3))
	if most.Load() > 3 {
		t.Fatalf("%d resources existed at once; Max is 3", most.Load())
	}
	p.Close()
	if live.Load() != 0 {
		t.Fatalf("%d resources left open after Close", live.Load())
	}
}

// TestCloseStopsWarmerMakingResource closes the pool while the warmer is
// blocked making a resource: Close cancels its context and waits for it.
func TestCloseStopsWarmerMakingResource(t *testing.T) {
	started := make(chan struct{})
	newRes := func(ctx context.Context) (*resource, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	p := respool.New(newRes, nil, nil, respool.Config{Max: 2, MinIdle: 1})
	<-started
	p.Close()
	if open, idle := p.Len(); open != 0 || idle != 0 {
		t.Fatalf("Len() = %d, %d after Close; want 0, 0", open, idle)
	}
}

// TestStatsCountsGets checks each acquire counter: a Get that returns a
// resource, one that waits and is canceled, one that waits and times out,
// and one that waits and gets a resource.
func TestStatsCountsGets(t *testing.T) {
	f := &factory{}
	p := respool.New(f.newRes, f.closeRes, nil, respool.Config{Max: 1, Metrics: true})
	defer p.Close()
	r, _ := p.Get(context.Background())

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Get(canceled); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get at Max with a canceled context: %v", err)
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := p.Get(expired); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get at Max with an expired context: %v", err)
	}
	got := make(chan *resource)
	go func() {
		r, _ := p.Get(context.Background())
		got <- r
	}()
	for p.Waiters() == 0 {
		runtime.Gosched()
	}
	p.Put(r)
	p.Put(<-got)
	st := p.Stats()
	if st.Gets != 2 || st.Waits != 3 || st.Canceled != 1 || st.TimedOut != 1 || st.WaitTime.Count != 3 || st.WaitTime.Sum <= 0 || st.Open != 1 || st.Idle != 1 {
		t.Fatalf("Stats() = %+v; want 2 Gets, 3 Waits, 1 Canceled, 1 TimedOut, 3 timed waits, 1 open and idle", st)
	}
}

// TestIdleEvictionKeepsMinIdle ticks idle eviction past the idle time: the
// resources beyond MinIdle are closed, MinIdle of them stay.
func TestIdleEvictionKeepsMinIdle(t *testing.T) {
	f := &factory{}
	p := respool.NewManual(f.newRes, f.closeRes, nil, respool.Config{Max: 3, MinIdle: 1, Idle: time.Minute})
	defer p.Close()
	eventually(t, "one warm resource", func() bool { _, idle := p.Len(); return idle == 1 })
	ctx := context.Background()
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	p.Put(a)
	p.Put(b)
	eventually(t, "all idle", func() bool { open, idle := p.Len(); return idle == open && open >= 2 })
	for range 4 {
		p.Tick()
	}
	if open, idle := p.Len(); open != 1 || idle != 1 {
		t.Fatalf("after eviction: %d open, %d idle; want MinIdle=1 kept", open, idle)
	}
}
