package generated_test

import (
	"fmt"
	"math/rand"
	"reflect"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"testing/quick"

	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/shardmap"
)

// ops is the map API under test, the same for the generated type, the
// template it was stenciled from, and a plain Go map (the model). Compute
// differs only in the name of its op type, so it is adapted per map.
type ops[K comparable] struct {
	name          string
	load          func(K) (int, bool)
	store         func(K, int)
	loadOrStore   func(K, int) (int, bool)
	loadOrCompute func(K, func() int) (int, bool)
	loadAndDelete func(K) (int, bool)
	delete        func(K)
	swap          func(K, int) (int, bool)
	cas           func(K, int, int) bool
	cad           func(K, int) bool
	add           func(K, int) (int, bool) // Compute: add delta; delete when the sum is 0
	length        func() int
	clear         func()
	all           func() map[K]int
}

// model is the reference: a plain map with the same semantics.
func model[K comparable]() ops[K] {
	m := map[K]int{}
	return ops[K]{
		name:  "model",
		load:  func(k K) (int, bool) { v, ok := m[k]; return v, ok },
		store: func(k K, v int) { m[k] = v },
		loadOrStore: func(k K, v int) (int, bool) {
			if old, ok := m[k]; ok {
				return old, true
			}
			m[k] = v
			return v, false
		},
		loadOrCompute: func(k K, fn func() int) (int, bool) {
			if old, ok := m[k]; ok {
				return old, true
			}
			m[k] = fn()
			return m[k], false
		},
		loadAndDelete: func(k K) (int, bool) { v, ok := m[k]; delete(m, k); return v, ok },
		delete:        func(k K) { delete(m, k) },
		swap:          func(k K, v int) (int, bool) { old, ok := m[k]; m[k] = v; return old, ok },
		cas: func(k K, old, v int) bool {
			if cur, ok := m[k]; ok && cur == old {
				m[k] = v
				return true
			}
			return false
		},
		cad: func(k K, old int) bool {
			if cur, ok := m[k]; ok && cur == old {
				delete(m, k)
				return true
			}
			return false
		},
		add: func(k K, d int) (int, bool) {
			n := m[k] + d
			if n == 0 {
				delete(m, k)
				return 0, false
			}
			m[k] = n
			return n, true
		},
		length: func() int { return len(m) },
		clear:  func() { clear(m) },
		all: func() map[K]int {
			out := map[K]int{}
			for k, v := range m {
				out[k] = v
			}
			return out
		},
	}
}

// mapAPI is what the generated types and the template have in common.
type mapAPI[K comparable] interface {
	Load(K) (int, bool)
	Store(K, int)
	LoadOrStore(K, int) (int, bool)
	LoadOrCompute(K, func() int) (int, bool)
	LoadAndDelete(K) (int, bool)
	Delete(K)
	Swap(K, int) (int, bool)
	CompareAndSwap(K, int, int) bool
	CompareAndDelete(K, int) bool
	Len() int
	Clear()
	Range(func(K, int) bool)
}

func wrap[K comparable](name string, m mapAPI[K], add func(K, int) (int, bool)) ops[K] {
	return ops[K]{
		name: name, load: m.Load, store: m.Store, loadOrStore: m.LoadOrStore, loadOrCompute: m.LoadOrCompute,
		loadAndDelete: m.LoadAndDelete, delete: m.Delete, swap: m.Swap,
		cas: m.CompareAndSwap, cad: m.CompareAndDelete, add: add,
		length: m.Len, clear: m.Clear,
		all: func() map[K]int {
			out := map[K]int{}
			m.Range(func(k K, v int) bool {
				if _, dup := out[k]; dup {
					panic(fmt.Sprintf("Range visited %v twice", k))
				}
				out[k] = v
				return true
			})
			return out
		},
	}
}

// addOp returns the Compute adapter for a map whose op type is Op.
func addOp[K comparable, Op ~int](compute func(K, func(int, bool) (int, Op)) (int, bool), update, del Op) func(K, int) (int, bool) {
	return func(k K, d int) (int, bool) {
		return compute(k, func(old int, loaded bool) (int, Op) {
			if old+d == 0 {
				return 0, del
			}
			return old + d, update
		})
	}
}

// op is one random operation; a small key space makes hits, misses,
// deletes of present keys and resizes all common.
type op struct {
	Code  uint8
	Key   int
	Value int
}

type opSeq []op

func (opSeq) Generate(r *rand.Rand, size int) reflect.Value {
	n := 1 + r.Intn(20*size+1)
	keys := 1 + r.Intn(4*size+2)
	seq := make(opSeq, n)
	for i := range seq {
		seq[i] = op{Code: uint8(r.Intn(14)), Key: r.Intn(keys), Value: r.Intn(5) - 2}
	}
	return reflect.ValueOf(seq)
}

