package shardmap

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"
	"unsafe"
)

func TestBucketIsOneCacheLine(t *testing.T) {
	if got := unsafe.Sizeof(bucket[int, int]{}); got != cacheLineSize {
		t.Fatalf("bucket size = %d, want %d", got, cacheLineSize)
	}
	if got := unsafe.Sizeof(bucket[string, [100]byte]{}); got != cacheLineSize {
		t.Fatalf("bucket size = %d, want %d", got, cacheLineSize)
	}
	if got := unsafe.Sizeof(shardSize{}); got != cacheLineSize {
		t.Fatalf("shardSize size = %d, want %d", got, cacheLineSize)
	}
	if got := unsafe.Offsetof(Map[int, int]{}.seed); got%cacheLineSize != 0 {
		t.Fatalf("Map.seed at offset %d, want a cache line boundary", got)
	}
}

func TestSWAR(t *testing.T) {
	for trial := range 10000 {
		r := rand.New(rand.NewPCG(uint64(trial), 1))
		var meta uint64
		var want [entriesPerBucket]bool
		c := h2(r.Uint64())
		for i := range entriesPerBucket {
			switch r.IntN(3) {
			case 0: // empty
			case 1:
				meta = setByte(meta, c, i)
				want[i] = true
			case 2:
				meta = setByte(meta, h2(r.Uint64()), i)
				want[i] = meta>>(8*i)&0xff == uint64(c)
			}
		}
		var got [entriesPerBucket]bool
		for w := markZeroBytes(meta ^ broadcast(c)); w != 0; w &= w - 1 {
			i := firstMarked(w)
			if i >= entriesPerBucket || meta>>(8*i)&0x80 == 0 {
				t.Fatalf("meta %#x h2 %#x: marked slot %d is empty or out of range", meta, c, i)
			}
			got[i] = true
		}
		for i := range want {
			if want[i] && !got[i] {
				t.Fatalf("meta %#x h2 %#x: slot %d not marked", meta, c, i)
			}
		}
		free := ^meta & occupiedMask
		for i := range entriesPerBucket {
			if (free>>(8*i)&0x80 != 0) != (meta>>(8*i)&0xff == 0) {
				t.Fatalf("meta %#x: free mask %#x wrong at slot %d", meta, free, i)
			}
		}
	}
}

func TestTableLenFor(t *testing.T) {
	for _, n := range []int64{-3, 0, 1, 2, 3, 10, 100, 1000, 1 << 20} {
		l := tableLenFor(n)
		if l < minTableLen || l&(l-1) != 0 {
			t.Fatalf("tableLenFor(%d) = %d, want a power of two >= %d", n, l, minTableLen)
		}
		if n > 0 && growThreshold(l) < n {
			t.Fatalf("tableLenFor(%d) = %d, which grows at %d", n, l, growThreshold(l))
		}
		if l > minTableLen && growThreshold(l/2) >= 2*n {
			t.Fatalf("tableLenFor(%d) = %d, larger than needed", n, l)
		}
	}
}

// TestPresizedMapDoesNotGrow inserts n keys into maps whose shards start
// with presizedTableLen(n) buckets: no shard may get a new table. The
// control, a map of one bucket per shard, must grow, so the check can fail.
func TestPresizedMapDoesNotGrow(t *testing.T) {
	for _, n := range []int64{1, 100, 1000, 5000, 100_000} {
		for round := range 2 {
			m := &Map[int, int]{seed: newHashSeed()}
			m.initTables(presizedTableLen(n))
			if grown := insertAndCountGrown(m, n); grown != 0 {
				t.Fatalf("n=%d round %d: %d shards grew", n, round, grown)
			}
			st := checkInvariants(t, m)
			if st.entries != int(n) {
				t.Fatalf("n=%d: %d entries", n, st.entries)
			}
		}
	}
	control := &Map[int, int]{seed: newHashSeed()}
	control.initTables(minTableLen)
	if insertAndCountGrown(control, 5000) == 0 {
		t.Fatal("control: no shard of an unsized map grew")
	}
}

// insertAndCountGrown stores keys 0..n-1 into m and returns how many shards
// got a new table meanwhile.
func insertAndCountGrown(m *Map[int, int], n int64) int {
	var before [shardCount]*table[int, int]
	for si := range m.shards {
		before[si] = m.shards[si].table.Load()
	}
	for k := range int(n) {
		m.Store(k, k)
	}
	grown := 0
	for si := range m.shards {
		if m.shards[si].table.Load() != before[si] {
			grown++
		}
	}
	return grown
}

