package generated_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/batcher"
	"github.com/monogen/monogen/templates/queue"
	"github.com/monogen/monogen/templates/respool"
)

// ---- queue ----

// intQueue is the API shared by the generated queues and the template.
type intQueue interface {
	Push(ctx context.Context, v int) error
	TryPush(v int) bool
	PushMany(ctx context.Context, vs []int) (int, error)
	Pop(ctx context.Context) (int, error)
	TryPop() (int, bool)
	PopMany(ctx context.Context, buf []int) (int, error)
	Len() int
	Cap() int
	Close()
}

// queueCase is one policy: a generated queue of capacity 8 and how to read
// its errors and drop count, and the template's policy.
type queueCase struct {
	name      string
	policy    queue.Policy
	gen       func() intQueue
	closed    error
	full      error
	dropped   func(q intQueue) uint64
	templDrop func(q *queue.Queue[int]) uint64
}

var queueCases = []queueCase{
	{"block", queue.Block, func() intQueue { return generated.NewBlockQueue() },
		generated.ErrBlockQueueClosed, nil, nil, nil},
	{"drop-newest", queue.DropNewest, func() intQueue { return generated.NewDropNewestQueue() },
		generated.ErrDropNewestQueueClosed, nil,
		func(q intQueue) uint64 { return q.(*generated.DropNewestQueue).Stats().Dropped },
		func(q *queue.Queue[int]) uint64 { return q.Stats().Dropped }},
	{"drop-oldest", queue.DropOldest, func() intQueue { return generated.NewDropOldestQueue() },
		generated.ErrDropOldestQueueClosed, nil,
		func(q intQueue) uint64 { return q.(*generated.DropOldestQueue).Stats().Dropped },
		func(q *queue.Queue[int]) uint64 { return q.Stats().Dropped }},
	{"error", queue.Error, func() intQueue { return generated.NewErrorQueue() },
		generated.ErrErrorQueueClosed, generated.ErrErrorQueueFull, nil, nil},
}

// errName reduces an error to what the generated and template queues share.
func (c queueCase) errName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case err == c.closed || err == queue.ErrClosed:
		return "closed"
	case c.full != nil && err == c.full || err == queue.ErrFull:
		return "full"
	}
	return err.Error()
}

// queueTrace applies a random sequence of operations to q from one
// goroutine and records every result. ctx is cancelled, so a Push that would
// wait for room and a Pop that would wait for an item return at once.
func queueTrace(c queueCase, q intQueue, drops func() uint64, seed uint64) []string {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rng := rand.New(rand.NewPCG(seed, 7))
	var out []string
	next := 0
	buf := make([]int, 12)
	for i := range 300 {
		if i == 250 {
			q.Close()
		}
		switch rng.IntN(6) {
		case 0:
			out = append(out, fmt.Sprint("push ", c.errName(q.Push(ctx, next))))
			next++
		case 1:
			out = append(out, fmt.Sprint("trypush ", q.TryPush(next)))
			next++
		case 2:
			vs := make([]int, rng.IntN(12))
			for k := range vs {
				vs[k] = next
				next++
			}
			n, err := q.PushMany(ctx, vs)
			out = append(out, fmt.Sprint("pushmany ", n, c.errName(err)))
		case 3:
			v, err := q.Pop(ctx)
			out = append(out, fmt.Sprint("pop ", v, c.errName(err)))
		case 4:
			v, ok := q.TryPop()
			out = append(out, fmt.Sprint("trypop ", v, ok))
		case 5:
			n, err := q.PopMany(ctx, buf[:rng.IntN(len(buf))])
			out = append(out, fmt.Sprint("popmany ", buf[:n], c.errName(err)))
		}
		out = append(out, fmt.Sprint("len ", q.Len()))
		if drops != nil {
			out = append(out, fmt.Sprint("dropped ", drops()))
		}
	}
	return out
}

