// Package shardmap is monogen's concurrent hash map, written once as generic Go.
//
// It is the generic reference implementation of the map pattern (importable as
// is), its specification, and the source the generator stencils for a
// directive such as
//
//	//monogen:map SessionStore[SessionID, *Session] shards=64
//
// # Design
//
// The map is split into shardCount independent hash tables chosen by bits of
// a key's hash (or, for a key of one machine word, by a multiply-shift of the
// key: see shardOf). Each table is an array of cache-line-sized buckets in
// the style of CLHT and of github.com/puzpuzpuz/xsync: a bucket holds a mutex,
// a meta word with one byte of hash (h2) per slot, five atomic pointers to
// immutable entries and a pointer to an overflow bucket. A read loads the
// table pointer, picks the bucket with the low bits of the hash, matches h2
// against all five meta bytes at once (SWAR), atomically loads the matching
// entry and compares its key. Reads take no lock and write no shared memory,
// so they scale with the number of cores. Writes lock the bucket of the key,
// publish a freshly allocated entry, and unlock. A stencil for a value that
// one atomic instruction can store (an integer or a pointer) instead updates
// the value of a present key in place; see valueInPlace.
//
// A shard grows when an insert finds its bucket chain full while the shard is
// above its load factor, and shrinks when it becomes very sparse or is
// cleared. A resize builds a new table while readers keep using the old one;
// it locks the old buckets one by one, copying each, and keeps them locked
// until the new table is published, so that a writer either completes before
// its bucket is copied or waits and retries on the new table. A resize stops
// only the writers of one shard.
package shardmap

import (
	"iter"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"
)

// shardBits is the base-2 logarithm of the number of shards: the directive's
// shards= option (shards=64 gives shardBits = 6).
//
// Shards do not make reads faster: a read costs the same whatever their
// number. They bound the work of a resize (a resize copies and stops the
// writers of one shard only) and spread the per-shard size counters that
// inserts and deletes update over that many cache lines. 64 shards keep the
// counters uncontended up to about 64 cores at a cost of about 11 KiB per empty
// map (a 64-byte counter, 16-byte header, 32-byte table descriptor and one
// 64-byte bucket per shard); a program with many small maps should ask for
// shards=1 or a few.
const shardBits = 6

const (
	// shardCount is the number of independent tables of a Map.
	shardCount = 1 << shardBits
	// shardShift selects the top shardBits bits of a hash shifted right by
	// one (h>>1>>shardShift): with shardBits = 0 that is 0, one shard,
	// without a constant shift of 64, which go vet reports (the compiler
	// merges the two shifts).
	shardShift = 63 - shardBits
)

//monogen:note The constants below depend on no option: kept apart from
//monogen:note those above, they are shared by every map of a package.
const (
	// cacheLineSize is the unit of padding against false sharing. 64 bytes
	// is the line of amd64 and most arm64 cores.
	cacheLineSize = 64
	// entriesPerBucket is the number of slots of a bucket: 5 pointers, with
	// a mutex, a meta word and an overflow pointer, fill 64 bytes on 64-bit
	// platforms.
	entriesPerBucket = 5
	// ptrSize is the size of a pointer: 8 on 64-bit platforms, 4 on 32-bit.
	ptrSize = 4 << (^uintptr(0) >> 63)
	// mutexSize is the size of a sync.Mutex (two 32-bit words) everywhere.
	mutexSize = 8
	// bucketPadding pads a bucket to one cache line: 0 on 64-bit
	// platforms, 24 bytes on 32-bit ones.
	bucketPadding = cacheLineSize - mutexSize - 8 - (entriesPerBucket+1)*ptrSize

	// h2Bits is the number of low hash bits stored in a slot's meta byte,
	// whose top bit marks the slot as occupied. The bucket index comes from
	// the bits above them, so the bytes of one bucket still differ.
	h2Bits = 7
	// occupiedMask has the occupied bit of each slot's meta byte set.
	occupiedMask = 0x80_8080_8080
	// lowBytes holds 1 in each byte, for the SWAR arithmetic of
	// markZeroBytes.
	lowBytes = 0x0101_0101_0101_0101

	// minTableLen is the number of buckets a shard of a map without a size
	// hint starts with and shrinks back to on Clear: one cache line. With
	// one bucket, Clear can empty a shard's table in place (clearInPlace).
	minTableLen = 1
	// growNum/growDen is the load factor above which a shard grows when an
	// insert needs a new overflow bucket: 0.75, that of xsync and CLHT,
	// which keeps most chains to their root bucket.
	growNum, growDen = 3, 4
	// shrinkDiv sets the load factor below which a shard shrinks when a
	// delete empties a bucket: 1/shrinkDiv of its slots. It then shrinks to
	// half of the growth load factor, so a shard does not resize back and
	// forth.
	shrinkDiv = 128
)

// sizeHint is the number of keys a Map is presized for: the directive's
// size= option, 0 for none. Each shard starts with the buckets that hold its
// share of sizeHint keys, with room for the spread of random hashing
// (baseTableLen), and never shrinks below them, even on Clear: inserting up
// to sizeHint keys into a new or cleared Map does not grow it.
const sizeHint = 0

// valueInPlace says whether a write to a present key stores the new value
// into the key's entry (storeValue) instead of publishing a new entry. That
// saves the allocation of Store, Swap, CompareAndSwap and Compute on present
// keys, but needs loads and stores of V that are single atomic instructions:
// the stencil sets it for integer and pointer values and makes loadValue and
// storeValue atomic. The reference cannot do that for any V, so its entries
// are immutable.
const valueInPlace = false

