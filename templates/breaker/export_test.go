package breaker

// Count counts successes and failures in the bucket of the breaker's
// current time, as that many calls returning would, without making them.
func (b *Breaker[Req, Resp]) Count(successes, failures int64) {
	b.add(b.clock(), successes, failures)
}

// MuHeld reports whether the breaker's lock is held, for a state-change
// function that must be called outside it.
func (b *Breaker[Req, Resp]) MuHeld() bool {
	if b.mu.TryLock() {
		b.mu.Unlock()
		return false
	}
	return true
}
