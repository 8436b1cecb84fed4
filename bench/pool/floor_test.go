package pool

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/monogen/monogen/generated"
)

// floorSize is the number of jobs of one BenchmarkPoolMapFloor op.
const floorSize = 1 << 14

// BenchmarkPoolMapFloor measures how close Map of a short batch comes to
// the floor of the machine: 16Ki jobs of about 10ns (generated.Short, a
// spin of a fixed work count), 164µs of work on one core, so that starting
// the batch, waking the workers and sharing out the items are most of what
// the pool adds. impl=serial is the plain loop on one goroutine;
// impl=generated is ShortPool's MapInto, GOMAXPROCS workers.
//
// Each reports ns/job, serial-ns/job (the plain loop's, measured by the
// sub-benchmark itself just before its own loop, so that both see the same
// load) and x-floor: ns/job divided by serial-ns/job/GOMAXPROCS, the time
// of a perfect split of the serial loop over the cores. impl=serial's
// x-floor is GOMAXPROCS.
//
//	cd bench && go test -run '^$' -bench PoolMapFloor -benchtime 200ms -count 5 ./pool/
func BenchmarkPoolMapFloor(b *testing.B) {
	ins := make([]int, floorSize)
	for i := range ins {
		ins[i] = i
	}
	outs := make([]int, len(ins))
	cores := float64(runtime.GOMAXPROCS(0))
	report := func(b *testing.B, serial float64) {
		ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*floorSize)
		b.ReportMetric(ns, "ns/job")
		b.ReportMetric(serial, "serial-ns/job")
		b.ReportMetric(ns/(serial/cores), "x-floor")
	}
	b.Run("impl=serial", func(b *testing.B) {
		serial := serialNsPerJob(outs, ins)
		b.ReportAllocs()
		for b.Loop() {
			shortLoop(outs, ins)
		}
		report(b, serial)
	})
	b.Run("impl=generated", func(b *testing.B) {
		p := generated.NewShortPool(nil)
		defer p.Close()
		ctx := context.Background()
		if err := p.MapInto(ctx, outs, ins); err != nil { // the workers start
			b.Fatal(err)
		}
		serial := serialNsPerJob(outs, ins)
		b.ReportAllocs()
		for b.Loop() {
			if err := p.MapInto(ctx, outs, ins); err != nil {
				b.Fatal(err)
			}
		}
		report(b, serial)
	})
}

// shortLoop is the serial loop of BenchmarkPoolMapFloor. It is not
// inlined, so that impl=serial and the measure of serial-ns/job run the
// same code.
//
//go:noinline
func shortLoop(outs, ins []int) {
	outs = outs[:len(ins)]
	for i, x := range ins {
		outs[i] = generated.Short(x)
	}
}

// serialNsPerJob returns the serial loop's mean time per job over about
// 20ms of loops.
func serialNsPerJob(outs, ins []int) float64 {
	shortLoop(outs, ins) // warm the caches
	n := 0
	start := time.Now()
	for time.Since(start) < 20*time.Millisecond {
		shortLoop(outs, ins)
		n++
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n*len(ins))
}

// TestPoolMapFloor checks that ShortPool's Map computes what the serial
// loop does.
func TestPoolMapFloor(t *testing.T) {
	ins := make([]int, floorSize)
	for i := range ins {
		ins[i] = i
	}
	want := make([]int, len(ins))
	shortLoop(want, ins)
	p := generated.NewShortPool(nil)
	defer p.Close()
	outs, err := p.Map(context.Background(), ins)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if outs[i] != want[i] {
			t.Fatalf("outs[%d] = %d, want %d", i, outs[i], want[i])
		}
	}
}
