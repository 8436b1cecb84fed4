package generated

import "context"

// Types for the chaos test (chaos_test.go), which drives every concurrent
// kind with random cancellations, failures, panics and shutdowns, in the
// option combinations the other directives of the package leave out.

// ChaosPool retries a failed job twice after a short backoff and counts
// everything, with no per-attempt timeout: only Shutdown and Map's context
// cancel a job.
//
//monogen:pool ChaosPool[int, int] workers=3 queue=8 retries=2 backoff=50us metrics=true
var _ struct{}

// ChaosBatcher flushes on a short timer as well as when full, with several
// workers and a retry, and takes both its functions in its constructor.
//
//monogen:batcher ChaosBatcher[int] size=5 flush=1ms workers=3 retries=1
var _ struct{}

// Rate limiters fast enough that a chaos round sees many refills and many
// windows.
//
//monogen:ratelimit ChaosTokens algo=token rate=5000/s burst=8
//monogen:ratelimit ChaosWindow algo=window limit=16 window=4ms
var _ struct{}

// ResHooks are the functions behind the bound new=, close= and check=
// functions of the chaos resource pools. The chaos test sets ChaosResHooks
// before it makes a pool, and changes them only once the pool is closed and
// every resource is back.
type ResHooks struct {
	Dial  func(ctx context.Context) (*Conn, error)
	Close func(c *Conn)
	Check func(c *Conn) error
}

// ChaosResHooks are the hooks of ChaosConns and ChaosIdleConns.
var ChaosResHooks ResHooks

// ChaosConns is a small resource pool with every bound function and no idle
// eviction; ChaosIdleConns is the same with an evictor that runs every
// millisecond.
//
//monogen:respool ChaosConns[*Conn] max=3 new=chaosDial close=chaosClose check=chaosCheck
//monogen:respool ChaosIdleConns[*Conn] max=3 new=chaosDial close=chaosClose check=chaosCheck idle=2ms
func chaosDial(ctx context.Context) (*Conn, error) { return ChaosResHooks.Dial(ctx) }

func chaosClose(c *Conn) { ChaosResHooks.Close(c) }

func chaosCheck(c *Conn) error { return ChaosResHooks.Check(c) }
