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
	// indexOnce computes what every directive's stencil looks up in the
	// template's syntax (see templateIndex).
	indexOnce sync.Once
	idx       *templateIndex
	// plans are the plans made for the directives stenciled so far, by
	// planKey (see plan.go).
	plansMu sync.Mutex
	plans   map[string]*plan
	traces  map[string]string // hook bodies' traces (see hookTrace)
	// locals are the names of the template's locals (see localNames).
	localsOnce sync.Once
	locals     map[string]bool
}

// templateIndex is what the stencil of every directive looks up in the
// template's syntax, computed once per template: the statement list of
// each if and for statement, the prose paragraphs of each file's comments.
type templateIndex struct {
	// files are the token.Files of the template's files, in order.
	files []*token.File
	// siblings maps each if and for statement to the statement list it
	// stands in.
	siblings map[ast.Stmt][]ast.Stmt
	// paragraphs are each file's paragraphs (see paragraphs).
	paragraphs [][]paragraph
	// lead maps the position of each token that only blanks separate from
	// comment groups before it to those groups, in order.
	lead map[token.Pos][]*ast.CommentGroup
	// parent maps each node of the template's declarations to its parent.
	parent map[ast.Node]ast.Node
	// constExprs are the declared values of the template's package-level
	// constants (see constExpr).
	constExprs map[*types.Const]ast.Expr
	// specDeps lists, for each expression that mentions one, what its
	// value may depend on in a spec (see dependsOnSpec).
	specDeps map[ast.Expr]*specDeps
	// order lists the nodes of the template's files in the order
	// ast.Inspect visits them; at is each node's index in order, and end
	// the index that follows its last descendant (see inspect).
	order []ast.Node
	end   []int32
	at    map[ast.Node]int32
	// config is the //monogen:config type, mirrors the //monogen:mirror
	// fields (see findConfig, findMirrors).
	config  *types.TypeName
	mirrors map[*types.Var][]string
	// fields are the struct fields of the template's types, by name.
	fields map[string]map[types.Object]bool
}

// specDeps is what an expression mentions whose value a spec may set: the
// template's package-level constants, directly or through the values of
// other constants, and whether it reads a field of the config type.
type specDeps struct {
	consts map[*types.Const]bool
	config bool
}

// index returns the template's index, computed on first use.
func (t *Template) index() *templateIndex {
	t.indexOnce.Do(func() {
		x := &templateIndex{siblings: map[ast.Stmt][]ast.Stmt{}}
		for _, f := range t.Files {
			x.files = append(x.files, t.Fset.File(f.Pos()))
		}
		for i, f := range t.Files {
			ast.Inspect(f, func(n ast.Node) bool {
				var list []ast.Stmt
				switch n := n.(type) {
				case *ast.BlockStmt:
					list = n.List
				case *ast.CaseClause:
					list = n.Body
				case *ast.CommClause:
					list = n.Body
				}
				for _, st := range list {
					switch st.(type) {
					case *ast.IfStmt, *ast.ForStmt:
						x.siblings[st] = list
					}
				}
				return true
			})
			x.paragraphs = append(x.paragraphs, paragraphs(f, t.Srcs[i], t.Fset))
		}
		x.lead = map[token.Pos][]*ast.CommentGroup{}
		for i, f := range t.Files {
			src, base := t.Srcs[i], x.files[i].Base()
			for _, cg := range f.Comments {
				end := int(cg.End()) - base
				for end < len(src) && strings.IndexByte(" \t\n\r\v\f", src[end]) >= 0 {
					end++
				}
				next := token.Pos(base + end)
				x.lead[next] = append(x.lead[next], cg)
			}
		}
		x.parent = map[ast.Node]ast.Node{}
		x.at = map[ast.Node]int32{}
		for _, f := range t.Files {
			var stack []int32
			ast.Inspect(f, func(n ast.Node) bool {
				if n == nil {
					x.end[stack[len(stack)-1]] = int32(len(x.order))
					stack = stack[:len(stack)-1]
					return true
				}
				// Declarations' parents: the file is not one.
				if len(stack) > 1 {
					x.parent[n] = x.order[stack[len(stack)-1]]
				}
				i := int32(len(x.order))
				x.at[n] = i
				x.order = append(x.order, n)
				x.end = append(x.end, i+1)
				stack = append(stack, i)
				return true
			})
		}
		x.config = findConfig(t)
		x.mirrors = findMirrors(t)
		x.fields = map[string]map[types.Object]bool{}
		for _, obj := range t.Info.Defs {
			if v, ok := obj.(*types.Var); ok && v.IsField() {
				if x.fields[v.Name()] == nil {
					x.fields[v.Name()] = map[types.Object]bool{}
				}
				x.fields[v.Name()][v] = true
			}
		}
		x.constExprs = constExprs(t)
		x.specDeps = specDepsOf(t, x.constExprs)
		t.idx = x
	})
	return t.idx
}

