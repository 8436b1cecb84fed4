package pipeline

import "time"

// AddBusy adds d to the busy time s's Stats report, as if its workers had
// spent d processing batches.
func AddBusy[In, Out any](s *Stage[In, Out], d time.Duration) {
	s.stats.processed(0, 0, d)
}

// Segments returns p's stages grouped by the goroutines they run on: each
// group a fused chain, or a stage alone.
func Segments[In, Out any](p *Pipeline[In, Out]) [][]string {
	return p.segments
}
