package stencil_test

import (
	"go/importer"
	"os"
	"reflect"
	"testing"

	"github.com/monogen/monogen/internal/stencil"
)

// A template keeps the plan of each directive (what it keeps of the
// template, what folding rewrites) for the next directives with the same
// options and hooks. Stenciled one after the other from one template, each
// directive must give what it gives from a template parsed anew: its own
// names, its own type arguments, its own import names in the values the
// plan folded (a duration written time.Minute in one file and time2.Minute
// in another), and its own plan when a hook's body names other
// declarations.
func TestDirectivesSharingAPlanGiveTheOutputOfAFreshTemplate(t *testing.T) {
	imports := func(timeName string) func(string) string {
		return func(p string) string {
			if p == "time" {
				return timeName
			}
			return p
		}
	}
	cleanup := func(name, timeName string, config map[string]string) *stencil.Spec {
		cfg := map[string]string{
			"Workers": "0", "Timeout": "0", "Interval": "60000000000", "Collect": "false",
			"Ratio": "0", "Buffer": "256", "Batch": "5", "Strict": "false",
		}
		for k, v := range config {
			cfg[k] = v
		}
		return &stencil.Spec{Name: name, Main: "Box", Config: cfg, Imports: imports(timeName)}
	}
	toy := func(name, k, hash string, metrics bool) *stencil.Spec {
		return &stencil.Spec{
			Name: name, Main: "Box",
			Types:  map[string]string{"K": k, "V": "*model.User"},
			Config: map[string]string{"Metrics": map[bool]string{true: "true", false: "false"}[metrics], "Retries": "2"},
			Conds:  map[string]bool{"metrics": metrics},
			Hooks:  map[string]string{"hashKey": hash},
			Keep:   []string{"Box.init"},
		}
	}
	shared := func(spec *stencil.Spec, docs map[string]string) *stencil.Spec {
		spec.Shared, spec.HookDocs = "box", docs
		return spec
	}
	tests := []struct {
		template string
		spec     *stencil.Spec
	}{
		{"cleanup", cleanup("Box", "time2", nil)},
		// The same plan; the folded Interval is written with this
		// directive's import of time.
		{"cleanup", cleanup("Crate", "time", nil)},
		{"cleanup", cleanup("Bin", "time2", map[string]string{"Timeout": "1 * time2.Second"})},
		{"cleanup", cleanup("Tub", "time", map[string]string{"Timeout": "1 * time.Second"})},
		{"cleanup", cleanup("Vat", "time2", map[string]string{"Workers": "4", "Collect": "true"})},
		{"toy", toy("Store", "string", "return "+stencil.User("b")+"(k)", true)},
		// The same plan: the hooks name the same declarations.
		{"toy", toy("cache", "int64", "return "+stencil.User("c")+"(k)", true)},
		{"toy", toy("Other", "int64", "return "+stencil.User("c")+"(k)", false)},
		// Another plan: the hook calls helper, which is kept.
		{"toy", toy("helped", "string", "return helper("+stencil.User("c")+"(k))", true)},
		{"toy", toy("seeded", "string", "_ = seed\nreturn "+stencil.User("c")+"(k)", true)},
		// Declarations shared with the other directives of the package:
		// the same, but where a doc the spec gives keeps one its own.
		{"toy", shared(toy("Shelf", "string", "return helper("+stencil.User("c")+"(k))", true), nil)},
		{"toy", shared(toy("shelf2", "int64", "return helper("+stencil.User("b")+"(k))", true), nil)},
		{"toy", shared(toy("Shelf3", "int64", "return helper("+stencil.User("b")+"(k))", true), map[string]string{"helper": "helper triples x."})},
	}
	parse := func(dir string) *stencil.Template {
		tpl, err := stencil.Parse(os.DirFS("testdata"), dir, importer.Default())
		if err != nil {
			t.Fatal(err)
		}
		return tpl
	}
	once := map[string]*stencil.Template{"cleanup": parse("cleanup"), "toy": parse("toy")}
	for _, tt := range tests {
		got, err := stencil.Stencil(once[tt.template], tt.spec)
		if err != nil {
			t.Fatalf("%s: %v", tt.spec.Name, err)
		}
		want, err := stencil.Stencil(parse(tt.template), tt.spec)
		if err != nil {
			t.Fatalf("%s: %v", tt.spec.Name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s, stenciled after other directives:\n%#v\nfrom a template parsed anew:\n%#v", tt.spec.Name, got, want)
		}
	}
}
