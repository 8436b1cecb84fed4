package docs

// Map is a hash map from K to V.
//
//monogen:note Template readers only: the stencil drops this line.
type Map[K comparable, V any] struct {
	s shard[K, V] // shard holds every V
	//lint:ignore U1000 for staticcheck's run over the template only.
	spare int
}

// shard is one part of a Map.
type shard[K comparable, V any] struct {
	m map[K]V
}

// Get returns the V stored for k. In a map that has none, the zero V.
// In short: m.s.m[k].
func (m *Map[K, V]) Get(k K) V {
	//monogen:note See shard.go.
	return m.s.m[k] // no V(0) conversion: the zero V
}

// hashKey hashes a K.
//
//monogen:hook
func hashKey[K comparable](k K) uint64 { return 0 }

func (m *Map[K, V]) hash(k K) uint64 { return hashKey(k) }
