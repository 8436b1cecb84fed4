package generated_test

import (
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/testutil"
)

// TestLookupsHaveNoBoundsChecks compiles this package with the compiler's
// bounds-check report on and fails if it reports a check inside the Load
// of a map of directives.go or in the find of its table (the lookup of
// LoadOrStore and LoadOrCompute): both index the bucket array by the hash
// masked to its length and a bucket's slots by a SWAR match limited to them,
// always in range, and a check there costs every lookup a compare and a
// branch. The writers keep checks of their own, which show that the report
// was produced.
func TestLookupsHaveNoBoundsChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	const file = "directives_monogen.go"
	var lookups []string
	for _, m := range []string{"IntMap", "StringMap", "StructMap", "PtrMap", "SizedMap"} {
		// IntMap's table is intMapTable.
		lookups = append(lookups, m+".Load", strings.ToLower(m[:1])+m[1:]+"Table.find")
	}
	testutil.NoBoundsChecks(t, ".", file, testutil.FuncLines(t, file, lookups...))
}
