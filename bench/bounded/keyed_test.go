package bounded

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/puzpuzpuz/xsync/v4"
	xsemaphore "golang.org/x/sync/semaphore"
	xrate "golang.org/x/time/rate"

	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/keyedrate"
	"github.com/monogen/monogen/templates/keyedsem"
)

// Keyed rate limiters: one bucket per key, on keyedKeys distinct client
// addresses.

// keyedKeys is the number of distinct keys: 64Ki addresses.
const keyedKeys = 1 << 16

type keyedAllower interface{ Allow(netip.Addr) bool }

// keyedAddrs are the keys: IPv6 addresses of one /64.
var keyedAddrs = func() []netip.Addr {
	out := make([]netip.Addr, keyedKeys)
	for i := range out {
		var a [16]byte
		a[0], a[1], a[2], a[3] = 0x20, 0x01, 0x0d, 0xb8
		a[12], a[13], a[14], a[15] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
		out[i] = netip.AddrFrom16(a)
	}
	return out
}()

// syncMapLimiters is what users write today with the standard library: a
// sync.Map from key to *rate.Limiter, loading the key's limiter or storing
// a new one.
type syncMapLimiters struct{ m sync.Map }

func (s *syncMapLimiters) Allow(k netip.Addr) bool {
	v, ok := s.m.Load(k)
	if !ok {
		v, _ = s.m.LoadOrStore(k, xrate.NewLimiter(unlimited, 1<<40))
	}
	return v.(*xrate.Limiter).Allow()
}

// xsyncLimiters is the same with xsync's map, which creates the limiter
// once per key.
type xsyncLimiters struct {
	m *xsync.Map[netip.Addr, *xrate.Limiter]
}

func (s xsyncLimiters) Allow(k netip.Addr) bool {
	l, ok := s.m.Load(k)
	if !ok {
		l, _ = s.m.LoadOrCompute(k, func() (*xrate.Limiter, bool) { return xrate.NewLimiter(unlimited, 1<<40), false })
	}
	return l.Allow()
}

// unkeyed is the generated limiter without a key, for the cost of the
// decision alone: the key is ignored.
type unkeyed struct{ l *generated.BenchTokens }

func (u unkeyed) Allow(netip.Addr) bool { return u.l.Allow() }

var keyedImpls = []struct {
	name string
	new  func() keyedAllower
}{
	{"template", func() keyedAllower {
		return keyedrate.New[netip.Addr](keyedrate.Config{Interval: time.Second / unlimited, Burst: 1 << 40, Idle: time.Hour})
	}},
	// rate=1000000000/s burst=1099511627776 idle=1h: the same as constants.
	{"generated", func() keyedAllower { return generated.NewBenchPerIP() }},
	{"syncmap", func() keyedAllower { return &syncMapLimiters{} }},
	{"xsync", func() keyedAllower { return xsyncLimiters{xsync.NewMap[netip.Addr, *xrate.Limiter]()} }},
	{"unkeyed", func() keyedAllower { return unkeyed{generated.NewBenchTokens()} }},
}

// shuffledAddrs are keyedAddrs in a fixed random order, the same for every
// implementation.
var shuffledAddrs = func() []netip.Addr {
	out := make([]netip.Addr, keyedKeys)
	for i, j := range rand.New(rand.NewPCG(1, 2)).Perm(keyedKeys) {
		out[i] = keyedAddrs[j]
	}
	return out
}()

// BenchmarkKeyedAllow measures Allow on 64Ki distinct keys from all
// goroutines, every key's limiter created before the timing starts, in the
// order of keyedAddrs. Each goroutine walks a slice of the keys, seven at a
// step, from its own start:
//
//   - walk=ordered steps through keyedAddrs, the order in which the keys
//     were created. What each implementation allocated per key (an entry, a
//     limiter) was allocated in that order too, so it is read at a constant
//     stride that the CPU's prefetcher follows: only the loads at hashed
//     places (a table's bucket) miss the cache.
//   - walk=shuffled steps through shuffledAddrs, the same keys in a random
//     order unrelated to the order of creation, as the requests of clients
//     are: every load of per-key memory, hashed or allocated, may miss.
//
// Every implementation gets the same key sequences.
func BenchmarkKeyedAllow(b *testing.B) {
	for _, walk := range []struct {
		name string
		keys []netip.Addr
	}{{"ordered", keyedAddrs}, {"shuffled", shuffledAddrs}} {
		for _, impl := range keyedImpls {
			b.Run("keys=64Ki/contention=parallel/walk="+walk.name+"/impl="+impl.name, func(b *testing.B) {
				l := impl.new()
				for _, k := range keyedAddrs {
					l.Allow(k)
				}
				var seed atomic.Uint32
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					i := seed.Add(1) * 7919
					for pb.Next() {
						if !l.Allow(walk.keys[i&(keyedKeys-1)]) {
							b.Fatal("limited")
						}
						i += 7
					}
				})
			})
		}
	}
}

