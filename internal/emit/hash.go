package emit

import (
	"fmt"
	"go/types"

	"github.com/dave/jennifer/jen"
)

// maxHashWords bounds field-wise hashing: past it, maphash.Comparable's single
// pass over memory is as fast as mixing word by word.
const maxHashWords = 8

// Hash is a specialized hasher for a key type.
type Hash struct {
	// Body is the hook body: statements over the template's names s (the
	// *hashSeed) and k (the key), calling hashU64 and hashU64x2 (with the
	// mixers' keys, &s.mix) and hashStr (with s).
	Body string
	// How says what was chosen, for the generated doc comment and tests:
	// "integer mixer", "field-wise (2 words)", "string", "address".
	How string
	// Shard is the body of the shardOf hook, over s, k and h: a
	// multiply-shift of the key's word (shardU64) for a key that is one
	// 64-bit word, so that a lookup need not wait for the hash to pick the
	// shard; "" to keep the template's (the top bits of h).
	Shard string
	// ShortKey, HashShort and EqualKey are the bodies of the shortKey,
	// hashShort and equalKey hooks for a string key, "" for any other:
	// Load hashes a string of 8 to 16 bytes inline (hashStr8to16, over s
	// and k) instead of calling hashStr, and compares keys (a and b) by
	// length and data pointer before comparing their bytes.
	ShortKey, HashShort, EqualKey string
}

// maxInlineEqual is the longest byte-array key whose comparison EqualKey
// spells word by word: from 17 bytes on, == calls runtime.memequal, which
// costs Load a call; up to 16 the compiler compares in place already.
const maxInlineEqual = 64

// hashWord is one 64-bit word of a key, or a string to hash by itself.
type hashWord struct {
	code   jen.Code
	isStr  bool
	source string // for How
}

