package stencil

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"strconv"
	"strings"
)

// The cleanup phase plans, on the type-checked template, the rewrites that
// make folded code read as if written for the directive: what folding
// leaves behind once options are constants.
//
//   - A constant expression that reads a config field, or a boolean one that
//     reads an option, is written as its value the way a person would write
//     it: time.Minute for 1 * time.Minute, 51 for max(1, 256/5), false for
//     !true. Values are evaluated with go/types, from the template's types and
//     the spec's values type-checked against the imports the output uses.
//   - Boolean and arithmetic identities with an option: x && true, x || false
//     and 1*x become x; 0*x compared with something becomes 0.
//   - A store that a folded branch overwrites at once is merged with it:
//     workers := runtime.GOMAXPROCS(0) then workers = 4 becomes workers := 4;
//     next++ then next = len(in) becomes next = len(in).
//   - A for loop that folding leaves running at most once (its body always
//     returns, nothing continues or breaks it) becomes its body.
//
// What a rewrite removes is marked dead before unused declarations are
// found, so a constant only a removed store used goes too.
type cleanupPlan struct {
	// parent maps each node of the live code to its parent.
	parent map[ast.Node]ast.Node
	// text replaces an expression by text computed when rendering, by
	// the directive's state (a plan may serve several, see plan).
	text map[ast.Expr]func(*state) string
	// keep replaces an expression by one of its operands (x && true -> x),
	// or a stored value by the value a folded branch stores over it.
	keep map[ast.Expr]ast.Expr
	// define writes var x T followed by a folded x = v as x := v: the
	// name, the value and the assignment, whose comments come along.
	define map[ast.Stmt][3]ast.Node
	// drop removes statements (a store merged into the previous one).
	drop map[ast.Stmt]bool
	// unloop writes a loop that runs at most once as its body.
	unloop map[*ast.ForStmt]bool
	// elems removes elements of composite literals (a field nothing reads).
	elems map[*ast.KeyValueExpr]bool
	// header rewrites the header of a for loop whose init or post is gone.
	header map[*ast.ForStmt]bool
	// zeros are products with an option that is 0 (see planZeros).
	zeros []*ast.BinaryExpr
	// specVals caches the spec's values type-checked (see specValue).
	specVals map[string]types.TypeAndValue
}

// planCleanup plans the cleanup rewrites of the live code; the dead
// branches of folded ifs are marked first.
func (s *state) planCleanup() {
	c := &s.clean
	c.parent = s.t.index().parent // the template's: the same in live code
	c.text = map[ast.Expr]func(*state) string{}
	c.keep = map[ast.Expr]ast.Expr{}
	c.drop = map[ast.Stmt]bool{}
	c.define = map[ast.Stmt][3]ast.Node{}
	c.unloop = map[*ast.ForStmt]bool{}
	c.header = map[*ast.ForStmt]bool{}
	c.elems = map[*ast.KeyValueExpr]bool{}
	c.zeros = nil
	for _, f := range s.t.Files {
		s.markDeadBranches(f)
	}
	s.planMirrors()
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			if gd, ok := d.(*ast.GenDecl); s.dead[d] || ok && gd.Tok != token.VAR {
				// Constants keep their expressions (they are the named
				// options); types have nothing to fold.
				continue
			}
			s.inspect(d, s.planNode)
		}
	}
	s.planZeros()
	s.planWriteOnly()
	s.planDirectReturns()
}

// planWriteOnlyFields removes from composite literals the values of struct
// fields that the live code never reads (a map's maphash seed when a hook
// for the key type replaces the only reader): unused then, the field goes
// with the other unused declarations. It runs once unused declarations are
// known, and reports whether it removed anything (then they are looked for
// again).
func (s *state) planWriteOnlyFields() bool {
	reads := map[types.Object]bool{}
	writes := map[types.Object][]*ast.KeyValueExpr{}
	var visit func(ast.Node) bool
	visit = func(n ast.Node) bool {
		if n == nil || s.dead[n] {
			return false
		}
		switch n := n.(type) {
		case *ast.IfStmt:
			if s.foldIf(n) >= 0 {
				s.inspect(n.Body, visit)
				if n.Else != nil {
					s.inspect(n.Else, visit)
				}
				return false
			}
		case *ast.FuncDecl:
			if body, ok := s.hook(n); ok {
				// A replacement body may read a field: keep the fields
				// it names.
				for _, name := range fieldNames(body) {
					for obj := range s.fieldsNamed(name) {
						reads[obj] = true
					}
				}
			}
		case *ast.CompositeLit:
			for _, el := range n.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				id, ok := kv.Key.(*ast.Ident)
				if !ok {
					continue
				}
				if v, ok := s.t.Info.Uses[id].(*types.Var); ok && v.IsField() && s.pure(kv.Value) {
					writes[origin(v)] = append(writes[origin(v)], kv)
					s.inspect(kv.Value, visit)
					continue
				}
				s.inspect(el, visit)
			}
			if n.Type != nil {
				s.inspect(n.Type, visit)
			}
			return false
		case *ast.Ident:
			if v, ok := s.t.Info.Uses[n].(*types.Var); ok && v.IsField() {
				reads[origin(v)] = true
			}
		}
		return true
	}
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			s.inspect(d, visit)
			// The fields of an alias's struct (a pipeline's batch types)
			// are one struct type across several copies of the template:
			// one copy writes them, another reads them.
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				for _, spec := range g.Specs {
					if ts := spec.(*ast.TypeSpec); ts.Assign.IsValid() {
						s.inspect(ts.Type, func(n ast.Node) bool {
							if id, ok := n.(*ast.Ident); ok {
								if v, ok := s.t.Info.Defs[id].(*types.Var); ok && v.IsField() {
									reads[v] = true
								}
							}
							return true
						})
					}
				}
			}
		}
	}
	removed := false
	for v, kvs := range writes {
		if reads[v] || v.Exported() {
			// An exported field is read by the user's code.
			continue
		}
		for _, kv := range kvs {
			s.clean.elems[kv] = true
			s.dead[kv] = true
			removed = true
		}
	}
	return removed
}

