package shardmap

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
)

// hashSeed holds a map's random hash keys, chosen per map so that keys chosen
// by an attacker cannot flood one bucket.
//
// mix keys the fast mixers below, which specialized hashKey bodies call; seed
// keys maphash, the reference hasher and the fallback for long strings.
type hashSeed struct {
	mix  mixSeed
	seed maphash.Seed
}

// mixSeed holds the random keys of the fast mixers. k0 is odd, so that it
// can also serve as the multiplier of a multiply-shift.
type mixSeed struct{ k0, k1 uint64 }

// newHashSeed returns fresh random hash keys.
func newHashSeed() hashSeed {
	return hashSeed{mix: mixSeed{k0: rand.Uint64() | 1, k1: rand.Uint64()}, seed: maphash.MakeSeed()}
}

// hashKey returns the hash of k under s. Every bit of the result must be well
// mixed: the top shardBits bits pick the shard (unless shardOf is
// specialized), the h2Bits low bits the meta byte, the bits above them the
// bucket.
//
// The stencil replaces the body by a hasher for the concrete key type:
// hashU64 for integers, pointers and bools, hashStr for strings, hashU64x2
// folded over the words of small structs and arrays, and maphash.Comparable
// for the rest.
//
//monogen:hook
func hashKey[K comparable](s *hashSeed, k K) uint64 { return maphash.Comparable(s.seed, k) }

// shardOf returns the shard of a key whose hash is h: a number below
// shardCount, the shardBits bits of h below its top bit. Every operation on
// a key uses the same shard.
//
//monogen:note The stencil replaces the body by shardU64 for keys that are one
//monogen:note 64-bit word (integers, pointers, bools): the shard then does
//monogen:note not wait for h, and a lookup loads the shard's table while the
//monogen:note hash is still being computed, instead of after it.
//monogen:hook
func shardOf[K comparable](s *hashSeed, k K, h uint64) uint64 { return h >> 1 >> shardShift }

// shardU64 picks the shard of one 64-bit word by multiply-shift: the
// shardBits bits below the top bit of x times k0, which is odd (the top bit
// is left out so that one shard needs no shift by 64). Multiply-shift with a random odd
// multiplier is a universal family, so keys chosen without knowing the seed
// spread over the shards as random ones do; the bucket and the meta byte
// still come from the full hash. It costs one multiplication, against two
// for hashU64, and needs no hash.
func shardU64(s *mixSeed, x uint64) uint64 { return x * s.k0 >> 1 >> shardShift }

// The mixers below are built from the folded 128-bit multiply of wyhash and
// mum-hash: the product of two seeded words, whose halves feed a second
// product. One multiplication leaves some seeds with visibly uneven top and
// low bits on sequential or shifted integers; two spread every input bit over
// every output bit (the tests measure it). Inputs for which a first factor is
// zero, or that swap the first factors, collide; which inputs those are
// depends on the random keys, so an attacker cannot aim at them.

// hashU64 hashes one 64-bit word: an integer of any size, a pointer's
// address, a bool. Rotating the second factor keeps x and x^k0^k1 from
// swapping the factors.
func hashU64(s *mixSeed, x uint64) uint64 {
	hi, lo := bits.Mul64(x^s.k0, bits.RotateLeft64(x, 32)^s.k1)
	hi, lo = bits.Mul64(hi^s.k1, lo^s.k0)
	return hi ^ lo
}

// hashU64x2 hashes two 64-bit words, such as a 16-byte struct. Longer
// values chain it: h = hashU64x2(s, w0, w1); h = hashU64x2(s, h^w2, w3); ...
func hashU64x2(s *mixSeed, a, b uint64) uint64 {
	hi, lo := bits.Mul64(a^s.k0, b^s.k1)
	hi, lo = bits.Mul64(hi^s.k1, lo^s.k0)
	return hi ^ lo
}

// shortKey reports whether Load hashes k with hashShort instead of
// hashKey. The generic body accepts no key.
//
//monogen:note The stencil accepts the string keys of 8 to 16 bytes, with
//monogen:note shortHash set: see Load.
//monogen:hook
func shortKey[K comparable](k K) bool { return false }

// hashShort returns hashKey(s, k), for a key that shortKey accepts, with
// code small enough that the compiler inlines it into Load.
//
//monogen:note The stencil gives string keys hashStr8to16: hashStr, too big
//monogen:note to inline, costs Load a call.
//monogen:hook
func hashShort[K comparable](s *hashSeed, k K) uint64 { return hashKey(s, k) }

// hashStr hashes a string. Up to 32 bytes it reads the string as at most
// four overlapping 8-byte words (or two 4-byte ones, or three bytes) and
// mixes them wyhash-style, with the length, faster than maphash.String's
// call; longer strings go to maphash.String, whose AES rounds win there.
func hashStr(s *hashSeed, x string) uint64 {
	n := len(x)
	var a, b uint64
	switch {
	case n > 32:
		return maphash.String(s.seed, x)
	case n > 16:
		hi0, lo0 := bits.Mul64(le64(x)^s.mix.k0, le64(x[8:])^s.mix.k1)
		hi1, lo1 := bits.Mul64(le64(x[n-16:])^s.mix.k1, le64(x[n-8:])^s.mix.k0)
		a, b = hi0^lo0, hi1^lo1
	case n >= 8:
		a, b = le64(x), le64(x[n-8:])
	case n >= 4:
		a, b = uint64(le32(x)), uint64(le32(x[n-4:]))
	case n > 0:
		a = uint64(x[0])<<16 | uint64(x[n>>1])<<8 | uint64(x[n-1])
	}
	return mixStr(&s.mix, a, b, uint64(n))
}

// hashStr8to16 returns hashStr(s, x) for a string x of 8 to 16 bytes. It
// is small enough to inline.
func hashStr8to16(s *mixSeed, x string) uint64 {
	n := len(x)
	return mixStr(s, le64(x), le64(x[n-8:]), uint64(n))
}

// mixStr returns the hash of a string of n bytes that hashStr has read as
// the words a and b.
func mixStr(s *mixSeed, a, b, n uint64) uint64 {
	hi, lo := bits.Mul64(a^s.k0, b^s.k1)
	hi, lo = bits.Mul64(lo^s.k1^n, hi^s.k0)
	return hi ^ lo
}

// le64 returns the first 8 bytes of x as a little-endian word. The
// conversion does not copy x: the compiler reads the bytes in place, with one
// load where the platform allows unaligned ones.
func le64(x string) uint64 { return binary.LittleEndian.Uint64([]byte(x)) }

// le32 returns the first 4 bytes of x as a little-endian word.
func le32(x string) uint32 { return binary.LittleEndian.Uint32([]byte(x)) }
