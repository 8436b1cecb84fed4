// Package prune is a template for the stencil's tests of which declarations
// a directive keeps: //monogen:if, //monogen:template, Drop, Keep, and the
// removal of what nothing refers to.
package prune

import "sync/atomic"

// Config holds the runtime options.
//
//monogen:config
type Config struct {
	Metrics bool
}

// Box is the main type.
type Box[T any] struct {
	cfg   Config
	items []T
	hits  atomic.Int64 //monogen:if metrics
	// misses counts lookups that found nothing.
	//
	//monogen:if metrics
	misses atomic.Int64
	plain  int64 //monogen:if !metrics
	spare  int   // nothing reads or writes it
	onlyBy int   // only a removed method uses it
	stats  *stats
}

// stats is referred to only by a field of Box, which is kept.
type stats struct{ n int }

// New makes a Box from options.
//
//monogen:template
func New[T any](cfg Config) *Box[T] {
	b := &Box[T]{cfg: cfg}
	b.init()
	return b
}

// Options exist only in the generic reference.
//
//monogen:template
type Options struct{ Metrics bool }

type (
	// kept is a grouped type that stays.
	kept int
	// templateOnly is a grouped type the stencil drops.
	//
	//monogen:template
	templateOnly int
)

const (
	// limit is used by Add.
	limit = 8
	// metricsName is only for metrics.
	//
	//monogen:if metrics
	metricsName = "hits"
	// notMetrics is only without.
	//
	//monogen:if !!!metrics
	notMetrics = 1
)

func (b *Box[T]) init() {
	b.items = make([]T, 0, limit)
	b.stats = &stats{}
}

// Add appends v.
func (b *Box[T]) Add(v T) kept {
	b.items = append(b.items, v)
	if b.cfg.Metrics {
		b.hits.Add(1)
	}
	return kept(len(b.items))
}

// Hits is only with metrics.
//
//monogen:if metrics
func (b *Box[T]) Hits() (int64, string) { return b.hits.Load() + b.misses.Load(), metricsName }

// Plain is only without metrics.
//
//monogen:if !metrics
func (b *Box[T]) Plain() (int64, int) { return b.plain, notMetrics }

// unusedMethod is unexported and nothing calls it: it goes, and so does
// the field only it reads.
func (b *Box[T]) unusedMethod() int { return b.onlyBy }

// keptMethod is unexported and nothing calls it, but the spec keeps it.
func (b *Box[T]) keptMethod() int { return chain1() }

// chain1 is only called by keptMethod.
func chain1() int { return chain2() }

// chain2 is only called by chain1.
func chain2() int { return 2 }

// orphan1 is called only by orphan2, which nothing calls: both go.
func orphan1() int { return 1 }

func orphan2() int { return orphan1() }

// Exported is kept though nothing calls it.
func Exported() int { return 3 }

// Dropped is exported, but the spec drops it.
func Dropped() int { return 4 }

// Helper is an exported type with a method; the spec drops the type, and
// its method goes with it.
type Helper struct{}

// Do is Helper's method.
func (Helper) Do() {}

func init() {}
