package pipeline

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/monogen/monogen/generated"
)

// fusionItems is the number of items of a run in BenchmarkFusion: 64Ki.
const fusionItems = 64 << 10

// BenchmarkFusion measures stage fusion on RunSlice of 64Ki items, ns/item:
//
//   - work=trivial/procs=1: three trivial stages with one worker each,
//     fused (impl=generated) or each on its own (impl=unfused), against the
//     three functions in a loop on one goroutine (impl=serial), and against
//     a loop calling the pipeline's own stage functions, the closures that
//     wrap those three, and collecting their outputs (impl=serial-stages);
//   - work=1us/procs=4: three stages of about 1 µs with four workers each;
//   - work=trivial-bound/procs=1: the trivial stages bound at generation
//     (package functions the generated code calls directly), against a loop
//     calling the same functions;
//   - work=trivial/workers=1,2,4: a chain that cannot be fused (different
//     workers per stage), generated.
//
// The floor of a pipeline on P cores is impl=serial's ns/item divided by P.
// cpu-ns/item is the CPU time of the whole process (every goroutine, the
// garbage collector too) per item: on a machine shared with other work,
// where wall time mostly measures waits for a core, it still shows the
// work a pipeline does per item beside the stage functions.
//
//	go test -run '^$' -bench 'Fusion' -count 6 ./pipeline/ | go tool benchstat -col /impl -
func BenchmarkFusion(b *testing.B) {
	in := make([]int, fusionItems)
	for i := range in {
		in[i] = i
	}
	for _, w := range works {
		f1 := func(_ context.Context, x int) (int64, error) { return w.f1(x), nil }
		f2 := func(_ context.Context, x int64) (float64, error) { return w.f2(x), nil }
		f3 := func(_ context.Context, x float64) (uint64, error) { return w.f3(x), nil }
		procs := "procs=1"
		fused, alone := generated.NewBenchPipe1(f1, f2, f3).RunSlice, generated.NewBenchPipe1Unfused(f1, f2, f3).RunSlice
		if w.name == "1us" {
			procs = "procs=4"
			fused, alone = generated.NewBenchPipe4(f1, f2, f3).RunSlice, generated.NewBenchPipe4Unfused(f1, f2, f3).RunSlice
		}
		b.Run("work="+w.name+"/"+procs+"/impl=serial", func(b *testing.B) {
			var sink uint64
			cpu := cpuTime()
			for b.Loop() {
				for _, x := range in {
					sink += w.f3(w.f2(w.f1(x)))
				}
			}
			reportPerItem(b, cpu, len(in))
			if sink == 1 {
				b.Log(sink)
			}
		})
		if w.name == "trivial" {
			b.Run("work=trivial/procs=1/impl=serial-stages", func(b *testing.B) {
				b.ReportAllocs()
				ctx := context.Background()
				cpu := cpuTime()
				for b.Loop() {
					out := make([]uint64, len(in))
					for i, x := range in {
						y1, err := f1(ctx, x)
						if err != nil {
							b.Fatal(err)
						}
						y2, err := f2(ctx, y1)
						if err != nil {
							b.Fatal(err)
						}
						if out[i], err = f3(ctx, y2); err != nil {
							b.Fatal(err)
						}
					}
					sinkSlice = out
				}
				reportPerItem(b, cpu, len(in))
			})
		}
		for _, im := range []struct {
			name string
			run  func(context.Context, []int) ([]uint64, error)
		}{{"generated", fused}, {"unfused", alone}} {
			b.Run("work="+w.name+"/"+procs+"/impl="+im.name, func(b *testing.B) {
				benchRunSlice(b, im.run, in)
			})
		}
	}
	w := works[0]
	// The same trivial stages bound at generation (stages= names package
	// functions), against the loop that calls those functions directly.
	b.Run("work=trivial-bound/procs=1/impl=serial", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			out := make([]uint64, len(in))
			for i, x := range in {
				out[i] = generated.BenchRound(generated.BenchHalve(generated.BenchTriple(x)))
			}
			sinkSlice = out
		}
		reportPerItem(b, cpu, len(in))
	})
	b.Run("work=trivial-bound/procs=1/impl=generated", func(b *testing.B) {
		benchRunSlice(b, generated.NewBenchPipe1Bound().RunSlice, in)
	})
	b.Run("work=trivial-bound/procs=1/impl=unfused", func(b *testing.B) {
		benchRunSlice(b, generated.NewBenchPipe1BoundUnfused().RunSlice, in)
	})
	b.Run("work=trivial/workers=1,2,4/impl=generated", func(b *testing.B) {
		benchRunSlice(b, generated.NewBenchPipe124(
			func(_ context.Context, x int) (int64, error) { return w.f1(x), nil },
			func(_ context.Context, x int64) (float64, error) { return w.f2(x), nil },
			func(_ context.Context, x float64) (uint64, error) { return w.f3(x), nil },
		).RunSlice, in)
	})
}

func benchRunSlice(b *testing.B, run func(context.Context, []int) ([]uint64, error), in []int) {
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		out, err := run(context.Background(), in)
		if err != nil || len(out) != len(in) {
			b.Fatalf("%d outputs, %v; want %d, nil", len(out), err, len(in))
		}
		sinkSlice = out
	}
	reportPerItem(b, cpu, len(in))
}

// sinkSlice keeps the last output of each loop alive, the serial loops' and
// RunSlice's alike, so that both run with the same live heap.
var sinkSlice []uint64

// reportPerItem reports ns/item, and cpu-ns/item since the process had
// used cpu.
func reportPerItem(b *testing.B, cpu time.Duration, items int) {
	n := float64(b.N * items)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/item")
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/n, "cpu-ns/item")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