// shortHash says whether Load asks shortKey whether to hash a key with
// hashShort, inlined, instead of calling hashKey. The stencil sets it for
// string keys, whose hasher is too big to inline; the reference has no
// such keys.
const shortHash = false

// ComputeOp tells Compute what to do with the value its function returns.
type ComputeOp int

const (
	// CancelOp leaves the map unchanged: a present key keeps its value and
	// an absent key stays absent. It is the zero ComputeOp.
	CancelOp ComputeOp = iota
	// UpdateOp stores the returned value, inserting the key if it was
	// absent.
	UpdateOp
	// DeleteOp deletes the key if it is present.
	DeleteOp
)

// Map is a hash map from K to V that is safe for concurrent use by multiple
// goroutines without additional locking or coordination. It has the methods
// of sync.Map, typed, Compute for atomic read-modify-write and LoadOrCompute
// to create a missing value once.
//
// Loads take no lock and write no shared memory; Load does not allocate.
// Writers lock one bucket of one shard; Store says what they allocate.
//
// Keys are hashed with a random seed chosen per map, so keys chosen by an
// attacker who does not know the seed cannot flood one bucket.
//
// The zero Map is not usable: create maps with New. A Map must not be copied
// after first use.
//
// In the terminology of the Go memory model, Map arranges that a write
// operation “synchronizes before” any read operation that observes the effect
// of the write, where read and write operations are defined as follows.
// Load, LoadAndDelete, LoadOrStore, LoadOrCompute, Swap, CompareAndSwap,
// CompareAndDelete and Compute are read operations; Delete, LoadAndDelete,
// Store, Swap and Clear are write operations; LoadOrStore and LoadOrCompute
// are write operations when they return loaded set to false; CompareAndSwap
// is a write operation when it returns swapped set to true; CompareAndDelete
// is a write operation when it returns deleted set to true; Compute is a
// write operation when its function returns UpdateOp, or DeleteOp for a
// present key. Range and All perform a read
// operation for each key they visit. Len does not synchronize.
type Map[K comparable, V any] struct {
	// sizes counts the entries of each shard. Inserts and deletes update
	// them, so each has a cache line of its own; they come first so that a
	// cache-line-aligned Map aligns them.
	sizes [shardCount]shardSize
	// seed is read by every operation and written only by New.
	seed hashSeed
	// shards are read by every operation and written only by resizes.
	shards [shardCount]shard[K, V]
}

// shard is one independent hash table of a Map.
type shard[K comparable, V any] struct {
	// table is the current table. Readers use whichever table they load;
	// writers lock a bucket of it, then check it is still current.
	table atomic.Pointer[table[K, V]]
	// resizeMu serializes the resizes of the shard.
	resizeMu sync.Mutex
}

// shardSize is the entry count of one shard. Writers update it after
// unlocking their bucket, so it may lag the table and, briefly, go negative.
type shardSize struct {
	n atomic.Int64
	_ [cacheLineSize - 8]byte
}

// table is the bucket array of a shard at one size. Its buckets never move;
// a resize builds a new table.
type table[K comparable, V any] struct {
	buckets []bucket[K, V]
	// mask is len(buckets)-1: len is a power of two.
	mask uint64
	// growAt is the entry count above which an insert that needs an
	// overflow bucket grows the shard instead.
	growAt int64
}

// bucket is one cache line of a table: a root bucket, or an overflow bucket
// chained to one. The mutex of a root bucket guards its whole chain; an
// overflow bucket's mutex is unused.
type bucket[K comparable, V any] struct {
	// padding comes first: a zero-size last field would add a word.
	_  [bucketPadding]byte
	mu sync.Mutex
	// meta holds, in byte i, 0 if slot i is empty, or 0x80 | the low
	// h2Bits bits of the hash of its key. Writers store it before the
	// entry on insert and before clearing the entry on delete; a reader
	// that matches a byte whose entry is nil or holds another key moves on.
	meta    atomic.Uint64
	entries [entriesPerBucket]atomic.Pointer[entry[K, V]]
	next    atomic.Pointer[bucket[K, V]]
}

// entry is an immutable key-value pair. Writers replace entries, never
// modify them, so a reader that loads an entry sees a consistent pair.
type entry[K comparable, V any] struct {
	//monogen:note value comes first: a stencil that updates it in place with
	//monogen:note 64-bit atomics needs it 64-bit aligned, which Go guarantees
	//monogen:note for the first word of an allocated struct, even on 32-bit
	//monogen:note platforms.
	value V
	key   K
}

// loadValue returns the value of e. Entries are immutable, so a plain read
// sees the value the entry was published with.
//
//monogen:hook
func loadValue[K comparable, V any](e *entry[K, V]) V { return e.value }

// storeValue sets the value of e in place, for a value that one atomic
// instruction can store. The caller holds the lock of e's chain.
//
//monogen:note Called only when valueInPlace is set.
//monogen:hook
func storeValue[K comparable, V any](e *entry[K, V], v V) { e.value = v }

// New returns an empty Map.
func New[K comparable, V any]() *Map[K, V] {
	m := &Map[K, V]{seed: newHashSeed()}
	m.init()
	return m
}

// init gives each shard an empty table of baseTableLen buckets.
func (m *Map[K, V]) init() {
	m.initTables(baseTableLen())
}

