package kinds_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/monogen/monogen/internal/kinds"
)

// TestRecipe enforces the recipe for a new kind in the templates package
// documentation: every registered kind has its template with tests and
// benchmarks (step 1), a benchmark emitter for bench=true (3), a directive in
// generated/ whose type the tests there use (4), a testscript that generates
// and builds it (cmd/monogen/testdata/script/*_basic.txtar) and one with its
// directive errors (*_errors.txtar) (5), and a section of the README's
// directive reference (6).
//
// A script may cover several kinds, as the README groups them
// (bounded_basic.txtar: semaphore, ratelimit, breaker, limiter): what counts
// is that a directive of the kind stands in one of its Go files.
func TestRecipe(t *testing.T) {
	basic := scriptsDirecting(t, "_basic.txtar", "exec monogen", "exec go ")
	errs := scriptsDirecting(t, "_errors.txtar", "! exec monogen", "")
	generated := directivesIn(t, "../../generated")
	var generatedTests string
	testFiles, _ := filepath.Glob("../../generated/*_test.go")
	for _, f := range testFiles {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		generatedTests += string(src)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile("(?m)^### .*")
	for _, name := range kinds.Names() {
		t.Run(name, func(t *testing.T) {
			k, _ := kinds.Lookup(name)
			dir := filepath.Join("../../templates", k.Template)
			tests, benchmarks := false, false
			files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
			for _, f := range files {
				src, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				tests = tests || strings.Contains(string(src), "\nfunc Test")
				benchmarks = benchmarks || strings.Contains(string(src), "\nfunc Benchmark")
			}
			if !tests || !benchmarks {
				t.Errorf("templates/%s has no tests or no benchmarks (step 1 of the recipe)", k.Template)
			}
			if k.Bench == nil {
				t.Errorf("kind %s has no benchmark emitter: Kind.Bench, for bench=true (step 3)", name)
			}
			if len(basic[name]) == 0 {
				t.Errorf("no cmd/monogen/testdata/script/*_basic.txtar generates a //monogen:%s directive (step 5)", name)
			}
			if len(errs[name]) == 0 {
				t.Errorf("no cmd/monogen/testdata/script/*_errors.txtar holds a failing //monogen:%s directive (step 5)", name)
			}
			if len(generated[name]) == 0 {
				t.Errorf("no file of generated/ holds a //monogen:%s directive (step 4)", name)
			}
			tested := false
			for _, n := range generated[name] {
				tested = tested || regexp.MustCompile(`\b`+n+`\b`).MatchString(generatedTests)
			}
			if len(generated[name]) > 0 && !tested {
				t.Errorf("no test of generated/ uses a type of its //monogen:%s directives %v (step 4)", name, generated[name])
			}
			found := false
			for _, h := range heading.FindAllString(string(readme), -1) {
				if strings.Contains(h, "`"+name+"`") {
					found = true
				}
			}
			if !found {
				t.Errorf("the README has no section (### heading) naming `%s` (step 6)", name)
			}
		})
	}
}

// directive matches a directive in Go source and captures its kind and the
// name it generates.
var directive = regexp.MustCompile(`(?m)^\s*//monogen:(\w+) +(\w+)`)

// scriptsDirecting returns, by kind, the testscripts whose names end in
// suffix, which run the command as cmd says (and, unless then is "", a
// command starting with then: exec go vet, run or test on the output), and
// hold a directive of the kind in one of their Go files.
func scriptsDirecting(t *testing.T, suffix, cmd, then string) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("../../cmd/monogen/testdata/script", "*"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		runs, builds := false, then == ""
		for _, line := range strings.Split(string(a.Comment), "\n") {
			line = strings.TrimSpace(line)
			if line == cmd || strings.HasPrefix(line, cmd+" ") {
				runs = true
			}
			if then != "" && strings.HasPrefix(line, then) {
				builds = true
			}
		}
		if !runs || !builds {
			continue
		}
		for _, file := range a.Files {
			if !strings.HasSuffix(file.Name, ".go") {
				continue
			}
			for _, m := range directive.FindAllStringSubmatch(string(file.Data), -1) {
				out[m[1]] = append(out[m[1]], filepath.Base(f))
			}
		}
	}
	return out
}

// directivesIn returns, by kind, the names the directives of the
// non-generated Go files of dir generate.
func directivesIn(t *testing.T, dir string) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_monogen.go") || strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range directive.FindAllStringSubmatch(string(src), -1) {
			out[m[1]] = append(out[m[1]], m[2])
		}
	}
	return out
}