// fieldsNamed returns the struct fields of the template's types with a
// name (the map is the template index's: it is read, never changed).
func (s *state) fieldsNamed(name string) map[types.Object]bool {
	return s.t.index().fields[name]
}

// fieldNames returns the names in a hook body that may name a struct
// field: the selected names (x.f) and the keys of composite literals
// (T{f: v}). Other identifiers cannot: a local of the hook named like a
// field keeps no field.
func fieldNames(body string) []string {
	f, err := parseBody(body)
	if err != nil {
		return nil
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			names = append(names, n.Sel.Name)
		case *ast.KeyValueExpr:
			if id, ok := n.Key.(*ast.Ident); ok {
				names = append(names, id.Name)
			}
		}
		return true
	})
	return names
}

// planWriteOnly removes the stores to locals that folding leaves never
// read (a spin counter whose only test was an option's branch): the
// declaration and every assignment, when all of them store values that
// cost nothing to drop. A for loop keeps its condition.
func (s *state) planWriteOnly() {
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || s.dead[fd] || fd.Body == nil || s.dead[fd.Body] {
				continue
			}
			reads := map[types.Object]int{}
			s.countUses(fd.Body, reads, nil)
			// Parameters and results stay: a named result is read by the
			// return.
			params := map[types.Object]bool{}
			s.paramsOf(fd, params)
			writes := map[types.Object][]ast.Stmt{}
			bad := map[types.Object]bool{}
			s.inspect(fd, func(n ast.Node) bool {
				if n == nil || s.dead[n] {
					return false
				}
				switch n := n.(type) {
				case *ast.IfStmt:
					if s.foldIf(n) >= 0 {
						// Only the branch kept is in the output.
						return true
					}
				case *ast.IncDecStmt:
					if v := s.localVar(n.X); v != nil {
						writes[v] = append(writes[v], n)
					}
				case *ast.AssignStmt:
					for _, l := range n.Lhs {
						v := s.localVar(l)
						if v == nil {
							continue
						}
						if len(n.Lhs) == 1 && len(n.Rhs) == 1 && s.pure(n.Rhs[0]) {
							writes[v] = append(writes[v], n)
						} else {
							bad[v] = true
						}
					}
				case *ast.ValueSpec:
					for _, nm := range n.Names {
						if v := s.localVar(nm); v != nil {
							bad[v] = true
						}
					}

				case *ast.RangeStmt, *ast.TypeSwitchStmt:
					// Their variables are declared by the statement.
					s.inspect(n, func(m ast.Node) bool {
						if id, ok := m.(*ast.Ident); ok {
							if v := s.localVar(id); v != nil {
								bad[v] = true
							}
						}
						return true
					})
				}
				return true
			})
			for v, ws := range writes {
				if reads[v] > 0 || bad[v] || params[v] {
					continue
				}
				for _, w := range ws {
					if f, ok := s.clean.parent[w].(*ast.ForStmt); ok && (f.Init == w || f.Post == w) {
						s.clean.header[f] = true
					} else {
						s.clean.drop[w] = true
					}
					s.dead[w] = true
				}
			}
		}
	}
}

// planDirectReturns writes ok := l.allow(now) followed by return ok as
// return l.allow(now) when folding removed what stood between them (a hook
// that an option turned off read ok): the local is read by the return only.
func (s *state) planDirectReturns() {
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || s.dead[fd] || fd.Body == nil || s.dead[fd.Body] {
				continue
			}
			reads := map[types.Object]int{}
			s.countUses(fd.Body, reads, nil)
			s.inspect(fd.Body, func(n ast.Node) bool {
				if n == nil || s.dead[n] {
					return false
				}
				if b, ok := n.(*ast.BlockStmt); ok {
					s.planDirectReturn(b.List, reads)
				}
				return true
			})
		}
	}
}

