package generated_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monogen/monogen/generated"
)

// chaosQueueAPI is what the chaos test uses of a generated queue.
type chaosQueueAPI interface {
	TryPush(v int) bool
	Push(ctx context.Context, v int) error
	PushMany(ctx context.Context, vs []int) (int, error)
	TryPop() (int, bool)
	Pop(ctx context.Context) (int, error)
	PopMany(ctx context.Context, buf []int) (int, error)
	Close()
	Len() int
	FanIn(ctx context.Context, n int, produce func(ctx context.Context, i int) error) error
	FanOut(ctx context.Context, n int, consume func(ctx context.Context, v int) error) error
}

// queuePolicy is a queue's policy when full.
type queuePolicy uint8

const (
	policyBlock queuePolicy = iota
	policyDropNewest
	policyDropOldest
	policyError
)

// chaosQueueShape is one generated queue and what the test must know of it.
type chaosQueueShape struct {
	name    string
	policy  queuePolicy
	closed  error
	full    error
	make    func() chaosQueueAPI
	dropped func(chaosQueueAPI) uint64
}

var chaosQueueShapes = []chaosQueueShape{
	{
		name: "BlockQueue", policy: policyBlock,
		closed: generated.ErrBlockQueueClosed, full: generated.ErrBlockQueueFull,
		make:    func() chaosQueueAPI { return generated.NewBlockQueue() },
		dropped: func(chaosQueueAPI) uint64 { return 0 },
	},
	{
		name: "DropNewestQueue", policy: policyDropNewest,
		closed: generated.ErrDropNewestQueueClosed, full: generated.ErrDropNewestQueueFull,
		make:    func() chaosQueueAPI { return generated.NewDropNewestQueue() },
		dropped: func(q chaosQueueAPI) uint64 { return q.(*generated.DropNewestQueue).Stats().Dropped },
	},
	{
		name: "DropOldestQueue", policy: policyDropOldest,
		closed: generated.ErrDropOldestQueueClosed, full: generated.ErrDropOldestQueueFull,
		make:    func() chaosQueueAPI { return generated.NewDropOldestQueue() },
		dropped: func(q chaosQueueAPI) uint64 { return q.(*generated.DropOldestQueue).Stats().Dropped },
	},
	{
		name: "ErrorQueue", policy: policyError,
		closed: generated.ErrErrorQueueClosed, full: generated.ErrErrorQueueFull,
		make:    func() chaosQueueAPI { return generated.NewErrorQueue() },
		dropped: func(chaosQueueAPI) uint64 { return 0 },
	},
}

// What a push did with an item.
const (
	itemRejected int32 = iota // not added: an error, or TryPush false
	itemAdded                 // added; only DropOldest may discard it later
	itemMaybe                 // Push returned nil under DropNewest: added or discarded
)

// queueItem makes the item number seq of producer p; the queues' items
// carry their producer so that a consumer can check each producer's order.
func queueItem(p, seq int) int       { return p<<20 | seq }
func queueItemOf(v int) (p, seq int) { return v >> 20, v & (1<<20 - 1) }

// chaosQueue drives each generated queue with producers (Push under random
// contexts, TryPush, PushMany) and consumers (Pop under random contexts,
// TryPop, PopMany), and a Close at a random point; or through FanIn and
// FanOut with failing producers and consumers. It then accounts for every
// item: popped at most once, never one that was not pushed, every added item
// popped unless the policy's counted drops account for it, each producer's
// items popped by any one consumer in push order, and no push that begins
// after Close returns succeeds.
func chaosQueue(c *chaos) {
	for round := range c.rounds {
		for _, shape := range chaosQueueShapes {
			if c.rng.IntN(4) == 0 {
				chaosQueueFan(c, shape, round)
			} else {
				chaosQueueRound(c, shape, round)
			}
		}
	}
}