// apply runs seq on each map and reports the first step where a result differs.
func apply[K comparable](t *testing.T, seq opSeq, key func(int) K, maps ...ops[K]) bool {
	t.Helper()
	for step, o := range seq {
		k := key(o.Key)
		var results []string
		for _, m := range maps {
			var r any
			switch o.Code {
			case 0, 1:
				v, ok := m.load(k)
				r = [2]any{v, ok}
			case 2:
				m.store(k, o.Value)
			case 3:
				v, ok := m.loadOrStore(k, o.Value)
				r = [2]any{v, ok}
			case 4:
				v, ok := m.loadAndDelete(k)
				r = [2]any{v, ok}
			case 5:
				m.delete(k)
			case 6:
				v, ok := m.swap(k, o.Value)
				r = [2]any{v, ok}
			case 7:
				r = m.cas(k, o.Value, o.Value+1)
			case 8:
				r = m.cad(k, o.Value)
			case 9:
				v, ok := m.add(k, o.Value)
				r = [2]any{v, ok}
			case 10:
				r = m.length()
			case 11:
				if o.Value == 2 { // rarely: Clear
					m.clear()
				}
			case 12:
				r = m.all()
			case 13:
				calls := 0
				v, ok := m.loadOrCompute(k, func() int { calls++; return o.Value })
				r = [3]any{v, ok, calls}
			}
			results = append(results, fmt.Sprint(r))
		}
		for i := 1; i < len(results); i++ {
			if results[i] != results[0] {
				t.Errorf("step %d op %+v: %s gave %s, %s gave %s", step, o, maps[0].name, results[0], maps[i].name, results[i])
				return false
			}
		}
	}
	final := fmt.Sprint(sortedPairs(maps[0].all()))
	for _, m := range maps[1:] {
		if got := fmt.Sprint(sortedPairs(m.all())); got != final {
			t.Errorf("final contents: %s has %s, %s has %s", maps[0].name, final, m.name, got)
			return false
		}
	}
	return true
}

func sortedPairs[K comparable](m map[K]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%v=%d", k, v))
	}
	sort.Strings(out)
	return out
}

var quickConfig = &quick.Config{MaxCount: 300}

// Each test runs random operation sequences on the generated map, the
// template instantiated with the same types, and the model: every result
// and the final contents must agree.

func TestIntMapMatchesTemplateAndModel(t *testing.T) {
	f := func(seq opSeq) bool {
		g, tpl := generated.NewIntMap(), shardmap.New[int, int]()
		return apply(t, seq, func(i int) int { return i * 7919 },
			model[int](),
			wrap[int]("generated", g, addOp(g.Compute, generated.IntMapUpdateOp, generated.IntMapDeleteOp)),
			wrap[int]("template", tpl, addOp(tpl.Compute, shardmap.UpdateOp, shardmap.DeleteOp)))
	}
	if err := quick.Check(f, quickConfig); err != nil {
		t.Fatal(err)
	}
}

func TestStringMapMatchesTemplateAndModel(t *testing.T) {
	key := func(i int) string { return fmt.Sprintf("key-%d-%s", i, string(make([]byte, i%23))) }
	f := func(seq opSeq) bool {
		g, tpl := generated.NewStringMap(), shardmap.New[string, int]()
		return apply(t, seq, key,
			model[string](),
			wrap[string]("generated", g, addOp(g.Compute, generated.StringMapUpdateOp, generated.StringMapDeleteOp)),
			wrap[string]("template", tpl, addOp(tpl.Compute, shardmap.UpdateOp, shardmap.DeleteOp)))
	}
	if err := quick.Check(f, quickConfig); err != nil {
		t.Fatal(err)
	}
}

func TestStructMapMatchesTemplateAndModel(t *testing.T) {
	key := func(i int) generated.Key16 { return generated.Key16{A: int64(i % 3), B: int64(i / 3)} }
	f := func(seq opSeq) bool {
		g, tpl := generated.NewStructMap(), shardmap.New[generated.Key16, int]()
		return apply(t, seq, key,
			model[generated.Key16](),
			wrap[generated.Key16]("generated", g, addOp(g.Compute, generated.StructMapUpdateOp, generated.StructMapDeleteOp)),
			wrap[generated.Key16]("template", tpl, addOp(tpl.Compute, shardmap.UpdateOp, shardmap.DeleteOp)))
	}
	if err := quick.Check(f, quickConfig); err != nil {
		t.Fatal(err)
	}
}

