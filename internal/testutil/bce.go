package testutil

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// FuncLines returns the first and last lines of the functions and methods
// of file with the given names: "Load" names every function or method Load,
// "intMapTable.find" only the method find of intMapTable (a generic
// receiver's type parameters left out). It fails t unless it finds each.
func FuncLines(t testing.TB, file string, names ...string) map[string][2]int {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	lines := make(map[string][2]int)
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		for _, n := range names {
			recv, name, ok := strings.Cut(n, ".")
			if !ok {
				recv, name = "", n
			}
			if fd.Name.Name == name && (recv == "" || fd.Recv != nil && recvName(fd.Recv.List[0].Type) == recv) {
				lines[n] = [2]int{fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line}
			}
		}
	}
	if len(lines) != len(names) {
		t.Fatalf("%s: found %v of the functions %v", file, lines, names)
	}
	return lines
}

// recvName is the name of a receiver's type: T of *T, T[K, V] and *T[K, V].
func recvName(x ast.Expr) string {
	for {
		switch e := x.(type) {
		case *ast.StarExpr:
			x = e.X
		case *ast.IndexExpr:
			x = e.X
		case *ast.IndexListExpr:
			x = e.X
		case *ast.Ident:
			return e.Name
		default:
			return ""
		}
	}
}

// NoBoundsChecks builds pkg (a package pattern, from the test's directory)
// with the compiler's report of the bounds checks it keeps, and fails t for
// each one in file within the lines of funcs (FuncLines). The report must
// name some check in file elsewhere: none at all means it was not produced,
// and the test would pass whatever funcs do.
func NoBoundsChecks(t *testing.T, pkg, file string, funcs map[string][2]int) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to compile with:", err)
	}
	out, err := exec.Command(goTool, "build", "-o", "/dev/null",
		"-gcflags=-d=ssa/check_bce/debug=1", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// ./map.go:312:15: Found IsInBounds
	report := regexp.MustCompile(`(?m)^(\S+):(\d+):\d+: Found (Is\w+)`)
	checks := 0
	for _, m := range report.FindAllStringSubmatch(string(out), -1) {
		if filepath.Base(m[1]) != file {
			continue
		}
		checks++
		line, _ := strconv.Atoi(m[2])
		for name, r := range funcs {
			if line >= r[0] && line <= r[1] {
				t.Errorf("%s:%d: %s in %s", file, line, m[3], name)
			}
		}
	}
	if checks == 0 {
		t.Fatalf("the compiler reported no bounds check in %s at all; report:\n%s", file, out)
	}
}
