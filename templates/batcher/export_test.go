package batcher

import (
	"context"
	"time"
)

// NewWithTick is New with the flush interval driven by tick instead of a
// time.Ticker, so that tests decide when the interval passes. cfg.Flush must
// be positive to start the flusher.
func NewWithTick[T any](fn func(ctx context.Context, items []T) error, onError func([]T, error), cfg Config, tick <-chan time.Time) *Batcher[T] {
	if cfg.Size <= 0 {
		cfg.Size = DefaultSize
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	b := &Batcher[T]{cfg: cfg, fn: fn, onError: onError, tick: tick}
	b.init()
	return b
}