func chaosQueueRound(c *chaos, shape chaosQueueShape, round int) {
	rng := c.rng
	producers, consumers := 1+rng.IntN(4), 1+rng.IntN(4)
	perProducer := 50 + rng.IntN(200)
	where := fmt.Sprintf("%s round %d (%d producers, %d consumers)", shape.name, round, producers, consumers)
	q := shape.make()

	status := make([][]atomic.Int32, producers)
	for p := range status {
		status[p] = make([]atomic.Int32, perProducer)
	}
	var (
		closed       atomic.Bool // Close has returned
		pushDropped  atomic.Uint64
		producing    sync.WaitGroup
		consuming    sync.WaitGroup
		poppedMu     sync.Mutex
		popped       [][]int // by consumer, in pop order
		producersEnd = make(chan struct{})
	)
	for p := range producers {
		rng := c.fork()
		producing.Go(func() {
			for seq := 0; seq < perProducer; {
				late := closed.Load()
				added := 0
				switch op := rng.IntN(8); {
				case op == 0:
					if q.TryPush(queueItem(p, seq)) {
						status[p][seq].Store(itemAdded)
						added = 1
					}
					seq++
				case op == 1:
					k := min(1+rng.IntN(12), perProducer-seq)
					vs := make([]int, k)
					for i := range vs {
						vs[i] = queueItem(p, seq+i)
					}
					ctx, release := randomCtx(rng, 200*time.Microsecond)
					n, err := q.PushMany(ctx, vs)
					if n < 0 || n > k {
						c.errorf("%s: PushMany of %d returned %d", where, k, n)
						n = 0
					}
					for i := range n {
						status[p][seq+i].Store(itemAdded)
					}
					added = n
					switch {
					case err == nil:
						if n != k {
							if shape.policy != policyDropNewest {
								c.errorf("%s: PushMany of %d = %d, nil", where, k, n)
							}
							pushDropped.Add(uint64(k - n))
						}
					case err == shape.closed:
					case err == shape.full:
						if shape.policy != policyError {
							c.errorf("%s: PushMany = ErrFull under policy %d", where, shape.policy)
						}
					case err == ctx.Err():
						if shape.policy != policyBlock {
							c.errorf("%s: PushMany = %v under policy %d, which never waits", where, err, shape.policy)
						}
					default:
						c.errorf("%s: PushMany = %v", where, err)
					}
					if err != nil && n == k {
						c.errorf("%s: PushMany added all %d items and returned %v", where, k, err)
					}
					release()
					seq += k
				default:
					ctx, release := randomCtx(rng, 200*time.Microsecond)
					err := q.Push(ctx, queueItem(p, seq))
					switch {
					case err == nil:
						added = 1
						if shape.policy == policyDropNewest {
							status[p][seq].Store(itemMaybe)
						} else {
							status[p][seq].Store(itemAdded)
						}
					case err == shape.closed:
					case err == shape.full:
						if shape.policy != policyError {
							c.errorf("%s: Push = ErrFull under policy %d", where, shape.policy)
						}
					case err == ctx.Err():
						if shape.policy != policyBlock {
							c.errorf("%s: Push = %v under policy %d, which never waits", where, err, shape.policy)
						}
					default:
						c.errorf("%s: Push = %v", where, err)
					}
					release()
					seq++
				}
				if late && added > 0 {
					c.errorf("%s: a push that began after Close returned added %d items", where, added)
				}
				c.op()
			}
		})
	}
	for range consumers {
		rng := c.fork()
		consuming.Go(func() {
			var mine []int
			defer func() {
				poppedMu.Lock()
				popped = append(popped, mine)
				poppedMu.Unlock()
			}()
			buf := make([]int, 8)
			for {
				switch op := rng.IntN(6); {
				case op == 0:
					if v, ok := q.TryPop(); ok {
						mine = append(mine, v)
					} else {
						busy(1)
					}
				case op == 1:
					ctx, release := randomCtx(rng, 200*time.Microsecond)
					n, err := q.PopMany(ctx, buf[:1+rng.IntN(len(buf))])
					release()
					mine = append(mine, buf[:n]...)
					switch {
					case err == shape.closed:
						return
					case err != nil && err != ctx.Err():
						c.errorf("%s: PopMany = %d, %v", where, n, err)
						return
					case err != nil && n != 0:
						c.errorf("%s: PopMany = %d items with %v", where, n, err)
					case err == nil && n == 0:
						c.errorf("%s: PopMany = 0 items, nil", where)
					}
				default:
					ctx, release := randomCtx(rng, 200*time.Microsecond)
					v, err := q.Pop(ctx)
					release()
					switch {
					case err == nil:
						mine = append(mine, v)
					case err == shape.closed:
						return
					case err != ctx.Err():
						c.errorf("%s: Pop = %v", where, err)
						return
					}
				}
				c.op()
			}
		})
	}

	// Close at a random point, or once the producers are done.
	ctl := c.fork()
	go func() {
		producing.Wait()
		close(producersEnd)
	}()
	if ctl.IntN(3) == 0 {
		busy(ctl.IntN(300))
	} else {
		<-producersEnd
	}
	q.Close()
	closed.Store(true)
	<-producersEnd
	consuming.Wait()

	if v, ok := q.TryPop(); ok {
		c.errorf("%s: TryPop after every consumer saw ErrClosed = %d", where, v)
	}
	if n := q.Len(); n != 0 {
		c.errorf("%s: Len after every consumer saw ErrClosed = %d", where, n)
	}
	if _, err := q.Pop(context.Background()); err != shape.closed {
		c.errorf("%s: Pop on a closed, drained queue = %v", where, err)
	}
	if err := q.Push(context.Background(), 0); err != shape.closed {
		c.errorf("%s: Push after Close = %v", where, err)
	}
	checkQueueItems(c, where, shape, q, status, popped, pushDropped.Load())
}

