package generated_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/keyedrate"
	"github.com/monogen/monogen/templates/keyedsem"
)

// addr returns the i-th of a range of IPv6 client addresses.
func addr(i int) netip.Addr {
	var a [16]byte
	a[0], a[1] = 0x20, 0x01
	a[12], a[13], a[14], a[15] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	return netip.AddrFrom16(a)
}

// TestPerIPMatchesTemplate runs random events on random addresses against
// PerIP and the template with PerIP's options, with sweeps: every answer and
// every Len must agree.
func TestPerIPMatchesTemplate(t *testing.T) {
	epoch := time.Now()
	g := generated.NewPerIPAt(epoch)
	tpl := keyedrate.NewAt[netip.Addr](keyedrate.Config{Interval: 100 * time.Millisecond, Burst: 5, Idle: time.Minute}, epoch)
	r := rand.New(rand.NewPCG(1, 2))
	now := time.Duration(0)
	for i := range 20000 {
		now += time.Duration(r.IntN(int(20 * time.Millisecond)))
		if i%3000 == 2999 {
			now += 2 * time.Minute // let buckets go idle
		}
		a := addr(r.IntN(64))
		if got, want := g.AllowAt(a, epoch.Add(now)), tpl.AllowAt(a, epoch.Add(now)); got != want {
			t.Fatalf("event %d, %v at %v: PerIP.Allow = %v, template %v", i, a, now, got, want)
		}
		if g.Len() != tpl.Len() {
			t.Fatalf("event %d: PerIP.Len = %d, template %d", i, g.Len(), tpl.Len())
		}
	}
}

// TestPerIPForgetsIdleClients checks idle=1m: a client whose bucket has
// been full for a minute is evicted when a new client comes, and comes back
// with a full bucket.
func TestPerIPForgetsIdleClients(t *testing.T) {
	epoch := time.Now()
	l := generated.NewPerIPAt(epoch)
	for i := range 5 {
		if !l.AllowAt(addr(1), epoch) {
			t.Fatalf("event %d of the burst of 5 refused", i)
		}
	}
	if l.AllowAt(addr(1), epoch) {
		t.Fatal("a sixth event admitted at once")
	}
	// Full again at 500ms; at 1m the first sweep finds it full for less
	// than a minute, at 2m the next evicts it.
	l.AllowAt(addr(2), epoch.Add(time.Minute))
	if l.Len() != 2 {
		t.Fatalf("Len = %d at 1m, want 2", l.Len())
	}
	l.AllowAt(addr(3), epoch.Add(2*time.Minute))
	if l.Len() != 2 {
		t.Fatalf("Len = %d at 2m, want 2 (the second and third clients): the first client's bucket has been full for more than a minute", l.Len())
	}
}

// TestPerUserRefusesNewUsersWhenFull checks keys=1024: with 1024 users each
// holding a bucket that is not full, a new user is refused, and admitted
// once a bucket has refilled.
func TestPerUserRefusesNewUsersWhenFull(t *testing.T) {
	epoch := time.Now()
	l := generated.NewPerUserAt(epoch)
	for u := range uint64(1024) {
		if !l.AllowAt(u, epoch) {
			t.Fatalf("user %d refused", u)
		}
	}
	if l.AllowAt(5000, epoch.Add(5*time.Millisecond)) {
		t.Fatal("user 5000 admitted while 1024 users had buckets that were not full")
	}
	if l.Len() != 1024 {
		t.Fatalf("Len = %d, want 1024", l.Len())
	}
	// At 10ms every bucket is full again.
	if !l.AllowAt(5000, epoch.Add(10*time.Millisecond)) {
		t.Fatal("user 5000 refused although every bucket was full")
	}
	if l.Len() > 1024 {
		t.Fatalf("Len = %d, more than keys=1024", l.Len())
	}
}

func ExampleNewPerIP() {
	l := generated.NewPerIP()
	client := netip.MustParseAddr("192.0.2.1")
	admitted := 0
	for range 10 {
		if l.Allow(client) {
			admitted++
		}
	}
	fmt.Println(admitted, l.Len())
	// Output: 5 1
}