func TestPresizedTableLen(t *testing.T) {
	for _, n := range []int64{1, 2, 10, 100, 1000, 1 << 20, 1 << 30} {
		l := presizedTableLen(n)
		if l < minTableLen || l&(l-1) != 0 {
			t.Fatalf("presizedTableLen(%d) = %d, want a power of two >= %d", n, l, minTableLen)
		}
		if mean := n / shardCount; growThreshold(l) < mean {
			t.Fatalf("presizedTableLen(%d) = %d, which grows at %d, below the mean %d keys per shard", n, l, growThreshold(l), mean)
		}
		// At most twice the buckets the mean plus slack needs, rounded up.
		if l > minTableLen && growThreshold(l/2) >= 2*(n/shardCount)+64 {
			t.Fatalf("presizedTableLen(%d) = %d, larger than needed", n, l)
		}
	}
}

// TestLoadOrComputeDoesNotBlockOtherKeys holds fn of one key until a
// LoadOrCompute of a key of another shard, a Load of the first key and a
// Store of the other have returned: a slow fn blocks only its own chain
// (puzpuzpuz/xsync#116 asked for this to be said).
func TestLoadOrComputeDoesNotBlockOtherKeys(t *testing.T) {
	m := New[int, int]()
	a := 0
	b := 1
	for shardOf(&m.seed, b, hashKey(&m.seed, b)) == shardOf(&m.seed, a, hashKey(&m.seed, a)) {
		b++
	}
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.LoadOrCompute(a, func() int { close(started); <-release; return 1 })
	}()
	<-started
	others := make(chan struct{})
	go func() {
		defer close(others)
		m.LoadOrCompute(b, func() int { return 2 })
		m.Store(b, 3)
		if _, ok := m.Load(a); ok {
			t.Error("key a present while its fn runs")
		}
	}()
	select {
	case <-others:
	case <-time.After(10 * time.Second):
		t.Error("operations on another key waited for fn")
	}
	close(release)
	<-done
	<-others
	if v, _ := m.Load(a); v != 1 {
		t.Fatalf("Load(a) = %d", v)
	}
}

// mapStats describes the tables of a quiescent map.
type mapStats struct {
	entries   int
	buckets   int // root buckets
	maxChain  int // buckets in the longest chain
	probes    int // buckets a Load of every key visits, summed
	tableLens [shardCount]int
}

// checkInvariants walks every table of m, which no goroutine is using, and
// fails if any entry is misplaced, any meta byte disagrees with its slot, any
// key appears twice or the size counters disagree with the entries.
func checkInvariants[K comparable, V any](t *testing.T, m *Map[K, V]) mapStats {
	t.Helper()
	var st mapStats
	seen := make(map[K]bool)
	for si := range m.shards {
		tab := m.shards[si].table.Load()
		if len(tab.buckets) != int(tab.mask)+1 || len(tab.buckets)&(len(tab.buckets)-1) != 0 {
			t.Fatalf("shard %d: %d buckets, mask %#x", si, len(tab.buckets), tab.mask)
		}
		st.tableLens[si] = len(tab.buckets)
		st.buckets += len(tab.buckets)
		var n int64
		for bi := range tab.buckets {
			chain := 0
			for b := &tab.buckets[bi]; b != nil; b = b.next.Load() {
				chain++
				meta := b.meta.Load()
				if meta&^(1<<(8*entriesPerBucket)-1) != 0 {
					t.Fatalf("meta %#x uses bytes beyond slot %d", meta, entriesPerBucket-1)
				}
				for i := range b.entries {
					e := b.entries[i].Load()
					mb := uint8(meta >> (8 * i))
					if e == nil {
						if mb != 0 {
							t.Fatalf("shard %d bucket %d: empty slot %d has meta %#x", si, bi, i, mb)
						}
						continue
					}
					h := hashKey(&m.seed, e.key)
					if int(shardOf(&m.seed, e.key, h)) != si || int((h>>h2Bits)&tab.mask) != bi || mb != h2(h) {
						t.Fatalf("key %v misplaced: shard %d bucket %d meta %#x, hash %#x", e.key, si, bi, mb, h)
					}
					if seen[e.key] {
						t.Fatalf("key %v stored twice", e.key)
					}
					seen[e.key] = true
					n++
					st.probes += chain
				}
			}
			st.maxChain = max(st.maxChain, chain)
		}
		if got := m.sizes[si].n.Load(); got != n {
			t.Fatalf("shard %d: size counter %d, %d entries", si, got, n)
		}
	}
	st.entries = len(seen)
	if m.Len() != st.entries {
		t.Fatalf("Len() = %d, %d entries", m.Len(), st.entries)
	}
	return st
}