// initTables gives each shard an empty table of n buckets, carving the
// tables and buckets of all shards out of one allocation each; n is a power
// of two.
func (m *Map[K, V]) initTables(n int) {
	tables := make([]table[K, V], shardCount)
	buckets := make([]bucket[K, V], shardCount*n)
	for i := range m.shards {
		t := &tables[i]
		lo, hi := i*n, (i+1)*n
		t.buckets = buckets[lo:hi:hi]
		t.mask = uint64(n - 1)
		t.growAt = growThreshold(n)
		m.shards[i].table.Store(t)
	}
}

// baseTableLen returns the number of buckets a shard starts with and never
// shrinks below: minTableLen, unless the map is presized.
func baseTableLen() int {
	if sizeHint == 0 {
		return minTableLen
	}
	// Room for the shard's share of the size hint.
	return presizedTableLen(sizeHint)
}

// presizedTableLen returns the number of buckets a shard needs so that a map
// into which n keys are inserted does not grow. The keys spread over the
// shards at random (the hash is seeded per map): a shard receives on average
// n/shardCount of them, give or take the square root of that. The table is
// sized for the average plus six standard deviations and one bucket's worth
// of keys: a shard exceeds that with a probability of about one in a
// billion, and even then a chain must also fill before it grows.
func presizedTableLen(n int64) int {
	mean := float64(n) / shardCount
	keys := mean + 6*math.Sqrt(mean) + entriesPerBucket
	// A shard grows only when it holds at least growThreshold(len) keys.
	want := uint64(math.Ceil(keys * growDen / (growNum * entriesPerBucket)))
	if want <= minTableLen {
		return minTableLen
	}
	return 1 << bits.Len64(want-1)
}

// equalKey reports whether a and b are the same key, for the lookups that
// take no lock (Load, find).
//
//monogen:note The stencil gives string keys a comparison that first
//monogen:note compares the lengths and the data pointers: equal pointers,
//monogen:note a key looked up with the string it was stored with, need no
//monogen:note call to compare the bytes.
//monogen:hook
func equalKey[K comparable](a, b K) bool { return a == b }

// equalValue reports whether a and b are equal, for CompareAndSwap and
// CompareAndDelete. The reference compares through interfaces, which panics
// if the dynamic type of V is not comparable; a stencil for a comparable V
// uses ==.
//
//monogen:hook
func equalValue[V any](a, b V) bool { return any(a) == any(b) }

// Load returns the value stored in the map for key, or the zero value if no
// value is present. The ok result reports whether a value was found. Load
// takes no lock and does not allocate.
func (m *Map[K, V]) Load(key K) (value V, ok bool) {
	var h uint64
	if shortHash {
		if shortKey(key) {
			h = hashShort(&m.seed, key)
		} else {
			h = hashKey(&m.seed, key)
		}
	} else {
		h = hashKey(&m.seed, key)
	}
	t := m.shards[shardOf(&m.seed, key, h)].table.Load()
	b := t.bucketOf(h)
	h2w := broadcast(h2(h))
	for {
		for w := markZeroBytes(b.meta.Load() ^ h2w); w != 0; w &= w - 1 {
			if e := b.slot(firstMarked(w)).Load(); e != nil && equalKey(e.key, key) {
				return loadValue(e), true
			}
		}
		if b = b.next.Load(); b == nil {
			return value, false
		}
	}
}

// Store sets the value for key. It allocates one immutable entry holding
// the key and the value; inserting a new key sometimes also allocates a
// 64-byte overflow bucket or grows the key's shard. The other writes
// allocate in the same way.
func (m *Map[K, V]) Store(key K, value V) {
	m.put(hashKey(&m.seed, key), key, value, nil)
}

// Swap stores value for key and returns the previous value, if any. The
// loaded result reports whether the key was present. Swap allocates like
// Store.
func (m *Map[K, V]) Swap(key K, value V) (previous V, loaded bool) {
	loaded = m.put(hashKey(&m.seed, key), key, value, &previous)
	return previous, loaded
}

// put stores value for key, whose hash is h, and reports whether the key was
// present; if so and prev is not nil, it sets *prev to the value it replaced.
func (m *Map[K, V]) put(h uint64, key K, value V, prev *V) (loaded bool) {
	var ne *entry[K, V]
	if !valueInPlace {
		// Allocate before locking, to keep the lock short.
		ne = &entry[K, V]{key: key, value: value}
	}
	si := shardOf(&m.seed, key, h)
	h2w := broadcast(h2(h))
	for {
		t, root := m.lockRoot(si, h)
		b, i, e := root.search(key, h2w)
		if e != nil {
			if prev != nil {
				*prev = loadValue(e)
			}
			if valueInPlace {
				storeValue(e, value)
			} else {
				b.entries[i].Store(ne)
			}
			root.mu.Unlock()
			return true
		}
		if m.mustGrow(si, t, i) {
			root.mu.Unlock()
			m.resize(si, t, growTable)
			continue
		}
		if valueInPlace { // a new key: its entry is allocated here, under the lock
			ne = &entry[K, V]{key: key, value: value}
		}
		insertAt(b, i, h, ne)
		root.mu.Unlock()
		m.sizes[si].n.Add(1)
		return false
	}
}

// LoadOrStore returns the existing value for key if present. Otherwise, it
// stores and returns the given value. The loaded result is true if the value
// was loaded, false if stored. It finds a present key without locking or
// allocating.
func (m *Map[K, V]) LoadOrStore(key K, value V) (actual V, loaded bool) {
	h := hashKey(&m.seed, key)
	si := shardOf(&m.seed, key, h)
	if e := m.shards[si].table.Load().find(key, h); e != nil {
		return loadValue(e), true
	}
	ne := &entry[K, V]{key: key, value: value}
	h2w := broadcast(h2(h))
	for {
		t, root := m.lockRoot(si, h)
		b, i, e := root.search(key, h2w)
		if e != nil {
			root.mu.Unlock()
			return loadValue(e), true
		}
		if m.mustGrow(si, t, i) {
			root.mu.Unlock()
			m.resize(si, t, growTable)
			continue
		}
		insertAt(b, i, h, ne)
		root.mu.Unlock()
		m.sizes[si].n.Add(1)
		return value, false
	}
}