// TestPerTenantMatchesTemplate runs random TryAcquire and Release calls on
// random tenants against PerTenant and the template with PerTenant's
// options: every answer, Held and Len must agree.
func TestPerTenantMatchesTemplate(t *testing.T) {
	g := generated.NewPerTenant()
	tpl := keyedsem.New[generated.TenantID](keyedsem.Config{N: 4, Idle: time.Minute, Keys: 4096})
	held := map[generated.TenantID]int64{}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 20000 {
		k := generated.TenantID(fmt.Sprint("t", r.IntN(32)))
		n := int64(r.IntN(3))
		if r.IntN(2) == 0 || held[k] < n {
			got, want := g.TryAcquire(k, n), tpl.TryAcquire(k, n)
			if got != want {
				t.Fatalf("call %d: PerTenant.TryAcquire(%s, %d) = %v, template %v", i, k, n, got, want)
			}
			if got {
				held[k] += n
			}
		} else {
			g.Release(k, n)
			tpl.Release(k, n)
			held[k] -= n
		}
		if g.Held(k) != tpl.Held(k) || g.Held(k) != held[k] || g.Len() != tpl.Len() {
			t.Fatalf("call %d: Held(%s) = %d, template %d, want %d; Len %d, template %d", i, k, g.Held(k), tpl.Held(k), held[k], g.Len(), tpl.Len())
		}
	}
}

// TestPerTenantKeepsTenantsInUse sweeps a PerTenant whose tenants hold
// units or wait, and again long after a minute: none is evicted but the
// idle one, and the waiter is granted by the holder's release.
func TestPerTenantKeepsTenantsInUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := generated.NewPerTenant()
		ctx := context.Background()
		if !s.TryAcquire("acme", 4) || !s.TryAcquire("idle", 1) {
			t.Fatal("TryAcquire failed")
		}
		s.Release("idle", 1)
		got := make(chan error)
		go func() { got <- s.Acquire(ctx, "acme", 2) }()
		synctest.Wait()
		s.Sweep() // marks the idle tenant
		time.Sleep(time.Hour)
		s.Sweep()
		if s.Len() != 1 || s.Held("acme") != 4 {
			t.Fatalf("after the sweep: Len = %d, Held(acme) = %d; want 1 and 4 (the idle tenant evicted)", s.Len(), s.Held("acme"))
		}
		s.Release("acme", 2)
		if err := <-got; err != nil {
			t.Fatalf("the waiter failed: %v", err)
		}
		if s.Held("acme") != 4 {
			t.Fatalf("Held(acme) = %d after the grant, want 4", s.Held("acme"))
		}
		s.Release("acme", 4)
	})
}

func TestPerTenantRefusesNewTenantsWhenFull(t *testing.T) {
	s := generated.NewPerTenant()
	for i := range 4096 {
		if !s.TryAcquire(generated.TenantID(fmt.Sprint(i)), 1) {
			t.Fatalf("tenant %d refused", i)
		}
	}
	if err := s.Acquire(context.Background(), "late", 1); !errors.Is(err, generated.ErrPerTenantTooManyKeys) {
		t.Fatalf("Acquire of a 4097th tenant = %v, want ErrPerTenantTooManyKeys", err)
	}
	s.Release("7", 1)
	if !s.TryAcquire("late", 1) {
		t.Fatal("the new tenant was refused although tenant 7 was idle")
	}
	if s.Len() != 4096 {
		t.Fatalf("Len = %d, want 4096", s.Len())
	}
}

// releaseCtx is a context whose first Done call runs release, and whose
// later calls find it canceled: it plays a Release that runs between an
// Acquire's check that its units do not fit and its queueing.
type releaseCtx struct {
	context.Context
	release func()
	calls   int
}

func (c *releaseCtx) Done() <-chan struct{} {
	c.calls++
	if c.calls == 1 {
		c.release()
		return nil
	}
	done := make(chan struct{})
	close(done)
	return done
}

func (c *releaseCtx) Err() error {
	if c.calls > 1 {
		return context.Canceled
	}
	return nil
}

// TestPerTenantReleaseBetweenAnAcquiresCheckAndItsQueueingIsNotLost is the
// keyedsem template's test of the same name on PerTenant: a tenant's unit
// released, without the lock, between an Acquire's check and its queueing
// is taken by that Acquire.
func TestPerTenantReleaseBetweenAnAcquiresCheckAndItsQueueingIsNotLost(t *testing.T) {
	s := generated.NewPerTenant()
	s.TryAcquire("acme", 4)
	ctx := &releaseCtx{Context: context.Background(), release: func() { s.Release("acme", 1) }}
	if err := s.Acquire(ctx, "acme", 1); err != nil {
		t.Fatalf("Acquire = %v, want nil: a unit was free", err)
	}
	if got := s.Held("acme"); got != 4 {
		t.Fatalf("Held = %d, want 4: three units left, one taken", got)
	}
	s.Release("acme", 4)
}

