package semaphore

import (
	"context"
	"fmt"
)

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

// AcquireNQueued is AcquireN of n units that must wait, with between run
// once the request is queued and before it starts waiting, so that a test
// can end ctx and grant the units before the wait looks at either. It
// panics if the request did not queue.
func (s *Semaphore) AcquireNQueued(ctx context.Context, n int64, between func()) error {
	done := ctx.Done()
	w, err := s.enqueue(ctx, done, n)
	if w == nil {
		panic(fmt.Sprintf("semaphore: AcquireNQueued(%d) did not queue: %v", n, err))
	}
	between()
	return s.await(ctx, done, w)
}