// LoadOrCompute returns the existing value for key if present. Otherwise, it
// calls fn, stores the value fn returns and returns it. The loaded result is
// true if the value was loaded, false if computed. It finds a present key
// without locking, allocating or calling fn.
//
// fn is called at most once per absent key, however many goroutines ask for
// it at the same time: it is called with the lock of key's bucket chain
// held, and the others wait on that lock, then load the value fn returned.
// While fn runs, writes to the keys of the same chain (a few keys sharing
// key's bucket) and resizes of key's shard wait for it; reads of any key and
// writes to every other key do not, so a slow fn for one key does not block
// LoadOrCompute of another (except, rarely, one of the same chain). fn must
// not call methods of m.
//
// To store nothing when fn fails (a connection that could not be opened),
// use Compute, whose function returns CancelOp for an absent key. If fn
// panics, LoadOrCompute leaves the map unchanged and unlocked, and the panic
// propagates.
//
// LoadOrCompute is a read operation, and a write operation when it returns
// loaded set to false.
func (m *Map[K, V]) LoadOrCompute(key K, fn func() V) (actual V, loaded bool) {
	h := hashKey(&m.seed, key)
	si := shardOf(&m.seed, key, h)
	if e := m.shards[si].table.Load().find(key, h); e != nil {
		return loadValue(e), true
	}
	h2w := broadcast(h2(h))
	for {
		t, root := m.lockRoot(si, h)
		b, i, e := root.search(key, h2w)
		if e != nil {
			root.mu.Unlock()
			return loadValue(e), true
		}
		// Grow before calling fn, so that fn runs once.
		if m.mustGrow(si, t, i) {
			root.mu.Unlock()
			m.resize(si, t, growTable)
			continue
		}
		actual = computeLocked(root, fn)
		insertAt(b, i, h, &entry[K, V]{key: key, value: actual})
		root.mu.Unlock()
		m.sizes[si].n.Add(1)
		return actual, false
	}
}

// LoadAndDelete deletes the value for key, returning the previous value if
// any. The loaded result reports whether the key was present. It finds an
// absent key without locking.
func (m *Map[K, V]) LoadAndDelete(key K) (value V, loaded bool) {
	h := hashKey(&m.seed, key)
	if e := m.remove(h, key); e != nil {
		return loadValue(e), true
	}
	return value, false
}

// Delete deletes the value for key. It finds an absent key without locking.
func (m *Map[K, V]) Delete(key K) {
	h := hashKey(&m.seed, key)
	m.remove(h, key)
}

// remove deletes key, whose hash is h, and returns its entry, or nil if it
// was absent.
func (m *Map[K, V]) remove(h uint64, key K) *entry[K, V] {
	si := shardOf(&m.seed, key, h)
	if m.shards[si].table.Load().find(key, h) == nil {
		return nil
	}
	t, root := m.lockRoot(si, h)
	b, i, e := root.search(key, broadcast(h2(h)))
	if e == nil {
		root.mu.Unlock()
		return nil
	}
	meta := clearSlot(b, i)
	root.mu.Unlock()
	m.deleted(si, t, meta)
	return e
}

// CompareAndSwap swaps the old and new values for key if the value stored in
// the map is equal to old. It allocates an entry only when it swaps.
//
// Values are compared with equalValue: the generic reference panics, as
// sync.Map does, if the values are of a type that is not comparable.
//
//monogen:if comparable(V)
func (m *Map[K, V]) CompareAndSwap(key K, old, new V) (swapped bool) {
	h := hashKey(&m.seed, key)
	si := shardOf(&m.seed, key, h)
	e := m.shards[si].table.Load().find(key, h)
	if e == nil || !equalValue(loadValue(e), old) {
		return false
	}
	if valueInPlace {
		return m.swapInPlace(h, key, old, new)
	}
	ne := &entry[K, V]{key: key, value: new}
	_, root := m.lockRoot(si, h)
	b, i, e := root.search(key, broadcast(h2(h)))
	if e == nil || !equalValue(loadValue(e), old) {
		root.mu.Unlock()
		return false
	}
	b.entries[i].Store(ne)
	root.mu.Unlock()
	return true
}

// swapInPlace is CompareAndSwap for values stored in place: it stores new
// into the entry of key, whose hash is h, if the entry holds old.
//
//monogen:if comparable(V)
func (m *Map[K, V]) swapInPlace(h uint64, key K, old, new V) (swapped bool) {
	_, root := m.lockRoot(shardOf(&m.seed, key, h), h)
	_, _, e := root.search(key, broadcast(h2(h)))
	if e == nil || !equalValue(loadValue(e), old) {
		root.mu.Unlock()
		return false
	}
	storeValue(e, new)
	root.mu.Unlock()
	return true
}

