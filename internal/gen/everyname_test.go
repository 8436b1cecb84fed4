package gen_test

import (
	"errors"
	"fmt"
	"go/importer"
	"go/types"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/gen"
	"github.com/monogen/monogen/internal/kinds"
	"github.com/monogen/monogen/internal/stencil"
	"github.com/monogen/monogen/templates"
)

// userRole is one way a directive of a kind takes a name from the user: a
// type argument, a bound function, the directive's own Name, the Name of a
// directive it composes with. For each name, decl declares it in the user's
// package and directives uses it, in directives numbered i.
type userRole struct {
	kind, role string
	imports    string
	decl       func(name string) string
	directives func(i int, name string) []string
}

// userRoles lists the roles of every kind. A kind missing here fails
// TestEveryTemplateIdentifierAsAUserName: each kind takes at least its
// directive's Name from the user.
func userRoles() []userRole {
	typ := func(name string) string { return "type " + name + " int64\n" }
	none := func(string) string { return "" }
	fn := func(sig, body string) func(string) string {
		return func(name string) string { return "func " + name + sig + " { " + body + " }\n" }
	}
	dirs := func(formats ...string) func(int, string) []string {
		return func(i int, name string) []string {
			var out []string
			for _, f := range formats {
				out = append(out, strings.NewReplacer("%i", strconv.Itoa(i), "%n", name).Replace(f))
			}
			return out
		}
	}
	call := fn("(_ context.Context, v int) (int, error)", "return v, nil")
	const ctx = `import "context"` + "\n\nvar _ context.Context\n"
	return []userRole{
		{kind: "map", role: "types", decl: typ, directives: dirs("//monogen:map M%i[%n, *%n]", "//monogen:map N%i[*%n, %n]")},
		{kind: "map", role: "hash", decl: fn("(k int) uint64", "return uint64(k)"), directives: dirs("//monogen:map M%i[int, int] hash=%n bench=true")},
		{kind: "map", role: "names", decl: none, directives: dirs("//monogen:map %n[int, int] bench=true")},

		{kind: "pool", role: "types", decl: typ, directives: dirs("//monogen:pool P%i[%n, *%n]", "//monogen:pool Q%i[%n] metrics=true retries=1")},
		{kind: "pool", role: "fn", imports: ctx, decl: call, directives: dirs("//monogen:pool P%i[int, int] fn=%n timeout=1s bench=true")},
		{kind: "pool", role: "result", decl: fn("(in, out int, err error)", ""), directives: dirs("//monogen:pool P%i[int, int] result=%n")},
		{kind: "pool", role: "names", decl: none, directives: dirs("//monogen:pool %n[int, int]")},
		{kind: "pool", role: "compose", decl: none, directives: dirs(
			"//monogen:ratelimit %n rate=10/s", "//monogen:pool P%i[int, int] rate=%n")},
		{kind: "pool", role: "breaker", decl: none, directives: dirs(
			"//monogen:breaker %n[int, int]", "//monogen:pool P%i[int, int] breaker=%n")},

		{kind: "breaker", role: "types", decl: typ, directives: dirs("//monogen:breaker B%i[%n, *%n]")},
		{kind: "breaker", role: "fn", imports: ctx, decl: call, directives: dirs("//monogen:breaker B%i[int, int] fn=%n bench=true")},
		{kind: "breaker", role: "fallback", imports: ctx, decl: fn("(_ context.Context, v int, err error) (int, error)", "return v, err"),
			directives: dirs("//monogen:breaker B%i[int, int] fallback=%n")},
		{kind: "breaker", role: "names", decl: none, directives: dirs("//monogen:breaker %n[int, int]")},

		{kind: "limiter", role: "types", decl: typ, directives: dirs("//monogen:limiter L%i[%n, *%n]")},
		{kind: "limiter", role: "fn", imports: ctx, decl: call, directives: dirs("//monogen:limiter L%i[int, int] fn=%n bench=true")},
		{kind: "limiter", role: "names", decl: none, directives: dirs("//monogen:limiter %n[int, int]")},

		{kind: "ratelimit", role: "names", decl: none, directives: dirs("//monogen:ratelimit %n rate=10/s bench=true", "//monogen:ratelimit W%i_%n limit=5 window=1s")},

		{kind: "respool", role: "types", decl: typ, directives: dirs("//monogen:respool R%i[*%n] idle=1s", "//monogen:respool S%i[%n]")},
		{kind: "respool", role: "new", imports: ctx, decl: fn("(context.Context) (*int, error)", "var v int; return &v, nil"), directives: dirs("//monogen:respool R%i[*int] new=%n bench=true")},
		{kind: "respool", role: "close", decl: fn("(*int)", ""), directives: dirs("//monogen:respool R%i[*int] close=%n")},
		{kind: "respool", role: "check", decl: fn("(*int) error", "return nil"), directives: dirs("//monogen:respool R%i[*int] check=%n")},
		{kind: "respool", role: "names", decl: none, directives: dirs("//monogen:respool %n[*int]")},

		{kind: "batcher", role: "types", decl: typ, directives: dirs("//monogen:batcher B%i[%n] flush=1s retries=1")},
		{kind: "batcher", role: "fn", imports: ctx, decl: fn("(_ context.Context, items []int) error", "return nil"), directives: dirs("//monogen:batcher B%i[int] fn=%n bench=true")},
		{kind: "batcher", role: "onerror", decl: fn("(items []int, err error)", ""), directives: dirs("//monogen:batcher B%i[int] onerror=%n")},
		{kind: "batcher", role: "names", decl: none, directives: dirs("//monogen:batcher %n[int]")},

		{kind: "queue", role: "types", decl: typ, directives: dirs("//monogen:queue Q%i[%n]", "//monogen:queue R%i[*%n] policy=drop-oldest")},
		{kind: "queue", role: "names", decl: none, directives: dirs("//monogen:queue %n[int] bench=true")},

		{kind: "semaphore", role: "names", decl: none, directives: dirs("//monogen:semaphore %n n=4 bench=true")},

		{kind: "pipeline", role: "types", decl: typ, directives: dirs("//monogen:pipeline P%i[%n, *%n, %n] ordered=true metrics=true")},
		{kind: "pipeline", role: "stages", imports: ctx, decl: call, directives: dirs("//monogen:pipeline P%i[int, int] stages=%n bench=true")},
		{kind: "pipeline", role: "names", decl: none, directives: dirs("//monogen:pipeline %n[int, int]")},
		{kind: "pipeline", role: "compose", decl: none, directives: dirs(
			"//monogen:ratelimit %n rate=10/s", "//monogen:pipeline P%i[int, int] rate=%n")},
	}
}

