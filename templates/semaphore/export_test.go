package semaphore

// Waiters returns the number of queued Acquire calls, so that tests can
// wait for a goroutine to be queued without sleeping.
func (s *Semaphore) Waiters() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for w := s.head; w != nil; w = w.next {
		n++
	}
	return n
}
