package generated_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// residue returns what folding options into constants left in a file and a
// person would not have written, one finding per line ("file:line: what"):
// boolean identities (x || false, x && true, !false), products by 1 or 0,
// numbers left apart in one sum (x + 2 + y + 1),
// parentheses around a single operand or doubled, max and min of
// constants, and a variable assigned twice in a row with nothing reading
// the first value.
func residue(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s: %s", fset.Position(n.Pos()), fmt.Sprintf(format, args...)))
	}
	var isBoolLit func(e ast.Expr) bool
	isBoolLit = func(e ast.Expr) bool {
		switch e := ast.Unparen(e).(type) {
		case *ast.Ident:
			return e.Name == "true" || e.Name == "false"
		case *ast.UnaryExpr:
			return e.Op == token.NOT && isBoolLit(e.X)
		}
		return false
	}
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		var parent ast.Node
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		stack = append(stack, n)
		switch n := n.(type) {
		case *ast.BinaryExpr:
			switch n.Op {
			case token.LAND, token.LOR:
				if isBoolLit(n.X) || isBoolLit(n.Y) {
					report(n, "boolean identity %s", render(fset, n))
				}
			case token.ADD:
				// At the top of a chain of sums: two literal terms are one
				// number a person would have written once.
				if p, ok := parent.(*ast.BinaryExpr); ok && p.Op == token.ADD {
					break
				}
				lits := 0
				for e := ast.Expr(n); ; {
					b, ok := e.(*ast.BinaryExpr)
					if !ok || b.Op != token.ADD {
						if _, ok := literal(e); ok {
							lits++
						}
						break
					}
					if _, ok := literal(b.Y); ok {
						lits++
					}
					e = b.X
				}
				if lits > 1 {
					report(n, "numbers left apart in a sum %s", render(fset, n))
				}
			case token.MUL:
				for _, side := range []ast.Expr{n.X, n.Y} {
					if v, ok := literal(side); ok && (constant.Sign(v) == 0 || constant.Compare(v, token.EQL, constant.MakeInt64(1))) {
						report(n, "product by %s: %s", v, render(fset, n))
					}
				}
			}
		case *ast.UnaryExpr:
			if n.Op == token.NOT && isBoolLit(n.X) {
				report(n, "negated constant %s", render(fset, n))
			}
		case *ast.ParenExpr:
			switch x := n.X.(type) {
			case *ast.ParenExpr:
				report(n, "doubled parentheses %s", render(fset, n))
			case *ast.BasicLit, *ast.Ident:
				report(n, "parentheses around an operand %s", render(fset, n))
			case *ast.SelectorExpr:
				if _, ok := parent.(*ast.CallExpr); !ok {
					report(n, "parentheses around an operand %s", render(fset, x))
				}
			default:
				switch p := parent.(type) {
				case *ast.CallExpr:
					if p.Fun != n {
						report(n, "parentheses around an argument %s", render(fset, n))
					}
				case *ast.AssignStmt, *ast.ReturnStmt, *ast.ValueSpec, *ast.KeyValueExpr:
					report(n, "parentheses around a value %s", render(fset, n))
				}
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "max" || id.Name == "min") && len(n.Args) > 1 {
				all := true
				for _, a := range n.Args {
					if _, ok := literal(a); !ok {
						all = false
					}
				}
				if all {
					report(n, "%s of constants %s", id.Name, render(fset, n))
				}
			}
		case *ast.BlockStmt:
			deadStores(n.List, report)
		case *ast.CaseClause:
			deadStores(n.Body, report)
		case *ast.CommClause:
			deadStores(n.Body, report)
		}
		return true
	})
	return out
}

