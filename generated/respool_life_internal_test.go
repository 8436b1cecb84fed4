package generated

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// waitFor polls cond, yielding, until it holds or ten seconds pass: for
// what the warmer goroutine does, which nothing of the test reports.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after 10s", what)
		}
		runtime.Gosched()
	}
}

// TestLifeConnsMaxLifeMinIdleAndStats runs the generated LifeConns
// (max=3 maxlife=1h minidle=1 metrics=true): the warmer keeps one
// connection idle, a connection older than an hour is closed by Get and by
// Put instead of being reused, and Stats counts the Gets. Its clock is
// moved by shifting the pool's epoch.
func TestLifeConnsMaxLifeMinIdleAndStats(t *testing.T) {
	LifeStats = ConnStats{}
	p := NewLifeConns()
	idle := func(n int) func() bool { return func() bool { _, i := p.Len(); return i == n } }
	waitFor(t, "one warm connection", idle(1))

	ctx := context.Background()
	c1, err := p.Get(ctx) // the warm one
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "warm again after a Get", idle(1))
	p.Put(c1)
	waitFor(t, "two idle", idle(2))

	p.epoch = p.epoch.Add(-2 * time.Hour) // every connection is now too old
	c2, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Closed {
		t.Fatal("Get returned a closed connection")
	}
	if _, closed, _ := LifeStats.Counts(); closed == 0 {
		t.Fatal("Get reused connections older than maxlife=1h")
	}
	// The warmer, woken by the closes, has made its one idle connection:
	// it reads the epoch no more.
	waitFor(t, "warm again after the closes", idle(1))
	p.epoch = p.epoch.Add(-2 * time.Hour) // c2 too
	p.Put(c2)
	if !c2.Closed {
		t.Fatal("Put kept a connection older than maxlife=1h")
	}
	if st := p.Stats(); st.Gets != 2 || st.Open > 3 {
		t.Fatalf("Stats() = %+v; want 2 Gets, at most 3 open", st)
	}
	p.Close()
	if open, _ := p.Len(); open != 0 {
		t.Fatalf("%d connections open after Close", open)
	}
	dialed, closed, _ := LifeStats.Counts()
	if dialed != closed {
		t.Fatalf("dialed %d, closed %d", dialed, closed)
	}
}

// TestLifeHandlesMaxLife runs maxlife=1m on a pool of handles, which are
// told apart by hashing: a handle aged past a minute is not reused.
func TestLifeHandlesMaxLife(t *testing.T) {
	p := NewLifeHandles()
	defer p.Close()
	ctx := context.Background()
	h1, _ := p.Get(ctx)
	p.Put(h1)
	if h, _ := p.Get(ctx); h != h1 {
		t.Fatalf("got handle %d, want %d reused", h, h1)
	} else {
		p.Put(h)
	}
	p.epoch = p.epoch.Add(-2 * time.Minute)
	if h, _ := p.Get(ctx); h == h1 {
		t.Fatal("a handle older than maxlife=1m was reused")
	}
}

// TestLifeHandlesAgesEqualHandlesAsTheOldest: two equal handles, made 50s
// apart, cannot be told apart by the pool; at 70s neither is reused, since
// either may be the one older than maxlife=1m. Before, the second one made
// overwrote the first one's age, and Get reused a handle 70s old.
func TestLifeHandlesAgesEqualHandlesAsTheOldest(t *testing.T) {
	p := NewLifeHandles()
	defer p.Close()
	ctx := context.Background()
	a, _ := p.Get(ctx)
	p.epoch = p.epoch.Add(-50 * time.Second)
	lastHandle.Store(int64(a) - 1) // openHandle makes a again
	b, _ := p.Get(ctx)
	if b != a {
		t.Fatalf("made handle %d, want %d again", b, a)
	}
	p.Put(a)
	p.Put(b)
	p.epoch = p.epoch.Add(-20 * time.Second) // one is 70s old, the other 20s
	lastHandle.Store(int64(a))               // the next handle made is new
	h, _ := p.Get(ctx)
	if h == a {
		t.Fatalf("Get returned handle %d: one of the two equal handles is 70s old, past maxlife=1m", h)
	}
	p.Put(h)
}
