package stencil_test

import (
	"fmt"
	"go/importer"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/stencil"
)

// stencilCleanup stencils testdata/cleanup with the given config values;
// the output imports "time" as time2, as it does when the user's package
// declares an identifier named time.
func stencilCleanup(t *testing.T, config map[string]string) string {
	t.Helper()
	return stencilCleanupSpec(t, config, nil)
}

// stencilCleanupSpec is stencilCleanup with hooks.
func stencilCleanupSpec(t *testing.T, config, hooks map[string]string) string {
	t.Helper()
	tpl, err := stencil.Parse(os.DirFS("testdata"), "cleanup", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{
		"Workers": "0", "Timeout": "0", "Interval": "time2.Duration(1)", "Collect": "false",
		"Ratio": "0", "Buffer": "256", "Batch": "5", "Strict": "false",
	}
	for k, v := range config {
		cfg[k] = v
	}
	out, err := stencil.Stencil(tpl, &stencil.Spec{
		Name: "Box", Main: "Box",
		Config: cfg,
		Hooks:  hooks,
		Imports: func(p string) string {
			if p == "time" {
				return "time2"
			}
			return p
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := "package p\n\n" + strings.Join(out.Decls, "\n\n")
	if _, err := parser.ParseFile(token.NewFileSet(), "out.go", src, parser.ParseComments); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, src)
	}
	return regexp.MustCompile(`[ \t]+`).ReplaceAllString(src, " ")
}

// funcBody returns the declaration of a method of the output.
func funcBody(t *testing.T, src, name string) string {
	t.Helper()
	i := strings.Index(src, ") "+name+"(")
	if i < 0 {
		t.Fatalf("no method %s in\n%s", name, src)
	}
	j := strings.Index(src[i:]+"\n", "\n}\n")
	return src[i : i+j+2]
}

// When the user's package declares an identifier named time, the output
// imports "time" as time2. Folding evaluated the spec's values by matching
// the package's name, so `if (1*time2.Second) > 0 || false {` stayed in the
// output; values are now type-checked against the imports.
func TestFoldConstantsWhenTimeIsImportedAsTime2(t *testing.T) {
	src := stencilCleanup(t, map[string]string{"Timeout": "1 * time2.Second", "Interval": "10 * time2.Millisecond"})
	deadline := funcBody(t, src, "Deadline")
	if strings.Contains(deadline, "if") || strings.Contains(deadline, "time2") || !strings.Contains(deadline, "return true") {
		t.Errorf("Deadline: the constant condition was not folded\n%s", deadline)
	}
	if want := "return int64(10 * time2.Millisecond)"; !strings.Contains(src, want) {
		t.Errorf("output lacks %q\n%s", want, funcBody(t, src, "Ticks"))
	}
	if want := "return 5 * time2.Millisecond"; !strings.Contains(src, want) {
		t.Errorf("output lacks %q\n%s", want, funcBody(t, src, "Half"))
	}
	src = stencilCleanup(t, map[string]string{"Interval": "1 * time2.Minute"})
	if want := "return int64(time2.Minute)"; !strings.Contains(src, want) {
		t.Errorf("output lacks %q\n%s", want, funcBody(t, src, "Ticks"))
	}
	if want := "return 30 * time2.Second"; !strings.Contains(src, want) {
		t.Errorf("output lacks %q\n%s", want, funcBody(t, src, "Half"))
	}
}

// Folding left `workers := runtime.GOMAXPROCS(0)` then `workers = 4`, a
// store nothing reads (staticcheck SA4006); the two are one store now, and
// a constant that only the overwritten store used goes with it.
func TestCleanupMergesStoreOverwrittenByFoldedBranch(t *testing.T) {
	src := stencilCleanup(t, map[string]string{"Workers": "4"})
	if w := funcBody(t, src, "Workers"); !strings.Contains(w, "workers := 4\n return workers") || strings.Contains(w, "GOMAXPROCS") {
		t.Errorf("Workers: want workers := 4\n%s", w)
	}
	if q := funcBody(t, src, "Queue"); !strings.Contains(q, "queue := 4\n return queue") {
		t.Errorf("Queue: want queue := 4\n%s", q)
	}
	if strings.Contains(src, "DefaultWorkers") {
		t.Errorf("the default, used only by the overwritten store, was kept\n%s", src)
	}
	if s := funcBody(t, src, "Step"); strings.Contains(s, "next++") || !strings.Contains(s, "next = len(b.items)") {
		t.Errorf("Step: next++ before next = len(...) was kept\n%s", s)
	}
	// Without the option, the default stays and nothing is merged.
	src = stencilCleanup(t, nil)
	if w := funcBody(t, src, "Workers"); !strings.Contains(w, "return runtime.GOMAXPROCS(0)") {
		t.Errorf("Workers without workers=: want GOMAXPROCS\n%s", w)
	}
	src = stencilCleanup(t, map[string]string{"Collect": "true"})
	if s := funcBody(t, src, "Step"); !strings.Contains(s, "next++") {
		t.Errorf("Step with Collect: next++ was removed\n%s", s)
	}
}

// Boolean and arithmetic identities with options, and constant arithmetic,
// are written as a person would.
func TestCleanupIdentitiesAndConstantArithmetic(t *testing.T) {
	src := stencilCleanup(t, nil)
	for _, want := range []string{
		"return len(b.items) == 0\n",              // && !false
		"return strict\n",                         // && !false
		"return 51\n",                             // max(1, 256/5)
		"return int64(time2.Nanosecond)",          // time.Duration(1)
		"_, fail := counts()",                     // succ is no longer used
		"return fail > 2 && float64(fail) >= 0\n", // 0*float64(...)
	} {
		if !strings.Contains(src, want) {
			t.Errorf("output lacks %q\n%s", want, src)
		}
	}
	src = stencilCleanup(t, map[string]string{"Ratio": "0.5", "Collect": "true"})
	for _, want := range []string{
		"succ, fail := counts()",
		"float64(fail) >= 0.5*float64(succ+fail)",
		"return false\n", // len(...) == 0 && !true
	} {
		if !strings.Contains(src, want) {
			t.Errorf("Ratio 0.5, Collect: output lacks %q\n%s", want, src)
		}
	}
}

// A loop that folding leaves returning on its first pass (staticcheck
// SA4004), and a counter nothing reads any more (SA4006), are gone; a loop
// with a condition keeps it.
func TestCleanupLoopThatRunsOnceAndWriteOnlyLocal(t *testing.T) {
	src := stencilCleanup(t, map[string]string{"Strict": "true"})
	push := funcBody(t, src, "Push")
	if strings.Contains(push, "for") || strings.Contains(push, "spins") || !strings.Contains(push, "return false\n}") {
		t.Errorf("Push with Strict: want the loop's body alone\n%s", push)
	}
	take := funcBody(t, src, "Take")
	if strings.Contains(take, "rounds") || !strings.Contains(take, "for taken < n {") {
		t.Errorf("Take without Collect: want for taken < n without rounds\n%s", take)
	}
	src = stencilCleanup(t, map[string]string{"Collect": "true"})
	if push := funcBody(t, src, "Push"); !strings.Contains(push, "for spins := 0; ; spins++ {") {
		t.Errorf("Push without Strict: the loop must stay\n%s", push)
	}
	if take := funcBody(t, src, "Take"); !strings.Contains(take, "for rounds := 0; taken < n; rounds++ {") {
		t.Errorf("Take with Collect: rounds is read, it must stay\n%s", take)
	}
}

// A hook body's identifiers that are not selected names or keys of a
// composite literal cannot name a field: a local of a hook named like a
// field that is only written (made) does not keep the field.
func TestCleanupRemovesWriteOnlyFieldThatAHookLocalIsNamedLike(t *testing.T) {
	src := stencilCleanupSpec(t, nil, map[string]string{"stampOf": "made := v * 2\nreturn stamp{value: made}"})
	if strings.Contains(src, "made int64") || strings.Contains(src, "made: int64") {
		t.Errorf("the field made, never read, was kept for a local of a hook\n%s", src)
	}
	if !strings.Contains(src, "made := v * 2") {
		t.Errorf("the hook body is not in the output\n%s", src)
	}
	// A hook that writes the field in a composite literal keeps it: the
	// output must compile.
	src = stencilCleanupSpec(t, nil, map[string]string{"stampOf": "return stamp{value: v, made: 1}"})
	if !strings.Contains(src, "made  int64") && !strings.Contains(src, "made int64") {
		t.Errorf("the field made, written by a hook, was removed\n%s", src)
	}
}

// A struct field that the output only writes in composite literals (a
// map's maphash seed when the key's hasher does not use it) is removed,
// with its values.
func TestCleanupRemovesWriteOnlyField(t *testing.T) {
	src := stencilCleanup(t, nil)
	if strings.Contains(src, "made int64") || strings.Contains(src, "made:") {
		t.Errorf("the field made, never read, was kept\n%s", src)
	}
	if !strings.Contains(src, "st := boxStamp{value: v}") || !strings.Contains(src, "value int\n}") {
		t.Errorf("the field value, read, was not kept\n%s", src)
	}
}

// A local that only a folded-away branch read besides the return was left
// as n := len(b.items) then return n; it is returned directly, and kept
// when the branch stays.
func TestReturnDirectlyWhatOnlyTheReturnReads(t *testing.T) {
	count := funcBody(t, stencilCleanup(t, nil), "Count")
	if !strings.Contains(count, "return len(b.items)") || strings.Contains(count, "n :=") {
		t.Errorf("Strict=false: want return len(b.items)\n%s", count)
	}
	count = funcBody(t, stencilCleanup(t, map[string]string{"Strict": "true"}), "Count")
	if !strings.Contains(count, "n := len(b.items)") || !strings.Contains(count, "b.n = n") || !strings.Contains(count, "return n") {
		t.Errorf("Strict=true: want the local kept\n%s", count)
	}
}

// TestUnusedParamsAreBlank: a parameter of an unexported function that
// only folded code read, or that a hook's body does not name, is written
// _; one the code reads, one the function's doc comment names, and those
// of exported functions keep their names.
func TestUnusedParamsAreBlank(t *testing.T) {
	for _, tc := range []struct {
		strict bool
		hooks  map[string]string
		want   []string
	}{
		{false, nil, []string{
			"func (b *Box) tally(v, _ int) int {",
			"func (b *Box) weigh(v, base int) int {", // the doc names base
			"func (b *Box) scale(v, k int) int {",
			"func (b *Box) Exported(x int) int {",
		}},
		{true, nil, []string{
			"func (b *Box) tally(v, at int) int {",
			"func (b *Box) weigh(v, base int) int {",
		}},
		{false, map[string]string{"Box.scale": "return v"}, []string{
			"func (b *Box) scale(v, _ int) int {",
		}},
	} {
		src := stencilCleanupSpec(t, map[string]string{"Strict": fmt.Sprint(tc.strict)}, tc.hooks)
		for _, w := range tc.want {
			if !strings.Contains(src, w) {
				t.Errorf("Strict=%v, hooks %v: no %q in\n%s", tc.strict, tc.hooks, w, src)
			}
		}
	}
}
