package shardmap_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/templates/shardmap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestMatchesModel applies random sequences of every operation to a Map and
// to a Go map and fails at the first difference. Each sequence first fills a
// key space far larger than the initial tables (growing every shard several
// times), then deletes most of it (shrinking them), with Clear now and then.
func TestMatchesModel(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 42))
			m := shardmap.New[int, int]()
			model := make(map[int]int)
			keys := 1 << (8 + seed) // 256 .. 8192 distinct keys
			phases := []struct {
				steps        int
				insertWeight int // out of 10: the rest deletes
			}{{6 * keys, 8}, {6 * keys, 2}, {2 * keys, 5}}
			step := 0
			for _, ph := range phases {
				for range ph.steps {
					step++
					applyRandomOp(t, r, m, model, keys, ph.insertWeight, step)
				}
				checkContents(t, m, model)
			}
		})
	}
}

func applyRandomOp(t *testing.T, r *rand.Rand, m *shardmap.Map[int, int], model map[int]int, keys, insertWeight, step int) {
	t.Helper()
	k := r.IntN(keys)
	v := r.IntN(4) // few values, so that CompareAndSwap sometimes matches
	want, present := model[k]
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("step %d, key %d (model %d, %v): %s", step, k, want, present, fmt.Sprintf(format, args...))
	}
	insert := r.IntN(10) < insertWeight
	switch op := r.IntN(6); {
	case op == 0 && insert:
		m.Store(k, v)
		model[k] = v
	case op == 0:
		m.Delete(k)
		delete(model, k)
	case op == 1 && insert:
		got, loaded := m.LoadOrStore(k, v)
		if loaded != present || loaded && got != want || !loaded && got != v {
			fail("LoadOrStore(%d) = %d, %v", v, got, loaded)
		}
		if !present {
			model[k] = v
		}
	case op == 1:
		got, loaded := m.LoadAndDelete(k)
		if loaded != present || got != want {
			fail("LoadAndDelete = %d, %v", got, loaded)
		}
		delete(model, k)
	case op == 2 && insert:
		got, loaded := m.Swap(k, v)
		if loaded != present || got != want {
			fail("Swap(%d) = %d, %v", v, got, loaded)
		}
		model[k] = v
	case op == 2:
		old := r.IntN(4)
		deleted := m.CompareAndDelete(k, old)
		if deleted != (present && want == old) {
			fail("CompareAndDelete(%d) = %v", old, deleted)
		}
		if deleted {
			delete(model, k)
		}
	case op == 3 && insert && r.IntN(2) == 0:
		calls := 0
		got, loaded := m.LoadOrCompute(k, func() int { calls++; return v })
		if loaded != present || loaded && (got != want || calls != 0) || !loaded && (got != v || calls != 1) {
			fail("LoadOrCompute(%d) = %d, %v after %d calls", v, got, loaded, calls)
		}
		if !present {
			model[k] = v
		}
	case op == 3:
		old := r.IntN(4)
		swapped := m.CompareAndSwap(k, old, v)
		if swapped != (present && want == old) {
			fail("CompareAndSwap(%d, %d) = %v", old, v, swapped)
		}
		if swapped {
			model[k] = v
		}
	case op == 4:
		// Update when inserting, delete otherwise; cancel one time in four.
		cancel := r.IntN(4) == 0
		calls := 0
		got, ok := m.Compute(k, func(old int, loaded bool) (int, shardmap.ComputeOp) {
			calls++
			if loaded != present || old != want {
				fail("Compute called with %d, %v", old, loaded)
			}
			switch {
			case cancel:
				return 99, shardmap.CancelOp
			case insert:
				return old + v, shardmap.UpdateOp
			default:
				return 99, shardmap.DeleteOp
			}
		})
		switch {
		case cancel:
		case insert:
			model[k] = want + v
		default:
			delete(model, k)
		}
		w, wok := model[k]
		if calls != 1 || ok != wok || got != w {
			fail("Compute = %d, %v after %d calls; want %d, %v", got, ok, calls, w, wok)
		}
	case op == 5 && r.IntN(keys) == 0:
		m.Clear()
		clear(model)
		if n := m.Len(); n != 0 {
			fail("Len() = %d after Clear", n)
		}
	default:
		got, ok := m.Load(k)
		if ok != present || got != want {
			fail("Load = %d, %v", got, ok)
		}
	}
	if step%1024 == 0 {
		checkContents(t, m, model)
	}
}

