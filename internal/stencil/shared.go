package stencil

import (
	"go/ast"
	"go/token"
	"go/types"
)

// Shared code: a declaration of the template that does not depend on the
// directive is the same for every directive of its kind, so the generator
// emits it once per package and every directive uses it. Under a Spec whose
// Shared prefix is set, a live top-level declaration is shared when
//
//   - it declares no name of the directive's API (see api: the API of each
//     directive stays its own) and is no init function;
//   - it refers to no type parameter, no constant the spec sets, no config
//     field, and is neither a hook the spec replaces nor a declaration whose
//     doc the spec replaces, renames or keeps for emitted code;
//   - it is whole: no spec of a declaration group and no field of a struct
//     type is removed for this directive (another directive may keep them);
//   - everything it refers to is shared too, or is shared code of another
//     template stenciled for the directive (Spec.SharedRefs); and a type
//     is shared only with all of its methods the directive keeps, so that
//     no directive declares a method on a shared type.
//
// Its text is then that of the template with every name it uses renamed
// by the rule for shared names (SharedName), so two directives give the same
// text. Its comments name a declaration of the directive's own by the
// template's name (Pool.idle): a shared comment cannot name every
// directive's. The shared declarations of a directive are Output.Shared; a shared
// declaration's package qualifiers are allocated by Spec.SharedImports.

// SharedName returns the name of a shared template declaration: the kind's
// prefix and the template name (prefix pool: worker -> poolWorker).
func SharedName(prefix, name string) string { return prefix + upperFirst(name) }

// Shared is one declaration of the code shared by the directives of a kind
// in a package.
type Shared struct {
	// Key orders shared declarations as the template does and identifies
	// one across directives.
	Key  SharedKey
	Text string // the declaration, with its doc comment
	// Declared are the package-level names it declares.
	Declared []string
}

// SharedKey is the place of a shared declaration in its template: the
// template's directory, the file's index and the declaration's.
type SharedKey struct {
	Dir        string
	File, Decl int
}

// Less orders keys by template, file and declaration.
func (k SharedKey) Less(o SharedKey) bool {
	if k.Dir != o.Dir {
		return k.Dir < o.Dir
	}
	if k.File != o.File {
		return k.File < o.File
	}
	return k.Decl < o.Decl
}

// sharedDecl is what planShared learns of one live top-level declaration.
type sharedDecl struct {
	decl ast.Decl
	key  SharedKey
	objs []types.Object // the package-level names it declares
	recv types.Object   // the receiver's type, for a method
	deps []types.Object // the template objects it refers to
	ok   bool
}

