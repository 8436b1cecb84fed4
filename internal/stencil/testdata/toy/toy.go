package toy

import (
	"hash/maphash"
	"sync/atomic"
)

// Config holds options.
//
//monogen:config
type Config struct {
	Metrics bool
	Retries int
}

// Box holds values.
type Box[K comparable, V any] struct {
	cfg    Config
	items  map[K]*entry[K, V]
	seed   maphash.Seed
	count  atomic.Int64 //monogen:if metrics
	unused int
}

type entry[K comparable, V any] struct {
	key K
	val V
}

// New makes a Box.
//
//monogen:template
func New[K comparable, V any](cfg Config) *Box[K, V] {
	b := &Box[K, V]{cfg: cfg}
	b.init()
	return b
}

func (b *Box[K, V]) init() {
	b.items = map[K]*entry[K, V]{}
	b.seed = maphash.MakeSeed()
}

//monogen:hook
func hashKey[K comparable](seed maphash.Seed, k K) uint64 { return maphash.Comparable(seed, k) }

func helper(x uint64) uint64 { return x * 3 }

func dead() {}

// Put stores.
func (b *Box[K, V]) Put(k K, v V) uint64 {
	e := &entry[K, V]{key: k, val: v}
	b.items[k] = e
	if b.cfg.Metrics {
		// count it
		b.count.Add(1)
	}
	for i := 0; i < b.cfg.Retries; i++ {
		_ = V(v)
	}
	return hashKey[K](b.seed, k)
}

// Get loads.
func (b *Box[K, V]) Get(k K) (V, bool) {
	e, ok := b.items[k]
	if !ok || e.key != k {
		var zero V
		return zero, false
	}
	return e.val, true
}

// Count is only with metrics.
//
//monogen:if metrics
func (b *Box[K, V]) Count() int64 { return b.count.Load() }
