package kinds

import (
	"fmt"
	"go/types"
	"math/bits"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/stencil"
)

// //monogen:map Name[K, V] shards=N hash=fn
func init() {
	Register(&Kind{
		Name:     "map",
		Template: "shardmap",
		Main:     "Map",
		Params:   []string{"K", "V"},
		Doc:      "concurrent hash map with lock-free reads: Name[K, V] shards=N hash=fn",
		Options: []OptionSpec{
			{Key: "shards", Type: PowerOfTwo, Min: 1, Max: 1 << 16, Doc: "number of independent tables (power of two)"},
			{Key: "hash", Type: Func, Doc: "package-level func(K) uint64 replacing the built-in hasher"},
		},
		Build: buildMap,
		Bench: benchMap,
	})
}

func buildMap(c *Context) error {
	k, v := c.Types["K"], c.Types["V"]
	if !types.Comparable(k) {
		return c.ArgErrorf(0, "map key type %s is not comparable%s", c.D.Args[0].Text, whyNotComparable(k))
	}
	if o := c.D.Option("shards"); o != nil {
		c.Spec.Consts["shardBits"] = fmt.Sprint(bits.TrailingZeros64(uint64(o.Value.(int64))))
	}
	c.Spec.Conds["comparable(V)"] = types.Comparable(v)
	if types.Comparable(v) {
		c.Spec.Hooks["equalValue"] = "return a == b"
		c.Spec.HookDocs["equalValue"] = "equalValue reports whether a and b are equal, for CompareAndSwap and\nCompareAndDelete."
	}

	if o := c.D.Option("hash"); o != nil {
		fn := o.Value.(*types.Func)
		sig := fn.Type().(*types.Signature)
		want := types.NewSignatureType(nil, nil, nil,
			types.NewTuple(types.NewParam(0, nil, "", k)),
			types.NewTuple(types.NewParam(0, nil, "", types.Typ[types.Uint64])), false)
		if !types.Identical(sig, want) {
			return c.OptionErrorf(o, "hash function %s has type %s; want func(%s) uint64",
				fn.Name(), types.TypeString(sig, types.RelativeTo(c.Self)), c.D.Args[0].Text)
		}
		// The user's hasher is called directly, so it can inline.
		c.Spec.Hooks["hashKey"] = fmt.Sprintf("return %s(k)", stencil.User(fn.Name()))
		c.Spec.HookDocs["hashKey"] = fmt.Sprintf("hashKey returns the hash of k: the hash= function %s of the directive.\nIt does not use the seed s: keys chosen to collide under %s can flood a bucket.", fn.Name(), fn.Name())
		c.Spec.TypeNames = append(c.Spec.TypeNames, fn.Name())
		// var _ func(K) uint64 = fn
		c.Emit = append(c.Emit, guardComment+"\n"+fmt.Sprintf("%#v", jen.Var().Id("_").Func().Params(jen.Id(c.Type("K"))).Uint64().Op("=").Id(stencil.User(fn.Name()))))
		return nil
	}
	if h, ok := emit.HashFor(k, c.Self, c.Imports); ok {
		c.Spec.Hooks["hashKey"] = h.Body
		c.Spec.HookDocs["hashKey"] = fmt.Sprintf("hashKey returns the hash of k under s, specialized for %s keys: %s.\nEvery bit is mixed: the top shardBits bits pick the shard, the h2Bits low\nbits the meta byte, the bits above them the bucket.", c.D.Args[0].Text, h.How)
		if g := emit.UnderlyingGuard(k, c.Self, c.Imports); g != "" {
			c.Emit = append(c.Emit, guardComment+"\n"+g)
		}
	}
	return nil
}

const guardComment = "// This code was specialized for the types above. If one changes, the\n// line below stops compiling: run go generate."

func whyNotComparable(t types.Type) string {
	switch u := t.Underlying().(type) {
	case *types.Slice:
		return " (slices cannot be compared)"
	case *types.Map:
		return " (maps cannot be compared)"
	case *types.Signature:
		return " (functions cannot be compared)"
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if !types.Comparable(u.Field(i).Type()) {
				return fmt.Sprintf(" (field %s of type %s cannot be compared)", u.Field(i).Name(), u.Field(i).Type())
			}
		}
	case *types.Array:
		return fmt.Sprintf(" (its element type %s cannot be compared)", u.Elem())
	}
	return ""
}

// mapBenchKeys is the number of keys the user benchmarks preload: enough to
// leave the caches of a small machine, few enough to set up in milliseconds.
const mapBenchKeys = 1 << 14

