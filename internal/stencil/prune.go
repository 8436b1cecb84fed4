package stencil

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
)

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
						isConfig := s.config != nil && s.t.Info.Defs[sp.Name] == s.config
						if isConfig && len(s.spec.Runtime) == 0 {
							s.dead[sp] = true
						}
						if st, ok := sp.Type.(*ast.StructType); ok {
							for _, fld := range st.Fields.List {
								if !s.keep(fld.Doc) || !s.keep(fld.Comment) || s.isConfigType(fld.Type) && len(s.spec.Runtime) == 0 {
									s.dead[fld] = true
								}
								if isConfig && !s.runtimeField(fld) || s.foldedMirror(fld) {
									// A field whose value folds.
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

// runtimeField reports whether a field of the config type has its value at
// run time.
func (s *state) runtimeField(fld *ast.Field) bool {
	for _, n := range fld.Names {
		if s.spec.Runtime[n.Name] {
			return true
		}
	}
	return false
}

// foldedMirror reports whether fld is the //monogen:mirror of a config
// field that folds.
func (s *state) foldedMirror(fld *ast.Field) bool {
	if len(fld.Names) != 1 {
		return false
	}
	v, ok := s.t.Info.Defs[fld.Names[0]].(*types.Var)
	if !ok {
		return false
	}
	fields, ok := s.mirrors[v]
	return ok && !s.keptMirror(fields)
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

// removeUnused removes unexported declarations and struct fields that no kept
// code refers to, until nothing more can go. The live code is walked once:
// each reference is counted for the declaration or struct field it stands
// in, and removing one uncounts its references, which may free others.
//
// The dead branches are marked already (see planCleanup).
func (s *state) removeUnused() {
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
					s.inspect(n.Body, visit)
					if n.Else != nil {
						s.inspect(n.Else, visit)
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
			s.inspect(root, visit)
			return
		}
		// A field: its own node is live (the caller checked), walk inside.
		s.inspect(root, func(n ast.Node) bool {
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
	if objs, ok := s.hookObjs[body]; ok {
		return objs // removeUnused may run twice
	}
	objs := s.parseHookObjects(body)
	if s.hookObjs == nil {
		s.hookObjs = map[string][]types.Object{}
	}
	s.hookObjs[body] = objs
	return objs
}

func (s *state) parseHookObjects(body string) []types.Object {
	f, err := parseBody(body)
	if err != nil {
		s.failf("hook body does not parse: %v\n%s", err, body)
		return nil
	}
	return scopeObjects(s.t.Pkg.Scope(), f)
}

// scopeObjects returns the objects of scope that the identifiers of f name,
// but for the selected names of selectors (x.f).
func scopeObjects(scope *types.Scope, f *ast.File) []types.Object {
	var objs []types.Object
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			ast.Inspect(n.X, func(m ast.Node) bool {
				if id, ok := m.(*ast.Ident); ok {
					if obj := scope.Lookup(id.Name); obj != nil {
						objs = append(objs, obj)
					}
				}
				return true
			})
			return false
		case *ast.Ident:
			if obj := scope.Lookup(n.Name); obj != nil {
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
