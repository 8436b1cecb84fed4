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
