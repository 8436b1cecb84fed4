package stencil_test

import (
	"bytes"
	"flag"
	"go/importer"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/stencil"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestGolden")

// goldenCase is one stencil run on a purpose-written template under
// testdata, whose output is compared with testdata/golden/<phase>/<name>.golden.
type goldenCase struct {
	phase, name string
	dir         string // the template, under testdata
	spec        func() *stencil.Spec
}

// bools spells a boolean option.
func bools(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// lastElem names an import by its path's last element, but sync/atomic,
// which the file has under another name.
func lastElem(p string) string {
	if p == "sync/atomic" {
		return "atomic2"
	}
	return p[strings.LastIndex(p, "/")+1:]
}

var goldenCases = []goldenCase{
	// Prune: //monogen:if on declarations, grouped specs and fields (line
	// comment and doc), negated; //monogen:template on a func, a type and
	// a grouped spec; Drop; Keep; unexported declarations and fields
	// nothing refers to, removed until nothing more can go; the config
	// type and field.
	{"prune", "metrics", "prune", func() *stencil.Spec {
		return &stencil.Spec{Name: "Store", Main: "Box", Types: map[string]string{"T": "int"},
			Config: map[string]string{"Metrics": "true"}, Conds: map[string]bool{"metrics": true},
			Drop: []string{"Dropped", "Helper"}, Keep: []string{"Box.init", "Box.keptMethod"}}
	}},
	{"prune", "nometrics", "prune", func() *stencil.Spec {
		return &stencil.Spec{Name: "Store", Main: "Box", Types: map[string]string{"T": "int"},
			Config: map[string]string{"Metrics": "false"}, Conds: map[string]bool{"metrics": false},
			Keep: []string{"Box.init"}}
	}},
	// The toy template: substitution, renaming, a hook, a config field
	// read in a loop, a template-only constructor, metrics off and on.
	{"prune", "toy", "toy", func() *stencil.Spec { return toySpec(false, "0") }},
	{"prune", "toy_metrics", "toy", func() *stencil.Spec { return toySpec(true, "3") }},

	// Fold: else chains, constants the spec sets and constants declared
	// from them (shards = 1 << shardBits folds with the spec's shardBits:
	// lax returns 8, with 1<<2 shards), conditions that are not constant,
	// short-circuits, switch clauses, branches ending in a panic, an
	// endless loop or a break, conversions of options.
	{"fold", "strict", "branches", func() *stencil.Spec {
		return &stencil.Spec{Name: "Store", Main: "Box",
			Config: map[string]string{"Retries": "5", "Timeout": "2 * time.Second", "Strict": "true"},
			Consts: map[string]string{"shardBits": "6"}}
	}},
	{"fold", "lax", "branches", func() *stencil.Spec {
		return &stencil.Spec{Name: "Store", Main: "Box",
			Config: map[string]string{"Retries": "0", "Timeout": "time.Duration(0)", "Strict": "false"},
			Consts: map[string]string{"shardBits": "2"}}
	}},
	{"fold", "some", "branches", func() *stencil.Spec {
		return &stencil.Spec{Name: "Store", Main: "Box",
			Config: map[string]string{"Retries": "2", "Timeout": "500 * time.Millisecond", "Strict": "false"}}
	}},
	// The fold template: returns and continues that make code unreachable,
	// a constant only folding uses.
	{"fold", "fast", "fold", func() *stencil.Spec { return foldSpec(true) }},
	{"fold", "slow", "fold", func() *stencil.Spec { return foldSpec(false) }},
	// Pipeline stages: struct type literals in signatures, an endless loop
	// ending a branch, a shared declaration renamed or dropped.
	{"fold", "stage_shared", "stages", func() *stencil.Spec { return stageSpec("pipeParse", "[]byte", "int", false, true) }},
	{"fold", "stage_ordered", "stages", func() *stencil.Spec { return stageSpec("pipeStore", "int", "string", true, false) }},

	// Names: the main type, New, Err variables, exported and unexported
	// declarations, for exported, unexported and initialism directive
	// names; a Rename override; a hook body and a doc naming the user's
	// identifiers (User, UserText) that share template names.
	{"names", "exported", "names", func() *stencil.Spec { return namesSpec("Store") }},
	{"names", "unexported", "names", func() *stencil.Spec { return namesSpec("cache") }},
	{"names", "initialism", "names", func() *stencil.Spec {
		s := namesSpec("LRU")
		s.Rename = map[string]string{"Stats": "CacheStats"}
		return s
	}},

	// Locals: a local that inserted text would capture steps aside, in
	// the template's code and in a hook body; one that nothing captures
	// stays. A user's function called by a hook is the one called, whatever
	// its name: the hook's parameter k steps aside for the user's k, in
	// that function only (Call keeps its k).
	{"locals", "capture", "locals", func() *stencil.Spec {
		return &stencil.Spec{Name: "Box", Main: "Box",
			Types: map[string]string{"K": "key", "V": "val.Value"},
			Hooks: map[string]string{"call": "return " + stencil.User("k") + "(k) + " + stencil.User("b") + "()"}}
	}},
	{"locals", "none", "locals", func() *stencil.Spec {
		return &stencil.Spec{Name: "Store", Main: "Box",
			Types: map[string]string{"K": "string", "V": "m"}}
	}},

	// Comments: markers removed with the blank line before them, names in
	// prose renamed (not plain words, not qualified ones, not a method's
	// own name), config references turned into options, replaced docs.
	{"comments", "docs", "names", func() *stencil.Spec {
		s := namesSpec("Store")
		s.ConfigOptions = map[string]string{"Collect": "errors"}
		s.HookDocs = map[string]string{
			"Map.Workers": "Workers returns Config.Workers... no: the Map's fixed number of workers, " + stencil.UserText("8") + ", set by the directive; it never changes while the Map runs, so callers may cache it.",
			"Stats":       "Stats counts the operations of a Map.\n\nIts fields are read with atomics.",
		}
		return s
	}},

	// Render: hooks (a function's and a method's) replaced, with their
	// type parameters, template names and user marks resolved; explicit
	// instantiations removed; conversions to a type argument
	// parenthesized; constants the spec sets; imports named by the spec.
	{"render", "hooks", "hooks", func() *stencil.Spec {
		return &stencil.Spec{Name: "Resizer", Main: "Pool",
			Types:  map[string]string{"In": "*model.Image", "Out": "Thumb"},
			Consts: map[string]string{"maxBatch": "64", "window": "50 * time.Millisecond"},
			Hooks: map[string]string{
				"Pool.call": "return " + stencil.User("resize") + "(in)",
				"hashOf":    "h := uint64(uintptr(unsafe.Pointer(in)))\nreturn h ^ uint64(len(zero[Out]().Name))",
			},
			Imports: lastElem,
		}
	}},
	{"render", "generic", "hooks", func() *stencil.Spec {
		return &stencil.Spec{Name: "pool", Main: "Pool",
			Types: map[string]string{"In": "func() error", "Out": "[]byte"},
			Imports: func(p string) string {
				if p == "time" {
					return "time2"
				}
				return lastElem(p)
			},
		}
	}},
}

func toySpec(metrics bool, retries string) *stencil.Spec {
	return &stencil.Spec{
		Name: "Store", Main: "Box",
		Types:   map[string]string{"K": "b", "V": "*model.User"},
		Config:  map[string]string{"Metrics": bools(metrics), "Retries": retries},
		Conds:   map[string]bool{"metrics": metrics},
		Hooks:   map[string]string{"hashKey": "return helper(uint64(len(k)))"},
		Keep:    []string{"Box.init"},
		Imports: lastElem,
	}
}

func foldSpec(fast bool) *stencil.Spec {
	return &stencil.Spec{
		Name: "Store", Main: "Box",
		Config: map[string]string{"Fast": bools(fast), "Interval": "10 * time.Millisecond"},
		Keep:   []string{"Box.init"},
	}
}

func stageSpec(name, in, out string, ordered, shared bool) *stencil.Spec {
	spec := &stencil.Spec{
		Name: name, Main: "Stage",
		Types:  map[string]string{"In": in, "Out": out},
		Config: map[string]string{"Ordered": bools(ordered)},
		Rename: map[string]string{"Run": "PipeRun"},
		Keep:   []string{"Stage.send"},
	}
	if !shared {
		spec.Drop = []string{"Run"}
	}
	return spec
}

func namesSpec(name string) *stencil.Spec {
	return &stencil.Spec{
		Name: name, Main: "Map",
		Types:  map[string]string{"K": "hashKey", "V": "*Stats"},
		Config: map[string]string{"Workers": "8", "Collect": "true"},
		Conds:  map[string]bool{"always": true},
		// The user's function is called hashKey too, and so is the key type.
		Hooks: map[string]string{"hashKey": "return " + stencil.User("hashKey") + "(k) ^ uint64(bucketSize)"},
		HookDocs: map[string]string{
			"hashKey": "hashKey returns " + stencil.UserText("hashKey(k)") + " mixed with bucketSize, for Map.",
		},
	}
}

// render writes what a stencil run gives, as the golden files hold it: the
// package-level names declared, the imports and the predeclared names used,
// then the declarations as the stencil wrote them (not formatted: blank
// lines and indentation are part of what is tested).
func render(out *stencil.Output) string {
	var b strings.Builder
	b.WriteString("// Declared: " + strings.Join(out.Declared, " ") + "\n")
	b.WriteString("// Imports: " + strings.Join(out.Imports, " ") + "\n")
	b.WriteString("// Predeclared: " + strings.Join(out.Predeclared, " ") + "\n\n")
	b.WriteString(strings.Join(out.Decls, "\n\n"))
	b.WriteString("\n")
	return b.String()
}

// TestGolden stencils the purpose-written templates under testdata and
// compares each output with its golden file; go test -run TestGolden
// -update rewrites them.
func TestGolden(t *testing.T) {
	templates := map[string]*stencil.Template{}
	for _, c := range goldenCases {
		t.Run(c.phase+"/"+c.name, func(t *testing.T) {
			tpl, ok := templates[c.dir]
			if !ok {
				var err error
				tpl, err = stencil.Parse(os.DirFS("testdata"), c.dir, importer.Default())
				if err != nil {
					t.Fatal(err)
				}
				templates[c.dir] = tpl
			}
			out, err := stencil.Stencil(tpl, c.spec())
			if err != nil {
				t.Fatal(err)
			}
			got := render(out)
			if _, err := parser.ParseFile(token.NewFileSet(), "out.go", "package p\n\n"+got, parser.ParseComments); err != nil {
				t.Errorf("output does not parse: %v\n%s", err, got)
			}
			if strings.Contains(got, "monogen") {
				t.Errorf("a marker or a user mark is left in the output\n%s", got)
			}
			file := filepath.Join("testdata", "golden", c.phase, c.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to write it)", err)
			}
			if !bytes.Equal(want, []byte(got)) {
				t.Errorf("%s differs (go test -run TestGolden -update rewrites it):\n%s", file, diff(string(want), got))
			}
		})
	}
}

