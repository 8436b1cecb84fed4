package stencil

import (
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"
)

// off returns the offset of p in its file of the template. It takes no
// lock, as the FileSet's Position would: directives are stenciled in
// several goroutines at once.
func (s *state) off(p token.Pos) int {
	return int(p) - s.t.index().files[s.t.fileOf(p)].Base()
}

func (s *state) editor(n ast.Node) *editor {
	return s.eds[s.t.fileOf(n.Pos())]
}

// hookKey names a hook: "hashKey", or "Pool.call" for a method.
func hookKey(fd *ast.FuncDecl) string {
	if fd.Recv != nil {
		return recvTypeName(fd) + "." + fd.Name.Name
	}
	return fd.Name.Name
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

// editAll records the edits for every live declaration.
func (s *state) editAll() {
	// Before the comments' own edits, which a replaced doc overrides.
	s.editConfigDocs()
	s.editReplacedDocs()
	s.editComments()
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			if gd, ok := d.(*ast.GenDecl); (ok && gd.Tok == token.IMPORT) || s.dead[d] {
				continue
			}
			_, s.inShared = s.shared[d]
			s.editNode(d)
			s.inShared = false
		}
	}
}

// editConfigDocs replaces the docs of a config type kept for run-time
// values (Spec.Runtime), and of its fields, that HookDocs gives.
func (s *state) editConfigDocs() {
	if s.config == nil || len(s.spec.Runtime) == 0 {
		return
	}
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, sp := range gd.Specs {
				n := sp.(*ast.TypeSpec)
				st, ok := n.Type.(*ast.StructType)
				if !ok || s.t.Info.Defs[n.Name] != s.config {
					continue
				}
				ed := s.editor(n)
				if doc, ok := s.spec.HookDocs[n.Name.Name]; ok && gd.Doc != nil && len(gd.Specs) == 1 {
					ed.add(s.off(gd.Doc.Pos()), s.off(gd.Doc.End()), func() string { return s.docText(doc, n.Name.Name) })
				}
				for _, fld := range st.Fields.List {
					if len(fld.Names) == 0 || fld.Doc == nil || s.dead[fld] {
						continue
					}
					var names []string
					for _, id := range fld.Names {
						names = append(names, id.Name)
					}
					if doc, ok := s.spec.HookDocs[n.Name.Name+"."+strings.Join(names, ",")]; ok {
						ed.add(s.off(fld.Doc.Pos()), s.off(fld.Doc.End()), func() string { return s.docText(doc, "") })
					}
				}
			}
		}
	}
}

// editReplacedDocs replaces the docs of the live functions, methods and
// types declared alone that HookDocs gives, and every live doc that has a
// //monogen:doc variant whose condition holds (altDoc). It runs before
// editComments: renaming a doc's prose may refill its paragraph, an edit of
// the same range, and of two edits of one range the first recorded applies.
func (s *state) editReplacedDocs() {
	replace := func(root ast.Node, cg *ast.CommentGroup, doc, decl string) {
		s.editor(root).add(s.off(cg.Pos()), s.off(cg.End()), func() string { return s.docText(doc, decl) })
	}
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			if s.dead[d] {
				continue
			}
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Doc == nil {
					continue
				}
				decl := d.Name.Name
				if d.Recv != nil {
					decl = "." + decl // a method's name is not renamed
				}
				if doc, ok := s.spec.HookDocs[hookKey(d)]; ok {
					replace(d, d.Doc, doc, decl)
				} else if doc, ok := s.altDoc(d.Doc); ok {
					replace(d, d.Doc, doc, decl)
				}
			case *ast.GenDecl:
				if d.Tok == token.IMPORT {
					continue
				}
				if len(d.Specs) == 1 && d.Doc != nil {
					// A declaration alone: its doc is the GenDecl's.
					name := specName(d.Specs[0])
					if doc, ok := s.spec.HookDocs[name]; ok && d.Tok == token.TYPE {
						replace(d, d.Doc, doc, name)
					} else if doc, ok := s.altDoc(d.Doc); ok {
						replace(d, d.Doc, doc, name)
					}
				}
				for _, sp := range d.Specs {
					if s.dead[sp] {
						continue
					}
					switch sp := sp.(type) {
					case *ast.ValueSpec:
						if doc, ok := s.altDoc(sp.Doc); ok {
							replace(d, sp.Doc, doc, specName(sp))
						}
					case *ast.TypeSpec:
						st, ok := sp.Type.(*ast.StructType)
						if !ok || s.t.Info.Defs[sp.Name] == s.config {
							continue // the config type's docs are editConfigDocs'
						}
						for _, fld := range st.Fields.List {
							if s.dead[fld] {
								continue
							}
							if doc, ok := s.altDoc(fld.Doc); ok {
								replace(d, fld.Doc, doc, "") // a field's name is not renamed
							}
						}
					}
				}
			}
		}
	}
}