// planShared decides which live declarations are shared (see above) and
// gives their objects the shared names.
func (s *state) planShared() {
	if s.spec.Shared == "" {
		return
	}
	info, scope := s.t.Info, s.t.Pkg.Scope()
	excluded := map[string]bool{}
	for k := range s.spec.Hooks {
		excluded[k] = true
	}
	for k := range s.spec.HookDocs {
		excluded[k] = true
	}
	for k := range s.spec.Rename {
		excluded[k] = true
	}
	for _, k := range s.spec.Keep {
		excluded[k] = true
	}
	var all []*sharedDecl
	declOf := map[types.Object]*sharedDecl{}
	methods := map[types.Object][]*sharedDecl{} // by receiver type
	for fi, f := range s.t.Files {
		for di, d := range f.Decls {
			if s.dead[d] {
				continue
			}
			sd := &sharedDecl{decl: d, key: SharedKey{s.t.Dir, fi, di}, ok: true}
			switch d := d.(type) {
			case *ast.FuncDecl:
				obj := info.Defs[d.Name]
				declOf[obj] = sd
				if d.Recv != nil {
					sd.recv = scope.Lookup(recvTypeName(d))
					methods[sd.recv] = append(methods[sd.recv], sd)
					if excluded[recvTypeName(d)+"."+d.Name.Name] {
						sd.ok = false
					}
				} else {
					sd.objs = append(sd.objs, obj)
					if d.Name.Name == "init" || excluded[d.Name.Name] {
						sd.ok = false
					}
				}
			case *ast.GenDecl:
				if d.Tok == token.IMPORT {
					continue
				}
				for _, sp := range d.Specs {
					if s.dead[sp] {
						sd.ok = false // not whole
						continue
					}
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						sd.objs = append(sd.objs, info.Defs[sp.Name])
						if st, ok := sp.Type.(*ast.StructType); ok {
							for _, fld := range st.Fields.List {
								if s.dead[fld] {
									sd.ok = false
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range sp.Names {
							if n.Name != "_" {
								sd.objs = append(sd.objs, info.Defs[n])
							}
						}
					}
				}
				if len(sd.objs) == 0 {
					continue
				}
			}
			for _, obj := range sd.objs {
				if obj == nil {
					sd.ok = false
					continue
				}
				declOf[obj] = sd
				if _, set := s.spec.Consts[obj.Name()]; set || s.api(obj) || excluded[obj.Name()] {
					sd.ok = false
				}
			}
			if sd.ok {
				s.sharedDeps(sd)
			}
			all = append(all, sd)
		}
	}
	// The exported API's text is the directive's own: what it names (an
	// unexported constant as an array length of an exported struct) is
	// not shared, so that go doc shows the directive's names for it.
	for obj := range s.exposed() {
		if sd := declOf[obj]; sd != nil {
			sd.ok = false
		}
	}
	// Methods belong with their type; a type goes with its methods.
	for _, sd := range all {
		if sd.recv != nil {
			sd.deps = append(sd.deps, sd.recv)
		}
		for _, obj := range sd.objs {
			for _, m := range methods[obj] {
				sd.deps = append(sd.deps, s.t.Info.Defs[m.decl.(*ast.FuncDecl).Name])
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, sd := range all {
			if !sd.ok {
				continue
			}
			for _, obj := range sd.deps {
				if d := declOf[obj]; d == nil || !d.ok {
					sd.ok = false
					changed = true
					break
				}
			}
		}
	}
	s.shared = map[ast.Decl]SharedKey{}
	s.sharedObjs = map[types.Object]bool{}
	for _, sd := range all {
		if !sd.ok {
			continue
		}
		s.shared[sd.decl] = sd.key
		for _, obj := range sd.objs {
			s.names[obj] = SharedName(s.spec.Shared, obj.Name())
			s.sharedObjs[obj] = true
		}
	}
}

// api reports whether obj, a package-level object of the template, is a
// name of the directive's API: exported in the template, unless the spec
// gives it an unexported name of its own (Spec.OwnNames), or exported in
// the output. The API of a directive whose name is unexported (a pool
// named workers) holds the same names as if it were exported: the
// package's code uses them.
func (s *state) api(obj types.Object) bool {
	if token.IsExported(s.names[obj]) {
		return true
	}
	return obj.Exported() && !s.private(obj)
}

// private reports whether the spec gives obj an unexported name of its own
// (Spec.OwnNames): exported in the template only for other templates to
// use, and no name of the directive's API.
func (s *state) private(obj types.Object) bool {
	own, ok := s.spec.OwnNames[obj.Name()]
	return ok && !token.IsExported(own)
}

// exposed returns the template's unexported package-level objects that the
// live exported declarations name where go doc shows them: in the type of
// an exported type, the signature of an exported function or method, the
// type and value of an exported constant or variable.
func (s *state) exposed() map[types.Object]bool {
	info, scope := s.t.Info, s.t.Pkg.Scope()
	out := map[types.Object]bool{}
	walk := func(n ast.Node) {
		if n == nil {
			return
		}
		ast.Inspect(n, func(n ast.Node) bool {
			if n == nil || s.dead[n] {
				return false
			}
			if id, ok := n.(*ast.Ident); ok {
				if obj := info.Uses[id]; obj != nil && obj.Parent() == scope && !s.api(obj) {
					out[obj] = true
				}
			}
			return true
		})
	}
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			if s.dead[d] {
				continue
			}
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil {
					// The methods of a private type are not shown.
					if recv := scope.Lookup(recvTypeName(d)); d.Name.IsExported() && (recv == nil || !s.private(recv)) {
						walk(d.Type)
					}
				} else if s.api(info.Defs[d.Name]) {
					walk(d.Type)
				}
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					if s.dead[sp] {
						continue
					}
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						if !s.api(info.Defs[sp.Name]) {
							continue
						}
						st, ok := sp.Type.(*ast.StructType)
						if !ok {
							walk(sp.Type)
							continue
						}
						// go doc shows only the exported fields.
						for _, fld := range st.Fields.List {
							if shown(fld) {
								walk(fld.Type)
							}
						}
					case *ast.ValueSpec:
						for i, n := range sp.Names {
							if n.Name != "_" && s.api(info.Defs[n]) {
								walk(sp.Type)
								if i < len(sp.Values) {
									walk(sp.Values[i])
								}
							}
						}
					}
				}
			}
		}
	}
	return out
}

