package generated_test

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

// TestLookupsHaveNoBoundsChecks compiles this package with the compiler's
// bounds-check report on and fails if it reports a check inside the Load
// of a map of directives.go or in the find of its table (the lookup of
// LoadOrStore and LoadOrCompute): both index the bucket array by the hash
// masked to its length and a bucket's slots by a SWAR match limited to them,
// always in range, and a check there costs every lookup a compare and a
// branch.
func TestLookupsHaveNoBoundsChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	const file = "directives_monogen.go"
	maps := []string{"IntMap", "StringMap", "StructMap", "PtrMap", "SizedMap"}
	lookups := lookupLines(t, file, maps)
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to compile with:", err)
	}
	out, err := exec.Command(goTool, "build", "-o", "/dev/null",
		"-gcflags=-d=ssa/check_bce/debug=1", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// ./directives_monogen.go:195:15: Found IsInBounds
	report := regexp.MustCompile(`(?m)^(\S+):(\d+):\d+: Found (Is\w+)`)
	checks := 0
	for _, m := range report.FindAllStringSubmatch(string(out), -1) {
		if filepath.Base(m[1]) != file {
			continue
		}
		checks++
		line, _ := strconv.Atoi(m[2])
		for name, r := range lookups {
			if line >= r[0] && line <= r[1] {
				t.Errorf("%s:%d: %s in %s", file, line, m[3], name)
			}
		}
	}
	if checks == 0 {
		// The writers keep checks of their own: none at all means that the
		// report was not produced, and the test would pass whatever Load
		// does.
		t.Fatalf("the compiler reported no bounds check in %s at all; report:\n%s", file, out)
	}
}

// lookupLines returns the first and last lines of Load of each map in file
// and of find of its table (IntMap's table is intMapTable), by name.
func lookupLines(t *testing.T, file string, maps []string) map[string][2]int {
	t.Helper()
	want := make(map[string]bool)
	for _, m := range maps {
		want[m+".Load"] = true
		want[strings.ToLower(m[:1])+m[1:]+"Table.find"] = true
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	lines := make(map[string][2]int)
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil {
			continue
		}
		star, ok := fd.Recv.List[0].Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		recv, ok := star.X.(*ast.Ident)
		if !ok {
			continue
		}
		if name := recv.Name + "." + fd.Name.Name; want[name] {
			lines[name] = [2]int{fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line}
		}
	}
	if len(lines) != len(want) {
		t.Fatalf("%s: found %d of the %d lookups %v", file, len(lines), len(want), want)
	}
	return lines
}
