package stencil

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
)

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
				return s.evalSpec(v)
			}
			if e := s.constExpr(c); e != nil && s.dependsOnSpec(e) {
				// shards = 1 << shardBits, with shardBits set by the spec.
				return s.constValue(e)
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
			return s.evalSpec(v)
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
			// y && false, y || true are constant when y has no effect.
			if y, ok := s.constValue(e.Y); ok && y.Kind() == constant.Bool && s.pure(e.X) &&
				(e.Op == token.LAND && !constant.BoolVal(y) || e.Op == token.LOR && constant.BoolVal(y)) {
				return y, true
			}
			return nil, false
		}
		// false && y, true || y are constant whatever y is.
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
		if v, ok := s.configRead(e); ok {
			return s.evalSpec(v)
		}
		// A conversion of a constant, such as int64(x.cfg.Interval).
		if tv, ok := s.t.Info.Types[e.Fun]; ok && tv.IsType() && len(e.Args) == 1 {
			return s.constValue(e.Args[0])
		}
		// min and max of constants.
		if id, ok := ast.Unparen(e.Fun).(*ast.Ident); ok && len(e.Args) > 0 {
			if b, ok := s.t.Info.Uses[id].(*types.Builtin); ok && (b.Name() == "min" || b.Name() == "max") {
				var m constant.Value
				for _, a := range e.Args {
					v, ok := s.constValue(a)
					if !ok || v.Kind() == constant.Bool || v.Kind() == constant.String {
						return nil, false
					}
					if m == nil || constant.Compare(v, map[bool]token.Token{true: token.LSS, false: token.GTR}[b.Name() == "min"], m) {
						m = v
					}
				}
				return m, true
			}
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
	if len(s.mirrors) > 0 || len(s.spec.Runtime) > 0 {
		// Which config reads fold depends on the spec: walk e.
		return s.dependsOnSpecWalk(e)
	}
	d := s.t.index().specDeps[e]
	if d == nil {
		return false
	}
	if d.config {
		return s.config != nil
	}
	for c := range d.consts {
		if _, ok := s.spec.Consts[c.Name()]; ok {
			return true
		}
	}
	return false
}

// dependsOnSpecWalk is dependsOnSpec for a spec whose config fields do not
// all fold (Spec.Runtime) or a template with //monogen:mirror fields, whose
// reads the template's index does not tell apart.
func (s *state) dependsOnSpecWalk(e ast.Expr) bool {
	dep := false
	s.inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			if c, ok := s.t.Info.Uses[n].(*types.Const); ok && c.Parent() == s.t.Pkg.Scope() {
				if _, ok := s.spec.Consts[c.Name()]; ok {
					dep = true
				} else if e := s.constExpr(c); e != nil && s.dependsOnSpecWalk(e) {
					dep = true
				}
			}
		case *ast.SelectorExpr, *ast.CallExpr:
			if _, ok := s.configRead(n.(ast.Expr)); ok {
				dep = true
			}
		}
		return !dep
	})
	return dep
}

// constExpr returns the expression a package-level constant of the template
// is declared with, or nil when it has none of its own (an implicit
// repetition in a const block) or uses iota, whose value depends on where it
// stands.
func (s *state) constExpr(c *types.Const) ast.Expr {
	return s.t.index().constExprs[c]
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

// evalSpec evaluates a value of the spec, such as "64", "true" or
// "10 * time.Millisecond", with go/types (see specValue).
func (s *state) evalSpec(src string) (constant.Value, bool) {
	tv, ok := s.specValue(src)
	return tv.Value, ok
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
	return s.configField(e.Sel.Name)
}

// configField returns the constant for a config field, unless its value
// comes at run time.
func (s *state) configField(name string) (string, bool) {
	if s.spec.Runtime[name] {
		return "", false
	}
	v, ok := s.spec.Config[name]
	if !ok {
		s.failf("no value for config field %s.%s", s.config.Name(), name)
		return "0", true
	}
	return v, true
}

// mirrorCall returns the config field a call x.mirror.Method() of a
// //monogen:mirror field reads or writes, "" when the mirror is kept (its
// fields come at run time), and the method's name.
func (s *state) mirrorCall(e ast.Expr) (string, string, bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(s.mirrors) == 0 {
		return "", "", false
	}
	fun, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", "", false
	}
	x, ok := fun.X.(*ast.SelectorExpr)
	if !ok {
		return "", "", false
	}
	sel, ok := s.t.Info.Selections[x]
	if !ok || sel.Kind() != types.FieldVal {
		return "", "", false
	}
	v, ok := sel.Obj().(*types.Var)
	if !ok {
		return "", "", false
	}
	fields, ok := s.mirrors[v.Origin()]
	if !ok {
		return "", "", false
	}
	if s.keptMirror(fields) {
		return "", fun.Sel.Name, true
	}
	return fields[0], fun.Sel.Name, true
}

// keptMirror reports whether a mirror of fields stays at run time.
func (s *state) keptMirror(fields []string) bool {
	for _, f := range fields {
		if s.spec.Runtime[f] {
			return true
		}
	}
	return false
}

// configRead returns the constant for a read of a config field, either
// x.cfg.Field or x.mirror.Load() of a //monogen:mirror field.
func (s *state) configRead(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		return s.configValue(e)
	case *ast.CallExpr:
		if field, method, ok := s.mirrorCall(e); ok && field != "" && method == "Load" && len(e.Args) == 0 {
			return s.configField(field)
		}
	}
	return "", false
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
	s.inspect(root, func(n ast.Node) bool {
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