// checkQueueItems accounts for every item of a round.
func checkQueueItems(c *chaos, where string, shape chaosQueueShape, q chaosQueueAPI, status [][]atomic.Int32, popped [][]int, pushDropped uint64) {
	seen := make([][]bool, len(status))
	for p := range seen {
		seen[p] = make([]bool, len(status[p]))
	}
	for _, mine := range popped {
		last := make([]int, len(status))
		for p := range last {
			last[p] = -1
		}
		for _, v := range mine {
			p, seq := queueItemOf(v)
			if p < 0 || p >= len(status) || seq >= len(status[p]) {
				c.errorf("%s: popped %d, never pushed", where, v)
				continue
			}
			if seen[p][seq] {
				c.errorf("%s: item %d/%d popped twice", where, p, seq)
			}
			seen[p][seq] = true
			if status[p][seq].Load() == itemRejected {
				c.errorf("%s: item %d/%d popped, but its push did not add it", where, p, seq)
			}
			if seq < last[p] {
				c.errorf("%s: a consumer popped producer %d's item %d after its item %d", where, p, seq, last[p])
			}
			last[p] = seq
			c.op()
		}
	}
	var unpoppedAdded, unpoppedMaybe uint64
	for p := range status {
		for seq := range status[p] {
			if seen[p][seq] {
				continue
			}
			switch status[p][seq].Load() {
			case itemAdded:
				unpoppedAdded++
				if shape.policy != policyDropOldest {
					c.errorf("%s: item %d/%d added but never popped", where, p, seq)
				}
			case itemMaybe:
				unpoppedMaybe++
			}
		}
	}
	var want uint64
	switch shape.policy {
	case policyDropNewest:
		want = unpoppedMaybe + pushDropped
	case policyDropOldest:
		want = unpoppedAdded
	}
	if got := shape.dropped(q); got != want {
		c.errorf("%s: Stats().Dropped = %d, want %d (%d added and %d pushed under DropNewest not popped, %d left out by PushMany)",
			where, got, want, unpoppedAdded, unpoppedMaybe, pushDropped)
	}
	c.op()
}

// errConsume is the error of a failing FanOut consumer, errProduce of a
// failing FanIn producer.
var (
	errConsume = errors.New("chaos consumer failure")
	errProduce = errors.New("chaos producer failure")
)

