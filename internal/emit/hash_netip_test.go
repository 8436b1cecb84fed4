package emit_test

import (
	"testing"

	"github.com/monogen/monogen/internal/emit"
)

// TestHashForNetipAddr checks that a netip.Addr key, whose fields are
// hidden, is hashed from its 16 bytes rather than by maphash.Comparable.
func TestHashForNetipAddr(t *testing.T) {
	pkg := checked(t, "package p\nimport \"net/netip\"\nvar vAddr netip.Addr\n")
	sc := emit.NewScope(pkg.Path(), nil, nil)
	h, ok := emit.HashFor(typeOf(t, pkg, "vAddr"), pkg, sc)
	if !ok {
		t.Fatal("HashFor declined netip.Addr")
	}
	want := "a := k.As16()\nreturn hashU64x2(&s.mix, binary.LittleEndian.Uint64(a[:8]), binary.LittleEndian.Uint64(a[8:]))"
	if h.Body != want {
		t.Errorf("body:\n%s\nwant:\n%s", h.Body, want)
	}
}
