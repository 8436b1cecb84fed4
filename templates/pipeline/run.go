package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// Run is one execution of a pipeline, started by Start: its goroutines, its
// context and its outcome.
//
// The zero value is not usable; a Run must not be copied. Wait may be called
// from any goroutine.
type Run struct {
	_ noCopy

	// ctx is cancelled by the first failure in stop mode, by the caller's
	// context, or by Wait once everything is done.
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	// tokens bounds the batches in flight in an ordered run; nil otherwise.
	// Its capacity is the window: the source sends a token before each
	// batch, the sink receives one after delivering a batch.
	//
	//monogen:doc ordered tokens bounds the batches in flight. Its capacity is the window: the
	//monogen:doc ordered source sends a token before each batch, the sink receives one after
	//monogen:doc ordered delivering a batch.
	//monogen:note Only newOrderedRun sets it: an unordered pipeline's output
	//monogen:note has no such field.
	tokens chan struct{}

	// complete is set by the sink once it has delivered the last batch,
	// before Wait can return; Wait reads it after the sink is done.
	complete bool

	// mu guards err and failures. It points to lock, or is nil in a run
	// whose only goroutine is the caller's, which needs no lock: behind a
	// pointer, the mutex does not make that run escape to the heap, as
	// passing its address to Lock would.
	//
	//monogen:note Only the one-goroutine RunSlice of a generated pipeline
	//monogen:note (every stage fused, one worker: the condition alone) makes
	//monogen:note a run without mu.
	//monogen:doc alone mu guards err and failures. It points to lock, or is nil in the run of
	//monogen:doc alone RunSlice, whose only goroutine is the caller's and needs no lock: behind a
	//monogen:doc alone pointer, the mutex does not make that run escape to the heap, as passing
	//monogen:doc alone its address to Lock would.
	//monogen:doc !alone mu guards err and failures. It points to lock.
	mu       *sync.Mutex
	lock     sync.Mutex
	err      error    // the failure that stopped the run, guarded by mu
	failures Failures // collect mode, guarded by mu
}

// newRun returns a run under parent.
func newRun(parent context.Context) *Run {
	r := &Run{}
	r.mu = &r.lock
	r.ctx, r.cancel = context.WithCancelCause(parent)
	return r
}

// newOrderedRun returns a run under parent of an ordered pipeline, which
// has at most window batches in flight.
//
//monogen:note A function of its own, not a parameter of newRun, so that
//monogen:note an unordered pipeline's output has neither it nor the tokens.
func newOrderedRun(parent context.Context, window int) *Run {
	r := newRun(parent)
	r.tokens = make(chan struct{}, window)
	return r
}

// Wait waits for every goroutine of the run to exit, but the one that
// discards the rest of Start's input after a stop (see Start), then returns:
//   - the *ItemError that stopped the run, in stop mode;
//   - the cause of the context's cancellation, if the context was cancelled
//     before the run completed (joined with any Failures);
//   - the Failures, in collect mode, if any item failed;
//   - nil otherwise: every item was delivered or dropped by ErrSkip.
//
// Wait does not drain the output: call it after the output channel is
// closed, or after cancelling the context. Everything the run's goroutines
// did happens before Wait returns.
func (r *Run) Wait() error {
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.outcome()
	r.cancel(context.Canceled) // release the context's resources
	return err
}

// outcome returns what Wait returns, once every goroutine of the run is
// done; the caller holds mu, if there is one.
func (r *Run) outcome() error {
	switch {
	case r.err != nil:
		return r.err
	case !r.complete:
		err := context.Cause(r.ctx)
		if len(r.failures) > 0 {
			err = errors.Join(err, r.failures)
		}
		return err
	case len(r.failures) > 0:
		return r.failures
	}
	return nil
}

// finish is called by the sink when its input is closed: the run is
// complete unless it was cancelled, in which case a stage may have closed its
// output early. The cancellation happens before the close that the sink saw,
// so the check cannot miss it.
func (r *Run) finish() {
	r.complete = r.ctx.Err() == nil
}

// stop ends the run because of err, unless an earlier failure already has.
func (r *Run) stop(err error) {
	if r.mu != nil {
		r.mu.Lock()
	}
	if r.err == nil {
		r.err = err
	}
	if r.mu != nil {
		r.mu.Unlock()
	}
	r.cancel(err) // not under mu: cancelling runs the context's AfterFuncs
}

// collect records a failed item; the run goes on.
func (r *Run) collect(e *ItemError) {
	if r.mu != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
	}
	r.failures = append(r.failures, e)
}

// ItemError reports that a stage failed an item: its function returned an
// error other than ErrSkip on the last attempt, or panicked.
type ItemError struct {
	Stage string // the stage's name
	Item  any    // the stage's input, the item that failed
	Err   error  // the function's error, or a *PanicError
}

func (e *ItemError) Error() string {
	return "pipeline: stage " + e.Stage + ": " + e.Err.Error()
}

func (e *ItemError) Unwrap() error { return e.Err }

// Failures is the error Wait returns in collect mode when items failed: each
// failure, in the order the stages reported them. errors.Is and errors.As
// look into every one.
type Failures []*ItemError

func (f Failures) Error() string {
	if len(f) == 1 {
		return f[0].Error()
	}
	return strconv.Itoa(len(f)) + " items failed; first: " + f[0].Error()
}

func (f Failures) Unwrap() []error {
	errs := make([]error, len(f))
	for i, e := range f {
		errs[i] = e
	}
	return errs
}

// PanicError is the error of an item whose stage function panicked.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack, from runtime/debug.Stack
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v\n\n%s", e.Value, e.Stack)
}

// Unwrap returns the panic value if it is an error, so that errors.Is sees
// through a panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// noCopy lets go vet's copylocks check flag copies of a Stage or a Run.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