// chaosQueueFan moves items through FanIn and FanOut, with a producer or a
// consumer failing at random, and accounts for them as chaosQueueRound
// does: FanOut passes every item it pops to consume, FanIn closes the queue
// in every case, and what FanOut leaves is drained afterwards.
func chaosQueueFan(c *chaos, shape chaosQueueShape, round int) {
	rng := c.rng
	producers, consumers := 1+rng.IntN(4), 1+rng.IntN(4)
	perProducer := 50 + rng.IntN(200)
	failProducer, failConsumer := -1, -1 // which one fails, at which item
	if rng.IntN(3) == 0 {
		failProducer = rng.IntN(perProducer)
	}
	if rng.IntN(3) == 0 {
		failConsumer = rng.IntN(producers * perProducer)
	}
	where := fmt.Sprintf("%s fan round %d (%d producers, %d consumers, producer fails at %d, consumer at %d)",
		shape.name, round, producers, consumers, failProducer, failConsumer)
	q := shape.make()

	status := make([][]atomic.Int32, producers)
	for p := range status {
		status[p] = make([]atomic.Int32, perProducer)
	}
	var (
		pushDropped atomic.Uint64
		consumed    atomic.Int64
		poppedMu    sync.Mutex
		popped      [][]int
		fanIn       = make(chan error, 1)
	)
	go func() {
		fanIn <- q.FanIn(context.Background(), producers, func(ctx context.Context, p int) error {
			for seq := range perProducer {
				if p == 0 && seq == failProducer {
					return errProduce
				}
				err := q.Push(ctx, queueItem(p, seq))
				switch {
				case err == nil:
					if shape.policy == policyDropNewest {
						status[p][seq].Store(itemMaybe)
					} else {
						status[p][seq].Store(itemAdded)
					}
				case err == shape.full:
				case err == ctx.Err() || err == shape.closed:
					return err
				default:
					c.errorf("%s: Push = %v", where, err)
					return err
				}
				c.op()
			}
			return nil
		})
	}()
	// consume does not know its goroutine, so each item is a pop sequence
	// of its own: the order of a producer's items is not checked here.
	fanOutErr := q.FanOut(context.Background(), consumers, func(ctx context.Context, v int) error {
		poppedMu.Lock()
		popped = append(popped, []int{v})
		poppedMu.Unlock()
		if consumed.Add(1) == int64(failConsumer)+1 {
			return errConsume
		}
		c.op()
		return nil
	})
	if fanOutErr != nil && (fanOutErr != errConsume || failConsumer < 0) {
		c.errorf("%s: FanOut = %v", where, fanOutErr)
	}
	// Drain what FanOut left, which lets blocked producers finish.
	var rest []int
	for {
		v, err := q.Pop(context.Background())
		if err == shape.closed {
			break
		}
		if err != nil {
			c.errorf("%s: Pop = %v", where, err)
			break
		}
		rest = append(rest, v)
	}
	if err := <-fanIn; err != nil && (err != errProduce || failProducer < 0) {
		c.errorf("%s: FanIn = %v", where, err)
	}
	popped = append(popped, rest)
	checkQueueItems(c, where, shape, q, status, popped, pushDropped.Load())
}

// chaosBatcherAPI is what the chaos test uses of a generated batcher.
type chaosBatcherAPI interface {
	Add(ctx context.Context, v int) error
	AddMany(ctx context.Context, vs []int) (int, error)
	Flush(ctx context.Context) error
	Close(ctx context.Context) error
}

// chaosBatcherShape is one generated batcher and what the test must know
// of it.
type chaosBatcherShape struct {
	name          string
	size, retries int
	closed        error
	make          func(fn func(context.Context, []int) error, onError func([]int, error)) chaosBatcherAPI
	// batchErrors returns the items of every BatchError in err's tree.
	batchErrors func(err error) [][]int
}

