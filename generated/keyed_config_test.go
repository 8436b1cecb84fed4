package generated_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/monogen/monogen/generated"
)

// TestConfPerTenantZeroConfigTakesTheDirectivesLimits: a zero
// ConfPerTenantConfig gives each tenant the directive's capacity, 4, and
// holds the directive's 4096 tenants at most.
func TestConfPerTenantZeroConfigTakesTheDirectivesLimits(t *testing.T) {
	s := generated.NewConfPerTenant(generated.ConfPerTenantConfig{})
	if !s.TryAcquire("acme", 4) {
		t.Fatal("TryAcquire(acme, 4) failed: the capacity is not the directive's 4")
	}
	if s.TryAcquire("acme", 1) {
		t.Fatal("TryAcquire(acme, 1) succeeded past a capacity of 4")
	}
	for i := range 4095 {
		if !s.TryAcquire(generated.TenantID(fmt.Sprint(i)), 1) {
			t.Fatalf("tenant %d refused", i)
		}
	}
	if err := s.Acquire(context.Background(), "late", 1); !errors.Is(err, generated.ErrConfPerTenantTooManyKeys) {
		t.Fatalf("Acquire of a 4097th tenant = %v, want ErrConfPerTenantTooManyKeys", err)
	}
}

// TestConfPerTenantConfigGivesCapacityKeysAndIdle: the fields of
// ConfPerTenantConfig replace the directive's n= and keys= and the default
// idle time.
func TestConfPerTenantConfigGivesCapacityKeysAndIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := generated.NewConfPerTenant(generated.ConfPerTenantConfig{N: 2, Keys: 3, Idle: time.Hour})
		if !s.TryAcquire("a", 2) || s.TryAcquire("a", 1) {
			t.Fatal("the capacity of a key is not N=2")
		}
		if !s.TryAcquire("b", 1) || !s.TryAcquire("c", 1) {
			t.Fatal("a second or third key was refused with Keys=3")
		}
		if err := s.Acquire(context.Background(), "d", 1); !errors.Is(err, generated.ErrConfPerTenantTooManyKeys) {
			t.Fatalf("Acquire of a fourth key = %v, want ErrConfPerTenantTooManyKeys", err)
		}
		s.Release("c", 1)
		s.Sweep()                    // marks c, idle
		time.Sleep(30 * time.Minute) // past the default idle time, within Idle
		s.Sweep()                    // too early to evict c
		if s.Len() != 3 {
			t.Fatalf("Len = %d half an hour after c's release, want 3: Idle=1h not used", s.Len())
		}
		time.Sleep(time.Hour)
		s.Sweep()
		if s.Len() != 2 {
			t.Fatalf("Len = %d an hour and a half after c's release, want 2", s.Len())
		}
		s.Release("a", 2)
		s.Release("b", 1)
	})
}

// TestNewConfPerTenantPanicsOnAnInvalidConfig: NewConfPerTenant panics on
// a negative N, Idle or Keys, and on N above ConfPerTenantMaxN, as its doc
// says.
func TestNewConfPerTenantPanicsOnAnInvalidConfig(t *testing.T) {
	for _, cfg := range []generated.ConfPerTenantConfig{
		{N: -1}, {N: generated.ConfPerTenantMaxN + 1}, {Idle: -time.Second}, {Keys: -1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewConfPerTenant(%+v) did not panic", cfg)
				}
			}()
			generated.NewConfPerTenant(cfg)
		}()
	}
}

