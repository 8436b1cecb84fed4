// Package pool is a bounded worker pool: a fixed (resizable) set of goroutines
// runs one function over a stream of jobs, with backpressure, retries,
// per-job timeouts, panic recovery, graceful and hard shutdown, and a batch
// call that processes a slice in order.
//
// It is the generic reference of the monogen pool pattern:
//
//	//monogen:pool Resizer[Image, Thumb] workers=8 queue=256 fn=resize retries=3 backoff=10ms timeout=2s metrics=true
//
// generates a non-generic Resizer with the same API whose options are
// constants, so that options left off generate no code at all.
//
// # Results
//
// A job's result is delivered to the result handler given to [New], called on
// the worker goroutine right after the job finishes. Results are therefore
// never buffered: nothing can fill up when nobody reads them, and Submit
// allocates nothing per job (a per-job future or result channel would cost
// one allocation per job; a shared results channel deadlocks the pool when
// the caller stops draining it). A nil handler discards results; [Stats]
// still counts failures. For a batch whose results are wanted in input
// order, use [Pool.Map].
//
// # Scheduling
//
// A worker claims jobs from a long queue several at a time, with one atomic
// operation for all of them, and [Pool.Map] shares out its items by
// chunks; neither keeps work from an idle worker. A worker leaves the jobs
// it claimed in the queue until it starts them, and a worker that runs out
// of jobs takes over those another has not started; Map sizes its chunks
// by how long its items take, one item at a time while they are slow
// (Map's caller runs items too, in the stead of a parked worker). So a
// burst of jobs of unequal length keeps every worker busy while any job
// waits, as W goroutines receiving from one channel would. Where the
// bookkeeping would cost more than the jobs, jobs under a microsecond, a
// worker takes its claim whole, and Map's chunks last up to 50µs: a slow
// job that comes among such jobs holds up the few claimed with it.
//
// # Accounting
//
// Every job accepted by Submit or TrySubmit (a nil error) is delivered to the
// handler exactly once, with a nil error or the job's error, or else returned
// by [Pool.Shutdown]. A job that Submit rejects is never run.
//
// # Rate limits and circuit breakers
//
// Config.Rate paces the jobs: every attempt of a job first waits for the
// rate limiter (any [Limiter], such as a ratelimit.Limiter or an
// x/time/rate.Limiter), under the job's context, and a failed wait is the
// attempt's error. Several pools may share one limiter, and so one quota.
//
// A circuit breaker composes as the job function: New(b.Execute, ...) runs
// every attempt through b, so that jobs fail fast with the breaker's error
// while it is open, and retries go through it too.
//
// A generated pool does the same with the options rate=Name and
// breaker=Name, naming a ratelimit or breaker directive of its package; its
// constructor takes the limiter or breaker, and calls them directly.
package pool

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Submit, TrySubmit and Map after Close or Shutdown
// has begun, and delivered to the handler for a job that Shutdown could not
// return because it had already returned (see [Pool.Shutdown]).
var ErrClosed = errors.New("pool: closed")

// ErrFull is returned by TrySubmit when the queue has no room.
var ErrFull = errors.New("pool: queue full")

// defaultQueue is the queue capacity used when Config.Queue is not positive:
// deep enough that a producer rarely waits for a worker to wake, small
// enough that a full queue pushes back on the producer early.
const defaultQueue = 256

// Config holds the runtime options of a Pool. The zero value is a pool of
// GOMAXPROCS workers, a queue of 256, no retries, no timeout, no metrics.
//
// In generated code these are constants chosen by the directive (workers=,
// queue=, retries=, backoff=, timeout=, metrics=); an option that is off
// generates no code.
//
//monogen:config
type Config struct {
	// Workers is the initial number of worker goroutines; zero or negative
	// means runtime.GOMAXPROCS(0). Resize changes it later.
	Workers int
	// Queue is the capacity of the job queue, rounded up to a power of two
	// (at least 2); zero or negative means 256. Submit blocks while the
	// queue is full.
	Queue int
	// Retries is how many more times a failed job is attempted. A job whose
	// context is done, or that panicked, is not retried.
	Retries int
	// Backoff is the delay before the first retry; it doubles for each
	// further retry up to an hour (a Backoff above an hour stays as it is),
	// and each delay is drawn uniformly from [d/2, d) so that jobs failing
	// together do not retry together. Zero retries at once.
	Backoff time.Duration
	// Timeout bounds each attempt of a job through its context; zero means
	// no limit.
	Timeout time.Duration
	// Metrics enables the counters and histograms reported by Stats. Off,
	// they cost nothing.
	Metrics bool
	// Rate, if not nil, paces the jobs: every attempt of a job first waits
	// for Rate.Wait with the job's context (not bounded by Timeout), and
	// fails with Wait's error if that fails. Nil means no limit, and no
	// waiting code.
	Rate Limiter

	// paced is Rate != nil: New sets it, a generated pool has it from rate=.
	paced bool

	// hookReject, hookDrop and hookPanic say which event hooks are set:
	// SetHooks sets them, a generated pool has them from onreject=,
	// ondrop= and onpanic=. Without them the pool has no hook code.
	hookReject, hookDrop, hookPanic bool
}

