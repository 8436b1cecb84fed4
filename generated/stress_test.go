package generated_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/monogen/monogen/generated"
)

// TestStress runs writers, readers, Range, Compute and Clear-free resizes at
// once (run it with -race). Each writer owns a key range and checks its own
// values, so a lost or torn update is seen by the goroutine that made it.
func TestStress(t *testing.T) {
	const (
		writers = 4
		perKeys = 3000
		rounds  = 3
	)
	m := generated.NewStructMap()
	var wg sync.WaitGroup
	var stop atomic.Bool
	errs := make(chan error, 16)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				// Grow: insert the whole range; shrink: delete it again.
				for i := 0; i < perKeys; i++ {
					k := generated.Key16{A: int64(w), B: int64(i)}
					m.Store(k, r*perKeys+i)
					if v, ok := m.Load(k); !ok || v != r*perKeys+i {
						report(fmt.Errorf("writer %d: Load(%v) = %d, %v after Store %d", w, k, v, ok, r*perKeys+i))
						return
					}
				}
				for i := 0; i < perKeys; i++ {
					k := generated.Key16{A: int64(w), B: int64(i)}
					v, _ := m.Compute(k, func(old int, loaded bool) (int, generated.StructMapComputeOp) {
						return old + 1, generated.StructMapUpdateOp
					})
					if v != r*perKeys+i+1 {
						report(fmt.Errorf("writer %d: Compute(%v) = %d, want %d", w, k, v, r*perKeys+i+1))
						return
					}
				}
				if r < rounds-1 {
					for i := 0; i < perKeys; i++ {
						k := generated.Key16{A: int64(w), B: int64(i)}
						if _, ok := m.LoadAndDelete(k); !ok {
							report(fmt.Errorf("writer %d: LoadAndDelete(%v) missed", w, k))
							return
						}
					}
				}
			}
		}(w)
	}
	// Readers: a value, when seen, belongs to its key's writer and range.
	var readers sync.WaitGroup
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for !stop.Load() {
				for i := 0; i < perKeys; i += 7 {
					if v, ok := m.Load(generated.Key16{A: 1, B: int64(i)}); ok && (v-i)%perKeys > 1 {
						report(fmt.Errorf("reader: key %d has foreign value %d", i, v))
						return
					}
				}
				m.Range(func(k generated.Key16, v int) bool {
					if k.A < 0 || k.A >= writers {
						report(fmt.Errorf("Range: unknown key %v", k))
						return false
					}
					return true
				})
				_ = m.Len()
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := m.Len(); n != writers*perKeys {
		t.Fatalf("Len = %d at quiescence, want %d", n, writers*perKeys)
	}
}