// TestQueueMatchesTemplate runs the same operations on each generated queue
// and on the template with the same size and policy, and compares every
// result.
func TestQueueMatchesTemplate(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range queueCases {
		t.Run("policy="+c.name, func(t *testing.T) {
			for seed := range uint64(40) {
				g := c.gen()
				tq := queue.New[int](queue.Config{Size: 8, Policy: c.policy})
				if g.Cap() != tq.Cap() {
					t.Fatalf("Cap = %d, template %d", g.Cap(), tq.Cap())
				}
				var gd, td func() uint64
				if c.dropped != nil {
					gd = func() uint64 { return c.dropped(g) }
					td = func() uint64 { return c.templDrop(tq) }
				}
				got, want := queueTrace(c, g, gd, seed), queueTrace(c, tq, td, seed)
				if !reflect.DeepEqual(got, want) {
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("seed %d, step %d: generated %q, template %q", seed, i, got[i], want[i])
						}
					}
				}
			}
		})
	}
}

// TestQueueEveryItemAccounted runs producers and consumers mixing every
// operation on each generated queue, closes it while they run, and checks
// that every item a push accepted was popped exactly once, counted as
// dropped by the policy, or is still in the queue, and that nothing else
// was popped.
func TestQueueEveryItemAccounted(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range queueCases {
		t.Run("policy="+c.name, func(t *testing.T) {
			for round := range 8 {
				queueAccounting(t, c, uint64(round))
			}
		})
	}
}