// Hooks are functions a Pool calls on events, for logs or metrics of one's
// own. A nil function is not called. Each runs on the goroutine of the
// event and delays it: keep them short, and do not call the pool from them
// in a way that waits for it.
//
//monogen:template
type Hooks[In, Out any] struct {
	// Reject is called with a job that Submit or TrySubmit did not queue
	// and the error they return (ErrFull, ErrClosed or the context's),
	// on the submitting goroutine, before Submit returns.
	Reject func(in In, err error)
	// Drop is called with a job that Shutdown took out of the queue
	// without running it (it returns it, or delivers it with ErrClosed),
	// on the goroutine that took it: Shutdown's or a worker's.
	Drop func(in In)
	// Panic is called with a job or Map item whose function panicked and
	// the *PanicError it fails with, on the goroutine that ran it (a
	// worker, or Map's caller), before the job is delivered or the item
	// fails its batch. A panic is not retried.
	Panic func(in In, err error)
}

// Limiter paces the jobs of a pool (Config.Rate): Wait blocks until one
// more event may happen, or returns an error if ctx is done first or the
// wait could not end before ctx's deadline. ratelimit.Limiter and
// x/time/rate's Limiter have this method.
//
//monogen:template
type Limiter interface {
	Wait(ctx context.Context) error
}

// Executor runs a job through something with a state of its own, such as a
// circuit breaker. A generated pool composed with a breaker (breaker=) calls
// its Execute directly as the job function; a generic pool takes Execute as
// its job function instead: New(b.Execute, ...).
//
//monogen:template
type Executor[In, Out any] interface {
	Execute(ctx context.Context, in In) (Out, error)
}

// Pool runs a function over submitted jobs on a bounded set of workers.
//
// A Pool must be created with [New]; the zero value is not usable. A Pool
// must not be copied after first use. All methods are safe for concurrent use.
//
// The function and the handler run on worker goroutines, concurrently with
// each other. They must not call Submit, Map, Close or Shutdown on their own
// pool in a way that waits for the pool (a job waiting for a job can
// deadlock a pool whose workers all wait).
type Pool[In, Out any] struct {
	_ noCopy

	// q is the job queue: a ring of values, no closure and no allocation
	// per job, and no lock shared by producers and workers.
	q queue[In, Out]

	// Parking: idle workers, LIFO, and producers waiting for room.
	//monogen:note The parking code is in park.go.
	parking

	// The workers: their life cycle, and the crew hunters look into.
	staff

	// ctx is the parent of every job's context; Shutdown cancels it.
	ctx    context.Context
	cancel context.CancelFunc

	// halted is set by Shutdown: a worker that receives a job afterwards
	// hands it back instead of running it.
	halted atomic.Bool

	fn       func(context.Context, In) (Out, error) //monogen:if !boundFn
	onResult func(In, Out, error)                   //monogen:if !boundResult
	cfg      Config

	// The event hooks of the generic reference (SetHooks).
	//monogen:note Generated pools call the directive's functions directly.
	onReject func(In, error)
	onDrop   func(In)
	onPanic  func(In, error)

	// rate paces the jobs (Config.Rate): every attempt waits for it first.
	rate Limiter //monogen:if rate
	// breaker is the circuit breaker every attempt runs through (the
	// breaker= option): the call hook calls its Execute, which calls its
	// function unless it is open.
	//monogen:note Only generated pools have it: a generic pool takes the
	//monogen:note breaker's Execute as fn.
	//lint:ignore U1000 only the output of breaker= reads it.
	breaker Executor[In, Out] //monogen:if breaker

	unrunMu    sync.Mutex
	unrun      []In // jobs received after Shutdown began, to be returned by it
	unrunTaken bool // Shutdown has returned unrun; later ones go to the handler

	stats counters //monogen:if metrics
}