// shown reports whether go doc shows a struct field: it has an exported
// name, or embeds an exported type.
func shown(fld *ast.Field) bool {
	for _, n := range fld.Names {
		if n.IsExported() {
			return true
		}
	}
	if len(fld.Names) > 0 {
		return false
	}
	t := fld.Type
	if st, ok := t.(*ast.StarExpr); ok {
		t = st.X
	}
	switch t := t.(type) {
	case *ast.Ident:
		return t.IsExported()
	case *ast.SelectorExpr:
		return t.Sel.IsExported()
	case *ast.IndexExpr:
		id, ok := t.X.(*ast.Ident)
		return ok && id.IsExported()
	case *ast.IndexListExpr:
		id, ok := t.X.(*ast.Ident)
		return ok && id.IsExported()
	}
	return false
}

// sharedDeps records the template objects sd refers to, in its code and
// its comments, or marks it unshared when it refers to something of the
// directive: a type parameter, a constant the spec sets, a config field.
func (s *state) sharedDeps(sd *sharedDecl) {
	info, scope := s.t.Info, s.t.Pkg.Scope()
	// cond is set while the condition of a folded if is walked: it is not
	// in the output, so what it names is no dependency, but a constant the
	// spec sets or a config field there decides what the output holds.
	cond := false
	var visit func(ast.Node) bool
	visit = func(n ast.Node) bool {
		if !sd.ok || n == nil || s.dead[n] {
			return false
		}
		switch n := n.(type) {
		case *ast.IfStmt:
			if !cond && s.foldIf(n) >= 0 {
				cond = true
				ast.Inspect(n.Cond, visit)
				cond = false
				ast.Inspect(n.Body, visit)
				if n.Else != nil {
					ast.Inspect(n.Else, visit)
				}
				return false
			}
		case *ast.SelectorExpr:
			sel, ok := info.Selections[n]
			if !ok {
				break
			}
			if sel.Kind() == types.FieldVal && s.isConfig(sel.Recv()) {
				sd.ok = false // a config field: the directive's value
				return false
			}
			if !cond && sel.Kind() != types.FieldVal && sel.Obj().Pkg() == s.t.Pkg {
				// A template method: its declaration must be shared too.
				sd.deps = append(sd.deps, origin(sel.Obj()))
			}
		case *ast.Ident:
			obj := info.Uses[n]
			if obj == nil {
				return true
			}
			if tn, ok := obj.(*types.TypeName); ok {
				if _, ok := tn.Type().(*types.TypeParam); ok {
					sd.ok = false
					return false
				}
			}
			if obj.Parent() == scope {
				if _, ok := s.spec.Consts[obj.Name()]; ok {
					sd.ok = false
					return false
				}
				if !cond && !s.spec.SharedRefs[obj.Name()] {
					sd.deps = append(sd.deps, obj)
				}
			}
		}
		return true
	}
	ast.Inspect(sd.decl, visit)
	if !sd.ok {
		return
	}
	// Comments name template declarations in prose. One that is exported
	// or generic is never shared and is named by its template name (see
	// proseName); any other must be shared, or the text would name one
	// directive's declaration.
	start, end := s.nodeRange(sd.decl)
	for _, p := range s.t.commentPlans()[sd.key.File] {
		if p.marker || p.start < start || p.end > end {
			continue
		}
		for _, pc := range p.pieces {
			if pc.kind != pieceName {
				continue
			}
			if obj := scope.Lookup(pc.text); obj != nil && !s.api(obj) && !isGeneric(obj) && !s.spec.SharedRefs[pc.text] {
				sd.deps = append(sd.deps, obj)
			}
		}
	}
}

// isConfig reports whether t is the config type or a pointer to it.
func (s *state) isConfig(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	return ok && s.config != nil && n.Obj() == s.config
}

// isGeneric reports whether obj is a generic type or function.
func isGeneric(obj types.Object) bool {
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

// sharedRanges returns, by template file, the byte ranges of the shared
// declarations, doc comments included.
func (s *state) sharedRanges() [][][2]int {
	out := make([][][2]int, len(s.t.Files))
	for d, k := range s.shared {
		start, end := s.nodeRange(d)
		out[k.File] = append(out[k.File], [2]int{start, end})
	}
	return out
}

// proseName returns how a comment of a shared declaration names the
// template declaration name: by its shared name, or, for an exported or
// generic one, which every directive has its own of, by its template name.
func (s *state) proseName(name string) string {
	if obj := s.t.Pkg.Scope().Lookup(name); s.sharedObjs[obj] || obj != nil && s.spec.SharedRefs[name] {
		return s.names[obj]
	}
	return name
}

// sharedImport allocates a package qualifier for a shared declaration.
func (s *state) sharedImport(path string) string {
	s.sharedImports[path] = true
	if s.spec.SharedImports == nil {
		return pathBase(path)
	}
	return s.spec.SharedImports(path)
}
