package generated

import (
	"context"
	"slices"
	"strconv"
	"testing"
)

// TestFusedChainLoopMakesRoomForItsOutputs: the loop of a fused chain
// (PipeFusedCollect's throughToInt64) appends the outputs to out's array
// and, after a panic, returns out extended by the outputs made so far,
// which it counts rather than stores. Given an out without room for every
// output (nil, or full), it makes room first: the outputs before a panic
// are not left behind in an array that append has replaced, and what out
// held stays in front.
func TestFusedChainLoopMakesRoomForItsOutputs(t *testing.T) {
	defer FusedPipeEvents.Take()
	p := NewPipeFusedCollect(
		func(_ context.Context, x int) (int64, error) {
			switch x {
			case 2:
				return 0, ErrPipeFusedCollectSkip
			case 5:
				panic("bad item 5")
			}
			return int64(x), nil
		},
		func(_ context.Context, x int64) (float64, error) { return float64(x), nil },
		func(_ context.Context, x float64) (string, error) { return strconv.FormatFloat(x, 'f', -1, 64), nil },
	)
	in := []int{0, 1, 2, 3, 4, 5, 6, 7}
	for _, out := range [][]string{nil, {"before"}, make([]string, 0, 3)} {
		r := &PipeFusedCollectRun{ctx: context.Background(), cancel: func(error) {}}
		got := p.throughToInt64(r, in, out)
		want := append(slices.Clip(out), "0", "1", "3", "4", "6", "7")
		if !slices.Equal(got, want) {
			t.Errorf("out %q (cap %d): got %q, want %q", out, cap(out), got, want)
		}
		if len(r.failures) != 1 || r.failures[0].Stage != "toInt64" || r.failures[0].Item != 5 {
			t.Errorf("out %q: failures %v, want item 5 failed at toInt64", out, r.failures)
		}
	}
}
