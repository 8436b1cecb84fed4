package generated_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/keyedbrk"
)

// perHostErr maps PerHost's errors to the template's, to compare them.
func perHostErr(err error) error {
	switch {
	case errors.Is(err, generated.ErrPerHostOpen):
		return keyedbrk.ErrOpen
	case errors.Is(err, generated.ErrPerHostTooManyProbes):
		return keyedbrk.ErrTooManyProbes
	case errors.Is(err, generated.ErrPerHostTooManyKeys):
		return keyedbrk.ErrTooManyKeys
	}
	return err
}

// TestPerHostMatchesTemplate runs random calls, failing or not, on random
// hosts against PerHost and the template with PerHost's options, with time
// passing and sweeps: every answer, every state, every Stats and every Len
// must agree.
// The hosts outnumber keys=64, so full maps and evictions are played too.
func TestPerHostMatchesTemplate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := generated.NewPerHost()
		tpl := keyedbrk.New(generated.HostOf, generated.CallHost, nil, keyedbrk.Config{
			Failures: 3, Window: time.Minute, Cooldown: time.Hour, HalfOpen: 1, Buckets: 10, Idle: 50 * time.Millisecond, Keys: 64,
		})
		ctx := context.Background()
		r := rand.New(rand.NewPCG(1, 2))
		for i := range 20000 {
			switch n := r.IntN(100); {
			case n < 2:
				time.Sleep(time.Duration(r.IntN(int(2 * time.Minute))))
			case n < 4:
				g.Sweep()
				tpl.Sweep()
			default:
				c := generated.Call{Host: fmt.Sprint("h", r.IntN(100)), Fail: r.IntN(4) == 0}
				gr, gerr := g.Execute(ctx, c)
				tr, terr := tpl.Execute(ctx, c)
				if gr != tr || perHostErr(gerr) != terr {
					t.Fatalf("call %d on %s: PerHost %q, %v; template %q, %v", i, c.Host, gr, gerr, tr, terr)
				}
				if gs, ts := g.State(c.Host), tpl.State(c.Host); uint32(gs) != uint32(ts) {
					t.Fatalf("call %d: State(%s) = %v, template %v", i, c.Host, gs, ts)
				}
				if gs, ts := g.Stats(c.Host), tpl.Stats(c.Host); uint32(gs.State) != uint32(ts.State) || gs.Successes != ts.Successes ||
					gs.Failures != ts.Failures || gs.Rejected != ts.Rejected || gs.Transitions != ts.Transitions {
					t.Fatalf("call %d: Stats(%s) = %+v, template %+v", i, c.Host, gs, ts)
				}
			}
			if g.Len() != tpl.Len() {
				t.Fatalf("step %d: Len = %d, template %d", i, g.Len(), tpl.Len())
			}
		}
	})
}

// TestPerHostEvictionNeverResetsAKeyInUse sweeps PerHost, hours after the
// last call, holding an open host, a host with a call in flight, a closed
// host with a failure in its window and an idle host: only the idle host is
// evicted, and the others keep their state and counts.
func TestPerHostEvictionNeverResetsAKeyInUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := generated.NewPerHost()
		ctx := context.Background()
		call := func(host string, fail bool) error {
			_, err := b.Execute(ctx, generated.Call{Host: host, Fail: fail})
			return err
		}
		for range 3 {
			_ = call("open", true)
		}
		_ = call("idle", false)
		wait := make(chan struct{})
		done := make(chan error)
		go func() {
			_, err := b.Execute(ctx, generated.Call{Host: "inflight", Fail: true, Wait: wait})
			done <- err
		}()
		synctest.Wait()
		// The first sweep sees the calls made since the hosts were
		// created, and puts the idle host's success in its window.
		time.Sleep(time.Second)
		b.Sweep()
		// A minute later the success has left the window, and a failure
		// enters that of "failed", which the next sweep sees.
		time.Sleep(61 * time.Second)
		_ = call("failed", true)
		time.Sleep(time.Second)
		b.Sweep()
		// The last sweep finds "failed" without a call for a second, but
		// with its failure in the window.
		time.Sleep(time.Second)
		b.Sweep()
		if b.Len() != 3 {
			t.Fatalf("Len = %d after the sweeps, want 3: only the idle host may go", b.Len())
		}
		if b.State("open") != generated.PerHostStateOpen {
			t.Fatalf("open host is %v after the sweeps", b.State("open"))
		}
		if err := call("open", false); !errors.Is(err, generated.ErrPerHostOpen) {
			t.Fatalf("open host after the sweeps: %v, want ErrPerHostOpen", err)
		}
		// Two more failures within the minute trip "failed".
		_ = call("failed", true)
		_ = call("failed", true)
		if b.State("failed") != generated.PerHostStateOpen {
			t.Fatal("the failure in the window was lost to a sweep")
		}
		// Hours pass with the call in flight: sweeps keep its host.
		time.Sleep(3 * time.Hour)
		b.Sweep()
		time.Sleep(time.Hour)
		b.Sweep()
		close(wait)
		if err := <-done; !errors.Is(err, generated.ErrHostDown) {
			t.Fatalf("the call in flight: %v", err)
		}
		_ = call("inflight", true)
		_ = call("inflight", true)
		if b.State("inflight") != generated.PerHostStateOpen {
			t.Fatal("the failure of the call in flight was lost to a sweep")
		}
	})
}

