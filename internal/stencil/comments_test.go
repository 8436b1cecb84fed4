package stencil_test

import (
	"go/importer"
	"os"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/stencil"
)

// TestStencilDocCommentsReadAsGenerated: a doc comment starts with the
// generated name ("// shard is" sat above storeShard), a type parameter in
// prose is the directive's type ("a hash map from K to V"), a paragraph
// the names make too wide is refilled, and note lines stay in the template.
func TestStencilDocCommentsReadAsGenerated(t *testing.T) {
	tpl, err := stencil.Parse(os.DirFS("testdata"), "docs", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	out, err := stencil.Stencil(tpl, &stencil.Spec{
		Name: "Store", Main: "Map",
		Types:    map[string]string{"K": "SessionID", "V": "*Session"},
		Keep:     []string{"Map.hash", "Map.spare"},
		HookDocs: map[string]string{"hashKey": "hashKey returns the hash of a K, the\nway a V is never hashed."},
		Hooks:    map[string]string{"hashKey": "return uint64(k)"},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Join(out.Decls, "\n\n")
	for _, want := range []string{
		"// Store is a hash map from SessionID to *Session.\ntype Store struct",
		"s storeShard // shard holds every *Session\n\tspare int\n}",
		"// storeShard is one part of a Store.\ntype storeShard struct",
		// The paragraph grew past 80 columns: refilled.
		"// Get returns the *Session stored for k. In a map that has none, the zero\n// *Session. In short: m.s.m[k].\nfunc",
		"// no V(0) conversion: the zero *Session",
		"// storeHashKey returns the hash of a SessionID, the way a *Session is never\n// hashed.",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("output lacks %q\n%s", want, src)
		}
	}
	for _, unwanted := range []string{"monogen", "Template readers", "shard.go", " K ", " V.", "lint:", "staticcheck"} {
		if strings.Contains(src, unwanted) {
			t.Errorf("output contains %q\n%s", unwanted, src)
		}
	}
}

// TestHookDocReplacesADocThatRenamingRefills: a doc that HookDocs replaces
// is replaced, even when renaming the template's names in it would make a
// line too wide and refill its paragraph. The refilled paragraph was an
// edit of the same range, recorded first, which won: whether a kind's doc
// reached the output depended on the length of the directive's name (a
// store=shared ratelimit's Reserve kept the template's doc when named
// Closed, not when named Open).
func TestHookDocReplacesADocThatRenamingRefills(t *testing.T) {
	tpl, err := stencil.Parse(os.DirFS("testdata"), "docs", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	out, err := stencil.Stencil(tpl, &stencil.Spec{
		Name: "Store", Main: "Map",
		Types:    map[string]string{"K": "SessionID", "V": "*Session"},
		Keep:     []string{"Map.hash", "Map.spare"},
		HookDocs: map[string]string{"Map.Get": "Get returns the V stored for k by the loader."},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Join(out.Decls, "\n\n")
	if want := "// Get returns the *Session stored for k by the loader.\nfunc"; !strings.Contains(src, want) {
		t.Errorf("output lacks %q\n%s", want, src)
	}
	if strings.Contains(src, "In short") {
		t.Errorf("output keeps the template's doc of Get\n%s", src)
	}
}

// TestDocVariantsReplaceTheDocWhereTheirConditionHolds: //monogen:doc COND
// lines give a declaration's doc in the output where COND holds (a
// function's, a method's, a type's, a var's, a const's in a group, a
// field's), with the template's names renamed and an empty line between
// paragraphs; a HookDoc wins over them; where no variant holds the
// template's own doc stays, without the variant lines.
func TestDocVariantsReplaceTheDocWhereTheirConditionHolds(t *testing.T) {
	tpl, err := stencil.Parse(os.DirFS("testdata"), "docvariants", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	gen := func(fast bool, hookDocs map[string]string) string {
		t.Helper()
		out, err := stencil.Stencil(tpl, &stencil.Spec{
			Name: "Hits", Main: "Counter",
			Types:    map[string]string{"K": "string"},
			Conds:    map[string]bool{"fast": fast, "big": false},
			HookDocs: hookDocs,
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(out.Decls, "\n\n")
	}
	check := func(src string, want, unwanted []string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(src, w) {
				t.Errorf("output lacks %q\n%s", w, src)
			}
		}
		for _, u := range append(unwanted, "monogen") {
			if strings.Contains(src, u) {
				t.Errorf("output contains %q\n%s", u, src)
			}
		}
	}
	check(gen(true, nil), []string{
		"// HitsFast is how this Hits counts: roughly.\n\tHitsFast HitsMode = iota",
		"// HitsExact counts every event.\n\tHitsExact\n",
		"// ErrHitsFull is returned by Add when the Hits is at its Cap.\nvar ErrHitsFull",
		"// Hits counts events of a string, roughly.\ntype Hits struct",
		"// n is the estimate.\n\tn int",
		"// last is the last string counted.",
		"// Add counts k roughly.\nfunc (c *Hits) Add",
		"// Mode returns how c counts.\nfunc (c *Hits) Mode",
		// * lines join the variant whose conditions (fast, and not big) hold.
		"// Reset empties c. It forgets its estimate.\n//\n// It is safe to call at any time.\nfunc (c *Hits) Reset",
		// * lines alone are no variant.
		"// HitsZero is zero.\nconst HitsZero = 0",
	}, []string{"Exact one", "exactly", "an Exact", "its cap", "nothing at all"})
	check(gen(false, nil), []string{
		"// HitsFast counts roughly.\n\tHitsFast",
		"// ErrHitsFull is returned by Add when the Hits is at its Limit.\n//\n// An exact Hits never drops an event it took.\nvar ErrHitsFull",
		"// Hits counts events of a string, fast or exactly.\ntype Hits struct",
		"// n is, for a HitsFast counter, an estimate; for an HitsExact one, the\n\t// count.",
		"// Add counts k exactly.\nfunc (c *Hits) Add",
		"// Mode returns HitsFast.\nfunc (c *Hits) Mode",
		"// Reset empties c.\nfunc (c *Hits) Reset",
	}, []string{"roughly.\nfunc", "at its Cap", "forgets"})
	check(gen(true, map[string]string{"Counter.Add": "Add counts k, as the kind says."}), []string{
		"// Add counts k, as the kind says.\nfunc (c *Hits) Add",
	}, []string{"Add counts k roughly"})
}
