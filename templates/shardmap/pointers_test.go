package shardmap_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/monogen/monogen/templates/shardmap"
)

// The pointer methods: LoadPointer, ComputePointer and AllPointers.

// inc is a ComputePointer function that inserts an absent key with 1 and
// adds 1 to a present key's value.
func inc(v *int64, loaded bool) shardmap.ComputeOp {
	if loaded {
		atomic.AddInt64(v, 1)
	} else {
		*v = 1
	}
	return shardmap.UpdateOp
}

func TestComputePointerOps(t *testing.T) {
	m := shardmap.New[string, int64]()
	if p := m.LoadPointer("a"); p != nil {
		t.Fatal("LoadPointer of an absent key is not nil")
	}
	for _, op := range []shardmap.ComputeOp{shardmap.CancelOp, shardmap.DeleteOp} {
		if p := m.ComputePointer("a", func(v *int64, loaded bool) shardmap.ComputeOp {
			if loaded || *v != 0 {
				t.Fatalf("absent key: loaded %v, value %d", loaded, *v)
			}
			*v = 7
			return op
		}); p != nil || m.LoadPointer("a") != nil || m.Len() != 0 {
			t.Fatalf("op %d inserted an absent key", op)
		}
	}
	p := m.ComputePointer("a", inc)
	if p == nil || *p != 1 || m.LoadPointer("a") != p || m.Len() != 1 {
		t.Fatal("UpdateOp did not insert the key with the value fn stored")
	}
	if v, ok := m.Load("a"); !ok || v != 1 {
		t.Fatalf("Load after the insert = %d, %v; want 1, true", v, ok)
	}
	for _, op := range []shardmap.ComputeOp{shardmap.CancelOp, shardmap.UpdateOp} {
		if q := m.ComputePointer("a", func(v *int64, loaded bool) shardmap.ComputeOp {
			if !loaded || v != p {
				t.Fatal("present key: not loaded, or not its pointer")
			}
			atomic.AddInt64(v, 1)
			return op
		}); q != p {
			t.Fatalf("op %d on a present key did not return its pointer", op)
		}
	}
	if *p != 3 || m.LoadPointer("a") != p {
		t.Fatalf("the value is %d, want 3, in place", *p)
	}
	if q := m.ComputePointer("a", func(*int64, bool) shardmap.ComputeOp { return shardmap.DeleteOp }); q != nil || m.LoadPointer("a") != nil || m.Len() != 0 {
		t.Fatal("DeleteOp did not delete the present key")
	}
}

// TestPointerStaysTheKeysAcrossResizes takes a key's pointer, grows the map
// by many times and shrinks it back: the key keeps its pointer, and a value
// written through it is the key's.
func TestPointerStaysTheKeysAcrossResizes(t *testing.T) {
	m := shardmap.New[int, int64]()
	p := m.ComputePointer(-1, inc)
	const n = 1 << 14
	for k := range n {
		m.ComputePointer(k, inc)
	}
	atomic.AddInt64(p, 41)
	if m.LoadPointer(-1) != p {
		t.Fatal("growth moved the key's value")
	}
	for k := range n {
		m.ComputePointer(k, func(*int64, bool) shardmap.ComputeOp { return shardmap.DeleteOp })
	}
	if m.LoadPointer(-1) != p || atomic.LoadInt64(p) != 42 || m.Len() != 1 {
		t.Fatal("shrinking moved the key's value")
	}
}

func TestAllPointersVisitsEachKeyOnce(t *testing.T) {
	m := shardmap.New[int, int64]()
	const n = 1000
	for k := range n {
		m.ComputePointer(k, inc)
	}
	seen := make(map[int]bool)
	for k, p := range m.AllPointers() {
		if seen[k] || p != m.LoadPointer(k) {
			t.Fatalf("key %d visited twice, or not with its pointer", k)
		}
		seen[k] = true
		atomic.AddInt64(p, 1)
	}
	if len(seen) != n {
		t.Fatalf("visited %d keys, want %d", len(seen), n)
	}
	for k := range n {
		if v, _ := m.Load(k); v != 2 {
			t.Fatalf("key %d = %d after a visit added 1, want 2", k, v)
		}
	}
	visits := 0
	for range m.AllPointers() {
		visits++
		break
	}
	if visits != 1 {
		t.Fatal("AllPointers did not stop")
	}
}

func TestComputePointerPanicUnlocks(t *testing.T) {
	m := shardmap.New[int, int64]()
	m.ComputePointer(1, inc)
	for _, k := range []int{1, 2} {
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the panic did not propagate")
				}
			}()
			m.ComputePointer(k, func(*int64, bool) shardmap.ComputeOp { panic("fn") })
		}()
	}
	if m.LoadPointer(2) != nil || m.Len() != 1 {
		t.Fatal("a panicking fn inserted its key")
	}
	// The bucket of both keys was unlocked: writes to them complete.
	m.ComputePointer(1, inc)
	m.ComputePointer(2, inc)
	if v, _ := m.Load(1); v != 2 {
		t.Fatalf("key 1 = %d, want 2", v)
	}
}

func TestLoadPointerDoesNotAllocate(t *testing.T) {
	m := shardmap.New[string, int64]()
	m.ComputePointer("a", inc)
	if a := testing.AllocsPerRun(100, func() { m.LoadPointer("a"); m.LoadPointer("b") }); a != 0 {
		t.Fatalf("LoadPointer allocated %v times", a)
	}
}

// TestConcurrentCountersThroughPointers counts events per key from many
// goroutines, each adding through LoadPointer or inserting through
// ComputePointer, while the map grows, and one goroutine walks AllPointers:
// every event is counted once, on its key (run with -race).
func TestConcurrentCountersThroughPointers(t *testing.T) {
	const workers, keys, rounds = 8, 1 << 12, 4
	m := shardmap.New[int, int64]()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	walked := make(chan struct{})
	go func() {
		defer close(walked)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, p := range m.AllPointers() {
				atomic.LoadInt64(p)
			}
		}
	}()
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				for i := range keys {
					k := (i*7 + w*keys/workers + r) % keys
					if p := m.LoadPointer(k); p != nil {
						atomic.AddInt64(p, 1)
					} else {
						m.ComputePointer(k, inc)
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-walked
	if m.Len() != keys {
		t.Fatalf("Len = %d, want %d", m.Len(), keys)
	}
	for k, p := range m.AllPointers() {
		if v := atomic.LoadInt64(p); v != workers*rounds {
			t.Fatalf("key %d counted %d events, want %d", k, v, workers*rounds)
		}
	}
}
