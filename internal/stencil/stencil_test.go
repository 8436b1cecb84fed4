package stencil_test

import (
	"go/importer"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/stencil"
)

func stencilToy(t *testing.T, metrics bool, retries string) string {
	t.Helper()
	tpl, err := stencil.Parse(os.DirFS("testdata"), "toy", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	out, err := stencil.Stencil(tpl, &stencil.Spec{
		Name: "Store", Main: "Box",
		Types:  map[string]string{"K": "b", "V": "*model.User"},
		Config: map[string]string{"Metrics": map[bool]string{true: "true", false: "false"}[metrics], "Retries": retries},
		Conds:  map[string]bool{"metrics": metrics},
		Hooks:  map[string]string{"hashKey": "return helper(uint64(len(k)))"},
		Keep:   []string{"Box.init"},
		Imports: func(p string) string {
			if p == "sync/atomic" {
				return "atomic2"
			}
			return p[strings.LastIndex(p, "/")+1:]
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := "package p\n\n" + strings.Join(out.Decls, "\n\n")
	if _, err := parser.ParseFile(token.NewFileSet(), "out.go", src, parser.ParseComments); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, src)
	}
	// Alignment is the formatter's job; compare with spaces collapsed.
	return regexp.MustCompile(`[ \t]+`).ReplaceAllString(src, " ")
}

func TestStencilSubstitutesAndRenames(t *testing.T) {
	src := stencilToy(t, false, "0")
	for _, want := range []string{
		"type Store struct",                  // main type renamed
		"type storeEntry struct",             // helper type prefixed
		"key b",                              // K substituted in fields: a user type named b
		"val *model.User",                    // V substituted
		"func (b_ *Store) init()",            // kept root; receiver b renamed: it would capture the type b
		"storeHashKey(b_.seed, k)",           // explicit instantiation removed, call renamed
		"return storeHelper(uint64(len(k)))", // hook body replaced, template names renamed in it
		"(*model.User)(v)",                   // conversion to a substituted pointer type parenthesized
		"// Store holds values.",             // doc comment follows the rename
	} {
		if !strings.Contains(src, want) {
			t.Errorf("output lacks %q\n%s", want, src)
		}
	}
	for _, unwanted := range []string{
		"[K", "comparable", "Config", "cfg", // type parameters and the config type are gone
		"Count()", "count", // metrics=false: the method, the field and the branch are gone
		"func storeDead", "unused", // unreferenced declarations and fields are removed
		"func New",           // template-only constructor dropped
		"monogen:",           // markers do not leak into the output
		"maphash.Comparable", // the hook's generic body is replaced
	} {
		if strings.Contains(src, unwanted) {
			t.Errorf("output contains %q\n%s", unwanted, src)
		}
	}
}

func TestStencilKeepsOptionalCode(t *testing.T) {
	src := stencilToy(t, true, "3")
	for _, want := range []string{
		"func (b *Store) Count() int64", // metrics=true keeps the method; it does not refer to the type b
		"count atomic2.Int64",           // and its field, with the allocated import name
		"b_.count.Add(1)",               // the folded branch is inlined
		"// count it",                   // with its comment
		"i < 3",                         // a config read becomes its constant
	} {
		if !strings.Contains(src, want) {
			t.Errorf("output lacks %q\n%s", want, src)
		}
	}
	if strings.Contains(src, "if true") || strings.Contains(src, "if (true)") {
		t.Errorf("constant condition not folded\n%s", src)
	}
}

func TestRename(t *testing.T) {
	tests := []struct{ name, directive, want string }{
		{"Map", "Store", "Store"},
		{"New", "Store", "NewStore"},
		{"New", "cache", "newCache"},
		{"ComputeOp", "Store", "StoreComputeOp"},
		{"ComputeOp", "cache", "cacheComputeOp"},
		{"bucket", "Store", "storeBucket"},
		{"bucket", "cache", "cacheBucket"},
		{"bucket", "LRU", "lruBucket"},
		{"bucket", "HTTPCache", "httpCacheBucket"},
		{"ErrClosed", "Store", "ErrStoreClosed"},
		{"ErrClosed", "cache", "errCacheClosed"},
		{"Errand", "Store", "StoreErrand"},
	}
	for _, tt := range tests {
		if got := stencil.Rename(tt.name, "Map", tt.directive); got != tt.want {
			t.Errorf("Rename(%q, Map, %q) = %q; want %q", tt.name, tt.directive, got, tt.want)
		}
	}
}

func stencilFold(t *testing.T, fast bool) string {
	t.Helper()
	tpl, err := stencil.Parse(os.DirFS("testdata"), "fold", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	out, err := stencil.Stencil(tpl, &stencil.Spec{
		Name: "Store", Main: "Box",
		Config: map[string]string{"Fast": map[bool]string{true: "true", false: "false"}[fast], "Interval": "10 * time.Millisecond"},
		Keep:   []string{"Box.init"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out.Decls, "\n\n")
}

// A folded if whose kept branch returns (or continues a loop) makes what
// follows it unreachable: that code goes, and so do the declarations only it
// used. An if folded to nothing takes its line with it. Conversions of
// constants fold.
func TestStencilFoldsReturnsAndConversions(t *testing.T) {
	fast := stencilFold(t, true)
	if !strings.Contains(fast, "func (b *Store) Get() int {\n\treturn b.fast()\n}") {
		t.Errorf("fast: statements after the folded return were kept\n%s", fast)
	}
	if strings.Contains(fast, "slow()") {
		t.Errorf("fast: the unreachable code's callee was kept\n%s", fast)
	}
	if !regexp.MustCompile(`n -= b.fast\(\)\s+continue\s+}\s+return n`).MatchString(fast) {
		t.Errorf("fast: statements after the folded continue were kept\n%s", fast)
	}
	if !strings.Contains(fast, "func (b *Store) init() {\n}") {
		t.Errorf("fast: int64(constant) <= 0 not folded, or its line left blank\n%s", fast)
	}
	slow := stencilFold(t, false)
	if !strings.Contains(slow, "func (b *Store) Get() int {\n\t// only when slow\n\treturn b.slow()\n}") {
		t.Errorf("slow: the folded-away if left a blank line or took the code after it\n%s", slow)
	}
	if strings.Contains(slow, "fast()") {
		t.Errorf("slow: the folded branch's callee was kept\n%s", slow)
	}
}

// A constant that only conditions of folded ifs use is not in the output:
// after folding, nothing refers to it.
func TestStencilDropsConstantsOnlyFoldingUses(t *testing.T) {
	src := stencilFold(t, true)
	if !strings.Contains(src, "func (b *Store) Peek() int {\n\treturn 4\n}") {
		t.Errorf("if on a false constant not folded away\n%s", src)
	}
	if strings.Contains(src, "Cached") {
		t.Errorf("the constant that only steered folding was kept\n%s", src)
	}
}

// A template is parsed once per run and stenciled for every directive of
// its kind: stenciling must not change it. The second directive's code is
// the same whether the template served a first one or was parsed anew.
func TestStencilLeavesTheTemplateUnchanged(t *testing.T) {
	parse := func() *stencil.Template {
		tpl, err := stencil.Parse(os.DirFS("testdata"), "toy", importer.Default())
		if err != nil {
			t.Fatal(err)
		}
		return tpl
	}
	spec := func(name, k string, metrics bool) *stencil.Spec {
		return &stencil.Spec{
			Name: name, Main: "Box",
			Types:  map[string]string{"K": k, "V": "*model.User"},
			Config: map[string]string{"Metrics": map[bool]string{true: "true", false: "false"}[metrics], "Retries": "2"},
			Conds:  map[string]bool{"metrics": metrics},
			Hooks:  map[string]string{"hashKey": "return " + stencil.User("b") + "(k)"},
			Keep:   []string{"Box.init"},
		}
	}
	shared := parse()
	first, err := stencil.Stencil(shared, spec("Store", "b", true))
	if err != nil {
		t.Fatal(err)
	}
	again, err := stencil.Stencil(shared, spec("cache", "string", false))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := stencil.Stencil(parse(), spec("cache", "string", false))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(again.Decls, "\n\n"), strings.Join(fresh.Decls, "\n\n"); got != want {
		t.Errorf("stenciled after another directive:\n%s\nparsed anew:\n%s", got, want)
	}
	if strings.Join(first.Decls, "") == strings.Join(again.Decls, "") {
		t.Error("two different specs gave the same code")
	}
}

// A user's function called by a hook is the one called, whatever its name:
// a parameter of the hook function by that name is renamed, in the
// template's code and in the hook body alike, and only in that function.
func TestHookCallsTheUsersFunctionNamedLikeAParameter(t *testing.T) {
	tpl, err := stencil.Parse(os.DirFS("testdata"), "toy", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	out, err := stencil.Stencil(tpl, &stencil.Spec{
		Name: "Store", Main: "Box",
		Types:  map[string]string{"K": "string", "V": "int"},
		Config: map[string]string{"Metrics": "false", "Retries": "0"},
		Conds:  map[string]bool{"metrics": false},
		Hooks:  map[string]string{"hashKey": "return " + stencil.User("k") + "(seed, k)"},
		Keep:   []string{"Box.init"},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Join(out.Decls, "\n\n")
	for _, want := range []string{
		"func storeHashKey(seed maphash.Seed, k_ string) uint64 {", // the parameter steps aside
		"return k(seed, k_)",                            // in the hook body too
		"func (b *Store) Put(k string, v int) uint64 {", // no user k is called there
	} {
		if !strings.Contains(src, want) {
			t.Errorf("output lacks %q\n%s", want, src)
		}
	}
}