func queueAccounting(t *testing.T, c queueCase, seed uint64) {
	const producers, consumers, perProducer, closeAfter = 3, 3, 2000, 1500
	ctx := context.Background()
	q := c.gen()
	accepted := make([][]int, producers)
	popped := make([][]int, consumers)
	var pops atomic.Int64
	closeNow := make(chan struct{})
	var closeOnce sync.Once
	var wg, producing sync.WaitGroup
	for id := range producers {
		producing.Add(1)
		wg.Go(func() {
			defer producing.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(id)))
			next := id << 32
			batch := make([]int, 8)
			for next < id<<32+perProducer {
				switch rng.IntN(3) {
				case 0:
					err := q.Push(ctx, next)
					if c.errName(err) == "closed" {
						return
					}
					if err == nil { // includes an item DropNewest dropped
						accepted[id] = append(accepted[id], next)
					} else if c.errName(err) != "full" {
						t.Error(err)
						return
					}
					next++
				case 1:
					if q.TryPush(next) {
						accepted[id] = append(accepted[id], next)
					}
					next++
				case 2:
					b := batch[:1+rng.IntN(len(batch))]
					for i := range b {
						b[i] = next
						next++
					}
					n, err := q.PushMany(ctx, b)
					if err == nil {
						n = len(b) // DropNewest counts the rest as dropped
					}
					accepted[id] = append(accepted[id], b[:n]...)
					if c.errName(err) == "closed" {
						return
					}
					if err != nil && c.errName(err) != "full" {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	for id := range consumers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, 100+uint64(id)))
			buf := make([]int, 8)
			for {
				switch rng.IntN(3) {
				case 0:
					v, err := q.Pop(ctx)
					if c.errName(err) == "closed" {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					popped[id] = append(popped[id], v)
				case 1:
					if v, ok := q.TryPop(); ok {
						popped[id] = append(popped[id], v)
					}
				case 2:
					n, err := q.PopMany(ctx, buf[:1+rng.IntN(len(buf))])
					if c.errName(err) == "closed" {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					popped[id] = append(popped[id], buf[:n]...)
				}
				if pops.Add(1) == closeAfter {
					closeOnce.Do(func() { close(closeNow) })
				}
			}
		})
	}
	producersDone := make(chan struct{})
	go func() {
		producing.Wait()
		close(producersDone)
	}()
	select {
	case <-closeNow:
	case <-producersDone:
	}
	q.Close()
	wg.Wait()
	<-producersDone

	// Consumers stopped on ErrClosed: the queue is drained, so every
	// accepted item was popped once or dropped.
	if v, ok := q.TryPop(); ok {
		t.Fatalf("item %#x left in the queue after consumers saw ErrClosed", v)
	}
	seen := map[int]int{}
	for _, p := range popped {
		for _, v := range p {
			seen[v]++
		}
	}
	acceptedN, lost := 0, uint64(0)
	for _, a := range accepted {
		acceptedN += len(a)
		for _, v := range a {
			switch seen[v] {
			case 0:
				lost++
			case 1:
			default:
				t.Fatalf("item %#x popped %d times", v, seen[v])
			}
			delete(seen, v)
		}
	}
	for v := range seen {
		t.Fatalf("item %#x popped but never accepted", v)
	}
	var dropped uint64
	if c.dropped != nil {
		dropped = c.dropped(q)
	}
	if lost != dropped {
		t.Fatalf("%d accepted items were never popped, the queue counts %d dropped (accepted %d)", lost, dropped, acceptedN)
	}
}

// TestQueueFanInFanOut moves items through the generated blocking queue
// with its FanIn and FanOut helpers.
func TestQueueFanInFanOut(t *testing.T) {
	defer goleak.VerifyNone(t)
	q := generated.NewIntQueue()
	var sum atomic.Int64
	done := make(chan error)
	go func() {
		done <- q.FanOut(context.Background(), 3, func(_ context.Context, v int) error {
			sum.Add(int64(v))
			return nil
		})
	}()
	err := q.FanIn(context.Background(), 4, func(ctx context.Context, i int) error {
		for v := range 1000 {
			if err := q.Push(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || <-done != nil {
		t.Fatal(err)
	}
	if got := sum.Load(); got != 4*999*1000/2 {
		t.Fatalf("sum %d, want %d", got, 4*999*1000/2)
	}
	if err := q.Push(context.Background(), 1); err != generated.ErrIntQueueClosed {
		t.Fatalf("Push after Close = %v", err)
	}
}

// ---- batcher ----

// batchAdder is the API shared by the generated batchers and the template.
type batchAdder interface {
	Add(ctx context.Context, v int) error
	AddMany(ctx context.Context, vs []int) (int, error)
	Flush(ctx context.Context) error
	Close(ctx context.Context) error
}

// flakyBatches is a batch function that records each call and fails a
// batch whose first item is a multiple of 7 every time, and one whose first
// item is a multiple of 5 on its first attempt.
type flakyBatches struct {
	mu       sync.Mutex
	calls    []string
	attempts map[int]int
}

var errFlakyBatch = errors.New("flaky batch")

func (f *flakyBatches) fn(_ context.Context, items []int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.attempts == nil {
		f.attempts = map[int]int{}
	}
	f.attempts[items[0]]++
	f.calls = append(f.calls, fmt.Sprint("call ", items))
	if items[0]%7 == 0 || items[0]%5 == 0 && f.attempts[items[0]] == 1 {
		return errFlakyBatch
	}
	return nil
}

func (f *flakyBatches) onError(items []int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprint("failed ", items, err))
}

// batcherTrace adds items to b from one goroutine, with Flushes in between,
// and returns what the batch function and the error handler received and
// what Flush and Close returned. One worker makes the order deterministic.
func batcherTrace(b batchAdder, f *flakyBatches, seed uint64) []string {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 9))
	var out []string
	next := 0
	for range 60 {
		switch rng.IntN(4) {
		case 0, 1:
			out = append(out, fmt.Sprint("add ", b.Add(ctx, next)))
			next++
		case 2:
			vs := make([]int, rng.IntN(10))
			for k := range vs {
				vs[k] = next
				next++
			}
			n, err := b.AddMany(ctx, vs)
			out = append(out, fmt.Sprint("addmany ", n, err))
		case 3:
			out = append(out, fmt.Sprint("flush ", batchErrText(b.Flush(ctx))))
		}
	}
	out = append(out, fmt.Sprint("close ", batchErrText(b.Close(ctx))))
	out = append(out, fmt.Sprint("add after close ", b.Add(ctx, 0) != nil))
	f.mu.Lock()
	defer f.mu.Unlock()
	return append(out, f.calls...)
}

// batchErrText spells an error of Flush or Close the same way for the
// generated and the template batcher (their BatchError types differ).
func batchErrText(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// TestBatcherMatchesTemplate runs the same Adds, AddManys and Flushes on
// the generated FuncBatcher (size=4 workers=1 retries=2) and on the template
// with the same options and functions, with an error handler and without.
func TestBatcherMatchesTemplate(t *testing.T) {
	defer goleak.VerifyNone(t)
	cfg := batcher.Config{Size: 4, Workers: 1, Retries: 2}
	for _, handler := range []bool{true, false} {
		for seed := range uint64(20) {
			var gf, tf flakyBatches
			var gOnErr, tOnErr func([]int, error)
			if handler {
				gOnErr, tOnErr = gf.onError, tf.onError
			}
			got := batcherTrace(generated.NewFuncBatcher(gf.fn, gOnErr), &gf, seed)
			want := batcherTrace(batcher.New(tf.fn, tOnErr, cfg), &tf, seed)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("handler %v, seed %d:\ngenerated %q\ntemplate  %q", handler, seed, got, want)
			}
		}
	}
}

// TestBatcherExactlyOnce adds rows from several goroutines to the bound
// Writes batcher (two workers, retries=2), some of whose batches fail for a
// while or for good, closes it while they add, and checks that every row
// whose Add returned nil was written exactly once or reported failed exactly
// once, and no other row was.
func TestBatcherExactlyOnce(t *testing.T) {
	defer goleak.VerifyNone(t)
	const adders, perAdder = 4, 2000
	generated.WritesLog.Reset()
	b := generated.NewWrites()
	ctx := context.Background()
	accepted := make([][]int, adders)
	var wg sync.WaitGroup
	var added atomic.Int64
	halfway := make(chan struct{})
	var once sync.Once
	for a := range adders {
		wg.Go(func() {
			for i := range perAdder {
				id := a*perAdder + i
				// About one row in 50 fails its batch once, one in 500 for
				// good (more attempts than the retries allow).
				row := generated.Row{ID: id}
				switch {
				case id%500 == 0:
					row.Fail = 10
				case id%50 == 0:
					row.Fail = 1
				}
				var err error
				if i%3 == 0 {
					_, err = b.AddMany(ctx, []generated.Row{row})
				} else {
					err = b.Add(ctx, row)
				}
				if err != nil {
					if err != generated.ErrWritesClosed {
						t.Error(err)
					}
					return
				}
				accepted[a] = append(accepted[a], id)
				if added.Add(1) == adders*perAdder/2 {
					once.Do(func() { close(halfway) })
				}
			}
		})
	}
	<-halfway
	if err := b.Close(ctx); err != nil {
		t.Fatal(err) // failures go to the bound handler, not to Close
	}
	wg.Wait()
	written, failed, _ := generated.WritesLog.Snapshot()
	count := map[int]int{}
	for _, id := range written {
		count[id]++
	}
	for _, id := range failed {
		count[id]++
	}
	n := 0
	for _, a := range accepted {
		for _, id := range a {
			n++
			if count[id] != 1 {
				t.Fatalf("row %d accepted and delivered %d times", id, count[id])
			}
			delete(count, id)
		}
	}
	for id := range count {
		t.Fatalf("row %d delivered but its Add failed", id)
	}
	if n < adders*perAdder/2 {
		t.Fatalf("only %d rows accepted", n)
	}
	if len(failed) == 0 {
		t.Fatal("no batch failed for good: the test does not test reporting")
	}
}

// ---- respool ----

// connPool is the API shared by the generated pools and the template.
type connPool interface {
	Get(ctx context.Context) (*generated.Conn, error)
	Put(c *generated.Conn)
	Discard(c *generated.Conn)
	Len() (open, idle int)
	Close()
}

// poolTrace runs a random sequence of Gets, Puts and Discards from one
// goroutine, breaking some of the connections it holds, and records every
// result. ctx is cancelled, so a Get at the maximum returns at once.
func poolTrace(p connPool, stats *generated.ConnStats, seed uint64) []string {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rng := rand.New(rand.NewPCG(seed, 11))
	var held []*generated.Conn
	var out []string
	for i := range 200 {
		switch rng.IntN(5) {
		case 0, 1:
			stats.SetFailDial(rng.IntN(8) == 0)
			c, err := p.Get(ctx)
			if err == nil {
				held = append(held, c)
				out = append(out, fmt.Sprint("get ", c.ID))
			} else {
				out = append(out, fmt.Sprint("get ", errors.Is(err, generated.ErrDial), errors.Is(err, context.Canceled)))
			}
			stats.SetFailDial(false)
		case 2, 3:
			if len(held) > 0 {
				k := rng.IntN(len(held))
				c := held[k]
				held = slices.Delete(held, k, k+1)
				c.Broken = rng.IntN(4) == 0
				p.Put(c)
				out = append(out, fmt.Sprint("put ", c.ID, c.Broken))
			}
		case 4:
			if len(held) > 0 {
				c := held[len(held)-1]
				held = held[:len(held)-1]
				p.Discard(c)
				out = append(out, fmt.Sprint("discard ", c.ID))
			}
		}
		open, idle := p.Len()
		d, cl, ch := stats.Counts()
		out = append(out, fmt.Sprint("len ", open, idle, " counts ", d, cl, ch))
		if i == 180 {
			p.Close()
			out = append(out, "close")
		}
	}
	for _, c := range held {
		p.Put(c)
	}
	d, cl, _ := stats.Counts()
	return append(out, fmt.Sprint("end ", d, cl))
}

// TestResPoolMatchesTemplate runs the same operations on the generated
// Conns (every option bound) and on the template given the same functions,
// then on FuncConns (constructor function, nothing to close or check) and
// on the template given only that function, and compares every result.
func TestResPoolMatchesTemplate(t *testing.T) {
	defer goleak.VerifyNone(t)
	for seed := range uint64(20) {
		generated.ConnsStats.Reset()
		var ts generated.ConnStats
		tp := respool.New(ts.Dial, ts.Close, ts.Check, respool.Config{Max: 4, Idle: time.Minute})
		got, want := poolTrace(generated.NewConns(), &generated.ConnsStats, seed), poolTrace(tp, &ts, seed)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Conns, seed %d:\ngenerated %q\ntemplate  %q", seed, got, want)
		}

		var gs, ts2 generated.ConnStats
		tp2 := respool.New(ts2.Dial, nil, nil, respool.Config{Max: 3})
		got, want = poolTrace(generated.NewFuncConns(gs.Dial), &gs, seed), poolTrace(tp2, &ts2, seed)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("FuncConns, seed %d:\ngenerated %q\ntemplate  %q", seed, got, want)
		}
	}
}

