package emit_test

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/emit"
)

// names is a set of names, written as a space-separated list.
func names(list string) map[string]bool {
	out := map[string]bool{}
	for _, n := range strings.Fields(list) {
		out[n] = true
	}
	return out
}

func TestImportNames(t *testing.T) {
	tests := []struct {
		name               string
		declared, reserved string
		known              map[string]string // path -> real package name
		locals             string            // locals named before the imports
		paths              []string
		want               []string
	}{
		{name: "free", paths: []string{"time", "sync/atomic"}, want: []string{"time", "atomic"}},
		{name: "same path twice", paths: []string{"time", "time"}, want: []string{"time", "time"}},
		{name: "declared", declared: "time", paths: []string{"time"}, want: []string{"time2"}},
		{name: "declared twice over", declared: "time time2", paths: []string{"time"}, want: []string{"time3"}},
		{name: "reserved", reserved: "rand", paths: []string{"math/rand/v2"}, want: []string{"rand2"}},
		{name: "two paths, one base", paths: []string{"crypto/rand", "math/rand", "math/rand/v2"}, want: []string{"rand", "rand2", "rand3"}},
		{name: "a local's name", locals: "sync", paths: []string{"sync"}, want: []string{"sync2"}},
		{name: "known name", known: map[string]string{"example.com/go-yaml/v3": "yaml"}, paths: []string{"example.com/go-yaml/v3"}, want: []string{"yaml"}},
		{name: "known name differs from the path", known: map[string]string{"example.com/model.v2": "mdl"}, paths: []string{"example.com/model.v2"}, want: []string{"mdl"}},
		{name: "guessed name", paths: []string{"example.com/go-kit/log", "gopkg.in/yaml.v3", "github.com/go-redis/redis/v9"}, want: []string{"log", "yaml", "redis"}},
		{name: "a clash after a suffix", declared: "rand2", paths: []string{"crypto/rand", "math/rand"}, want: []string{"rand", "rand3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := emit.NewScope("example.com/p", names(tt.declared), names(tt.reserved))
			for p, n := range tt.known {
				sc.Known(types.NewPackage(p, n))
			}
			sc.Func().Names(strings.Fields(tt.locals)...)
			var got []string
			for _, p := range tt.paths {
				got = append(got, sc.Import(p))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("Import(%q) = %q; want %q", tt.paths, got, tt.want)
			}
		})
	}
}

func TestPathBase(t *testing.T) {
	for p, want := range map[string]string{
		"time":                         "time",
		"math/rand/v2":                 "rand",
		"github.com/go-redis/redis/v9": "redis",
		"gopkg.in/yaml.v3":             "yaml",
		"example.com/go-kit":           "kit",
		"example.com/foo-bar":          "foo",
		"example.com/v2x":              "v2x",
	} {
		if got := emit.PathBase(p); got != want {
			t.Errorf("PathBase(%q) = %q; want %q", p, got, want)
		}
	}
}

func TestLocals(t *testing.T) {
	sc := emit.NewScope("example.com/p", names("Store m"), names("b"))
	time := sc.Import("time")
	f := sc.Func()
	if got := f.Name("m"); got != "m_" {
		t.Errorf("a local named like a declared name: got %q, want m_", got)
	}
	if got := f.Name(time); got != "time_" {
		t.Errorf("a local named like an import: got %q, want time_", got)
	}
	if got, again := f.Name("i"), f.Name("i"); got != "i" || again != "i" {
		t.Errorf("Name(i) twice = %q, %q; want i both times", got, again)
	}
	if got := f.Name("b"); got != "b" {
		t.Errorf("a template identifier is free for a local: got %q, want b", got)
	}
	f.Reserve("in")
	if got := f.Name("in"); got != "in_" {
		t.Errorf("Name after Reserve(in) = %q; want in_", got)
	}
	// Another function's locals are its own.
	if got := sc.Func().Name("i"); got != "i" {
		t.Errorf("another function's local i = %q; want i", got)
	}
	// An import named after the locals avoids them.
	f.Name("sync")
	if got := sc.Import("sync"); got != "sync2" {
		t.Errorf("Import(sync) after a local sync = %q; want sync2", got)
	}
	// And a local named after it avoids the import.
	if got := sc.Func().Name("sync2"); got != "sync2_" {
		t.Errorf("a local named like the import sync2 = %q; want sync2_", got)
	}
}

func TestDeclOf(t *testing.T) {
	sc := emit.NewScope("example.com/p", names("time"), nil)
	sc.Known(types.NewPackage("gopkg.in/yaml.v3", "yaml"))
	for _, p := range []string{"time", "sync", "math/rand/v2", "gopkg.in/yaml.v3", "example.com/model", "unsafe"} {
		sc.Import(p)
	}
	tests := []struct {
		used string
		want string
	}{
		{"", ""},
		{"nothing", ""},
		{"sync", "import (\n\t\"sync\"\n)\n"},
		{"time2 sync rand", "import (\n\trand \"math/rand/v2\"\n\t\"sync\"\n\ttime2 \"time\"\n)\n"},
		{"model yaml unsafe", "import (\n\t\"unsafe\"\n\n\t\"example.com/model\"\n\tyaml \"gopkg.in/yaml.v3\"\n)\n"},
		{"model", "import (\n\t\"example.com/model\"\n)\n"},
	}
	for _, tt := range tests {
		if got := sc.DeclOf(names(tt.used)); got != tt.want {
			t.Errorf("DeclOf(%s) =\n%s\nwant\n%s", tt.used, got, tt.want)
		}
	}
	code := []byte("func f() { _ = time2.Now(); var m sync.Mutex; x.y = 1; _ = \"rand.Int\" } // yaml.Node")
	if got, want := sc.Decl(code), "import (\n\t\"sync\"\n\ttime2 \"time\"\n)\n"; got != want {
		t.Errorf("Decl of code using time2 and sync =\n%s\nwant\n%s", got, want)
	}
}

