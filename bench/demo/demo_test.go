// Package demo is the comparison make demo prints: the example package's
// generated maps against the template instantiated with the same types and
// against xsync.Map, the fastest peer, on the example's own key types.
package demo

import (
	"testing"

	"github.com/puzpuzpuz/xsync/v4"

	"github.com/monogen/monogen/examples/sessions"
	"github.com/monogen/monogen/templates/shardmap"
)

const keys = 1 << 14

// hitsMap is what the three implementations share for the struct-keyed map.
type hitsMap interface {
	Load(sessions.HitKey) (int64, bool)
	Store(sessions.HitKey, int64)
}

type storeMap interface {
	Load(sessions.SessionID) (*sessions.Session, bool)
	Store(sessions.SessionID, *sessions.Session)
}

func BenchmarkDemo(b *testing.B) {
	hits := []struct {
		name string
		m    hitsMap
	}{
		{"generated", sessions.NewHits()},
		{"template", shardmap.New[sessions.HitKey, int64]()},
		{"xsync", xsync.NewMap[sessions.HitKey, int64]()},
	}
	for _, impl := range hits {
		for i := range keys {
			impl.m.Store(sessions.HitKey{Tenant: int32(i % 7), Route: int64(i)}, int64(i))
		}
		b.Run("op=Load/key=HitKey/impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					impl.m.Load(sessions.HitKey{Tenant: int32(i % 7), Route: int64(i & (keys - 1))})
					i++
				}
			})
		})
	}
	stores := []struct {
		name string
		m    storeMap
	}{
		{"generated", sessions.NewStore()},
		{"template", shardmap.New[sessions.SessionID, *sessions.Session]()},
		{"xsync", xsync.NewMap[sessions.SessionID, *sessions.Session]()},
	}
	s := &sessions.Session{User: "ada"}
	for _, impl := range stores {
		for i := range keys {
			impl.m.Store(sessions.SessionID(i), s)
		}
		b.Run("op=Load/key=SessionID/impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					impl.m.Load(sessions.SessionID(i & (keys - 1)))
					i++
				}
			})
		})
		b.Run("op=Store/key=SessionID/impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					impl.m.Store(sessions.SessionID(i&(keys-1)), s)
					i++
				}
			})
		})
	}
}
