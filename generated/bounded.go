package generated

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrNotFound is an answer, not a failure, for PolicyBreaker (failure=).
var ErrNotFound = errors.New("not found")

// countsAsFailure is PolicyBreaker's failure policy: every error but
// ErrNotFound is a failure.
func countsAsFailure(err error) bool { return !errors.Is(err, ErrNotFound) }

// policyChanges records the changes of state PolicyBreaker reports.
var policyChanges struct {
	mu  sync.Mutex
	log []string
}

func policyChanged(from, to PolicyBreakerState, counts PolicyBreakerCounts) {
	policyChanges.mu.Lock()
	defer policyChanges.mu.Unlock()
	policyChanges.log = append(policyChanges.log, fmt.Sprintf("%v->%v %d/%d", from, to, counts.Successes, counts.Failures))
}

// PolicyChanges returns and forgets the changes PolicyBreaker reported, as
// "from->to successes/failures".
func PolicyChanges() []string {
	policyChanges.mu.Lock()
	defer policyChanges.mu.Unlock()
	log := policyChanges.log
	policyChanges.log = nil
	return log
}

// Bounded parallelism: one directive per kind and shape the equivalence
// tests and benchmarks compare with the templates.
//
//monogen:semaphore Slots n=4
//monogen:semaphore BenchSlots n=64
var _ struct{}

// Limits from run-time configuration (config=true): each type takes a
// Config whose zero fields take the directive's values.
//
//monogen:semaphore ConfSlots n=4 config=true
//monogen:breaker ConfBreaker[int, int] failures=3 cooldown=1h config=true
//monogen:limiter ConfLimiter[int, int] fn=Work min=2 max=64 config=true
//monogen:breaker BenchConfBreaker[int, int] fn=Work config=true
//monogen:ratelimit ConfTokens algo=token rate=100/s burst=20 config=true
//monogen:ratelimit ConfWindow algo=window limit=1000 window=1m config=true
//monogen:ratelimit BenchConfTokens algo=token rate=1000000000/s burst=1099511627776 config=true
var _ struct{}

// Rate limiters, one per algorithm, and the always-admitting ones the
// benchmarks use.
//
//monogen:ratelimit Tokens algo=token rate=100/s burst=20
//monogen:ratelimit Window algo=window limit=1000 window=1m
//monogen:ratelimit BenchTokens algo=token rate=1000000000/s burst=1099511627776
//monogen:ratelimit BenchWindow algo=window limit=1048575 window=1ms
var _ struct{}

// Breakers and limiters around Work, with the function bound and not.
//
//monogen:breaker WorkBreaker[int, int] fn=Work
//monogen:breaker FlakyBreaker[int, int] failures=3 ratio=0.5 cooldown=1h halfopen=2 fallback=Fallback
//monogen:breaker QuickBreaker[int, int] failures=2 cooldown=1ns halfopen=2 window=1m buckets=4
//monogen:breaker PolicyBreaker[int, int] failures=2 cooldown=1ns halfopen=1 failure=countsAsFailure onchange=policyChanged
//monogen:breaker SlowBreaker[int, int] failures=1 cooldown=1h slow=100ms
//monogen:limiter WorkLimiter[int, int] fn=Work min=2 max=256
//monogen:limiter FlakyLimiter[int, int] min=1 max=8 initial=4
var _ struct{}

// Work is the function the breakers and limiters call: it returns req.
func Work(_ context.Context, req int) (int, error) { return req, nil }

// Fallback answers -1 for a failed or rejected call, with no error.
func Fallback(_ context.Context, _ int, _ error) (int, error) { return -1, nil }

// WatchedSlots and ObservedSlots are BenchSlots with metrics=true and with
// a trivial onwait= hook: their Acquire that waits is timed, the one that
// does not costs what BenchSlots' does (bench/bounded's
// BenchmarkSemaphoreObserve).
//
//monogen:semaphore WatchedSlots n=64 metrics=true
//monogen:semaphore ObservedSlots n=64 onwait=slotWaited
var _ struct{}

// SlotWaits records what ObservedSlots' onwait= sees.
var SlotWaits struct {
	sync.Mutex
	Waited []time.Duration
	Errs   []error
}

func slotWaited(d time.Duration, err error) {
	SlotWaits.Lock()
	defer SlotWaits.Unlock()
	SlotWaits.Waited = append(SlotWaits.Waited, d)
	SlotWaits.Errs = append(SlotWaits.Errs, err)
}