// An ImportSet is a snapshot: imports named later are not in it.
func TestImportSetIsASnapshot(t *testing.T) {
	sc := emit.NewScope("example.com/p", nil, nil)
	sc.Import("time")
	set := sc.Imports()
	sc.Import("sync")
	if got := set.DeclOf(names("time sync")); got != "import (\n\t\"time\"\n)\n" {
		t.Errorf("snapshot DeclOf = %q; want time only", got)
	}
	if got := strings.Join(sc.Paths(), " "); got != "sync time" {
		t.Errorf("Paths() = %q; want sync time", got)
	}
}

func TestQualifiers(t *testing.T) {
	got := emit.Qualifiers([]byte("a.b; c . d; e(f).g; \"h.i\"; // j.k\n[]l{}.m; n.o.p"))
	want := names("a c n o")
	if len(got) != len(want) {
		t.Errorf("Qualifiers = %v; want %v", got, want)
	}
	for n := range want {
		if !got[n] {
			t.Errorf("Qualifiers lacks %s: %v", n, got)
		}
	}
}

// checked type-checks packages written as source, each one importing the
// ones before it and the standard library, and returns the last.
func checked(t *testing.T, srcs ...string) *types.Package {
	t.Helper()
	fset := token.NewFileSet()
	pkgs := map[string]*types.Package{}
	std := importer.Default()
	var last *types.Package
	for _, src := range srcs {
		f, err := parser.ParseFile(fset, "x.go", src, 0)
		if err != nil {
			t.Fatal(err)
		}
		path := "example.com/" + f.Name.Name
		conf := types.Config{Importer: importerFunc(func(p string) (*types.Package, error) {
			if pkg, ok := pkgs[p]; ok {
				return pkg, nil
			}
			return std.Import(p)
		})}
		pkg, err := conf.Check(path, fset, []*ast.File{f}, nil)
		if err != nil {
			t.Fatal(err)
		}
		pkgs[path] = pkg
		last = pkg
	}
	return last
}

type importerFunc func(string) (*types.Package, error)

func (f importerFunc) Import(p string) (*types.Package, error) { return f(p) }

// typeOf returns the type of the package-level variable name of pkg.
func typeOf(t *testing.T, pkg *types.Package, name string) types.Type {
	t.Helper()
	v, ok := pkg.Scope().Lookup(name).(*types.Var)
	if !ok {
		t.Fatalf("no variable %s in %s", name, pkg.Path())
	}
	return v.Type()
}

// The package's own types are spelled unqualified; another package's under
// the name the scope gives its import.
func TestScopeType(t *testing.T) {
	pkg := checked(t, `package model
type User struct{ Name string }`, `package p
import "example.com/model"
type ID int
var a map[ID]*model.User
var b func(model.User) (ID, error)
`)
	sc := emit.NewScope(pkg.Path(), names("model"), nil)
	if got, want := sc.Type(typeOf(t, pkg, "a")), "map[ID]*model2.User"; got != want {
		t.Errorf("Type(a) = %q; want %q", got, want)
	}
	if got, want := sc.Type(typeOf(t, pkg, "b")), "func(model2.User) (ID, error)"; got != want {
		t.Errorf("Type(b) = %q; want %q", got, want)
	}
	if got, want := strings.Join(sc.Paths(), " "), "example.com/model"; got != want {
		t.Errorf("Paths() = %q; want %q", got, want)
	}
}

// TestForkJoinsOnlyWhenWhatItReadStillHolds names in forks of a scope
// taken at the same time, as directives stenciled ahead do: a fork is
// joined when the names it read are still the scope's, and refused when an
// earlier join changed one (the fork would name crypto/rand "rand", which
// math/rand/v2 took meanwhile).
func TestForkJoinsOnlyWhenWhatItReadStillHolds(t *testing.T) {
	sc := emit.NewScope("example.com/p", nil, nil)
	sc.Import("time")
	sc.Func().Name("n")
	same, other, rand, local := sc.Fork(), sc.Fork(), sc.Fork(), sc.Fork()
	if got := same.Import("time"); got != "time" {
		t.Fatalf("fork: Import(time) = %q", got)
	}
	if got := other.Import("math/rand/v2"); got != "rand" {
		t.Fatalf("fork: Import(math/rand/v2) = %q", got)
	}
	if got := rand.Import("crypto/rand"); got != "rand" {
		t.Fatalf("fork: Import(crypto/rand) = %q", got)
	}
	if got := local.Func().Name("rand"); got != "rand" {
		t.Fatalf("fork: local rand = %q", got)
	}
	if !sc.Join(same) {
		t.Error("a fork that named nothing new was refused")
	}
	if !sc.Join(other) {
		t.Error("a fork whose reads still hold was refused")
	}
	if got := sc.Import("math/rand/v2"); got != "rand" {
		t.Errorf("after the join, Import(math/rand/v2) = %q; want the fork's rand", got)
	}
	if sc.Join(rand) {
		t.Error("a fork that named crypto/rand rand was joined after math/rand/v2 took rand")
	}
	if sc.Join(local) {
		t.Error("a fork that named a local rand was joined after an import took rand")
	}
	if got := sc.Import("crypto/rand"); got != "rand2" {
		t.Errorf("Import(crypto/rand) = %q; want rand2", got)
	}
}
