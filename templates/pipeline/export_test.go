package pipeline

import "time"

// AddBusy adds d to the busy time s's Stats report, as if its workers had
// spent d processing batches.
func AddBusy[In, Out any](s *Stage[In, Out], d time.Duration) {
	s.stats.processed(0, d)
}
