// Package stencil turns a generic template package into non-generic code for
// one directive.
//
// Every decision is made on the type-checked template: an identifier is
// substituted because go/types resolves it to a type parameter, renamed because
// it resolves to a template declaration, folded because it selects a config
// field. The decisions are then applied as nested edits to the template's
// source, so the template's comments and layout carry into the output. The
// rules templates follow are in the templates package documentation.
package stencil

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
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
	// names matches the template's names in prose; comments plans each
	// file's comments (see commentPlans).
	commentsOnce sync.Once
	names        *regexp.Regexp
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

// Spec says how to specialize a template for one directive.
type Spec struct {
	// Name is the directive's type name; Main the template's main type.
	Name, Main string
	// Types maps type parameter names to concrete type expressions (Go
	// source, qualified with the aliases Imports gives).
	Types map[string]string
	// Consts maps template constant names to new values (Go expressions).
	Consts map[string]string
	// Config maps fields of the //monogen:config type to constant values.
	Config map[string]string
	// ConfigOptions names the directive option of a config field where it is
	// not the field's name in lower case (Collect -> errors), for comments.
	ConfigOptions map[string]string
	// Conds gives the value of each //monogen:if condition.
	Conds map[string]bool
	// Hooks maps a hook ("hashKey", or "Pool.call" for a method) to a new body:
	// Go statements written against the template's names: its declarations,
	// its type parameters and the hook function's parameters and receiver,
	// which the stencil renames like the template's code. A body never
	// spells a type argument (it names the type parameter) and names the
	// user's identifiers (a bound function) with User, which the stencil
	// leaves as they are.
	Hooks map[string]string
	// HookDocs replaces the doc comment of a function, a method ("Map.Store")
	// or a type declared alone: of a replaced hook, whose template doc
	// describes the generic body, or of a declaration whose behaviour a
	// constant changes. Comment lines without the slashes, written against
	// template names.
	HookDocs map[string]string
	// Drop lists extra top-level declarations to leave out.
	Drop []string
	// Rename overrides the generated names of template declarations (a
	// pipeline's stage copies share one set of non-generic helpers).
	Rename map[string]string
	// Keep lists template names that emitted code uses (the constructor calls
	// "Pool.init"), so they are kept even when no template code refers to them.
	Keep []string
	// Imports allocates file-level names for import paths.
	Imports func(path string) string
}

// userPrefix marks an identifier of the user's package in hook bodies and
// hook docs, so that renaming never touches it even when it happens to share
// a template declaration's name (a user hash function called hashKey) or a
// local's (a bound function b in a method whose receiver is b).
const userPrefix = "monogenUser_"

// User returns name marked as the user's identifier; see userPrefix.
func User(name string) string { return userPrefix + name }

// Unmark strips user marks from src once template names are renamed.
func Unmark(src string) string { return strings.ReplaceAll(src, userPrefix, "") }

// userWord matches an identifier in prose.
var userWord = regexp.MustCompile(`\b[\pL_][\pL\pN_]*`)

// UserText marks every identifier of text as the user's, for a doc comment
// that quotes a type argument or names a function of the directive.
func UserText(text string) string { return userWord.ReplaceAllString(text, userPrefix+"$0") }

// configRef matches a reference to a config field in a comment: Config.Workers.
var configRef = regexp.MustCompile(`\b([A-Z]\w*)\.([A-Z]\w*)\b`)

// Output is the specialized code of one directive.
type Output struct {
	Decls []string // declarations, in template order, each with its doc comment
	// Declared are the package-level names the declarations declare.
	Declared []string
	// Imports are the import paths the declarations use.
	Imports []string
	// Predeclared are the predeclared identifiers the declarations refer to
	// (new, close, any): a package that declares one of these names breaks
	// them.
	Predeclared []string
}

// Rename returns the generated name of a template top-level identifier.
func Rename(name, main, directive string) string {
	exported := token.IsExported(directive)
	switch {
	case name == main:
		return directive
	case name == "New":
		if exported {
			return "New" + directive
		}
		return "new" + upperFirst(directive)
	case len(name) > 3 && strings.HasPrefix(name, "Err") && unicode.IsUpper(rune(name[3])):
		// Error variables read as Go's do: ErrClosed -> ErrResizerClosed.
		if exported {
			return "Err" + directive + name[3:]
		}
		return "err" + upperFirst(directive) + name[3:]
	case token.IsExported(name):
		return directive + name
	}
	return lowerFirst(directive) + upperFirst(name)
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func lowerFirst(s string) string {
	// An all-caps initialism such as "LRU" lowers as a whole: lRU reads badly.
	r, n := utf8.DecodeRuneInString(s)
	if n < len(s) {
		r2, _ := utf8.DecodeRuneInString(s[n:])
		if unicode.IsUpper(r2) {
			i := 0
			for i < len(s) && unicode.IsUpper(rune(s[i])) {
				i++
			}
			if i == len(s) {
				return strings.ToLower(s)
			}
			if i > 1 {
				return strings.ToLower(s[:i-1]) + s[i-1:]
			}
		}
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// Marker comments.
const (
	hookMarker     = "//monogen:hook"
	templateMarker = "//monogen:template"
	ifMarker       = "//monogen:if "
	configMarker   = "//monogen:config"
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

// state is one stenciling run.
type state struct {
	t       *Template
	spec    *Spec
	eds     []*editor
	fileOf  map[*ast.File]int
	names   map[types.Object]string // renamed package-level objects
	params  map[string]bool         // type parameter names
	imports map[string]bool
	config  *types.TypeName // the //monogen:config type
	// dead marks nodes removed from the output (folded branches, dropped
	// declarations, replaced bodies); references inside them do not count.
	dead map[ast.Node]bool
	// cut maps a folded if to the last statement of the unreachable ones
	// that follow it (see markUnreachable).
	cut map[*ast.IfStmt]ast.Stmt
	// hookRefs are the template objects replacement bodies refer to.
	hookRefs map[ast.Node][]types.Object
	// hooks are the replacement bodies, parsed, by hook function.
	hooks map[*ast.FuncDecl]*hookBody
	// locals renames the template locals that inserted text would be
	// captured by; inserted is that text's names (see planLocals).
	locals map[types.Object]string
	// typeDecls are the GenDecl and TypeSpec of each template type.
	typeDecls map[types.Object][2]ast.Node
	inserted  inserted
	refs      map[string][]string // refNames of inserted expressions
	// predeclared are the predeclared identifiers the output refers to.
	predeclared map[string]bool
	// siblings maps each if statement to the statement list it stands in.
	siblings map[*ast.IfStmt][]ast.Stmt
	err      error
}

// Stencil specializes t per spec.
func Stencil(t *Template, spec *Spec) (*Output, error) {
	s := &state{
		t: t, spec: spec,
		fileOf:   map[*ast.File]int{},
		names:    map[types.Object]string{},
		params:   map[string]bool{},
		imports:  map[string]bool{},
		dead:     map[ast.Node]bool{},
		cut:      map[*ast.IfStmt]ast.Stmt{},
		hookRefs: map[ast.Node][]types.Object{},
		hooks:    map[*ast.FuncDecl]*hookBody{},
		locals:   map[types.Object]string{},

		typeDecls: map[types.Object][2]ast.Node{},
		refs:      map[string][]string{},

		predeclared: map[string]bool{},
	}
	s.siblings = map[*ast.IfStmt][]ast.Stmt{}
	for i, f := range t.Files {
		s.fileOf[f] = i
		s.eds = append(s.eds, &editor{src: t.Srcs[i]})
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
				if ifs, ok := st.(*ast.IfStmt); ok {
					s.siblings[ifs] = list
				}
			}
			return true
		})
	}
	for name := range spec.Types {
		s.params[name] = true
	}
	scope := t.Pkg.Scope()
	if obj, ok := scope.Lookup(spec.Main).(*types.TypeName); !ok || obj == nil {
		return nil, fmt.Errorf("template %s has no type %s", t.Dir, spec.Main)
	}
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		s.names[obj] = Rename(name, spec.Main, spec.Name)
		if to, ok := spec.Rename[name]; ok {
			s.names[obj] = to
		}
	}
	s.config = findConfig(t)
	s.selectDecls()
	if s.err != nil {
		return nil, s.err
	}
	s.removeUnused()
	s.planLocals()
	if s.err != nil {
		return nil, s.err
	}
	s.editAll()
	if s.err != nil {
		return nil, s.err
	}
	return s.output(), nil
}