// TestResPoolIdleEviction checks, on a fake clock, that the generated
// Conns (idle=1m) closes connections idle for a minute, like the template.
func TestResPoolIdleEviction(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		generated.ConnsStats.Reset()
		var ts generated.ConnStats
		tp := respool.New(ts.Dial, ts.Close, ts.Check, respool.Config{Max: 4, Idle: time.Minute})
		for _, c := range []struct {
			p     connPool
			stats *generated.ConnStats
		}{{generated.NewConns(), &generated.ConnsStats}, {tp, &ts}} {
			ctx := context.Background()
			a, _ := c.p.Get(ctx)
			b, _ := c.p.Get(ctx)
			c.p.Put(a)
			time.Sleep(50 * time.Second) // fake time: a has idled 50s
			c.p.Put(b)
			time.Sleep(40 * time.Second) // a has idled 90s, b 40s
			synctest.Wait()
			if open, idle := c.p.Len(); open != 1 || idle != 1 {
				t.Errorf("after 90s: open %d, idle %d; want 1, 1 (a evicted)", open, idle)
			}
			time.Sleep(time.Minute)
			synctest.Wait()
			if open, idle := c.p.Len(); open != 0 || idle != 0 {
				t.Errorf("after 150s: open %d, idle %d; want 0, 0", open, idle)
			}
			if d, cl, _ := c.stats.Counts(); d != 2 || cl != 2 || !a.Closed || !b.Closed {
				t.Errorf("dialed %d, closed %d; want 2, 2", d, cl)
			}
			c.p.Close()
		}
	})
}