// planDirectReturn plans the rewrite of planDirectReturns in one list of
// statements.
func (s *state) planDirectReturn(list []ast.Stmt, reads map[types.Object]int) {
	for i, st := range list {
		as, ok := st.(*ast.AssignStmt)
		if !ok || as.Tok != token.DEFINE || len(as.Lhs) != 1 || len(as.Rhs) != 1 ||
			s.dead[as] || s.clean.drop[as] || s.clean.define[as] != [3]ast.Node{} {
			continue
		}
		obj := s.localVar(as.Lhs[0])
		if obj == nil || reads[obj] != 1 {
			continue
		}
		if _, moved := s.clean.keep[as.Rhs[0]]; moved {
			continue
		}
		ret := s.nextLive(list[i+1:])
		rs, ok := ret.(*ast.ReturnStmt)
		if !ok || len(rs.Results) != 1 || s.localVar(rs.Results[0]) != obj {
			continue
		}
		s.clean.keep[rs.Results[0]] = as.Rhs[0]
		s.clean.drop[as] = true
		s.dead[as.Lhs[0]] = true
	}
}

// nextLive returns the first statement of list that is in the output, if
// every statement before it is gone (dead, dropped, or an if folded to a
// branch with nothing in the output); nil otherwise.
func (s *state) nextLive(list []ast.Stmt) ast.Stmt {
	for _, st := range list {
		if s.dead[st] || s.clean.drop[st] {
			continue
		}
		if ifs, ok := st.(*ast.IfStmt); ok && ifs.Init == nil {
			var kept ast.Stmt
			switch s.foldIf(ifs) {
			case 1:
				kept = ifs.Body
			case 0:
				kept = ifs.Else
			default:
				return st
			}
			if kb, ok := kept.(*ast.BlockStmt); kept == nil || ok && s.liveLast(kb.List) == nil {
				continue
			}
			return nil
		}
		return st
	}
	return nil
}

// planZeros writes as 0 the products with an option that is 0, unless
// that leaves a local unused which cannot be blanked: a local declared
// with others by := (succ, fail := window()) becomes _ when nothing uses
// it any more.
func (s *state) planZeros() {
	if len(s.clean.zeros) == 0 {
		return
	}
	uses := map[types.Object]int{}
	defs := map[types.Object]*ast.AssignStmt{}
	params := map[types.Object]bool{}
	for _, f := range s.t.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && !s.dead[fd] && fd.Body != nil {
				s.countUses(fd.Body, uses, defs)
				s.paramsOf(fd, params)
			}
		}
	}
	for _, b := range s.clean.zeros {
		in := map[types.Object]int{}
		s.countUses(b, in, nil)
		ok := true
		for obj, n := range in {
			if params[obj] {
				continue // an unused parameter is no error
			}
			if uses[obj] == n && (defs[obj] == nil || !s.othersUsed(defs[obj], obj, uses, in)) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		s.clean.text[b] = func(*state) string { return "0" }
		s.dead[b] = true
		for obj, n := range in {
			uses[obj] -= n
		}
	}
	for obj, as := range defs {
		if uses[obj] > 0 {
			continue
		}
		for _, l := range as.Lhs {
			if id := l.(*ast.Ident); s.t.Info.Defs[id] == obj {
				s.clean.text[id] = func(*state) string { return "_" }
			}
		}
	}
}

// paramsOf adds to params the receiver, parameters and results of fd and
// of the function literals in it.
func (s *state) paramsOf(fd *ast.FuncDecl, params map[types.Object]bool) {
	add := func(fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, fld := range fl.List {
			for _, nm := range fld.Names {
				if obj := s.t.Info.Defs[nm]; obj != nil {
					params[obj] = true
				}
			}
		}
	}
	add(fd.Recv)
	s.inspect(fd, func(n ast.Node) bool {
		if ft, ok := n.(*ast.FuncType); ok {
			add(ft.Params)
			add(ft.Results)
		}
		return true
	})
}

// othersUsed reports whether a variable declared by as besides obj stays
// used, so that obj can be blanked.
func (s *state) othersUsed(as *ast.AssignStmt, obj types.Object, uses, in map[types.Object]int) bool {
	for _, l := range as.Lhs {
		o := s.t.Info.Defs[l.(*ast.Ident)]
		if o != nil && o != obj && uses[o]-in[o] > 0 {
			return true
		}
		if o == nil && l.(*ast.Ident).Name != "_" {
			return true // redeclared: assigned, := stays valid
		}
	}
	return false
}