func TestPtrMapMatchesTemplateAndModel(t *testing.T) {
	nodes := make([]*generated.Node, 512)
	for i := range nodes {
		nodes[i] = &generated.Node{ID: i}
	}
	key := func(i int) *generated.Node { return nodes[i%len(nodes)] }
	f := func(seq opSeq) bool {
		g, tpl := generated.NewPtrMap(), shardmap.New[*generated.Node, int]()
		return apply(t, seq, key,
			model[*generated.Node](),
			wrap[*generated.Node]("generated", g, addOp(g.Compute, generated.PtrMapUpdateOp, generated.PtrMapDeleteOp)),
			wrap[*generated.Node]("template", tpl, addOp(tpl.Compute, shardmap.UpdateOp, shardmap.DeleteOp)))
	}
	if err := quick.Check(f, quickConfig); err != nil {
		t.Fatal(err)
	}
}

// TestSizedMapMatchesTemplateAndModel runs fewer sequences: each makes a map
// presized for 100000 keys, 2 MiB of buckets.
func TestSizedMapMatchesTemplateAndModel(t *testing.T) {
	f := func(seq opSeq) bool {
		g, tpl := generated.NewSizedMap(), shardmap.New[int, int]()
		return apply(t, seq, func(i int) int { return i * 7919 },
			model[int](),
			wrap[int]("generated", g, addOp(g.Compute, generated.SizedMapUpdateOp, generated.SizedMapDeleteOp)),
			wrap[int]("template", tpl, addOp(tpl.Compute, shardmap.UpdateOp, shardmap.DeleteOp)))
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 8}); err != nil {
		t.Fatal(err)
	}
}

