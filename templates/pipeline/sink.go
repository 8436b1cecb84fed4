package pipeline

// The sink receives the last stage's batches and hands their items to the
// caller, in input order for an ordered run. Its methods belong to the last
// stage, whose Out is the pipeline's output type.

// drain receives every batch from in and passes its items to deliver, in
// order of sequence number in an ordered run, then returns the emptied batch to
// free. It returns when in is closed, having marked the run complete, or
// when the run is cancelled or deliver returns false. deliver is called once
// per batch, never per item.
//
//monogen:doc ordered drain receives every batch from in and passes its items to deliver, in
//monogen:doc ordered order of sequence number, then returns the emptied batch to free. It
//monogen:doc !ordered drain receives every batch from in and passes its items to deliver, as
//monogen:doc !ordered they come, then returns the emptied batch to free. It
//monogen:doc * returns when in is closed, having marked the run complete, or when the run
//monogen:doc * is cancelled or deliver returns false. deliver is called once per batch,
//monogen:doc * never per item.
func (s *Stage[In, Out]) drain(r *Run, in <-chan outBatch[In, Out], free chan []Out, deliver func([]Out) bool) {
	done := r.ctx.Done()
	// receive is a receive from in that gives up when the run is cancelled;
	// alone first: see Stage.work.
	receive := func() (b outBatch[In, Out], ok bool) {
		select {
		case <-done:
			return b, false
		default:
		}
		select {
		case b, ok = <-in:
		default:
			select {
			case b, ok = <-in:
			case <-done:
			}
		}
		return b, ok
	}
	if !s.cfg.Ordered {
		for {
			b, ok := receive()
			if !ok {
				r.finish()
				return
			}
			if !deliver(b.items) {
				return
			}
			s.putOut(free, b.items)
		}
	}

	// The source holds a token for every batch in flight, so the sequence
	// numbers that can arrive lie in [next, next+cap(r.tokens)): a ring of
	// that many slots holds each early batch in a slot of its own.
	ring := make([]struct {
		items []Out
		full  bool
	}, cap(r.tokens))
	var next uint64
	for {
		b, ok := receive()
		if !ok {
			// Every batch of an ordered run reaches the sink, even empty, so
			// the ring is empty when in is closed, unless the run stopped.
			r.finish()
			return
		}
		if b.seq != next {
			slot := &ring[b.seq%uint64(len(ring))]
			slot.items, slot.full = b.items, true
			continue
		}
		for {
			if !deliver(b.items) {
				return
			}
			s.putOut(free, b.items)
			<-r.tokens // never blocks: the source sent one for this batch
			next++
			slot := &ring[next%uint64(len(ring))]
			if !slot.full {
				break
			}
			b.items = slot.items
			slot.items, slot.full = nil, false
		}
	}
}

// drainSlice drains in into a slice, which it returns. size is the expected
// number of items, the slice's initial capacity.
func (s *Stage[In, Out]) drainSlice(r *Run, in <-chan outBatch[In, Out], free chan []Out, size int) []Out {
	res := make([]Out, 0, size)
	s.drain(r, in, free, func(b []Out) bool {
		res = append(res, b...)
		return true
	})
	return res
}

// drainChan drains in into dst, one item per send, and closes dst when done
// or cancelled.
func (s *Stage[In, Out]) drainChan(r *Run, in <-chan outBatch[In, Out], free chan []Out, dst chan<- Out) {
	defer r.wg.Done()
	defer close(dst)
	done := r.ctx.Done()
	s.drain(r, in, free, func(b []Out) bool {
		for _, v := range b {
			// A send that need not wait costs less without the select.
			select {
			case dst <- v:
				continue
			default:
			}
			select {
			case dst <- v:
			case <-done:
				return false
			}
		}
		return true
	})
}
