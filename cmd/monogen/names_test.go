package main

import (
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/templates"
)

// A directive named like a predeclared identifier (string, nil, len, ...)
// would shadow it in the whole package, or not compile (init): each is
// refused at the name, and nothing is written.
func TestPredeclaredDirectiveNamesAreRefused(t *testing.T) {
	names := append(types.Universe.Names(), "init")
	var src strings.Builder
	src.WriteString("package x\n\n")
	for _, n := range names {
		src.WriteString("//monogen:map " + n + "[int, int]\n")
	}
	scratch(t, map[string]string{"x.go": src.String()})
	code, _, stderr := monogen("-e")
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitBadInput, stderr)
	}
	got := lines(stderr)
	if len(got) != len(names) {
		t.Errorf("%d lines for %d directives, want one each:\n%s", len(got), len(names), stderr)
	}
	for i, n := range names {
		want := "x.go:" + strconv.Itoa(3+i) + ":15: " + n + " is predeclared"
		if n == "init" {
			want = "x.go:" + strconv.Itoa(3+i) + ":15: init cannot name a type"
		}
		if !slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("no line starting %q", want)
		}
	}
	if _, err := os.Stat("x_monogen.go"); err == nil {
		t.Error("x_monogen.go was written")
	}
}

// templateImports returns the names and paths of the standard-library
// packages the templates import: the packages generated code may import.
func templateImports(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(templates.Sources(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		src, err := fs.ReadFile(templates.Sources(), p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(ip, "/"); strings.Contains(first, ".") {
				continue // the module's own packages
			}
			out[emit.PathBase(ip)] = ip
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 5 {
		t.Fatalf("found only %v", out)
	}
	return out
}

// A directive named like a package the output imports (sync, context,
// time, ...) builds: the output imports that package under another name.
// One package holds a directive named after every package the templates
// import, and directives of every kind with the options that need those
// packages; the test checks that the output does import each of them.
func TestDirectiveNamedLikeAnImportBuilds(t *testing.T) {
	imports := templateImports(t)
	var src strings.Builder
	// The functions import context under another name: a package that
	// declares context cannot import it as context.
	funcs := `package x

import stdctx "context"

type Row struct{ ID int }

type Conn struct{}

func work(_ stdctx.Context, n int) (int, error)              { return n, nil }
func fallback(_ stdctx.Context, n int, _ error) (int, error) { return n, nil }
func writeRows(_ stdctx.Context, rows []Row) error           { return nil }
func failedRows(rows []Row, err error)                       {}
func dial(_ stdctx.Context) (*Conn, error)                   { return &Conn{}, nil }
func closeConn(c *Conn) error                                { return nil }
func ping(c *Conn) error                                     { return nil }
func toInt64(_ stdctx.Context, n int) (int64, error)         { return int64(n), nil }
func toString(_ stdctx.Context, n int64) (string, error)     { return "", nil }
`
	src.WriteString(`package x

//monogen:map Hits[string, int64] shards=4
//monogen:map Counts[Row, int]
//monogen:pool Jobs[int, int] workers=2 queue=8 retries=2 backoff=1ms timeout=1s metrics=true rate=Quota breaker=Guard
//monogen:pool Plain[int, int] workers=2
//monogen:ratelimit Quota algo=token rate=100/s burst=3
//monogen:ratelimit Window algo=window limit=10 window=1m
//monogen:breaker Guard[int, int] fn=work failures=3 ratio=0.5 cooldown=1h halfopen=2 window=1m buckets=4 fallback=fallback
//monogen:limiter Limit[int, int] fn=work min=1 max=8
//monogen:queue Queue[int] size=8 policy=drop-oldest
//monogen:batcher Batches[Row] size=3 flush=50ms fn=writeRows onerror=failedRows workers=2 retries=2
//monogen:pipeline Pipe[int, int64, string] stages=toInt64,toString workers=1,2 ordered=true errors=collect retries=1 metrics=true rate=Quota
//monogen:respool Conns[*Conn] max=4 new=dial close=closeConn check=ping idle=1m
//monogen:semaphore Slots n=4
//monogen:semaphore Shared n=4 store=shared onfail=local replicas=2
//monogen:ratelimit SharedQuota algo=token rate=100/s burst=8 store=shared onfail=open
`)
	var names []string
	for n := range imports {
		names = append(names, n)
		src.WriteString("//monogen:map " + n + "[string, int]\n")
	}
	slices.Sort(names)
	scratch(t, map[string]string{"x.go": src.String(), "funcs.go": funcs})
	code, _, stderr := monogen()
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%.3000s", code, stderr)
	}
	out, err := os.ReadFile("x_monogen.go")
	if err != nil {
		t.Fatal(err)
	}
	// The code shared by the directives imports some packages in its own
	// file, under the same rule.
	imported := map[string]bool{}
	for _, name := range []string{"x_monogen.go", "monogen_shared.go"} {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			imported[ip] = true
			if imp.Name != nil && slices.Contains(names, imp.Name.Name) || imp.Name == nil && slices.Contains(names, path.Base(ip)) {
				t.Errorf("%s is imported in %s under a name a directive takes", ip, name)
			}
		}
	}
	for _, n := range names {
		if !imported[imports[n]] {
			t.Errorf("the output does not import %s: add a directive that uses it, or this test does not test %s", imports[n], n)
		}
		if !regexp.MustCompile(`(?m)^type ` + n + ` struct`).Match(out) {
			t.Errorf("no type %s in the output", n)
		}
	}
	goIn(t, ".", "vet", ".")
}