// checkContents compares Len, Range, All and Load of every model key with the
// model.
func checkContents(t *testing.T, m *shardmap.Map[int, int], model map[int]int) {
	t.Helper()
	if m.Len() != len(model) {
		t.Fatalf("Len() = %d, model has %d keys", m.Len(), len(model))
	}
	ranged := make(map[int]int)
	m.Range(func(k, v int) bool {
		if _, dup := ranged[k]; dup {
			t.Fatalf("Range visited %d twice", k)
		}
		ranged[k] = v
		return true
	})
	if !maps.Equal(ranged, model) {
		t.Fatalf("Range saw %d keys, model has %d: contents differ", len(ranged), len(model))
	}
	all := make(map[int]int)
	for k, v := range m.All() {
		all[k] = v
	}
	if !maps.Equal(all, model) {
		t.Fatalf("All saw %d keys, model has %d: contents differ", len(all), len(model))
	}
	for k, want := range model {
		if got, ok := m.Load(k); !ok || got != want {
			t.Fatalf("Load(%d) = %d, %v; want %d", k, got, ok, want)
		}
	}
}

func TestRangeStops(t *testing.T) {
	m := shardmap.New[int, int]()
	for i := range 1000 {
		m.Store(i, i)
	}
	calls := 0
	m.Range(func(int, int) bool { calls++; return calls < 10 })
	if calls != 10 {
		t.Fatalf("Range called f %d times after it returned false at the 10th", calls)
	}
	calls = 0
	for range m.All() {
		calls++
		if calls == 7 {
			break
		}
	}
	if calls != 7 {
		t.Fatalf("All yielded %d times after break at the 7th", calls)
	}
}

func TestStringKeys(t *testing.T) {
	m := shardmap.New[string, *int]()
	model := make(map[string]*int)
	r := rand.New(rand.NewPCG(7, 7))
	for range 20000 {
		k := fmt.Sprint("k", r.IntN(3000))
		switch r.IntN(3) {
		case 0:
			v := new(int)
			m.Store(k, v)
			model[k] = v
		case 1:
			m.Delete(k)
			delete(model, k)
		case 2:
			got, ok := m.Load(k)
			if want, wok := model[k]; got != want || ok != wok {
				t.Fatalf("Load(%q) = %p, %v; want %p, %v", k, got, ok, want, wok)
			}
		}
	}
	if m.Len() != len(model) {
		t.Fatalf("Len() = %d, want %d", m.Len(), len(model))
	}
}

func TestCompareAndSwapUncomparablePanics(t *testing.T) {
	m := shardmap.New[int, any]()
	m.Store(1, []int{1})
	defer func() {
		if recover() == nil {
			t.Fatal("CompareAndSwap of uncomparable values did not panic")
		}
	}()
	m.CompareAndSwap(1, []int{1}, 2)
}