func (s *state) off(p token.Pos) int { return s.t.Fset.Position(p).Offset }

func (s *state) editor(n ast.Node) *editor {
	f := s.t.Fset.File(n.Pos())
	for i, file := range s.t.Files {
		if s.t.Fset.File(file.Pos()) == f {
			return s.eds[i]
		}
	}
	panic("node outside the template files")
}

func (s *state) failf(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("template %s: "+format, append([]any{s.t.Dir}, args...)...)
	}
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

// cond evaluates a //monogen:if condition.
func (s *state) cond(c string) bool {
	neg := false
	for strings.HasPrefix(c, "!") {
		neg = !neg
		c = strings.TrimSpace(c[1:])
	}
	v, ok := s.spec.Conds[c]
	if !ok {
		s.failf("unknown //monogen:if condition %q", c)
	}
	return v != neg
}

func (s *state) keep(cg *ast.CommentGroup) bool {
	for _, c := range conds(cg) {
		if !s.cond(c) {
			return false
		}
	}
	return true
}

// selectDecls marks template-only, conditional and dropped declarations dead,
// and struct fields whose condition is false, and the config type and fields.
func (s *state) selectDecls() {
	drop := map[string]bool{}
	for _, n := range s.spec.Drop {
		drop[n] = true
	}
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if hasMarker(d.Doc, templateMarker) || !s.keep(d.Doc) || d.Recv == nil && drop[d.Name.Name] {
					s.dead[d] = true
				}
				if d.Recv != nil && d.Recv.List[0].Type != nil {
					if tn := recvTypeName(d); tn != "" && drop[tn] {
						s.dead[d] = true
					}
				}
			case *ast.GenDecl:
				if hasMarker(d.Doc, templateMarker) || !s.keep(d.Doc) {
					s.dead[d] = true
					continue
				}
				for _, sp := range d.Specs {
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						if hasMarker(sp.Doc, templateMarker) || !s.keep(sp.Doc) || drop[sp.Name.Name] {
							s.dead[sp] = true
						}
						if s.config != nil && s.t.Info.Defs[sp.Name] == s.config {
							s.dead[sp] = true
						}
						if st, ok := sp.Type.(*ast.StructType); ok {
							for _, fld := range st.Fields.List {
								if !s.keep(fld.Doc) || !s.keep(fld.Comment) || s.isConfigType(fld.Type) {
									s.dead[fld] = true
								}
							}
						}
					case *ast.ValueSpec:
						if !s.keep(sp.Doc) || len(sp.Names) == 1 && drop[sp.Names[0].Name] {
							s.dead[sp] = true
						}
					}
				}
			}
		}
	}
}

func (s *state) isConfigType(e ast.Expr) bool {
	if s.config == nil {
		return false
	}
	tv, ok := s.t.Info.Types[e]
	if !ok {
		return false
	}
	t := tv.Type
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	return ok && n.Obj() == s.config
}

func recvTypeName(d *ast.FuncDecl) string {
	t := d.Recv.List[0].Type
	if st, ok := t.(*ast.StarExpr); ok {
		t = st.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// constValue returns the constant value of an expression after the spec's
// substitutions: template constants (with their new values) and config
// fields. ok is false when the expression is not constant.
func (s *state) constValue(e ast.Expr) (constant.Value, bool) {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return s.constValue(e.X)
	case *ast.Ident:
		obj := s.t.Info.Uses[e]
		if c, ok := obj.(*types.Const); ok {
			if v, ok := s.spec.Consts[c.Name()]; ok && c.Parent() == s.t.Pkg.Scope() {
				return evalText(v)
			}
			return c.Val(), true
		}
		if obj == types.Universe.Lookup("true") {
			return constant.MakeBool(true), true
		}
		if obj == types.Universe.Lookup("false") {
			return constant.MakeBool(false), true
		}
	case *ast.SelectorExpr:
		if v, ok := s.configValue(e); ok {
			return evalText(v)
		}
		if c, ok := s.t.Info.Uses[e.Sel].(*types.Const); ok {
			return c.Val(), true
		}
	case *ast.UnaryExpr:
		x, ok := s.constValue(e.X)
		if !ok {
			return nil, false
		}
		return safeUnary(e.Op, x)
	case *ast.BinaryExpr:
		x, ok := s.constValue(e.X)
		if !ok {
			// false && y, true || y are constant whatever y is.
			return nil, false
		}
		if e.Op == token.LAND && x.Kind() == constant.Bool && !constant.BoolVal(x) {
			return x, true
		}
		if e.Op == token.LOR && x.Kind() == constant.Bool && constant.BoolVal(x) {
			return x, true
		}
		y, ok := s.constValue(e.Y)
		if !ok {
			return nil, false
		}
		return safeBinary(e.Op, x, y)
	case *ast.BasicLit:
		return constant.MakeFromLiteral(e.Value, e.Kind, 0), true
	case *ast.CallExpr:
		// A conversion of a constant, such as int64(x.cfg.Interval).
		if tv, ok := s.t.Info.Types[e.Fun]; ok && tv.IsType() && len(e.Args) == 1 {
			return s.constValue(e.Args[0])
		}
	}
	if tv, ok := s.t.Info.Types[e]; ok && tv.Value != nil && !s.dependsOnSpec(e) {
		return tv.Value, true
	}
	return nil, false
}

// dependsOnSpec reports whether e mentions a constant or config field whose
// value the spec changes, so its template value cannot be used.
func (s *state) dependsOnSpec(e ast.Expr) bool {
	dep := false
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			if c, ok := s.t.Info.Uses[n].(*types.Const); ok && c.Parent() == s.t.Pkg.Scope() {
				if _, ok := s.spec.Consts[c.Name()]; ok {
					dep = true
				}
			}
		case *ast.SelectorExpr:
			if _, ok := s.configValue(n); ok {
				dep = true
			}
		}
		return !dep
	})
	return dep
}

