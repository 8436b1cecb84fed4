// Package names is a template for the stencil's tests of generated names and
// of doc comments: renamed declarations, references to them in code and in
// prose, user marks, config references and replaced docs.
package names

import (
	"errors"
	"sync"
)

// Config holds the runtime options: Config.Workers and Config.Collect.
//
//monogen:config
type Config struct {
	Workers int
	Collect bool
}

// Map is a hash map from K to V; see Stats and MapStats, not sync.Map.
// Every bucket of a Map holds bucketSize entries (an ordinary word: bucket
// is not renamed in prose, bucketSize is).
//
// It runs Config.Workers workers and collects errors when Config.Collect
// is set.
//
//monogen:if always
type Map[K comparable, V any] struct {
	cfg     Config
	mu      sync.Mutex
	buckets []bucket[K, V] // of bucketSize entries
	stats   Stats          //monogen:if always
}

// bucketSize is the number of entries of a bucket.
const bucketSize = 8

type bucket[K comparable, V any] struct {
	keys [bucketSize]K
	vals [bucketSize]V
}

// ErrClosed is returned by a closed Map.
var ErrClosed = errors.New("names: closed")

// errFull is returned when a bucket is full.
var errFull = errors.New("names: full")

// Stats counts a Map's operations.
type Stats struct{ Loads int }

// MapStats is an exported helper type.
type MapStats = Stats

// New returns an empty Map.
func New[K comparable, V any]() *Map[K, V] {
	m := &Map[K, V]{}
	m.buckets = make([]bucket[K, V], 1)
	return m
}

// Stats returns the Map's Stats (the method's name starts its doc and is
// not renamed; the type's name is).
func (m *Map[K, V]) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// Load returns the value of k, or ErrClosed.
func (m *Map[K, V]) Load(k K) (V, error) {
	var zero V
	if len(m.buckets) == 0 {
		return zero, ErrClosed
	}
	if m.cfg.Workers > len(m.buckets[0].keys) {
		return zero, errFull
	}
	return zero, nil
}

// hashKey hashes k generically; the generic body is the reference.
//
//monogen:hook
func hashKey[K comparable](k K) uint64 { return uint64(len(any(k).(string))) }

// Hash returns hashKey of k.
func (m *Map[K, V]) Hash(k K) uint64 { return hashKey(k) }

// Workers returns the number of workers: Config.Workers.
func (m *Map[K, V]) Workers() int { return m.cfg.Workers }
