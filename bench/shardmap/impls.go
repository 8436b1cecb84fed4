// Package shardmap benchmarks monogen's concurrent map against its peers:
// xsync.Map (v4), sync.Map, a naive RWMutex-sharded map and, for string keys,
// orcaman/concurrent-map.
//
// Every implementation is reached through the Map interface, so each pays
// the same interface call; the numbers compare the maps, not the call.
// Adding an implementation (impl=generated) is one entry in the table of
// each key kind below.
package shardmap

import (
	"sync"

	cmap "github.com/orcaman/concurrent-map/v2"
	"github.com/puzpuzpuz/xsync/v4"

	"github.com/monogen/monogen/generated"
	tmpl "github.com/monogen/monogen/templates/shardmap"
)

// Map is what the benchmarks need of an implementation, for keys of type K
// and int values.
type Map[K comparable] interface {
	Load(key K) (int, bool)
	Store(key K, value int)
	LoadOrStore(key K, value int) (actual int, loaded bool)
}

// Impl names an implementation and makes empty maps of it.
type Impl[K comparable] struct {
	Name string
	New  func() Map[K]
}

// Struct16 is the 16-byte struct key kind: the key of generated.StructMap.
type Struct16 = generated.Key16

// IntImpls, StringImpls and StructImpls are the implementations benchmarked
// for each key kind.
var (
	IntImpls = []Impl[int]{
		{"generated", func() Map[int] { return generated.NewIntMap() }},
		{"template", func() Map[int] { return tmpl.New[int, int]() }},
		{"xsync", func() Map[int] { return xsync.NewMap[int, int]() }},
		{"syncmap", func() Map[int] { return new(syncMap[int]) }},
		{"rwmutex", func() Map[int] { return newRWMap[int]() }},
	}
	StringImpls = []Impl[string]{
		{"generated", func() Map[string] { return generated.NewStringMap() }},
		{"template", func() Map[string] { return tmpl.New[string, int]() }},
		{"xsync", func() Map[string] { return xsync.NewMap[string, int]() }},
		{"syncmap", func() Map[string] { return new(syncMap[string]) }},
		{"rwmutex", func() Map[string] { return newRWMap[string]() }},
		{"cmap", func() Map[string] { return cmapMap{cmap.New[int]()} }},
	}
	StructImpls = []Impl[Struct16]{
		{"generated", func() Map[Struct16] { return generated.NewStructMap() }},
		{"template", func() Map[Struct16] { return tmpl.New[Struct16, int]() }},
		{"xsync", func() Map[Struct16] { return xsync.NewMap[Struct16, int]() }},
		{"syncmap", func() Map[Struct16] { return new(syncMap[Struct16]) }},
		{"rwmutex", func() Map[Struct16] { return newRWMap[Struct16]() }},
	}
)

// syncMap adapts sync.Map; values are boxed in interfaces, as its users' are.
type syncMap[K comparable] struct{ m sync.Map }

func (s *syncMap[K]) Load(key K) (int, bool) {
	v, ok := s.m.Load(key)
	if !ok {
		return 0, false
	}
	return v.(int), true
}

func (s *syncMap[K]) Store(key K, value int) { s.m.Store(key, value) }

func (s *syncMap[K]) LoadOrStore(key K, value int) (int, bool) {
	v, loaded := s.m.LoadOrStore(key, value)
	return v.(int), loaded
}

// cmapMap adapts concurrent-map. It has no LoadOrStore: Get, then
// SetIfAbsent, then Get again if another goroutine stored first.
type cmapMap struct {
	m cmap.ConcurrentMap[string, int]
}

func (c cmapMap) Load(key string) (int, bool) { return c.m.Get(key) }
func (c cmapMap) Store(key string, value int) { c.m.Set(key, value) }
func (c cmapMap) LoadOrStore(key string, value int) (int, bool) {
	if v, ok := c.m.Get(key); ok {
		return v, true
	}
	if c.m.SetIfAbsent(key, value) {
		return value, false
	}
	v, _ := c.m.Get(key)
	return v, true
}
