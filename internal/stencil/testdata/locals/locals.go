// Package locals is a template for the stencil's tests of locals that step
// aside from the names a directive inserts.
package locals

// Box is the main type.
type Box[K comparable, V any] struct {
	items map[K]V
	all   []item[V]
}

type item[V any] struct{ v V }

// Put has a receiver and parameters that a type argument or a generated
// name could be captured by.
func (b *Box[K, V]) Put(k K, v V) {
	boxItem := item[V]{v: v} // the generated name of item, in a directive named Box
	b.all = append(b.all, boxItem)
	b.items[k] = v
}

// Get has a local named like nothing inserted: it stays.
func (b *Box[K, V]) Get(k K) (V, bool) {
	value, ok := b.items[k]
	return value, ok
}

// Each declares locals in nested scopes: only the one whose scope holds
// the inserted text steps aside.
func (b *Box[K, V]) Each(fn func(K, V) bool) {
	for key, val := range b.items {
		if !fn(key, val) {
			return
		}
	}
	{
		m := 0 // m is a type argument's name in one test, but no type argument is inserted here
		_ = m
	}
	var vals []V
	_ = vals
}

// call is a hook whose replacement body calls a user function named like
// its parameter.
//
//monogen:hook
func call[K comparable](k K) uint64 { return 0 }

// Call calls the hook.
func (b *Box[K, V]) Call(k K) uint64 { return call(k) }
