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
	spell := jen.Id(im.Type(t))
	switch u := t.Underlying().(type) {
	case *types.Basic:
		info := u.Info()
		// A basic or named type spells as a name: T(x) needs no parentheses.
		switch {
		case info&(types.IsInteger|types.IsFloat) != 0:
			return jen.Add(spell).Call(i), true
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
