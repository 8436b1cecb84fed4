package generated

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event hooks of the queue, respool, ratelimit, limiter and pipeline kinds:
// each directive binds package-level functions that record what they see,
// and on which goroutine, for hooks_test.go.

// GoroutineID returns the ID of the calling goroutine, from its stack
// trace, so that a test can tell on which goroutine a hook ran.
func GoroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	id, _ := strconv.ParseUint(string(b[:bytes.IndexByte(b, ' ')]), 10, 64)
	return id
}

// HookedNewestQueue and HookedOldestQueue report each item they drop to a
// package-level ondrop= function, as a service would log or count it.
//
//monogen:queue HookedNewestQueue[int] size=4 policy=drop-newest ondrop=newestDropped
//monogen:queue HookedOldestQueue[int] size=4 policy=drop-oldest ondrop=oldestDropped
var _ struct{}

// QueueDrops records what the ondrop= functions of HookedNewestQueue and
// HookedOldestQueue see.
var QueueDrops HookLog[int]

func newestDropped(v int) { QueueDrops.Add("newest", v) }
func oldestDropped(v int) { QueueDrops.Add("oldest", v) }

// HookLog records the calls of hooks: which hook, with what, and on which
// goroutine.
type HookLog[T any] struct {
	mu    sync.Mutex
	calls []HookCall[T]
}

// HookCall is one call of a hook.
type HookCall[T any] struct {
	Hook string
	Arg  T
	On   uint64 // the goroutine's ID
}

// Add records a call of hook with arg on the calling goroutine.
func (l *HookLog[T]) Add(hook string, arg T) {
	on := GoroutineID()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, HookCall[T]{hook, arg, on})
}

// Take returns the calls recorded so far and forgets them.
func (l *HookLog[T]) Take() []HookCall[T] {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = nil
	return c
}

// HookedAPI (a token bucket) and HookedQuota (a sliding window) report each
// request they refuse to onreject=; TimedAPI times its Waits that wait.
//
//monogen:ratelimit HookedAPI algo=token rate=1/h burst=2 onreject=apiRejected
//monogen:ratelimit TimedAPI algo=token rate=100/s metrics=true
//monogen:ratelimit HookedQuota algo=window limit=2 window=1h onreject=quotaRejected
var _ struct{}

// Rejection is what a ratelimit's onreject= is called with.
type Rejection struct {
	N   int
	Err error
}

// RateRejects records what the onreject= functions of HookedAPI and
// HookedQuota see.
var RateRejects HookLog[Rejection]

func apiRejected(n int, err error)   { RateRejects.Add("api", Rejection{n, err}) }
func quotaRejected(n int, err error) { RateRejects.Add("quota", Rejection{n, err}) }

// HookedConns is a resource pool of one resource whose Gets that wait are
// reported to onwait= and timed in Stats.
//
//monogen:respool HookedConns[*Res] max=1 new=newRes onwait=connWaited metrics=true
var _ struct{}

// Res is a resource of HookedConns.
type Res struct{ ID int }

var resMade atomic.Int64

func newRes() (*Res, error) { return &Res{ID: int(resMade.Add(1))}, nil }

// Waited is what a respool's or semaphore's onwait= is called with.
type Waited struct {
	D   time.Duration
	Err error
}

// ConnWaits records what HookedConns' onwait= sees.
var ConnWaits HookLog[Waited]

func connWaited(d time.Duration, err error) { ConnWaits.Add("conns", Waited{d, err}) }

// HookedBackend is an adaptive limiter that reports each change of its
// limit to onlimit=; every call is sampled.
//
//monogen:limiter HookedBackend[int, int] fn=backendCall min=1 max=64 initial=8 sample=1 onlimit=backendLimit
var _ struct{}

// backendCall fails with its context's error, as a call that timed out
// does: the limit shrinks.
func backendCall(ctx context.Context, n int) (int, error) { return n, ctx.Err() }

// LimitChange is what a limiter's onlimit= is called with.
type LimitChange struct{ From, To int64 }

// BackendLimits records what HookedBackend's onlimit= sees.
var BackendLimits HookLog[LimitChange]

