// Package pool compares the monogen worker pool with its peers: the
// generic template (impl=template), ants, pond, conc, errgroup and a
// hand-written typed worker pool on channels (impl=channels).
//
// Run:
//
//	cd bench && go test -run '^$' -bench . -count 6 ./pool/ > /tmp/pool.txt
//	go tool benchstat -col /impl /tmp/pool.txt
//
// Benchmarks are named BenchmarkPool/job=J/mode=M[/size=N][/procs=N]/impl=I:
//
//   - job=tiny: x*2; job=1us: a spin loop of a fixed work count, about a
//     microsecond.
//   - mode=submit: one op submits a wave of 4096 jobs through the per-job
//     API and waits until every one has completed; ns/job is the cost of
//     one job's hand-off, run and completion signal.
//   - mode=map: one op runs a batch of size jobs through the batch API (or,
//     for a peer without one, its per-job API writing into a result slice)
//     and gets the outputs in input order; ns/job is per item.
//
// Every implementation runs GOMAXPROCS workers, except in
// BenchmarkPool/job=J/mode=submit/procs=N/impl=I, mode=submit on N workers
// for N in 1, 2, 4, 8 and GOMAXPROCS. The table of
// implementations is in impls_test.go; adding one is one entry.
package pool