// literal returns the value of a number written with literals only
// (256/5, 1 * 60), not naming anything.
func literal(e ast.Expr) (constant.Value, bool) {
	switch e := ast.Unparen(e).(type) {
	case *ast.BasicLit:
		if e.Kind == token.INT || e.Kind == token.FLOAT {
			return constant.MakeFromLiteral(e.Value, e.Kind, 0), true
		}
	case *ast.BinaryExpr:
		x, ok1 := literal(e.X)
		y, ok2 := literal(e.Y)
		if ok1 && ok2 && e.Op != token.SHL && e.Op != token.SHR && !(e.Op == token.QUO && constant.Sign(y) == 0) {
			return constant.BinaryOp(x, e.Op, y), true
		}
	case *ast.UnaryExpr:
		if x, ok := literal(e.X); ok && (e.Op == token.SUB || e.Op == token.ADD) {
			return constant.UnaryOp(e.Op, x, 0), true
		}
	}
	return nil, false
}

// deadStores reports a variable stored twice in a row (x := a then x = b,
// x++ then x = b) where the second value does not read the first.
func deadStores(list []ast.Stmt, report func(ast.Node, string, ...any)) {
	stored := func(st ast.Stmt) string {
		switch st := st.(type) {
		case *ast.AssignStmt:
			if len(st.Lhs) == 1 && (st.Tok == token.ASSIGN || st.Tok == token.DEFINE) {
				if id, ok := st.Lhs[0].(*ast.Ident); ok && id.Name != "_" {
					return id.Name
				}
			}
		case *ast.IncDecStmt:
			if id, ok := st.X.(*ast.Ident); ok {
				return id.Name
			}
		case *ast.DeclStmt:
			if gd := st.Decl.(*ast.GenDecl); gd.Tok == token.VAR && len(gd.Specs) == 1 {
				if vs := gd.Specs[0].(*ast.ValueSpec); len(vs.Names) == 1 {
					return vs.Names[0].Name
				}
			}
		}
		return ""
	}
	for i := 1; i < len(list); i++ {
		as, ok := list[i].(*ast.AssignStmt)
		if !ok || as.Tok != token.ASSIGN || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
			continue
		}
		name := stored(list[i-1])
		if name == "" || stored(as) != name {
			continue
		}
		reads := false
		ast.Inspect(as.Rhs[0], func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Name == name {
				reads = true
			}
			return !reads
		})
		if !reads {
			report(as, "%s stored twice in a row", name)
		}
	}
}

func render(fset *token.FileSet, n ast.Node) string {
	p := fset.Position(n.Pos())
	src, err := os.ReadFile(p.Filename)
	if err != nil || p.Filename == "" {
		return ""
	}
	return string(src[p.Offset:fset.Position(n.End()).Offset])
}

// generatedFiles returns every committed generated file: generated/ and
// examples/.
func generatedFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*_monogen.go")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir("../examples", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, "_monogen.go") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found only %v", files)
	}
	return files
}

// TestGeneratedHasNoFoldingResidue: the committed output reads as written
// for its directives; folding the options left nothing behind.
func TestGeneratedHasNoFoldingResidue(t *testing.T) {
	fset := token.NewFileSet()
	for _, name := range generatedFiles(t) {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range residue(fset, f) {
			t.Error(r)
		}
	}
}

