package toytmp_test

import (
	"fmt"
	"go/importer"
	"os"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/stencil"
)

func TestToy(t *testing.T) {
	tpl, err := stencil.Parse(os.DirFS("."), "toy", importer.Default())
	if err != nil { t.Fatal(err) }
	out, err := stencil.Stencil(tpl, &stencil.Spec{
		Name: "Store", Main: "Box",
		Types: map[string]string{"K": "string", "V": "*model.User"},
		TypeNames: []string{"b"}, Keep: []string{"Box.init"},
		Config: map[string]string{"Metrics": "false", "Retries": "0"},
		Conds: map[string]bool{"metrics": false},
		Hooks: map[string]string{"hashKey": "return helper(uint64(len(k)))"},
		Imports: func(p string) string { if p == "sync/atomic" { return "atomic2" }; return p[strings.LastIndex(p, "/")+1:] },
	})
	if err != nil { t.Fatal(err) }
	fmt.Println(strings.Join(out.Decls, "\n\n"))
	fmt.Println(out.Imports)
}