// TestResPoolMaxCountsConnUntilClosed checks, on a fake clock, that the
// generated Conns (max=4, idle=1m) counts the connections it evicts until
// closeConn has returned: while their closes are held, Gets at the maximum
// wait instead of dialing more.
func TestResPoolMaxCountsConnUntilClosed(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		const max = 4
		generated.ConnsStats.Reset()
		p := generated.NewConns()
		ctx := context.Background()
		var held []*generated.Conn
		for range max {
			c, err := p.Get(ctx)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
		}
		for _, c := range held {
			p.Put(c)
		}
		release := generated.ConnsStats.HoldCloses()
		defer release()
		time.Sleep(2 * time.Minute) // fake time: every connection idled past 1m
		synctest.Wait()             // the evictor is in closeConn, held
		if open, idle := p.Len(); open != max || idle != 0 {
			t.Errorf("while the evicted connections close: Len() = %d, %d; want %d, 0", open, idle, max)
		}

		got := make(chan *generated.Conn, max)
		for range max {
			go func() {
				c, err := p.Get(ctx)
				if err != nil {
					t.Error(err)
				}
				got <- c
			}()
		}
		synctest.Wait() // the Gets wait, or have dialed
		if dialed, closed, _ := generated.ConnsStats.Counts(); dialed != max || closed != 0 {
			t.Errorf("while %d evicted connections close: dialed %d, closed %d; want %d, 0 (at most %d exist)", max, dialed, closed, max, max)
		}

		release()
		for range max {
			if c := <-got; c != nil {
				p.Put(c)
			}
		}
		p.Close()
		if dialed, closed, _ := generated.ConnsStats.Counts(); closed != dialed {
			t.Errorf("after Close: dialed %d, closed %d", dialed, closed)
		}
	})
}