// benchMap emits BenchmarkName: the generated map against the template
// instantiated with the same types, impl=generated|template, on Load, Store,
// LoadOrStore and a 90%-read mix, all goroutines in parallel.
func benchMap(c *Context) ([]string, error) {
	k, v := c.Types["K"], c.Types["V"]
	key, ok := emit.KeyFrom(k, jen.Id("i"), c.Self, c.Imports)
	if !ok {
		return nil, c.Errorf("bench=true: cannot make distinct keys of type %s for a benchmark", c.D.Args[0].Text)
	}
	kt, vt := c.Imports.Type(k), c.Imports.Type(v)
	name := c.D.Name
	tpl := c.Imports.Name(TemplatePath + "shardmap")
	testing := c.Imports.Name("testing")

	// Each workload body, for one implementation held in variable m.
	type workload struct {
		op   string
		body func(m string) jen.Code
	}
	at := jen.Id("keys").Index(jen.Id("i").Op("&").Parens(jen.Lit(mapBenchKeys - 1)))
	workloads := []workload{
		{"Load", func(m string) jen.Code { return jen.Id(m).Dot("Load").Call(at) }},
		{"Store", func(m string) jen.Code { return jen.Id(m).Dot("Store").Call(at, jen.Id("value")) }},
		{"LoadOrStore", func(m string) jen.Code { return jen.Id(m).Dot("LoadOrStore").Call(at, jen.Id("value")) }},
		// One store in ten.
		{"mix90", func(m string) jen.Code {
			return jen.If(jen.Id("i").Op("%").Lit(10).Op("==").Lit(0)).Block(
				jen.Id(m).Dot("Store").Call(at, jen.Id("value")),
			).Else().Block(jen.Id(m).Dot("Load").Call(at))
		}},
	}
	body := []jen.Code{
		// keys := make([]K, n); for i := range keys { keys[i] = K(i) }
		jen.Id("keys").Op(":=").Make(jen.Index().Id(kt), jen.Lit(mapBenchKeys)),
		jen.For(jen.Id("i").Op(":=").Range().Id("keys")).Block(jen.Id("keys").Index(jen.Id("i")).Op("=").Add(key)),
		jen.Var().Id("value").Id(vt),
		// generated, template := NewName(), shardmap.New[K, V]()
		jen.List(jen.Id("generated"), jen.Id("template")).Op(":=").
			List(jen.Id(newName(c)).Call(), jen.Id(tpl).Dot("New").Types(jen.Id(kt), jen.Id(vt)).Call()),
		jen.For(jen.List(jen.Id("_"), jen.Id("k")).Op(":=").Range().Id("keys")).Block(
			jen.Id("generated").Dot("Store").Call(jen.Id("k"), jen.Id("value")),
			jen.Id("template").Dot("Store").Call(jen.Id("k"), jen.Id("value")),
		),
	}
	for _, w := range workloads {
		for _, impl := range []string{"generated", "template"} {
			// b.Run("op=Load/impl=generated", func(b *testing.B) { b.ReportAllocs(); b.RunParallel(...) })
			body = append(body, jen.Id("b").Dot("Run").Call(jen.Lit("op="+w.op+"/impl="+impl),
				jen.Func().Params(jen.Id("b").Op("*").Id(testing).Dot("B")).Block(
					jen.Id("b").Dot("ReportAllocs").Call(),
					jen.Id("b").Dot("RunParallel").Call(jen.Func().Params(jen.Id("pb").Op("*").Id(testing).Dot("PB")).Block(
						jen.Id("i").Op(":=").Lit(0),
						jen.For(jen.Id("pb").Dot("Next").Call()).Block(w.body(impl), jen.Id("i").Op("++")),
					)),
				)))
		}
	}
	doc := fmt.Sprintf(`// Benchmark%[1]s measures %[1]s against the generic template it was
// generated from, %[2]s.Map[%[3]s, %[4]s], on the same keys and workloads,
// with all goroutines in parallel:
//
//	go test -run '^$' -bench 'Benchmark%[1]s$' -count 6 | go tool benchstat -col /impl -
`, upper(name), "shardmap", c.D.Args[0].Text, c.D.Args[1].Text)
	fn := jen.Func().Id("Benchmark" + upper(name)).Params(jen.Id("b").Op("*").Id(testing).Dot("B")).Block(body...)
	return []string{doc + fmt.Sprintf("%#v", fn)}, nil
}
