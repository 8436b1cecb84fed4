package shardmap

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"github.com/monogen/monogen/bench/internal/par"
)

// prepopulated is the number of keys the op benchmarks store first.
const prepopulated = 1 << 14

// sizes are the key counts of the size dimension; the largest is far beyond
// the caches.
var sizes = []int{1 << 10, 1 << 16, 1 << 20}

// ops are the operations: each runs on keys that are all present.
var ops = []string{"Load", "Store", "LoadOrStore", "Mix90"}

func intKey(i int) int { return i }

// strKey returns a 16-character key.
func strKey(i int) string { return fmt.Sprintf("key-%012d", i) }

func structKey(i int) Struct16 { return Struct16{A: int64(i), B: int64(i) * 31} }

// BenchmarkMap measures each implementation on ops over present keys, with
// b.RunParallel on all cores:
//
//	BenchmarkMap/op=<op>/key=<kind>/impl=<impl>                 16Ki keys
//	BenchmarkMap/op=Load/key=<kind>/size=<n>/impl=<impl>       n keys
//	BenchmarkMap/op=<Load|Mix90>/key=int/procs=<n>/impl=<impl> n goroutines
//
// Mix90 is 90% Load, 10% Store. The sizes are 1Ki, 64Ki and 1Mi keys; the
// procs are par.Procs (1, 2, 4, 8 and GOMAXPROCS), past the number of cores
// the goroutines share them.
func BenchmarkMap(b *testing.B) {
	for _, op := range ops {
		b.Run("op="+op, func(b *testing.B) {
			benchKind(b, op, "int", IntImpls, intKey)
			benchKind(b, op, "string", StringImpls, strKey)
			benchKind(b, op, "struct", StructImpls, structKey)
		})
	}
}

// benchKind runs op on each implementation for one key kind, then, for Load,
// over the sizes, and for Load and Mix90 on int keys, over the procs.
func benchKind[K comparable](b *testing.B, op, kind string, impls []Impl[K], key func(int) K) {
	b.Run("key="+kind, func(b *testing.B) {
		each := func(b *testing.B, size, procs int) {
			for _, impl := range impls {
				b.Run("impl="+impl.Name, func(b *testing.B) {
					m := populated(impl, kind, size, key)
					runOp(b, op, m, keysFor(kind, size, key), procs)
				})
			}
		}
		each(b, prepopulated, 0)
		if op == "Load" {
			for _, size := range sizes {
				b.Run("size="+strconv.Itoa(size), func(b *testing.B) { each(b, size, 0) })
			}
		}
		if (op == "Load" || op == "Mix90") && kind == "int" {
			for _, procs := range par.Procs() {
				b.Run(par.Name(procs), func(b *testing.B) { each(b, prepopulated, procs) })
			}
		}
	})
}

// runOp runs op on m over keys, all present, from procs goroutines, or one
// per core if procs is 0.
func runOp[K comparable](b *testing.B, op string, m Map[K], keys []K, procs int) {
	mask := len(keys) - 1 // len is a power of two
	parallel := b.RunParallel
	if procs > 0 {
		parallel = func(body func(*testing.PB)) { par.Run(b, procs, body) }
	}
	b.ReportAllocs()
	b.ResetTimer()
	parallel(func(pb *testing.PB) {
		// Goroutines start at different keys and walk them in order; the
		// hash scatters the order over the table.
		i := rand.IntN(len(keys))
		misses := 0
		switch op {
		case "Load":
			for pb.Next() {
				if _, ok := m.Load(keys[i&mask]); !ok {
					misses++
				}
				i++
			}
		case "Store":
			for pb.Next() {
				m.Store(keys[i&mask], i)
				i++
			}
		case "LoadOrStore":
			for pb.Next() {
				if _, loaded := m.LoadOrStore(keys[i&mask], i); !loaded {
					misses++
				}
				i++
			}
		case "Mix90":
			for pb.Next() {
				if i%10 == 0 {
					m.Store(keys[i&mask], i)
				} else if _, ok := m.Load(keys[i&mask]); !ok {
					misses++
				}
				i++
			}
		default:
			panic("unknown op " + op)
		}
		if misses != 0 {
			b.Errorf("%d keys missing", misses)
		}
	})
}

// keyCache and mapCache keep the last key slice and map built, so that the
// repeated runs of one benchmark (as b.N grows) build them once.
var (
	keyCache struct {
		name string
		keys any
	}
	mapCache struct {
		name string
		m    any
	}
)

func keysFor[K comparable](kind string, n int, key func(int) K) []K {
	name := kind + "/" + strconv.Itoa(n)
	if keyCache.name != name {
		keys := make([]K, n)
		for i := range keys {
			keys[i] = key(i)
		}
		keyCache.name, keyCache.keys = name, keys
	}
	return keyCache.keys.([]K)
}

// populated returns a map of impl holding n keys of kind.
func populated[K comparable](impl Impl[K], kind string, n int, key func(int) K) Map[K] {
	name := impl.Name + "/" + kind + "/" + strconv.Itoa(n)
	if mapCache.name != name {
		mapCache.name, mapCache.m = "", nil
		runtime.GC() // drop the previous map before building the next
		m := impl.New()
		for i, k := range keysFor(kind, n, key) {
			m.Store(k, i)
		}
		mapCache.name, mapCache.m = name, m
	}
	return mapCache.m.(Map[K])
}
