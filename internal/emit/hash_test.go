package emit_test

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/emit"
)

// keyTypes declares a variable of each key type the tests hash, in package
// p, beside a package other whose struct has an unexported field.
var keyTypes = []string{`package other
type Key struct{ ID int64; name string }
type Open struct{ A, B int32 }
`, `package p
import (
	"net/netip"
	"time"
	"example.com/other"
)
type ID int64
type Name string
type Alias = string
type Key struct{ A, B int64 }
type Pair struct{ S string; N int32 }
type Mixed struct{ F float32; B bool; P *int; _ int; S Name }
type Nested struct{ K Key; T [2]uint8 }
type Wide struct{ A, B, C, D, E int64 }
type Big [9]int64
type own struct{ x int; y uint16 }
type Ptr *Key
type Empty struct{}
type Flagged struct{ On bool; N uint16 }
type OnlyFlag struct{ On bool }
type HasUUID struct {
	ID   [16]byte
	Part int
}

type OneStr struct{ _ int; S Name; Z struct{} }

var (
	vInt      int
	vUint8    uint8
	vID       ID
	vString   string
	vName     Name
	vAlias    Alias
	vBool     bool
	vFloat    float64
	vPtr      *Key
	vPtrNamed Ptr
	vKey      Key
	vPair     Pair
	vMixed    Mixed
	vNested   Nested
	vWide     Wide
	vArray    [16]byte
	vArray3   [3]uint32
	vBytes1   [1]byte
	vBytes3   [3]byte
	vBytes4   [4]uint8
	vBytes6   [6]byte
	vBytes8   [8]byte
	vBytes20  [20]byte
	vBytes32  [32]byte
	vBytes64  [64]byte
	vBytes72  [72]byte
	vHasUUID  HasUUID
	vOwn      own
	vOpen     other.Open
	vDuration time.Duration

	vBig       Big
	vOtherKey  other.Key
	vIface     any
	vError     error
	vChan      chan int
	vComplex   complex128
	vEmpty     Empty
	vFlagged   Flagged
	vOnlyFlag  OnlyFlag
	vNoFields  [0]int
	vStrArray  [9]string
	vOneStr    OneStr
	vStr1      [1]string
	vAddr      netip.Addr
	vAddrPort  netip.AddrPort
	vTime      time.Time
)
`}

