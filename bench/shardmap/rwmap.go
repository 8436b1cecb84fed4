package shardmap

import (
	"hash/maphash"
	"sync"
)

// rwShards is the number of shards of the naive baseline.
const rwShards = 64

// rwMap is the naive baseline: a Go map per shard behind a sync.RWMutex. Its
// reads scale poorly because RLock writes the reader count, a cache line all
// readers of the shard share.
type rwMap[K comparable] struct {
	seed   maphash.Seed
	shards [rwShards]rwShard[K]
}

type rwShard[K comparable] struct {
	mu sync.RWMutex
	m  map[K]int
	// pad keeps shards off each other's cache lines: RWMutex (24 bytes)
	// and a map pointer.
	_ [64 - 24 - 8]byte
}

func newRWMap[K comparable]() *rwMap[K] {
	m := &rwMap[K]{seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].m = make(map[K]int)
	}
	return m
}

func (m *rwMap[K]) shard(key K) *rwShard[K] {
	return &m.shards[maphash.Comparable(m.seed, key)%rwShards]
}

func (m *rwMap[K]) Load(key K) (int, bool) {
	s := m.shard(key)
	s.mu.RLock()
	v, ok := s.m[key]
	s.mu.RUnlock()
	return v, ok
}

func (m *rwMap[K]) Store(key K, value int) {
	s := m.shard(key)
	s.mu.Lock()
	s.m[key] = value
	s.mu.Unlock()
}

func (m *rwMap[K]) LoadOrStore(key K, value int) (int, bool) {
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[key]; ok {
		return v, true
	}
	s.m[key] = value
	return value, false
}
