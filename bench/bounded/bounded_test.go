package bounded

import (
	"context"
	"testing"
)

// contention runs op once per iteration on one goroutine (none) or on
// GOMAXPROCS goroutines sharing the instance (parallel).
var contentions = []struct {
	name string
	run  func(b *testing.B, op func())
}{
	{"none", func(b *testing.B, op func()) {
		for b.Loop() {
			op()
		}
	}},
	{"parallel", func(b *testing.B, op func()) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				op()
			}
		})
	}},
}

func BenchmarkSemaphore(b *testing.B) {
	ctx := context.Background()
	for _, c := range contentions {
		for _, impl := range semImpls {
			b.Run("contention="+c.name+"/impl="+impl.name, func(b *testing.B) {
				// Capacity above GOMAXPROCS: nobody waits, the cost is
				// the bookkeeping and the cache line it lives on.
				s := impl.new(64)
				b.ReportAllocs()
				c.run(b, func() {
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
		for _, c := range contentions {
			for _, impl := range algo.impls {
				b.Run("algo="+algo.name+"/contention="+c.name+"/impl="+impl.name, func(b *testing.B) {
					l := impl.new()
					b.ReportAllocs()
					c.run(b, func() {
						if !l.Allow() {
							b.Fatal("limited")
						}
					})
				})
			}
		}
	}
}

func BenchmarkBreaker(b *testing.B) {
	benchExecutors(b, "state=closed/", breakerImpls)
}

func BenchmarkLimiter(b *testing.B) {
	benchExecutors(b, "", limiterImpls)
}

func benchExecutors(b *testing.B, prefix string, impls []struct {
	name string
	new  func() executor
}) {
	ctx := context.Background()
	for _, c := range contentions {
		for _, impl := range impls {
			b.Run(prefix+"contention="+c.name+"/impl="+impl.name, func(b *testing.B) {
				e := impl.new()
				b.ReportAllocs()
				c.run(b, func() {
					if _, err := e.Execute(ctx, 1); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}