// HashFor builds the hash hook body for key type k, or ok=false when no
// specialization beats maphash.Comparable (interfaces, channels, large or
// inaccessible structs): the template's generic body then stays.
func HashFor(k types.Type, self *types.Package, im *Scope) (h Hash, ok bool) {
	if isNetipAddr(k) {
		// netip.Addr hides its fields; its bytes are equal for equal
		// addresses (two zones of one address merely collide). AsSlice,
		// not As16: the compiler copies the array As16 returns, reading it
		// with one 16-byte load of the two 8-byte stores that wrote it,
		// which the CPU cannot forward from them (a hash took 12 ns
		// instead of 5 on the AMD VM, and a lookup waited for the stores
		// of the one before); AsSlice's words are read back as stored.
		bin := im.Import("encoding/binary")
		h.Body = fmt.Sprintf(`b := k.AsSlice()
if len(b) == 16 {
	return hashU64x2(&s.mix, %[1]s.BigEndian.Uint64(b), %[1]s.BigEndian.Uint64(b[8:]))
}
if len(b) == 4 {
	return hashU64(&s.mix, uint64(%[1]s.BigEndian.Uint32(b)))
}
// The zero Addr: a word no IPv4 address gives.
return hashU64(&s.mix, 1<<32)`, bin)
		h.How = "an IPv6 address's 16 bytes mixed as two 64-bit words, an IPv4 address's 4 as one"
		return h, true
	}
	words, ok := keyWords(jen.Id("k"), k, self, im, 0)
	if !ok || len(words) == 0 || len(words) > maxHashWords {
		return Hash{}, false
	}
	var stmts []jen.Code
	switch {
	case len(words) == 1 && words[0].isStr:
		// return hashStr(s, k)
		stmts = append(stmts, jen.Return(jen.Id("hashStr").Call(jen.Id("s"), words[0].code)))
		h.How = "wyhash-style mixing of up to 32 bytes, maphash.String past that"
		// The string: the key, or the one field or element of a struct or
		// array key that holds nothing else that == compares (k.Name).
		length := func(x string) jen.Code { return jen.Len(jen.Id(x)) }
		str := func(x string) jen.Code {
			if _, named := k.(*types.Named); named || isAlias(k) {
				return jen.String().Call(jen.Id(x))
			}
			return jen.Id(x)
		}
		if _, basic := k.Underlying().(*types.Basic); !basic {
			str = func(x string) jen.Code {
				w, _ := keyWords(jen.Id(x), k, self, im, 0)
				return w[0].code
			}
			length = func(x string) jen.Code { return jen.Len(str(x)) }
		}
		// return len(k) >= 8 && len(k) <= 16
		h.ShortKey = render(jen.Return(jen.Add(length("k")).Op(">=").Lit(8).Op("&&").Add(length("k")).Op("<=").Lit(16)))
		// return hashStr8to16(&s.mix, k)
		h.HashShort = render(jen.Return(jen.Id("hashStr8to16").Call(mix(), words[0].code)))
		// return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
		data := func(x string) jen.Code { return im.Qual("unsafe", "StringData").Call(str(x)) }
		h.EqualKey = render(jen.Return(jen.Add(length("a")).Op("==").Add(length("b")).Op("&&").Parens(
			jen.Add(data("a")).Op("==").Add(data("b")).Op("||").Id("a").Op("==").Id("b"))))
	case len(words) == 1:
		// return hashU64(&s.mix, uint64(k))
		stmts = append(stmts, jen.Return(jen.Id("hashU64").Call(mix(), word(words[0]))))
		h.How = words[0].source
		// return shardU64(&s.mix, uint64(k))
		h.Shard = render(jen.Return(jen.Id("shardU64").Call(mix(), word(words[0]))))
	case len(words) == 2:
		// return hashU64x2(&s.mix, w0, w1)
		stmts = append(stmts, jen.Return(jen.Id("hashU64x2").Call(mix(), word(words[0]), word(words[1]))))
		h.How = what(k) + " mixed as two 64-bit words"
	default:
		// h := hashU64x2(&s.mix, w0, w1); h = hashU64x2(&s.mix, h^w2, w3); ...
		stmts = append(stmts, jen.Id("h").Op(":=").Id("hashU64x2").Call(mix(), word(words[0]), word(words[1])))
		for i := 2; i < len(words); i += 2 {
			a := jen.Id("h").Op("^").Add(word(words[i]))
			if i+1 < len(words) {
				stmts = append(stmts, jen.Id("h").Op("=").Id("hashU64x2").Call(mix(), a, word(words[i+1])))
			} else {
				stmts = append(stmts, jen.Id("h").Op("=").Id("hashU64").Call(mix(), a))
			}
		}
		stmts = append(stmts, jen.Return(jen.Id("h")))
		h.How = fmt.Sprintf("%s mixed as %d 64-bit words", what(k), len(words))
	}
	if n, ok := byteArray(k); ok && n > 16 && n <= maxInlineEqual {
		// return binary.LittleEndian.Uint64(a[0:8]) == binary.LittleEndian.Uint64(b[0:8]) && ...
		wa, wb := byteWords(jen.Id("a"), n, im), byteWords(jen.Id("b"), n, im)
		var eq *jen.Statement
		for i := range wa {
			c := jen.Add(wa[i].code).Op("==").Add(wb[i].code)
			if eq == nil {
				eq = c
			} else {
				eq = eq.Op("&&").Line().Add(c)
			}
		}
		h.EqualKey = render(jen.Return(eq))
	}
	h.Body = render(stmts...)
	return h, true
}

// what names the parts of k that its hash mixes, for How: "its 16 bytes"
// for a byte array (read as words), "its elements" for another array, "its
// fields" for a struct.
func what(k types.Type) string {
	if n, ok := byteArray(k); ok {
		return fmt.Sprintf("its %d bytes, read as little-endian words and", n)
	}
	if _, ok := k.Underlying().(*types.Array); ok {
		return "its elements"
	}
	return "its fields"
}

// mix is the mixers' keys in a hook body: &s.mix.
func mix() jen.Code { return jen.Op("&").Id("s").Dot("mix") }

// isNetipAddr reports whether t is net/netip.Addr, a usual key of keyed
// limiters (one per client address).
func isNetipAddr(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "net/netip" && n.Obj().Name() == "Addr"
}

// word turns a hashWord into a uint64 expression.
func word(w hashWord) jen.Code {
	if w.isStr {
		return jen.Id("hashStr").Call(jen.Id("s"), w.code)
	}
	return w.code
}

