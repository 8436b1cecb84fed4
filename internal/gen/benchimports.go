package gen

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path"
	"regexp"
	"strconv"
)

// versionElem matches a major-version path element (v2), which is not the
// package's name.
var versionElem = regexp.MustCompile(`^v[0-9]+$`)

// dropUnusedImports removes from a rendered benchmark file the imports its
// code does not use. A kind's Bench builds the directive as its Build does,
// with the benchmark file's imports, so the imports that only the generated
// type's code needs (unsafe, sync/atomic in a hook) are asked for too. An
// import is dropped only when its name is known: its alias, or the last
// element of its path, which is the name the imports are written with
// otherwise.
func dropUnusedImports(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	var cut [][2]int // byte ranges of the unused import lines
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		name := path.Base(p)
		if imp.Name != nil {
			name = imp.Name.Name
		} else if versionElem.MatchString(name) || !token.IsIdentifier(name) {
			continue
		}
		if used[name] {
			continue
		}
		line := fset.Position(imp.Pos()).Line
		start := fset.File(imp.Pos()).LineStart(line)
		end := fset.Position(imp.End()).Offset
		if i := bytes.IndexByte(src[end:], '\n'); i >= 0 {
			end += i + 1
		}
		cut = append(cut, [2]int{fset.Position(start).Offset, end})
	}
	if len(cut) == 0 {
		return src, nil
	}
	var b bytes.Buffer
	last := 0
	for _, c := range cut {
		b.Write(src[last:c[0]])
		last = c[1]
	}
	b.Write(src[last:])
	return format.Source(b.Bytes())
}