// staff holds the workers of a pool.
type staff struct {
	life    sync.Mutex // serializes Resize, Close and Shutdown
	workers []*worker  // guarded by life; the running, non-retired workers
	size    atomic.Int64
	wg      sync.WaitGroup // one per worker goroutine, retired or not, and per Map caller standing in for one

	// Taking over claimed tasks (see steal): every worker goroutine not yet
	// exited, for hunters to look into their claims, and how many workers
	// found the queue empty and have not claimed from it since (hunting
	// for a claimed task to take over, or parked).
	crew    atomic.Pointer[[]*worker] // copied on write under life
	hunting atomic.Int32
}

// task is one element of the queue: a job, or a share of a Map batch.
type task[In, Out any] struct {
	in    In
	batch *batch[In, Out] // non-nil: the receiving worker helps with this batch
	// queued is when the job was queued, in nanoseconds since epoch.
	queued int64 //monogen:if metrics
}

// worker is the parking and retirement handle of one worker goroutine.
type worker struct {
	retired atomic.Bool   // checked before each job: cheaper than a select
	stop    chan struct{} // closed on retirement: wakes a parked worker
	wake    chan struct{} // capacity 1: a pending wake-up
	asleep  bool          // on parking.idle; guarded by parking.idleMu
	lent    bool          // parked for a Map caller (see lend); guarded by parking.idleMu

	// cheap is set while the worker's last timed claim ran jobs shorter
	// than cheapJob (see timeClaim); untimed counts the claims since. Only
	// the worker reads and writes them.
	cheap   bool
	untimed uint8

	// The last shared claim the worker made, for hunters to take over the
	// tasks it has not started (see steal). claim holds the low bits of its
	// first position, shifted left by claimBits, | its length (zero before
	// the first); done, the position of the last task the worker finished
	// or skipped, stored after every task but the claim's last.
	claim atomic.Uint64
	done  atomic.Uint64
}

// member is one worker of the pool: its handle, which the pool's parking
// and staff know, and what the pool keeps of it alone.
type member struct {
	worker
	// stats are the metrics the worker keeps for Stats on its own.
	stats *workerStats //monogen:if metrics
	// A member is 64 bytes, a size class of its own: done, stored per
	// task, shares its cache line with no other worker.
	_ [workerPad]byte
}

// workerPad pads a member to 64 bytes: 56 bytes of fields, 48 without
// metrics.
//
//monogen:doc metrics workerPad pads a member's 56 bytes of fields to 64 bytes.
//monogen:doc !metrics workerPad pads a member's 48 bytes of fields to 64 bytes.
//monogen:note The kind sets it to 16 for a pool without metrics, whose
//monogen:note member has no stats.
const workerPad = 8

// New returns a pool running fn on cfg.Workers goroutines. onResult, if not
// nil, receives every job's input, output and error (see the package
// documentation); it runs on the worker goroutine.
//
// Generated pools have no Config: their constructor takes only the
// functions the directive did not name.
//
//monogen:template
func New[In, Out any](fn func(context.Context, In) (Out, error), onResult func(In, Out, error), cfg Config) *Pool[In, Out] {
	cfg.paced = cfg.Rate != nil
	p := &Pool[In, Out]{fn: fn, onResult: onResult, cfg: cfg, rate: cfg.Rate}
	p.init()
	return p
}

// init makes the queue and starts the workers.
//
//monogen:note Defaults are resolved here rather than in New so that a
//monogen:note generated constructor, whose options are constants, gets them too.
func (p *Pool[In, Out]) init() {
	//monogen:note The conditions test the options themselves, so that the
	//monogen:note stencil folds them to one branch.
	if p.cfg.Queue < 0 || p.cfg.Workers < 0 {
		panic("pool: negative workers or queue")
	}
	queue := defaultQueue
	if p.cfg.Queue > 0 {
		queue = p.cfg.Queue
	}
	workers := runtime.GOMAXPROCS(0)
	if p.cfg.Workers > 0 {
		workers = p.cfg.Workers
	}
	if p.cfg.Metrics {
		p.stats.epoch = time.Now()
	}
	p.q.init(queue)
	p.parking.init()
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.life.Lock()
	p.grow(workers)
	p.life.Unlock()
}