// keyWords flattens a comparable key into words whose equality is exactly
// the key's equality.
func keyWords(x *jen.Statement, t types.Type, self *types.Package, im *Scope, depth int) ([]hashWord, bool) {
	if depth > 4 {
		return nil, false
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		info := u.Info()
		switch {
		case info&types.IsInteger != 0:
			// uint64(k): a sign-extending conversion keeps equal keys equal.
			return []hashWord{{code: jen.Uint64().Call(x), source: "a seeded 128-bit multiply of its value"}}, true
		case info&types.IsString != 0:
			if _, named := t.(*types.Named); named || isAlias(t) {
				x = jen.String().Call(x)
			}
			return []hashWord{{code: x, isStr: true, source: "string"}}, true
		case info&types.IsBoolean != 0:
			// A bool is one byte holding 0 or 1: read it without a branch.
			// uint64(*(*uint8)(unsafe.Pointer(&k)))
			return []hashWord{{code: jen.Uint64().Call(jen.Op("*").Parens(jen.Op("*").Uint8()).Parens(im.Qual("unsafe", "Pointer").Call(jen.Op("&").Add(x)))), source: "a seeded 128-bit multiply of its byte"}}, true
		case info&types.IsFloat != 0:
			// +0 and -0 are equal keys with different bits: adding +0 turns -0
			// into +0. NaN never equals itself, so its bits do not matter.
			return []hashWord{{code: im.Qual("math", "Float64bits").Call(jen.Float64().Call(x).Op("+").Lit(0)), source: "a seeded 128-bit multiply of its bits"}}, true
		}
		return nil, false
	case *types.Pointer:
		// The address is the identity; the garbage collector does not move
		// heap objects, and a key stored in a map is on the heap.
		return []hashWord{{code: jen.Uint64().Call(jen.Uintptr().Call(im.Qual("unsafe", "Pointer").Call(x))), source: "a seeded 128-bit multiply of its address"}}, true
	case *types.Array:
		if n, ok := byteArray(t); ok {
			return byteWords(x, n, im), true
		}
		if u.Len() > maxHashWords {
			return nil, false
		}
		var out []hashWord
		for i := int64(0); i < u.Len(); i++ {
			ws, ok := keyWords(jen.Add(x).Index(jen.Lit(int(i))), u.Elem(), self, im, depth+1)
			if !ok {
				return nil, false
			}
			out = append(out, ws...)
		}
		return out, true
	case *types.Struct:
		var out []hashWord
		for i := 0; i < u.NumFields(); i++ {
			f := u.Field(i)
			if f.Name() == "_" {
				continue // blank fields do not take part in equality
			}
			if !f.Exported() && (f.Pkg() == nil || f.Pkg() != self) {
				return nil, false // cannot read another package's unexported field
			}
			ws, ok := keyWords(jen.Add(x).Dot(f.Name()), f.Type(), self, im, depth+1)
			if !ok {
				return nil, false
			}
			out = append(out, ws...)
		}
		return out, true
	}
	return nil, false
}

// byteArray reports whether t is an array of n > 0 bytes (byte itself, not
// a named byte type: binary.LittleEndian reads a []byte).
func byteArray(t types.Type) (n int64, ok bool) {
	a, ok := t.Underlying().(*types.Array)
	if !ok || a.Len() == 0 || !types.Identical(a.Elem(), types.Typ[types.Byte]) {
		return 0, false
	}
	return a.Len(), true
}

