// Package pipeline benchmarks the monogen pipeline against its peers: a
// three-stage pipeline (int -> int64 -> float64 -> uint64) with trivial or
// ~1 µs stages, procs=N workers per stage (N in 1, 2, 4, 8 and GOMAXPROCS,
// so 3N goroutines), in or out of order, run by
//
//   - impl=generated: the pipelines of ../../generated/pipeline.go, whose
//     directives fix the workers: procs=1 and procs=4 only;
//   - impl=template: github.com/monogen/monogen/templates/pipeline;
//   - impl=conc: github.com/sourcegraph/conc, a pool per stage (unordered)
//     or a stream per stage (ordered), one task per item per stage;
//   - impl=channels: hand-written typed channels, one item per send.
//
// Run:
//
//	go test -run '^$' -bench . -count 6 ./pipeline/ > /tmp/x.txt
//	go tool benchstat -col /impl /tmp/x.txt
//
// An op is one run over a slice of size items; ns/item is the figure to
// compare. Adding an implementation is one entry in impls.
//
// BenchmarkFusion (fusion_test.go) measures stage fusion on RunSlice of
// 64Ki items: fused generated pipelines against their fuse=false twins and
// the serial loop of the same functions, and a chain that cannot be fused.
package pipeline
