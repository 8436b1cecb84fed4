package generated

import "testing"

// TestSizedMapDoesNotGrow inserts the 100000 keys SizedMap is presized for
// (size=100000): no shard may get a new table, neither in a new map nor
// after Clear, and deleting them all keeps the presized tables. The
// control, IntMap without a size hint, must grow, so the check can fail.
func TestSizedMapDoesNotGrow(t *testing.T) {
	const n = sizedMapSizeHint
	m := NewSizedMap()
	for round := range 2 {
		before := make([]*sizedMapTable, len(m.shards))
		for si := range m.shards {
			before[si] = m.shards[si].table.Load()
		}
		for k := range n {
			m.Store(k, k)
		}
		for si := range m.shards {
			if m.shards[si].table.Load() != before[si] {
				t.Fatalf("round %d: shard %d grew", round, si)
			}
		}
		if m.Len() != n {
			t.Fatalf("Len() = %d, want %d", m.Len(), n)
		}
		for k := range n {
			m.Delete(k)
		}
		for si := range m.shards {
			if got := len(m.shards[si].table.Load().buckets); got != len(before[si].buckets) {
				t.Fatalf("round %d: shard %d shrank from %d to %d buckets", round, si, len(before[si].buckets), got)
			}
		}
		m.Store(1, 1)
		m.Clear()
	}

	control := NewIntMap()
	first := control.shards[0].table.Load()
	for k := range n {
		control.Store(k, k)
	}
	if control.shards[0].table.Load() == first {
		t.Fatal("control: IntMap did not grow")
	}
}
