package emit

import (
	"go/types"

	"github.com/dave/jennifer/jen"
)

// KeyFrom returns an expression of type t built from the int variable i,
// distinct for distinct i where the type allows, for benchmarks of the user's
// own types. ok is false when no such expression can be written (a non-empty
// interface, a channel, a struct with no field to vary).
//
//	SessionID(i)          integer, float and string kinds (strconv.Itoa)
//	complex64(complex(float64(i), 0))
//	netip.AddrFrom4([4]byte{byte(i >> 24), ...}), time.Unix(0, int64(i))
//	new(Session)          pointers: a fresh address per key
//	Key{ID: int64(i)}     structs: the first field that can vary
//	[16]byte{byte(i)}     arrays: the first element
func KeyFrom(t types.Type, i jen.Code, self *types.Package, im *Scope) (jen.Code, bool) {
	return keyFrom(t, i, self, im, 0)
}

func keyFrom(t types.Type, i jen.Code, self *types.Package, im *Scope, depth int) (jen.Code, bool) {
	if depth > 3 {
		return nil, false
	}
	if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil {
		// Usual keys whose fields are hidden: an address, a time.
		switch n.Obj().Pkg().Path() + "." + n.Obj().Name() {
		case "net/netip.Addr":
			return addrFrom(i, im), true
		case "net/netip.AddrPort":
			// netip.AddrPortFrom(netip.AddrFrom4(...), 1)
			return im.Qual("net/netip", "AddrPortFrom").Call(addrFrom(i, im), jen.Lit(1)), true
		case "time.Time":
			// time.Unix(0, int64(i))
			return im.Qual("time", "Unix").Call(jen.Lit(0), jen.Int64().Call(i)), true
		}
	}
	spell := jen.Id(im.Type(t))
	switch u := t.Underlying().(type) {
	case *types.Basic:
		info := u.Info()
		// A basic or named type spells as a name: T(x) needs no parentheses.
		switch {
		case info&(types.IsInteger|types.IsFloat) != 0:
			return jen.Add(spell).Call(i), true
		case info&types.IsComplex != 0:
			return jen.Add(spell).Call(jen.Complex(jen.Float64().Call(i), jen.Lit(0))), true
		case info&types.IsString != 0:
			s := im.Qual("strconv", "Itoa").Call(i)
			if t == types.Typ[types.String] {
				return s, true
			}
			return jen.Add(spell).Call(s), true
		case info&types.IsBoolean != 0:
			b := jen.Add(i).Op("%").Lit(2).Op("==").Lit(0)
			if t == types.Typ[types.Bool] {
				return b, true
			}
			return jen.Add(spell).Call(b), true
		}
	case *types.Pointer:
		// new(T) for a zero-size T would repeat one address; such keys are rare.
		if _, named := t.(*types.Named); named {
			return jen.Parens(spell).Call(jen.New(jen.Id(im.Type(u.Elem())))), true
		}
		return jen.New(jen.Id(im.Type(u.Elem()))), true
	case *types.Interface:
		if u.Empty() {
			return jen.Parens(spell).Call(i), true
		}
	case *types.Array:
		if e, ok := keyFrom(u.Elem(), i, self, im, depth+1); ok && u.Len() > 0 {
			return jen.Id(im.Type(t)).Values(e), true
		}
	case *types.Struct:
		// A field that takes a distinct value for every i first: keys made
		// from a bool field would be only two.
		for _, distinct := range []bool{true, false} {
			for f := range u.Fields() {
				if f.Name() == "_" || !f.Exported() && f.Pkg() != self || distinct && twoValued(f.Type()) {
					continue
				}
				if e, ok := keyFrom(f.Type(), i, self, im, depth+1); ok {
					return jen.Id(im.Type(t)).Values(jen.Dict{jen.Id(f.Name()): e}), true
				}
			}
		}
	}
	return nil, false
}

// addrFrom returns the i-th IPv4 address:
//
//	netip.AddrFrom4([4]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
func addrFrom(i jen.Code, im *Scope) jen.Code {
	var b []jen.Code
	for _, shift := range []int{24, 16, 8} {
		b = append(b, jen.Byte().Call(jen.Add(i).Op(">>").Lit(shift)))
	}
	b = append(b, jen.Byte().Call(i))
	return im.Qual("net/netip", "AddrFrom4").Call(jen.Index(jen.Lit(4)).Byte().Values(b...))
}

// twoValued reports whether keyFrom makes at most two distinct values of t:
// a boolean, or an array of them.
func twoValued(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Info()&types.IsBoolean != 0
	case *types.Array:
		return twoValued(u.Elem())
	}
	return false
}