// TestPolicyHostsConfigGivesKeysAndIdle: PolicyHostsConfig's Keys and Idle
// replace the directive's (no limit) and the default idle time, 1m.
func TestPolicyHostsConfigGivesKeysAndIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		b := generated.NewPolicyHosts(generated.PolicyHostsConfig{Keys: 1})
		if _, err := b.Execute(ctx, generated.Call{Host: "a", Fail: true}); err != nil {
			// The fallback answers the failure.
			t.Fatalf("host a: %v", err)
		}
		// a's window holds a failure: it cannot be evicted for room.
		if got, _ := b.Execute(ctx, generated.Call{Host: "b"}); got != "fallback: "+generated.ErrPolicyHostsTooManyKeys.Error() {
			t.Fatalf("host b with Keys=1 and host a in use: %q, want the fallback's answer to ErrPolicyHostsTooManyKeys", got)
		}

		b = generated.NewPolicyHosts(generated.PolicyHostsConfig{Idle: time.Hour})
		if got, _ := b.Execute(ctx, generated.Call{Host: "a"}); got != "a" {
			t.Fatalf("host a: %q", got)
		}
		b.Sweep()                    // sees a's call
		time.Sleep(30 * time.Minute) // past the default idle time, within Idle
		b.Sweep()
		if b.Len() != 1 {
			t.Fatalf("Len = %d half an hour after a's call, want 1: Idle=1h not used", b.Len())
		}
		time.Sleep(time.Hour)
		b.Sweep()
		if b.Len() != 0 {
			t.Fatalf("Len = %d an hour and a half after a's call, want 0", b.Len())
		}
	})
}

// TestConfPerIPZeroConfigTakesTheDirectivesLimits: a zero ConfPerIPConfig
// gives each address the directive's burst, 5, refilled at 10 a second.
func TestConfPerIPZeroConfigTakesTheDirectivesLimits(t *testing.T) {
	epoch := time.Unix(0, 0)
	l := generated.NewConfPerIPAt(epoch, generated.ConfPerIPConfig{})
	a := addr(1)
	for i := range 5 {
		if !l.AllowAt(a, epoch) {
			t.Fatalf("event %d of a burst of 5 refused", i)
		}
	}
	if l.AllowAt(a, epoch) {
		t.Fatal("a sixth event admitted at once with burst=5")
	}
	if l.AllowAt(a, epoch.Add(99*time.Millisecond)) || !l.AllowAt(a, epoch.Add(100*time.Millisecond)) {
		t.Fatal("the bucket does not refill one token per 100ms (rate=10/s)")
	}
}

// TestConfPerIPConfigGivesIntervalBurstKeysAndIdle: the fields of
// ConfPerIPConfig replace the directive's rate= and burst= and the default
// idle time and key limit.
func TestConfPerIPConfigGivesIntervalBurstKeysAndIdle(t *testing.T) {
	epoch := time.Unix(0, 0)
	l := generated.NewConfPerIPAt(epoch, generated.ConfPerIPConfig{Interval: time.Second, Burst: 2, Keys: 2, Idle: time.Hour})
	a, b, c := addr(1), addr(2), addr(3)
	admitted := 0
	for range 3 {
		if l.AllowAt(a, epoch) {
			admitted++
		}
	}
	if admitted != 2 {
		t.Fatalf("%d of 3 events admitted at once, want Burst=2", admitted)
	}
	if l.AllowAt(a, epoch.Add(999*time.Millisecond)) || !l.AllowAt(a, epoch.Add(time.Second)) {
		t.Fatal("the bucket does not refill one token per Interval=1s")
	}
	if !l.AllowAt(b, epoch) {
		t.Fatal("a second key refused with Keys=2")
	}
	if l.AllowAt(c, epoch) {
		t.Fatal("a third key admitted with Keys=2 while no bucket is full")
	}
	// Both buckets full again by 3s; a is evicted only an hour after.
	l.SweepAt(epoch.Add(3 * time.Second))
	l.SweepAt(epoch.Add(30 * time.Minute))
	if l.Len() != 2 {
		t.Fatalf("Len = %d half an hour after the buckets filled, want 2: Idle=1h not used", l.Len())
	}
	l.SweepAt(epoch.Add(2 * time.Hour))
	if l.Len() != 0 {
		t.Fatalf("Len = %d two hours after the buckets filled, want 0", l.Len())
	}
}