func safeUnary(op token.Token, x constant.Value) (v constant.Value, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = nil, false
		}
	}()
	return constant.UnaryOp(op, x, 0), true
}

func safeBinary(op token.Token, x, y constant.Value) (v constant.Value, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = nil, false
		}
	}()
	switch op {
	case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
		return constant.MakeBool(constant.Compare(x, op, y)), true
	case token.SHL, token.SHR:
		n, exact := constant.Uint64Val(y)
		if !exact {
			return nil, false
		}
		return constant.Shift(x, op, uint(n)), true
	}
	if op == token.QUO && x.Kind() == constant.Int && y.Kind() == constant.Int {
		op = token.QUO_ASSIGN // integer division
		return constant.BinaryOp(x, token.QUO_ASSIGN, y), true
	}
	return constant.BinaryOp(x, op, y), true
}

// evalText evaluates a constant expression written as Go source, such as
// "64", "true" or "10 * time.Millisecond" (time units are known here because
// options use them).
func evalText(src string) (constant.Value, bool) {
	e, err := parser.ParseExpr(src)
	if err != nil {
		return nil, false
	}
	return evalExpr(e)
}

var timeUnits = map[string]int64{
	"Nanosecond": 1, "Microsecond": 1e3, "Millisecond": 1e6, "Second": 1e9, "Minute": 60e9, "Hour": 3600e9,
}

func evalExpr(e ast.Expr) (constant.Value, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		return constant.MakeFromLiteral(e.Value, e.Kind, 0), true
	case *ast.Ident:
		switch e.Name {
		case "true":
			return constant.MakeBool(true), true
		case "false":
			return constant.MakeBool(false), true
		}
	case *ast.ParenExpr:
		return evalExpr(e.X)
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok && x.Name == "time" {
			if n, ok := timeUnits[e.Sel.Name]; ok {
				return constant.MakeInt64(n), true
			}
		}
	case *ast.CallExpr:
		// Conversions such as time.Duration(5) or float64(1).
		if len(e.Args) == 1 {
			return evalExpr(e.Args[0])
		}
	case *ast.UnaryExpr:
		x, ok := evalExpr(e.X)
		if !ok {
			return nil, false
		}
		return safeUnary(e.Op, x)
	case *ast.BinaryExpr:
		x, ok1 := evalExpr(e.X)
		y, ok2 := evalExpr(e.Y)
		if !ok1 || !ok2 {
			return nil, false
		}
		return safeBinary(e.Op, x, y)
	}
	return nil, false
}

// configValue returns the constant for a read of a config field (x.cfg.Field).
func (s *state) configValue(e *ast.SelectorExpr) (string, bool) {
	if s.config == nil {
		return "", false
	}
	sel, ok := s.t.Info.Selections[e]
	if !ok || sel.Kind() != types.FieldVal {
		return "", false
	}
	recv := sel.Recv()
	if p, ok := recv.(*types.Pointer); ok {
		recv = p.Elem()
	}
	n, ok := recv.(*types.Named)
	if !ok || n.Obj() != s.config {
		return "", false
	}
	v, ok := s.spec.Config[e.Sel.Name]
	if !ok {
		s.failf("no value for config field %s.%s", s.config.Name(), e.Sel.Name)
		return "0", true
	}
	return v, true
}

// foldIf returns which branch of an if statement survives, when its
// condition is constant: 1 the body, 0 the else, -1 not constant.
func (s *state) foldIf(n *ast.IfStmt) int {
	if n.Init != nil {
		return -1
	}
	v, ok := s.constValue(n.Cond)
	if !ok || v.Kind() != constant.Bool {
		return -1
	}
	if constant.BoolVal(v) {
		return 1
	}
	return 0
}

// markDeadBranches marks the branches folded away inside live code.
func (s *state) markDeadBranches(root ast.Node) {
	ast.Inspect(root, func(n ast.Node) bool {
		if n == nil || s.dead[n] {
			return false
		}
		switch b := n.(type) {
		case *ast.BlockStmt:
			s.markUnreachable(b.List)
		case *ast.CaseClause:
			s.markUnreachable(b.Body)
		case *ast.CommClause:
			s.markUnreachable(b.Body)
		}
		if ifs, ok := n.(*ast.IfStmt); ok {
			switch s.foldIf(ifs) {
			case 1:
				if ifs.Else != nil {
					s.dead[ifs.Else] = true
				}
			case 0:
				s.dead[ifs.Body] = true
			}
		}
		if fd, ok := n.(*ast.FuncDecl); ok {
			if _, ok := s.hook(fd); ok {
				s.dead[fd.Body] = true
			}
		}
		return true
	})
}

// markUnreachable marks dead the statements that follow, in the same list, a
// folded if whose kept branch ends in a return, a panic, a continue or a
// break: after folding they are unreachable (if x { return a }; return b with
// x constant true).
func (s *state) markUnreachable(list []ast.Stmt) {
	for i, st := range list[:max(len(list)-1, 0)] {
		ifs, ok := st.(*ast.IfStmt)
		if !ok || s.dead[ifs] {
			continue
		}
		var kept *ast.BlockStmt
		switch s.foldIf(ifs) {
		case 1:
			kept = ifs.Body
		case 0:
			kept, _ = ifs.Else.(*ast.BlockStmt)
		}
		if kept == nil || len(kept.List) == 0 {
			continue
		}
		if last := kept.List[len(kept.List)-1]; !terminates(last) && !branches(last) {
			continue
		}
		for _, rest := range list[i+1:] {
			s.dead[rest] = true
		}
		s.cut[ifs] = list[len(list)-1]
		return
	}
}

// branches reports whether a statement is a continue, break or goto, after
// which the rest of its list does not run.
func branches(st ast.Stmt) bool {
	_, ok := st.(*ast.BranchStmt)
	return ok
}

// terminates reports whether a statement is a return, a call of panic, or a
// for loop without condition that nothing breaks out of.
func terminates(st ast.Stmt) bool {
	switch st := st.(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.ForStmt:
		return st.Cond == nil && !breaks(st.Body)
	case *ast.ExprStmt:
		if call, ok := st.X.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "panic" {
				return true
			}
		}
	}
	return false
}

