package gen

import (
	"bytes"
	"go/format"
	"go/parser"
	"go/token"
	"path"
	"regexp"
	"strconv"

	"golang.org/x/tools/go/ast/astutil"
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
// otherwise (and the name astutil.UsesImport looks for).
func dropUnusedImports(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	changed := false
	for _, imp := range append(f.Imports[:0:0], f.Imports...) {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		alias := ""
		if imp.Name != nil {
			alias = imp.Name.Name
		} else if base := path.Base(p); versionElem.MatchString(base) || !token.IsIdentifier(base) {
			continue
		}
		if !astutil.UsesImport(f, p) {
			changed = astutil.DeleteNamedImport(fset, f, alias, p) || changed
		}
	}
	if !changed {
		return src, nil
	}
	var b bytes.Buffer
	if err := format.Node(&b, fset, f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
