package queue

import (
	"context"
	"sync"
)

// FanIn runs produce in n goroutines, passing each its index in [0, n), waits
// for all of them to return and then closes q, so that consumers drain what
// was pushed and stop. The first non-nil error returned by a produce cancels
// the context given to the others and is returned; q is closed in every case.
// produce pushes with q.Push or q.PushMany.
func (q *Queue[T]) FanIn(ctx context.Context, n int, produce func(ctx context.Context, i int) error) error {
	err := runGroup(ctx, n, produce)
	q.Close()
	return err
}

// FanOut runs n consumers that pop items from q and call consume for each,
// until q is closed and drained, ctx ends or consume returns an error. The
// first error cancels the others and is returned; ErrClosed, the normal end,
// is not. FanOut returns when every consumer has returned; an item popped by a
// consumer is always passed to consume.
func (q *Queue[T]) FanOut(ctx context.Context, n int, consume func(ctx context.Context, v T) error) error {
	return runGroup(ctx, n, func(ctx context.Context, _ int) error {
		for {
			v, err := q.Pop(ctx)
			if err == ErrClosed {
				return nil
			}
			if err != nil {
				return err
			}
			if err := consume(ctx, v); err != nil {
				return err
			}
		}
	})
}

// runGroup runs fn in n goroutines, waits for them and returns the first
// error, cancelling the context of the others when it happens.
func runGroup(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for i := range n {
		wg.Go(func() {
			if err := fn(ctx, i); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel(err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return firstErr
}
