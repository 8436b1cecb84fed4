package gen_test

import (
	"errors"
	"flag"
	"fmt"
	"go/importer"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

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
	// template is the template whose identifiers the role takes, when it
	// is not the kind's: a keyed variant's (see kinds.Kind.Keyed).
	template   string
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
	// The key and the function of the keyed breakers whose roles are
	// elsewhere.
	const keyedCall = "\nfunc keyedKey(v int) int { return v }\n\nfunc keyedCall(_ context.Context, v int) (int, error) { return v, nil }\n"
	return []userRole{
		{kind: "map", role: "types", decl: typ, directives: dirs("//monogen:map M%i[%n, *%n]", "//monogen:map N%i[*%n, %n]")},
		{kind: "map", role: "hash", decl: fn("(k int) uint64", "return uint64(k)"), directives: dirs("//monogen:map M%i[int, int] hash=%n bench=true")},
		{kind: "map", role: "names", decl: none, directives: dirs("//monogen:map %n[int, int] bench=true")},

		{kind: "pool", role: "types", decl: typ, directives: dirs("//monogen:pool P%i[%n, *%n] metrics=true retries=1")},
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

		{kind: "breaker", template: "keyedbrk", role: "keyedtypes", imports: ctx, decl: func(name string) string {
			return typ(name) + "func key" + name + "(r " + name + ") " + name + " { return r }\n" +
				"func call" + name + "(_ context.Context, r " + name + ") (*" + name + ", error) { return &r, nil }\n"
		}, directives: dirs("//monogen:breaker K%i[%n, *%n] key=key%n fn=call%n keys=4 bench=true", "//monogen:breaker L%i[%n, int] key=key%n idle=0s")},
		{kind: "breaker", template: "keyedbrk", role: "keyedkey", imports: ctx + keyedCall, decl: fn("(r int) int", "return r"),
			directives: dirs("//monogen:breaker K%i[int, int] key=%n fn=keyedCall keys=2 bench=true")},
		{kind: "breaker", template: "keyedbrk", role: "keyedfn", imports: ctx + keyedCall, decl: call,
			directives: dirs("//monogen:breaker K%i[int, int] key=keyedKey fn=%n slow=1s bench=true")},
		{kind: "breaker", template: "keyedbrk", role: "keyednames", imports: ctx + keyedCall, decl: none,
			directives: dirs("//monogen:breaker %n[int, int] key=keyedKey fn=keyedCall keys=2 bench=true")},

		{kind: "limiter", role: "types", decl: typ, directives: dirs("//monogen:limiter L%i[%n, *%n]")},
		{kind: "limiter", role: "fn", imports: ctx, decl: call, directives: dirs("//monogen:limiter L%i[int, int] fn=%n bench=true")},
		{kind: "limiter", role: "names", decl: none, directives: dirs("//monogen:limiter %n[int, int]")},

		{kind: "ratelimit", role: "names", decl: none, directives: dirs("//monogen:ratelimit %n rate=10/s bench=true")},

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
		{kind: "semaphore", template: "keyedsem", role: "keyedtypes", decl: typ, directives: dirs("//monogen:semaphore K%i[%n] n=2 keys=4 bench=true", "//monogen:semaphore L%i[*%n] n=2")},
		{kind: "semaphore", template: "keyedsem", role: "keyednames", decl: none, directives: dirs("//monogen:semaphore %n[int] n=2 keys=2 bench=true")},
		{kind: "ratelimit", template: "keyedrate", role: "keyedtypes", decl: typ, directives: dirs("//monogen:ratelimit K%i[%n] rate=10/s keys=4 bench=true", "//monogen:ratelimit L%i[*%n] rate=1/s idle=0s")},
		{kind: "ratelimit", template: "keyedrate", role: "keyednames", decl: none, directives: dirs("//monogen:ratelimit %n[int] rate=10/s keys=2 bench=true")},

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
	tpl, err := stencil.Parse(templates.Sources(), dir, templateImporter{importer.Default()})
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

// templateImporter imports the standard library, and another template (the
// map of a keyed kind) from the embedded sources, as the generator does.
type templateImporter struct{ std types.Importer }

func (imp templateImporter) Import(path string) (*types.Package, error) {
	if dir, ok := strings.CutPrefix(path, kinds.TemplatePath); ok {
		tpl, err := stencil.Parse(templates.Sources(), dir, imp)
		if err != nil {
			return nil, err
		}
		return tpl.Pkg, nil
	}
	return imp.std.Import(path)
}

var vet = flag.Bool("vet", false, "TestEveryTemplateIdentifierAsAUserName: also run go vet on the generated module (a minute more)")

// positioned matches an error that names the position of the problem.
var positioned = regexp.MustCompile(`^\S+\.go:\d+:\d+: \S`)

// Every identifier a template declares is a name the user may give a type,
// a bound function, a directive or a directive it composes with. For every
// kind and every such role, one package per role takes every identifier of
// the kind's template: each directive must either generate code that
// builds, benchmarks included (monogen type-checks its output with the
// package before it writes anything; -vet runs go vet on it as well), or be
// refused with one line naming its position. Nothing is an internal error.
//
// ROLES=map_types,pool_fn in the environment limits the run to those roles.
func TestEveryTemplateIdentifierAsAUserName(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a module of thousands of directives; not in -short mode")
	}
	// Packages by group: the roles where directives clash with one another
	// (their Names, or those they compose with) and the predeclared
	// identifiers (a package that declares new refuses every map) are
	// refused late, after stenciling; each group is generated on its own so
	// that the others do not go round again.
	groups := map[string][]string{}
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
		var src, predeclared strings.Builder
		for _, b := range []*strings.Builder{&src, &predeclared} {
			fmt.Fprintf(b, "// Package x takes identifiers of the %s template as the %s of a directive.\npackage x\n\n%s\n", k.Template, r.role, r.imports)
		}
		dir := k.Template
		if r.template != "" {
			dir = r.template
		}
		for i, name := range templateIdentifiers(t, dir) {
			b := &src
			if types.Universe.Lookup(name) != nil {
				b = &predeclared
			}
			b.WriteString(r.decl(name))
			for _, d := range r.directives(i, name) {
				b.WriteString(d + "\n")
			}
		}
		pkg := r.kind + "_" + r.role
		files[pkg+"/x.go"] = src.String()
		files[pkg+"_predeclared/x.go"] = predeclared.String()
		group := "other"
		if strings.HasSuffix(r.role, "names") || r.role == "compose" || r.role == "breaker" {
			group = "clashing"
		}
		groups[group] = append(groups[group], "./"+pkg)
		groups["predeclared"] = append(groups["predeclared"], "./"+pkg+"_predeclared")
	}
	for _, k := range kinds.Names() {
		if !covered[k] {
			t.Errorf("kind %s has no user role in userRoles", k)
		}
	}
	dir := scratchModule(t, files, true)

	// The command runs outside the test binary, which -race slows down
	// several times: what is tested is its output.
	bin := filepath.Join(t.TempDir(), "monogen")
	build := exec.Command("go", "build", "-o", bin, "github.com/monogen/monogen/cmd/monogen")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")

	for _, group := range []string{"other", "clashing", "predeclared"} {
		if len(groups[group]) > 0 {
			generateRefusing(t, bin, dir, env, group, groups[group])
		}
	}
	if !*vet {
		return
	}
	t0 := time.Now()
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
	t.Logf("go vet: %v", time.Since(t0))
}

