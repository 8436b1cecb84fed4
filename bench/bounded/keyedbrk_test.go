package bounded

import (
	"context"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/puzpuzpuz/xsync/v4"
	"github.com/sony/gobreaker/v2"

	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/keyedbrk"
)

// Keyed breakers: a circuit breaker per key, on the keyedKeys distinct
// addresses of the keyed limiters, around a call that always succeeds.

type keyedExecutor interface {
	Execute(ctx context.Context, req netip.Addr) (int, error)
}

// serveAddr answers a request to an address, as generated.BenchHostBreaker's
// function does.
func serveAddr(context.Context, netip.Addr) (int, error) { return 0, nil }

func addrKey(a netip.Addr) netip.Addr { return a }

// syncMapBreakers is what users write today with the standard library: a
// sync.Map from key to *gobreaker.CircuitBreaker, loading the key's breaker
// or storing a new one. It never evicts a key.
type syncMapBreakers struct{ m sync.Map }

func (s *syncMapBreakers) Execute(ctx context.Context, k netip.Addr) (int, error) {
	v, ok := s.m.Load(k)
	if !ok {
		v, _ = s.m.LoadOrStore(k, gobreaker.NewCircuitBreaker[int](gobreaker.Settings{}))
	}
	return v.(*gobreaker.CircuitBreaker[int]).Execute(func() (int, error) { return serveAddr(ctx, k) })
}

// xsyncBreakers is the same with xsync's map, which creates the breaker
// once per key.
type xsyncBreakers struct {
	m *xsync.Map[netip.Addr, *gobreaker.CircuitBreaker[int]]
}

func (s xsyncBreakers) Execute(ctx context.Context, k netip.Addr) (int, error) {
	cb, ok := s.m.Load(k)
	if !ok {
		cb, _ = s.m.LoadOrCompute(k, func() (*gobreaker.CircuitBreaker[int], bool) {
			return gobreaker.NewCircuitBreaker[int](gobreaker.Settings{}), false
		})
	}
	return cb.Execute(func() (int, error) { return serveAddr(ctx, k) })
}

var keyedBreakerImpls = []struct {
	name string
	new  func() keyedExecutor
}{
	{"template", func() keyedExecutor {
		return keyedbrk.New(addrKey, serveAddr, nil, keyedbrk.Config{Idle: time.Hour})
	}},
	// key=addrKey fn=serveAddr idle=1h: the same as constants.
	{"generated", func() keyedExecutor { return generated.NewBenchHostBreaker() }},
	{"syncmap", func() keyedExecutor { return &syncMapBreakers{} }},
	{"xsync", func() keyedExecutor {
		return xsyncBreakers{xsync.NewMap[netip.Addr, *gobreaker.CircuitBreaker[int]]()}
	}},
	// The generated breaker without a key, one for every address: the
	// cost of the breaker alone.
	{"unkeyed", func() keyedExecutor { return generated.NewBenchAddrBreaker() }},
}

// BenchmarkKeyedBreaker measures Execute on 64Ki distinct keys from all
// goroutines, every key's breaker created before the timing starts, each
// goroutine walking the keys in its own order.
func BenchmarkKeyedBreaker(b *testing.B) {
	ctx := context.Background()
	for _, impl := range keyedBreakerImpls {
		b.Run("keys=64Ki/contention=parallel/impl="+impl.name, func(b *testing.B) {
			x := impl.new()
			for _, k := range keyedAddrs {
				if _, err := x.Execute(ctx, k); err != nil {
					b.Fatal(err)
				}
			}
			var seed atomic.Uint32
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := seed.Add(1) * 7919
				for pb.Next() {
					if _, err := x.Execute(ctx, keyedAddrs[i&(keyedKeys-1)]); err != nil {
						b.Fatal(err)
					}
					i += 7
				}
			})
		})
	}
}

// BenchmarkKeyedBreakerMemory reports the heap each key's breaker takes,
// measured with runtime.MemStats after calls= calls on each of 64Ki keys
// (B/key; ns/op is the time to make them all). After one call a key of the
// generated breaker has no window yet; after 16 it has one.
func BenchmarkKeyedBreakerMemory(b *testing.B) {
	ctx := context.Background()
	for _, calls := range []int{1, 16} {
		for _, impl := range keyedBreakerImpls[:4] {
			b.Run("keys=64Ki/calls="+[...]string{1: "1", 16: "16"}[calls]+"/impl="+impl.name, func(b *testing.B) {
				var perKey float64
				for b.Loop() {
					var before, after runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&before)
					x := impl.new()
					for range calls {
						for _, k := range keyedAddrs {
							if _, err := x.Execute(ctx, k); err != nil {
								b.Fatal(err)
							}
						}
					}
					runtime.GC()
					runtime.ReadMemStats(&after)
					perKey = float64(after.HeapAlloc-before.HeapAlloc) / keyedKeys
					runtime.KeepAlive(x)
				}
				b.ReportMetric(perKey, "B/key")
			})
		}
	}
}
