package stencil

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
)

// Names in the output, and how they cannot capture one another.
//
// The stencil inserts text into the template: a type argument where a type
// parameter stood, a generated name where a template declaration was
// referred to, a constant where a config field was read, a hook body. What it
// inserts is never scanned again, so a user's type named V is not taken for
// the type parameter V, nor a user's function named hashKey for the
// template's. What inserted text refers to is known, though: the identifiers
// of its source (refNames). A template local (a parameter, a receiver, a
// variable) whose scope holds inserted text referring to its own name would
// capture that reference; such a local, and only such a local, is renamed
// (planLocals), and every reference to it follows, in the template and in
// hook bodies alike.

// refNames returns the identifiers an expression or statement list in
// source form refers to: not the fields and methods it selects, not the
// field names of struct types and literals, not the parameter names of
// function types. The user marks of a hook body are kept.
func refNames(src string, stmts bool) []string {
	if !stmts && token.IsIdentifier(src) {
		return []string{src} // a generated name, most of the time
	}
	var root ast.Node
	if stmts {
		f, err := parseBody(src)
		if err != nil {
			return nil
		}
		root = f.Decls[0].(*ast.FuncDecl).Body
	} else {
		e, err := parser.ParseExpr(src)
		if err != nil {
			return nil
		}
		root = e
	}
	var out []string
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			ast.Inspect(n.X, visit)
			return false
		case *ast.KeyValueExpr:
			if _, ok := n.Key.(*ast.Ident); !ok {
				ast.Inspect(n.Key, visit)
			}
			ast.Inspect(n.Value, visit)
			return false
		case *ast.Field:
			// A struct field's or a function type parameter's name.
			ast.Inspect(n.Type, visit)
			return false
		case *ast.Ident:
			out = append(out, n.Name)
		}
		return true
	}
	ast.Inspect(root, visit)
	return out
}

// inserted is what the stencil inserts into the template, by the names it
// refers to: the positions, in the template, at which text referring to the
// name is inserted.
type inserted map[string][]token.Pos

func (in inserted) add(pos token.Pos, names []string) {
	for _, n := range names {
		in[n] = append(in[n], pos)
	}
}

// textNames returns refNames of an inserted expression, once per text.
func (s *state) textNames(text string) []string {
	if names, ok := s.refs[text]; ok {
		return names
	}
	names := refNames(text, false)
	s.refs[text] = names
	return names
}

// planLocals finds the insertions into the template (see the comment at the
// top of this file) and renames each template local that one would capture.
func (s *state) planLocals() {
	info, pkg := s.t.Info, s.t.Pkg.Scope()
	in := inserted{}
	if !s.mayCapture() {
		s.inserted = in
		return
	}
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		if n == nil || s.dead[n] {
			return false
		}
		switch n := n.(type) {
		case *ast.Ident:
			if info.Defs[n] != nil {
				break
			}
			if text, ok := s.typeArg(n); ok {
				in.add(n.Pos(), s.textNames(text))
			} else if obj := info.Uses[n]; obj != nil && obj.Parent() == pkg {
				in.add(n.Pos(), s.textNames(s.names[obj]))
			}
		case *ast.IndexExpr:
			// The instantiation of a template generic goes.
			if s.isTemplateGeneric(n.X) {
				s.inspect(n.X, visit)
				return false
			}
		case *ast.IndexListExpr:
			if s.isTemplateGeneric(n.X) {
				s.inspect(n.X, visit)
				return false
			}
		case *ast.SelectorExpr:
			if v, ok := s.configValue(n); ok {
				in.add(n.Pos(), s.textNames(v))
				return false
			}
		case *ast.CallExpr:
			if v, ok := s.configRead(n); ok {
				in.add(n.Pos(), s.textNames(v))
				return false
			}
		case *ast.FuncDecl:
			if body, ok := s.hook(n); ok {
				in.add(n.Body.Pos(), s.hookInfo(n, body).inserted)
			}
		}
		return true
	}
	for _, f := range s.t.Files {
		s.inspect(f, visit)
	}
	s.inserted = in
	for id, obj := range info.Defs {
		if obj == nil || id.Name == "_" || obj.Pkg() != s.t.Pkg {
			continue
		}
		scope := obj.Parent()
		if scope == nil || scope == pkg {
			continue // package-level, a field or a method
		}
		if isTypeParam(obj) {
			continue
		}
		for _, pos := range in[obj.Name()] {
			if scope.Contains(pos) {
				s.locals[obj] = s.fresh(obj.Name())
				break
			}
		}
	}
}

