package shardmap_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/monogen/monogen/templates/shardmap"
)

// The generic template alone, called directly, on keys that are all
// present. The comparison with peers (xsync, sync.Map, ...) is in the bench
// module: bench/shardmap.

const benchKeys = 1 << 14

type struct16 struct{ A, B int64 }

func BenchmarkMap(b *testing.B) {
	ints := make([]int, benchKeys)
	strs := make([]string, benchKeys)
	structs := make([]struct16, benchKeys)
	for i := range benchKeys {
		ints[i] = i
		strs[i] = fmt.Sprintf("key-%012d", i)
		structs[i] = struct16{int64(i), int64(i) * 31}
	}
	benchKind(b, "int", ints)
	benchKind(b, "string", strs)
	benchKind(b, "struct", structs)
}

func benchKind[K comparable](b *testing.B, kind string, keys []K) {
	m := shardmap.New[K, int]()
	for i, k := range keys {
		m.Store(k, i)
	}
	const mask = benchKeys - 1
	parallel := func(op string, body func(k K, i int)) {
		b.Run("op="+op+"/key="+kind+"/impl=template", func(b *testing.B) {
			b.ReportAllocs()
			var start sync.Mutex
			next := 0
			b.RunParallel(func(pb *testing.PB) {
				start.Lock()
				i := next * 4099
				next++
				start.Unlock()
				for pb.Next() {
					body(keys[i&mask], i)
					i++
				}
			})
		})
	}
	parallel("Load", func(k K, _ int) { m.Load(k) })
	parallel("Store", func(k K, i int) { m.Store(k, i) })
	parallel("LoadOrStore", func(k K, i int) { m.LoadOrStore(k, i) })
	parallel("Mix90", func(k K, i int) {
		if i%10 == 0 {
			m.Store(k, i)
		} else {
			m.Load(k)
		}
	})
	parallel("Compute", func(k K, _ int) {
		m.Compute(k, func(old int, _ bool) (int, shardmap.ComputeOp) { return old + 1, shardmap.UpdateOp })
	})
	// Delete then insert: the write path that changes the size.
	parallel("DeleteInsert", func(k K, i int) {
		if _, ok := m.LoadAndDelete(k); ok {
			m.Store(k, i)
		}
	})
	b.Run("op=Range/key="+kind+"/size="+strconv.Itoa(benchKeys)+"/impl=template", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			m.Range(func(K, int) bool { n++; return true })
			if n != benchKeys {
				b.Fatalf("Range visited %d keys, want %d", n, benchKeys)
			}
		}
	})
}
