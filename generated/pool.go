package generated

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Worker pools, one per shape of the pool directive: a tiny bound job for the
// batch benchmark, a microsecond job, a 10ns job, a sleep, every option at
// once, a Name[In] pool, and a pool whose constructor takes the job
// function.

// Tiny is the benchmarks' tiny job, bound so that it inlines into the
// worker loop.
//
//monogen:pool TinyPool[int, int] queue=1024 fn=Tiny
//monogen:pool ConfPool[int, int] workers=2 queue=16 fn=Tiny config=true
func Tiny(x int) int { return 2 * x }

// SpinWork is the number of dependent multiply-adds in Spin: about a
// microsecond on the 2-core benchmark machine.
const SpinWork = 870

// Spin is the benchmarks' microsecond job.
//
//monogen:pool SpinPool[int, int] queue=1024 fn=Spin
func Spin(x int) int {
	for range SpinWork {
		x = x*1664525 + 1013904223
	}
	return x
}

// ShortWork is the number of dependent multiply-adds in Short: about 10ns
// on the 2-core benchmark machine.
const ShortWork = 23

// Short is the job of the benchmark of Map's floor (bench/pool's
// BenchmarkPoolMapFloor): about 10ns, where handing out the batch, not the
// jobs, is most of what a pool adds.
//
//monogen:pool ShortPool[int, int] queue=1024 fn=Short
func Short(x int) int {
	for range ShortWork {
		x = x*1664525 + 1013904223
	}
	return x
}

// Nap is the job of the makespan tests, which time bursts of jobs of
// unequal length: it sleeps ms milliseconds.
//
//monogen:pool NapPool[int, int] fn=Nap
func Nap(ms int) int {
	if ms > 0 {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	return ms
}

// Job is a unit of work for Resizer: it fails its first Fails attempts, or
// panics if Panic is set.
type Job struct {
	ID    int
	Fails int
	Panic bool
}

// Result is a finished Job: its ID and the attempt that succeeded.
type Result struct {
	ID      int
	Attempt int
}

// ErrFlaky is the error of a failing attempt of a Job.
var ErrFlaky = errors.New("flaky attempt")

// Attempts counts the attempts of each job ID; Flaky runs a Job against it.
// Tests give each pool its own Attempts, and job IDs unique within it; a
// test using the package's ResizerAttempts resets it first, so that it does
// not see the attempts of an earlier run (go test -count).
type Attempts struct {
	mu sync.Mutex
	n  map[int]int
}

// Reset forgets every attempt counted so far.
func (a *Attempts) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n = nil
}

// Flaky runs one attempt of j: an error for each of the first j.Fails
// attempts, a panic if j.Panic, an error if ctx has no deadline when
// wantDeadline.
func (a *Attempts) Flaky(ctx context.Context, j Job, wantDeadline bool) (Result, error) {
	if _, ok := ctx.Deadline(); wantDeadline && !ok {
		return Result{}, errors.New("no deadline")
	}
	if j.Panic {
		panic(fmt.Sprintf("job %d", j.ID))
	}
	a.mu.Lock()
	if a.n == nil {
		a.n = map[int]int{}
	}
	a.n[j.ID]++
	n := a.n[j.ID]
	a.mu.Unlock()
	if n <= j.Fails {
		return Result{}, fmt.Errorf("job %d attempt %d: %w", j.ID, n, ErrFlaky)
	}
	return Result{ID: j.ID, Attempt: n}, nil
}

// ResizerAttempts is the attempt counter of the jobs Resizer runs.
var ResizerAttempts Attempts

// Resizer has every option: the retry, backoff, timeout and metrics code.
//
//monogen:pool Resizer[Job, Result] workers=3 queue=8 fn=resize retries=2 backoff=1ms timeout=1s metrics=true
func resize(ctx context.Context, j Job) (Result, error) {
	return ResizerAttempts.Flaky(ctx, j, true)
}

// Sender is a Name[In] pool: jobs return only an error. Its handler is
// bound too.
//
//monogen:pool Sender[string] workers=2 fn=send result=sent
func send(msg string) error {
	if msg == "" {
		return errors.New("empty message")
	}
	return nil
}