// call runs the pool's function once: the one place it is called.
//
//monogen:note Being the one place lets a generated pool call the function
//monogen:note directly (and inline it).
//monogen:hook
func (p *Pool[In, Out]) call(ctx context.Context, in In) (Out, error) {
	return p.fn(ctx, in)
}

// deliver hands one job's outcome to the result handler.
//
//monogen:hook
func (p *Pool[In, Out]) deliver(in In, out Out, err error) {
	if p.onResult != nil {
		p.onResult(in, out, err)
	}
}

// SetHooks sets the functions the pool calls on events (see [Hooks]). Call
// it before the first Submit.
//
//monogen:template
func (p *Pool[In, Out]) SetHooks(h Hooks[In, Out]) {
	p.onReject, p.onDrop, p.onPanic = h.Reject, h.Drop, h.Panic
	p.cfg.hookReject, p.cfg.hookDrop, p.cfg.hookPanic = h.Reject != nil, h.Drop != nil, h.Panic != nil
}

// rejected reports a job that Submit or TrySubmit did not queue, and why.
//
//monogen:hook
func (p *Pool[In, Out]) rejected(in In, err error) {
	p.onReject(in, err)
}

// dropped reports a job that Shutdown took out of the queue unrun.
//
//monogen:hook
func (p *Pool[In, Out]) dropped(in In) {
	p.onDrop(in)
}

// panicked reports a job whose function panicked, with its *PanicError.
//
//monogen:hook
func (p *Pool[In, Out]) panicked(in In, err error) {
	p.onPanic(in, err)
}

// Submit queues in to be run, waiting while the queue is full. It returns
// ErrClosed if Close or Shutdown has begun, and ctx.Err() if ctx is done
// before there is room; the job is then not queued. ctx bounds only the wait
// for room: the job itself runs under the pool's context (see Shutdown).
//
// Submit of a job happens before the job runs.
func (p *Pool[In, Out]) Submit(ctx context.Context, in In) error {
	t := task[In, Out]{in: in}
	if p.cfg.Metrics {
		// The queue's tail counts the job: Submit has no counter of its own.
		t.queued = p.stats.stamp()
	}
	err := p.send(ctx, t)
	if p.cfg.hookReject {
		if err != nil {
			p.rejected(in, err)
		}
	}
	return err
}

// send queues t, waiting while the queue is full, unless the pool is closed
// or ctx is done.
func (p *Pool[In, Out]) send(ctx context.Context, t task[In, Out]) error {
	woken := false
	spins := 0
	for {
		r := p.q.tryPush(t)
		if r == pushFull && spins < spinLimit && p.q.length() <= p.q.capacity()/2 {
			// Half the queue is free: the worker that claimed the task
			// in the slot is about to free it.
			//monogen:note See park.go.
			spins++
			continue
		}
		if r == pushFull {
			// More than half full, or the worker freeing the slot is
			// descheduled: park until the workers have emptied half the
			// queue (see take), one wake-up per half queue rather than a
			// retry per slot. Announce, then look once more: a worker
			// that frees a slot afterwards sees the announcement, so the
			// wake-up cannot be lost.
			p.spaceWaiters.Add(1)
			if r = p.q.tryPush(t); r == pushFull {
				select {
				case <-p.space:
					p.spaceWaiters.Add(-1)
					woken = true
					spins = 0
					continue
				case <-ctx.Done():
					p.spaceWaiters.Add(-1)
					return ctx.Err()
				case <-p.quit:
					p.spaceWaiters.Add(-1)
					return ErrClosed
				}
			}
			p.spaceWaiters.Add(-1)
		}
		if r == pushClosed {
			return ErrClosed
		}
		p.pushed()
		if woken {
			p.passOn(&p.q.ring)
		}
		return nil
	}
}

// pushed wakes a worker for a task just pushed, if all are parked.
func (k *parking) pushed() {
	if k.sleepers.Load() > 0 {
		k.wakeOne()
	}
}

