// Package stages is a template for the stencil tests of what pipeline
// stages need: struct type literals in signatures, loops that end a branch,
// and shared declarations renamed and dropped per run.
package stages

//monogen:config
type Config struct {
	Ordered bool
}

// Stage moves items.
type Stage[In, Out any] struct {
	cfg  Config
	conv func(In) Out
}

// Run is shared by the stages of one directive.
type Run struct{ n int }

// send passes a batch on; the struct type literal's fields must stay.
func (s *Stage[In, Out]) send(r *Run, in <-chan struct {
	seq   uint64
	items []In
}, out chan<- struct {
	seq   uint64
	items []Out
}) {
	if !s.cfg.Ordered {
		for {
			b, ok := <-in
			if !ok {
				return
			}
			res := make([]Out, len(b.items))
			for i, v := range b.items {
				res[i] = s.conv(v)
			}
			out <- struct {
				seq   uint64
				items []Out
			}{b.seq, res}
		}
	}
	r.n++ // ordered only: unreachable after the loop above
	for b := range in {
		_ = b
	}
}