// CompareAndDelete deletes the entry for key if its value is equal to old.
// If there is no current value for key in the map, CompareAndDelete returns
// false (even if old is the zero value).
//
// Values are compared with equalValue: the generic reference panics, as
// sync.Map does, if the values are of a type that is not comparable.
//
//monogen:if comparable(V)
func (m *Map[K, V]) CompareAndDelete(key K, old V) (deleted bool) {
	h := hashKey(&m.seed, key)
	si := shardOf(&m.seed, key, h)
	e := m.shards[si].table.Load().find(key, h)
	if e == nil || !equalValue(loadValue(e), old) {
		return false
	}
	t, root := m.lockRoot(si, h)
	b, i, e := root.search(key, broadcast(h2(h)))
	if e == nil || !equalValue(loadValue(e), old) {
		root.mu.Unlock()
		return false
	}
	meta := clearSlot(b, i)
	root.mu.Unlock()
	m.deleted(si, t, meta)
	return true
}

// Compute atomically reads and modifies the value for key. It calls fn with
// the current value and loaded set to true if key is present, or with the
// zero value and loaded set to false if it is absent, and applies the
// ComputeOp fn returns: UpdateOp stores newV, DeleteOp deletes the key,
// CancelOp leaves the map unchanged. It returns the value of key after the
// operation and whether key is then present.
//
// fn is called exactly once, with the lock of key's bucket held: writes to
// the keys of that bucket wait for it, and reads do not. fn must not call
// methods of m, and should be short. If fn panics, Compute leaves the map
// unchanged and unlocked, and the panic propagates.
func (m *Map[K, V]) Compute(key K, fn func(old V, loaded bool) (newV V, op ComputeOp)) (actual V, ok bool) {
	h := hashKey(&m.seed, key)
	si := shardOf(&m.seed, key, h)
	h2w := broadcast(h2(h))
	for {
		t, root := m.lockRoot(si, h)
		b, i, e := root.search(key, h2w)
		if e != nil {
			old := loadValue(e)
			newV, op := callLocked(root, fn, old, true)
			switch op {
			case UpdateOp:
				if valueInPlace {
					storeValue(e, newV)
				} else {
					b.entries[i].Store(&entry[K, V]{key: key, value: newV})
				}
				root.mu.Unlock()
				return newV, true
			case DeleteOp:
				meta := clearSlot(b, i)
				root.mu.Unlock()
				m.deleted(si, t, meta)
				return actual, false
			default:
				root.mu.Unlock()
				return old, true
			}
		}
		// Grow before calling fn, so that fn runs once.
		if m.mustGrow(si, t, i) {
			root.mu.Unlock()
			m.resize(si, t, growTable)
			continue
		}
		newV, op := callLocked(root, fn, actual, false)
		if op != UpdateOp {
			root.mu.Unlock()
			return actual, false
		}
		insertAt(b, i, h, &entry[K, V]{key: key, value: newV})
		root.mu.Unlock()
		m.sizes[si].n.Add(1)
		return newV, true
	}
}

// LoadPointer returns a pointer to the value of key where the map stores it,
// or nil if key is absent. It takes no lock and does not allocate.
//
// LoadPointer, ComputePointer and AllPointers are for values that their
// users update in place with sync/atomic, such as counters: a map used
// through them is read and written only through them, and every access to a
// value through its pointer is atomic, except the stores of ComputePointer's
// function to the value of a key it inserts. A pointer is its key's until
// the key is deleted; the map never writes the value behind it, and after
// the delete no method of the map reaches it.
//
//monogen:if pointers
func (m *Map[K, V]) LoadPointer(key K) *V {
	h := hashKey(&m.seed, key)
	if e := m.shards[shardOf(&m.seed, key, h)].table.Load().find(key, h); e != nil {
		return &e.value
	}
	return nil
}

// ComputePointer atomically reads and modifies the value of key in place.
// It calls fn with a pointer to the value and loaded set to true if key is
// present, or with a pointer to the zero value of a new entry and loaded set
// to false if key is absent. For a present key, DeleteOp deletes it and the
// other ops keep it, with the value fn left; for an absent key, UpdateOp
// inserts it with the value fn stored, and the other ops leave it absent.
// It returns the pointer to the value of key after the operation, or nil if
// key is then absent.
//
// fn is called exactly once, with the lock of key's bucket held, as
// Compute's function is; it must not call methods of m. LoadPointer does not
// wait for it, so fn accesses the value of a present key atomically. If fn
// panics, ComputePointer inserts nothing, leaves the map unlocked, and the
// panic propagates.
//
//monogen:if pointers
func (m *Map[K, V]) ComputePointer(key K, fn func(value *V, loaded bool) ComputeOp) *V {
	h := hashKey(&m.seed, key)
	si := shardOf(&m.seed, key, h)
	h2w := broadcast(h2(h))
	for {
		t, root := m.lockRoot(si, h)
		b, i, e := root.search(key, h2w)
		if e != nil {
			if callPointerLocked(root, fn, &e.value, true) == DeleteOp {
				meta := clearSlot(b, i)
				root.mu.Unlock()
				m.deleted(si, t, meta)
				return nil
			}
			root.mu.Unlock()
			return &e.value
		}
		// Grow before calling fn, so that fn runs once.
		if m.mustGrow(si, t, i) {
			root.mu.Unlock()
			m.resize(si, t, growTable)
			continue
		}
		ne := &entry[K, V]{key: key}
		if callPointerLocked(root, fn, &ne.value, false) != UpdateOp {
			root.mu.Unlock()
			return nil
		}
		insertAt(b, i, h, ne)
		root.mu.Unlock()
		m.sizes[si].n.Add(1)
		return &ne.value
	}
}

// callPointerLocked calls fn(value, loaded) for ComputePointer, unlocking
// root if fn panics, as callLocked does for Compute.
//
//monogen:if pointers
func callPointerLocked[K comparable, V any](root *bucket[K, V], fn func(value *V, loaded bool) ComputeOp, value *V, loaded bool) ComputeOp {
	returned := false
	defer func() {
		if !returned {
			root.mu.Unlock()
		}
	}()
	op := fn(value, loaded)
	returned = true
	return op
}

