package generated_test

import (
	"reflect"
	"strconv"
	"testing"
	"unsafe"

	"github.com/monogen/monogen/generated"
)

// TestRateLimitersAllocatedTogetherDoNotShareTheStateLine checks, for
// generated limiters of each kind of layout (constants, config=true,
// metrics=true, onreject=, a window), that the 64-byte cache line of the
// state word, which every admission writes, holds no other field of the
// limiter and no byte outside it, wherever the limiter was allocated.
// Padding after the word only left every other limiter of 88 bytes, in
// its 96-byte size class, with the word on the line holding the epoch of
// the limiter allocated before it.
func TestRateLimitersAllocatedTogetherDoNotShareTheStateLine(t *testing.T) {
	for _, k := range []struct {
		name string
		typ  reflect.Type
		new  func() unsafe.Pointer
	}{
		{"BenchTokens", reflect.TypeFor[generated.BenchTokens](), func() unsafe.Pointer { return unsafe.Pointer(generated.NewBenchTokens()) }},
		{"Tokens", reflect.TypeFor[generated.Tokens](), func() unsafe.Pointer { return unsafe.Pointer(generated.NewTokens()) }},
		{"BenchWindow", reflect.TypeFor[generated.BenchWindow](), func() unsafe.Pointer { return unsafe.Pointer(generated.NewBenchWindow()) }},
		{"ConfTokens", reflect.TypeFor[generated.ConfTokens](), func() unsafe.Pointer {
			return unsafe.Pointer(generated.NewConfTokens(generated.ConfTokensConfig{Rate: 100, Burst: 20}))
		}},
		{"TimedAPI", reflect.TypeFor[generated.TimedAPI](), func() unsafe.Pointer { return unsafe.Pointer(generated.NewTimedAPI()) }},
		{"HookedAPI", reflect.TypeFor[generated.HookedAPI](), func() unsafe.Pointer { return unsafe.Pointer(generated.NewHookedAPI()) }},
	} {
		ps := make([]unsafe.Pointer, 16)
		for i := range ps {
			ps[i] = k.new()
		}
		for i, p := range ps {
			if why := rateStateLineShared(k.typ, p); why != "" {
				t.Errorf("%s %d of %d allocated together: %s", k.name, i, len(ps), why)
			}
		}
	}
}

// rateStateLineShared says what else lies on the cache line of the field
// state of the struct of type typ at p, or returns "" if nothing does.
func rateStateLineShared(typ reflect.Type, p unsafe.Pointer) string {
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
	if end := base + typ.Size(); start+line > end {
		return "the line of state ends " + strconv.FormatUint(uint64(start+line-end), 10) + " bytes after the limiter"
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