// mayCapture reports whether text the directive inserts may refer to the
// name of a template local: a type argument, a generated name, an option's
// value or a live hook's body. Most directives insert none, and then no
// local steps aside and no block keeps its braces for one (see inline):
// where the text goes need not be found.
func (s *state) mayCapture() bool {
	locals := s.t.localNames()
	refers := func(names []string) bool {
		for _, n := range names {
			if locals[n] {
				return true
			}
		}
		return false
	}
	for _, text := range s.spec.Types {
		if refers(s.textNames(text)) {
			return true
		}
	}
	for _, name := range s.names {
		if refers(s.textNames(name)) {
			return true
		}
	}
	for _, v := range s.spec.Config {
		if refers(s.textNames(v)) {
			return true
		}
	}
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && !s.dead[fd] {
				if body, ok := s.hook(fd); ok && refers(s.hookInfo(fd, body).inserted) {
					return true
				}
			}
		}
	}
	return false
}

// localNames returns the names of the template's locals: what planLocals
// may rename.
func (t *Template) localNames() map[string]bool {
	t.localsOnce.Do(func() {
		t.locals = map[string]bool{}
		pkg := t.Pkg.Scope()
		for id, obj := range t.Info.Defs {
			if obj == nil || id.Name == "_" || obj.Pkg() != t.Pkg || obj.Parent() == nil || obj.Parent() == pkg || isTypeParam(obj) {
				continue
			}
			t.locals[obj.Name()] = true
		}
	})
	return t.locals
}

// fresh returns a new name for a local called name: name with underscores
// appended, until it is no identifier of the template and nothing inserted
// refers to it.
func (s *state) fresh(name string) string {
	n := name + "_"
	for s.t.idents[n] || s.inserted[n] != nil {
		n += "_"
	}
	return n
}

// typeArg returns the type argument an identifier of the template stands
// for, if it names one of the template's type parameters.
func (s *state) typeArg(id *ast.Ident) (string, bool) {
	if !s.isTypeParam(id) {
		return "", false
	}
	return s.spec.Types[id.Name], true
}

// hookBody is a replacement body, parsed, with what its identifiers name.
type hookBody struct {
	fset *token.FileSet
	file *ast.File
	err  error
	// inserted are the names the body refers to outside the hook function:
	// the user's (marked), those of the type arguments it names through
	// their parameters, the generated names of the template declarations
	// it uses.
	inserted []string
	// declared are the names the body declares itself.
	declared map[string]bool
}

// hookInfo parses a hook body for the hook function fd, once.
func (s *state) hookInfo(fd *ast.FuncDecl, body string) *hookBody {
	if h, ok := s.hooks[fd]; ok {
		return h
	}
	h := &hookBody{fset: token.NewFileSet(), declared: map[string]bool{}}
	s.hooks[fd] = h
	h.file, h.err = parser.ParseFile(h.fset, "hook.go", "package p\nfunc _() {\n"+body+"\n}\n", parser.SkipObjectResolution)
	if h.err != nil {
		return h
	}
	s.inspect(h.file.Decls[0].(*ast.FuncDecl).Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						h.declared[id.Name] = true
					}
				}
			}
		case *ast.RangeStmt:
			if n.Tok == token.DEFINE {
				for _, l := range []ast.Expr{n.Key, n.Value} {
					if id, ok := l.(*ast.Ident); ok {
						h.declared[id.Name] = true
					}
				}
			}
		case *ast.ValueSpec:
			for _, id := range n.Names {
				h.declared[id.Name] = true
			}
		}
		return true
	})
	scope := s.t.Info.Scopes[fd.Type]
	for _, name := range refNames(body, true) {
		switch {
		case name == "_" || h.declared[name]:
		case strings.HasPrefix(name, userPrefix):
			h.inserted = append(h.inserted, strings.TrimPrefix(name, userPrefix))
		case s.params[name]:
			h.inserted = append(h.inserted, s.textNames(s.spec.Types[name])...)
		case scope != nil && scope.Lookup(name) != nil:
			// A parameter, result or receiver of the hook function.
		case s.t.Pkg.Scope().Lookup(name) != nil:
			h.inserted = append(h.inserted, s.textNames(s.names[s.t.Pkg.Scope().Lookup(name)])...)
		default:
			h.inserted = append(h.inserted, name) // an import's name, or a predeclared one
		}
	}
	return h
}

