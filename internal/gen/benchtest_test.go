package gen_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/gen"
)

// bench=true on directives in test files: in the external test package
// (x_test.go, package x_test), whose benchmarks call constructors generated
// into x_monogen_test.go, and in the internal test (z_test.go, package x),
// beside one in x.go. Each file gets its benchmark file, x_test.go's named
// for its package (x.go's and x_test.go's went to one file, of two
// packages), and the package's tests build and run them. (The benchmarks of
// an external test package were type-checked without x_monogen_test.go:
// "undefined: NewTM", an internal error.)
func TestBenchmarksOfDirectivesInTestFiles(t *testing.T) {
	dir := scratchModule(t, map[string]string{
		"x/x.go": `package x

import "context"

type Conn struct{ id int }

//monogen:map M[int, *Conn] bench=true

func Work(_ context.Context, in int) (string, error) { return "", nil }
`,
		"x/x_test.go": `package x_test

import (
	"context"
	"testing"

	"example.com/scope/x"
)

//monogen:map TM[int, *x.Conn] bench=true
//monogen:pool TP[int, string] fn=work bench=true

func work(ctx context.Context, in int) (string, error) { return x.Work(ctx, in) }

func TestStoreLoad(t *testing.T) {
	m := NewTM()
	m.Store(1, &x.Conn{})
	if _, ok := m.Load(1); !ok {
		t.Fatal("key 1 lost")
	}
}
`,
		"x/z_test.go": `package x

//monogen:queue IQ[*Conn] size=4 bench=true
`,
	}, true)
	res, err := gen.Generate(gen.Config{Dir: filepath.Join(dir, "x")})
	if err != nil {
		t.Fatal(err)
	}
	var benchFiles []string
	for p := range res.Files {
		if strings.Contains(p, "_monogen_bench_") {
			benchFiles = append(benchFiles, filepath.Base(p))
		}
	}
	slices.Sort(benchFiles)
	if want := []string{"x_monogen_bench_test.go", "x_monogen_bench_x_test.go", "z_monogen_bench_test.go"}; !slices.Equal(benchFiles, want) {
		t.Errorf("benchmark files %v, want %v", benchFiles, want)
	}
	if _, err := gen.Write(res); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "test", "-count=1", "-run", "TestStoreLoad", "-bench", "IQ|TM|TP|M$", "-benchtime", "1x", "./x")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test: %v\n%.3000s", err, out)
	}
	for _, b := range []string{"BenchmarkM/", "BenchmarkTM/", "BenchmarkTP/", "BenchmarkIQ/"} {
		if !strings.Contains(string(out), b) {
			t.Errorf("%s did not run:\n%.3000s", b, out)
		}
	}
}
