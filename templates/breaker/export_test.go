package breaker

// Count counts successes and failures in the bucket of the breaker's
// current time, as that many calls returning would, without making them.
func (b *Breaker[Req, Resp]) Count(successes, failures int64) {
	b.add(b.clock(), successes, failures)
}