// diff shows the first lines where want and got differ, with context.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	from := max(i-3, 0)
	var b strings.Builder
	for _, l := range w[from:min(i+8, len(w))] {
		b.WriteString("-" + l + "\n")
	}
	for _, l := range g[from:min(i+8, len(g))] {
		b.WriteString("+" + l + "\n")
	}
	return "line " + strconv.Itoa(i+1) + ":\n" + b.String()
}

// A constant declared from one the spec sets (shards = 1 << shardBits)
// folds with the spec's value, not with the template's: with shardBits 2,
// shards > 8 is false. It was folded with the template's 16 shards.
func TestFoldDerivedConstantUsesTheSpecsValue(t *testing.T) {
	tpl, err := stencil.Parse(os.DirFS("testdata"), "branches", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	for bits, want := range map[string]string{"2": "return 8", "3": "return 8", "4": "return storeShards", "6": "return storeShards"} {
		out, err := stencil.Stencil(tpl, &stencil.Spec{Name: "Store", Main: "Box",
			Config: map[string]string{"Retries": "0", "Timeout": "time.Duration(0)", "Strict": "false"},
			Consts: map[string]string{"shardBits": bits}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range out.Decls {
			if strings.Contains(d, "Shards() int") && !strings.Contains(d, "{\n\t"+want+"\n}") {
				t.Errorf("shardBits = %s: want Shards to %s\n%s", bits, want, d)
			}
		}
	}
}

// A spec that does not fit its template is an error, not a silent no-op.
func TestStencilErrors(t *testing.T) {
	tests := []struct {
		name string
		dir  string
		spec *stencil.Spec
		want string
	}{
		{"no main type", "prune", &stencil.Spec{Name: "S", Main: "Pool", Types: map[string]string{"T": "int"}}, "has no type Pool"},
		{"unknown condition", "prune", &stencil.Spec{Name: "S", Main: "Box", Types: map[string]string{"T": "int"},
			Config: map[string]string{"Metrics": "true"}, Conds: map[string]bool{"stats": true}}, `unknown //monogen:if condition "metrics"`},
		{"kept name not declared", "prune", &stencil.Spec{Name: "S", Main: "Box", Types: map[string]string{"T": "int"},
			Config: map[string]string{"Metrics": "true"}, Conds: map[string]bool{"metrics": true}, Keep: []string{"Box.nothing"}}, "kept name Box.nothing is not declared"},
		{"hook not marked", "prune", &stencil.Spec{Name: "S", Main: "Box", Types: map[string]string{"T": "int"},
			Config: map[string]string{"Metrics": "true"}, Conds: map[string]bool{"metrics": true}, Hooks: map[string]string{"chain2": "return 3"}}, "not marked //monogen:hook"},
		{"type parameter not given", "hooks", &stencil.Spec{Name: "S", Main: "Pool", Types: map[string]string{"In": "int"}}, "type parameter Out is not one of the template's parameters"},
		{"config field without value", "branches", &stencil.Spec{Name: "S", Main: "Box", Config: map[string]string{"Retries": "1", "Timeout": "0"}}, "no value for config field Config.Strict"},
		{"hook body does not parse", "hooks", &stencil.Spec{Name: "S", Main: "Pool", Types: map[string]string{"In": "int", "Out": "int"},
			Hooks: map[string]string{"Pool.call": "return ("}}, "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := stencil.Parse(os.DirFS("testdata"), tt.dir, importer.Default())
			if err != nil {
				t.Fatal(err)
			}
			_, err = stencil.Stencil(tpl, tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Stencil error = %v; want one containing %q", err, tt.want)
			}
		})
	}
}

// A hook body that names something neither the user's (marked), a type
// parameter, a template declaration nor a parameter of the hook is the
// kind's mistake: Stencil reports it. The error was raised while rendering,
// after Stencil had last looked, and the body went out as it was.
func TestStencilReportsAHookNamingAnUnknownIdentifier(t *testing.T) {
	tpl, err := stencil.Parse(os.DirFS("testdata"), "hooks", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	out, err := stencil.Stencil(tpl, &stencil.Spec{Name: "S", Main: "Pool", Types: map[string]string{"In": "int", "Out": "int"},
		Hooks: map[string]string{"Pool.call": "return resize(in)"}})
	if want := "hook Pool.call refers to resize"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Stencil error = %v; want one containing %q", err, want)
		if out != nil {
			t.Logf("output:\n%s", strings.Join(out.Decls, "\n\n"))
		}
	}
}