// countUses counts the reads of locals in the live code of n, and records
// the := statements that declare several locals.
func (s *state) countUses(n ast.Node, uses map[types.Object]int, defs map[types.Object]*ast.AssignStmt) {
	var visit func(ast.Node) bool
	visit = func(m ast.Node) bool {
		if m == nil || s.dead[m] {
			return false
		}
		switch m := m.(type) {
		case *ast.IfStmt:
			if s.foldIf(m) >= 0 {
				s.inspect(m.Body, visit)
				if m.Else != nil {
					s.inspect(m.Else, visit)
				}
				return false
			}
		case *ast.AssignStmt:
			if m.Tok == token.DEFINE && len(m.Lhs) > 1 && defs != nil {
				for _, l := range m.Lhs {
					if obj := s.t.Info.Defs[l.(*ast.Ident)]; obj != nil {
						defs[obj] = m
					}
				}
			}
			for _, l := range m.Lhs {
				if _, ok := l.(*ast.Ident); !ok {
					s.inspect(l, visit)
				}
			}
			for _, r := range m.Rhs {
				s.inspect(r, visit)
			}
			return false
		case *ast.IncDecStmt:
			if _, ok := m.X.(*ast.Ident); ok {
				return false // a store, not a read
			}
		case *ast.Ident:
			if v := s.localVar(m); v != nil && s.t.Info.Uses[m] != nil {
				uses[v]++
			}
		}
		return true
	}
	s.inspect(n, visit)
}

func (s *state) planNode(n ast.Node) bool {
	if n == nil || s.dead[n] {
		return false
	}
	switch n := n.(type) {
	case *ast.IfStmt:
		if s.foldIf(n) >= 0 {
			// The condition is not in the output, only the branch kept.
			s.inspect(n.Body, s.planNode)
			if n.Else != nil {
				s.inspect(n.Else, s.planNode)
			}
			return false
		}
	case *ast.BlockStmt:
		s.planStores(n.List)
	case *ast.CaseClause:
		s.planStores(n.Body)
	case *ast.CommClause:
		s.planStores(n.Body)
	case *ast.ForStmt:
		s.planLoop(n)
	case *ast.FuncDecl:
		if _, ok := s.hook(n); ok {
			return false
		}
	case ast.Expr:
		return !s.planExpr(n)
	}
	return true
}

// planExpr plans the rewrite of an expression and reports whether it took
// the whole expression (its inside is then planned already, or gone).
func (s *state) planExpr(e ast.Expr) bool {
	if !s.dependsOnSpec(e) {
		return false
	}
	if v, ok := s.constValue(e); ok && s.foldable(e, v) {
		s.clean.text[e] = func(s *state) string { return s.constText(e, v) }
		s.dead[e] = true
		return true
	}
	b, ok := e.(*ast.BinaryExpr)
	if !ok {
		return false
	}
	// One operand is an option's constant value, the other is not, or
	// both are.
	x, xok := s.specConst(b.X)
	y, yok := s.specConst(b.Y)
	c, cv, other := b.X, x, b.Y
	switch {
	case xok && yok:
		// Both are options' values, and the product was not folded (it
		// reads better as written, int64(10*time.Millisecond)): a factor of
		// one written as the literal 1 still goes, unless the other is
		// written as a literal too, whose type would then be int, not the
		// product's.
		if b.Op != token.MUL {
			return false
		}
		switch {
		case isOne(y) && s.literal(b.Y) && !s.literal(b.X):
			c, cv, other = b.Y, y, b.X
		case !isOne(x) || !s.literal(b.X) || s.literal(b.Y):
			return false
		}
	case yok:
		c, cv, other = b.Y, y, b.X
	case !xok:
		return false
	}
	switch {
	case b.Op == token.LAND && cv.Kind() == constant.Bool && constant.BoolVal(cv),
		b.Op == token.LOR && cv.Kind() == constant.Bool && !constant.BoolVal(cv),
		b.Op == token.MUL && isOne(cv):
		// x && true, x || false, 1*x: x, whose precedence is at least b's.
		s.clean.keep[b] = other
		s.dead[c] = true
		s.inspect(other, s.planNode)
		return true
	case b.Op == token.MUL && isZero(cv) && s.finite(other) && s.pure(other):
		// 0*float64(n) compared with a typed operand: 0.
		if p, ok := s.clean.parent[b].(*ast.BinaryExpr); ok && isComparison(p.Op) {
			peer := p.X
			if peer == ast.Expr(b) {
				peer = p.Y
			}
			if t := s.t.Info.TypeOf(peer); t != nil && !isUntyped(t) {
				// Decided once every other rewrite is planned: the
				// locals of other must stay used (see planZeros).
				s.clean.zeros = append(s.clean.zeros, b)
				s.inspect(other, s.planNode)
				return true
			}
		}
	}
	return false
}

// specConst returns the value of an operand that is constant because of
// the spec (an option), not in the template.
func (s *state) specConst(e ast.Expr) (constant.Value, bool) {
	if !s.dependsOnSpec(e) {
		return nil, false
	}
	return s.constValue(e)
}

