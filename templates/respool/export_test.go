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

// WaitQueued queues a Get as Get does at Max, runs between, then waits as
// that Get does and returns what the wait returned, so that a test can end
// ctx and wake the Get before the wait looks at either. It panics if a hot
// slot held a resource, so that the Get did not queue.
func (p *Pool[T]) WaitQueued(ctx context.Context, between func()) error {
	p.mu.Lock()
	w := p.enqueueLocked()
	p.mu.Unlock()
	if w == nil {
		panic("respool: WaitQueued found an idle resource")
	}
	between()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.awaitLocked(ctx, w)
}

// Age makes every resource of the pool older by d, for Config.MaxLife. The
// pool must be idle.
func (p *Pool[T]) Age(d time.Duration) { p.epoch = p.epoch.Add(-d) }
