package stencil_test

import (
	"go/importer"
	"os"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/stencil"
)

// gateSpec is the spec of a directive of the gate template; runtime names
// the config fields that come at run time.
func gateSpec(runtime ...string) *stencil.Spec {
	spec := &stencil.Spec{
		Name: "Door", Main: "Gate",
		Types:    map[string]string{},
		Config:   map[string]string{"N": "8", "Strict": "true"},
		Conds:    map[string]bool{"config": len(runtime) > 0},
		HookDocs: map[string]string{"Config.N": "N is the limit. Zero takes n=8 from the directive."},
		Keep:     []string{"Gate.init"},
		Runtime:  map[string]bool{},
	}
	for _, f := range runtime {
		spec.Runtime[f] = true
	}
	return spec
}

func stencilGate(t *testing.T, spec *stencil.Spec) string {
	t.Helper()
	tpl, err := stencil.Parse(os.DirFS("testdata"), "gate", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	out, err := stencil.Stencil(tpl, spec)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out.Decls, "\n\n")
}

// TestConfigFieldsFoldWithoutRuntime: with no run-time field, the config
// type, its field in the main type and the mirror are gone, a mirror's Load
// is the field's value and its Store goes with it.
func TestConfigFieldsFoldWithoutRuntime(t *testing.T) {
	got := stencilGate(t, gateSpec())
	for _, want := range []string{"return g.held.Add(1) <= 8"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, gone := range []string{"Config", "cfg", "limit atomic", "limit.Load", "limit.Store", "SetLimit", "Strict", "panic"} {
		if strings.Contains(got, gone) {
			t.Errorf("output still has %q:\n%s", gone, got)
		}
	}
}

// TestRuntimeConfigFieldsAreKept: a run-time field keeps the config type
// (renamed, with that field alone and the doc HookDocs gives), the main
// type's field of it, its reads, and a mirror of it with its Load and Store
// calls; the other fields still fold.
func TestRuntimeConfigFieldsAreKept(t *testing.T) {
	got := stencilGate(t, gateSpec("N"))
	for _, want := range []string{
		"type DoorConfig struct",
		"// N is the limit. Zero takes n=8 from the directive.\n\tN int64",
		"cfg DoorConfig",
		"limit atomic.Int64",
		"if g.cfg.N < 1 {",
		"g.limit.Store(g.cfg.N)",
		"return g.held.Add(1) <= g.limit.Load()",
		"func (g *Door) SetLimit(n int64) {",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, gone := range []string{"Strict", "g.held.Add(1)\n\treturn true"} {
		if strings.Contains(got, gone) {
			t.Errorf("output still has %q, which folds:\n%s", gone, got)
		}
	}
}
