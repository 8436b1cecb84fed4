package alias

// Stage turns In into Out.
type Stage[In, Out any] struct{}

// inBatch is a batch of inputs.
type inBatch[In, Out any] = struct {
	seq   uint64
	items []In
}

// Send counts b's items.
func (s *Stage[In, Out]) Send(b inBatch[In, Out]) int {
	m := inBatch[In, Out]{seq: b.seq, items: b.items}
	return len(m.items)
}
