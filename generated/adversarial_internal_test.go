package generated

import (
	"fmt"
	"testing"
)

// chains returns the longest bucket chain and the mean chain length over
// the non-empty buckets of every shard: the number of buckets a lookup of a
// present key may have to probe.
func chains[T any](buckets func(shard int) []*T, next func(*T) *T, shards int) (longest int, mean float64) {
	total, used := 0, 0
	for s := 0; s < shards; s++ {
		for _, b := range buckets(s) {
			n := 0
			for c := b; c != nil; c = next(c) {
				n++
			}
			total += n
			used++
			longest = max(longest, n)
		}
	}
	return longest, float64(total) / float64(max(used, 1))
}

// TestAdversarialKeysCostBounded stores keys that defeat weak hashes (all
// equal in their low 20 bits; equal in every bit but the top ones; struct
// keys with mirrored fields) and checks that no lookup has to walk more
// than a few buckets: the seeded mixers spread them like random keys.
func TestAdversarialKeysCostBounded(t *testing.T) {
	const n = 1 << 14
	// The bound: with 5 entries a bucket and a 0.75 load factor, random keys
	// give chains of one or two buckets; four means the hash is broken.
	const maxChain = 4
	check := func(name string, longest int, mean float64) {
		t.Helper()
		t.Logf("%s: longest chain %d buckets, mean %.2f", name, longest, mean)
		if longest > maxChain || mean > 1.5 {
			t.Errorf("%s: longest chain %d buckets (mean %.2f); want at most %d: keys collide", name, longest, mean, maxChain)
		}
	}
	for _, pattern := range []struct {
		name string
		key  func(i int) int
	}{
		{"low 20 bits equal", func(i int) int { return i << 20 }},
		{"top bits only", func(i int) int { return i << 50 }},
		{"sequential", func(i int) int { return i }},
	} {
		m := NewIntMap()
		for i := 0; i < n; i++ {
			m.Store(pattern.key(i), i)
		}
		if m.Len() != n {
			t.Fatalf("%s: Len %d, want %d", pattern.name, m.Len(), n)
		}
		longest, mean := chains(func(s int) []*intMapBucket {
			t := m.shards[s].table.Load()
			out := make([]*intMapBucket, len(t.buckets))
			for i := range t.buckets {
				out[i] = &t.buckets[i]
			}
			return out
		}, func(b *intMapBucket) *intMapBucket { return b.next.Load() }, len(m.shards))
		check("int keys, "+pattern.name, longest, mean)
	}

	s := NewStructMap()
	for i := 0; i < n; i++ {
		s.Store(Key16{A: int64(i), B: int64(i)}, i) // a^b is zero for every key
	}
	longest, mean := chains(func(sh int) []*structMapBucket {
		t := s.shards[sh].table.Load()
		out := make([]*structMapBucket, len(t.buckets))
		for i := range t.buckets {
			out[i] = &t.buckets[i]
		}
		return out
	}, func(b *structMapBucket) *structMapBucket { return b.next.Load() }, len(s.shards))
	check("struct keys with A == B", longest, mean)

	str := NewStringMap()
	for i := 0; i < n; i++ {
		str.Store(fmt.Sprintf("%032d", i), i) // long shared prefix
	}
	longest, mean = chains(func(sh int) []*stringMapBucket {
		t := str.shards[sh].table.Load()
		out := make([]*stringMapBucket, len(t.buckets))
		for i := range t.buckets {
			out[i] = &t.buckets[i]
		}
		return out
	}, func(b *stringMapBucket) *stringMapBucket { return b.next.Load() }, len(str.shards))
	check("strings with a 28-byte shared prefix", longest, mean)

	// Byte-array keys read as words: UUIDs that differ only in the top two
	// bytes of each word, and 32-byte arrays that differ only in their last
	// two bytes.
	u := NewUUIDMap()
	for i := 0; i < n; i++ {
		var k UUID
		k[6], k[7], k[14], k[15] = byte(i), byte(i), byte(i>>8), byte(i>>8)
		u.Store(k, i)
	}
	longest, mean = chains(func(sh int) []*uuidMapBucket {
		t := u.shards[sh].table.Load()
		out := make([]*uuidMapBucket, len(t.buckets))
		for i := range t.buckets {
			out[i] = &t.buckets[i]
		}
		return out
	}, func(b *uuidMapBucket) *uuidMapBucket { return b.next.Load() }, len(u.shards))
	check("UUIDs differing in 4 bytes", longest, mean)

	d := NewDigestMap()
	for i := 0; i < n; i++ {
		var k Digest
		k[30], k[31] = byte(i), byte(i>>8)
		d.Store(k, i)
	}
	longest, mean = chains(func(sh int) []*digestMapBucket {
		t := d.shards[sh].table.Load()
		out := make([]*digestMapBucket, len(t.buckets))
		for i := range t.buckets {
			out[i] = &t.buckets[i]
		}
		return out
	}, func(b *digestMapBucket) *digestMapBucket { return b.next.Load() }, len(d.shards))
	check("32-byte arrays differing in the last 2 bytes", longest, mean)
}