var chaosBatcherShapes = []chaosBatcherShape{
	{
		name: "ChaosBatcher", size: 5, retries: 1, closed: generated.ErrChaosBatcherClosed,
		make: func(fn func(context.Context, []int) error, onError func([]int, error)) chaosBatcherAPI {
			return generated.NewChaosBatcher(fn, onError)
		},
		batchErrors: func(err error) [][]int {
			var res [][]int
			walkErrors(err, func(e error) {
				if be, ok := e.(*generated.ChaosBatcherBatchError); ok {
					res = append(res, be.Items)
				}
			})
			return res
		},
	},
	{
		name: "FuncBatcher", size: 4, retries: 2, closed: generated.ErrFuncBatcherClosed,
		make: func(fn func(context.Context, []int) error, onError func([]int, error)) chaosBatcherAPI {
			return generated.NewFuncBatcher(fn, onError)
		},
		batchErrors: func(err error) [][]int {
			var res [][]int
			walkErrors(err, func(e error) {
				if be, ok := e.(*generated.FuncBatcherBatchError); ok {
					res = append(res, be.Items)
				}
			})
			return res
		},
	},
}

// walkErrors calls f on err and every error in its tree.
func walkErrors(err error, f func(error)) {
	if err == nil {
		return
	}
	f(err)
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walkErrors(e, f)
		}
	case interface{ Unwrap() error }:
		walkErrors(u.Unwrap(), f)
	}
}

// batchItem is the plan of a batcher item: the batch holding it fails
// while it has had fewer than fails attempts, and waits for the batch's
// context or a short while when slow.
type batchItem struct {
	fails int32
	slow  time.Duration
}

// chaosBatcher drives each generated batcher, with an error handler or
// without, with adders (Add and AddMany under random contexts) that also
// Flush, batch functions that fail, recover and wait, and a Close at a
// random point under a context that may end first. It then accounts for
// every item: an accepted item is passed to exactly one call of the
// function that returned nil or reported failed exactly once (to the
// handler, or by Flush or Close), a rejected one never reaches the
// function; no batch is larger than the size or attempted beyond the
// retries; a Flush that returns nil has seen the items its goroutine added
// before it done; and nothing runs after Close returns.
func chaosBatcher(c *chaos) {
	for round := range c.rounds {
		for _, shape := range chaosBatcherShapes {
			chaosBatcherRound(c, shape, round, c.rng.IntN(2) == 0)
		}
	}
}

