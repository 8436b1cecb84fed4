package pool

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"
)

// PanicError is the error of a job whose function panicked. The pool
// recovers the panic, reports it as the job's error and keeps running. A job
// that panicked is not retried.
//
//monogen:doc retries PanicError is the error of a job whose function panicked. The
//monogen:doc retries pool recovers the panic, reports it as the job's error and keeps
//monogen:doc retries running. A job that panicked is not retried.
//monogen:doc !retries PanicError is the error of a job whose function panicked. The
//monogen:doc !retries pool recovers the panic, reports it as the job's error and keeps
//monogen:doc !retries running.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is the goroutine's stack when the panic was recovered.
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("pool: job panicked: %v\n\n%s", e.Value, e.Stack)
}

// Unwrap returns Value if it is an error, so that errors.Is sees through a
// panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

func newPanicError(v any) *PanicError {
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// attempt runs a job once, turning a panic into a *PanicError.
func (p *Pool[In, Out]) attempt(ctx context.Context, in In) (out Out, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = newPanicError(r)
			if p.cfg.hookPanic {
				p.panicked(in, err)
			}
		}
	}()
	if p.cfg.paced {
		// The wait is bounded by the job's context alone.
		if err := p.rate.Wait(ctx); err != nil {
			return out, err
		}
	}
	if p.cfg.Timeout > 0 {
		// Config.Timeout bounds the call.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.Timeout)
		defer cancel()
	}
	return p.call(ctx, in)
}

// maxBackoff caps the doubling delay so that it cannot overflow, whatever
// the number of retries.
const maxBackoff = time.Hour

// nextBackoff returns the delay after d: twice d up to maxBackoff. A delay
// already at or above maxBackoff stays as it is: neither shrunk to the cap
// nor doubled past the largest Duration.
func nextBackoff(d time.Duration) time.Duration {
	if d >= maxBackoff {
		return d
	}
	return min(2*d, maxBackoff)
}

// retry re-attempts a job that failed with err, up to Config.Retries times,
// sleeping with exponential backoff and jitter between attempts. It gives up
// early when ctx is done (Shutdown, Map cancellation) or the job panicked,
// and returns the last attempt's outcome.
func (p *Pool[In, Out]) retry(ctx context.Context, in In, err error) (Out, error) {
	var out Out
	delay := p.cfg.Backoff
	for range p.cfg.Retries {
		if _, panicked := err.(*PanicError); panicked || ctx.Err() != nil {
			break
		}
		if delay > 0 {
			if !sleep(ctx, jitter(delay)) {
				break
			}
			delay = nextBackoff(delay)
		}
		if p.cfg.Metrics {
			p.stats.retried.Add(1)
		}
		out, err = p.attempt(ctx, in)
		if err == nil {
			break
		}
	}
	return out, err
}

// jitter returns a duration drawn uniformly from [d/2, d): "equal jitter",
// which spreads retries of jobs that failed together while keeping most of
// the intended delay.
func jitter(d time.Duration) time.Duration {
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(d-half)
}

// sleep waits for d, or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