// TrySubmit queues in if the queue has room, without waiting. It returns
// ErrFull if the queue is full and ErrClosed if Close or Shutdown has begun;
// the job is then not queued.
//
// TrySubmit of a job happens before the job runs.
func (p *Pool[In, Out]) TrySubmit(in In) error {
	t := task[In, Out]{in: in}
	if p.cfg.Metrics {
		t.queued = p.stats.stamp()
	}
	var err error
	switch p.q.tryPush(t) {
	case pushed:
		p.pushed()
	case pushFull:
		err = ErrFull
	case pushClosed:
		err = ErrClosed
	}
	if p.cfg.hookReject {
		if err != nil {
			p.rejected(in, err)
		}
	}
	return err
}

// Resize sets the number of workers to n (at least 1) while the pool runs.
// Added workers start at once. A removed worker that is running a job
// finishes it and exits without taking another; an idle one exits at once
// (one that was taking a job just as Resize ran still runs that job). A
// worker claims jobs from a long queue several at a time (at most half its
// fair share of the queue), and a removed one still runs those it has
// claimed, unless idle workers take them over. No job is lost or run
// twice. Resize after Close or Shutdown has begun does nothing.
func (p *Pool[In, Out]) Resize(n int) {
	p.life.Lock()
	defer p.life.Unlock()
	if more := p.resize(&p.q.ring, n); more > 0 {
		p.grow(more)
	}
}

// resize sets the number of workers to n (at least 1), unless q is closed,
// by retiring workers or returning how many more to start. s.life must be
// held.
func (s *staff) resize(q *ring, n int) (more int) {
	n = max(n, 1)
	if q.closed() {
		return 0
	}
	if d := n - len(s.workers); d > 0 {
		return d
	}
	for _, w := range s.workers[n:] {
		w.retired.Store(true)
		close(w.stop)
	}
	clear(s.workers[n:])
	s.workers = s.workers[:n]
	s.size.Store(int64(n))
	return 0
}

// Size reports the number of workers set by Config.Workers or Resize.
// Retired workers still finishing a job are not counted.
func (p *Pool[In, Out]) Size() int {
	return int(p.size.Load())
}

// grow starts n more workers. p.life must be held.
func (p *Pool[In, Out]) grow(n int) {
	for range n {
		w := &member{}
		w.init()
		if p.cfg.Metrics {
			w.stats = new(workerStats)
			p.stats.meters = append(p.stats.meters, w.stats)
		}
		p.hire(&w.worker)
		go p.work(w)
	}
}

// init makes w's channels.
func (w *worker) init() {
	w.stop = make(chan struct{})
	w.wake = make(chan struct{}, 1)
}

// hire adds w to the workers and to the crew, before its goroutine starts
// (it looks into the crew). s.life must be held.
func (s *staff) hire(w *worker) {
	var crew []*worker
	if c := s.crew.Load(); c != nil {
		crew = append(crew, *c...)
	}
	crew = append(crew, w)
	s.workers = append(s.workers, w)
	s.crew.Store(&crew)
	s.wg.Add(1)
	s.size.Store(int64(len(s.workers)))
}

// leave takes w, whose goroutine is exiting, off the crew.
func (s *staff) leave(w *worker) {
	s.life.Lock()
	defer s.life.Unlock()
	old := *s.crew.Load()
	crew := make([]*worker, 0, len(old)-1)
	for _, v := range old {
		if v != w {
			crew = append(crew, v)
		}
	}
	s.crew.Store(&crew)
}

// Close stops accepting jobs, runs every job already queued, and waits for
// all workers to exit. Submits waiting for room when Close begins return
// ErrClosed. Close may be called more than once and concurrently with
// Shutdown; every call waits.
//
// The completion of every job happens before Close returns.
func (p *Pool[In, Out]) Close() {
	p.life.Lock()
	p.stopAccepting(&p.q.ring)
	p.life.Unlock()
	p.wg.Wait()
}