// inspect is ast.Inspect(root, f) for a node of the template's files,
// without walking the syntax tree: it visits the nodes listed in order from
// root's index to its end, and calls f(nil) where ast.Inspect would, after
// the descendants of a node for which f returned true. Any other root (the
// syntax of a hook body) is walked by ast.Inspect.
func (x *templateIndex) inspect(root ast.Node, f func(ast.Node) bool) {
	i, ok := x.at[root]
	if !ok {
		ast.Inspect(root, f)
		return
	}
	var buf [32]int32
	open := buf[:0] // the ends of the nodes f returned true for
	for end := x.end[i]; i < end; {
		for len(open) > 0 && open[len(open)-1] <= i {
			open = open[:len(open)-1]
			f(nil)
		}
		if f(x.order[i]) {
			open = append(open, x.end[i])
			i++
		} else {
			i = x.end[i]
		}
	}
	for range open {
		f(nil)
	}
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
	docMarker      = "//monogen:doc "
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

// fileOf returns the index of the template file that holds p.
func (t *Template) fileOf(p token.Pos) int {
	for i, f := range t.index().files {
		if base := token.Pos(f.Base()); p >= base && p <= base+token.Pos(f.Size()) {
			return i
		}
	}
	panic("position outside the template files")
}

// constExprs returns the expression each package-level constant of t is
// declared with, but for those that have none of their own (an implicit
// repetition in a const block) or use iota, whose value depends on where
// they stand.
func constExprs(t *Template) map[*types.Const]ast.Expr {
	out := map[*types.Const]ast.Expr{}
	iota := types.Universe.Lookup("iota")
	for _, f := range t.Files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					c, ok := t.Info.Defs[n].(*types.Const)
					if !ok || i >= len(vs.Values) {
						continue
					}
					usesIota := false
					ast.Inspect(vs.Values[i], func(n ast.Node) bool {
						if id, ok := n.(*ast.Ident); ok && t.Info.Uses[id] == iota {
							usesIota = true
						}
						return !usesIota
					})
					if !usesIota {
						out[c] = vs.Values[i]
					}
				}
			}
		}
	}
	return out
}

// specDepsOf finds, for every expression of t, the package-level constants
// it mentions (with those their values mention, transitively) and whether
// it reads a field of the config type; expressions that do neither are
// left out.
func specDepsOf(t *Template, exprs map[*types.Const]ast.Expr) map[ast.Expr]*specDeps {
	cfg := findConfig(t)
	// closure returns the constants c's value depends on, c included.
	closures := map[*types.Const]map[*types.Const]bool{}
	var closure func(c *types.Const) map[*types.Const]bool
	closure = func(c *types.Const) map[*types.Const]bool {
		if m, ok := closures[c]; ok {
			return m
		}
		m := map[*types.Const]bool{c: true}
		closures[c] = m // a cycle ends here
		if e := exprs[c]; e != nil {
			ast.Inspect(e, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					if d, ok := t.Info.Uses[id].(*types.Const); ok && d.Parent() == t.Pkg.Scope() {
						for k := range closure(d) {
							m[k] = true
						}
					}
				}
				return true
			})
		}
		return m
	}
	out := map[ast.Expr]*specDeps{}
	at := func(e ast.Expr) *specDeps {
		d := out[e]
		if d == nil {
			d = &specDeps{consts: map[*types.Const]bool{}}
			out[e] = d
		}
		return d
	}
	for _, f := range t.Files {
		var stack []ast.Node // the nodes enclosing the current one, and it
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			var consts map[*types.Const]bool
			config := false
			switch n := n.(type) {
			case *ast.Ident:
				if c, ok := t.Info.Uses[n].(*types.Const); ok && c.Parent() == t.Pkg.Scope() {
					consts = closure(c)
				}
			case *ast.SelectorExpr:
				config = cfg != nil && readsField(t, n, cfg)
			}
			if consts == nil && !config {
				return true
			}
			for _, m := range stack {
				if e, ok := m.(ast.Expr); ok {
					d := at(e)
					for k := range consts {
						d.consts[k] = true
					}
					d.config = d.config || config
				}
			}
			return true
		})
	}
	return out
}

// readsField reports whether e selects a field of a value of type config
// (or a pointer to it).
func readsField(t *Template, e *ast.SelectorExpr, config *types.TypeName) bool {
	sel, ok := t.Info.Selections[e]
	if !ok || sel.Kind() != types.FieldVal {
		return false
	}
	recv := sel.Recv()
	if p, ok := recv.(*types.Pointer); ok {
		recv = p.Elem()
	}
	n, ok := recv.(*types.Named)
	return ok && n.Obj() == config
}