func chaosBatcherRound(c *chaos, shape chaosBatcherShape, round int, handler bool) {
	rng := c.rng
	adders := 1 + rng.IntN(4)
	perAdder := 40 + rng.IntN(150)
	n := adders * perAdder
	plans := make([]batchItem, n)
	for i := range plans {
		switch r := rng.IntN(100); {
		case r < 5:
			plans[i].fails = 1 + rng.Int32N(int32(shape.retries)+2)
		case r < 10:
			plans[i].slow = randDuration(rng, 300*time.Microsecond)
		}
	}
	where := fmt.Sprintf("%s round %d (handler %v, %d adders)", shape.name, round, handler, adders)

	var (
		attempts  = make([]atomic.Int32, n)
		succeeded = make([]atomic.Int32, n)
		failed    = make([]atomic.Int32, n)
		accepted  = make([]atomic.Bool, n)
		closing   atomic.Bool // Close called
		closeCtx  atomic.Pointer[context.Context]
		stopped   atomic.Bool // Close returned
	)
	// gaveUp reports whether Close's context has ended: only then may a
	// batch fail with something else than the function's error.
	gaveUp := func() bool {
		ctx := closeCtx.Load()
		return ctx != nil && (*ctx).Err() != nil
	}
	// report accounts for the items of a batch reported failed with err.
	report := func(items []int, err error) {
		for _, id := range items {
			if id < 0 || id >= n {
				c.errorf("%s: failed batch holds %d, never added", where, id)
				continue
			}
			failed[id].Add(1)
		}
		if !errors.Is(err, errChaos) && !gaveUp() {
			c.errorf("%s: batch reported failed with %v before Close gave up", where, err)
		}
	}
	fn := func(ctx context.Context, items []int) error {
		if stopped.Load() {
			c.errorf("%s: batch function called after Close returned", where)
		}
		if len(items) == 0 || len(items) > shape.size {
			c.errorf("%s: batch of %d items, size=%d", where, len(items), shape.size)
		}
		fail := false
		var slow time.Duration
		for i, id := range items {
			if id < 0 || id >= n {
				c.errorf("%s: batch holds %d, never added", where, id)
				return nil
			}
			for _, other := range items[:i] {
				if other == id {
					c.errorf("%s: batch holds item %d twice", where, id)
				}
			}
			a := attempts[id].Add(1)
			if int(a) > 1+shape.retries {
				c.errorf("%s: item %d attempted %d times, retries=%d", where, id, a, shape.retries)
			}
			if a <= plans[id].fails {
				fail = true
			}
			slow = max(slow, plans[id].slow)
		}
		if slow > 0 {
			t := time.NewTimer(slow)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		if fail {
			return fmt.Errorf("batch of %d: %w", len(items), errChaos)
		}
		for _, id := range items {
			succeeded[id].Add(1)
		}
		return nil
	}
	var onError func([]int, error)
	if handler {
		onError = func(items []int, err error) {
			if stopped.Load() {
				c.errorf("%s: error handler called after Close returned", where)
			}
			report(items, err)
		}
	}
	b := shape.make(fn, onError)
	// taken accounts for the failures returned by Flush or Close.
	taken := func(err error) {
		for _, items := range shape.batchErrors(err) {
			report(items, errChaos)
		}
	}

	var wg sync.WaitGroup
	for a := range adders {
		rng := c.fork()
		wg.Go(func() {
			var mine []int // accepted, for the Flush check
			for id := a * perAdder; id < (a+1)*perAdder; {
				late := stopped.Load()
				var added []int
				ctx, release := randomCtx(rng, 300*time.Microsecond)
				if rng.IntN(4) == 0 {
					k := min(1+rng.IntN(2*shape.size), (a+1)*perAdder-id)
					vs := make([]int, k)
					for i := range vs {
						vs[i] = id + i
					}
					got, err := b.AddMany(ctx, vs)
					if got < 0 || got > k || (got < k) != (err != nil) {
						c.errorf("%s: AddMany of %d = %d, %v", where, k, got, err)
						got = max(0, min(got, k))
					}
					added = vs[:got]
					if err != nil && err != shape.closed && err != ctx.Err() {
						c.errorf("%s: AddMany = %v", where, err)
					}
					id += k
				} else {
					err := b.Add(ctx, id)
					if err == nil {
						added = []int{id}
					} else if err != shape.closed && err != ctx.Err() {
						c.errorf("%s: Add = %v", where, err)
					}
					id++
				}
				release()
				for _, v := range added {
					accepted[v].Store(true)
				}
				mine = append(mine, added...)
				if late && len(added) > 0 {
					c.errorf("%s: an Add that began after Close returned added %d items", where, len(added))
				}
				c.op()
				if rng.IntN(16) != 0 {
					continue
				}
				ctx, release = randomCtx(rng, 2*time.Millisecond)
				late = stopped.Load()
				err := b.Flush(ctx)
				release()
				switch {
				case err == shape.closed:
					if !closing.Load() {
						c.errorf("%s: Flush = ErrClosed before Close", where)
					}
				case err != nil && err == ctx.Err():
				case err != nil && len(shape.batchErrors(err)) == 0:
					c.errorf("%s: Flush = %v", where, err)
				default:
					taken(err)
					if late {
						c.errorf("%s: Flush after Close returned = %v", where, err)
					}
					if handler {
						// Every item this goroutine added is done.
						for _, v := range mine {
							if succeeded[v].Load()+failed[v].Load() == 0 {
								c.errorf("%s: Flush returned before item %d, added before it, was passed or reported", where, v)
								break
							}
						}
					}
				}
				c.op()
			}
		})
	}

	ctl := c.fork()
	if ctl.IntN(3) == 0 {
		wg.Wait()
	} else {
		busy(ctl.IntN(400))
	}
	ctx, release := randomCtx(ctl, time.Millisecond)
	closing.Store(true)
	closeCtx.Store(&ctx)
	err := b.Close(ctx)
	stopped.Store(true)
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		if !gaveUp() {
			c.errorf("%s: Close = %v, but its context did not end", where, short(err))
		}
		taken(err)
	case len(shape.batchErrors(err)) > 0:
		taken(err)
	default:
		c.errorf("%s: Close = %v", where, short(err))
	}
	release()
	wg.Wait()
	if err := b.Close(context.Background()); err != shape.closed {
		c.errorf("%s: second Close = %v", where, err)
	}
	if err := b.Add(context.Background(), 0); err != shape.closed {
		c.errorf("%s: Add after Close = %v", where, err)
	}
	if err := b.Flush(context.Background()); err != shape.closed {
		c.errorf("%s: Flush after Close = %v", where, err)
	}

	for id := range n {
		s, f, a := succeeded[id].Load(), failed[id].Load(), attempts[id].Load()
		if !accepted[id].Load() {
			if s+f+a != 0 {
				c.errorf("%s: item %d not added, but attempted %d times, passed %d, reported %d", where, id, a, s, f)
			}
			continue
		}
		if s+f != 1 {
			c.errorf("%s: item %d passed to a successful call %d times and reported failed %d times", where, id, s, f)
		}
		c.op()
	}
}

