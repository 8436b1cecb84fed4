package stencil

import (
	"fmt"
	"go/ast"
	"go/importer"
	"os"
	"slices"
	"testing"
)

// A directive's walks over the template go down the template's syntax
// listed once (templateIndex.inspect): from any node, the calls they make,
// f(nil) after the children of a node f returned true for included, and the
// subtrees they skip are those of ast.Inspect.
func TestTemplateIndexInspectVisitsAsASTInspect(t *testing.T) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	roots := 0
	for _, d := range dirs {
		tpl, err := Parse(os.DirFS("testdata"), d.Name(), importer.Default())
		if err != nil {
			continue // a template of a test of errors
		}
		x := tpl.index()
		for i, root := range x.order {
			// Roots: the declarations and the if, for and switch
			// statements; the visitor skips some subtrees (every third
			// call or block, by index).
			switch root.(type) {
			case ast.Decl, *ast.IfStmt, *ast.ForStmt, *ast.SwitchStmt:
			default:
				continue
			}
			roots++
			record := func(calls *[]string) func(ast.Node) bool {
				return func(n ast.Node) bool {
					if n == nil {
						*calls = append(*calls, "nil")
						return true
					}
					*calls = append(*calls, fmt.Sprintf("%T@%d", n, n.Pos()))
					switch n.(type) {
					case *ast.CallExpr, *ast.BlockStmt:
						return (len(*calls)+i)%3 != 0
					}
					return true
				}
			}
			var want, got []string
			ast.Inspect(root, record(&want))
			x.inspect(root, record(&got))
			if !slices.Equal(got, want) {
				t.Fatalf("%s: from %T at %s:\ninspect   %v\nast.Inspect %v", d.Name(), root, tpl.Fset.Position(root.Pos()), got, want)
			}
		}
	}
	if roots == 0 {
		t.Fatal("no template parsed")
	}
}