// AllPointers returns an iterator over the keys of the map and the pointers
// to their values, with the semantics of Range: it copies the entries of one
// bucket chain at a time under the chain's lock, and holds no lock while it
// yields.
//
//monogen:if pointers
func (m *Map[K, V]) AllPointers() iter.Seq2[K, *V] {
	return func(yield func(K, *V) bool) {
		var buf [16 * entriesPerBucket]*entry[K, V]
		chain := buf[:0]
		for si := range m.shards {
			t := m.shards[si].table.Load()
			for bi := range t.buckets {
				root := &t.buckets[bi]
				if root.meta.Load() == 0 && root.next.Load() == nil {
					continue
				}
				root.mu.Lock()
				for b := root; b != nil; b = b.next.Load() {
					for i := range b.entries {
						if e := b.entries[i].Load(); e != nil {
							chain = append(chain, e)
						}
					}
				}
				root.mu.Unlock()
				for i, e := range chain {
					if !yield(e.key, &e.value) {
						return
					}
					chain[i] = nil
				}
				chain = chain[:0]
			}
		}
	}
}

// Range calls f sequentially for each key and value present in the map. If f
// returns false, Range stops the iteration.
//
// Range does not correspond to a consistent snapshot of the Map's contents:
// no key is visited more than once, a key present and unmodified for the
// whole call is visited exactly once, but a key stored or deleted
// concurrently may or may not be visited, and a visited key's value may be
// any value it held during the call. Range holds no lock while it calls f, so
// f may call any method of m.
//
// Range copies the entries of one bucket chain at a time under the chain's
// lock: it delays the writers of that chain briefly, and allocates only for
// chains longer than sixteen buckets.
func (m *Map[K, V]) Range(f func(key K, value V) bool) {
	var buf [16 * entriesPerBucket]*entry[K, V]
	chain := buf[:0]
	for si := range m.shards {
		t := m.shards[si].table.Load()
		for bi := range t.buckets {
			root := &t.buckets[bi]
			// A chain that is empty at one instant need not be locked.
			if root.meta.Load() == 0 && root.next.Load() == nil {
				continue
			}
			root.mu.Lock()
			for b := root; b != nil; b = b.next.Load() {
				for i := range b.entries {
					if e := b.entries[i].Load(); e != nil {
						chain = append(chain, e)
					}
				}
			}
			root.mu.Unlock()
			for i, e := range chain {
				if !f(e.key, loadValue(e)) {
					return
				}
				chain[i] = nil // let the GC have what f did not keep
			}
			chain = chain[:0]
		}
	}
}

// All returns an iterator over the keys and values of the map, with the
// semantics of Range.
func (m *Map[K, V]) All() iter.Seq2[K, V] {
	return m.Range
}

// Len returns the number of keys in the map. It is exact when no other
// operation runs concurrently; otherwise it may miss or count twice the keys
// being stored or deleted. Len reads one counter per shard and takes no lock.
func (m *Map[K, V]) Len() int {
	var n int64
	for i := range m.sizes {
		n += m.sizes[i].n.Load()
	}
	return int(max(n, 0))
}

// Clear deletes all the keys of the map and shrinks it to its initial size.
// Clear is not atomic: it clears one shard at a time, each at one instant, so
// a key stored concurrently may remain. Writers of a shard wait while it is
// cleared; readers do not.
//
// Clear empties in place a shard still at its initial size whose keys all
// fit in its first bucket (five keys), allocating nothing; it gives a shard
// that has grown a new empty table, two allocations. So clearing a map fresh
// from New or Clear that holds at most five keys allocates nothing.
func (m *Map[K, V]) Clear() {
	for si := range m.shards {
		m.resize(uint64(si), nil, clearTable)
	}
}

// callLocked calls fn(old, loaded) for Compute, unlocking root if fn panics:
// a bucket left locked would block its writers, and the resizes of its
// shard, forever.
func callLocked[K comparable, V any](root *bucket[K, V], fn func(old V, loaded bool) (V, ComputeOp), old V, loaded bool) (newV V, op ComputeOp) {
	returned := false
	defer func() {
		if !returned {
			root.mu.Unlock()
		}
	}()
	newV, op = fn(old, loaded)
	returned = true
	return newV, op
}

// computeLocked calls fn for LoadOrCompute, unlocking root if fn panics, as
// callLocked does for Compute.
func computeLocked[K comparable, V any](root *bucket[K, V], fn func() V) V {
	returned := false
	defer func() {
		if !returned {
			root.mu.Unlock()
		}
	}()
	v := fn()
	returned = true
	return v
}

// lockRoot locks the root bucket of the chain of hash h in the current table
// of shard si and returns both. It waits out a resize of the shard: the
// resizer holds the locks of the buckets it has copied until it has
// published the new table, so a writer that gets a lock and then sees that
// its table is still current knows that its write will be copied.
func (m *Map[K, V]) lockRoot(si, h uint64) (*table[K, V], *bucket[K, V]) {
	sh := &m.shards[si]
	for {
		t := sh.table.Load()
		root := &t.buckets[(h>>h2Bits)&t.mask]
		root.mu.Lock()
		if sh.table.Load() == t {
			return t, root
		}
		root.mu.Unlock()
	}
}