// breaks reports whether body holds a break out of the loop it is the body
// of: an unlabeled break outside nested loops, switches and selects, or any
// labeled break.
func breaks(body *ast.BlockStmt) bool {
	found := false
	var walk func(n ast.Node, nested bool)
	walk = func(n ast.Node, nested bool) {
		ast.Inspect(n, func(m ast.Node) bool {
			switch m := m.(type) {
			case *ast.BranchStmt:
				if m.Tok == token.BREAK && (m.Label != nil || !nested) {
					found = true
				}
			case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				if m != n {
					walk(m, true)
					return false
				}
			case *ast.FuncLit:
				return false
			}
			return !found
		})
	}
	walk(body, false)
	return found
}

// parenthesize wraps an expression in parentheses unless it is a single
// operand (4, true, maxRetries), which needs none wherever it goes.
func parenthesize(v string) string {
	e, err := parser.ParseExpr(v)
	if err == nil {
		switch e := e.(type) {
		case *ast.BasicLit, *ast.Ident:
			return v
		case *ast.UnaryExpr:
			if _, ok := e.X.(*ast.BasicLit); ok && e.Op == token.SUB {
				return "(" + v + ")" // -1: keep x - -1 readable
			}
		}
	}
	return "(" + v + ")"
}

// hookKey names a hook: "hashKey", or "Pool.call" for a method.
func hookKey(fd *ast.FuncDecl) string {
	if fd.Recv != nil {
		return recvTypeName(fd) + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// docText renders a replacement doc comment, renaming the template names
// that start with or contain a capital (as in template comments).
func (s *state) docText(doc string) string {
	s.t.commentPlans() // compiles s.t.names
	renamed := Unmark(s.t.names.ReplaceAllStringFunc(doc, func(w string) string { return s.names[s.t.Pkg.Scope().Lookup(w)] }))
	var lines []string
	for i, para := range strings.Split(strings.TrimSpace(renamed), "\n\n") {
		if i > 0 {
			lines = append(lines, "//")
		}
		lines = append(lines, wrap(strings.Fields(para), 77)...)
	}
	return strings.Join(lines, "\n")
}

// wrap fills words into comment lines of at most width columns.
func wrap(words []string, width int) []string {
	var lines []string
	line := "//"
	for _, w := range words {
		if len(line)+1+len(w) > width && line != "//" {
			lines = append(lines, line)
			line = "//"
		}
		line += " " + w
	}
	return append(lines, line)
}

// hook returns the replacement body of a hook function, if the spec has one.
func (s *state) hook(fd *ast.FuncDecl) (string, bool) {
	if fd.Body == nil {
		return "", false
	}
	key := fd.Name.Name
	if fd.Recv != nil {
		key = recvTypeName(fd) + "." + key
	}
	body, ok := s.spec.Hooks[key]
	if ok && !hasMarker(fd.Doc, hookMarker) {
		s.failf("%s has a replacement body but is not marked %s", key, hookMarker)
	}
	return body, ok
}

// removeUnused removes unexported declarations and struct fields that no kept
// code refers to, until nothing more can go. The live code is walked once:
// each reference is counted for the declaration or struct field it stands
// in, and removing one uncounts its references, which may free others.
func (s *state) removeUnused() {
	for _, f := range s.t.Files {
		s.markDeadBranches(f)
	}
	var units []*topDecl
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				units = append(units, &topDecl{node: d, objs: []types.Object{s.t.Info.Defs[d.Name]}})
			case *ast.GenDecl:
				if d.Tok == token.IMPORT {
					continue
				}
				for _, sp := range d.Specs {
					var objs []types.Object
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						objs = append(objs, s.t.Info.Defs[sp.Name])
						s.typeDecls[s.t.Info.Defs[sp.Name]] = [2]ast.Node{d, sp}
					case *ast.ValueSpec:
						for _, n := range sp.Names {
							if n.Name != "_" {
								objs = append(objs, s.t.Info.Defs[n])
							}
						}
					}
					units = append(units, &topDecl{node: sp, outer: d, objs: objs})
				}
			}
		}
	}
	used := map[types.Object]int{}
	for _, u := range units {
		s.countRefs(u, used)
	}
	for _, name := range s.spec.Keep {
		if obj := s.lookupKeep(name); obj != nil {
			used[obj]++
		} else {
			s.failf("kept name %s is not declared", name)
		}
	}
	for changed := true; changed; {
		changed = false
		for _, u := range units {
			if !s.dead[u.node] && !s.dead[u.outer] && s.removable(u, used) {
				s.dead[u.node] = true
				u.uncount(s, used)
				changed = true
			}
		}
		// Struct fields nothing reads or writes, in declared struct types.
		for _, u := range units {
			if s.dead[u.node] || s.dead[u.outer] {
				continue
			}
			for _, fld := range u.fields {
				if s.dead[fld.node] {
					continue
				}
				all := true
				for _, obj := range fld.objs {
					if obj.Name() == "_" || used[obj] > 0 {
						all = false
					}
				}
				if all {
					s.dead[fld.node] = true
					for _, obj := range fld.refs {
						used[obj]--
					}
					changed = true
				}
			}
		}
	}
}

// topDecl is a top-level declaration unit that can be kept or removed whole:
// a func, or one spec of a GenDecl (outer).
type topDecl struct {
	node, outer ast.Node
	objs        []types.Object
	// refs are the objects the live code of the unit refers to, but for
	// its removable struct fields, which hold their own.
	refs   []types.Object
	fields []*fieldDecl
}

// fieldDecl is a field of a declared struct type (a field of a struct type
// literal, such as a parameter of type chan struct{ seq uint64 }, is a
// different object from the field that identical types elsewhere use, so
// it is not removed).
type fieldDecl struct {
	node *ast.Field
	objs []types.Object
	refs []types.Object
}

// uncount removes the references of a removed unit from used.
func (u *topDecl) uncount(s *state, used map[types.Object]int) {
	for _, obj := range u.refs {
		used[obj]--
	}
	for _, f := range u.fields {
		if !s.dead[f.node] {
			for _, obj := range f.refs {
				used[obj]--
			}
		}
	}
}