// foldable reports whether a constant expression reads better as its value:
// it reads a config field, or it is a boolean; a conversion keeps its type
// name (int64(time.Minute)); a typed value is written only where its
// literal has that type, so the expression's type does not change.
func (s *state) foldable(e ast.Expr, v constant.Value) bool {
	if s.isConversion(e) {
		return false
	}
	if _, ok := e.(*ast.Ident); ok {
		return false // a named option reads as its name
	}
	t := s.typeOf(e)
	if t == nil {
		return false
	}
	if isBool(t) {
		return v.Kind() == constant.Bool
	}
	if !s.readsConfig(e) || s.namesConst(e) {
		// A named constant (buffersPerWorker*2 + 1) keeps its name and
		// its doc: only the config fields beside it fold.
		return false
	}
	if _, ok := e.(*ast.SelectorExpr); ok || s.isMirrorRead(e) {
		_, isCfg := s.configRead(e)
		return isCfg
	}
	if s.isDuration(t) {
		_, exact := constant.Int64Val(constant.ToInt(v))
		return exact
	}
	if isUntyped(t) || s.isConversion(s.clean.parent[e]) {
		// An untyped value, or the operand of a conversion
		// (float64(1000 - 1)): a literal of any type will do.
		return v.Kind() == constant.Int || v.Kind() == constant.Float
	}
	b, ok := t.(*types.Basic)
	if !ok {
		return false
	}
	switch {
	case b.Kind() == types.Int:
		return v.Kind() == constant.Int
	case b.Kind() == types.Float64:
		return v.Kind() == constant.Float && strings.ContainsAny(floatText(v), ".e")
	}
	return false
}

// typeOf is the type of e, but for a Load of a //monogen:mirror field: the
// type of the config field it stands for, which is what folds there.
func (s *state) typeOf(e ast.Expr) types.Type {
	if field, method, ok := s.mirrorCall(e); ok && field != "" && method == "Load" && s.config != nil {
		if st, ok := s.config.Type().Underlying().(*types.Struct); ok {
			for i := range st.NumFields() {
				if st.Field(i).Name() == field {
					return st.Field(i).Type()
				}
			}
		}
	}
	return s.t.Info.TypeOf(e)
}

// constText writes the value of a folded expression.
func (s *state) constText(e ast.Expr, v constant.Value) string {
	t := s.typeOf(e)
	var text string
	switch {
	case v.Kind() == constant.Bool:
		text = strconv.FormatBool(constant.BoolVal(v))
	case s.isDuration(t):
		n, _ := constant.Int64Val(constant.ToInt(v))
		text = durationText(n, s.importName("time"))
		if _, ok := s.clean.parent[e].(*ast.BinaryExpr); n == 0 && !ok {
			text = s.importName("time") + ".Duration(0)" // wait := 0 would be an int
		}
	default:
		if spec, ok := s.configRead(e); ok {
			text = spec
			break
		}
		switch v.Kind() {
		case constant.Float:
			text = floatText(v)
		default:
			text = v.ExactString()
		}
	}
	if s.needsParens(e, text) {
		return "(" + text + ")"
	}
	return text
}