// Shutdown stops accepting jobs, cancels the context of every running job,
// and returns the queued jobs that never ran, in queue order (those received
// by a worker as Shutdown began may come last). Running jobs finish with
// whatever their function returns once their context is cancelled, and are
// delivered to the handler as usual.
//
// Shutdown waits for the workers to exit (and for the Map items callers run
// in a worker's stead) or for ctx to be done, whichever comes first; in
// the latter case it returns ctx.Err(), and the workers still running a
// job that ignores its context exit when it returns. Only
// the first Shutdown returns jobs; a job that could not be returned to it
// (a later call, or one received as Shutdown gave up waiting) is delivered
// to the handler with ErrClosed, so no job goes unaccounted.
//
// If Close is draining the queue, Shutdown stops it and returns the rest.
func (p *Pool[In, Out]) Shutdown(ctx context.Context) ([]In, error) {
	p.life.Lock()
	p.stopAccepting(&p.q.ring)
	first := !p.halted.Swap(true)
	p.life.Unlock()
	if first {
		p.cancel()
		// Drain alongside the workers: both hand jobs to unrun.
		for {
			t, r := p.q.tryPop()
			if r == popDrained {
				break
			}
			if r == popPending {
				runtime.Gosched()
			}
			if r == popped && t.batch == nil {
				p.giveBack(t.in)
			}
		}
	}
	err := p.wait(ctx)
	if !first {
		return nil, err
	}
	p.unrunMu.Lock()
	unrun := p.unrun
	p.unrun = nil
	p.unrunTaken = true
	p.unrunMu.Unlock()
	return unrun, err
}

// wait waits for every worker goroutine to exit, or for ctx to be done,
// and then returns ctx.Err().
func (s *staff) wait(ctx context.Context) error {
	if ctx.Done() == nil {
		s.wg.Wait()
		return nil
	}
	waited := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// giveBack records a job that Shutdown must return.
func (p *Pool[In, Out]) giveBack(in In) {
	if p.cfg.Metrics {
		p.stats.unrun.Add(1)
	}
	if p.cfg.hookDrop {
		p.dropped(in)
	}
	p.unrunMu.Lock()
	if !p.unrunTaken {
		p.unrun = append(p.unrun, in)
		p.unrunMu.Unlock()
		return
	}
	p.unrunMu.Unlock()
	var zero Out
	p.deliver(in, zero, ErrClosed)
}

// work is the loop of one worker goroutine.
func (p *Pool[In, Out]) work(w *member) {
	defer p.wg.Done()
	defer p.leave(&w.worker)
	if p.cfg.Metrics {
		defer p.stats.exited(&p.staff, w)
	}
	tasks := make([]task[In, Out], maxClaim)
	for !w.retired.Load() {
		n, pos, shared, ok := p.next(w, tasks)
		if !ok {
			return
		}
		if p.cfg.Metrics {
			p.stats.claimStarted(w, !shared && w.cheap)
		}
		timed := n > 1 && w.timeClaim()
		var start time.Time
		if timed {
			start = time.Now()
		}
		ran := n
		if shared {
			t := tasks[0]
			tasks[0] = task[In, Out]{}
			ran = p.runClaim(w, t, pos, n)
		} else {
			// Run every task taken, even if w is retired meanwhile:
			// they are no longer in the queue for another worker to
			// take.
			for i := range tasks[:n] {
				t := tasks[i]
				tasks[i] = task[In, Out]{} // drop references for the GC
				if t.batch == nil && !p.halted.Load() {
					p.runJob(w, t) // the common case, without a call to run
				} else {
					p.run(w, t)
				}
			}
		}
		if p.cfg.Metrics {
			p.stats.claimDone(w)
		}
		if timed {
			w.cheap = ran > 0 && time.Since(start) < cheapJob*time.Duration(ran)
		}
	}
}

// run runs one task on w, or hands it back to Shutdown.
func (p *Pool[In, Out]) run(w *member, t task[In, Out]) {
	switch {
	case p.halted.Load():
		if t.batch == nil {
			p.giveBack(t.in)
		}
	case t.batch != nil:
		p.runBatch(w, t.batch)
		if p.cfg.Metrics {
			p.stats.shareDone(w)
		}
	default:
		p.runJob(w, t)
	}
}

// runJob runs one submitted job to its outcome and delivers it, on the
// worker that took it.
func (p *Pool[In, Out]) runJob(w *member, t task[In, Out]) {
	in := t.in
	if p.cfg.Metrics {
		p.stats.jobStarted(w, t.queued)
	}
	out, err := p.attempt(p.ctx, in)
	if p.cfg.Retries > 0 { //monogen:note outermost, so the stencil can fold it
		if err != nil {
			out, err = p.retry(p.ctx, in, err)
		}
	}
	if p.cfg.Metrics {
		p.stats.jobDone(w, err == nil)
	}
	p.deliver(in, out, err)
}

// noCopy may be embedded into structs which must not be copied after first
// use; go vet's copylocks check reports copies.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
