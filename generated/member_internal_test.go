package generated

import (
	"testing"
	"unsafe"
)

// TestPoolMemberIsOneCacheLine checks the promise of a pool's member type:
// 64 bytes, a size class of its own, so that the done position a worker
// stores per task shares its cache line with no other worker. A pool
// without metrics pads the shared worker handle itself; one with metrics
// holds the pointer to its stats in the padding, and is the same for every
// pool with metrics: poolMember, shared.
func TestPoolMemberIsOneCacheLine(t *testing.T) {
	for name, size := range map[string]uintptr{
		"tinyPoolMember (no metrics)": unsafe.Sizeof(tinyPoolMember{}),
		"poolMember (metrics=true)":   unsafe.Sizeof(poolMember{}),
	} {
		if size != 64 {
			t.Errorf("%s is %d bytes, want 64", name, size)
		}
	}
}
