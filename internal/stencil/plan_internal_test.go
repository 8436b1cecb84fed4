package stencil

import (
	"go/importer"
	"os"
	"strconv"
	"testing"
)

// Directives that each have options of their own (10,000 semaphores of
// n=1 to n=10000) each make a plan of their own: the template keeps
// maxPlans of them, not one a directive, whose memory grew with the
// package (536 MB for the semaphores became 824 MB while it kept them all).
func TestTemplateKeepsAtMostMaxPlans(t *testing.T) {
	tpl, err := Parse(os.DirFS("testdata"), "toy", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 * maxPlans {
		spec := &Spec{
			Name: "Box" + strconv.Itoa(i), Main: "Box",
			Types:  map[string]string{"K": "string", "V": "int"},
			Config: map[string]string{"Metrics": "false", "Retries": strconv.Itoa(i)},
			Conds:  map[string]bool{"metrics": false},
			Keep:   []string{"Box.init"},
		}
		if _, err := Stencil(tpl, spec); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(tpl.plans); n != maxPlans {
		t.Errorf("the template keeps %d plans of %d directives with options of their own, want %d", n, 2*maxPlans, maxPlans)
	}
}