func TestGrowAndShrink(t *testing.T) {
	m := New[int, int]()
	st := checkInvariants(t, m)
	if st.buckets != shardCount*minTableLen {
		t.Fatalf("new map has %d buckets, want %d", st.buckets, shardCount*minTableLen)
	}
	const n = 50000
	for i := range n {
		m.Store(i, i)
	}
	st = checkInvariants(t, m)
	if st.entries != n || st.buckets < n/entriesPerBucket {
		t.Fatalf("after %d stores: %d entries in %d buckets", n, st.entries, st.buckets)
	}
	// At the load factor most keys live in their root bucket.
	if avg := float64(st.probes) / n; avg > 1.3 {
		t.Fatalf("average chain position %.2f, want <= 1.3", avg)
	}
	grown := st.buckets
	for i := range n - 100 {
		m.Delete(i)
	}
	st = checkInvariants(t, m)
	if st.entries != 100 || st.buckets > grown/16 {
		t.Fatalf("after deleting all but 100 keys: %d entries in %d buckets (grown to %d)", st.entries, st.buckets, grown)
	}
	for i := n - 100; i < n; i++ {
		if v, ok := m.Load(i); !ok || v != i {
			t.Fatalf("Load(%d) = %d, %v after shrink", i, v, ok)
		}
	}
	for i := range n {
		m.Store(i, -i)
	}
	m.Clear()
	st = checkInvariants(t, m)
	if st.entries != 0 || st.buckets != shardCount*minTableLen {
		t.Fatalf("after Clear: %d entries in %d buckets", st.entries, st.buckets)
	}
}

// collidingKeys returns n distinct ints whose hashes under m's seed agree on
// the shard, the meta byte and the low bits of the bucket index, so that up
// to 1<<bucketBits buckets per shard they all land in one chain and every
// slot of it matches their h2.
func collidingKeys(m *Map[int, int], n, bucketBits int) []int {
	mask := uint64(1)<<(h2Bits+bucketBits) - 1
	want := hashKey(&m.seed, 0)
	keys := []int{0}
	for k := 1; len(keys) < n; k++ {
		h := hashKey(&m.seed, k)
		if shardOf(&m.seed, k, h) == shardOf(&m.seed, 0, want) && h&mask == want&mask {
			keys = append(keys, k)
		}
	}
	return keys
}

// TestHeavyCollisions runs random operations on keys that all collide, and
// checks the map against a Go map: correctness must not depend on a good
// spread of the hash.
func TestHeavyCollisions(t *testing.T) {
	m := New[int, int]()
	keys := collidingKeys(m, 60, 3)
	model := make(map[int]int)
	r := rand.New(rand.NewPCG(1, 2))
	for step := range 20000 {
		k := keys[r.IntN(len(keys))]
		switch op := r.IntN(6); op {
		case 0, 1:
			m.Store(k, step)
			model[k] = step
		case 2:
			got, ok := m.LoadAndDelete(k)
			want, wok := model[k]
			if got != want || ok != wok {
				t.Fatalf("step %d: LoadAndDelete(%d) = %d, %v; want %d, %v", step, k, got, ok, want, wok)
			}
			delete(model, k)
		case 3:
			got, loaded := m.LoadOrStore(k, step)
			want, wok := model[k]
			if !wok {
				want = step
				model[k] = step
			}
			if got != want || loaded != wok {
				t.Fatalf("step %d: LoadOrStore(%d) = %d, %v; want %d, %v", step, k, got, loaded, want, wok)
			}
		case 4:
			want, wok := model[k]
			old := want + r.IntN(2)
			swapped := m.CompareAndSwap(k, old, step)
			if swapped != (wok && old == want) {
				t.Fatalf("step %d: CompareAndSwap(%d, %d) = %v, model %d, %v", step, k, old, swapped, want, wok)
			}
			if swapped {
				model[k] = step
			}
		case 5:
			if r.IntN(200) == 0 {
				m.Clear()
				clear(model)
				break
			}
			want, wok := model[k]
			got, ok := m.Compute(k, func(old int, loaded bool) (int, ComputeOp) {
				if loaded != wok || old != want {
					t.Fatalf("step %d: Compute(%d) got %d, %v; want %d, %v", step, k, old, loaded, want, wok)
				}
				if old%3 == 0 {
					return 0, DeleteOp
				}
				return old + 1, UpdateOp
			})
			if want%3 == 0 {
				delete(model, k)
			} else {
				model[k] = want + 1
			}
			if w, wok := model[k]; got != w || ok != wok {
				t.Fatalf("step %d: Compute(%d) = %d, %v; want %d, %v", step, k, got, ok, w, wok)
			}
		}
		for _, k := range keys[:8] {
			got, ok := m.Load(k)
			want, wok := model[k]
			if got != want || ok != wok {
				t.Fatalf("step %d: Load(%d) = %d, %v; want %d, %v", step, k, got, ok, want, wok)
			}
		}
		if step%1000 == 0 {
			st := checkInvariants(t, m)
			if st.entries != len(model) {
				t.Fatalf("step %d: %d entries, model has %d", step, st.entries, len(model))
			}
		}
	}
	for k := range model {
		m.Store(k, 0)
	}
	for _, k := range keys {
		m.Store(k, 1)
	}
	st := checkInvariants(t, m)
	// Spread keys would sit in their root buckets.
	if st.maxChain < 4 {
		t.Fatalf("longest chain %d buckets: the keys do not collide", st.maxChain)
	}
}