// bucketOf returns the root bucket of the chain that holds the keys whose
// hash is h: the bucket numbered by the bits of h above its h2Bits low
// bits, masked to the length of t. The index is in range, since mask is
// len(buckets)-1, so bucketOf computes the address without the bounds check
// of &t.buckets[i], which every lookup would pay.
func (t *table[K, V]) bucketOf(h uint64) *bucket[K, V] {
	i := uintptr((h >> h2Bits) & t.mask)
	return (*bucket[K, V])(unsafe.Add(unsafe.Pointer(unsafe.SliceData(t.buckets)), i*unsafe.Sizeof(t.buckets[0])))
}

// slot returns entry slot i of b, for an i below entriesPerBucket, without
// the bounds check of &b.entries[i]. Lookups take i from firstMarked of a
// word of markZeroBytes, which marks only the bytes of the five slots.
func (b *bucket[K, V]) slot(i int) *atomic.Pointer[entry[K, V]] {
	return (*atomic.Pointer[entry[K, V]])(unsafe.Add(unsafe.Pointer(&b.entries), uintptr(i)*unsafe.Sizeof(b.entries[0])))
}

// find returns the entry of key, whose hash is h, or nil. It takes no lock.
func (t *table[K, V]) find(key K, h uint64) *entry[K, V] {
	b := t.bucketOf(h)
	h2w := broadcast(h2(h))
	for {
		for w := markZeroBytes(b.meta.Load() ^ h2w); w != 0; w &= w - 1 {
			if e := b.slot(firstMarked(w)).Load(); e != nil && equalKey(e.key, key) {
				return e
			}
		}
		if b = b.next.Load(); b == nil {
			return nil
		}
	}
}

// search looks for key in the chain of root, which the caller has locked;
// h2w is the broadcast h2 of the key. It returns the bucket, slot and entry
// of the key if present. Otherwise e is nil and (b, i) is the first free
// slot of the chain, or, if the chain is full, its last bucket and i = -1.
func (root *bucket[K, V]) search(key K, h2w uint64) (b *bucket[K, V], i int, e *entry[K, V]) {
	var free *bucket[K, V]
	freeSlot := -1
	for b = root; ; {
		meta := b.meta.Load()
		// Under the lock, a marked byte's slot is occupied.
		for w := markZeroBytes(meta ^ h2w); w != 0; w &= w - 1 {
			i := firstMarked(w)
			if e := b.entries[i].Load(); e.key == key {
				return b, i, e
			}
		}
		if w := ^meta & occupiedMask; free == nil && w != 0 {
			free, freeSlot = b, firstMarked(w)
		}
		next := b.next.Load()
		if next == nil {
			if free != nil {
				return free, freeSlot, nil
			}
			return b, -1, nil
		}
		b = next
	}
}

// mustGrow reports whether an insert into a chain of table t of shard si,
// whose search ended at slot i, must grow the shard first: the chain is full
// and the shard is above its load factor.
func (m *Map[K, V]) mustGrow(si uint64, t *table[K, V], i int) bool {
	return i < 0 && m.sizes[si].n.Load() >= t.growAt
}

// insertAt inserts ne, whose hash is h, at slot i of bucket b, as returned by
// search, or, if i is -1, in a new bucket chained after b. The caller holds
// the chain's lock, or owns a table no reader has seen yet.
func insertAt[K comparable, V any](b *bucket[K, V], i int, h uint64, ne *entry[K, V]) {
	if i < 0 {
		nb := new(bucket[K, V])
		nb.meta.Store(uint64(h2(h)))
		nb.entries[0].Store(ne)
		b.next.Store(nb) // publishes nb to readers
		return
	}
	// Meta first: a reader that matches the byte before the entry is
	// stored sees nil and treats the key as absent.
	b.meta.Store(setByte(b.meta.Load(), h2(h), i))
	b.entries[i].Store(ne)
}

// clearSlot empties slot i of bucket b, whose chain the caller has locked,
// and returns the bucket's new meta word.
func clearSlot[K comparable, V any](b *bucket[K, V], i int) uint64 {
	meta := setByte(b.meta.Load(), 0, i)
	b.meta.Store(meta)
	b.entries[i].Store(nil)
	return meta
}

// deleted accounts for a delete from table t of shard si that left a bucket
// with the given meta word, shrinking the shard when it has become very
// sparse. The caller has unlocked the bucket.
func (m *Map[K, V]) deleted(si uint64, t *table[K, V], meta uint64) {
	n := m.sizes[si].n.Add(-1)
	if meta == 0 && len(t.buckets) > baseTableLen() && n*shrinkDiv < int64(len(t.buckets))*entriesPerBucket {
		m.resize(si, t, shrinkTable)
	}
}

// resizeKind says what a resize does.
type resizeKind int

const (
	growTable   resizeKind = iota // double the table
	shrinkTable                   // halve the table, or more, to fit the entries
	clearTable                    // drop the entries, back to baseTableLen
)