// TestResPoolNilResource checks that a pool of pointers keeps a nil resource,
// which its hot slot cannot hold (nil means empty there), on the stack in the
// right order: Get still returns the most recently put back.
func TestResPoolNilResource(t *testing.T) {
	ctx := context.Background()
	made := 0
	p := generated.NewFuncConns(func(context.Context) (*generated.Conn, error) {
		made++
		if made == 1 {
			return nil, nil
		}
		return &generated.Conn{ID: made}, nil
	})
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	if a != nil || b == nil {
		t.Fatalf("Get, Get = %v, %v; want nil, then a connection", a, b)
	}
	p.Put(b) // into the hot slot
	p.Put(a) // newer: the hot slot's resource goes onto the stack first
	if open, idle := p.Len(); open != 2 || idle != 2 {
		t.Fatalf("Len() = %d, %d; want 2, 2", open, idle)
	}
	if r, _ := p.Get(ctx); r != nil {
		t.Fatalf("Get = %v, want nil, the last put back", r)
	}
	if r, _ := p.Get(ctx); r != b {
		t.Fatalf("Get = %v, want the connection put back before nil", r)
	}
	p.Put(b)
	p.Put(a)
	p.Close()
	if open, idle := p.Len(); open != 0 || idle != 0 {
		t.Fatalf("after Close, Len() = %d, %d; want 0, 0", open, idle)
	}
}

