package shardmap

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"strings"
	"testing"
)

// chiSquare returns the chi-square statistic of the field of nb (a power of
// two) values at bit shift of the hashes hs, against a uniform spread.
func chiSquare(hs []uint64, shift uint, nb int) float64 {
	counts := make([]int, nb)
	for _, h := range hs {
		counts[(h>>shift)&uint64(nb-1)]++
	}
	want := float64(len(hs)) / float64(nb)
	var x float64
	for _, c := range counts {
		d := float64(c) - want
		x += d * d / want
	}
	return x
}

// checkSpread fails if the shard bits (top shardBits), the meta bits (low
// h2Bits) or ten bucket bits above them are not spread evenly over the
// hashes hs. The bounds are about three times the degrees of freedom: a fair
// hash exceeds them with a probability far below one in a million.
func checkSpread(t *testing.T, name string, hs []uint64) {
	t.Helper()
	fields := []struct {
		name  string
		shift uint
		bits  int
	}{
		{"top 6 bits", 58, 6},
		{"low 7 bits", 0, 7},
		{"bits 7-16", 7, 10},
	}
	for _, f := range fields {
		nb := 1 << f.bits
		if x := chiSquare(hs, f.shift, nb); x > 3*float64(nb) {
			t.Errorf("%s: %s spread unevenly: chi-square %.0f for %d degrees of freedom", name, f.name, x, nb-1)
		}
	}
}

const spreadKeys = 1 << 15

func TestHashU64Spread(t *testing.T) {
	patterns := map[string]func(i int) uint64{
		"sequential":    func(i int) uint64 { return uint64(i) },
		"negative":      func(i int) uint64 { return uint64(-i) },
		"stride 8":      func(i int) uint64 { return uint64(i) << 3 },
		"stride 2^20":   func(i int) uint64 { return uint64(i) << 20 },
		"high half":     func(i int) uint64 { return uint64(i) << 32 },
		"top bits":      func(i int) uint64 { return uint64(i) << 49 },
		"heap pointers": func(i int) uint64 { return 0xc000010000 + uint64(i)*48 },
	}
	hs := make([]uint64, spreadKeys)
	for seed := range 8 {
		s := newHashSeed()
		for name, p := range patterns {
			for i := range hs {
				hs[i] = hashU64(&s.mix, p(i))
			}
			checkSpread(t, fmt.Sprintf("hashU64/%s/seed %d", name, seed), hs)
		}
	}
}

func TestHashU64x2Spread(t *testing.T) {
	patterns := map[string]func(i int) (uint64, uint64){
		"{i, 0}":         func(i int) (uint64, uint64) { return uint64(i), 0 },
		"{0, i}":         func(i int) (uint64, uint64) { return 0, uint64(i) },
		"{i, i}":         func(i int) (uint64, uint64) { return uint64(i), uint64(i) },
		"{i/128, i%128}": func(i int) (uint64, uint64) { return uint64(i / 128), uint64(i % 128) },
		"{i<<32, -i}":    func(i int) (uint64, uint64) { return uint64(i) << 32, uint64(-i) },
	}
	hs := make([]uint64, spreadKeys)
	for seed := range 8 {
		s := newHashSeed()
		for name, p := range patterns {
			for i := range hs {
				a, b := p(i)
				hs[i] = hashU64x2(&s.mix, a, b)
			}
			checkSpread(t, fmt.Sprintf("hashU64x2/%s/seed %d", name, seed), hs)
		}
	}
}

func TestHashStrSpread(t *testing.T) {
	patterns := map[string]func(i int) string{
		"decimal":   func(i int) string { return fmt.Sprint(i) },
		"8 bytes":   func(i int) string { return fmt.Sprintf("%08d", i) },
		"16 bytes":  func(i int) string { return fmt.Sprintf("session-%08d", i) },
		"24 bytes":  func(i int) string { return fmt.Sprintf("user:%08d:profile-xx", i) },
		"32 bytes":  func(i int) string { return fmt.Sprintf("%016x%016x", i, i*7) },
		"40 bytes":  func(i int) string { return fmt.Sprintf("tenant/eu-west/%010d/objects/k", i) },
		"3 bytes":   func(i int) string { return string([]byte{byte(i), byte(i >> 8), 'x'}) },
		"5 bytes":   func(i int) string { return string([]byte{'a', byte(i), 'b', byte(i >> 8), 'c'}) },
		"prefix 12": func(i int) string { return "abcdefghijkl"[:i%13] + fmt.Sprint(i) },
	}
	hs := make([]uint64, spreadKeys)
	for seed := range 4 {
		s := newHashSeed()
		for name, p := range patterns {
			for i := range hs {
				hs[i] = hashStr(&s, p(i))
			}
			checkSpread(t, fmt.Sprintf("hashStr/%s/seed %d", name, seed), hs)
		}
	}
}

// TestHashAvalanche checks that flipping any input bit flips each output bit
// about half of the time.
func TestHashAvalanche(t *testing.T) {
	const samples = 4000
	r := rand.New(rand.NewPCG(3, 4))
	s := newHashSeed()
	check := func(name string, h func(a, b uint64) uint64, inputBits int) {
		for in := range inputBits {
			var flips [64]int
			for range samples {
				a, b := r.Uint64(), r.Uint64()
				h0 := h(a, b)
				if in < 64 {
					a ^= 1 << in
				} else {
					b ^= 1 << (in - 64)
				}
				d := h0 ^ h(a, b)
				for out := range flips {
					flips[out] += int(d >> out & 1)
				}
			}
			for out, f := range flips {
				// 0.5 +- 0.07 is more than eight standard deviations.
				if p := float64(f) / samples; p < 0.43 || p > 0.57 {
					t.Errorf("%s: input bit %d flips output bit %d with probability %.3f", name, in, out, p)
				}
			}
		}
	}
	check("hashU64", func(a, _ uint64) uint64 { return hashU64(&s.mix, a) }, 64)
	check("hashU64x2", func(a, b uint64) uint64 { return hashU64x2(&s.mix, a, b) }, 128)
}

