// Package bounded compares monogen's bounded-parallelism templates with
// their peers:
//
//   - BenchmarkSemaphore/contention=C/impl=template|xsemaphore|channel:
//     Acquire then Release of one unit; xsemaphore is
//     golang.org/x/sync/semaphore, channel a buffered chan struct{}.
//   - BenchmarkRateLimit/algo=token/impl=template|xrate|uber and
//     BenchmarkRateLimit/algo=window/impl=template: one Allow (uber: one
//     Take) of a limiter whose rate is so high that it always admits, so
//     the cost is the decision alone. uber's Take blocks when ahead of its
//     rate; at 1e9/s with slack it never is, and never sleeps.
//   - BenchmarkBreaker/state=closed/contention=C/impl=template|gobreaker:
//     one Execute of a function returning nil in the closed state;
//     gobreaker is github.com/sony/gobreaker/v2.
//   - BenchmarkLimiter/contention=C/impl=template|semaphore: one Execute of
//     the adaptive limiter, beside TryAcquire+call+Release of the template
//     semaphore, the floor the limiter is measured against.
//
// contention=none is one goroutine; contention=parallel is GOMAXPROCS
// goroutines (b.RunParallel) on one shared instance. Semaphore, RateLimit
// and Breaker also run with procs=N in place of contention=C: N goroutines
// on one shared instance (par.Run) for N in 1, 2, 4, 8 and GOMAXPROCS.
// Limiter does not: its adaptive limit may fall to its minimum of 2, and a
// third caller would be refused.
//
// Every implementation is called through a small interface, so each pays
// the same dynamic call. The tables of implementations are impls_test.go;
// adding impl=generated is one entry per table.
//
// Run:
//
//	cd bench && go test -run '^$' -bench . -count 6 ./bounded/ > /tmp/bounded.txt
//	go tool benchstat -col /impl /tmp/bounded.txt
package bounded
