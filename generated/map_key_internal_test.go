package generated

import (
	"fmt"
	"strings"
	"testing"
)

// TestStringMapEqualShortKeyComparesEveryByte checks the key comparison of
// StringMap.Load for keys of 8 to 16 bytes, which compares keys of the same
// length at different addresses by their first and last eight bytes: those
// must cover every byte. For each length and each byte, a key differing in
// that byte alone is another key, and a copy is the same key.
func TestStringMapEqualShortKeyComparesEveryByte(t *testing.T) {
	for n := 8; n <= 16; n++ {
		key := strings.Repeat("k", n)
		for i := range n {
			b := []byte(key)
			b[i]++
			if stringMapEqualShortKey(string(b), key) || stringMapEqualShortKey(key, string(b)) {
				t.Errorf("%q and %q, which differ in byte %d, compare equal", b, key, i)
			}
		}
		if c := strings.Clone(key); !stringMapEqualShortKey(c, key) {
			t.Errorf("%q and a copy of it at another address compare unequal", key)
		}
		long := key + "x" // shares the bytes of key, one longer
		if stringMapEqualShortKey(long, key) || stringMapEqualShortKey(long[:n-1], key[:n-1]+"!") {
			t.Errorf("keys of different lengths or bytes compare equal: %q", key)
		}
	}
}

// TestStringMapLoadTellsApartKeysOfOneMetaByte stores a 16-byte key, finds
// another 16-byte key that the map's seed sends to the same shard and bucket
// with the same meta byte, and looks it up: Load then reaches the stored
// entry and must compare the bytes of the two keys (inline), not stop at
// their equal lengths. A copy of the stored key must still be found.
func TestStringMapLoadTellsApartKeysOfOneMetaByte(t *testing.T) {
	m := NewStringMap()
	stored := fmt.Sprintf("key-%012d", 0)
	m.Store(stored, 1)
	h := stringMapHashKey(&m.seed, stored)
	si := stringMapShardOf(&m.seed, stored, h)
	tb := m.shards[si].table.Load()
	var twin string
	for i := 1; i < 1<<24; i++ {
		k := fmt.Sprintf("key-%012d", i)
		hk := stringMapHashKey(&m.seed, k)
		if stringMapShardOf(&m.seed, k, hk) == si && tb.bucketOf(hk) == tb.bucketOf(h) && mapH2(hk) == mapH2(h) {
			twin = k
			break
		}
	}
	if twin == "" {
		t.Fatal("no key of the stored key's shard, bucket and meta byte among 16M")
	}
	if v, ok := m.Load(twin); ok {
		t.Fatalf("Load(%q), a key with the meta byte of %q = %d, true; want absent", twin, stored, v)
	}
	if v, ok := m.Load(strings.Clone(stored)); !ok || v != 1 {
		t.Fatalf("Load(copy of %q) = %d, %v; want 1, true", stored, v, ok)
	}
}