// templateIdentifiers returns every identifier a template declares: its
// type parameters, types, functions, constants and variables, the
// parameters, results and locals of its functions and methods, by walking
// go/types' Defs. A local added to a template is in the list with no change
// here.
func templateIdentifiers(t *testing.T, dir string) []string {
	t.Helper()
	tpl, err := stencil.Parse(templates.Sources(), dir, importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for id, obj := range tpl.Info.Defs {
		if obj == nil || id.Name == "_" || id.Name == "init" {
			continue // the package clause; names no declaration can take
		}
		seen[id.Name] = true
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// positioned matches an error that names the position of the problem.
var positioned = regexp.MustCompile(`^\S+\.go:\d+:\d+: \S`)

// Every identifier a template declares is a name the user may give a type,
// a bound function, a directive or a directive it composes with. For every
// kind and every such role, one package per role takes every identifier of
// the kind's template: each directive must either generate code that
// builds and passes go vet, benchmarks included, or be refused with one
// line naming its position. Nothing is an internal error.
func TestEveryTemplateIdentifierAsAUserName(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and vets a module of thousands of directives; not in -short mode")
	}
	files := map[string]string{}
	covered := map[string]bool{}
	for _, r := range userRoles() {
		if f := os.Getenv("ROLES"); f != "" && !strings.Contains(f, r.kind+"_"+r.role) {
			continue
		}
		k, ok := kinds.Lookup(r.kind)
		if !ok {
			t.Fatalf("no kind %s", r.kind)
		}
		covered[r.kind] = true
		var src strings.Builder
		fmt.Fprintf(&src, "// Package x takes every identifier of the %s template as the %s of a directive.\npackage x\n\n%s\n", k.Template, r.role, r.imports)
		for i, name := range templateIdentifiers(t, k.Template) {
			if types.Universe.Lookup(name) != nil && r.role != "names" {
				// A package that declares a predeclared name the
				// generated code uses is refused; see
				// TestPredeclaredNameRedeclared.
				continue
			}
			src.WriteString(r.decl(name))
			for _, d := range r.directives(i, name) {
				src.WriteString(d + "\n")
			}
		}
		files[r.kind+"_"+r.role+"/x.go"] = src.String()
	}
	for _, k := range kinds.Names() {
		if !covered[k] {
			t.Errorf("kind %s has no user role in userRoles", k)
		}
	}
	dir := scratchModule(t, files, true)

	// Refused directives go, one round at a time, until the rest generates.
	var res *gen.Result
	refused := 0
	for round := 0; ; round++ {
		var err error
		res, err = gen.Generate(gen.Config{Dir: dir, Patterns: []string{"./..."}})
		if err == nil {
			break
		}
		var errs gen.Errors
		if !errors.As(err, &errs) || round == 5 {
			t.Fatalf("round %d: %v", round, err)
		}
		drop := map[string]map[int]bool{}
		for _, e := range errs {
			msg := e.Error()
			if strings.Contains(msg, "\n") || !positioned.MatchString(msg) {
				t.Errorf("refusal is not one positioned line: %q", msg)
				continue
			}
			t.Logf("round %d: %s", round, msg)
			parts := strings.SplitN(msg, ":", 3)
			line, _ := strconv.Atoi(parts[1])
			if drop[parts[0]] == nil {
				drop[parts[0]] = map[int]bool{}
			}
			drop[parts[0]][line] = true
			refused++
		}
		for file, lines := range drop {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ls := strings.Split(string(src), "\n")
			for l := range lines {
				ls[l-1] = "// refused: " + ls[l-1][2:]
			}
			if err := os.WriteFile(file, []byte(strings.Join(ls, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%d directives refused, %d files generated", refused, len(res.Files))
	for name, data := range res.Files {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vet := exec.Command("go", "vet", "./...")
	vet.Dir = dir
	vet.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := vet.CombinedOutput(); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
}
