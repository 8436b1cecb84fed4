package gen

import "testing"

// TestDropUnusedImports checks that the imports a benchmark file does not use
// are removed, and only those: a path ending in a major version (v2) is
// kept, its package name being unknown.
func TestDropUnusedImports(t *testing.T) {
	src := `package x

import (
	"context"
	"sync/atomic"
	"testing"
	"unsafe"

	"example.com/m/v2"
	unused "example.com/templates/pool"
	tpl "example.com/templates/queue"
)

// BenchmarkX mentions atomic.Int64 in a comment only.
func BenchmarkX(b *testing.B) {
	_ = context.Background()
	_ = tpl.New
}
`
	want := `package x

import (
	"context"
	"testing"

	"example.com/m/v2"
	tpl "example.com/templates/queue"
)

// BenchmarkX mentions atomic.Int64 in a comment only.
func BenchmarkX(b *testing.B) {
	_ = context.Background()
	_ = tpl.New
}
`
	got, err := dropUnusedImports([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// Nothing to drop: the same bytes.
	again, err := dropUnusedImports(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(got) {
		t.Errorf("second pass changed the file:\n%s", again)
	}
}