func TestAllocations(t *testing.T) {
	m := shardmap.New[int, int]()
	for i := range 1000 {
		m.Store(i, i)
	}
	if n := testing.AllocsPerRun(100, func() { m.Load(500) }); n != 0 {
		t.Errorf("Load allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { m.Load(-1) }); n != 0 {
		t.Errorf("Load of an absent key allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { m.Store(500, 1) }); n != 1 {
		t.Errorf("Store of a present key allocates %v times, want 1 (the entry)", n)
	}
	if n := testing.AllocsPerRun(100, func() { m.LoadOrStore(500, 1) }); n != 0 {
		t.Errorf("LoadOrStore of a present key allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { m.Delete(-1) }); n != 0 {
		t.Errorf("Delete of an absent key allocates %v times", n)
	}
}

// TestConcurrentOwners runs writers that each own a range of keys, and check
// that they read back what they wrote while the other writers' inserts and
// deletes resize the shards, and readers, Range and Len run alongside.
func TestConcurrentOwners(t *testing.T) {
	const (
		writers = 4
		perKeys = 2000
		rounds  = 3
	)
	m := shardmap.New[int, int]()
	// value encodes its key, so any reader can check a value it sees.
	val := func(k, version int) int { return k<<20 | version }
	keyOf := func(v int) int { return v >> 20 }

	var stop atomic.Bool
	var readers sync.WaitGroup
	errs := make(chan error, 16)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for r := range 2 {
		readers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 9))
			for !stop.Load() {
				k := rng.IntN(writers * perKeys)
				if v, ok := m.Load(k); ok && keyOf(v) != k {
					report(fmt.Errorf("Load(%d) = value of key %d", k, keyOf(v)))
				}
				runtime.Gosched()
			}
		})
	}
	readers.Go(func() {
		for !stop.Load() {
			seen := make(map[int]bool)
			m.Range(func(k, v int) bool {
				if seen[k] || keyOf(v) != k {
					report(fmt.Errorf("Range: key %d twice (%v) or with value of key %d", k, seen[k], keyOf(v)))
				}
				seen[k] = true
				return true
			})
			if n := m.Len(); n < 0 || n > writers*perKeys {
				report(fmt.Errorf("Len() = %d", n))
			}
		}
	})

	var wg sync.WaitGroup
	finals := make([]map[int]int, writers)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			mine := make(map[int]int)
			lo := w * perKeys
			for round := range rounds {
				// Fill: grows the shards.
				for i := range perKeys {
					k := lo + i
					v := val(k, round)
					switch i % 4 {
					case 0:
						m.Store(k, v)
					case 1:
						m.Swap(k, v)
					case 2:
						m.Compute(k, func(int, bool) (int, shardmap.ComputeOp) { return v, shardmap.UpdateOp })
					case 3:
						if _, ok := mine[k]; ok {
							m.Store(k, v)
						} else if got, loaded := m.LoadOrStore(k, v); loaded {
							report(fmt.Errorf("LoadOrStore(%d) loaded %d, writer holds none", k, got))
						}
					}
					mine[k] = v
				}
				// Check and thin out: shrinks them.
				for i := range perKeys {
					k := lo + i
					got, ok := m.Load(k)
					if want := mine[k]; !ok || got != want {
						report(fmt.Errorf("Load(%d) = %d, %v; want %d", k, got, ok, want))
					}
					if rng.IntN(8) != 0 {
						var del bool
						if i%2 == 0 {
							_, del = m.LoadAndDelete(k)
						} else {
							del = m.CompareAndDelete(k, mine[k])
						}
						if !del {
							report(fmt.Errorf("delete of %d failed", k))
						}
						delete(mine, k)
					} else if !m.CompareAndSwap(k, mine[k], val(k, 100+round)) {
						report(fmt.Errorf("CompareAndSwap(%d) failed", k))
					} else {
						mine[k] = val(k, 100+round)
					}
				}
			}
			finals[w] = mine
		})
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := make(map[int]int)
	for _, mine := range finals {
		maps.Copy(want, mine)
	}
	checkContents(t, m, want)
}

// TestConcurrentCompute increments counters from many goroutines with
// Compute and checks that no increment is lost.
func TestConcurrentCompute(t *testing.T) {
	const (
		goroutines = 4
		increments = 5000
		counters   = 50
	)
	m := shardmap.New[int, int]()
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range increments {
				m.Compute((i+g)%counters, func(old int, _ bool) (int, shardmap.ComputeOp) {
					return old + 1, shardmap.UpdateOp
				})
			}
		})
	}
	wg.Wait()
	total := 0
	for _, v := range m.All() {
		total += v
	}
	if total != goroutines*increments || m.Len() != counters {
		t.Fatalf("counters sum to %d over %d keys, want %d over %d", total, m.Len(), goroutines*increments, counters)
	}
}

// TestRangeDuringChurn checks what Range guarantees while other goroutines
// insert and delete keys (resizing the shards) and Clear runs: a key present
// and unmodified for the whole call is visited exactly once with its value,
// no key is visited twice, and a churned key is seen only with a value it
// held.
func TestRangeDuringChurn(t *testing.T) {
	const stable, churn = 500, 5000
	m := shardmap.New[int, int]()
	for k := range stable {
		m.Store(k, -k)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				k := stable + (i*7+g)%churn
				if i%3 == 0 {
					m.Delete(k)
				} else {
					m.Store(k, -k)
				}
			}
		})
	}
	for range 30 {
		seen := make(map[int]int)
		m.Range(func(k, v int) bool {
			if v != -k {
				t.Errorf("Range: key %d with value %d", k, v)
			}
			seen[k]++
			return true
		})
		for k, n := range seen {
			if n != 1 {
				t.Errorf("Range visited key %d %d times", k, n)
			}
		}
		for k := range stable {
			if seen[k] != 1 {
				t.Fatalf("Range visited stable key %d %d times", k, seen[k])
			}
		}
	}
	stop.Store(true)
	wg.Wait()
}

