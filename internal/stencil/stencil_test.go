package stencil_test

import (
	"go/importer"
	"os"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/stencil"
)

func TestRename(t *testing.T) {
	tests := []struct{ name, directive, want string }{
		{"Map", "Store", "Store"},
		{"New", "Store", "NewStore"},
		{"New", "cache", "newCache"},
		{"ComputeOp", "Store", "StoreComputeOp"},
		{"ComputeOp", "cache", "cacheComputeOp"},
		{"bucket", "Store", "storeBucket"},
		{"bucket", "cache", "cacheBucket"},
		{"bucket", "LRU", "lruBucket"},
		{"bucket", "HTTPCache", "httpCacheBucket"},
		{"ErrClosed", "Store", "ErrStoreClosed"},
		{"ErrClosed", "cache", "errCacheClosed"},
		{"Errand", "Store", "StoreErrand"},
	}
	for _, tt := range tests {
		if got := stencil.Rename(tt.name, "Map", tt.directive); got != tt.want {
			t.Errorf("Rename(%q, Map, %q) = %q; want %q", tt.name, tt.directive, got, tt.want)
		}
	}
}

// A template is parsed once per run and stenciled for every directive of
// its kind: stenciling must not change it. The second directive's code is
// the same whether the template served a first one or was parsed anew.
func TestStencilLeavesTheTemplateUnchanged(t *testing.T) {
	parse := func() *stencil.Template {
		tpl, err := stencil.Parse(os.DirFS("testdata"), "toy", importer.Default())
		if err != nil {
			t.Fatal(err)
		}
		return tpl
	}
	spec := func(name, k string, metrics bool) *stencil.Spec {
		return &stencil.Spec{
			Name: name, Main: "Box",
			Types:  map[string]string{"K": k, "V": "*model.User"},
			Config: map[string]string{"Metrics": map[bool]string{true: "true", false: "false"}[metrics], "Retries": "2"},
			Conds:  map[string]bool{"metrics": metrics},
			Hooks:  map[string]string{"hashKey": "return " + stencil.User("b") + "(k)"},
			Keep:   []string{"Box.init"},
		}
	}
	shared := parse()
	first, err := stencil.Stencil(shared, spec("Store", "b", true))
	if err != nil {
		t.Fatal(err)
	}
	again, err := stencil.Stencil(shared, spec("cache", "string", false))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := stencil.Stencil(parse(), spec("cache", "string", false))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(again.Decls, "\n\n"), strings.Join(fresh.Decls, "\n\n"); got != want {
		t.Errorf("stenciled after another directive:\n%s\nparsed anew:\n%s", got, want)
	}
	if strings.Join(first.Decls, "") == strings.Join(again.Decls, "") {
		t.Error("two different specs gave the same code")
	}
}

// A user's function called by a hook is the one called, whatever its name:
// a parameter of the hook function by that name is renamed, in the
// template's code and in the hook body alike, and only in that function.
func TestHookCallsTheUsersFunctionNamedLikeAParameter(t *testing.T) {
	tpl, err := stencil.Parse(os.DirFS("testdata"), "toy", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	out, err := stencil.Stencil(tpl, &stencil.Spec{
		Name: "Store", Main: "Box",
		Types:  map[string]string{"K": "string", "V": "int"},
		Config: map[string]string{"Metrics": "false", "Retries": "0"},
		Conds:  map[string]bool{"metrics": false},
		Hooks:  map[string]string{"hashKey": "return " + stencil.User("k") + "(seed, k)"},
		Keep:   []string{"Box.init"},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Join(out.Decls, "\n\n")
	for _, want := range []string{
		"func storeHashKey(seed maphash.Seed, k_ string) uint64 {", // the parameter steps aside
		"return k(seed, k_)",                            // in the hook body too
		"func (b *Store) Put(k string, v int) uint64 {", // no user k is called there
	} {
		if !strings.Contains(src, want) {
			t.Errorf("output lacks %q\n%s", want, src)
		}
	}
}