// TestBoundedChains stores keys that would all collide in a table indexed by
// their low bits (multiples of a large power of two) or that share a long
// prefix, and checks by counting buckets, not time, that the seeded hash
// keeps every Load short.
func TestBoundedChains(t *testing.T) {
	const n = 1 << 14
	check := func(t *testing.T, st mapStats) {
		if avg := float64(st.probes) / float64(st.entries); avg > 1.5 {
			t.Errorf("a Load visits %.2f buckets on average, want <= 1.5", avg)
		}
		if st.maxChain > 4 {
			t.Errorf("longest chain %d buckets, want <= 4", st.maxChain)
		}
	}
	t.Run("key=int", func(t *testing.T) {
		m := New[int, int]()
		for i := range n {
			m.Store(i<<20, i)
		}
		check(t, checkInvariants(t, m))
	})
	t.Run("key=str", func(t *testing.T) {
		m := New[string, int]()
		for i := range n {
			m.Store(fmt.Sprintf("user-session-%012d", i), i)
		}
		check(t, checkInvariants(t, m))
	})
	// Under the seeded mixers the generator substitutes for hashKey, the
	// shard and bucket bits of adversarial integers stay spread too.
	t.Run("key=int/hash=hashU64", func(t *testing.T) {
		s := newHashSeed()
		var shards [shardCount]int
		buckets := make(map[uint64]int)
		for i := range n {
			h := hashU64(&s.mix, uint64(i)<<32)
			shards[h>>1>>shardShift]++
			buckets[(h>>h2Bits)&(n/8-1)]++
		}
		for si, c := range shards {
			if c < n/shardCount/2 || c > n/shardCount*2 {
				t.Errorf("shard %d holds %d of %d keys", si, c, n)
			}
		}
		worst := 0
		for _, c := range buckets {
			worst = max(worst, c)
		}
		if worst > 32 { // 8 on average
			t.Errorf("fullest bucket holds %d keys", worst)
		}
	})
	// shardU64, the shardOf the generator substitutes for one-word keys,
	// spreads adversarial integers over the shards too.
	t.Run("key=int/shard=shardU64", func(t *testing.T) {
		for _, shift := range []int{0, 20, 32, 50} {
			s := newHashSeed()
			var shards [shardCount]int
			for i := range n {
				shards[shardU64(&s.mix, uint64(i)<<shift)]++
			}
			for si, c := range shards {
				if c < n/shardCount/2 || c > n/shardCount*2 {
					t.Errorf("keys i<<%d: shard %d holds %d of %d keys", shift, si, c, n)
				}
			}
		}
	})
}

func TestRangeSkipsNothingAcrossResize(t *testing.T) {
	m := New[string, int]()
	for i := range 1000 {
		m.Store(strconv.Itoa(i), i)
	}
	seen := make(map[string]bool)
	m.Range(func(k string, v int) bool {
		if seen[k] {
			t.Fatalf("key %q visited twice", k)
		}
		seen[k] = true
		// Grow the map under Range's feet.
		if k[0] != 'x' {
			m.Store("x"+k, v)
		}
		return true
	})
	for i := range 1000 {
		if !seen[strconv.Itoa(i)] {
			t.Fatalf("key %d not visited", i)
		}
	}
	checkInvariants(t, m)
}