// countRefs walks the live code of a unit once, recording the objects it
// refers to, in the unit or in the field of a declared struct type they
// stand in, and counting them in used.
func (s *state) countRefs(u *topDecl, used map[types.Object]int) {
	fieldOf := map[*ast.Field]*fieldDecl{}
	ref := func(f *fieldDecl, obj types.Object) {
		used[obj]++
		if f != nil {
			f.refs = append(f.refs, obj)
		} else {
			u.refs = append(u.refs, obj)
		}
	}
	var walk func(n ast.Node, f *fieldDecl)
	walk = func(root ast.Node, f *fieldDecl) {
		var visit func(ast.Node) bool
		visit = func(n ast.Node) bool {
			if n == nil || s.dead[n] {
				return false
			}
			switch n := n.(type) {
			case *ast.TypeSpec:
				if st, ok := n.Type.(*ast.StructType); ok {
					for _, fld := range st.Fields.List {
						if len(fld.Names) == 0 {
							continue
						}
						fd := &fieldDecl{node: fld}
						for _, nm := range fld.Names {
							fd.objs = append(fd.objs, s.t.Info.Defs[nm])
						}
						fieldOf[fld] = fd
					}
				}
			case *ast.Field:
				if fd, ok := fieldOf[n]; ok && f == nil {
					u.fields = append(u.fields, fd)
					walk(n, fd)
					return false
				}
			case *ast.IfStmt:
				if s.foldIf(n) >= 0 {
					// A folded if's condition is not in the output, only
					// the branch kept (the other one is dead): a constant
					// that only steers folding is not used.
					ast.Inspect(n.Body, visit)
					if n.Else != nil {
						ast.Inspect(n.Else, visit)
					}
					return false
				}
			case *ast.Ident:
				if obj := s.t.Info.Uses[n]; obj != nil {
					ref(f, origin(obj))
				}
			case *ast.FuncDecl:
				if body, ok := s.hook(n); ok {
					for _, obj := range s.hookObjects(body) {
						ref(f, obj)
					}
				}
			}
			return true
		}
		if root == u.node {
			ast.Inspect(root, visit)
			return
		}
		// A field: its own node is live (the caller checked), walk inside.
		ast.Inspect(root, func(n ast.Node) bool {
			if n == root {
				return true
			}
			return visit(n)
		})
	}
	if u.outer == nil || !s.dead[u.outer] {
		walk(u.node, nil)
	}
}

func (s *state) removable(u *topDecl, used map[types.Object]int) bool {
	if fd, ok := u.node.(*ast.FuncDecl); ok {
		if fd.Name.Name == "init" && fd.Recv == nil {
			return false
		}
		if fd.Recv != nil {
			// Exported methods of kept types stay; so do methods that may
			// satisfy an interface (String, Error).
			recv := s.t.Pkg.Scope().Lookup(recvTypeName(fd))
			if recv == nil || s.isDeadObj(recv) {
				return true
			}
			if token.IsExported(fd.Name.Name) {
				return false
			}
			return used[u.objs[0]] == 0
		}
	}
	for _, o := range u.objs {
		if o == nil {
			return false
		}
		if token.IsExported(o.Name()) || used[o] > 0 {
			return false
		}
	}
	return len(u.objs) > 0
}

// isDeadObj reports whether the declaration of a template type is removed.
func (s *state) isDeadObj(obj types.Object) bool {
	d, ok := s.typeDecls[obj]
	return ok && (s.dead[d[0]] || s.dead[d[1]])
}

// lookupKeep finds a kept name: "init" for a function, "Pool.init" for a method.
func (s *state) lookupKeep(name string) types.Object {
	if typ, method, ok := strings.Cut(name, "."); ok {
		tn, _ := s.t.Pkg.Scope().Lookup(typ).(*types.TypeName)
		if tn == nil {
			return nil
		}
		obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(tn.Type()), true, s.t.Pkg, method)
		if obj == nil {
			return nil
		}
		return origin(obj)
	}
	return s.t.Pkg.Scope().Lookup(name)
}

// origin maps a field or method of an instantiated generic type (as seen in a
// method body) to its declaration.
func origin(obj types.Object) types.Object {
	switch o := obj.(type) {
	case *types.Var:
		return o.Origin()
	case *types.Func:
		return o.Origin()
	}
	return obj
}

// hookObjects returns the template package-level objects a hook body names.
func (s *state) hookObjects(body string) []types.Object {
	f, err := parseBody(body)
	if err != nil {
		s.failf("hook body does not parse: %v\n%s", err, body)
		return nil
	}
	var objs []types.Object
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			ast.Inspect(n.X, func(m ast.Node) bool {
				if id, ok := m.(*ast.Ident); ok {
					if obj := s.t.Pkg.Scope().Lookup(id.Name); obj != nil {
						objs = append(objs, obj)
					}
				}
				return true
			})
			return false
		case *ast.Ident:
			if obj := s.t.Pkg.Scope().Lookup(n.Name); obj != nil {
				objs = append(objs, obj)
			}
		}
		return true
	})
	return objs
}

func parseBody(body string) (*ast.File, error) {
	return parser.ParseFile(token.NewFileSet(), "hook.go", "package p\nfunc _() {\n"+body+"\n}\n", parser.SkipObjectResolution)
}

// editAll records the edits for every live declaration.
func (s *state) editAll() {
	s.editComments()
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			if gd, ok := d.(*ast.GenDecl); (ok && gd.Tok == token.IMPORT) || s.dead[d] {
				continue
			}
			s.editNode(d)
		}
	}
}

// editComments removes marker lines from comments and renames the template's
// exported names in prose ("Map is a concurrent map" -> "Store is ..."), so
// the generated code documents itself under its own names. What to do with
// each comment is planned once per template (see commentPlans).
func (s *state) editComments() {
	for i, plans := range s.t.commentPlans() {
		ed := s.eds[i]
		for _, p := range plans {
			if p.marker {
				ed.replace(p.start, p.end, "")
				continue
			}
			var b strings.Builder
			for _, pc := range p.pieces {
				switch pc.kind {
				case pieceText:
					b.WriteString(pc.text)
				case pieceName:
					if name, ok := s.names[s.t.Pkg.Scope().Lookup(pc.text)]; ok {
						b.WriteString(name)
					} else {
						b.WriteString(pc.text)
					}
				case pieceConfig:
					// The config type does not exist in the output: its
					// fields are the directive's options.
					opt := strings.ToLower(pc.text)
					if o, ok := s.spec.ConfigOptions[pc.text]; ok {
						opt = o
					}
					b.WriteString("the " + opt + "= option")
				}
			}
			if text := b.String(); text != p.c.Text {
				ed.replace(p.start, p.end, text)
			}
		}
	}
}

// commentPlan is what the stencil does with one comment of a template: remove
// it (a marker, with the blank line before it) or rewrite it from pieces.
type commentPlan struct {
	c          *ast.Comment
	marker     bool
	start, end int
	pieces     []commentPiece
}

// A commentPiece is a stretch of a comment's text: kept as it is, a
// template name to rename, or the field of a config reference
// (Config.Workers) to turn into the option's name.
type commentPiece struct {
	kind int
	text string
}

const (
	pieceText = iota
	pieceName
	pieceConfig
)