// conversion spells a type argument as the function of a conversion:
// (*T)(x), (func())(x), but T(x) and pkg.T(x).
func conversion(text string) string {
	e, err := parser.ParseExpr(text)
	if err == nil {
		switch e.(type) {
		case *ast.Ident, *ast.SelectorExpr, *ast.IndexExpr, *ast.IndexListExpr, *ast.ArrayType, *ast.MapType:
			return text
		}
	}
	return "(" + text + ")"
}

// Bind returns a hook body to be used outside the template, in a function
// literal whose parameters are named as names gives (ctx -> ctx_): the
// body's identifiers that names renames are renamed, and the user's marks
// are removed. Nothing else of the body is read.
func Bind(body string, names map[string]string) string {
	fset := token.NewFileSet()
	src := "package p\nfunc _() {\n" + body + "\n}\n"
	f, err := parser.ParseFile(fset, "hook.go", src, parser.SkipObjectResolution)
	if err != nil {
		return Unmark(body) // the output's type check reports it
	}
	ed := &editor{src: []byte(src)}
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			ast.Inspect(n.X, visit)
			return false
		case *ast.KeyValueExpr:
			if _, ok := n.Key.(*ast.Ident); !ok {
				ast.Inspect(n.Key, visit)
			}
			ast.Inspect(n.Value, visit)
			return false
		case *ast.Ident:
			off := fset.Position(n.Pos()).Offset
			if name, ok := strings.CutPrefix(n.Name, userPrefix); ok {
				ed.replace(off, off+len(n.Name), name)
			} else if to, ok := names[n.Name]; ok && to != n.Name {
				ed.replace(off, off+len(n.Name), to)
			}
		}
		return true
	}
	fn := f.Decls[0].(*ast.FuncDecl)
	ast.Inspect(fn.Body, visit)
	return strings.TrimSpace(ed.render(fset.Position(fn.Body.Lbrace).Offset+1, fset.Position(fn.Body.Rbrace).Offset))
}

// isTypeParam reports whether obj is a type parameter.
func isTypeParam(obj types.Object) bool {
	tn, ok := obj.(*types.TypeName)
	if !ok {
		return false
	}
	_, ok = tn.Type().(*types.TypeParam)
	return ok
}

// planUnusedParams names _ the parameters of unexported functions and
// methods that nothing in the output refers to: those that only code folded
// away used (a breaker without onchange= has no use for the key its
// transitions pass along), and those of hooks whose replacement body does
// not name them (the shard of an integer key comes from the key, not from
// its hash). A hand-written function would not name what it ignores, and
// gopls reports such parameters. The signature stays, so callers do not
// change; a parameter that the function's doc comment names keeps its name,
// which the comment would otherwise speak of in vain.
func (s *state) planUnusedParams() {
	info := s.t.Info
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || s.dead[fd] || fd.Body == nil || ast.IsExported(fd.Name.Name) || fd.Type.Params == nil {
				continue
			}
			used := map[string]bool{}
			if body, ok := s.hook(fd); ok {
				for _, n := range refNames(body, true) {
					used[n] = true
				}
			} else {
				s.inspect(fd.Body, func(n ast.Node) bool {
					if n == nil || s.dead[n] {
						return false
					}
					if id, ok := n.(*ast.Ident); ok && info.Uses[id] != nil {
						used[info.Uses[id].Name()] = true
					}
					return true
				})
			}
			// The doc the output has (see editReplacedDocs).
			doc := ""
			if hd, ok := s.spec.HookDocs[hookKey(fd)]; ok {
				doc = hd
			} else if alt, ok := s.altDoc(fd.Doc); ok {
				doc = alt
			} else if fd.Doc != nil {
				doc = fd.Doc.Text()
			}
			for _, fld := range fd.Type.Params.List {
				for _, id := range fld.Names {
					obj := info.Defs[id]
					if obj == nil || id.Name == "_" || used[id.Name] || mentions(doc, id.Name) {
						continue
					}
					s.locals[obj] = "_"
				}
			}
		}
	}
}

// mentions reports whether text has name as a word of its own.
func mentions(text, name string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(name)
		if (j == 0 || !isIdentByte(text, j-1)) && !isIdentByte(text, end) {
			return true
		}
		i = j + 1
	}
}