// resize replaces table old of shard si by a table resized as kind says. It
// does nothing if old is no longer current (another resize went first); a
// nil old means the current table. A clear empties a table of one bucket in
// place instead, if clearInPlace can.
//
// Readers go on using old while resize copies it. Writers that lock a bucket
// of old before resize does complete their write before it is copied;
// writers that lock it after wait until the new table is published, then see
// that their table is stale and retry.
func (m *Map[K, V]) resize(si uint64, old *table[K, V], kind resizeKind) {
	sh := &m.shards[si]
	sh.resizeMu.Lock()
	defer sh.resizeMu.Unlock()
	t := sh.table.Load()
	if old != nil && t != old {
		return
	}
	var newLen int
	switch kind {
	case growTable:
		newLen = 2 * len(t.buckets)
	case shrinkTable:
		newLen = tableLenFor(m.sizes[si].n.Load())
		if newLen >= len(t.buckets) {
			return
		}
	case clearTable:
		if m.clearInPlace(si, t) {
			return
		}
		newLen = baseTableLen()
	}
	nt := newTable[K, V](newLen)
	var dropped int64
	for bi := range t.buckets {
		root := &t.buckets[bi]
		root.mu.Lock()
		for b := root; b != nil; b = b.next.Load() {
			for i := range b.entries {
				e := b.entries[i].Load()
				switch {
				case e == nil:
				case kind == clearTable:
					dropped++
				default:
					nt.add(hashKey(&m.seed, e.key), e)
				}
			}
		}
	}
	sh.table.Store(nt)
	for bi := range t.buckets {
		t.buckets[bi].mu.Unlock()
	}
	if dropped != 0 {
		m.sizes[si].n.Add(-dropped)
	}
}

// clearInPlace clears table t of shard si without replacing it, if that can
// be done at one instant for readers, and reports whether it did. The caller
// holds the shard's resizeMu, and t is the shard's current table.
//
// It can when t has a single bucket and no key lies past it (its overflow
// buckets, if any, are empty): one store of zero to the bucket's meta word
// then hides all its keys at once, as clearSlot hides one. A reader that
// loaded the meta word before that store may still load an entry: one
// pointer, so a whole entry, of the key it asked for and present until that
// instant. The entries are set to nil after the meta word, before the bucket
// is unlocked, so a reader that matches the meta byte of a key inserted after
// Clear finds nil or that key's entry, never a cleared one.
//
// A table of several buckets, or a chain with keys past its first bucket,
// cannot be cleared in place at one instant: readers take no lock, so they
// would see the buckets emptied one after the other, a key of an emptied
// bucket absent and then a key of a bucket not yet emptied present, which
// a shard cleared at one instant never shows. Those shards get a new table,
// published with one pointer store.
func (m *Map[K, V]) clearInPlace(si uint64, t *table[K, V]) bool {
	if len(t.buckets) != 1 {
		return false
	}
	root := &t.buckets[0]
	root.mu.Lock()
	for b := root.next.Load(); b != nil; b = b.next.Load() {
		if b.meta.Load() != 0 {
			root.mu.Unlock()
			return false
		}
	}
	meta := root.meta.Load()
	if meta != 0 {
		root.meta.Store(0)
		for i := range root.entries {
			root.entries[i].Store(nil)
		}
	}
	if root.next.Load() != nil {
		root.next.Store(nil) // empty overflow buckets: let the GC have them
	}
	root.mu.Unlock()
	// Under the lock, the occupied slots are the marked meta bytes.
	if n := bits.OnesCount64(meta & occupiedMask); n != 0 {
		m.sizes[si].n.Add(-int64(n))
	}
	return true
}

// newTable returns an empty table of n buckets; n is a power of two.
func newTable[K comparable, V any](n int) *table[K, V] {
	return &table[K, V]{
		buckets: make([]bucket[K, V], n),
		mask:    uint64(n - 1),
		growAt:  growThreshold(n),
	}
}

// add inserts e, whose hash is h, into t, which no other goroutine can see
// yet.
func (t *table[K, V]) add(h uint64, e *entry[K, V]) {
	b := &t.buckets[(h>>h2Bits)&t.mask]
	for {
		if w := ^b.meta.Load() & occupiedMask; w != 0 {
			insertAt(b, firstMarked(w), h, e)
			return
		}
		next := b.next.Load()
		if next == nil {
			insertAt(b, -1, h, e)
			return
		}
		b = next
	}
}

// growThreshold returns the entry count above which a table of n buckets
// grows rather than chains an overflow bucket.
func growThreshold(n int) int64 {
	return int64(n) * entriesPerBucket * growNum / growDen
}

// tableLenFor returns the number of buckets a shard of n entries shrinks to:
// the smallest power of two, at least baseTableLen, that holds them at half
// the growth load factor.
func tableLenFor(n int64) int {
	want := uint64(max(n, 0)) * 2 * growDen / (growNum * entriesPerBucket)
	if base := baseTableLen(); want <= uint64(base) {
		return base
	}
	return 1 << bits.Len64(want-1)
}

// h2 returns the meta byte of hash h: its low h2Bits bits, marked occupied.
// The occupied bit is the bit above them, so setting it needs no mask.
func h2(h uint64) uint8 { return uint8(h) | 1<<h2Bits }

// broadcast returns a word holding b in each of its bytes.
func broadcast(b uint8) uint64 { return lowBytes * uint64(b) }

// markZeroBytes returns w with the top bit of each zero byte among its
// entriesPerBucket low bytes (the slots of a meta word) set, and every
// other bit clear: it never marks a byte past the last slot. A byte equal
// to 1 above a zero byte is marked too (a borrow): callers check the entry
// of every marked slot. Applied to meta^broadcast(h2), it marks the slots
// whose meta byte matches h2; empty slots (meta byte 0) are never marked,
// since h2 has its top bit set.
func markZeroBytes(w uint64) uint64 { return (w - lowBytes) &^ w & occupiedMask }

// firstMarked returns the index of the lowest byte of w with its top bit set.
func firstMarked(w uint64) int { return bits.TrailingZeros64(w) >> 3 }

// setByte returns w with byte i set to b.
func setByte(w uint64, b uint8, i int) uint64 {
	shift := uint(i) * 8
	return w&^(0xff<<shift) | uint64(b)<<shift
}
