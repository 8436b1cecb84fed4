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