// TestLoadOrComputeCallsFnOncePerAbsentKey races goroutines on the same
// absent keys of each generated map, enough to grow its shards meanwhile:
// each key's function must run once, and every caller get its value.
func TestLoadOrComputeCallsFnOncePerAbsentKey(t *testing.T) {
	maps := map[string]interface {
		LoadOrCompute(int, func() int) (int, bool)
		Len() int
	}{"IntMap": generated.NewIntMap(), "SizedMap": generated.NewSizedMap()}
	for name, m := range maps {
		const goroutines, keys = 8, 4096
		var calls [keys]atomic.Int32
		start := make(chan struct{})
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := range keys {
					k := (i * (2*g + 1)) % keys
					v, _ := m.LoadOrCompute(k, func() int {
						calls[k].Add(1)
						runtime.Gosched() // widen the window for a second call
						return -k
					})
					if v != -k {
						t.Errorf("%s: LoadOrCompute(%d) = %d", name, k, v)
						return
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		for k := range calls {
			if n := calls[k].Load(); n != 1 {
				t.Fatalf("%s: the function of key %d ran %d times, want once", name, k, n)
			}
		}
		if m.Len() != keys {
			t.Fatalf("%s: Len() = %d, want %d", name, m.Len(), keys)
		}
	}
}

// TestAllMatchesRange checks the iterator against Range on a large map.
func TestAllMatchesRange(t *testing.T) {
	m := generated.NewIntMap()
	for i := range 10000 {
		m.Store(i, -i)
	}
	seen := map[int]int{}
	for k, v := range m.All() {
		if v != -k {
			t.Fatalf("All yielded %d=%d", k, v)
		}
		seen[k]++
	}
	if len(seen) != 10000 {
		t.Fatalf("All yielded %d keys, want 10000", len(seen))
	}
	n := 0
	for range m.All() {
		n++
		if n == 10 {
			break // stopping early must be allowed
		}
	}
	if n != 10 {
		t.Fatalf("early break: %d", n)
	}
}

// TestStoreInPlaceAllocs checks what Store allocates: nothing for a present
// key of a map whose value is a machine word (the generated maps here update
// it in place), one entry for the template, whose entries are immutable; and
// that a value stored in place is the one Load, Swap, CompareAndSwap and
// Compute see.
func TestStoreInPlaceAllocs(t *testing.T) {
	gen, tpl := generated.NewIntMap(), shardmap.New[int, int]()
	node := &generated.Node{}
	ptr := generated.NewPtrMap()
	gen.Store(1, 1)
	tpl.Store(1, 1)
	ptr.Store(node, 1)
	if n := testing.AllocsPerRun(100, func() { gen.Store(1, 2) }); n != 0 {
		t.Errorf("generated Store of a present int key: %v allocs, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { ptr.Store(node, 2) }); n != 0 {
		t.Errorf("generated Store of a present pointer key: %v allocs, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { gen.CompareAndSwap(1, 2, 2) }); n != 0 {
		t.Errorf("generated CompareAndSwap: %v allocs, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { tpl.Store(1, 2) }); n != 1 {
		t.Errorf("template Store of a present key: %v allocs, want 1 (an immutable entry)", n)
	}
}

// TestInPlaceValues checks that a value updated in place is the one every
// reader sees.
func TestInPlaceValues(t *testing.T) {
	m := generated.NewIntMap()
	m.Store(7, 1)
	if prev, loaded := m.Swap(7, 2); !loaded || prev != 1 {
		t.Fatalf("Swap = %d, %v; want 1, true", prev, loaded)
	}
	if !m.CompareAndSwap(7, 2, 3) || m.CompareAndSwap(7, 2, 4) {
		t.Fatal("CompareAndSwap: want a swap from 2 and none from a stale 2")
	}
	if v, ok := m.Compute(7, func(old int, loaded bool) (int, generated.IntMapComputeOp) {
		return old * 10, generated.IntMapUpdateOp
	}); !ok || v != 30 {
		t.Fatalf("Compute = %d, %v; want 30, true", v, ok)
	}
	if v, ok := m.Load(7); !ok || v != 30 {
		t.Fatalf("Load = %d, %v; want 30, true", v, ok)
	}
	for k, v := range m.All() {
		if k != 7 || v != 30 {
			t.Fatalf("All yielded %d=%d, want 7=30", k, v)
		}
	}
	if v, loaded := m.LoadAndDelete(7); !loaded || v != 30 {
		t.Fatalf("LoadAndDelete = %d, %v; want 30, true", v, loaded)
	}
}

// TestClearOfEmptyMapDoesNotAllocate checks that Clear allocates nothing for
// a map at its initial size, fresh from New or emptied by Clear, for every
// generated map: it used to give each of the 64 shards a new table, 128
// allocations.
func TestClearOfEmptyMapDoesNotAllocate(t *testing.T) {
	intMap, strMap := generated.NewIntMap(), generated.NewStringMap()
	structMap, ptrMap := generated.NewStructMap(), generated.NewPtrMap()
	for _, c := range []struct {
		name  string
		clear func()
		fill  func(n int)
	}{
		{"IntMap", intMap.Clear, func(n int) {
			for i := range n {
				intMap.Store(i, i)
			}
		}},
		{"StringMap", strMap.Clear, func(n int) {
			for i := range n {
				strMap.Store(fmt.Sprint(i), i)
			}
		}},
		{"StructMap", structMap.Clear, func(n int) {
			for i := range n {
				structMap.Store(generated.Key16{A: int64(i)}, i)
			}
		}},
		{"PtrMap", ptrMap.Clear, func(n int) {
			for i := range n {
				ptrMap.Store(&generated.Node{ID: i}, i)
			}
		}},
	} {
		if n := testing.AllocsPerRun(100, c.clear); n != 0 {
			t.Errorf("%s: Clear of a new map: %v allocs, want 0", c.name, n)
		}
		c.fill(10000)
		c.clear() // back to the initial size: a new table per shard
		if n := testing.AllocsPerRun(100, c.clear); n != 0 {
			t.Errorf("%s: Clear of a cleared map: %v allocs, want 0", c.name, n)
		}
	}
}

// TestClearOfSmallMapDoesNotAllocate checks that Clear allocates nothing for
// a map of up to five keys, which fit in the first bucket of their shards:
// storing them and clearing the map allocates one entry per key, for the
// generated map (whose values are updated in place) as for the template.
func TestClearOfSmallMapDoesNotAllocate(t *testing.T) {
	for _, m := range []mapAPI[int]{generated.NewIntMap(), shardmap.New[int, int]()} {
		for keys := range 6 {
			n := testing.AllocsPerRun(100, func() {
				for k := range keys {
					m.Store(k, k)
				}
				m.Clear()
			})
			if n != float64(keys) {
				t.Errorf("%T: Store of %d keys and Clear: %v allocs, want %d (the entries)", m, keys, n, keys)
			}
			if m.Len() != 0 {
				t.Fatalf("%T: Len() = %d after Clear", m, m.Len())
			}
		}
	}
}

// TestClearConcurrentWithLoadStoreRange clears a generated map, whose values
// are updated in place, over and over while writers store and readers Load
// and Range: no reader may see a value that was not stored for its key, or
// one that a Clear which returned before the read began has deleted.
func TestClearConcurrentWithLoadStoreRange(t *testing.T) {
	m := generated.NewIntMap()
	const (
		writers = 2
		keys    = 200 // about three a shard of 64
		clears  = 300
		// A value is key<<seqBits | seq; it fits an int of 32 bits.
		seqBits = 20
		maxSeq  = 1<<seqBits - 1
	)
	// Each key has one writer, which stores it with increasing sequence
	// numbers. Before each Clear, the clearer notes the last sequence number
	// whose Store has returned; once Clear returns, that is the key's floor:
	// every value of the key from then on has a higher one.
	var (
		attempted [keys]atomic.Int64 // the last seq a Store of the key began with
		returned  [keys]atomic.Int64 // the last seq a Store of the key returned from
		floor     [keys]atomic.Int64 // the last seq a returned Clear deleted
		reads     atomic.Int64
		stop      atomic.Bool
		errs      = make(chan error, 1)
	)
	report := func(format string, args ...any) {
		select {
		case errs <- fmt.Errorf(format, args...):
		default:
		}
		stop.Store(true)
	}
	check := func(op string, k, v int, floorK int64) {
		seq := int64(v & maxSeq)
		switch {
		case v>>seqBits != k:
			report("%s: key %d has value %#x, which was stored for key %d", op, k, v, v>>seqBits)
		case seq == 0 || seq > attempted[k].Load():
			report("%s: key %d has seq %d, which was never stored", op, k, seq)
		case seq <= floorK:
			report("%s: key %d has seq %d, deleted by a Clear that returned before the read (floor %d)", op, k, seq, floorK)
		}
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for seq := int64(1); seq <= maxSeq && !stop.Load(); seq++ {
				for k := w; k < keys; k += writers {
					attempted[k].Store(seq)
					m.Store(k, k<<seqBits|int(seq))
					returned[k].Store(seq)
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			var floors [keys]int64
			for !stop.Load() {
				for k := range keys {
					f := floor[k].Load()
					if v, ok := m.Load(k); ok {
						check("Load", k, v, f)
					}
				}
				for k := range floors {
					floors[k] = floor[k].Load()
				}
				var seen [keys]bool
				m.Range(func(k, v int) bool {
					if k < 0 || k >= keys || seen[k] {
						report("Range: key %d unknown or visited twice", k)
						return false
					}
					seen[k] = true
					check("Range", k, v, floors[k])
					return true
				})
				reads.Add(1)
			}
		})
	}
	var snap [keys]int64
	for range clears {
		for k := range snap {
			snap[k] = returned[k].Load()
		}
		m.Clear()
		for k := range snap {
			floor[k].Store(snap[k])
		}
	}
	// Let the readers finish at least one pass over a map being cleared.
	for reads.Load() < 2 && !stop.Load() {
		m.Clear()
		runtime.Gosched()
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestByteArrayKeysDifferingInOneByte: the generated maps read a byte-array
// key as little-endian words, the last overlapping the one before when its
// length is not a multiple of 8. Keys that differ in any one byte, at any
// place, must stay apart: each is stored, and each Load finds its own value.
func TestByteArrayKeysDifferingInOneByte(t *testing.T) {
	u := generated.NewUUIDMap()
	d := generated.NewDigestMap()
	want := 0
	for at := range 32 {
		for _, v := range []byte{1, 0x80, 0xff} {
			if at < 16 {
				var k generated.UUID
				k[at] = v
				u.Store(k, at<<8|int(v))
			}
			var k generated.Digest
			k[at] = v
			d.Store(k, at<<8|int(v))
			want++
		}
	}
	u.Store(generated.UUID{}, -1)
	d.Store(generated.Digest{}, -1)
	if got := d.Len(); got != want+1 {
		t.Fatalf("DigestMap holds %d keys, want %d: keys that differ in one byte collided", got, want+1)
	}
	if got := u.Len(); got != 16*3+1 {
		t.Fatalf("UUIDMap holds %d keys, want %d: keys that differ in one byte collided", got, 16*3+1)
	}
	for at := range 32 {
		for _, v := range []byte{1, 0x80, 0xff} {
			if at < 16 {
				var k generated.UUID
				k[at] = v
				if got, ok := u.Load(k); !ok || got != at<<8|int(v) {
					t.Errorf("UUIDMap.Load(byte %d = %#x) = %d, %v; want %d, true", at, v, got, ok, at<<8|int(v))
				}
			}
			var k generated.Digest
			k[at] = v
			if got, ok := d.Load(k); !ok || got != at<<8|int(v) {
				t.Errorf("DigestMap.Load(byte %d = %#x) = %d, %v; want %d, true", at, v, got, ok, at<<8|int(v))
			}
		}
	}
	if got, ok := u.Load(generated.UUID{}); !ok || got != -1 {
		t.Errorf("UUIDMap.Load(zero) = %d, %v; want -1, true", got, ok)
	}
}
