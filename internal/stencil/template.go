package stencil

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Template is a parsed and type-checked template package. It is parsed once
// for a run and shared by every directive stenciled from it: Stencil never
// changes it (its syntax, its types or its sources), and keeps what it
// learns about one directive in a state of its own.
type Template struct {
	Dir   string
	Fset  *token.FileSet
	Files []*ast.File
	Srcs  [][]byte
	Pkg   *types.Package
	Info  *types.Info
	// idents are the template's identifiers, but for the names of the
	// packages it imports: a renamed local avoids them, and so does the
	// name of an import of the output.
	idents map[string]bool
	// names matches the template's names in prose, params its type
	// parameters' names; comments plans each
	// file's comments (see commentPlans).
	commentsOnce sync.Once
	names        *regexp.Regexp
	params       *regexp.Regexp // the type parameters' names
	comments     [][]commentPlan
}

// Parse reads the non-test .go files of dir in fsys and type-checks them.
func Parse(fsys fs.FS, dir string, imp types.Importer) (*Template, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("template %s: %v", dir, err)
	}
	t := &Template{Dir: dir, Fset: token.NewFileSet()}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(t.Fset, path.Join(dir, name), src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("template %s: %v", dir, err)
		}
		t.Files = append(t.Files, f)
		t.Srcs = append(t.Srcs, src)
	}
	if len(t.Files) == 0 {
		return nil, fmt.Errorf("template %s: no Go files", dir)
	}
	t.Info = &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Instances:  map[*ast.Ident]types.Instance{},
		Scopes:     map[ast.Node]*types.Scope{},
	}
	conf := types.Config{Importer: imp}
	t.Pkg, err = conf.Check("monogen/templates/"+dir, t.Fset, t.Files, t.Info)
	if err != nil {
		return nil, fmt.Errorf("template %s does not type-check: %v", dir, err)
	}
	t.idents = map[string]bool{}
	for _, f := range t.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ImportSpec:
				return false
			case *ast.Ident:
				// The packages the template imports are not its names:
				// where it uses them, nothing shadows them.
				if _, ok := t.Info.Uses[n].(*types.PkgName); !ok && n != f.Name {
					t.idents[n.Name] = true
				}
			}
			return true
		})
	}
	return t, nil
}

// Identifiers returns the template's identifiers, but for the names of the
// packages it imports, sorted.
func (t *Template) Identifiers() []string {
	out := make([]string, 0, len(t.idents))
	for n := range t.idents {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ParseSyntax parses a template's non-test files without type-checking them.
func ParseSyntax(fsys fs.FS, dir string) ([]*ast.File, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// Marker comments.
const (
	hookMarker     = "//monogen:hook"
	templateMarker = "//monogen:template"
	ifMarker       = "//monogen:if "
	configMarker   = "//monogen:config"
	mirrorMarker   = "//monogen:mirror "
)

func hasMarker(cg *ast.CommentGroup, marker string) bool {
	if cg == nil {
		return false
	}
	for _, c := range cg.List {
		if c.Text == marker || strings.HasPrefix(c.Text, marker+" ") {
			return true
		}
	}
	return false
}

// conds returns the //monogen:if conditions of a comment group.
func conds(cg *ast.CommentGroup) []string {
	if cg == nil {
		return nil
	}
	var out []string
	for _, c := range cg.List {
		if strings.HasPrefix(c.Text, ifMarker) {
			out = append(out, strings.TrimSpace(strings.TrimPrefix(c.Text, ifMarker)))
		}
	}
	return out
}

// findConfig finds the //monogen:config type, if any.
func findConfig(t *Template) *types.TypeName {
	var config *types.TypeName
	for _, f := range t.Files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, sp := range gd.Specs {
				ts := sp.(*ast.TypeSpec)
				if hasMarker(gd.Doc, configMarker) || hasMarker(ts.Doc, configMarker) {
					config = t.Info.Defs[ts.Name].(*types.TypeName)
				}
			}
		}
	}
	return config
}

// findMirrors finds the struct fields marked //monogen:mirror Field
// [Other ...]: an atomic value that holds a config field while setters may
// change it. The template reads it with Load and writes it with Store. It is
// kept when Field or one of the Others (a field it is derived from: Interval
// from Rate) comes at run time; otherwise a Load is Field's value and a
// Store goes with the mirror.
func findMirrors(t *Template) map[*types.Var][]string {
	out := map[*types.Var][]string{}
	for _, f := range t.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok {
				return true
			}
			for _, fld := range st.Fields.List {
				if fld.Comment == nil || len(fld.Names) != 1 {
					continue
				}
				for _, c := range fld.Comment.List {
					if strings.HasPrefix(c.Text, mirrorMarker) {
						out[t.Info.Defs[fld.Names[0]].(*types.Var)] = strings.Fields(strings.TrimPrefix(c.Text, mirrorMarker))
					}
				}
			}
			return true
		})
	}
	return out
}
