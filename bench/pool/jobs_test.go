package pool

import (
	"context"
	"sync/atomic"
)

// spinWork is the number of dependent multiply-adds in the "1us" job: about
// a microsecond on the 2-core benchmark machine. It is a work count, not a
// time, so the job costs the same whatever the load.
const spinWork = 870

func tiny(x int) int { return 2 * x }

func spin(x int) int {
	for range spinWork {
		x = x*1664525 + 1013904223
	}
	return x
}

// The same jobs in the shape a monogen pool calls.
func tinyCtx(_ context.Context, x int) (int, error) { return tiny(x), nil }
func spinCtx(_ context.Context, x int) (int, error) { return spin(x), nil }

// job is one workload, in each shape the implementations take.
type job struct {
	name    string
	fn      func(int) int
	ctxFn   func(context.Context, int) (int, error)
	mapSize int // items per mode=map op
}

var jobs = []job{
	{name: "tiny", fn: tiny, ctxFn: tinyCtx, mapSize: 1 << 20},
	{name: "1us", fn: spin, ctxFn: spinCtx, mapSize: 1 << 14},
}

// completions counts down a wave of jobs; the job that brings it to zero
// signals the submitter. Every implementation signals completion through
// it, so its cost (one shared atomic add per job) is the same for all.
type completions struct {
	left atomic.Int64
	done chan struct{}
}

func newCompletions() *completions {
	return &completions{done: make(chan struct{}, 1)}
}

// expect arms the countdown for n jobs; call it before submitting them.
func (c *completions) expect(n int) { c.left.Store(int64(n)) }

// finish records one completed job.
func (c *completions) finish() {
	if c.left.Add(-1) == 0 {
		c.done <- struct{}{}
	}
}

// wait blocks until the armed wave has completed.
func (c *completions) wait() { <-c.done }
