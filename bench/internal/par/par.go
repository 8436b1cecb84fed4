// Package par is the procs dimension shared by the benchmarks of the bench
// module: the goroutine counts every concurrent pattern is measured at, and
// a b.RunParallel that runs exactly that many goroutines.
//
// A benchmark measured against the number of goroutines names the level
// procs=N (see bench/README.md): N goroutines do the work, whatever
// GOMAXPROCS is. GOMAXPROCS is left as it is, so on a machine with fewer
// cores than N the goroutines share them, which is the point of measuring
// 4 and 8 on 2 cores.
package par

import (
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
)

// Key is the name of the procs dimension in benchmark names.
const Key = "procs"

// Procs returns the goroutine counts of the procs dimension: 1, 2, 4, 8
// and GOMAXPROCS, in increasing order and without duplicates (on 2 cores:
// 1, 2, 4, 8).
func Procs() []int {
	return counts(runtime.GOMAXPROCS(0))
}

func counts(gomaxprocs int) []int {
	ps := []int{1, 2, 4, 8, gomaxprocs}
	slices.Sort(ps)
	return slices.Compact(ps)
}

// Name returns the sub-benchmark name of n goroutines: "procs=4".
func Name(n int) string {
	return Key + "=" + strconv.Itoa(n)
}

// Run runs body as b.RunParallel does, but in exactly procs goroutines.
// b.RunParallel starts a multiple of GOMAXPROCS goroutines: Run asks for
// the smallest multiple that is at least procs, and the goroutines beyond
// procs return at once, leaving every iteration to the others. body must
// loop until pb.Next reports false, as for b.RunParallel.
func Run(b *testing.B, procs int, body func(pb *testing.PB)) {
	if procs < 1 {
		panic("par.Run: procs=" + strconv.Itoa(procs) + ", want at least 1")
	}
	gomaxprocs := runtime.GOMAXPROCS(0)
	b.SetParallelism((procs + gomaxprocs - 1) / gomaxprocs)
	var started atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		if started.Add(1) > int64(procs) {
			return
		}
		body(pb)
	})
}
