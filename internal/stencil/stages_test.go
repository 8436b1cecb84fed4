package stencil_test

import (
	"go/importer"
	"os"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/stencil"
)

func stencilStage(t *testing.T, name, in, out string, ordered, shared bool) string {
	t.Helper()
	tpl, err := stencil.Parse(os.DirFS("testdata"), "stages", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	spec := &stencil.Spec{
		Name: name, Main: "Stage",
		Types:  map[string]string{"In": in, "Out": out},
		Config: map[string]string{"Ordered": map[bool]string{true: "true", false: "false"}[ordered]},
		Rename: map[string]string{"Run": "PipeRun"},
		Keep:   []string{"Stage.send"},
	}
	if !shared {
		spec.Drop = []string{"Run"}
	}
	o, err := stencil.Stencil(tpl, spec)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(o.Decls, "\n\n")
}

// Fields of struct type literals in signatures are kept (go/types gives
// each literal its own field objects, which the code never selects), and an
// endless loop ends a folded branch like a return does.
func TestStencilStageLiteralsAndLoops(t *testing.T) {
	src := stencilStage(t, "pipeParse", "[]byte", "int", false, true)
	for _, want := range []string{
		"func (s *pipeParse) send(r *PipeRun, in <-chan struct {\n\tseq   uint64\n\titems [][]byte\n}, out chan<- struct {\n\tseq   uint64\n\titems []int\n})",
		"type PipeRun struct",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("output lacks %q\n%s", want, src)
		}
	}
	if strings.Contains(src, "r.n++") || strings.Contains(src, "for b := range in") {
		t.Errorf("code after the loop that ends the kept branch was kept\n%s", src)
	}
	ordered := stencilStage(t, "pipeStore", "int", "string", true, false)
	if !strings.Contains(ordered, "r.n++") || strings.Contains(ordered, "type PipeRun") {
		t.Errorf("ordered, Run dropped: want the code after the folded if, without Run\n%s", ordered)
	}
}
