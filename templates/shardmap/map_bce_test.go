package shardmap_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// TestLookupsHaveNoBoundsChecks compiles Load and find (the lookup of
// LoadOrStore and LoadOrCompute) for int, string and struct keys with the
// compiler's bounds-check report on, and fails if it reports a check inside
// either: a lookup indexes the bucket array by the hash masked to its length
// and a bucket's slots by a SWAR match limited to them, both always in range,
// and a check there costs every lookup a compare and a branch, and keeps Load
// from being a leaf function without a frame.
func TestLookupsHaveNoBoundsChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	lookups := funcLines(t, "map.go", "Load", "find")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to compile with:", err)
	}
	out, err := exec.Command(goTool, "build", "-o", "/dev/null",
		"-gcflags=-d=ssa/check_bce/debug=1", "./testdata/bce").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// ./map.go:312:15: Found IsInBounds
	report := regexp.MustCompile(`(?m)^(\S+):(\d+):\d+: Found (Is\w+)`)
	checks := 0
	for _, m := range report.FindAllStringSubmatch(string(out), -1) {
		if filepath.Base(m[1]) != "map.go" {
			continue
		}
		checks++
		line, _ := strconv.Atoi(m[2])
		for name, r := range lookups {
			if line >= r[0] && line <= r[1] {
				t.Errorf("map.go:%d: %s in %s", line, m[3], name)
			}
		}
	}
	if checks == 0 {
		// The report names the checks it keeps elsewhere in map.go (the
		// locked writers index slots by a plain int): none at all means it
		// was not produced, and the test would pass whatever Load does.
		t.Fatalf("the compiler reported no bounds check in map.go at all; report:\n%s", out)
	}
}

// funcLines returns the first and last lines of the functions and methods
// of file with the given names.
func funcLines(t *testing.T, file string, names ...string) map[string][2]int {
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
			if fd.Name.Name == n {
				lines[n] = [2]int{fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line}
			}
		}
	}
	if len(lines) != len(names) {
		t.Fatalf("%s: found %v of the functions %v", file, lines, names)
	}
	return lines
}