// chaosResPoolAPI is what the chaos test uses of a generated resource pool.
type chaosResPoolAPI interface {
	Get(ctx context.Context) (*generated.Conn, error)
	Put(r *generated.Conn)
	Discard(r *generated.Conn)
	Len() (open, idle int)
	Close()
}

// chaosResPoolShape is one generated resource pool.
type chaosResPoolShape struct {
	name   string
	max    int
	closed error
	make   func() chaosResPoolAPI
}

var chaosResPoolShapes = []chaosResPoolShape{
	{name: "ChaosConns", max: 3, closed: generated.ErrChaosConnsClosed,
		make: func() chaosResPoolAPI { return generated.NewChaosConns() }},
	{name: "ChaosIdleConns", max: 3, closed: generated.ErrChaosIdleConnsClosed,
		make: func() chaosResPoolAPI { return generated.NewChaosIdleConns() }},
}

// connState is what the test knows of one resource.
type connState struct {
	inUse  atomic.Bool  // held by a caller of Get
	closed atomic.Int32 // calls of the close function
	broken atomic.Bool  // fails its check
}

// chaosResPool drives each generated resource pool with goroutines that
// Get under random contexts, hold, break, Put and Discard resources, dials
// that fail or wait, and a Close at a random point while resources are
// held; the idle pool's evictor runs meanwhile. It checks that no more than
// max resources exist at once, a resource is held by one caller at a time
// and never after it is closed, the check sees only idle resources, a Get
// that begins after Close returns fails with ErrClosed, and at the end
// every resource made was closed exactly once.
func chaosResPool(c *chaos) {
	for round := range c.rounds {
		for _, shape := range chaosResPoolShapes {
			chaosResPoolRound(c, shape, round)
		}
	}
}

// errDialChaos is the error of a failing dial.
var errDialChaos = errors.New("chaos dial failure")