// commentPlans plans the comments of each file once: the markers, and the
// template names and config references in prose. A name renamed in prose is
// exported, or an unexported name that cannot be an ordinary word
// (shardBits, hashU64; not bucket or entry), and not qualified by a package
// (sync.Map).
func (t *Template) commentPlans() [][]commentPlan {
	t.commentsOnce.Do(func() {
		var names []string
		for _, n := range t.Pkg.Scope().Names() {
			if token.IsExported(n) || strings.ContainsAny(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") {
				names = append(names, regexp.QuoteMeta(n))
			}
		}
		sort.Sort(sort.Reverse(sort.StringSlice(names))) // longest alternative wins: MapStats before Map
		t.names = regexp.MustCompile(`\b(` + strings.Join(names, "|") + `)\b`)
		config := ""
		if c := findConfig(t); c != nil {
			config = c.Name()
		}
		off := func(p token.Pos) int { return t.Fset.Position(p).Offset }
		for i, f := range t.Files {
			src := t.Srcs[i]
			// The doc of a method starts with the method's name, which is
			// not renamed even when a template type has the same name (Stats).
			methodDoc := map[*ast.Comment]string{}
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil && fd.Doc != nil {
					methodDoc[fd.Doc.List[0]] = fd.Name.Name
				}
			}
			var plans []commentPlan
			for _, cg := range f.Comments {
				for j, c := range cg.List {
					if strings.HasPrefix(c.Text, "//monogen:") {
						start, end := off(c.Pos()), off(c.End())
						// Remove the whole line, and a lone "//" line before a
						// trailing marker (the blank line of a doc comment).
						if j > 0 && cg.List[j-1].Text == "//" && allMarkers(cg.List[j:]) {
							start = off(cg.List[j-1].Pos())
						}
						for start > 0 && (src[start-1] == ' ' || src[start-1] == '\t') {
							start--
						}
						if start > 0 && src[start-1] == '\n' && end < len(src) && src[end] == '\n' {
							end++
						} else if j == 0 && len(cg.List) == 1 {
							// A marker alone after code on the same line: keep the line.
							start = off(c.Pos())
							for start > 0 && (src[start-1] == ' ' || src[start-1] == '\t') {
								start--
							}
						}
						plans = append(plans, commentPlan{c: c, marker: true, start: start, end: end})
						continue
					}
					if strings.HasPrefix(c.Text, "//go:") {
						continue
					}
					pieces := planComment(c.Text, methodDoc[c], config, t.names)
					if len(pieces) > 1 || len(pieces) == 1 && pieces[0].kind != pieceText {
						plans = append(plans, commentPlan{c: c, start: off(c.Pos()), end: off(c.End()), pieces: pieces})
					}
				}
			}
			t.comments = append(t.comments, plans)
		}
	})
	return t.comments
}

// planComment splits the text of a comment into pieces: config references
// (when config names the config type), then template names, but for the
// name of the method the comment documents, which starts it.
func planComment(text, method, config string, names *regexp.Regexp) []commentPiece {
	var out []commentPiece
	prose := func(text string) {
		p := 0
		for _, m := range names.FindAllStringIndex(text, -1) {
			if m[0] > 0 && text[m[0]-1] == '.' {
				continue // qualified: sync.Map is the standard library's
			}
			out = append(out, commentPiece{pieceText, text[p:m[0]]}, commentPiece{pieceName, text[m[0]:m[1]]})
			p = m[1]
		}
		out = append(out, commentPiece{pieceText, text[p:]})
	}
	if method != "" && strings.HasPrefix(text, "// "+method+" ") {
		out = append(out, commentPiece{pieceText, "// " + method})
		text = text[len("// "+method):]
	}
	p := 0
	if config != "" {
		for _, m := range configRef.FindAllStringSubmatchIndex(text, -1) {
			if text[m[2]:m[3]] != config {
				continue
			}
			prose(text[p:m[0]])
			out = append(out, commentPiece{pieceConfig, text[m[4]:m[5]]})
			p = m[1]
		}
	}
	prose(text[p:])
	return out
}

func allMarkers(list []*ast.Comment) bool {
	for _, c := range list {
		if !strings.HasPrefix(c.Text, "//monogen:") {
			return false
		}
	}
	return true
}

// editNode records edits inside a live node.
func (s *state) editNode(root ast.Node) {
	ed := s.editor(root)
	ast.Inspect(root, func(n ast.Node) bool { return s.walk(ed, n) })
	// Dead nodes are removed whole, together with their doc comments.
	ast.Inspect(root, func(n ast.Node) bool {
		if n == nil {
			return false
		}
		if s.dead[n] {
			switch n.(type) {
			case *ast.BlockStmt, ast.Stmt:
				// Dead branches are handled by the if folding; a replaced
				// hook body by its replacement.
			default:
				start, end := s.nodeRange(n)
				ed.replace(start, end, "")
			}
			return false
		}
		return true
	})
}

// walk records the edits for one node and reports whether to descend.
func (s *state) walk(ed *editor, n ast.Node) bool {
	if n == nil || s.dead[n] {
		return false
	}
	sub := func(m ast.Node) {
		if m != nil && !isNilNode(m) {
			ast.Inspect(m, func(x ast.Node) bool { return s.walk(ed, x) })
		}
	}
	switch n := n.(type) {
	case *ast.FuncDecl:
		if n.Type.TypeParams != nil {
			ed.replace(s.off(n.Type.TypeParams.Opening), s.off(n.Type.TypeParams.Closing)+1, "")
		}
		if doc, ok := s.spec.HookDocs[hookKey(n)]; ok && n.Doc != nil {
			ed.add(s.off(n.Doc.Pos()), s.off(n.Doc.End()), func() string { return s.docText(doc) })
		}
		if body, ok := s.hook(n); ok {
			ed.add(s.off(n.Body.Lbrace), s.off(n.Body.Rbrace)+1, func() string { return s.hookText(n, body) })
			if n.Recv != nil {
				sub(n.Recv)
			}
			s.walk(ed, n.Name)
			sub(n.Type)
			return false
		}
	case *ast.GenDecl:
		// A type declared alone, whose doc the spec replaces.
		if n.Tok == token.TYPE && len(n.Specs) == 1 && n.Doc != nil {
			if doc, ok := s.spec.HookDocs[n.Specs[0].(*ast.TypeSpec).Name.Name]; ok {
				ed.add(s.off(n.Doc.Pos()), s.off(n.Doc.End()), func() string { return s.docText(doc) })
			}
		}
	case *ast.TypeSpec:
		if n.TypeParams != nil {
			ed.replace(s.off(n.TypeParams.Opening), s.off(n.TypeParams.Closing)+1, "")
		}
	case *ast.ValueSpec:
		// A constant the spec sets: replace its value.
		if len(n.Names) == 1 && len(n.Values) == 1 {
			if c, ok := s.t.Info.Defs[n.Names[0]].(*types.Const); ok && c.Parent() == s.t.Pkg.Scope() {
				if v, ok := s.spec.Consts[c.Name()]; ok {
					s.walk(ed, n.Names[0])
					ed.replace(s.off(n.Values[0].Pos()), s.off(n.Values[0].End()), v)
					if n.Type != nil {
						sub(n.Type)
					}
					return false
				}
			}
		}
	case *ast.IfStmt:
		if last, ok := s.cut[n]; ok {
			// The statements after a folded if whose kept branch returns.
			ed.replace(s.off(n.End()), s.off(last.End()), "")
		}
		switch s.foldIf(n) {
		case 1:
			ed.addLine(s.off(n.Pos()), s.off(n.End()), func() string { return s.inline(ed, n.Body, n) })
			sub(n.Body)
			return false
		case 0:
			ed.addLine(s.off(n.Pos()), s.off(n.End()), func() string {
				switch e := n.Else.(type) {
				case nil:
					return ""
				case *ast.BlockStmt:
					return s.inline(ed, e, n)
				default:
					return ed.render(s.off(e.Pos()), s.off(e.End()))
				}
			})
			if n.Else != nil {
				sub(n.Else)
			}
			return false
		}
	}
	return s.editLeaf(ed, n)
}