func floatText(v constant.Value) string {
	f, _ := constant.Float64Val(v)
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// durationText writes a duration the way a person would: time.Minute,
// 10 * time.Millisecond.
func durationText(ns int64, pkg string) string {
	if ns == 0 {
		return "0"
	}
	units := []struct {
		n    int64
		name string
	}{{3600e9, "Hour"}, {60e9, "Minute"}, {1e9, "Second"}, {1e6, "Millisecond"}, {1e3, "Microsecond"}, {1, "Nanosecond"}}
	for _, u := range units {
		if ns%u.n != 0 {
			continue
		}
		switch k := ns / u.n; k {
		case 1:
			return pkg + "." + u.name
		case -1:
			return "-" + pkg + "." + u.name
		default:
			return fmt.Sprintf("%d * %s.%s", k, pkg, u.name)
		}
	}
	panic("unreachable")
}

// needsParens reports whether text, put where e stands, needs parentheses.
func (s *state) needsParens(e ast.Expr, text string) bool {
	x, err := parser.ParseExpr(text)
	if err != nil {
		return true
	}
	prec := 0 // an operand
	switch x := x.(type) {
	case *ast.BinaryExpr:
		prec = x.Op.Precedence()
	case *ast.UnaryExpr:
		prec = token.UnaryPrec
	}
	if prec == 0 {
		return false
	}
	switch p := s.clean.parent[e].(type) {
	case *ast.BinaryExpr:
		if prec == token.UnaryPrec {
			return false
		}
		q := p.Op.Precedence()
		return prec < q || prec == q && p.Y == e
	case *ast.UnaryExpr, *ast.StarExpr, *ast.TypeAssertExpr:
		return true
	case *ast.SelectorExpr:
		return p.X == e
	case *ast.IndexExpr:
		return p.X == e
	case *ast.SliceExpr:
		return p.X == e
	case *ast.CallExpr:
		return p.Fun == e
	}
	return false
}

// planStores merges a store with the store a folded branch right after it
// makes over it: the first value is never read.
func (s *state) planStores(list []ast.Stmt) {
	for i := 1; i < len(list); i++ {
		st, prev := list[i], list[i-1]
		if s.dead[st] || s.dead[prev] || s.clean.drop[prev] {
			continue
		}
		ifs, ok := st.(*ast.IfStmt)
		if !ok || ifs.Init != nil {
			continue
		}
		var kept *ast.BlockStmt
		switch s.foldIf(ifs) {
		case 1:
			kept = ifs.Body
		case 0:
			kept, _ = ifs.Else.(*ast.BlockStmt)
		}
		if kept == nil {
			continue
		}
		var live []ast.Stmt
		for _, k := range kept.List {
			if !s.dead[k] {
				live = append(live, k)
			}
		}
		if len(live) != 1 {
			continue
		}
		as, ok := live[0].(*ast.AssignStmt)
		if !ok || as.Tok != token.ASSIGN || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
			continue
		}
		obj := s.localVar(as.Lhs[0])
		if obj == nil || s.mentions(as.Rhs[0], obj) {
			continue
		}
		switch p := prev.(type) {
		case *ast.DeclStmt:
			// var ne *entry then ne = &entry{...}: ne := &entry{...}.
			gd := p.Decl.(*ast.GenDecl)
			if gd.Tok != token.VAR || len(gd.Specs) != 1 {
				continue
			}
			vs := gd.Specs[0].(*ast.ValueSpec)
			if len(vs.Names) != 1 || len(vs.Values) != 0 || s.t.Info.Defs[vs.Names[0]] != obj ||
				!types.Identical(obj.Type(), s.renderedType(as.Rhs[0])) {
				continue
			}
			s.clean.define[p] = [3]ast.Node{vs.Names[0], as.Rhs[0], as}
			s.clean.drop[ifs] = true
		case *ast.IncDecStmt:
			// next++ then next = len(in).
			if s.localVar(p.X) == obj {
				s.clean.drop[p] = true
				s.dead[p] = true
			}
		case *ast.AssignStmt:
			if len(p.Lhs) != 1 || len(p.Rhs) != 1 || s.localVar(p.Lhs[0]) != obj || !s.pure(p.Rhs[0]) {
				continue
			}
			if p.Tok == token.DEFINE && !types.Identical(obj.Type(), s.renderedType(as.Rhs[0])) {
				continue // x := 1024 would not have x's type
			}
			if p.Tok != token.DEFINE && p.Tok != token.ASSIGN {
				continue
			}
			s.clean.keep[p.Rhs[0]] = as.Rhs[0]
			s.dead[p.Rhs[0]] = true
			s.clean.drop[ifs] = true
		}
	}
}

// renderedType is the type of e as written in the output: a folded
// constant is untyped there, so its default type.
func (s *state) renderedType(e ast.Expr) types.Type {
	t := s.t.Info.TypeOf(e)
	if !s.dependsOnSpec(e) {
		return types.Default(t)
	}
	v, ok := s.constValue(e)
	if !ok || s.isDuration(t) {
		return types.Default(t)
	}
	switch v.Kind() {
	case constant.Int:
		return types.Typ[types.Int]
	case constant.Float:
		return types.Typ[types.Float64]
	case constant.Bool:
		return types.Typ[types.Bool]
	case constant.String:
		return types.Typ[types.String]
	}
	return t
}

// planLoop writes as its body a for loop without condition that folding
// leaves running once: its body ends in a return and nothing continues or
// breaks it. Its init may only declare what the body does not use.
func (s *state) planLoop(f *ast.ForStmt) {
	if f.Cond != nil {
		return
	}
	if _, ok := s.clean.parent[f].(*ast.LabeledStmt); ok {
		return
	}
	last := s.liveLast(f.Body.List)
	if last == nil {
		return
	}
	if _, ok := last.(*ast.ReturnStmt); !ok && !isPanic(last) {
		return
	}
	if s.branchesTo(f.Body) {
		return
	}
	if f.Init != nil {
		as, ok := f.Init.(*ast.AssignStmt)
		if !ok || as.Tok != token.DEFINE || !s.pure(as) {
			return
		}
		for _, l := range as.Lhs {
			if obj := s.t.Info.Defs[l.(*ast.Ident)]; obj != nil && s.mentions(f.Body, obj) {
				return
			}
		}
		s.dead[f.Init] = true
	}
	if f.Post != nil {
		s.dead[f.Post] = true
	}
	s.clean.unloop[f] = true
}