func TestHashFor(t *testing.T) {
	pkg := checked(t, keyTypes...)
	tests := []struct {
		v    string
		body string // "" when HashFor declines
		how  string // a substring of How
	}{
		{"vInt", "return hashU64(&s.mix, uint64(k))", "128-bit multiply of its value"},
		{"vUint8", "return hashU64(&s.mix, uint64(k))", "of its value"},
		{"vID", "return hashU64(&s.mix, uint64(k))", "of its value"},
		{"vDuration", "return hashU64(&s.mix, uint64(k))", "of its value"},
		{"vString", "return hashStr(s, k)", "maphash.String past that"},
		{"vName", "return hashStr(s, string(k))", "maphash.String"},
		{"vAlias", "return hashStr(s, string(k))", "maphash.String"},
		{"vBool", "return hashU64(&s.mix, uint64(*(*uint8)(unsafe.Pointer(&k))))", "of its byte"},
		{"vFloat", "return hashU64(&s.mix, math.Float64bits(float64(k)+0))", "of its bits"},
		{"vPtr", "return hashU64(&s.mix, uint64(uintptr(unsafe.Pointer(k))))", "of its address"},
		{"vPtrNamed", "return hashU64(&s.mix, uint64(uintptr(unsafe.Pointer(k))))", "of its address"},
		{"vKey", "return hashU64x2(&s.mix, uint64(k.A), uint64(k.B))", "two 64-bit words"},
		{"vPair", "return hashU64x2(&s.mix, hashStr(s, k.S), uint64(k.N))", "two 64-bit words"},
		{"vMixed", "h := hashU64x2(&s.mix, math.Float64bits(float64(k.F)+0), uint64(*(*uint8)(unsafe.Pointer(&k.B))))\n" +
			"h = hashU64x2(&s.mix, h^uint64(uintptr(unsafe.Pointer(k.P))), hashStr(s, string(k.S)))\nreturn h", "4 64-bit words"},
		{"vNested", "h := hashU64x2(&s.mix, uint64(k.K.A), uint64(k.K.B))\nh = hashU64(&s.mix, h^uint64(binary.LittleEndian.Uint16(k.T[0:2])))\nreturn h", "3 64-bit words"},
		{"vWide", "h := hashU64x2(&s.mix, uint64(k.A), uint64(k.B))\nh = hashU64x2(&s.mix, h^uint64(k.C), uint64(k.D))\nh = hashU64(&s.mix, h^uint64(k.E))\nreturn h", "5 64-bit words"},
		{"vArray3", "h := hashU64x2(&s.mix, uint64(k[0]), uint64(k[1]))\nh = hashU64(&s.mix, h^uint64(k[2]))\nreturn h", "3 64-bit words"},
		// Byte arrays are read a word at a time; the last word overlaps the
		// one before when the length is not a multiple of 8.
		{"vArray", "return hashU64x2(&s.mix, binary.LittleEndian.Uint64(k[0:8]), binary.LittleEndian.Uint64(k[8:16]))", "its 16 bytes, read as little-endian words and mixed as two"},
		{"vBytes1", "return hashU64(&s.mix, uint64(k[0]))", "its bytes"},
		{"vBytes3", "return hashU64(&s.mix, uint64(binary.LittleEndian.Uint16(k[0:2]))|uint64(k[2])<<16)", "its bytes"},
		{"vBytes4", "return hashU64(&s.mix, uint64(binary.LittleEndian.Uint32(k[0:4])))", "its bytes"},
		{"vBytes6", "return hashU64(&s.mix, uint64(binary.LittleEndian.Uint32(k[0:4]))<<32|uint64(binary.LittleEndian.Uint32(k[2:6])))", "its bytes"},
		{"vBytes8", "return hashU64(&s.mix, binary.LittleEndian.Uint64(k[0:8]))", "its bytes"},
		{"vBytes20", "h := hashU64x2(&s.mix, binary.LittleEndian.Uint64(k[0:8]), binary.LittleEndian.Uint64(k[8:16]))\nh = hashU64(&s.mix, h^binary.LittleEndian.Uint64(k[12:20]))\nreturn h", "its 20 bytes, read as little-endian words and mixed as 3"},
		{"vBytes32", "h := hashU64x2(&s.mix, binary.LittleEndian.Uint64(k[0:8]), binary.LittleEndian.Uint64(k[8:16]))\nh = hashU64x2(&s.mix, h^binary.LittleEndian.Uint64(k[16:24]), binary.LittleEndian.Uint64(k[24:32]))\nreturn h", "mixed as 4 64-bit words"},
		{"vHasUUID", "h := hashU64x2(&s.mix, binary.LittleEndian.Uint64(k.ID[0:8]), binary.LittleEndian.Uint64(k.ID[8:16]))\nh = hashU64(&s.mix, h^uint64(k.Part))\nreturn h", "its fields mixed as 3"},
		{"vOwn", "return hashU64x2(&s.mix, uint64(k.x), uint64(k.y))", "two"},
		{"vOpen", "return hashU64x2(&s.mix, uint64(k.A), uint64(k.B))", "two"},
		// Past maxHashWords, or what cannot be read word by word: the
		// generic body stays.
		{"vBytes72", "", ""},
		{"vBig", "", ""},
		{"vStrArray", "", ""},
		{"vOtherKey", "", ""},
		{"vIface", "", ""},
		{"vError", "", ""},
		{"vChan", "", ""},
		{"vComplex", "", ""},
		{"vEmpty", "", ""},
		{"vNoFields", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			sc := emit.NewScope(pkg.Path(), nil, nil)
			h, ok := emit.HashFor(typeOf(t, pkg, tt.v), pkg, sc)
			if tt.body == "" {
				if ok {
					t.Fatalf("HashFor specialized %s:\n%s", tt.v, h.Body)
				}
				return
			}
			if !ok {
				t.Fatalf("HashFor declined %s", tt.v)
			}
			if h.Body != tt.body {
				t.Errorf("body:\n%s\nwant:\n%s", h.Body, tt.body)
			}
			if !strings.Contains(h.How, tt.how) {
				t.Errorf("How = %q; want it to contain %q", h.How, tt.how)
			}
			compileHash(t, pkg, tt.v, h.Body, sc)
		})
	}
}