func isNilNode(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.FieldList:
		return n == nil
	case *ast.BlockStmt:
		return n == nil
	}
	return false
}

// nodeRange returns the byte range of a declaration, a spec or a field,
// including its doc comment, its line comment and the line break after it.
func (s *state) nodeRange(n ast.Node) (int, int) {
	start, end := n.Pos(), n.End()
	var doc, line *ast.CommentGroup
	switch n := n.(type) {
	case *ast.FuncDecl:
		doc = n.Doc
	case *ast.GenDecl:
		doc = n.Doc
	case *ast.TypeSpec:
		doc, line = n.Doc, n.Comment
	case *ast.ValueSpec:
		doc, line = n.Doc, n.Comment
	case *ast.Field:
		doc, line = n.Doc, n.Comment
	}
	if doc != nil {
		start = doc.Pos()
	}
	if line != nil && line.End() > end {
		end = line.End()
	}
	a, b := s.off(start), s.off(end)
	src := s.editor(n).src
	// Take the indentation before and the newline after.
	for a > 0 && (src[a-1] == ' ' || src[a-1] == '\t') {
		a--
	}
	if b < len(src) && src[b] == '\n' {
		b++
	}
	return a, b
}

// inline renders a block's statements without its braces when that cannot
// change meaning, else the whole block. Names the block declares at its top
// level must not appear in any other statement of the enclosing list, nor be
// referred to by text inserted there (a type argument named like a local of
// the block): then moving them out can neither redeclare nor shadow anything.
func (s *state) inline(ed *editor, b *ast.BlockStmt, ifs *ast.IfStmt) string {
	declared := map[string]bool{}
	labels := false
	for _, st := range b.List {
		switch st := st.(type) {
		case *ast.DeclStmt:
			for _, sp := range st.Decl.(*ast.GenDecl).Specs {
				switch sp := sp.(type) {
				case *ast.ValueSpec:
					for _, n := range sp.Names {
						declared[n.Name] = true
					}
				case *ast.TypeSpec:
					declared[sp.Name.Name] = true
				}
			}
		case *ast.AssignStmt:
			if st.Tok == token.DEFINE {
				for _, l := range st.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						declared[id.Name] = true
					}
				}
			}
		case *ast.LabeledStmt:
			labels = true
		}
	}
	declares := labels
	if len(declared) > 0 {
		siblings, ok := s.siblings[ifs]
		if !ok {
			declares = true
		}
		for _, st := range siblings {
			if st == ast.Stmt(ifs) {
				continue
			}
			ast.Inspect(st, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && declared[id.Name] {
					declares = true
				}
				return !declares
			})
			// Nor may text inserted there refer to them (a type
			// argument named like a local of the block).
			for name := range declared {
				for _, p := range s.inserted[name] {
					if p >= st.Pos() && p < st.End() {
						declares = true
					}
				}
			}
		}
	}
	if declares || len(b.List) == 0 {
		if len(b.List) == 0 {
			return ""
		}
		return ed.render(s.off(b.Lbrace), s.off(b.Rbrace)+1)
	}
	return strings.TrimSpace(ed.render(s.off(b.Lbrace)+1, s.off(b.Rbrace)))
}

// editLeaf records the substitution for one node, if any, and reports whether
// to walk its children.
func (s *state) editLeaf(ed *editor, n ast.Node) bool {
	if n == nil || s.dead[n] {
		return false
	}
	info := s.t.Info
	switch n := n.(type) {
	case *ast.SelectorExpr:
		if v, ok := s.configValue(n); ok {
			ed.replace(s.off(n.Pos()), s.off(n.End()), parenthesize(v))
			return false
		}
		if id, ok := n.X.(*ast.Ident); ok {
			if pn, ok := info.Uses[id].(*types.PkgName); ok {
				alias := s.importName(pn.Imported().Path())
				if alias != id.Name {
					ed.replace(s.off(id.Pos()), s.off(id.End()), alias)
				}
				return false
			}
		}
		// Only X can name something to substitute; Sel is a field or method.
		ast.Inspect(n.X, func(m ast.Node) bool { return s.walk(ed, m) })
		return false
	case *ast.KeyValueExpr:
		// A key in a struct literal names a field: leave it.
		if id, ok := n.Key.(*ast.Ident); ok {
			if v, ok := info.Uses[id].(*types.Var); ok && v.IsField() {
				ast.Inspect(n.Value, func(m ast.Node) bool { return s.walk(ed, m) })
				return false
			}
		}
	case *ast.IndexExpr:
		if s.isTemplateGeneric(n.X) {
			s.walk(ed, n.X)
			ed.replace(s.off(n.Lbrack), s.off(n.Rbrack)+1, "")
			return false
		}
	case *ast.IndexListExpr:
		if s.isTemplateGeneric(n.X) {
			s.walk(ed, n.X)
			ed.replace(s.off(n.Lbrack), s.off(n.Rbrack)+1, "")
			return false
		}
	case *ast.CallExpr:
		// A conversion to a substituted type needs parentheses: (*T)(x).
		if id, ok := n.Fun.(*ast.Ident); ok && s.isTypeParam(id) {
			ed.replace(s.off(id.Pos()), s.off(id.End()), conversion(s.spec.Types[id.Name]))
			for _, a := range n.Args {
				ast.Inspect(a, func(m ast.Node) bool { return s.walk(ed, m) })
			}
			return false
		}
	case *ast.Ident:
		if s.isTypeParam(n) {
			ed.replace(s.off(n.Pos()), s.off(n.End()), s.spec.Types[n.Name])
			return false
		}
		obj := info.Uses[n]
		if obj == nil {
			obj = info.Defs[n]
		}
		if obj == nil {
			return false
		}
		if obj.Parent() == types.Universe {
			s.predeclared[n.Name] = true
			return false
		}
		if obj.Parent() == s.t.Pkg.Scope() {
			if name, ok := s.names[obj]; ok && name != n.Name {
				ed.replace(s.off(n.Pos()), s.off(n.End()), name)
			}
			return false
		}
		// A local that would capture a name inserted in its scope.
		if name, ok := s.locals[obj]; ok {
			ed.replace(s.off(n.Pos()), s.off(n.End()), name)
		}
		// Fields and methods are not renamed. A local variable that shadows a
		// method name is harmless.
		return false
	}
	return true
}

