package bounded

import (
	"context"
	"testing"

	"github.com/monogen/monogen/bench/internal/par"
)

// A load is a way of calling op: name is the sub-benchmark element.
type load struct {
	name string
	run  func(b *testing.B, op func())
}

// contentions run op once per iteration on one goroutine (none) or on
// GOMAXPROCS goroutines sharing the instance (parallel).
var contentions = []load{
	{"contention=none", func(b *testing.B, op func()) {
		for b.Loop() {
			op()
		}
	}},
	{"contention=parallel", func(b *testing.B, op func()) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				op()
			}
		})
	}},
}

// loads are the contentions, then procs=N for each N of par.Procs: N
// goroutines sharing the instance.
func loads() []load {
	ls := append([]load(nil), contentions...)
	for _, procs := range par.Procs() {
		ls = append(ls, load{par.Name(procs), func(b *testing.B, op func()) {
			par.Run(b, procs, func(pb *testing.PB) {
				for pb.Next() {
					op()
				}
			})
		}})
	}
	return ls
}

func BenchmarkSemaphore(b *testing.B) {
	ctx := context.Background()
	for _, l := range loads() {
		for _, impl := range semImpls {
			b.Run(l.name+"/impl="+impl.name, func(b *testing.B) {
				// Capacity above the goroutines: nobody waits, the cost
				// is the bookkeeping and the cache line it lives on.
				s := impl.new(64)
				b.ReportAllocs()
				l.run(b, func() {
					if err := s.Acquire(ctx); err != nil {
						b.Fatal(err)
					}
					s.Release()
				})
			})
		}
	}
}

func BenchmarkRateLimit(b *testing.B) {
	for _, algo := range []struct {
		name  string
		impls []struct {
			name string
			new  func() allower
		}
	}{{"token", tokenImpls}, {"window", windowImpls}} {
		for _, l := range loads() {
			for _, impl := range algo.impls {
				b.Run("algo="+algo.name+"/"+l.name+"/impl="+impl.name, func(b *testing.B) {
					lim := impl.new()
					b.ReportAllocs()
					l.run(b, func() {
						if !lim.Allow() {
							b.Fatal("limited")
						}
					})
				})
			}
		}
	}
}

func BenchmarkBreaker(b *testing.B) {
	benchExecutors(b, "state=closed/", breakerImpls, loads())
}

// BenchmarkLimiter has no procs=N: the adaptive limit may fall to its
// minimum of 2, and a third caller would be refused.
func BenchmarkLimiter(b *testing.B) {
	benchExecutors(b, "", limiterImpls, contentions)
}

func benchExecutors(b *testing.B, prefix string, impls []struct {
	name string
	new  func() executor
}, loads []load) {
	ctx := context.Background()
	for _, l := range loads {
		for _, impl := range impls {
			b.Run(prefix+l.name+"/impl="+impl.name, func(b *testing.B) {
				e := impl.new()
				b.ReportAllocs()
				l.run(b, func() {
					if _, err := e.Execute(ctx, 1); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}
