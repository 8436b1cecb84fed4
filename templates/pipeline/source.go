package pipeline

// The source is the goroutine that turns a run's input into batches for the
// first stage. Its methods belong to the first stage, whose In is the
// pipeline's input type.

// acquire takes one of the ordered window's tokens before the source sends a
// batch, so that no more than cap(r.tokens) batches are in flight and the
// sink's reorder buffer is bounded. It reports false if the run is cancelled.
// Only an ordered run calls it.
//
//monogen:doc ordered acquire takes one of the window's tokens before the source sends a
//monogen:doc ordered batch, so that no more than cap(r.tokens) batches are in flight and
//monogen:doc ordered the sink's reorder buffer is bounded. It reports false if the run is
//monogen:doc ordered cancelled.
func (s *Stage[In, Out]) acquire(r *Run, done <-chan struct{}) bool {
	select {
	case r.tokens <- struct{}{}:
		return true
	case <-done:
		return false
	}
}

// feedSlice sends src to out in batches as large as Config.Batch allows, then closes
// out. The batches are subslices of src, not copies; the first stage is
// started with no free list for them, so they are neither cleared nor reused.
func (s *Stage[In, Out]) feedSlice(r *Run, src []In, out chan<- inBatch[In, Out]) {
	defer r.wg.Done()
	defer close(out)
	done := r.ctx.Done()
	for seq := uint64(0); len(src) > 0; seq++ {
		n := min(len(src), s.cfg.Batch)
		select {
		case <-done:
			return
		default:
		}
		if s.cfg.Ordered && !s.acquire(r, done) {
			return
		}
		m := inBatch[In, Out]{seq: seq, items: src[:n:n]}
		select { // alone first: see Stage.work
		case out <- m:
		default:
			select {
			case out <- m:
			case <-done:
				return
			}
		}
		src = src[n:]
	}
}

// feedChan is the source of a run started on a channel: it sends the items
// of src to out in batches (batchChan) until src is closed or the run stops,
// leaves the run, then receives and discards what remains of src until it is
// closed.
//
// The discarding is for src's producer: one that sends without selecting on
// a context, for _, x := range xs { in <- x }; close(in), would otherwise
// block forever on a run that stopped reading. Wait does not wait for it, so
// a stopped run ends promptly, and the goroutine ends once the producer
// closes src, as a sender does when it is done. Giving the producer a
// channel to select on instead would not help the producer that needs it:
// the one that does not select.
func (s *Stage[In, Out]) feedChan(r *Run, src <-chan In, out chan<- inBatch[In, Out], free chan []In) {
	s.batchChan(r, src, out, free)
	for range src { // at once if src is closed: the run read it to the end
	}
}

// batchChan receives items from src until it is closed and sends them to
// out in batches, then closes out; it returns early if the run stops. It
// waits for the first item of a batch, but not for the rest: a batch is sent
// as soon as src is momentarily empty, so batching adds no latency to a slow
// input. Batches come from free.
func (s *Stage[In, Out]) batchChan(r *Run, src <-chan In, out chan<- inBatch[In, Out], free chan []In) {
	defer r.wg.Done()
	defer close(out)
	done := r.ctx.Done()
	for seq := uint64(0); ; seq++ {
		var v In
		open := true
		select {
		case <-done:
			return
		default:
		}
		select {
		case v, open = <-src:
		default:
			select {
			case v, open = <-src:
			case <-done:
				return
			}
		}
		if !open {
			return
		}
		b := append(s.getIn(free), v)
	fill:
		for len(b) < s.cfg.Batch {
			select {
			case v, open = <-src:
				if !open {
					break fill
				}
				b = append(b, v)
			default:
				break fill
			}
		}
		if s.cfg.Ordered && !s.acquire(r, done) {
			return
		}
		m := inBatch[In, Out]{seq: seq, items: b}
		select { // alone first: see Stage.work
		case out <- m:
		default:
			select {
			case out <- m:
			case <-done:
				return
			}
		}
		if !open {
			return
		}
	}
}