// BenchmarkKeyedMemory reports the heap each key's limiter takes, measured
// with runtime.MemStats after creating 64Ki keys (B/key; ns/op is the time
// to create them all).
func BenchmarkKeyedMemory(b *testing.B) {
	for _, impl := range keyedImpls[:4] {
		b.Run("keys=64Ki/impl="+impl.name, func(b *testing.B) {
			var perKey float64
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				l := impl.new()
				for _, k := range keyedAddrs {
					l.Allow(k)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				perKey = float64(after.HeapAlloc-before.HeapAlloc) / keyedKeys
				runtime.KeepAlive(l)
			}
			b.ReportMetric(perKey, "B/key")
		})
	}
}

// Keyed semaphores: a capacity of 64 per key, on the same 64Ki keys.

type keyedAcquirer interface {
	TryAcquire(netip.Addr, int64) bool
	Release(netip.Addr, int64)
}

// syncMapSemaphores is what users write today: a sync.Map from key to an
// x/sync *semaphore.Weighted, loading the key's or storing a new one. It
// never evicts a key: x/sync has no way to tell that none is held.
type syncMapSemaphores struct{ m sync.Map }

func (s *syncMapSemaphores) get(k netip.Addr) *xsemaphore.Weighted {
	v, ok := s.m.Load(k)
	if !ok {
		v, _ = s.m.LoadOrStore(k, xsemaphore.NewWeighted(64))
	}
	return v.(*xsemaphore.Weighted)
}

func (s *syncMapSemaphores) TryAcquire(k netip.Addr, n int64) bool { return s.get(k).TryAcquire(n) }
func (s *syncMapSemaphores) Release(k netip.Addr, n int64)         { s.get(k).Release(n) }

// xsyncSemaphores is the same with xsync's map.
type xsyncSemaphores struct {
	m *xsync.Map[netip.Addr, *xsemaphore.Weighted]
}

func (s xsyncSemaphores) get(k netip.Addr) *xsemaphore.Weighted {
	w, ok := s.m.Load(k)
	if !ok {
		w, _ = s.m.LoadOrCompute(k, func() (*xsemaphore.Weighted, bool) { return xsemaphore.NewWeighted(64), false })
	}
	return w
}

func (s xsyncSemaphores) TryAcquire(k netip.Addr, n int64) bool { return s.get(k).TryAcquire(n) }
func (s xsyncSemaphores) Release(k netip.Addr, n int64)         { s.get(k).Release(n) }

var keyedSemImpls = []struct {
	name string
	new  func() keyedAcquirer
}{
	{"template", func() keyedAcquirer {
		return keyedsem.New[netip.Addr](keyedsem.Config{N: 64, Idle: time.Hour})
	}},
	// n=64 idle=1h: the same as constants.
	{"generated", func() keyedAcquirer { return generated.NewBenchPerHost() }},
	{"syncmap", func() keyedAcquirer { return &syncMapSemaphores{} }},
	{"xsync", func() keyedAcquirer { return xsyncSemaphores{xsync.NewMap[netip.Addr, *xsemaphore.Weighted]()} }},
}

// BenchmarkKeyedSemaphore measures TryAcquire+Release of one unit on 64Ki
// distinct keys from all goroutines, every key's semaphore created before
// the timing starts.
func BenchmarkKeyedSemaphore(b *testing.B) {
	for _, impl := range keyedSemImpls {
		b.Run("keys=64Ki/contention=parallel/impl="+impl.name, func(b *testing.B) {
			s := impl.new()
			for _, k := range keyedAddrs {
				if s.TryAcquire(k, 1) {
					s.Release(k, 1)
				}
			}
			var seed atomic.Uint32
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := seed.Add(1) * 7919
				for pb.Next() {
					k := keyedAddrs[i&(keyedKeys-1)]
					if !s.TryAcquire(k, 1) {
						b.Fatal("refused")
					}
					s.Release(k, 1)
					i += 7
				}
			})
		})
	}
}

// BenchmarkKeyedSemaphoreMemory reports the heap each key's semaphore takes,
// measured with runtime.MemStats after one TryAcquire+Release on each of
// 64Ki keys (B/key; ns/op is the time to create them all).
func BenchmarkKeyedSemaphoreMemory(b *testing.B) {
	for _, impl := range keyedSemImpls {
		b.Run("keys=64Ki/impl="+impl.name, func(b *testing.B) {
			var perKey float64
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				s := impl.new()
				for _, k := range keyedAddrs {
					if s.TryAcquire(k, 1) {
						s.Release(k, 1)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				perKey = float64(after.HeapAlloc-before.HeapAlloc) / keyedKeys
				runtime.KeepAlive(s)
			}
			b.ReportMetric(perKey, "B/key")
		})
	}
}