// TestPerHostRefusesNewHostsWhenFull fills keys=64 with open hosts: a new
// host's call is rejected with ErrPerHostTooManyKeys, without a call, until
// a host closes and its window empties.
func TestPerHostRefusesNewHostsWhenFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := generated.NewPerHost()
		ctx := context.Background()
		for i := range 64 {
			for range 3 {
				_, _ = b.Execute(ctx, generated.Call{Host: fmt.Sprint(i), Fail: true})
			}
		}
		if _, err := b.Execute(ctx, generated.Call{Host: "new"}); !errors.Is(err, generated.ErrPerHostTooManyKeys) {
			t.Fatalf("new host in a full PerHost: %v, want ErrPerHostTooManyKeys", err)
		}
		time.Sleep(time.Hour)
		// The probe closes host 0, which empties its window.
		if _, err := b.Execute(ctx, generated.Call{Host: "0"}); err != nil || b.State("0") != generated.PerHostStateClosed {
			t.Fatalf("probe of host 0: %v, state %v", err, b.State("0"))
		}
		time.Sleep(time.Minute)
		if _, err := b.Execute(ctx, generated.Call{Host: "new"}); err != nil {
			t.Fatalf("new host once host 0 could go: %v", err)
		}
		if b.Len() != 64 || b.State("1") != generated.PerHostStateOpen {
			t.Fatalf("Len = %d, host 1 %v; want 64 and open", b.Len(), b.State("1"))
		}
	})
}

// TestPolicyHostsAppliesEveryPolicyPerHost checks PolicyHosts' policies on
// two hosts: ErrHostDown and slow calls count, onchange= gets each
// change with its host and counts, the fallback answers failed and rejected
// calls, and the limits come from its config.
func TestPolicyHostsAppliesEveryPolicyPerHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		generated.HostChanges()
		b := generated.NewPolicyHosts(generated.PolicyHostsConfig{Failures: 3})
		ctx := context.Background()
		run := func(c generated.Call) string {
			resp, err := b.Execute(ctx, c)
			if err != nil {
				return "error: " + err.Error()
			}
			return resp
		}
		if got := run(generated.Call{Host: "a", Fail: true}); got != "fallback: host down" {
			t.Fatalf("failed call: %q", got)
		}
		slow := make(chan struct{})
		go func() {
			time.Sleep(2 * time.Second)
			close(slow)
		}()
		if got := run(generated.Call{Host: "a", Wait: slow}); got != "a" {
			t.Fatalf("slow call: %q, want its result", got)
		}
		if b.State("a") != generated.PolicyHostsStateClosed {
			t.Fatal("two failures tripped a breaker of config Failures 3")
		}
		_ = run(generated.Call{Host: "a", Fail: true})
		if got := run(generated.Call{Host: "a"}); got != "fallback: breaker: circuit open" {
			t.Fatalf("call on an open host: %q", got)
		}
		if got := run(generated.Call{Host: "b"}); got != "b" {
			t.Fatalf("host b: %q", got)
		}
		time.Sleep(time.Second)
		_ = run(generated.Call{Host: "a"})
		_ = run(generated.Call{Host: "a"})
		want := []string{"a closed->open 0/3", "a open->half-open 0/0", "a half-open->closed 2/0"}
		if got := generated.HostChanges(); !slices.Equal(got, want) {
			t.Fatalf("changes %q, want %q", got, want)
		}
	})
}

// TestPerHostConcurrentChurnKeepsOpenHostsOpen trips one host, then calls
// many others from several goroutines, refused or evicted as PerHost fills
// up and sweeps, while calling the open host too: its function must never
// run again, its breaker never reset.
func TestPerHostConcurrentChurnKeepsOpenHostsOpen(t *testing.T) {
	b := generated.NewPerHost()
	ctx := context.Background()
	for range 3 {
		_, _ = b.Execute(ctx, generated.Call{Host: "down", Fail: true})
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 3))
			for i := range 3000 {
				_, _ = b.Execute(ctx, generated.Call{Host: fmt.Sprint(r.IntN(200)), Fail: r.IntN(3) == 0})
				if i%100 == 0 {
					b.Sweep()
				}
				// The call would fail and be counted if it ran: the
				// error says it did not.
				if _, err := b.Execute(ctx, generated.Call{Host: "down"}); !errors.Is(err, generated.ErrPerHostOpen) {
					t.Errorf("call on the open host: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := b.Len(); n > 64 {
		t.Fatalf("Len = %d, want at most 64", n)
	}
}

// TestPerHostStatsCountEachHostApart opens one host and rejects its calls:
// its Stats count them, another host's count only its own calls, and a
// host never seen has the zero Stats.
func TestPerHostStatsCountEachHostApart(t *testing.T) {
	b := generated.NewPerHost()
	ctx := context.Background()
	for range 3 {
		_, _ = b.Execute(ctx, generated.Call{Host: "a", Fail: true})
	}
	for range 4 {
		if _, err := b.Execute(ctx, generated.Call{Host: "a"}); !errors.Is(err, generated.ErrPerHostOpen) {
			t.Fatalf("a while open: %v, want ErrPerHostOpen", err)
		}
	}
	for range 5 {
		_, _ = b.Execute(ctx, generated.Call{Host: "b"})
	}
	want := generated.PerHostStats{State: generated.PerHostStateOpen, Failures: 3, Rejected: 4, Transitions: 1}
	if got := b.Stats("a"); got != want {
		t.Fatalf("Stats(a) = %+v, want %+v", got, want)
	}
	want = generated.PerHostStats{State: generated.PerHostStateClosed, Successes: 5}
	if got := b.Stats("b"); got != want {
		t.Fatalf("Stats(b) = %+v, want %+v", got, want)
	}
	if got := b.Stats("c"); got != (generated.PerHostStats{}) {
		t.Fatalf("Stats(c), never seen = %+v, want the zero Stats", got)
	}
}