// SenderResults collects what Sender's bound handler receives.
var SenderResults struct {
	sync.Mutex
	Ok, Failed []string
}

func sent(msg string, err error) {
	SenderResults.Lock()
	defer SenderResults.Unlock()
	if err != nil {
		SenderResults.Failed = append(SenderResults.Failed, msg)
	} else {
		SenderResults.Ok = append(SenderResults.Ok, msg)
	}
}

// FuncPool takes its job function in its constructor, as the template does.
//
//monogen:pool FuncPool[int, int] queue=64
var _ struct{}

// StressPool takes its job function like FuncPool, with the options of the
// template's stress test: retries, a timeout and metrics.
//
//monogen:pool StressPool[int, int] workers=3 queue=8 retries=1 timeout=1ms metrics=true
var _ struct{}

// Pools composed with other directives of the package: two pools sharing
// one rate limiter, and a pool whose jobs run through a circuit breaker.
// The limiter admits three jobs at once and one an hour after that, so
// that tests see exactly which jobs it lets through.
//
//monogen:ratelimit JobQuota algo=token rate=1/h burst=3
//monogen:ratelimit SharedQuota algo=token rate=1000/s burst=100 store=shared onfail=local replicas=4
//monogen:ratelimit SharedOpen algo=token rate=100/s burst=8 store=shared onfail=open lease=2 timeout=20ms
//monogen:semaphore SharedSlots n=4 store=shared onfail=local replicas=2 ttl=3s
//monogen:pool PacedPool[int, int] workers=2 rate=JobQuota metrics=true
//monogen:pool PacedSender[string] workers=1 fn=send rate=JobQuota
//monogen:breaker JobBreaker[int, int] failures=2 cooldown=1h
//monogen:pool GuardedPool[int, int] workers=1 breaker=JobBreaker retries=1 metrics=true
var _ struct{}

// HookedPool reports its events to package-level hooks, and times its jobs
// (metrics=true): the hook calls are direct, and the histograms are in
// Stats. A job of -1 panics; a job of 0 blocks until HookedGate is closed.
//
//monogen:pool HookedPool[int, int] workers=1 queue=2 fn=hookedJob onreject=hookedReject ondrop=hookedDrop onpanic=hookedPanic metrics=true
func hookedJob(ctx context.Context, x int) (int, error) {
	switch x {
	case -1:
		panic("hooked job panics")
	case 0:
		HookedStarted <- x
		select {
		case <-HookedGate:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return x, nil
}

// HookedStarted receives job 0 of HookedPool as it starts; HookedGate
// releases it.
var (
	HookedStarted = make(chan int, 1)
	HookedGate    = make(chan struct{})
)

// HookedEvents records what HookedPool's hooks report.
var HookedEvents struct {
	sync.Mutex
	Rejected map[int]error
	Dropped  []int
	Panicked map[int]error
}

func hookedReject(in int, err error) {
	HookedEvents.Lock()
	defer HookedEvents.Unlock()
	HookedEvents.Rejected[in] = err
}

func hookedDrop(in int) {
	HookedEvents.Lock()
	defer HookedEvents.Unlock()
	HookedEvents.Dropped = append(HookedEvents.Dropped, in)
}

func hookedPanic(in int, err error) {
	HookedEvents.Lock()
	defer HookedEvents.Unlock()
	HookedEvents.Panicked[in] = err
}

// TinyMetricsPool and TinyHookedPool are TinyPool with metrics=true and
// with trivial hooks, for the benchmarks of what each costs (bench/pool's
// BenchmarkPoolObserve).
//
//monogen:pool TinyMetricsPool[int, int] queue=1024 fn=Tiny metrics=true
//monogen:pool TinyHookedPool[int, int] queue=1024 fn=Tiny onreject=tinyReject ondrop=tinyDrop onpanic=tinyPanic
var _ struct{}

// TinyEvents counts the events TinyHookedPool's hooks see.
var TinyEvents atomic.Int64

func tinyReject(int, error) { TinyEvents.Add(1) }
func tinyDrop(int)          { TinyEvents.Add(1) }
func tinyPanic(int, error)  { TinyEvents.Add(1) }