// compileHash type-checks a hash body in a function of the key's package
// with the helpers the map template gives it, so a body that converts or
// selects wrongly fails here, not in a user's build.
func compileHash(t *testing.T, pkg *types.Package, v, body string, sc *emit.Scope) {
	t.Helper()
	key := sc.Type(typeOf(t, pkg, v))
	src := "package p\n\n" + sc.Decl([]byte(body+"\n"+key)) + `
type hashSeed struct{ mix mixSeed }
type mixSeed struct{}

func hashU64(s *mixSeed, x uint64) uint64           { return x }
func hashU64x2(s *mixSeed, x, y uint64) uint64      { return x ^ y }
func hashStr(s *hashSeed, x string) uint64          { return uint64(len(x)) }

func hash(s *hashSeed, k ` + key + `) uint64 {
` + body + `
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "hash.go", src, 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	// The key's package, with the hash function added to it.
	files := []*ast.File{f}
	conf := types.Config{Importer: importerFunc(func(p string) (*types.Package, error) {
		for _, imp := range pkg.Imports() {
			if imp.Path() == p {
				return imp, nil
			}
		}
		return importer.Default().Import(p)
	})}
	// Declare the key types again beside the hash: the package is
	// checked anew from its source.
	keySrc, err := parser.ParseFile(fset, "keys.go", keyTypes[1], 0)
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, keySrc)
	if _, err := conf.Check(pkg.Path(), fset, files, nil); err != nil {
		t.Errorf("hash body does not compile: %v\n%s", err, src)
	}
}

func TestUnderlyingGuard(t *testing.T) {
	pkg := checked(t, keyTypes...)
	tests := []struct{ v, want string }{
		{"vID", "var _ = (*int64)((*ID)(nil))"},
		{"vName", "var _ = (*string)((*Name)(nil))"},
		{"vKey", "var _ = (*struct {\n\tA int64\n\tB int64\n})((*Key)(nil))"},
		{"vOwn", "var _ = (*struct {\n\tx int\n\ty uint16\n})((*own)(nil))"},
		{"vOpen", "var _ = (*struct {\n\tA int32\n\tB int32\n})((*other.Open)(nil))"},
		{"vDuration", "var _ = (*int64)((*time.Duration)(nil))"},
		// Unnamed types have nothing behind them to change; an alias is
		// the type it stands for.
		{"vInt", ""},
		{"vArray", ""},
		{"vAlias", ""},
		{"vPtr", ""},
		// Another package's unexported field cannot be spelled.
		{"vOtherKey", ""},
	}
	for _, tt := range tests {
		sc := emit.NewScope(pkg.Path(), nil, nil)
		if got := emit.UnderlyingGuard(typeOf(t, pkg, tt.v), pkg, sc); got != tt.want {
			t.Errorf("UnderlyingGuard(%s) =\n%s\nwant\n%s", tt.v, got, tt.want)
		}
	}
}

// TestMayBeNaN: the keyed limiters refuse a key not equal to itself only for
// the key types that can hold one: floats, complex numbers, interfaces, and
// structs and arrays holding one (blank fields aside, as == ignores them).
func TestMayBeNaN(t *testing.T) {
	pkg := checked(t, keyTypes...)
	for v, want := range map[string]bool{
		"vFloat": true, "vComplex": true, "vIface": true, "vError": true,
		"vMixed": true, // its float32 field
		"vInt":   false, "vString": false, "vBool": false, "vPtr": false, "vKey": false,
		"vNested": false, "vArray": false, "vChan": false, "vDuration": false, "vEmpty": false,
		"vOtherKey": false, "vNoFields": false, "vStrArray": false,
	} {
		if got := emit.MayBeNaN(typeOf(t, pkg, v)); got != want {
			t.Errorf("MayBeNaN(%s) = %v, want %v", v, got, want)
		}
	}
}

// TestStringKeyHooks: a key that is a string, or holds one string and
// nothing else that == compares (a struct of one string field, a [1]string),
// gets Load's short-string hooks over that string. For the struct and the
// array they called len(k) on the key itself, and the output did not
// compile (an internal error).
func TestStringKeyHooks(t *testing.T) {
	pkg := checked(t, keyTypes...)
	for _, tt := range []struct{ v, short, hashShort, equal string }{
		{"vString", "return len(k) >= 8 && len(k) <= 16", "return hashStr8to16(&s.mix, k)",
			"return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)"},
		{"vName", "return len(k) >= 8 && len(k) <= 16", "return hashStr8to16(&s.mix, string(k))",
			"return len(a) == len(b) && (unsafe.StringData(string(a)) == unsafe.StringData(string(b)) || a == b)"},
		{"vOneStr", "return len(string(k.S)) >= 8 && len(string(k.S)) <= 16", "return hashStr8to16(&s.mix, string(k.S))",
			"return len(string(a.S)) == len(string(b.S)) && (unsafe.StringData(string(a.S)) == unsafe.StringData(string(b.S)) || a == b)"},
		{"vStr1", "return len(k[0]) >= 8 && len(k[0]) <= 16", "return hashStr8to16(&s.mix, k[0])",
			"return len(a[0]) == len(b[0]) && (unsafe.StringData(a[0]) == unsafe.StringData(b[0]) || a == b)"},
	} {
		t.Run(tt.v, func(t *testing.T) {
			sc := emit.NewScope(pkg.Path(), nil, nil)
			h, ok := emit.HashFor(typeOf(t, pkg, tt.v), pkg, sc)
			if !ok {
				t.Fatalf("HashFor declined %s", tt.v)
			}
			if h.ShortKey != tt.short || h.HashShort != tt.hashShort || h.EqualKey != tt.equal {
				t.Errorf("hooks:\n%s\n%s\n%s\nwant:\n%s\n%s\n%s", h.ShortKey, h.HashShort, h.EqualKey, tt.short, tt.hashShort, tt.equal)
			}
			compileHash(t, pkg, tt.v, h.Body, sc)
			key := sc.Type(typeOf(t, pkg, tt.v))
			compileFuncs(t, pkg, sc, h.ShortKey+"\n"+h.HashShort+"\n"+h.EqualKey+"\n"+key, `
func shortKey(k `+key+`) bool {
`+h.ShortKey+`
}

func hashShort(s *hashSeed, k `+key+`) uint64 {
`+h.HashShort+`
}

func equalKey(a, b `+key+`) bool {
`+h.EqualKey+`
}
`)
		})
	}
}

// compileFuncs type-checks funcs, which use the names of uses, in the key
// types' package with the helpers of the map template.
func compileFuncs(t *testing.T, pkg *types.Package, sc *emit.Scope, uses, funcs string) {
	t.Helper()
	src := "package p\n\n" + sc.Decl([]byte(uses)) + `
type hashSeed struct{ mix mixSeed }
type mixSeed struct{}

func hashStr8to16(s *mixSeed, x string) uint64 { return uint64(len(x)) }
` + funcs
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "hooks.go", src, 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	keySrc, err := parser.ParseFile(fset, "keys.go", keyTypes[1], 0)
	if err != nil {
		t.Fatal(err)
	}
	conf := types.Config{Importer: importerFunc(func(p string) (*types.Package, error) {
		for _, imp := range pkg.Imports() {
			if imp.Path() == p {
				return imp, nil
			}
		}
		return importer.Default().Import(p)
	})}
	if _, err := conf.Check(pkg.Path(), fset, []*ast.File{f, keySrc}, nil); err != nil {
		t.Errorf("hooks do not compile: %v\n%s", err, src)
	}
}

// TestByteArrayEqualKey: a byte-array key longer than 16 bytes, which ==
// compares with a call of runtime.memequal, is compared a word at a time in
// place, the last word overlapping the one before as the hash reads it; up
// to 16 bytes, and past 64, == stays.
func TestByteArrayEqualKey(t *testing.T) {
	pkg := checked(t, keyTypes...)
	for v, want := range map[string]string{
		"vBytes20": "return binary.LittleEndian.Uint64(a[0:8]) == binary.LittleEndian.Uint64(b[0:8]) &&\n" +
			"\tbinary.LittleEndian.Uint64(a[8:16]) == binary.LittleEndian.Uint64(b[8:16]) &&\n" +
			"\tbinary.LittleEndian.Uint64(a[12:20]) == binary.LittleEndian.Uint64(b[12:20])",
		"vArray":   "",
		"vBytes8":  "",
		"vHasUUID": "",
		"vBytes64": "return binary.LittleEndian.Uint64(a[0:8]) == binary.LittleEndian.Uint64(b[0:8]) &&\n" +
			"\tbinary.LittleEndian.Uint64(a[8:16]) == binary.LittleEndian.Uint64(b[8:16]) &&\n" +
			"\tbinary.LittleEndian.Uint64(a[16:24]) == binary.LittleEndian.Uint64(b[16:24]) &&\n" +
			"\tbinary.LittleEndian.Uint64(a[24:32]) == binary.LittleEndian.Uint64(b[24:32]) &&\n" +
			"\tbinary.LittleEndian.Uint64(a[32:40]) == binary.LittleEndian.Uint64(b[32:40]) &&\n" +
			"\tbinary.LittleEndian.Uint64(a[40:48]) == binary.LittleEndian.Uint64(b[40:48]) &&\n" +
			"\tbinary.LittleEndian.Uint64(a[48:56]) == binary.LittleEndian.Uint64(b[48:56]) &&\n" +
			"\tbinary.LittleEndian.Uint64(a[56:64]) == binary.LittleEndian.Uint64(b[56:64])",
	} {
		h, ok := emit.HashFor(typeOf(t, pkg, v), pkg, emit.NewScope(pkg.Path(), nil, nil))
		if !ok {
			t.Fatalf("HashFor declined %s", v)
		}
		if h.EqualKey != want {
			t.Errorf("%s: EqualKey:\n%s\nwant:\n%s", v, h.EqualKey, want)
		}
	}
}