// byteWords reads a byte array of n bytes, x, as ceil(n/8) little-endian
// words whose equality is exactly the array's: whole 8-byte words from the
// front and, when n is not a multiple of 8, one more that ends at the last
// byte (it overlaps the word before; every byte is still read). A UUID is
// two words, a SHA-256 sum four, where reading byte by byte made sixteen
// and thirty-two, past maxHashWords.
func byteWords(x *jen.Statement, n int64, im *Scope) []hashWord {
	le := func(size string, lo, hi int64) jen.Code {
		// binary.LittleEndian.Uint64(k[lo:hi])
		return im.Qual("encoding/binary", "LittleEndian").Dot(size).Call(jen.Add(x).Index(jen.Lit(int(lo)), jen.Lit(int(hi))))
	}
	const source = "a seeded 128-bit multiply of its bytes, read as a little-endian word"
	var out []hashWord
	switch {
	case n >= 8:
		for lo := int64(0); lo+8 <= n; lo += 8 {
			out = append(out, hashWord{code: le("Uint64", lo, lo+8), source: source})
		}
		if n%8 != 0 {
			out = append(out, hashWord{code: le("Uint64", n-8, n), source: source})
		}
	case n >= 4:
		// uint64(binary.LittleEndian.Uint32(k[0:4]))<<32 | uint64(binary.LittleEndian.Uint32(k[n-4:n]))
		w := jen.Uint64().Call(le("Uint32", n-4, n))
		if n > 4 {
			w = jen.Uint64().Call(le("Uint32", 0, 4)).Op("<<").Lit(32).Op("|").Add(w)
		}
		out = append(out, hashWord{code: w, source: source})
	case n >= 2:
		// uint64(binary.LittleEndian.Uint16(k[0:2])) | uint64(k[2])<<16
		w := jen.Uint64().Call(le("Uint16", 0, 2))
		if n > 2 {
			w = jen.Add(w).Op("|").Uint64().Call(jen.Add(x).Index(jen.Lit(2))).Op("<<").Lit(16)
		}
		out = append(out, hashWord{code: w, source: source})
	default:
		out = append(out, hashWord{code: jen.Uint64().Call(jen.Add(x).Index(jen.Lit(0))), source: source})
	}
	return out
}

// MayBeNaN reports whether a value of the comparable type t can be unequal
// to itself, as a NaN is: t is a float or complex type, an interface (whose
// dynamic value may be one), or a struct or array holding one. A map never
// finds such a key.
func MayBeNaN(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Info()&(types.IsFloat|types.IsComplex) != 0
	case *types.Interface:
		return true
	case *types.Array:
		return u.Len() > 0 && MayBeNaN(u.Elem())
	case *types.Struct:
		for f := range u.Fields() {
			if f.Name() != "_" && MayBeNaN(f.Type()) {
				return true
			}
		}
	}
	return false
}

func isAlias(t types.Type) bool { _, ok := t.(*types.Alias); return ok }

// render renders statements as Go source, one per line.
func render(stmts ...jen.Code) string {
	s := jen.Null()
	for i, st := range stmts {
		if i > 0 {
			s.Line()
		}
		s.Add(st)
	}
	return fmt.Sprintf("%#v", s)
}

// UnderlyingGuard returns a declaration that compiles only while t's
// underlying type is what the specialization was built for:
//
//	var _ = (*struct{ A int64; B int64 })((*Key)(nil))
//
// It returns "" for unnamed types (nothing can change behind them) and for
// types whose underlying type cannot be spelled here.
func UnderlyingGuard(t types.Type, self *types.Package, im *Scope) string {
	if _, ok := t.(*types.Named); !ok {
		return ""
	}
	if !spellable(t.Underlying(), self) {
		return ""
	}
	// var _ = (*U)((*T)(nil))
	g := jen.Var().Id("_").Op("=").Parens(jen.Op("*").Id(im.Type(t.Underlying()))).Call(
		jen.Parens(jen.Op("*").Id(im.Type(t))).Call(jen.Nil()))
	return fmt.Sprintf("%#v", g)
}

// spellable reports whether a type can be written in package self: no
// unexported names or fields of other packages.
func spellable(t types.Type, self *types.Package) bool {
	switch t := t.(type) {
	case *types.Basic:
		return t.Kind() != types.UnsafePointer && t.Kind() != types.Invalid
	case *types.Named:
		o := t.Obj()
		return o.Exported() || o.Pkg() == nil || o.Pkg() == self
	case *types.Alias:
		o := t.Obj()
		return o.Exported() || o.Pkg() == nil || o.Pkg() == self
	case *types.Pointer:
		return spellable(t.Elem(), self)
	case *types.Array:
		return spellable(t.Elem(), self)
	case *types.Slice:
		return spellable(t.Elem(), self)
	case *types.Map:
		return spellable(t.Key(), self) && spellable(t.Elem(), self)
	case *types.Chan:
		return spellable(t.Elem(), self)
	case *types.Struct:
		for i := 0; i < t.NumFields(); i++ {
			f := t.Field(i)
			if !f.Exported() && f.Pkg() != self {
				return false
			}
			if !spellable(f.Type(), self) {
				return false
			}
		}
		return true
	}
	return false
}
