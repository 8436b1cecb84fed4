package keyedbrk

import (
	"context"
	"testing"
	"time"
)

// TestSweepFreesTheWindowOfAnIdleKeyItKeeps sweeps a closed key whose
// window has emptied while a call is in flight on it: the key stays, and
// its window's buckets go back to the heap until its next count.
func TestSweepFreesTheWindowOfAnIdleKeyItKeeps(t *testing.T) {
	var now time.Duration
	b := New(func(k string) string { return k }, func(context.Context, string) (int, error) { return 0, nil }, nil, Config{Idle: time.Minute})
	b.SetClock(func() time.Duration { return now })
	for range flushEvery {
		if _, err := b.Execute(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := b.circuits.Load("k")
	if c.buckets == nil {
		t.Fatal("16 successes left no window")
	}
	c.flight.Add(1<<startedShift | 1) // a call in flight
	now = time.Hour
	b.Sweep()
	b.Sweep()
	if b.Len() != 1 {
		t.Fatal("the key with a call in flight was evicted")
	}
	if c.buckets != nil {
		t.Fatal("the sweeps kept the buckets of an empty window")
	}
	c.flight.Add(^uint64(0))
	if _, err := b.Execute(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
}
