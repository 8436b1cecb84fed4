package stencil

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestSharingKeyCoversWhatPlanSharedReads guards the cache of planSharing:
// directives of one plan reuse the first one's sharing decision when their
// sharing keys are equal, so every Spec field that planShared reads, itself
// or through the methods of state it calls, must be spelled by the plan's
// key (Template.planKey) or by planSharing's own. A field read there and
// left out of both would let two directives that differ in it share code
// as if they did not, silently. The test reads the source, so that adding
// such a read to planShared fails here until the key has it too.
func TestSharingKeyCoversWhatPlanSharedReads(t *testing.T) {
	fset := token.NewFileSet()
	methods := map[string]*ast.FuncDecl{} // of *state and *Template, by name
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil {
				methods[recvTypeName(fd)+"."+fd.Name.Name] = fd
			}
		}
	}
	// specReads returns the fields of Spec that fn reads through its
	// parameter or receiver field spec (spec.F, s.spec.F), and the methods
	// of state it calls on its receiver.
	specReads := func(fn *ast.FuncDecl) (fields, calls []string) {
		recv := fn.Recv.List[0].Names[0].Name
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				switch x := n.X.(type) {
				case *ast.Ident: // spec.F, in planKey
					if x.Name == "spec" {
						fields = append(fields, n.Sel.Name)
					}
				case *ast.SelectorExpr: // s.spec.F
					if id, ok := x.X.(*ast.Ident); ok && id.Name == recv && x.Sel.Name == "spec" {
						fields = append(fields, n.Sel.Name)
					}
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == recv {
						calls = append(calls, sel.Sel.Name)
					}
				}
			}
			return true
		})
		return fields, calls
	}
	get := func(name string) *ast.FuncDecl {
		fd := methods[name]
		if fd == nil {
			t.Fatalf("no method %s in the package: this test reads its source", name)
		}
		return fd
	}

	keyed := map[string]bool{
		// The import names Spec.Imports gives are not in a key: a plan,
		// and the sharings made with it, is reused only by a directive
		// whose Imports gives the names the plan asked for (plan.asked,
		// sameImports). planShared reaches Imports only to type-check a
		// value of the spec, which the plan's key spells.
		"Imports": true,
	}
	for _, name := range []string{"Template.planKey", "state.planSharing"} {
		fields, _ := specReads(get(name))
		for _, f := range fields {
			keyed[f] = true
		}
	}
	read := map[string][]string{} // field -> the methods that read it
	seen := map[string]bool{}
	for todo := []string{"planShared"}; len(todo) > 0; {
		m := todo[0]
		todo = todo[1:]
		if seen[m] {
			continue
		}
		seen[m] = true
		fields, calls := specReads(get("state." + m))
		for _, f := range fields {
			read[f] = append(read[f], m)
		}
		for _, c := range calls {
			if methods["state."+c] != nil {
				todo = append(todo, c)
			}
		}
	}
	if len(read) == 0 || !seen["api"] {
		t.Fatalf("planShared reads no Spec field, or does not reach state.api: the test no longer reads the code it guards (reached %v)", seen)
	}
	for _, f := range slices.Sorted(func(yield func(string) bool) {
		for f := range read {
			if !yield(f) {
				return
			}
		}
	}) {
		if !keyed[f] {
			t.Errorf("planShared reads Spec.%s (in %s), which neither Template.planKey nor planSharing puts in the sharing key", f, strings.Join(slices.Compact(slices.Sorted(slices.Values(read[f]))), ", "))
		}
	}
}
