package respool

import (
	"context"
	"time"
)

// NewManual is New with eviction ticks taken by calling Tick instead of from
// a time.Ticker, so that tests decide when time passes. cfg.Idle must be
// positive for eviction.
func NewManual[T any](newFn func(context.Context) (T, error), closeFn func(T), checkFn func(T) error, cfg Config) *Pool[T] {
	if cfg.Max <= 0 {
		cfg.Max = DefaultMax
	}
	p := &Pool[T]{cfg: cfg, newFn: newFn, closeFn: closeFn, checkFn: checkFn}
	p.tick = make(chan time.Time) // never ticks
	p.init()
	return p
}

// Tick is one eviction tick: Config.Idle/2 has passed.
func (p *Pool[T]) Tick() { p.evictIdle() }

// Waiters returns the number of Gets waiting at Max.
func (p *Pool[T]) Waiters() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiters)
}
