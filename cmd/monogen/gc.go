package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// A run of monogen allocates several times what it keeps: each directive's
// code is built, printed, formatted and type-checked, and little of that
// survives. With the collector's default target (a heap twice the live
// one), a package of 50 directives, whose live heap stays under some 30 MB,
// is collected a dozen times, for a tenth of the run's CPU.
//
// So the collector lets the heap grow to five times the live one (smallGC)
// while the live heap is small, and returns to the default once it is
// larger than largeHeap, so that a package of 1,000 directives peaks at
// about the memory it would take by default, plus what was allowed before
// the switch. GOGC or GOMEMLIMIT in the environment turn this off: the user's
// setting stands.
const (
	smallGC   = 400
	largeHeap = 64 << 20
)

// tuneGC sets the collector's target for a run (see smallGC).
func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(smallGC)
	watchHeap()
}

// watchHeap returns the collector to its default target after the first
// collection that leaves more than largeHeap live: the finalizer of an
// object that nothing references runs after each collection, and sets up
// the next one's.
func watchHeap() {
	tick := new([16]byte)
	runtime.SetFinalizer(tick, func(*[16]byte) {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > largeHeap {
			debug.SetGCPercent(100)
			return
		}
		watchHeap()
	})
}
