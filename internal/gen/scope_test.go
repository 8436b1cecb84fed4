package gen_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/gen"
)

// scratchModule writes files into a new module and returns its directory.
// With monogen, the module requires this one through a replace, as a module
// whose benchmarks import the templates does.
func scratchModule(t *testing.T, files map[string]string, monogen bool) string {
	t.Helper()
	dir := t.TempDir()
	// The go version of this module, which a module requiring it must reach.
	mod := "module example.com/scope\n\ngo 1.26.0\n"
	if monogen {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		mod += "\nrequire github.com/monogen/monogen v0.0.0\n\nreplace github.com/monogen/monogen => " + root + "\n"
	}
	files["go.mod"] = mod
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// generates runs Generate on a one-file package x.go and fails the test on
// any error: generated code that does not compile is an internal error.
func generates(t *testing.T, src string, monogen bool) *gen.Result {
	t.Helper()
	dir := scratchModule(t, map[string]string{"x.go": src}, monogen)
	res, err := gen.Generate(gen.Config{Dir: dir})
	if err != nil {
		var ie *gen.InternalError
		if errors.As(err, &ie) {
			t.Fatalf("monogen's bug: %v", err)
		}
		t.Fatalf("refused: %v", err)
	}
	return res
}

// A user's type named like a type parameter of the template (V, K, T) is
// spelled into the hooks once: the hooks that load and store a value in place
// convert to the type argument, never to a type the stencil substitutes a
// second time ((**V)(...), or K where V was meant).
func TestUserTypeNamedLikeATypeParameterIsSubstitutedOnce(t *testing.T) {
	for name, src := range map[string]string{
		"map V": `package x

type V struct{ A int }

//monogen:map M[string, *V]
`,
		"map K and V swapped": `package x

type K int64
type V int64

//monogen:map M[V, K]
`,
		"respool T": `package x

import "context"

type T struct{ A int }

func open(context.Context) (*T, error) { return &T{}, nil }

//monogen:respool R[*T] new=open
`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			generates(t, src, false)
		})
	}
}

// A bound function named like a parameter, receiver or local of the generated
// code that calls it is called, not shadowed: the generated local steps aside.
func TestBoundFunctionNamedLikeAGeneratedLocalIsCalled(t *testing.T) {
	for name, src := range map[string]string{
		"breaker fn=b": `package x

import "context"

func b(ctx context.Context, x int) (int, error) { return x, nil }

//monogen:breaker B[int, int] fn=b
`,
		"breaker fn=req": `package x

import "context"

func req(ctx context.Context, x int) (int, error) { return x, nil }

//monogen:breaker B[int, int] fn=req
`,
		"limiter fn=l": `package x

import "context"

func l(ctx context.Context, x int) (int, error) { return x, nil }

//monogen:limiter L[int, int] fn=l
`,
		"map hash=k": `package x

func k(s string) uint64 { return uint64(len(s)) }

//monogen:map M[string, int] hash=k
`,
		"respool new=r": `package x

import "context"

type T struct{ A int }

func r(context.Context) (*T, error) { return &T{}, nil }

//monogen:respool R[*T] new=r
`,
		"pool fn=p": `package x

import "context"

func p(ctx context.Context, x int) (int, error) { return x, nil }

//monogen:pool P[int, int] fn=p
`,
		"pool fn=err result=items": `package x

func err(x int) error { return nil }

func items(x int, e error) {}

//monogen:pool P[int] fn=err result=items
`,
		"batcher fn=items onerror=err": `package x

func items(x []int) error { return nil }

func err(x []int, e error) {}

//monogen:batcher B[int] fn=items onerror=err
`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			generates(t, src, false)
		})
	}
}

// The same in benchmarks: a user function named like a local of the emitted
// benchmark (b, the *testing.B) is the one the benchmark calls.
func TestBenchmarkCallsABoundFunctionNamedLikeItsLocals(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a module that requires monogen; not in -short mode")
	}
	for name, src := range map[string]string{
		"breaker fn=b": `package x

import "context"

func b(ctx context.Context, x int) (int, error) { return x, nil }

//monogen:breaker B[int, int] fn=b bench=true
`,
		"pool fn=b": `package x

import "context"

func b(ctx context.Context, x int) (int, error) { return x, nil }

//monogen:pool P[int, int] fn=b bench=true
`,
		"limiter fn=ctx": `package x

import "context"

func ctx(c context.Context, x int) (int, error) { return x, nil }

//monogen:limiter L[int, int] fn=ctx bench=true
`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res := generates(t, src, true)
			bench := false
			for p := range res.Files {
				bench = bench || strings.HasSuffix(p, "_bench_test.go")
			}
			if !bench {
				t.Fatal("no benchmark file generated")
			}
		})
	}
}

// An option at its default, written out (timeout=0s), generates no code, and
// so no import that code would need.
func TestDefaultDurationWrittenOutImportsNothingUnused(t *testing.T) {
	generates(t, `package x

import "context"

func work(ctx context.Context, x int) (int, error) { return x, nil }

//monogen:pool P[int, int] fn=work timeout=0s
`, false)
}

// A type argument named like a local that a folded branch declares (began,
// in a pipeline stage with metrics=true) keeps that local out of its scope:
// the branch keeps its braces instead of being inlined around the use.
func TestUserTypeNamedLikeALocalOfAFoldedBranch(t *testing.T) {
	generates(t, `package x

type began int64

//monogen:pipeline P[began, *began, began] ordered=true metrics=true
`, false)
}

// A package that declares a predeclared identifier the generated code uses
// (new in the map, close in the pool) is refused at the directive, in one
// line naming the declaration: no renaming can make the code reach Go's.
func TestPredeclaredNameRedeclaredIsRefused(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"map": {`package x

type new int64

//monogen:map M[new, *new]
`, "x.go:5:15: the code generated for M uses Go's predeclared new, which package x declares at x.go:3:6; rename that declaration"},
		"pool": {`package x

func close(x int) error { return nil }

//monogen:pool P[int] fn=close
`, "x.go:5:16: the code generated for P uses Go's predeclared close, which package x declares at x.go:3:6; rename that declaration"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := scratchModule(t, map[string]string{"x.go": tc.src}, false)
			_, err := gen.Generate(gen.Config{Dir: dir})
			var errs gen.Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("got %v, want one refusal", err)
			}
			if got := filepath.Base(errs[0].Error()); !strings.HasSuffix(errs[0].Error(), tc.want) {
				t.Errorf("got %q, want it to end in %q", got, tc.want)
			}
		})
	}
}