// clearsInPlace reports whether Clear can clear shard si of m, which no
// goroutine is using, in place: its table has one bucket and no key lies past
// it.
func clearsInPlace[K comparable, V any](m *Map[K, V], si int) bool {
	tab := m.shards[si].table.Load()
	if len(tab.buckets) != 1 {
		return false
	}
	for b := tab.buckets[0].next.Load(); b != nil; b = b.next.Load() {
		if b.meta.Load() != 0 {
			return false
		}
	}
	return true
}

// TestClearAllocatesOnlyForGrownShards checks what Clear's doc comment says
// it allocates: two allocations (a table and its buckets) for each shard it
// cannot clear in place, none for the others.
func TestClearAllocatesOnlyForGrownShards(t *testing.T) {
	m := New[int, int]()
	for _, n := range []int{0, 1, 5, 100, 300, 1000, 50000} {
		// mallocs counts the allocations of every goroutine: another
		// one (the runtime's, a test's left behind) may add one to a
		// count. Such noise only adds, so one exact count of three
		// tries passes, and a Clear that allocates more fails all three.
		var got uint64
		grown := 0
		for range 3 {
			for k := range n {
				m.Store(k, k)
			}
			grown = 0
			for si := range m.shards {
				if !clearsInPlace(m, si) {
					grown++
				}
			}
			if got = mallocs(m.Clear); got == uint64(2*grown) {
				break
			}
		}
		if got != uint64(2*grown) {
			t.Errorf("%d keys: Clear made %d allocations, want 2 for each of the %d shards that grew", n, got, grown)
		}
		if st := checkInvariants(t, m); st.entries != 0 || st.buckets != shardCount*minTableLen {
			t.Fatalf("%d keys: after Clear, %d entries in %d buckets", n, st.entries, st.buckets)
		}
	}
}

// mallocs returns the number of heap allocations f makes, run alone.
func mallocs(f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs
}

// TestClearChainPastFirstBucket clears shards of one bucket whose chain goes
// on past it: with keys in the overflow buckets, which Clear cannot hide at
// one instant with the first bucket's (it gives the shard a new table), and
// with empty overflow buckets only, which it drops.
func TestClearChainPastFirstBucket(t *testing.T) {
	m := New[int, int]()
	keys := collidingKeys(m, 2*entriesPerBucket, 0)
	si := shardOf(&m.seed, keys[0], hashKey(&m.seed, keys[0]))
	tab := m.shards[si].table.Load()
	if len(tab.buckets) != 1 {
		t.Fatalf("shard %d has %d buckets, want 1", si, len(tab.buckets))
	}
	// Chain two overflow buckets to the shard's only bucket, as a shrink to
	// one bucket can, without growing it.
	for _, k := range keys {
		tab.add(hashKey(&m.seed, k), &entry[int, int]{key: k, value: k})
	}
	m.sizes[si].n.Add(int64(len(keys)))
	checkInvariants(t, m)
	if clearsInPlace(m, int(si)) {
		t.Fatal("keys past the first bucket, yet clearsInPlace")
	}
	m.Clear()
	if m.shards[si].table.Load() == tab {
		t.Fatal("Clear kept the table of a shard with keys past its first bucket")
	}
	if st := checkInvariants(t, m); st.entries != 0 || st.maxChain != 1 {
		t.Fatalf("after Clear: %d entries, longest chain %d", st.entries, st.maxChain)
	}

	// Now the same chain with only the first bucket's keys left.
	tab = m.shards[si].table.Load()
	for _, k := range keys {
		tab.add(hashKey(&m.seed, k), &entry[int, int]{key: k, value: k})
	}
	m.sizes[si].n.Add(int64(len(keys)))
	for _, k := range keys[entriesPerBucket:] {
		m.Delete(k)
	}
	if tab.buckets[0].next.Load() == nil || !clearsInPlace(m, int(si)) {
		t.Fatal("want a chain with keys in its first bucket only")
	}
	m.Clear()
	if m.shards[si].table.Load() != tab {
		t.Fatal("Clear replaced a table it can clear in place")
	}
	if st := checkInvariants(t, m); st.entries != 0 || st.maxChain != 1 {
		t.Fatalf("after Clear: %d entries, longest chain %d", st.entries, st.maxChain)
	}
	for _, k := range keys {
		if _, ok := m.Load(k); ok {
			t.Fatalf("key %d present after Clear", k)
		}
	}
}