func TestHashDeterministic(t *testing.T) {
	s1, s2 := newHashSeed(), newHashSeed()
	xs := make([]uint64, 1000)
	one, two := make([]uint64, len(xs)), make([]uint64, len(xs))
	for i := range xs {
		xs[i] = rand.Uint64()
		one[i], two[i] = hashU64(&s1.mix, xs[i]), hashU64x2(&s1.mix, xs[i], uint64(i))
	}
	for i, x := range xs { // again, after the other hashes
		if got := hashU64(&s1.mix, x); got != one[i] {
			t.Fatalf("hashU64(%#x) = %#x, then %#x", x, one[i], got)
		}
		if got := hashU64x2(&s1.mix, x, uint64(i)); got != two[i] {
			t.Fatalf("hashU64x2(%#x, %d) = %#x, then %#x", x, i, two[i], got)
		}
	}
	full := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 2)
	for n := 0; n <= 40; n++ {
		x := full[:n]
		y := string([]byte(x)) // same contents, another array
		h := hashStr(&s1, x)
		if hashStr(&s1, y) != h {
			t.Fatalf("len %d: equal strings hash differently", n)
		}
		if hashStr(&s2, x) == h {
			t.Fatalf("len %d: %q hashes the same under two seeds", n, x)
		}
		// Every byte of a string counts.
		for i := range n {
			b := []byte(x)
			b[i] ^= 1
			if hashStr(&s1, string(b)) == h {
				t.Fatalf("len %d: flipping byte %d leaves the hash unchanged", n, i)
			}
		}
	}
	// The length counts, even when the bytes read are the same.
	seen := make(map[uint64]int)
	for n := 0; n <= 40; n++ {
		h := hashStr(&s1, strings.Repeat("a", n))
		if m, dup := seen[h]; dup {
			t.Fatalf("strings of %d and %d 'a's hash the same", m, n)
		}
		seen[h] = n
	}
}

var hashSink uint64

func BenchmarkHash(b *testing.B) {
	s := newHashSeed()
	// Keys vary per iteration so the work cannot be hoisted; the index is
	// masked so the key load stays in L1.
	ints := make([]uint64, 1024)
	for i := range ints {
		ints[i] = rand.Uint64()
	}
	str8 := make([]string, 1024)
	str32 := make([]string, 1024)
	for i := range str8 {
		str8[i] = fmt.Sprintf("%08x", rand.Uint32())
		str32[i] = fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64())
	}
	type struct16 struct{ A, B int64 }
	b.Run("key=int/impl=hashU64", func(b *testing.B) {
		var h uint64
		i := 0
		for b.Loop() {
			h += hashU64(&s.mix, ints[i&1023])
			i++
		}
		hashSink = h
	})
	b.Run("key=int/impl=maphash", func(b *testing.B) {
		var h uint64
		i := 0
		for b.Loop() {
			h += maphash.Comparable(s.seed, int(ints[i&1023]))
			i++
		}
		hashSink = h
	})
	for _, c := range []struct {
		name string
		keys []string
	}{{"str8", str8}, {"str32", str32}} {
		b.Run("key="+c.name+"/impl=hashStr", func(b *testing.B) {
			var h uint64
			i := 0
			for b.Loop() {
				h += hashStr(&s, c.keys[i&1023])
				i++
			}
			hashSink = h
		})
		b.Run("key="+c.name+"/impl=maphash", func(b *testing.B) {
			var h uint64
			i := 0
			for b.Loop() {
				h += maphash.String(s.seed, c.keys[i&1023])
				i++
			}
			hashSink = h
		})
	}
	b.Run("key=struct16/impl=hashU64x2", func(b *testing.B) {
		var h uint64
		i := 0
		for b.Loop() {
			k := struct16{int64(ints[i&1023]), int64(i)}
			h += hashU64x2(&s.mix, uint64(k.A), uint64(k.B))
			i++
		}
		hashSink = h
	})
	b.Run("key=struct16/impl=maphash", func(b *testing.B) {
		var h uint64
		i := 0
		for b.Loop() {
			h += maphash.Comparable(s.seed, struct16{int64(ints[i&1023]), int64(i)})
			i++
		}
		hashSink = h
	})
}

// TestHashStr8to16EqualsHashStr checks that the hash Load computes inline
// for the string keys of 8 to 16 bytes (hashStr8to16, the generated
// hashShort) is hashStr's, which every other operation uses: a difference
// would make Load miss every such key.
func TestHashStr8to16EqualsHashStr(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 8 {
		s := newHashSeed()
		for n := 8; n <= 16; n++ {
			for range 64 {
				b := make([]byte, n)
				for i := range b {
					b[i] = byte(r.Uint32())
				}
				x := string(b)
				if got, want := hashStr8to16(&s.mix, x), hashStr(&s, x); got != want {
					t.Fatalf("len %d: hashStr8to16(%q) = %#x, hashStr = %#x", n, x, got, want)
				}
			}
		}
	}
}