// generateRefusing runs monogen on the packages given until it succeeds:
// after each run that refuses directives, each refusal must be one line
// naming its position, and the refused directives are commented out. It
// fails the test on anything else, an internal error above all. monogen
// writes the files only once every directive left generates and its output
// type-checks with its package.
func generateRefusing(t *testing.T, bin, dir string, env []string, group string, pkgs []string) {
	t.Helper()
	refused := 0
	for round := 0; ; round++ {
		t0 := time.Now()
		cmd := exec.Command(bin, append([]string{"-e"}, pkgs...)...)
		cmd.Dir, cmd.Env = dir, env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if err == nil {
			lines = nil
		}
		t.Logf("%s, round %d: %d refused in %v (cpu %v)", group, round, len(lines), time.Since(t0).Round(time.Millisecond),
			cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
		if err == nil {
			break
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || round == 6 {
			t.Fatalf("%s, round %d: %v\n%.5000s", group, round, err, stderr.String())
		}
		drop := map[string]map[int]bool{}
		for i, msg := range lines {
			if !positioned.MatchString(msg) {
				t.Errorf("refusal is not one positioned line: %q", msg)
				continue
			}
			if i < 3 {
				t.Logf("  %s", msg)
			}
			parts := strings.SplitN(msg, ":", 3)
			file := parts[0]
			if !filepath.IsAbs(file) {
				file = filepath.Join(dir, file)
			}
			line, _ := strconv.Atoi(parts[1])
			if drop[file] == nil {
				drop[file] = map[int]bool{}
			}
			drop[file][line] = true
			refused++
		}
		if t.Failed() {
			t.FailNow()
		}
		for file, lines := range drop {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ls := strings.Split(string(src), "\n")
			for l := range lines {
				ls[l-1] = "// refused: " + strings.TrimPrefix(ls[l-1], "//")
			}
			if err := os.WriteFile(file, []byte(strings.Join(ls, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%s: %d directives refused", group, refused)
}
