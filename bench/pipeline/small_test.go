package pipeline

import (
	"context"
	"strconv"
	"testing"

	"github.com/monogen/monogen/generated"
)

// BenchmarkRunSliceSmall measures RunSlice on the few items a request may
// carry (1, 16 and 256), where a run's fixed cost, not the items, sets the
// time: three trivial stages bound at generation, with one worker
// (impl=generated, every stage fused) and each on its own (impl=unfused),
// against the loop that calls the same functions into a new slice
// (impl=serial).
//
//	go test -run '^$' -bench 'RunSliceSmall' -count 6 ./pipeline/ | go tool benchstat -col /impl -
func BenchmarkRunSliceSmall(b *testing.B) {
	for _, n := range []int{1, 16, 256} {
		in := make([]int, n)
		for i := range in {
			in[i] = i
		}
		b.Run("items="+strconv.Itoa(n)+"/impl=serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out := make([]uint64, len(in))
				for i, x := range in {
					out[i] = generated.BenchRound(generated.BenchHalve(generated.BenchTriple(x)))
				}
				sinkSlice = out
			}
		})
		for _, im := range []struct {
			name string
			run  func(context.Context, []int) ([]uint64, error)
		}{{"generated", generated.NewBenchPipe1Bound().RunSlice}, {"unfused", generated.NewBenchPipe1BoundUnfused().RunSlice}} {
			b.Run("items="+strconv.Itoa(n)+"/impl="+im.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					out, err := im.run(context.Background(), in)
					if err != nil || len(out) != len(in) {
						b.Fatalf("%d outputs, %v; want %d, nil", len(out), err, len(in))
					}
				}
			})
		}
	}
}
