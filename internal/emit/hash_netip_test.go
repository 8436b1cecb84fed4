package emit_test

import (
	"testing"

	"github.com/monogen/monogen/internal/emit"
)

// TestHashForNetipAddr checks that a netip.Addr key, whose fields are
// hidden, is hashed from its bytes rather than by maphash.Comparable, and
// through AsSlice, not As16: the copy of As16's array is read back with a
// load that the CPU cannot forward from the two stores that wrote it.
func TestHashForNetipAddr(t *testing.T) {
	pkg := checked(t, "package p\nimport \"net/netip\"\nvar vAddr netip.Addr\n")
	sc := emit.NewScope(pkg.Path(), nil, nil)
	h, ok := emit.HashFor(typeOf(t, pkg, "vAddr"), pkg, sc)
	if !ok {
		t.Fatal("HashFor declined netip.Addr")
	}
	want := `b := k.AsSlice()
if len(b) == 16 {
	return hashU64x2(&s.mix, binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:]))
}
if len(b) == 4 {
	return hashU64(&s.mix, uint64(binary.BigEndian.Uint32(b)))
}
// The zero Addr: a word no IPv4 address gives.
return hashU64(&s.mix, 1<<32)`
	if h.Body != want {
		t.Errorf("body:\n%s\nwant:\n%s", h.Body, want)
	}
}