// TestResidueScannerFindsResidue: the scanner above finds each kind of
// residue that folding once left, and nothing in code a person writes.
func TestResidueScannerFindsResidue(t *testing.T) {
	const bad = `package p

func f(res []int, in []int, fail, succ int64) (next int) {
	if len(res) == 0 && !false {
		next++
		next = len(in)
	}
	if (1*time.Second) > 0 || false {
		return max(1, 256/5)
	}
	queue := defaultQueue
	queue = 1024
	var x = true && ok
	width := int64((1 * time.Minute))
	return float64(fail) >= 0*float64(succ+fail) && ((x))
	size := c + 2 + next + 1
}
`
	const good = `package p

func f(res []int, in []int, fail, succ int64) (next int) {
	if len(res) == 0 {
		next = len(in)
	}
	if time.Second > 0 {
		return max(1, n/5)
	}
	queue := 1024
	queue = queue * 2
	width := int64(time.Minute)
	p := (*T)(unsafe.Pointer(&x))
	return float64(fail) >= 0.5*float64(succ+fail) && (a || b) && !ok
	size := c + next + 3 + len("a"+name+"b")
}
`
	dir := t.TempDir()
	scan := func(src string) []string {
		name := filepath.Join(dir, "x.go")
		if err := os.WriteFile(name, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		return residue(fset, f)
	}
	got := strings.Join(scan(bad), "\n")
	for _, want := range []string{
		"x.go:4:5: boolean identity len(res) == 0 && !false",
		"x.go:4:22: negated constant !false",
		"x.go:6:3: next stored twice in a row",
		"x.go:8:5: boolean identity (1*time.Second) > 0 || false",
		"x.go:8:6: product by 1: 1*time.Second",
		"x.go:9:10: max of constants max(1, 256/5)",
		"x.go:12:2: queue stored twice in a row",
		"x.go:13:10: boolean identity true && ok",
		"x.go:14:17: parentheses around an argument (1 * time.Minute)",
		"x.go:14:18: product by 1: 1 * time.Minute",
		"x.go:15:26: product by 0: 0*float64(succ+fail)",
		"x.go:15:50: doubled parentheses ((x))",
		"x.go:15:51: parentheses around an operand (x)",
		"x.go:16:10: numbers left apart in a sum c + 2 + next + 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the scanner missed %q; it found:\n%s", want, got)
		}
	}
	if n := len(scan(bad)); n != 14 {
		t.Errorf("found %d residues in the bad sample, want 14:\n%s", n, got)
	}
	if r := scan(good); len(r) > 0 {
		t.Errorf("residue found in code without any:\n%s", strings.Join(r, "\n"))
	}
}

// blankBeforeBrace matches a blank line before a closing brace: what a
// struct field or statement removed by an option used to leave behind.
var blankBeforeBrace = regexp.MustCompile(`\n[ \t]*\n[ \t]*\}`)

// TestGeneratedHasNoBlankLineBeforeClosingBrace: no generated block or
// struct ends with an empty line.
func TestGeneratedHasNoBlankLineBeforeClosingBrace(t *testing.T) {
	for _, name := range generatedFiles(t) {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range blankBeforeBrace.FindAllIndex(src, -1) {
			t.Errorf("%s:%d: blank line before a closing brace", name, bytes.Count(src[:m[0]], []byte("\n"))+2)
		}
	}
}

// TestGeneratedParamsAreUsedOrBlank reads the unexported functions and
// methods of the committed output as gopls's unusedparams check does: a
// parameter the body never refers to is written _, so the check has nothing
// to report in the user's editor. The stencil keeps the name of one that the
// function's doc names; wanted names the few such parameters, those that only
// a hook reads (a queue's dropTaken reports the item it drops to ondrop=):
// the output without the hook must be the output with it less the hook code
// (TestHooksAbsentGenerateNoHookCode), so the doc and the name stay.
func TestGeneratedParamsAreUsedOrBlank(t *testing.T) {
	wanted := map[string]bool{"dropTaken.v": true, "waitEnded.err": true}
	fset := token.NewFileSet()
	checked := 0
	for _, path := range generatedFiles(t) {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil || ast.IsExported(fd.Name.Name) {
				continue
			}
			refs := map[string]bool{}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					refs[id.Name] = true
				}
				return true
			})
			for _, fld := range fd.Type.Params.List {
				for _, id := range fld.Names {
					checked++
					if id.Name != "_" && !refs[id.Name] && !wanted[fd.Name.Name+"."+id.Name] {
						t.Errorf("%s: %s: parameter %s is unused and not _", fset.Position(id.Pos()), fd.Name.Name, id.Name)
					}
				}
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("checked %d parameters: are the generated files gone?", checked)
	}
}
