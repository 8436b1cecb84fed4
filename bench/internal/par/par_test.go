package par

import (
	"flag"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

func TestCounts(t *testing.T) {
	for gmp, want := range map[int][]int{
		1:  {1, 2, 4, 8},
		2:  {1, 2, 4, 8},
		6:  {1, 2, 4, 6, 8},
		8:  {1, 2, 4, 8},
		64: {1, 2, 4, 8, 64},
	} {
		if got := counts(gmp); !slices.Equal(got, want) {
			t.Errorf("counts(%d) = %v, want %v", gmp, got, want)
		}
	}
}

func TestName(t *testing.T) {
	if got := Name(4); got != "procs=4" {
		t.Errorf("Name(4) = %q, want procs=4", got)
	}
}

// TestRun checks that the body runs in exactly procs goroutines, that
// together they do b.N iterations, and that several of them run at once
// (a body that returned at once for all but one would still count b.N).
func TestRun(t *testing.T) {
	// A fixed iteration count keeps testing.Benchmark from ramping up to
	// the default second.
	if err := flag.Set("test.benchtime", "2000x"); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("test.benchtime", "1s")
	for _, procs := range []int{1, 2, 3, 5, 8} {
		var (
			bodies, iters atomic.Int64
			n             int
		)
		testing.Benchmark(func(b *testing.B) {
			bodies.Store(0)
			iters.Store(0)
			n = b.N
			// Every body waits at the gate until procs bodies have
			// started: with fewer, the benchmark would hang, and the
			// test time out.
			var gate sync.WaitGroup
			gate.Add(procs)
			Run(b, procs, func(pb *testing.PB) {
				bodies.Add(1)
				gate.Done()
				gate.Wait()
				for pb.Next() {
					iters.Add(1)
				}
			})
		})
		if got := bodies.Load(); got != int64(procs) {
			t.Errorf("procs=%d: body ran in %d goroutines", procs, got)
		}
		if got := iters.Load(); got != int64(n) {
			t.Errorf("procs=%d: %d iterations, want b.N = %d", procs, got, n)
		}
	}
}

func TestRunRejectsZero(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Run with procs=0 did not panic")
		}
	}()
	Run(&testing.B{}, 0, func(*testing.PB) {})
}