// TestConcurrentClear clears the map while writers store and delete, and
// checks that the map stays consistent: at quiescence Len, Range and Load
// agree.
func TestConcurrentClear(t *testing.T) {
	m := shardmap.New[int, int]()
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for i := range 20000 {
				k := (i*13 + g) % 3000
				if i%5 == 0 {
					m.Delete(k)
				} else {
					m.Store(k, k)
				}
			}
		})
	}
	for range 20 {
		m.Clear()
		runtime.Gosched()
	}
	wg.Wait()
	model := make(map[int]int)
	m.Range(func(k, v int) bool {
		if v != k {
			t.Fatalf("key %d has value %d", k, v)
		}
		model[k] = v
		return true
	})
	checkContents(t, m, model)
	keys := slices.Collect(maps.Keys(model))
	for _, k := range keys {
		m.Delete(k)
	}
	if m.Len() != 0 {
		t.Fatalf("Len() = %d after deleting every key", m.Len())
	}
}

func ExampleMap_Compute() {
	hits := shardmap.New[string, int]()
	for _, page := range []string{"/", "/about", "/"} {
		hits.Compute(page, func(old int, _ bool) (int, shardmap.ComputeOp) {
			return old + 1, shardmap.UpdateOp
		})
	}
	// Delete a counter once it reaches 2, atomically.
	n, ok := hits.Compute("/", func(old int, loaded bool) (int, shardmap.ComputeOp) {
		if loaded && old >= 2 {
			return 0, shardmap.DeleteOp
		}
		return old, shardmap.CancelOp
	})
	fmt.Println(n, ok, hits.Len())
	// Output: 0 false 1
}

func TestComputePanicUnlocks(t *testing.T) {
	m := shardmap.New[int, int]()
	m.Store(1, 10)
	for _, key := range []int{1, 2} { // present, absent
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Fatalf("recovered %v, want boom", r)
				}
			}()
			m.Compute(key, func(int, bool) (int, shardmap.ComputeOp) { panic("boom") })
		}()
	}
	// The buckets are unlocked: writes and a whole-map resize go through.
	m.Store(1, 11)
	m.Store(2, 22)
	m.Clear()
	if m.Len() != 0 {
		t.Fatalf("Len() = %d after Clear", m.Len())
	}
}

// TestLoadOrComputeCallsFnOncePerAbsentKey races many goroutines on the same
// absent keys, enough of them to grow every shard while they race: each key's
// function must run once, and every caller must get the value it returned.
func TestLoadOrComputeCallsFnOncePerAbsentKey(t *testing.T) {
	const (
		goroutines = 16
		keys       = 4096
	)
	for round := range 3 {
		m := shardmap.New[int, int]()
		var calls [keys]atomic.Int32
		start := make(chan struct{})
		var computed atomic.Int32 // callers that got loaded == false
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := range keys {
					k := (i*(g+1) + round) % keys // each goroutine its own order
					v, loaded := m.LoadOrCompute(k, func() int {
						calls[k].Add(1)
						runtime.Gosched() // widen the window for a second call
						return 10*k + 1
					})
					if v != 10*k+1 {
						t.Errorf("LoadOrCompute(%d) = %d, want %d", k, v, 10*k+1)
						return
					}
					if !loaded {
						computed.Add(1)
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		for k := range calls {
			if n := calls[k].Load(); n != 1 {
				t.Fatalf("round %d: the function of key %d ran %d times, want once", round, k, n)
			}
		}
		if computed.Load() != keys || m.Len() != keys {
			t.Fatalf("round %d: %d callers computed, Len() = %d; want %d each", round, computed.Load(), m.Len(), keys)
		}
	}
}

// TestLoadOrComputePresentKeyDoesNotCallOrAllocate checks the fast path: a
// present key is loaded without calling fn or allocating.
func TestLoadOrComputePresentKeyDoesNotCallOrAllocate(t *testing.T) {
	m := shardmap.New[int, int]()
	m.Store(7, 70)
	fn := func() int { t.Fatal("fn called for a present key"); return 0 }
	allocs := testing.AllocsPerRun(100, func() {
		if v, loaded := m.LoadOrCompute(7, fn); v != 70 || !loaded {
			t.Fatalf("LoadOrCompute(7) = %d, %v", v, loaded)
		}
	})
	if allocs != 0 {
		t.Fatalf("LoadOrCompute of a present key allocates %v times", allocs)
	}
}

func TestLoadOrComputePanicUnlocks(t *testing.T) {
	m := shardmap.New[int, int]()
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want boom", r)
			}
		}()
		m.LoadOrCompute(1, func() int { panic("boom") })
	}()
	if _, ok := m.Load(1); ok {
		t.Fatal("a panicking fn stored a value")
	}
	// The bucket is unlocked: writes and a whole-map resize go through.
	if v, loaded := m.LoadOrCompute(1, func() int { return 11 }); v != 11 || loaded {
		t.Fatalf("LoadOrCompute after a panic = %d, %v", v, loaded)
	}
	m.Clear()
}

