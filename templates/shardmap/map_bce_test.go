package shardmap_test

import (
	"testing"

	"github.com/monogen/monogen/internal/testutil"
)

// TestLookupsHaveNoBoundsChecks compiles Load and find (the lookup of
// LoadOrStore and LoadOrCompute) for int, string and struct keys with the
// compiler's bounds-check report on, and fails if it reports a check inside
// either: a lookup indexes the bucket array by the hash masked to its length
// and a bucket's slots by a SWAR match limited to them, both always in range,
// and a check there costs every lookup a compare and a branch, and keeps Load
// from being a leaf function without a frame. The locked writers index slots
// by a plain int and keep checks, which show that the report was produced.
func TestLookupsHaveNoBoundsChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	testutil.NoBoundsChecks(t, "./testdata/bce", "map.go", testutil.FuncLines(t, "map.go", "Load", "find"))
}