func (s *state) isTypeParam(id *ast.Ident) bool {
	obj := s.t.Info.Uses[id]
	if obj == nil {
		obj = s.t.Info.Defs[id]
	}
	tn, ok := obj.(*types.TypeName)
	if !ok {
		return false
	}
	if _, ok := tn.Type().(*types.TypeParam); !ok {
		return false
	}
	if !s.params[id.Name] {
		s.failf("type parameter %s is not one of the template's parameters", id.Name)
		return false
	}
	return true
}

// isTemplateGeneric reports whether e names a generic type or function
// declared in the template (whose instantiation the stencil removes).
func (s *state) isTemplateGeneric(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	if !ok {
		return false
	}
	obj := s.t.Info.Uses[id]
	if obj == nil || obj.Parent() != s.t.Pkg.Scope() {
		return false
	}
	switch o := obj.(type) {
	case *types.TypeName:
		if n, ok := o.Type().(*types.Named); ok {
			return n.TypeParams().Len() > 0
		}
	case *types.Func:
		return o.Type().(*types.Signature).TypeParams().Len() > 0
	}
	return false
}

func (s *state) importName(path string) string {
	s.imports[path] = true
	if s.spec.Imports == nil {
		return pathBase(path)
	}
	return s.spec.Imports(path)
}

func pathBase(p string) string {
	b := path.Base(p)
	if strings.HasPrefix(b, "v") && len(b) > 1 && strings.Trim(b[1:], "0123456789") == "" {
		b = path.Base(path.Dir(p))
	}
	return b
}

// hookText renders the replacement body of the hook function fd. Each
// identifier of the body is resolved once, and what replaces it is never
// read again: a user mark becomes the user's name, a type parameter its type
// argument, a template declaration its generated name, a parameter or
// receiver of fd (or a local of the body) its name in the output (see
// planLocals). Predeclared names and package qualifiers stay. Anything else
// is an error: a hook spells no type argument, it names the type parameter.
func (s *state) hookText(fd *ast.FuncDecl, body string) string {
	h := s.hookInfo(fd, body)
	if h.err != nil {
		s.failf("hook %s does not parse: %v", hookKey(fd), h.err)
		return "{}"
	}
	src := []byte("package p\nfunc _() {\n" + body + "\n}\n")
	ed := &editor{src: src}
	scope := s.t.Info.Scopes[fd.Type]
	captures := map[string]bool{}
	for _, n := range h.inserted {
		captures[n] = true
	}
	var resolve func(id *ast.Ident, qualifier, fun bool)
	resolve = func(id *ast.Ident, qualifier, fun bool) {
		off := h.fset.Position(id.Pos()).Offset
		to := id.Name
		switch name := id.Name; {
		case name == "_":
		case strings.HasPrefix(name, userPrefix):
			to = strings.TrimPrefix(name, userPrefix)
		case h.declared[name]:
			if captures[name] {
				to = s.fresh(name)
			}
		case s.params[name]:
			to = s.spec.Types[name]
			if fun {
				to = conversion(to)
			}
		case scope != nil && scope.Lookup(name) != nil:
			if nn, ok := s.locals[scope.Lookup(name)]; ok {
				to = nn
			}
		case s.t.Pkg.Scope().Lookup(name) != nil:
			to = s.names[s.t.Pkg.Scope().Lookup(name)]
		case types.Universe.Lookup(name) != nil && !qualifier:
			s.predeclared[name] = true
		case qualifier:
		default:
			s.failf("hook %s refers to %s, which is neither the user's (User), a type parameter, a template declaration nor a parameter of the hook", hookKey(fd), name)
		}
		if to != id.Name {
			ed.replace(off, off+len(id.Name), to)
		}
	}
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				resolve(id, true, false)
				return false
			}
			ast.Inspect(n.X, visit)
			return false
		case *ast.KeyValueExpr:
			if _, ok := n.Key.(*ast.Ident); !ok {
				ast.Inspect(n.Key, visit)
			}
			ast.Inspect(n.Value, visit)
			return false
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok {
				resolve(id, false, true)
				for _, a := range n.Args {
					ast.Inspect(a, visit)
				}
				return false
			}
		case *ast.Ident:
			resolve(n, false, false)
		}
		return true
	}
	fn := h.file.Decls[0].(*ast.FuncDecl)
	ast.Inspect(fn.Body, visit)
	return ed.render(h.fset.Position(fn.Body.Lbrace).Offset, h.fset.Position(fn.Body.Rbrace).Offset+1)
}

// output renders the live declarations.
func (s *state) output() *Output {
	out := &Output{}
	declare := func(id *ast.Ident) {
		if id.Name != "_" {
			out.Declared = append(out.Declared, s.names[s.t.Info.Defs[id]])
		}
	}
	for i, f := range s.t.Files {
		ed := s.eds[i]
		for _, d := range f.Decls {
			if s.dead[d] {
				continue
			}
			if gd, ok := d.(*ast.GenDecl); ok {
				if gd.Tok == token.IMPORT {
					continue
				}
				live := 0
				for _, sp := range gd.Specs {
					if !s.dead[sp] {
						live++
					}
				}
				if live == 0 {
					continue
				}
				for _, sp := range gd.Specs {
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						if !s.dead[sp] {
							declare(sp.Name)
						}
					case *ast.ValueSpec:
						if !s.dead[sp] {
							for _, n := range sp.Names {
								declare(n)
							}
						}
					}
				}
			}
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name != "init" {
				declare(fd.Name)
			}
			start, end := s.nodeRange(d)
			text := strings.TrimSpace(ed.render(start, end))
			if text != "" {
				out.Decls = append(out.Decls, text)
			}
		}
	}
	for p := range s.imports {
		out.Imports = append(out.Imports, p)
	}
	sort.Strings(out.Imports)
	for n := range s.predeclared {
		out.Predeclared = append(out.Predeclared, n)
	}
	sort.Strings(out.Predeclared)
	return out
}