// liveLast returns the last statement of a list that is in the output,
// looking into folded ifs.
func (s *state) liveLast(list []ast.Stmt) ast.Stmt {
	for i := len(list) - 1; i >= 0; i-- {
		st := list[i]
		if s.dead[st] || s.clean.drop[st] {
			continue
		}
		if ifs, ok := st.(*ast.IfStmt); ok && ifs.Init == nil {
			var kept []ast.Stmt
			switch s.foldIf(ifs) {
			case -1:
				return st
			case 1:
				kept = ifs.Body.List
			case 0:
				switch e := ifs.Else.(type) {
				case *ast.BlockStmt:
					kept = e.List
				case ast.Stmt:
					kept = []ast.Stmt{e}
				}
			}
			if k := s.liveLast(kept); k != nil {
				return k
			}
			continue
		}
		return st
	}
	return nil
}

// branchesTo reports whether the live code of a loop's body continues or
// breaks that loop (a labeled branch counts, to be safe).
func (s *state) branchesTo(body *ast.BlockStmt) bool {
	found := false
	var walk func(n ast.Node, inLoop, inBreakable bool)
	walk = func(root ast.Node, inLoop, inBreakable bool) {
		s.inspect(root, func(n ast.Node) bool {
			if n == nil || found || s.dead[n] {
				return false
			}
			switch n := n.(type) {
			case *ast.BranchStmt:
				switch {
				case n.Label != nil && n.Tok != token.GOTO:
					found = true
				case n.Tok == token.CONTINUE && !inLoop, n.Tok == token.BREAK && !inBreakable:
					found = true
				}
			case *ast.ForStmt, *ast.RangeStmt:
				if n != root {
					walk(n, true, true)
					return false
				}
			case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				if n != root {
					walk(n, inLoop, true)
					return false
				}
			case *ast.IfStmt:
				if s.foldIf(n) >= 0 {
					walk(n.Body, inLoop, inBreakable)
					if n.Else != nil {
						walk(n.Else, inLoop, inBreakable)
					}
					return false
				}
			case *ast.FuncLit:
				return false
			}
			return true
		})
	}
	walk(body, false, false)
	return found
}

// localVar returns the variable a local identifier names.
func (s *state) localVar(e ast.Expr) *types.Var {
	id, ok := e.(*ast.Ident)
	if !ok {
		return nil
	}
	obj := s.t.Info.Uses[id]
	if obj == nil {
		obj = s.t.Info.Defs[id]
	}
	v, ok := obj.(*types.Var)
	if !ok || v.IsField() || v.Parent() == s.t.Pkg.Scope() {
		return nil
	}
	return v
}

// mentions reports whether the live code of n refers to obj.
func (s *state) mentions(n ast.Node, obj types.Object) bool {
	found := false
	s.inspect(n, func(m ast.Node) bool {
		if m == nil || found || s.dead[m] {
			return false
		}
		if id, ok := m.(*ast.Ident); ok && s.t.Info.Uses[id] == obj {
			found = true
		}
		return !found
	})
	return found
}

// pureFuncs are the functions whose call has no effect worth keeping, by
// the full name go/types gives them.
var pureFuncs = map[string]bool{
	"runtime.GOMAXPROCS":    true, // with 0: reads the setting
	"runtime.NumCPU":        true,
	"hash/maphash.MakeSeed": true, // random, no other effect
}

// pure reports whether evaluating n has no effect: it calls only
// conversions, builtins that compute, and pureFuncs, and receives nothing.
func (s *state) pure(n ast.Node) bool {
	ok := true
	s.inspect(n, func(m ast.Node) bool {
		switch m := m.(type) {
		case *ast.CallExpr:
			if s.isConversion(m) {
				return true
			}
			var obj types.Object
			switch f := ast.Unparen(m.Fun).(type) {
			case *ast.Ident:
				obj = s.t.Info.Uses[f]
			case *ast.SelectorExpr:
				obj = s.t.Info.Uses[f.Sel]
			}
			switch o := obj.(type) {
			case *types.Builtin:
				switch o.Name() {
				case "len", "cap", "min", "max", "real", "imag", "complex", "new", "make":
					return true
				}
			case *types.Func:
				if pureFuncs[o.FullName()] {
					if o.FullName() == "runtime.GOMAXPROCS" {
						v, isConst := s.constValue(m.Args[0])
						ok = ok && isConst && isZero(v)
					}
					return true
				}
			}
			ok = false
		case *ast.UnaryExpr:
			if m.Op == token.ARROW {
				ok = false
			}
		}
		return ok
	})
	return ok
}

// finite reports whether e is an integer, or a float converted from one: 0*e
// is then 0.
func (s *state) finite(e ast.Expr) bool {
	e = ast.Unparen(e)
	if isInteger(s.t.Info.TypeOf(e)) {
		return true
	}
	if call, ok := e.(*ast.CallExpr); ok && s.isConversion(call) && len(call.Args) == 1 {
		return isInteger(s.t.Info.TypeOf(call.Args[0]))
	}
	return false
}