// TestBenchPerIPNewKeyAllocatesOnlyItsMapEntry is the keyedrate template's
// TestNewKeyAllocatesOnlyItsMapEntry on a generated limiter: a client's
// bucket is stored in the client's entry of the map, so a new client
// allocates that entry only, and a client already seen nothing.
func TestBenchPerIPNewKeyAllocatesOnlyItsMapEntry(t *testing.T) {
	const keys = 1 << 12
	l := generated.NewBenchPerIP()
	for i := range keys {
		l.Allow(addr(i))
	}
	next := keys
	if a := testing.AllocsPerRun(keys, func() {
		l.Allow(addr(next))
		next++
	}); a != 1 {
		t.Errorf("Allow on a new client allocated %v times, want 1: the client's entry", a)
	}
	first := addr(0)
	if a := testing.AllocsPerRun(keys, func() { l.Allow(first) }); a != 0 {
		t.Errorf("Allow on a client already seen allocated %v times, want 0", a)
	}
}

// TestPerIPKeepsEveryKindOfAddressApart checks the address hasher's three
// cases (16 bytes for IPv6, 4 for IPv4, none for the zero Addr): each of
// these addresses, an IPv4 one and its IPv6 form, two zones of one address
// and the zero Addr among them, has a bucket of its own, and a client already
// seen allocates nothing, whatever its kind.
func TestPerIPKeepsEveryKindOfAddressApart(t *testing.T) {
	addrs := []netip.Addr{
		{}, // the zero Addr
		netip.MustParseAddr("0.0.0.0"),
		netip.MustParseAddr("192.0.2.1"),
		netip.MustParseAddr("::ffff:192.0.2.1"),
		netip.MustParseAddr("::"),
		netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("fe80::1%eth0"),
		netip.MustParseAddr("fe80::1%eth1"),
	}
	epoch := time.Now()
	l := generated.NewPerIPAt(epoch)
	for i, a := range addrs {
		for j := range 5 {
			if !l.AllowAt(a, epoch) {
				t.Fatalf("%v (address %d): event %d of its burst of 5 refused: it shares a bucket", a, i, j)
			}
		}
		if l.AllowAt(a, epoch) {
			t.Fatalf("%v (address %d): a 6th event admitted at once", a, i)
		}
	}
	if l.Len() != len(addrs) {
		t.Errorf("Len = %d, want %d", l.Len(), len(addrs))
	}
	b := generated.NewBenchPerIP()
	for _, a := range addrs {
		b.Allow(a)
		if n := testing.AllocsPerRun(100, func() { b.Allow(a) }); n != 0 {
			t.Errorf("Allow(%v) on a client already seen allocated %v times, want 0", a, n)
		}
	}
}

// TestFloatKeyedLimitersRefuseNaNKeys: a NaN key is never found in a map
// again. The keyed limiters used to give it a new bucket, slot or circuit at
// every call, which no sweep could evict: PerScore admitted every event of
// a NaN key and filled up with them (then refusing every new key),
// PerScoreSlots' Release of a NaN key panicked, and PerCalibration never
// counted a NaN key's failures together. -0 and +0 are one key.
func TestFloatKeyedLimitersRefuseNaNKeys(t *testing.T) {
	nan, negZero := math.NaN(), math.Copysign(0, -1)
	r := generated.NewPerScore()
	s := generated.NewPerScoreSlots()
	b := generated.NewPerCalibration()
	ctx := context.Background()
	for range 32 {
		if r.Allow(nan) {
			t.Fatal("PerScore admitted a NaN key")
		}
		if err := s.Acquire(ctx, nan, 1); !errors.Is(err, generated.ErrPerScoreSlotsNaNKey) {
			t.Fatalf("PerScoreSlots.Acquire of a NaN key: %v, want ErrPerScoreSlotsNaNKey", err)
		}
		if _, err := b.Execute(ctx, generated.Reading{Calibration: nan}); !errors.Is(err, generated.ErrPerCalibrationNaNKey) {
			t.Fatalf("PerCalibration.Execute with a NaN key: %v, want ErrPerCalibrationNaNKey", err)
		}
	}
	if n := r.Len() + s.Len() + b.Len(); n != 0 {
		t.Fatalf("the limiters hold %d keys after NaN keys, want 0", n)
	}
	if !r.Allow(0) || !r.Allow(negZero) || r.Allow(0) {
		t.Fatal("PerScore: -0 and +0 are not one key with a burst of 2")
	}
	if !s.TryAcquire(negZero, 2) || s.TryAcquire(0, 1) {
		t.Fatal("PerScoreSlots: -0 and +0 are not one key of capacity 2")
	}
	s.Release(0, 2)
	b.Execute(ctx, generated.Reading{Calibration: 0, Fail: true})
	b.Execute(ctx, generated.Reading{Calibration: negZero, Fail: true})
	if st := b.State(0); st != generated.PerCalibrationStateOpen {
		t.Fatalf("PerCalibration: state of 0 after a failure on +0 and one on -0 = %v, want open", st)
	}
}