// TestResPoolStress gets, puts and discards connections of the generated
// Conns from many goroutines at its maximum, closing it while they run, and
// checks that no connection is held twice, the maximum holds, and every
// connection made is closed in the end.
func TestResPoolStress(t *testing.T) {
	defer goleak.VerifyNone(t)
	generated.ConnsStats.Reset()
	p := generated.NewConns()
	var inUse sync.Map
	var open, gets atomic.Int64
	var wg, users sync.WaitGroup
	usersDone := make(chan struct{})
	for g := range 8 {
		users.Add(1)
		wg.Go(func() {
			defer users.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 3000 {
				c, err := p.Get(context.Background())
				if err == generated.ErrConnsClosed {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				gets.Add(1)
				if n := open.Add(1); n > 4 {
					t.Errorf("%d connections in use, max 4", n)
				}
				if _, dup := inUse.LoadOrStore(c, true); dup {
					t.Errorf("connection %d handed out twice", c.ID)
				}
				if c.Closed {
					t.Errorf("closed connection %d handed out", c.ID)
				}
				inUse.Delete(c)
				open.Add(-1)
				if rng.IntN(20) == 0 {
					p.Discard(c)
				} else {
					p.Put(c)
				}
			}
		})
	}
	go func() {
		users.Wait()
		close(usersDone)
	}()
	wg.Go(func() {
		// Close once the users are well under way.
		for {
			if gets.Load() >= 10000 {
				p.Close()
				return
			}
			select {
			case <-usersDone:
				return
			default:
				runtime.Gosched()
			}
		}
	})
	wg.Wait()
	p.Close()
	if open, idle := p.Len(); open != 0 || idle != 0 {
		t.Fatalf("after Close: open %d, idle %d", open, idle)
	}
	if d, cl, _ := generated.ConnsStats.Counts(); d != cl {
		t.Fatalf("dialed %d, closed %d", d, cl)
	}
}

// TestResPoolHotSlotsStress drives the generated Conns (max=4, idle=1m) from
// more goroutines than it has connections, on a fake clock so that the
// evictor runs while they do: Gets wait at Max and find broken
// connections, and Puts race Discards and the evictor through the atomic
// hot slots. (Contexts are never cancelled: a dial with a cancelled one
// counts a connection the pool never gets.) At rest every connection must be
// idle; after two idle minutes, evicted, slots included; and after a round
// that races Close, closed.
func TestResPoolHotSlotsStress(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		const workers, ops = 12, 400
		generated.ConnsStats.Reset()
		p := generated.NewConns()
		var inUse atomic.Int64
		var held sync.Map
		work := func(seed uint64) {
			rng := rand.New(rand.NewPCG(seed, 2))
			for range ops {
				c, err := p.Get(context.Background())
				if err == generated.ErrConnsClosed {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				if n := inUse.Add(1); n > 4 {
					t.Errorf("%d connections in use, max 4", n)
				}
				if _, dup := held.LoadOrStore(c, true); dup || c.Closed {
					t.Errorf("connection %d handed out twice or closed", c.ID)
				}
				held.Delete(c)
				inUse.Add(-1)
				switch rng.IntN(40) {
				case 0:
					p.Discard(c)
				case 1:
					c.Broken = true // the next Get's check closes it
					p.Put(c)
				default:
					p.Put(c)
				}
				if rng.IntN(50) == 0 {
					time.Sleep(20 * time.Second) // fake time: ticks once all sleep or wait
				}
			}
		}

		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { work(uint64(w)) })
		}
		wg.Wait()
		dialed, closed, _ := generated.ConnsStats.Counts()
		if open, idle := p.Len(); open != idle || open != dialed-closed {
			t.Fatalf("at rest: Len() = %d, %d; dialed %d, closed %d; want every open connection idle", open, idle, dialed, closed)
		}
		time.Sleep(2 * time.Minute) // every idle connection, in a slot or not, idles past 1m
		synctest.Wait()
		dialed, closed, _ = generated.ConnsStats.Counts()
		if open, idle := p.Len(); open != 0 || idle != 0 || dialed != closed {
			t.Fatalf("after 2m idle: Len() = %d, %d; dialed %d, closed %d; want all evicted", open, idle, dialed, closed)
		}

		for w := range workers {
			wg.Go(func() { work(uint64(w + workers)) })
		}
		time.Sleep(30 * time.Second) // fake time: the workers are well under way
		p.Close()
		wg.Wait()
		dialed, closed, _ = generated.ConnsStats.Counts()
		if open, idle := p.Len(); open != 0 || idle != 0 || dialed != closed {
			t.Fatalf("after Close: Len() = %d, %d; dialed %d, closed %d", open, idle, dialed, closed)
		}
	})
}