// specName is the first name a const, var or type spec declares.
func specName(sp ast.Spec) string {
	switch sp := sp.(type) {
	case *ast.TypeSpec:
		return sp.Name.Name
	case *ast.ValueSpec:
		return sp.Names[0].Name
	}
	return ""
}

// altDoc returns the doc that the //monogen:doc COND lines of cg give when
// COND holds: the text after COND, a line each, an empty text between two
// paragraphs. COND is a condition, several joined by commas (all must
// hold), or * (always: the text every variant shares); it gives no doc
// unless a line other than * holds. Several variants of one doc, each
// under its own condition, let a declaration that serves several
// directives (a limiter's token bucket and sliding window) speak in the
// output only of what that output is; the template's own doc, which go doc
// shows, stays the generic one.
func (s *state) altDoc(cg *ast.CommentGroup) (string, bool) {
	if cg == nil {
		return "", false
	}
	var lines []string
	variant := false
	for _, c := range cg.List {
		rest, ok := strings.CutPrefix(c.Text, docMarker)
		if !ok {
			continue
		}
		cond, text, _ := strings.Cut(strings.TrimSpace(rest), " ")
		holds := true
		if cond != "*" {
			for c := range strings.SplitSeq(cond, ",") {
				holds = holds && s.cond(c)
			}
		}
		if holds {
			lines = append(lines, strings.TrimSpace(text))
			variant = variant || cond != "*"
		}
	}
	if !variant {
		return "", false
	}
	return strings.Join(lines, "\n"), true
}

