package pipeline_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/monogen/monogen/templates/pipeline"
)

// The benchmark pipeline: int -> int64 -> float64 -> uint64, three stages
// doing cheap arithmetic (work=trivial) or about 1 µs each (work=1us). The
// same three functions run under every implementation. bench/pipeline
// compares the template with sourcegraph/conc on the same workloads.

// spinIters makes spin take about 1 µs on the 2-core reference machine. The
// work is a count of iterations, not a time, so that it is the same under
// every implementation and does not depend on the clock.
const spinIters = 180

// spin is a xorshift chain the compiler cannot shorten.
func spin(x uint64, n int) uint64 {
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// work is the three stage functions of a workload.
type work struct {
	name string
	f1   func(int) int64
	f2   func(int64) float64
	f3   func(float64) uint64
}

var works = []work{
	{
		name: "trivial",
		f1:   func(x int) int64 { return int64(x)*3 + 1 },
		f2:   func(x int64) float64 { return float64(x) * 0.5 },
		f3:   func(x float64) uint64 { return uint64(x) + 7 },
	},
	{
		name: "1us",
		f1:   func(x int) int64 { return int64(spin(uint64(x)|1, spinIters)) },
		f2:   func(x int64) float64 { return float64(spin(uint64(x)|1, spinIters) >> 11) },
		f3:   func(x float64) uint64 { return spin(uint64(x)|1, spinIters) },
	},
}

// runner runs the benchmark pipeline over in and returns its outputs.
type runner func(in []int) []uint64

// impls are the implementations benchmarked here. Adding one is one entry.
var impls = []struct {
	name string
	// ordered reports whether the implementation keeps input order with
	// several workers per stage.
	ordered bool
	build   func(w work, workers int, ordered bool) runner
}{
	{"template", true, buildTemplate},
	{"channels", false, buildChannels},
}

func buildTemplate(w work, workers int, ordered bool) runner {
	cfg := pipeline.Config{Workers: workers, Ordered: ordered}
	p := pipeline.Then(pipeline.Then(
		pipeline.From(pipeline.NewStage("f1", func(_ context.Context, x int) (int64, error) { return w.f1(x), nil }, cfg)),
		pipeline.NewStage("f2", func(_ context.Context, x int64) (float64, error) { return w.f2(x), nil }, cfg)),
		pipeline.NewStage("f3", func(_ context.Context, x float64) (uint64, error) { return w.f3(x), nil }, cfg))
	return func(in []int) []uint64 {
		out, err := p.RunSlice(context.Background(), in)
		if err != nil {
			panic(err)
		}
		return out
	}
}

// buildChannels is the pipeline as written by hand: a typed channel between
// stages, one item per send, workers goroutines per stage, the last to
// finish closing the stage's output. It keeps input order only with one
// worker per stage.
func buildChannels(w work, workers int, _ bool) runner {
	const buffer = 64 // items per channel: what hand-written code typically uses
	return func(in []int) []uint64 {
		c0 := make(chan int, buffer)
		c1 := make(chan int64, buffer)
		c2 := make(chan float64, buffer)
		c3 := make(chan uint64, buffer)
		go func() {
			for _, x := range in {
				c0 <- x
			}
			close(c0)
		}()
		stage(workers, c0, c1, w.f1)
		stage(workers, c1, c2, w.f2)
		stage(workers, c2, c3, w.f3)
		out := make([]uint64, 0, len(in))
		for v := range c3 {
			out = append(out, v)
		}
		return out
	}
}

// stage runs f from in to out on workers goroutines and closes out after
// the last one.
func stage[A, B any](workers int, in <-chan A, out chan<- B, f func(A) B) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for v := range in {
				out <- f(v)
			}
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()
}

// benchSize is the number of items per run: enough that starting and
// ending a run (a few µs) is a small part of the per-item cost.
const benchSize = 10000

// BenchmarkPipeline reports the cost per item (ns/item) of a three-stage
// pipeline over a slice of benchSize items; an op is one run.
func BenchmarkPipeline(b *testing.B) {
	in := ints(benchSize)
	for _, w := range works {
		for _, workers := range []int{1, 4} {
			for _, order := range []string{"unordered", "ordered"} {
				for _, im := range impls {
					ordered := order == "ordered"
					if ordered && workers > 1 && !im.ordered {
						continue
					}
					name := "work=" + w.name + "/workers=" + strconv.Itoa(workers) + "/order=" + order + "/impl=" + im.name
					b.Run(name, func(b *testing.B) {
						run := im.build(w, workers, ordered)
						b.ReportAllocs()
						for b.Loop() {
							if out := run(in); len(out) != len(in) {
								b.Fatalf("%d outputs, want %d", len(out), len(in))
							}
						}
						b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/item")
					})
				}
			}
		}
	}
}

// BenchmarkPipelineBatch compares the latency mode (batch=1) with batches
// of 64 on the trivial workload; an op is one run of benchSize items.
func BenchmarkPipelineBatch(b *testing.B) {
	in := ints(benchSize)
	w := works[0]
	for _, batch := range []int{1, 8, 64, 256} {
		b.Run("work=trivial/batch="+strconv.Itoa(batch)+"/impl=template", func(b *testing.B) {
			cfg := pipeline.Config{Batch: batch}
			p := pipeline.Then(pipeline.Then(
				pipeline.From(pipeline.NewStage("f1", func(_ context.Context, x int) (int64, error) { return w.f1(x), nil }, cfg)),
				pipeline.NewStage("f2", func(_ context.Context, x int64) (float64, error) { return w.f2(x), nil }, cfg)),
				pipeline.NewStage("f3", func(_ context.Context, x float64) (uint64, error) { return w.f3(x), nil }, cfg))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.RunSlice(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/item")
		})
	}
}

// BenchmarkPipelineStream feeds one long-running pipeline through its
// channels: an op is one item in and one out, so allocs/op is per item.
func BenchmarkPipelineStream(b *testing.B) {
	w := works[0]
	for _, order := range []string{"unordered", "ordered"} {
		b.Run("work=trivial/order="+order+"/impl=template", func(b *testing.B) {
			cfg := pipeline.Config{Ordered: order == "ordered"}
			p := pipeline.Then(pipeline.Then(
				pipeline.From(pipeline.NewStage("f1", func(_ context.Context, x int) (int64, error) { return w.f1(x), nil }, cfg)),
				pipeline.NewStage("f2", func(_ context.Context, x int64) (float64, error) { return w.f2(x), nil }, cfg)),
				pipeline.NewStage("f3", func(_ context.Context, x float64) (uint64, error) { return w.f3(x), nil }, cfg))
			in := make(chan int, 256)
			out, run := p.Start(context.Background(), in)
			drained := make(chan int)
			go func() {
				n := 0
				for range out {
					n++
				}
				drained <- n
			}()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				in <- n
				n++
			}
			close(in)
			if got := <-drained; got != n {
				b.Fatalf("%d outputs, want %d", got, n)
			}
			if err := run.Wait(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
