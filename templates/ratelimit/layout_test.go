package ratelimit_test

import (
	"reflect"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/monogen/monogen/templates/ratelimit"
)

// TestLimitersAllocatedTogetherDoNotShareTheStateLine checks the padding
// around the state word, which every admission writes: the 64-byte cache
// line it lies on holds no other field of its limiter and no byte outside
// the limiter, whatever address the limiter was given. Limiters allocated
// one after the other lie next to each other; with padding after the word
// only, those not aligned to a line had it on the line holding the end of
// the previous object, so that a write to one limiter took the line from
// under a reader of its neighbour.
func TestLimitersAllocatedTogetherDoNotShareTheStateLine(t *testing.T) {
	for _, cfg := range []ratelimit.Config{
		{Algorithm: ratelimit.TokenBucket, Interval: time.Millisecond, Burst: 10},
		{Algorithm: ratelimit.SlidingWindow, Limit: 10, Window: time.Second},
	} {
		ls := make([]*ratelimit.Limiter, 16)
		for i := range ls {
			ls[i] = ratelimit.New(cfg)
		}
		for i, l := range ls {
			if why := stateLineShared(reflect.TypeFor[ratelimit.Limiter](), unsafe.Pointer(l)); why != "" {
				t.Errorf("algorithm %d, limiter %d of %d allocated together: %s", cfg.Algorithm, i, len(ls), why)
			}
		}
	}
}

// stateLineShared says what else lies on the cache line of the field state
// of the struct of type typ at p, or returns "" if nothing does.
func stateLineShared(typ reflect.Type, p unsafe.Pointer) string {
	const line = 64
	state, ok := typ.FieldByName("state")
	if !ok {
		return typ.String() + " has no field state"
	}
	base := uintptr(p)
	start := (base + state.Offset) &^ (line - 1)
	if start < base {
		return "the line of state begins " + strconv.FormatUint(uint64(base-start), 10) + " bytes before the limiter"
	}
	if start+line > base+typ.Size() {
		return "the line of state ends " + strconv.FormatUint(uint64(start+line-base-typ.Size()), 10) + " bytes after the limiter"
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Name == "_" || f.Name == "state" {
			continue
		}
		if off := base + f.Offset; off < start+line && off+f.Type.Size() > start {
			return "the line of state holds the field " + f.Name
		}
	}
	return ""
}