// namesConst reports whether e names a constant of the template.
func (s *state) namesConst(e ast.Expr) bool {
	found := false
	s.inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if c, ok := s.t.Info.Uses[id].(*types.Const); ok && c.Parent() == s.t.Pkg.Scope() {
				found = true
			}
		}
		return !found
	})
	return found
}

func (s *state) isConversion(e ast.Node) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	tv, ok := s.t.Info.Types[call.Fun]
	return ok && tv.IsType()
}

// readsConfig reports whether e reads a config field.
func (s *state) readsConfig(e ast.Expr) bool {
	found := false
	s.inspect(e, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok {
			if _, ok := s.configRead(e); ok {
				found = true
			}
		}
		return !found
	})
	return found
}

// isDuration reports whether t is time.Duration, as the template's imports
// declare it.
func (s *state) isDuration(t types.Type) bool {
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Duration"
}

func isBool(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsBoolean != 0
}

func isInteger(t types.Type) bool {
	if t == nil {
		return false
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsInteger != 0
}

func isUntyped(t types.Type) bool {
	b, ok := t.(*types.Basic)
	return ok && b.Info()&types.IsUntyped != 0
}

func isComparison(op token.Token) bool {
	switch op {
	case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
		return true
	}
	return false
}

func isOne(v constant.Value) bool {
	return (v.Kind() == constant.Int || v.Kind() == constant.Float) && constant.Compare(v, token.EQL, constant.MakeInt64(1))
}

func isZero(v constant.Value) bool {
	return (v.Kind() == constant.Int || v.Kind() == constant.Float) && constant.Sign(v) == 0
}

func isPanic(st ast.Stmt) bool {
	es, ok := st.(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	id, ok := call.Fun.(*ast.Ident)
	return ok && id.Name == "panic"
}

// specValue type-checks a value of the spec (Go source written with the
// output's import names, "10 * time2.Millisecond") and returns its type
// and constant value. A qualifier is resolved to the template import that
// declares the selected name and that the output imports under that name:
// a package is never recognized by its name.
func (s *state) specValue(src string) (types.TypeAndValue, bool) {
	if tv, ok := s.clean.specVals[src]; ok {
		return tv, tv.Value != nil
	}
	if s.clean.specVals == nil {
		s.clean.specVals = map[string]types.TypeAndValue{}
	}
	var tv types.TypeAndValue
	defer func() { s.clean.specVals[src] = tv }()
	e, err := parser.ParseExpr(src)
	if err != nil {
		return tv, false
	}
	pkg := types.NewPackage("monogen/spec", "spec")
	s.inspect(e, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok || pkg.Scope().Lookup(x.Name) != nil {
			return true
		}
		for _, imp := range s.t.Pkg.Imports() {
			if imp.Scope().Lookup(sel.Sel.Name) != nil && s.outputImportName(imp.Path()) == x.Name {
				pkg.Scope().Insert(types.NewPkgName(token.NoPos, pkg, x.Name, imp))
				break
			}
		}
		return true
	})
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	if err := types.CheckExpr(token.NewFileSet(), pkg, token.NoPos, e, info); err != nil {
		return tv, false
	}
	tv = info.Types[e]
	return tv, tv.Value != nil
}

// outputImportName is the name the output gives an import path, without
// recording the import as used.
func (s *state) outputImportName(path string) string {
	if s.spec.Imports == nil {
		return pathBase(path)
	}
	name := s.spec.Imports(path)
	s.asked = append(s.asked, [2]string{path, name})
	return name
}

// isMirrorRead reports whether e is a Load of a //monogen:mirror field.
func (s *state) isMirrorRead(e ast.Expr) bool {
	field, method, ok := s.mirrorCall(e)
	return ok && field != "" && method == "Load"
}

// planMirrors removes the statements that store a //monogen:mirror field
// whose config field folds: the mirror goes, and its reads are the value.
func (s *state) planMirrors() {
	if len(s.mirrors) == 0 {
		return
	}
	for _, f := range s.t.Files {
		s.inspect(f, func(n ast.Node) bool {
			if n == nil || s.dead[n] {
				return false
			}
			switch n := n.(type) {
			case *ast.ExprStmt:
				if field, method, ok := s.mirrorCall(n.X); ok && method == "Store" && field != "" {
					s.clean.drop[n] = true
					s.dead[n] = true
					return false
				}
			case *ast.CallExpr:
				if field, method, ok := s.mirrorCall(n); ok && method != "Load" && field != "" {
					s.failf("%s of the mirror of config field %s, which folds: only Load and Store statements may use it", method, field)
				}
			}
			return true
		})
	}
}

// literal reports whether e, a constant, is written as a literal.
func (s *state) literal(e ast.Expr) bool {
	v, ok := s.constValue(e)
	return ok && s.foldable(e, v)
}
