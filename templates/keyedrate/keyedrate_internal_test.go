package keyedrate

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestEvictionNeverResetsAKeyInUse plays, step by step, a sweep that finds a
// key's bucket full and idle against an Allow that takes a token between the
// sweep's look and its eviction: the eviction must fail, and the token stay
// taken.
func TestEvictionNeverResetsAKeyInUse(t *testing.T) {
	t0 := time.Now()
	l := NewAt[string](Config{Interval: time.Hour, Burst: 1, Idle: time.Minute}, t0)
	now := int64(2 * time.Hour)
	if !l.allow("k", int64(time.Minute)) {
		t.Fatal("first event refused")
	}
	b := l.buckets.LoadPointer("k")
	// The sweep looks: at 2h the bucket has been full for an hour.
	s := atomic.LoadInt64(b)
	if s > now-int64(time.Hour)-int64(l.cfg.Idle) {
		t.Fatal("the bucket is not full and idle at 2h")
	}
	// An event takes the token before the sweep evicts.
	if !l.allow("k", now) {
		t.Fatal("the event at 2h was refused")
	}
	if l.evict("k", b, s) {
		t.Fatal("the sweep evicted a bucket whose token an event had just taken")
	}
	if got := l.buckets.LoadPointer("k"); got != b || l.Len() != 1 {
		t.Fatal("the key's bucket left the map")
	}
	if l.allow("k", now) {
		t.Fatal("a second event at 2h was admitted: the key was reset")
	}
}

// TestAllowAfterEvictionLooksTheKeyUpAgain plays an Allow that loaded a
// bucket which a sweep then evicted: the Allow counts its event on the key's
// new bucket, which the map holds, not on the evicted one.
func TestAllowAfterEvictionLooksTheKeyUpAgain(t *testing.T) {
	t0 := time.Now()
	l := NewAt[string](Config{Interval: time.Hour, Burst: 1}, t0)
	l.allow("k", 0)
	b := l.buckets.LoadPointer("k")
	s := atomic.LoadInt64(b)
	// At 2h the bucket is full: evict it.
	now := int64(2 * time.Hour)
	if !l.evict("k", b, s) {
		t.Fatal("a full bucket was not evicted")
	}
	if l.buckets.LoadPointer("k") != nil || l.Len() != 0 {
		t.Fatal("the evicted bucket is still in the map")
	}
	if !l.allow("k", now) {
		t.Fatal("the key's first event after its eviction was refused")
	}
	if nb := l.buckets.LoadPointer("k"); nb == nil || nb == b || l.Len() != 1 {
		t.Fatal("the event was not counted on a new bucket in the map")
	}
	if l.allow("k", now) {
		t.Fatal("a second event at 2h was admitted")
	}
}
