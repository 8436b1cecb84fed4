package emit_test

import (
	"fmt"
	"testing"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/emit"
)

func TestKeyFrom(t *testing.T) {
	pkg := checked(t, keyTypes...)
	tests := []struct {
		v    string
		want string // "" when KeyFrom declines
	}{
		{"vInt", "int(i)"},
		{"vUint8", "uint8(i)"},
		{"vID", "ID(i)"},
		{"vDuration", "time.Duration(i)"},
		{"vFloat", "float64(i)"},
		{"vString", "strconv.Itoa(i)"},
		{"vName", "Name(strconv.Itoa(i))"},
		{"vBool", "i%2 == 0"},
		{"vPtr", "new(Key)"},
		{"vPtrNamed", "(Ptr)(new(Key))"},
		{"vIface", "(any)(i)"},
		{"vKey", "Key{A: int64(i)}"},
		{"vPair", "Pair{S: strconv.Itoa(i)}"},
		{"vNested", "Nested{K: Key{A: int64(i)}}"},
		{"vArray", "[16]byte{byte(i)}"},
		{"vOpen", "other.Open{A: int32(i)}"},
		// An unexported field of another package is skipped for one that
		// can vary.
		{"vOtherKey", "other.Key{ID: int64(i)}"},
		{"vOwn", "own{x: int(i)}"},
		// A bool field makes two keys: a field that varies comes first.
		{"vFlagged", "Flagged{N: uint16(i)}"},
		{"vOnlyFlag", "OnlyFlag{On: i%2 == 0}"},
		// Nothing to vary.
		{"vEmpty", ""},
		{"vNoFields", ""},
		{"vChan", ""},
		{"vError", ""},
		{"vComplex", "complex128(complex(float64(i), 0))"},
		// Usual keys whose fields are hidden.
		{"vAddr", "netip.AddrFrom4([4]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})"},
		{"vAddrPort", "netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}), 1)"},
		{"vTime", "time.Unix(0, int64(i))"},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			sc := emit.NewScope(pkg.Path(), nil, nil)
			code, ok := emit.KeyFrom(typeOf(t, pkg, tt.v), jen.Id("i"), pkg, sc)
			if tt.want == "" {
				if ok {
					t.Fatalf("KeyFrom(%s) = %#v; want none", tt.v, code)
				}
				return
			}
			if !ok {
				t.Fatalf("KeyFrom(%s) declined; want %s", tt.v, tt.want)
			}
			if got := fmt.Sprintf("%#v", code); got != tt.want {
				t.Errorf("KeyFrom(%s) = %s; want %s", tt.v, got, tt.want)
			}
		})
	}
}
