package load

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// A package seen only through another's export data (time, through context)
// is read into the same types.Package: a template importing both context and
// time must see one time.Time.
func TestImporterCompletesIndirectPackages(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"go.mod": "module example.com/p\n\ngo 1.25\n",
		"p.go":   "package p\n\nimport \"context\"\n\nvar Ctx = context.Background()\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prog, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	imp := prog.Importer(nil)
	ctx, err := imp.Import("context")
	if err != nil {
		t.Fatal(err)
	}
	tm, err := imp.Import("time")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ctx.Imports() {
		if p.Path() == "time" && p != tm {
			t.Fatal("context's time and the imported time are different packages")
		}
	}
	if !tm.Complete() || tm.Scope().Lookup("NewTimer") == nil {
		t.Fatal("time is incomplete")
	}
}

// Earlier output is not compiled while loading: go list -export, which
// go/packages runs, would compile it (twice, with the package's tests) only
// for Load to read it as empty, and a stale file that imports a package
// gone since (the package of a type argument, deleted) failed the load.
func TestLoadIgnoresEarlierOutputThatImportsAMissingPackage(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"go.mod":       "module example.com/p\n\ngo 1.25\n",
		"p.go":         "package p\n\n//monogen:map M[int, int]\nvar X = 1\n",
		"p_test.go":    "package p\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) { _ = X }\n",
		"p_monogen.go": Header + "\n\npackage p\n\nimport \"example.com/p/gone\"\n\nvar _ = gone.Y\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prog, err := Load(dir, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var found []*Found
	for _, p := range prog.Packages {
		found = append(found, p.Directives...)
		if len(p.Generated) != 1 || filepath.Base(p.Generated[0]) != "p_monogen.go" {
			t.Errorf("package %s: earlier output %v; want p_monogen.go", p.Path, p.Generated)
		}
	}
	if len(found) != 1 {
		t.Errorf("found %d directives; want 1", len(found))
	}
}

// The standard-library packages that earlier output imports come with the
// load: go list computes their export data in the call that loads the
// package, so that the output generated again needs no go list of its own
// for them. A stale import of another package is still left out, and output
// of another build configuration is still not this run's.
func TestLoadReadsTheStandardLibraryImportsOfEarlierOutput(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"go.mod":             "module example.com/p\n\ngo 1.25\n",
		"p.go":               "package p\n\n//monogen:map M[int, int]\nvar X = 1\n",
		"p_monogen.go":       Header + "\n\npackage p\n\nimport (\n\t\"example.com/p/gone\"\n\t\"hash/maphash\"\n\trand \"math/rand/v2\"\n)\n\nvar _ = gone.Y\nvar _ maphash.Seed\nvar _ = rand.N\n",
		"q_never_monogen.go": Header + "\n\n//go:build never\n\npackage p\n\nimport \"example.com/p/gone\"\n\nvar _ = gone.Y\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, patterns := range [][]string{nil, {"./..."}} {
		prog, err := Load(dir, patterns)
		if err != nil {
			t.Fatalf("Load %v: %v", patterns, err)
		}
		for _, path := range []string{"hash/maphash", "math/rand/v2"} {
			if p := prog.universe[path]; p == nil || !p.Complete() {
				t.Errorf("Load %v: %s is not loaded", patterns, path)
			}
		}
		if len(prog.Packages) != 1 || len(prog.Packages[0].Generated) != 1 || filepath.Base(prog.Packages[0].Generated[0]) != "p_monogen.go" {
			t.Errorf("Load %v: packages %v; want p with its earlier output p_monogen.go alone", patterns, prog.Packages)
		}
	}
}

// The packages that the loaded ones import are read from export data, not
// type-checked from source, also when earlier output is present: given as
// packages.Config.Overlay, the stubs of earlier output made go/packages take
// every export data as invalid and parse and type-check the standard
// library that the package imports (context, time, and what they import),
// which cost more than the rest of a run of a package of 50 maps.
func TestLoadReadsImportsFromExportDataWhenEarlierOutputIsPresent(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"go.mod":       "module example.com/p\n\ngo 1.25\n",
		"p.go":         "package p\n\nimport (\n\t\"context\"\n\t\"time\"\n)\n\n//monogen:map M[int, int]\nvar X = 1\n\nfunc F(ctx context.Context) time.Duration { return 0 }\n",
		"p_monogen.go": Header + "\n\npackage p\n\nimport \"sync\"\n\nvar _ sync.Mutex\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var parsed []string
	var mu sync.Mutex
	defer func(f func(*token.FileSet, string, any, parser.Mode) (*ast.File, error)) { parseFile = f }(parseFile)
	parseFile = func(fset *token.FileSet, name string, src any, mode parser.Mode) (*ast.File, error) {
		mu.Lock()
		parsed = append(parsed, name)
		mu.Unlock()
		return parser.ParseFile(fset, name, src, mode)
	}
	prog, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range parsed {
		if filepath.Dir(name) != dir {
			t.Fatalf("Load parsed %s (and %d files in all): the imports were type-checked from source", name, len(parsed))
		}
	}
	if p := prog.universe["time"]; p == nil || !p.Complete() {
		t.Error("time is not loaded")
	}
}

// The overlay of earlier output goes to go list through GOFLAGS, which
// replaces the GOFLAGS of the go env file (go env -w): the file's flags
// must come along, or a build tag set there is lost and the files it
// selects with it.
func TestLoadKeepsTheGOFLAGSOfTheGoEnvFile(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"go.mod":       "module example.com/p\n\ngo 1.25\n",
		"p.go":         "//go:build integration\n\npackage p\n\n//monogen:map M[int, int]\nvar X = 1\n",
		"q.go":         "package p\n",
		"p_monogen.go": Header + "\n\n//go:build integration\n\npackage p\n",
		"goenv":        "GOFLAGS=-tags=integration\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GOFLAGS", "")
	t.Setenv("GOENV", filepath.Join(dir, "goenv"))
	prog, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range prog.Packages {
		n += len(p.Directives)
	}
	if n != 1 {
		t.Errorf("found %d directives; want the one of p.go, built with -tags=integration", n)
	}
}