// editNode records edits inside a live node.
func (s *state) editNode(root ast.Node) {
	ed := s.editor(root)
	s.inspect(root, func(n ast.Node) bool { return s.walk(ed, n) })
	// Dead nodes are removed whole, together with their doc comments.
	s.inspect(root, func(n ast.Node) bool {
		if n == nil {
			return false
		}
		if s.dead[n] {
			switch n.(type) {
			case *ast.BlockStmt, ast.Stmt, ast.Expr:
				// Dead branches are handled by the if folding; a replaced
				// hook body by its replacement; expressions and statements
				// the cleanup rewrites by its edits.
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
	if s.cleanEdit(ed, n) {
		return false
	}
	if n == nil || s.dead[n] {
		return false
	}
	sub := func(m ast.Node) {
		if m != nil && !isNilNode(m) {
			s.inspect(m, func(x ast.Node) bool { return s.walk(ed, x) })
		}
	}
	switch n := n.(type) {
	case *ast.ForStmt:
		if s.clean.unloop[n] {
			// A loop that runs once: its body.
			ed.addLine(s.off(n.Pos()), s.off(n.End()), func() string { return s.inline(ed, n.Body, n) })
			sub(n.Body)
			return false
		}
		if s.clean.header[n] {
			// A loop whose init or post stored a local nothing reads.
			ed.add(s.off(n.Pos()), s.off(n.Body.Lbrace), func() string { return s.forHeader(ed, n) })
			for _, part := range []ast.Node{n.Init, n.Cond, n.Post, n.Body} {
				sub(part)
			}
			return false
		}
	case *ast.FuncDecl:
		if n.Type.TypeParams != nil {
			ed.replace(s.off(n.Type.TypeParams.Opening), s.off(n.Type.TypeParams.Closing)+1, "")
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
	case *ast.TypeSpec:
		if n.TypeParams != nil && n.Assign.IsValid() {
			// A generic alias stands for a struct type the template could not
			// name (see the templates package documentation): generated, it
			// is a named type, which every use spells by name.
			ed.replace(s.off(n.TypeParams.Opening), s.off(n.Assign)+1, "")
		} else if n.TypeParams != nil {
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
		if p, ok := s.t.index().parent[n].(*ast.IfStmt); ok && p.Else == n && s.foldIf(p) < 0 {
			// An else if that folds: the else keeps a block, or goes.
			switch s.foldIf(n) {
			case 1:
				ed.add(s.off(n.Pos()), s.off(n.End()), func() string { return ed.render(s.off(n.Body.Pos()), s.off(n.Body.End())) })
				sub(n.Body)
				return false
			case 0:
				if n.Else == nil {
					ed.replace(s.off(p.Body.End()), s.off(n.End()), "")
					return false
				}
				e := n.Else
				ed.add(s.off(n.Pos()), s.off(n.End()), func() string { return ed.render(s.off(e.Pos()), s.off(e.End())) })
				sub(e)
				return false
			}
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

// forHeader renders the header of a for loop, up to its body, without
// the init and post that the cleanup removed.
func (s *state) forHeader(ed *editor, n *ast.ForStmt) string {
	part := func(x ast.Node) string {
		if x == nil || isNilNode(x) || s.dead[x] {
			return ""
		}
		return ed.render(s.off(x.Pos()), s.off(x.End()))
	}
	init, cond, post := part(n.Init), part(n.Cond), part(n.Post)
	if init == "" && post == "" {
		if cond == "" {
			return "for "
		}
		return "for " + cond + " "
	}
	return "for " + init + "; " + cond + "; " + post + " "
}

// leadComments returns the comment lines right above st, each followed by
// a line break and the indentation of at, to write before at.
func (s *state) leadComments(st, at ast.Stmt) string {
	src := s.editor(st).src
	a := s.off(at.Pos())
	indent := a
	for indent > 0 && (src[indent-1] == ' ' || src[indent-1] == '\t') {
		indent--
	}
	var out []string
	for _, cg := range s.t.index().lead[st.Pos()] {
		for _, c := range cg.List {
			out = append(out, c.Text+"\n"+string(src[indent:a]))
		}
	}
	return strings.Join(out, "")
}

// cleanEdit records the edit of a cleanup rewrite planned for n (see
// cleanup.go), if any.
func (s *state) cleanEdit(ed *editor, n ast.Node) bool {
	switch n := n.(type) {
	case ast.Expr:
		if kv, ok := n.(*ast.KeyValueExpr); ok && s.clean.elems[kv] {
			// An element of a composite literal, with its separator.
			lit := s.clean.parent[kv].(*ast.CompositeLit)
			for i, el := range lit.Elts {
				switch {
				case el != ast.Expr(kv):
				case i+1 < len(lit.Elts):
					ed.replace(s.off(kv.Pos()), s.off(lit.Elts[i+1].Pos()), "")
				case i > 0:
					ed.replace(s.off(lit.Elts[i-1].End()), s.off(kv.End()), "")
				default:
					ed.replace(s.off(kv.Pos()), s.off(kv.End()), "")
				}
			}
			return true
		}
		if text, ok := s.clean.text[n]; ok {
			ed.add(s.off(n.Pos()), s.off(n.End()), func() string { return text(s) })
			return true
		}
		if k, ok := s.clean.keep[n]; ok {
			ed.add(s.off(n.Pos()), s.off(n.End()), func() string { return ed.render(s.off(k.Pos()), s.off(k.End())) })
			s.inspect(k, func(x ast.Node) bool { return s.walk(ed, x) })
			return true
		}
	case ast.Stmt:
		if d, ok := s.clean.define[n]; ok {
			name, v := d[0], d[1]
			lead := s.leadComments(d[2].(ast.Stmt), n)
			ed.add(s.off(n.Pos()), s.off(n.End()), func() string {
				return lead + ed.render(s.off(name.Pos()), s.off(name.End())) + " := " + ed.render(s.off(v.Pos()), s.off(v.End()))
			})
			s.walk(ed, name)
			s.inspect(v, func(x ast.Node) bool { return s.walk(ed, x) })
			return true
		}
		if s.clean.drop[n] {
			ed.addLine(s.off(n.Pos()), s.off(n.End()), func() string { return "" })
			return true
		}
	}
	return false
}

// inline renders a block's statements without its braces when that cannot
// change meaning, else the whole block. Names the block declares at its top
// level must not appear in any other statement of the enclosing list, nor be
// referred to by text inserted there (a type argument named like a local of
// the block): then moving them out can neither redeclare nor shadow anything.
func (s *state) inline(ed *editor, b *ast.BlockStmt, ifs ast.Stmt) string {
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
			if st == ifs {
				continue
			}
			s.inspect(st, func(n ast.Node) bool {
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
				var alias string
				if s.inShared {
					alias = s.sharedImport(pn.Imported().Path())
				} else {
					alias = s.importName(pn.Imported().Path())
				}
				if alias != id.Name {
					ed.replace(s.off(id.Pos()), s.off(id.End()), alias)
				}
				return false
			}
		}
		// Only X can name something to substitute; Sel is a field or method,
		// renamed only if it embeds a type of the template.
		s.inspect(n.X, func(m ast.Node) bool { return s.walk(ed, m) })
		s.renameEmbedded(ed, n.Sel)
		return false
	case *ast.KeyValueExpr:
		// A key in a struct literal names a field: leave it.
		if id, ok := n.Key.(*ast.Ident); ok {
			if v, ok := info.Uses[id].(*types.Var); ok && v.IsField() {
				s.renameEmbedded(ed, id)
				s.inspect(n.Value, func(m ast.Node) bool { return s.walk(ed, m) })
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
		if v, ok := s.configRead(n); ok {
			ed.replace(s.off(n.Pos()), s.off(n.End()), parenthesize(v))
			return false
		}
		// A conversion to a substituted type needs parentheses: (*T)(x).
		if id, ok := n.Fun.(*ast.Ident); ok && s.isTypeParam(id) {
			ed.replace(s.off(id.Pos()), s.off(id.End()), conversion(s.spec.Types[id.Name]))
			for _, a := range n.Args {
				s.inspect(a, func(m ast.Node) bool { return s.walk(ed, m) })
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

// renameEmbedded renames a use of a field that embeds a type of the
// template: the field is named after its type, which is renamed (p.q.ring
// is p.q.poolRing once ring is shared).
func (s *state) renameEmbedded(ed *editor, id *ast.Ident) {
	if name, ok := s.embeddedName(s.t.Info.Uses[id]); ok && name != id.Name {
		ed.replace(s.off(id.Pos()), s.off(id.End()), name)
	}
}

// embeddedName returns the generated name of obj if it is a field embedding
// a type of the template.
func (s *state) embeddedName(obj types.Object) (string, bool) {
	v, ok := obj.(*types.Var)
	if !ok || !v.IsField() || !v.Embedded() {
		return "", false
	}
	t := v.Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Parent() != s.t.Pkg.Scope() {
		return "", false
	}
	name, ok := s.names[n.Origin().Obj()]
	return name, ok
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
	resolve := func(id *ast.Ident, qualifier, fun bool) {
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
			s.inspect(n.X, visit)
			return false
		case *ast.KeyValueExpr:
			if _, ok := n.Key.(*ast.Ident); !ok {
				s.inspect(n.Key, visit)
			}
			s.inspect(n.Value, visit)
			return false
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok {
				resolve(id, false, true)
				for _, a := range n.Args {
					s.inspect(a, visit)
				}
				return false
			}
		case *ast.Ident:
			resolve(n, false, false)
		}
		return true
	}
	fn := h.file.Decls[0].(*ast.FuncDecl)
	s.inspect(fn.Body, visit)
	return ed.render(h.fset.Position(fn.Body.Lbrace).Offset, h.fset.Position(fn.Body.Rbrace).Offset+1)
}

// output renders the live declarations.
func (s *state) output() *Output {
	out := &Output{Names: map[string]string{}}
	var declared *[]string
	declare := func(id *ast.Ident) {
		if id.Name != "_" {
			name := s.names[s.t.Info.Defs[id]]
			*declared = append(*declared, name)
			out.Names[id.Name] = name
		}
	}
	for i, f := range s.t.Files {
		ed := s.eds[i]
		for _, d := range f.Decls {
			if s.dead[d] {
				continue
			}
			key, shared := s.shared[d]
			var sh Shared
			declared = &out.Declared
			if shared {
				declared = &sh.Declared
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
			switch {
			case text == "":
			case shared:
				sh.Key, sh.Text = key, text
				out.Shared = append(out.Shared, sh)
			default:
				out.Decls = append(out.Decls, text)
			}
		}
	}
	for p := range s.sharedImports {
		s.imports[p] = true
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
