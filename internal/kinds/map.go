package kinds

import (
	"fmt"
	"go/types"
	"math/bits"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/stencil"
)

// //monogen:map Name[K, V] shards=N hash=fn size=N
func init() {
	Register(&Kind{
		Name:     "map",
		Template: "shardmap",
		Main:     "Map",
		Params:   []string{"K", "V"},
		Doc:      "concurrent hash map with lock-free reads: Name[K, V] shards=N hash=fn size=N",
		Options: []OptionSpec{
			{Key: "shards", Type: PowerOfTwo, Min: 1, Max: 1 << 16, Doc: "number of independent tables (power of two)"},
			{Key: "hash", Type: Func, Doc: "package-level func(K) uint64 replacing the built-in hasher"},
			{Key: "size", Type: Int, Min: 1, Max: 1 << 32, Doc: "number of keys to presize for: inserting that many does not grow the map"},
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
	if o := c.D.Option("size"); o != nil {
		c.Spec.Consts["sizeHint"] = fmt.Sprint(o.Value.(int64))
	}
	inPlaceValue(c)
	c.Spec.Conds["comparable(V)"] = types.Comparable(v)
	// The pointer methods are for the keyed rate limiter (keyMapInEntries).
	c.Spec.Conds["pointers"] = false
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
		user := stencil.User(fn.Name())
		c.Spec.Hooks["hashKey"] = fmt.Sprintf("return %s(k)", user)
		c.Spec.HookDocs["hashKey"] = fmt.Sprintf("hashKey returns the hash of k: the hash= function %s of the directive.\nIt does not use the seed s: keys chosen to collide under %s can flood a bucket.", user, user)
		// var _ func(K) uint64 = fn
		c.Emit = append(c.Emit, guardComment+"\n"+fmt.Sprintf("%#v", jen.Var().Id("_").Func().Params(jen.Id(c.Type("K"))).Uint64().Op("=").Id(fn.Name())))
		return nil
	}
	if h, ok := emit.HashFor(k, c.Self, c.Scope); ok {
		c.Spec.Hooks["hashKey"] = h.Body
		c.Spec.HookDocs["hashKey"] = fmt.Sprintf("hashKey returns the hash of k under s, specialized for %s keys: %s.\nEvery bit is mixed: the top shardBits bits pick the shard, the h2Bits low\nbits the meta byte, the bits above them the bucket.", stencil.UserText(c.D.Args[0].Text), h.How)
		if h.Shard != "" {
			c.Spec.Hooks["shardOf"] = h.Shard
			c.Spec.HookDocs["hashKey"] = fmt.Sprintf("hashKey returns the hash of k under s, specialized for %s keys: %s.\nEvery bit is mixed: the h2Bits low bits pick the meta byte, the bits above\nthem the bucket.", stencil.UserText(c.D.Args[0].Text), h.How)
			c.Spec.HookDocs["shardOf"] = "shardOf returns the shard of k, a number below shardCount: a multiply-shift\nof k by a random odd key (shardU64). It does not wait for the key's hash,\nso a lookup loads the shard's table while the hash is being computed."
		}
		if h.ShortKey != "" {
			c.Spec.Consts["shortHash"] = "true"
			c.Spec.Hooks["shortKey"] = h.ShortKey
			c.Spec.HookDocs["shortKey"] = "shortKey reports whether Load hashes k with hashShort: a string of 8 to 16\nbytes."
			c.Spec.Hooks["hashShort"] = h.HashShort
			c.Spec.HookDocs["hashShort"] = "hashShort returns hashKey(s, k) for a key of 8 to 16 bytes (hashStr8to16),\nwith code small enough that the compiler inlines it into Load, where\nhashKey costs a call."
			c.Spec.Hooks["equalKey"] = h.EqualKey
			c.Spec.HookDocs["equalKey"] = "equalKey reports whether a and b are the same key, for the lookups that\ntake no lock (Load, find). Keys of the same length and data pointer, such as\na key looked up with the string it was stored with, are equal without a\ncall to compare their bytes."
		} else if h.EqualKey != "" {
			c.Spec.Hooks["equalKey"] = h.EqualKey
			c.Spec.HookDocs["equalKey"] = "equalKey reports whether a and b are the same key, for the lookups that\ntake no lock (Load, find). It compares their bytes a 64-bit word at a time,\nin place, where == would call the runtime."
		}
		if g := emit.UnderlyingGuard(k, c.Self, c.Scope); g != "" {
			c.Emit = append(c.Emit, guardComment+"\n"+g)
		}
	}
	return nil
}

// inPlaceValue specializes the map for a value that one atomic instruction
// loads and stores: an integer of 32 or 64 bits, int, uint, uintptr or a
// pointer. A write to a present key then stores into the key's entry instead
// of allocating a new one (the template's valueInPlace), and every read of a
// value is an atomic load. Other values keep immutable entries.
//
// int, uint and uintptr use the uintptr atomics: the three have the same size
// on every Go port. A named value type gets a guard on its underlying type,
// since the hooks convert through it.
func inPlaceValue(c *Context) {
	v := types.Unalias(c.Types["V"])
	var word string // the atomic functions' type: Int64 for LoadInt64
	switch u := v.Underlying().(type) {
	case *types.Basic:
		switch u.Kind() {
		case types.Int64:
			word = "Int64"
		case types.Uint64:
			word = "Uint64"
		case types.Int32:
			word = "Int32"
		case types.Uint32:
			word = "Uint32"
		case types.Int, types.Uint, types.Uintptr:
			word = "Uintptr"
		default:
			return
		}
	case *types.Pointer:
		word = "Pointer"
	default:
		return
	}
	guard := emit.UnderlyingGuard(v, c.Self, c.Scope)
	if _, named := v.(*types.Named); named && guard == "" {
		return
	}
	atomic := c.Scope.Import("sync/atomic")
	goType := strings.ToLower(word) // the atomics' operand type: int64 for Int64
	var load, store string
	if b, ok := v.(*types.Basic); ok && b.Name() == goType {
		// V is the atomics' own type: no conversions.
		load = fmt.Sprintf("%s.Load%s(&e.value)", atomic, word)
		store = fmt.Sprintf("%s.Store%s(&e.value, v)", atomic, word)
	} else {
		unsafe := c.Scope.Import("unsafe")
		if word == "Pointer" {
			goType = unsafe + ".Pointer"
		}
		// The conversion back to V names the type parameter, which the
		// stencil replaces by the type argument.
		ptr := fmt.Sprintf("(*%s)(%s.Pointer(&e.value))", goType, unsafe)
		load = fmt.Sprintf("V(%s.Load%s(%s))", atomic, word, ptr)
		store = fmt.Sprintf("%s.Store%s(%s, %s(v))", atomic, word, ptr, goType)
	}
	c.Spec.Consts["valueInPlace"] = "true"
	c.Spec.Hooks["loadValue"] = "return " + load
	c.Spec.Hooks["storeValue"] = store
	c.Spec.HookDocs["loadValue"] = "loadValue returns the value of e with an atomic load: writers update it\nin place (storeValue)."
	c.Spec.HookDocs["storeValue"] = "storeValue sets the value of e in place with an atomic store. The caller\nholds the lock of e's chain."
	c.Spec.HookDocs["entry"] = "entry is a key and its value. The key never changes; writers update the\nvalue in place with atomic stores (storeValue) under the lock of the\nentry's chain, and readers load it atomically (loadValue). The value comes first, so\nthat it is 64-bit aligned for the atomics even on 32-bit platforms."
	c.Spec.HookDocs["Map.Store"] = "Store sets the value for key. It allocates an entry holding the key and the\nvalue only when key is absent: the value of a present key is updated in\nplace, with an atomic store. Inserting a new key sometimes also allocates a\n64-byte overflow bucket or grows the key's shard. The other writes allocate\nin the same way."
	c.Spec.HookDocs["Map.CompareAndSwap"] = "CompareAndSwap swaps the old and new values for key if the value stored in\nthe map is equal to old. It does not allocate: it updates the value in\nplace."
	if guard != "" {
		c.Emit = append(c.Emit, "// The value is loaded and stored in place with atomics on its underlying\n// type. If that type changes, the line below stops compiling: run go generate.\n"+guard)
	}
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
// LoadOrStore, LoadOrCompute and a 90%-read mix, all goroutines in parallel.
func benchMap(c *Context) ([]string, error) {
	k, v := c.Types["K"], c.Types["V"]
	locals := c.Scope.Func()
	id := func(name string) *jen.Statement { return jen.Id(locals.Name(name)) }
	key, ok := emit.KeyFrom(k, id("i"), c.Self, c.Scope)
	if !ok {
		return nil, c.NoBenchf("bench=true: cannot make distinct keys of type %s for a benchmark", c.D.Args[0].Text)
	}
	kt, vt := c.Scope.Type(k), c.Scope.Type(v)
	name := c.D.Name
	tpl := c.Scope.Import(TemplatePath + "shardmap")
	testing := c.Scope.Import("testing")

	// Each workload body, for one implementation held in variable m.
	type workload struct {
		op   string
		body func(m string) jen.Code
	}
	at := id("keys").Index(id("i").Op("&").Parens(jen.Lit(mapBenchKeys - 1)))
	workloads := []workload{
		{"Load", func(m string) jen.Code { return id(m).Dot("Load").Call(at) }},
		{"Store", func(m string) jen.Code { return id(m).Dot("Store").Call(at, id("value")) }},
		{"LoadOrStore", func(m string) jen.Code { return id(m).Dot("LoadOrStore").Call(at, id("value")) }},
		// Present keys: the function is not called.
		{"LoadOrCompute", func(m string) jen.Code { return id(m).Dot("LoadOrCompute").Call(at, id("compute")) }},
		// One store in ten.
		{"mix90", func(m string) jen.Code {
			return jen.If(id("i").Op("%").Lit(10).Op("==").Lit(0)).Block(
				id(m).Dot("Store").Call(at, id("value")),
			).Else().Block(id(m).Dot("Load").Call(at))
		}},
	}
	body := []jen.Code{
		// keys := make([]K, n); for i := range keys { keys[i] = K(i) }
		id("keys").Op(":=").Make(jen.Index().Id(kt), jen.Lit(mapBenchKeys)),
		jen.For(id("i").Op(":=").Range().Add(id("keys"))).Block(id("keys").Index(id("i")).Op("=").Add(key)),
		jen.Var().Add(id("value")).Id(vt),
		// compute := func() V { return value }
		id("compute").Op(":=").Func().Params().Id(vt).Block(jen.Return(id("value"))),
		// generated, template := NewName(), shardmap.New[K, V]()
		jen.List(id("generated"), id("template")).Op(":=").
			List(jen.Id(newName(c)).Call(), jen.Id(tpl).Dot("New").Types(jen.Id(kt), jen.Id(vt)).Call()),
		jen.For(jen.List(jen.Id("_"), id("k")).Op(":=").Range().Add(id("keys"))).Block(
			id("generated").Dot("Store").Call(id("k"), id("value")),
			id("template").Dot("Store").Call(id("k"), id("value")),
		),
	}
	for _, w := range workloads {
		for _, impl := range []string{"generated", "template"} {
			// b.Run("op=Load/impl=generated", func(b *testing.B) { b.ReportAllocs(); b.RunParallel(...) })
			body = append(body, id("b").Dot("Run").Call(jen.Lit("op="+w.op+"/impl="+impl),
				jen.Func().Params(id("b").Op("*").Id(testing).Dot("B")).Block(
					id("b").Dot("ReportAllocs").Call(),
					id("b").Dot("RunParallel").Call(jen.Func().Params(id("pb").Op("*").Id(testing).Dot("PB")).Block(
						id("i").Op(":=").Lit(0),
						jen.For(id("pb").Dot("Next").Call()).Block(w.body(impl), id("i").Op("++")),
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
	fn := jen.Func().Id("Benchmark" + upper(name)).Params(id("b").Op("*").Id(testing).Dot("B")).Block(body...)
	return []string{doc + fmt.Sprintf("%#v", fn)}, nil
}
