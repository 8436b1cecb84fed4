package shardmap

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/monogen/monogen/generated"
	"github.com/puzpuzpuz/xsync/v4"
)

// BenchmarkMapLoadArrayKey measures Load of byte-array keys, the shape of
// UUIDs ([16]byte, key=uuid) and SHA-256 sums ([32]byte, key=digest), on 1Ki
// keys from one goroutine, generated against xsync: keys a user's own types
// bring, which BenchmarkMap's int, string and struct keys do not cover.
//
//	go test -run '^$' -bench 'MapLoadArrayKey' -count 6 ./shardmap/ | go tool benchstat -col /impl -
func BenchmarkMapLoadArrayKey(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	uuids := make([]generated.UUID, 1024)
	digests := make([]generated.Digest, 1024)
	for i := range uuids {
		binary.LittleEndian.PutUint64(uuids[i][:], r.Uint64())
		binary.LittleEndian.PutUint64(uuids[i][8:], r.Uint64())
		digests[i] = sha256.Sum256(uuids[i][:])
	}
	benchArrayLoad(b, "uuid", uuids, generated.NewUUIDMap(), xsync.NewMap[generated.UUID, int]())
	benchArrayLoad(b, "digest", digests, generated.NewDigestMap(), xsync.NewMap[generated.Digest, int]())
}

// arrayMap is what benchArrayLoad needs of a map.
type arrayMap[K comparable] interface {
	Load(K) (int, bool)
	Store(K, int)
}

func benchArrayLoad[K comparable](b *testing.B, kind string, keys []K, gen, peer arrayMap[K]) {
	for _, im := range []struct {
		name string
		m    arrayMap[K]
	}{{"generated", gen}, {"xsync", peer}} {
		for i, k := range keys {
			im.m.Store(k, i)
		}
		b.Run("key="+kind+"/impl="+im.name, func(b *testing.B) {
			b.ReportAllocs()
			i, sum := 0, 0
			for b.Loop() {
				v, ok := im.m.Load(keys[i&(len(keys)-1)])
				if !ok {
					b.Fatal("a stored key is missing")
				}
				sum += v
				i++
			}
			if sum < 0 {
				b.Fatal("negative sum of values")
			}
		})
	}
}
