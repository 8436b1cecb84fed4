package kinds

import (
	"fmt"
	"go/types"
	"math/bits"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/emit"
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
		c.Spec.Hooks["hashKey"] = fmt.Sprintf("return %s(k)", fn.Name())
		// var _ func(K) uint64 = fn
		c.Emit = append(c.Emit, guardComment+"\n"+fmt.Sprintf("%#v", jen.Var().Id("_").Func().Params(jen.Id(c.Type("K"))).Uint64().Op("=").Id(fn.Name())))
		return nil
	}
	if h, ok := emit.HashFor(k, c.Self, c.Imports); ok {
		c.Spec.Hooks["hashKey"] = h.Body
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