// TestClearOfEmptyMapDoesNotAllocate checks that Clear allocates nothing for
// a map at its initial size: a new map, and one that Clear has emptied.
// Clear used to give every shard a new table, 128 allocations with 64 shards.
func TestClearOfEmptyMapDoesNotAllocate(t *testing.T) {
	m := shardmap.New[int, int]()
	if n := testing.AllocsPerRun(100, m.Clear); n != 0 {
		t.Errorf("Clear of a new map: %v allocs, want 0", n)
	}
	for k := range 10000 {
		m.Store(k, k)
	}
	m.Clear() // back to the initial size: a new table per shard
	if n := testing.AllocsPerRun(100, m.Clear); n != 0 {
		t.Errorf("Clear of a cleared map: %v allocs, want 0", n)
	}
}

// TestClearOfSmallMapDoesNotAllocate checks that Clear allocates nothing for
// a map of up to five keys, which fit in the first bucket of their shards:
// storing them and clearing the map allocates one entry per key, no more.
func TestClearOfSmallMapDoesNotAllocate(t *testing.T) {
	m := shardmap.New[int, int]()
	for keys := range 6 {
		n := testing.AllocsPerRun(100, func() {
			for k := range keys {
				m.Store(k, k)
			}
			m.Clear()
		})
		if n != float64(keys) {
			t.Errorf("Store of %d keys and Clear: %v allocs, want %d (the entries)", keys, n, keys)
		}
		if m.Len() != 0 {
			t.Fatalf("Len() = %d after Clear", m.Len())
		}
		for k := range keys {
			if v, ok := m.Load(k); ok {
				t.Fatalf("Load(%d) = %d, true after Clear", k, v)
			}
		}
	}
}

// TestClearConcurrentWithLoadStoreRange clears the map over and over while
// writers store and readers Load and Range; see checkClearConcurrent.
func TestClearConcurrentWithLoadStoreRange(t *testing.T) {
	checkClearConcurrent(t, shardmap.New[int, int]())
}

// clearable is the part of a Map[int, int] checkClearConcurrent uses.
type clearable interface {
	Load(key int) (int, bool)
	Store(key, value int)
	Range(f func(key, value int) bool)
	Clear()
}

// checkClearConcurrent runs Clear over and over on m while writers store and
// readers Load and Range, and checks every value a reader sees: it was
// stored for its key, and it is not one that a Clear which returned before
// the read began has deleted. Most shards hold a few keys and are cleared in
// place; some have grown and get a new table.
//
// Each key has one writer, which stores the key with increasing sequence
// numbers in the value. Before each Clear, the clearer notes the last
// sequence number whose Store has returned; once Clear returns, that is the
// key's floor: every value of the key from then on has a higher one.
func checkClearConcurrent(t *testing.T, m clearable) {
	t.Helper()
	const (
		writers = 2
		keys    = 200 // about three a shard of 64
		clears  = 300
		// A value is key<<seqBits | seq; it fits an int of 32 bits.
		seqBits = 20
		maxSeq  = 1<<seqBits - 1
	)
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
