package pool_test

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/monogen/monogen/templates/pool"
)

// The peer comparison (ants, pond, conc, errgroup, hand-written channels)
// lives in the bench module, bench/pool; these benchmarks measure the
// template alone, with the same names and jobs.

// spinWork is the number of dependent multiply-adds in the "1us" job: about
// a microsecond on the 2-core benchmark machine (≈1.15 ns each). It is a work count, not a
// time, so the job costs the same whatever the load.
const spinWork = 870

func tinyJob(_ context.Context, x int) (int, error) { return 2 * x, nil }

func spinJob(_ context.Context, x int) (int, error) {
	for range spinWork {
		x = x*1664525 + 1013904223
	}
	return x, nil
}

// wave is how many jobs one iteration of a mode=submit benchmark submits
// and waits for: waiting per wave keeps the cost of draining the queue
// inside the measurement, amortized over the wave.
const wave = 4096

// completions lets the result handler signal the end of a wave.
type completions struct {
	left atomic.Int64
	done chan struct{}
}

func (c *completions) handle(int, int, error) {
	if c.left.Add(-1) == 0 {
		c.done <- struct{}{}
	}
}

func BenchmarkPool(b *testing.B) {
	jobs := []struct {
		name    string
		fn      func(context.Context, int) (int, error)
		mapSize int
	}{
		{"tiny", tinyJob, 1 << 20},
		{"1us", spinJob, 1 << 14},
	}
	workers := runtime.GOMAXPROCS(0)
	for _, job := range jobs {
		b.Run("job="+job.name+"/mode=submit/impl=template", func(b *testing.B) {
			c := &completions{done: make(chan struct{}, 1)}
			p := pool.New(job.fn, c.handle, pool.Config{Workers: workers, Queue: 1024})
			defer p.Close()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				c.left.Store(wave)
				for i := range wave {
					if err := p.Submit(ctx, i); err != nil {
						b.Fatal(err)
					}
				}
				<-c.done
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*wave), "ns/job")
		})
		b.Run("job="+job.name+"/mode=map/size="+strconv.Itoa(job.mapSize)+"/impl=template", func(b *testing.B) {
			p := pool.New(job.fn, nil, pool.Config{Workers: workers})
			defer p.Close()
			ins := make([]int, job.mapSize)
			for i := range ins {
				ins[i] = i
			}
			outs := make([]int, len(ins))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := p.MapInto(ctx, outs, ins); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*job.mapSize), "ns/job")
		})
	}
}

// BenchmarkSpinJob calibrates spinWork: it should report about 1000 ns/op.
func BenchmarkSpinJob(b *testing.B) {
	x := 0
	for b.Loop() {
		x, _ = spinJob(context.Background(), x)
	}
	sinkInt = x
}

var sinkInt int
