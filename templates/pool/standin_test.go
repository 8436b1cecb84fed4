package pool_test

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monogen/monogen/templates/pool"
)

// goid returns the id of the calling goroutine, from the header of its
// stack trace ("goroutine 42 [running]:").
func goid() int64 {
	var buf [64]byte
	s := buf[:runtime.Stack(buf[:], false)]
	s = bytes.TrimPrefix(s, []byte("goroutine "))
	id, err := strconv.ParseInt(string(s[:bytes.IndexByte(s, ' ')]), 10, 64)
	if err != nil {
		panic("goid: " + err.Error())
	}
	return id
}

// A Map call used to hand its batch to the workers through the queue and
// wait idle for them: each had to be woken and scheduled, tens of
// microseconds on a VM, before the first item ran, and a short batch took
// up to 3.4 times the serial loop divided by the cores. With a worker
// parked, the caller takes its place and runs items at once. Each attempt
// maps one item, so that no worker is asked to help; until the worker has
// parked, the batch goes to it, so try again. Before the fix, no item ever
// ran on the caller.
func TestMapDoesNotWaitIdleForAParkedWorker(t *testing.T) {
	for _, workers := range []int{1, 2} {
		var ranOn atomic.Int64
		fn := func(_ context.Context, x int) (int, error) {
			ranOn.Store(goid())
			return x, nil
		}
		p := pool.New(fn, nil, pool.Config{Workers: workers})
		me := goid()
		onCaller := false
		for range 1000 {
			if _, err := p.Map(context.Background(), []int{1}); err != nil {
				t.Fatal(err)
			}
			if onCaller = ranOn.Load() == me; onCaller {
				break
			}
			runtime.Gosched() // for the worker to park
		}
		p.Close()
		if !onCaller {
			t.Fatalf("workers=%d: in 1000 Map calls, no item ran on the caller: Map waits for a worker while one is parked", workers)
		}
	}
}

// onCaller runs item 0 of a Map call on p on its caller, a new goroutine:
// it calls Map of the single item 0 until the item runs there, which it
// does once a worker is parked, and returns when it has started. p's
// function must return at once when item 0 runs on another goroutine than
// caller, and otherwise signal started and block. mapped receives the
// error of that Map call.
func onCaller(t *testing.T, p *pool.Pool[int, int], caller *atomic.Int64, started <-chan struct{}) (mapped <-chan error) {
	for range 1000 {
		errs := make(chan error, 1)
		go func() {
			caller.Store(goid())
			_, err := p.Map(context.Background(), []int{0})
			errs <- err
		}()
		select {
		case <-started:
			return errs
		case err := <-errs:
			// A worker ran it: it had not parked yet.
			if err != nil {
				t.Fatal(err)
			}
			runtime.Gosched()
		}
	}
	t.Fatal("in 1000 Map calls, no item ran on the caller")
	return nil
}

// Close waits for the items Map's caller runs in a parked worker's stead,
// as it waits for the workers: nothing runs after Close returns. That
// worker stays parked until the caller is done, and Close waits for it,
// unless Resize retires it meanwhile: it then exits, and Close must still
// wait for the caller. Resize(1) retires one of the two workers, the lent
// one half the time, so several rounds.
func TestCloseWaitsForTheItemsMapsCallerRuns(t *testing.T) {
	for range 16 {
		var caller atomic.Int64
		started := make(chan struct{}, 1)
		gate := make(chan struct{})
		var finished atomic.Bool
		p := pool.New(func(_ context.Context, x int) (int, error) {
			if goid() != caller.Load() {
				return x, nil
			}
			started <- struct{}{}
			<-gate
			finished.Store(true)
			return x, nil
		}, nil, pool.Config{Workers: 2})
		mapped := onCaller(t, p, &caller, started)
		p.Resize(1)
		closed := make(chan struct{})
		go func() {
			p.Close()
			close(closed)
		}()
		select {
		case <-closed:
			close(gate) // let the item and Map return
			t.Fatal("Close returned while Map's caller was running an item")
		case <-time.After(5 * time.Millisecond): // widens the window
		}
		close(gate)
		<-closed
		if !finished.Load() {
			t.Fatal("Close returned before the item Map's caller ran had finished")
		}
		if err := <-mapped; err != nil {
			t.Fatalf("Map = %v", err)
		}
	}
}

// While Map's caller runs items in the stead of a parked worker, that
// worker runs no job: jobs and items together never run on more
// goroutines than the pool has workers, and a job submitted meanwhile
// waits for another worker, or for the caller to be done with the batch.
// The lent worker is the only one here, so the job must wait for the item
// to finish; and it does run once the caller gives the worker back.
func TestMapCallerRunsInTheSteadOfAParkedWorker(t *testing.T) {
	var caller atomic.Int64
	started := make(chan struct{}, 1)
	gate := make(chan struct{})
	var itemDone atomic.Bool
	jobRan := make(chan bool, 1)
	p := pool.New(func(_ context.Context, x int) (int, error) {
		if x == 0 && goid() == caller.Load() {
			started <- struct{}{}
			<-gate
			itemDone.Store(true)
		}
		return x, nil
	}, func(in, _ int, _ error) {
		jobRan <- itemDone.Load()
	}, pool.Config{Workers: 1})
	var release sync.Once
	defer p.Close()
	defer release.Do(func() { close(gate) }) // before Close, if the test fails
	mapped := onCaller(t, p, &caller, started)
	if err := p.Submit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-jobRan:
		t.Fatal("a job ran on the worker lent to Map's caller while the caller ran an item")
	case <-time.After(20 * time.Millisecond): // widens the window
	}
	release.Do(func() { close(gate) })
	if !<-jobRan {
		t.Fatal("the job ran before the item")
	}
	if err := <-mapped; err != nil {
		t.Fatalf("Map = %v", err)
	}
}
