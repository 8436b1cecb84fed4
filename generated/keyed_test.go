package generated_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/keyedrate"
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