func chaosResPoolRound(c *chaos, shape chaosResPoolShape, round int) {
	rng := c.rng
	workers := 2 + rng.IntN(5)
	opsPerWorker := 30 + rng.IntN(100)
	failDial := rng.IntN(20) // per cent
	where := fmt.Sprintf("%s round %d (%d workers, dials fail %d%%)", shape.name, round, workers, failDial)
	conns := make([]connState, workers*opsPerWorker+1)
	var (
		made    atomic.Int64 // resources made
		live    atomic.Int64 // made and not closed
		held    atomic.Int64 // held by callers of Get
		closing atomic.Bool  // Close called
		stopped atomic.Bool  // Close returned
		dialRng sync.Mutex
		drng    = c.fork()
	)
	generated.ChaosResHooks = generated.ResHooks{
		Dial: func(ctx context.Context) (*generated.Conn, error) {
			dialRng.Lock()
			fail, wait := drng.IntN(100) < failDial, drng.IntN(10) == 0
			d := randDuration(drng, 200*time.Microsecond)
			dialRng.Unlock()
			if wait {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil, ctx.Err()
				case <-t.C:
				}
			}
			if fail {
				return nil, errDialChaos
			}
			if l := live.Add(1); l > int64(shape.max) {
				c.errorf("%s: %d resources exist at once, max=%d", where, l, shape.max)
			}
			id := int(made.Add(1))
			if id >= len(conns) {
				c.errorf("%s: more resources made than Gets", where)
				return nil, errDialChaos
			}
			return &generated.Conn{ID: id}, nil
		},
		Close: func(r *generated.Conn) {
			st := &conns[r.ID]
			if n := st.closed.Add(1); n != 1 {
				c.errorf("%s: resource %d closed %d times", where, r.ID, n)
			}
			if st.inUse.Load() {
				c.errorf("%s: resource %d closed while held", where, r.ID)
			}
			// A slow close: widens the window in which the pool has
			// forgotten the resource and the close has not ended.
			time.Sleep(300 * time.Microsecond)
			live.Add(-1)
		},
		Check: func(r *generated.Conn) error {
			st := &conns[r.ID]
			if st.inUse.Load() || st.closed.Load() != 0 {
				c.errorf("%s: resource %d checked while held or closed", where, r.ID)
			}
			if st.broken.Load() {
				return errors.New("broken")
			}
			return nil
		},
	}
	p := shape.make()

	var wg sync.WaitGroup
	for range workers {
		rng := c.fork()
		wg.Go(func() {
			for range opsPerWorker {
				ctx, release := randomCtx(rng, 500*time.Microsecond)
				late := stopped.Load()
				r, err := p.Get(ctx)
				release()
				c.op()
				switch {
				case err == nil:
				case err == shape.closed:
					if !closing.Load() {
						c.errorf("%s: Get = ErrClosed before Close", where)
					}
					continue
				case err == errDialChaos || err == ctx.Err():
					if late {
						c.errorf("%s: Get after Close returned = %v, want ErrClosed", where, err)
					}
					continue
				default:
					c.errorf("%s: Get = %v", where, err)
					continue
				}
				if late {
					c.errorf("%s: Get after Close returned a resource", where)
				}
				st := &conns[r.ID]
				if !st.inUse.CompareAndSwap(false, true) {
					c.errorf("%s: resource %d handed to two callers of Get", where, r.ID)
				}
				if st.closed.Load() != 0 {
					c.errorf("%s: Get returned resource %d, already closed", where, r.ID)
				}
				if h := held.Add(1); h > int64(shape.max) {
					c.errorf("%s: %d resources held at once, max=%d", where, h, shape.max)
				}
				switch rng.IntN(8) {
				case 0:
					time.Sleep(randDuration(rng, 3*time.Millisecond)) // long enough for the evictor
				default:
					busy(rng.IntN(20))
				}
				if rng.IntN(10) == 0 {
					st.broken.Store(true)
				}
				held.Add(-1)
				st.inUse.Store(false)
				if rng.IntN(6) == 0 {
					p.Discard(r)
				} else {
					p.Put(r)
				}
				if rng.IntN(8) == 0 {
					// Idle a while, so that the evictor closes resources
					// while the other workers make new ones.
					time.Sleep(randDuration(rng, 4*time.Millisecond))
				}
			}
		})
	}

	// Close once every resource is back (all idle: Close closes them), or
	// while some are held (Put closes them).
	ctl := c.fork()
	if ctl.IntN(3) == 0 {
		wg.Wait()
	} else {
		busy(ctl.IntN(500))
	}
	closing.Store(true)
	p.Close()
	stopped.Store(true)
	wg.Wait()
	p.Close() // Close again: does nothing

	if open, idle := p.Len(); open != 0 || idle != 0 {
		c.errorf("%s: Len after Close with every resource back = %d open, %d idle", where, open, idle)
	}
	if _, err := p.Get(context.Background()); err != shape.closed {
		c.errorf("%s: Get after Close = %v", where, err)
	}
	for id := 1; id <= int(made.Load()); id++ {
		if n := conns[id].closed.Load(); n != 1 {
			c.errorf("%s: resource %d closed %d times by the end", where, id, n)
		}
		c.op()
	}
	if l := live.Load(); l != 0 {
		c.errorf("%s: %d resources not closed by the end", where, l)
	}
}