func backendLimit(from, to int64) { BackendLimits.Add("backend", LimitChange{from, to}) }

// Twins for hooks_bench_test.go: each pair differs only in a trivial hook
// (or metrics=true), to measure what the hook costs the path it sits on.
//
//monogen:ratelimit BenchRate algo=token rate=1000000000/s burst=1000000
//monogen:ratelimit BenchRateHooked algo=token rate=1000000000/s burst=1000000 onreject=benchRejected
//monogen:ratelimit BenchRateTimed algo=token rate=1000000000/s burst=1000000 metrics=true
//monogen:queue BenchDropQueue[int] size=1024 policy=drop-newest
//monogen:queue BenchDropQueueHooked[int] size=1024 policy=drop-newest ondrop=benchDropped
//monogen:respool BenchRes[*Res] max=16 new=newRes
//monogen:respool BenchResHooked[*Res] max=16 new=newRes onwait=benchWaited
//monogen:respool BenchResTimed[*Res] max=16 new=newRes metrics=true
var _ struct{}

// BenchEvents counts the calls of the benchmarks' trivial hooks.
var BenchEvents atomic.Int64

func benchRejected(int, error)         { BenchEvents.Add(1) }
func benchDropped(int)                 { BenchEvents.Add(1) }
func benchWaited(time.Duration, error) { BenchEvents.Add(1) }

// HookedPipe and HookedPipeUnfused (the same stages, each on goroutines of
// its own) report each item a stage fails to onfail= and each item a stage
// skips to onskip=. Stage sift skips multiples of 3 and fails multiples of
// 5; stage vet fails multiples of 7 and panics on 11.
//
//monogen:pipeline HookedPipe[int, int, int] stages=sift,vet workers=2,2 batch=4 errors=collect onfail=pipeFailed onskip=pipeSkipped
//monogen:pipeline HookedPipeUnfused[int, int, int] stages=sift,vet workers=2,2 batch=4 errors=collect fuse=false onfail=unfusedPipeFailed onskip=pipeSkipped
var _ struct{}

// PipeItems records, for each stage and item ("sift/5"), the goroutine its
// stage function ran on, so that a test can check that a hook for the item
// ran there too.
var PipeItems HookLog[string]

// PipeEvents records what the onfail= and onskip= functions of HookedPipe
// and HookedPipeUnfused see: for a failure, "stage/item: error"; for a
// skip, "stage/item".
var PipeEvents HookLog[string]

func sift(v int) (int, error) {
	PipeItems.Add("ran", "sift/"+strconv.Itoa(v))
	switch {
	case v%3 == 0:
		return 0, errPipeSkip
	case v%5 == 0:
		return 0, errMultipleOf5
	}
	return v, nil
}

func vet(v int) (int, error) {
	PipeItems.Add("ran", "vet/"+strconv.Itoa(v))
	switch {
	case v == 11:
		panic("eleven")
	case v%7 == 0:
		return 0, errMultipleOf7
	}
	return v, nil
}

var (
	// errPipeSkip skips an item in both pipelines, which share their stage
	// functions: errors.Is finds either's skip error in it.
	errPipeSkip    = errors.Join(ErrHookedPipeSkip, ErrHookedPipeUnfusedSkip)
	errMultipleOf5 = errors.New("multiple of 5")
	errMultipleOf7 = errors.New("multiple of 7")
)

func pipeFailed(e *HookedPipeItemError) {
	PipeEvents.Add("onfail", failure(e.Stage, e.Item, e.Err))
}

func unfusedPipeFailed(e *HookedPipeUnfusedItemError) {
	PipeEvents.Add("onfail", failure(e.Stage, e.Item, e.Err))
}

// failure describes a failed item: a panic by its value, not its stack.
func failure(stage string, item any, err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "panic: ") {
		msg, _, _ = strings.Cut(msg, "\n")
	}
	return fmt.Sprintf("%s/%v: %s", stage, item, msg)
}

func pipeSkipped(stage string, item any) {
	PipeEvents.Add("onskip", fmt.Sprintf("%s/%v", stage, item))
}
