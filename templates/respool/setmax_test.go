package respool_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
)

// waitWaiters spins until p has n Gets waiting at its maximum.
func waitWaiters(p interface{ Waiters() int }, n int) {
	for p.Waiters() != n {
		runtime.Gosched()
	}
}

// TestSetMaxGrowWakesWaiters: a pool at its maximum that grows by two
// wakes two waiting Gets, oldest first, each making a resource; the third
// waits on.
func TestSetMaxGrowWakesWaiters(t *testing.T) {
	ctx := context.Background()
	var f factory
	p := newPool(&f, 1)
	defer p.Close()
	a, _ := p.Get(ctx)
	got := make(chan *resource, 3)
	for i := range 3 {
		go func() {
			r, err := p.Get(ctx)
			if err != nil {
				t.Error(err)
			}
			got <- r
		}()
		waitWaiters(p, i+1)
	}
	p.SetMax(3)
	r1, r2 := <-got, <-got
	if r1 == a || r2 == a || r1 == r2 {
		t.Fatal("the woken Gets did not make a resource each")
	}
	if n := p.Waiters(); n != 1 {
		t.Fatalf("%d Gets wait after growing from 1 to 3 under 3 waiters, want 1", n)
	}
	p.Put(a)
	if r := <-got; r != a {
		t.Fatal("the last waiter did not get the resource put back")
	}
	p.Put(a)
	p.Put(r1)
	p.Put(r2)
}

// TestSetMaxShrinkKeepsResourcesInUse: shrinking below the resources in use
// closes none of them; each put back while more than the maximum exist is
// closed, and the pool ends with the new maximum, idle.
func TestSetMaxShrinkKeepsResourcesInUse(t *testing.T) {
	ctx := context.Background()
	var f factory
	p := newPool(&f, 4)
	defer p.Close()
	var rs []*resource
	for range 4 {
		r, err := p.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	p.Put(rs[3]) // one idle
	p.SetMax(2)
	if n := f.closedN.Load(); n != 1 {
		t.Fatalf("SetMax(2) with 3 in use and 1 idle closed %d, want the idle one", n)
	}
	for _, r := range rs[:3] {
		if r.closed.Load() {
			t.Fatal("SetMax closed a resource in use")
		}
	}
	p.Put(rs[0]) // 3 exist: closed
	if !rs[0].closed.Load() {
		t.Fatal("a resource put back while 3 exist under a maximum of 2 was kept")
	}
	p.Put(rs[1])
	p.Put(rs[2])
	if open, idle := p.Len(); open != 2 || idle != 2 {
		t.Fatalf("Len = %d open, %d idle; want 2, 2", open, idle)
	}
	// Gets wait at the new maximum.
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Get(cctx); err == nil {
		t.Fatal("a third Get under a maximum of 2 did not wait")
	}
	p.Put(a)
	p.Put(b)
}

func TestSetMaxPanicsBelowOne(t *testing.T) {
	var f factory
	p := newPool(&f, 2)
	defer p.Close()
	defer func() {
		if recover() == nil {
			t.Fatal("SetMax(0) did not panic")
		}
	}()
	p.SetMax(0)
}

// TestSetMaxConcurrentWithGetPut changes the maximum while goroutines get
// and put resources: under -race, nothing is closed twice, no more exist
// than the largest maximum, and every Get is served once the maximum ends
// at 4.
func TestSetMaxConcurrentWithGetPut(t *testing.T) {
	ctx := context.Background()
	var f factory
	p := newPool(&f, 4)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				r, err := p.Get(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if open, _ := p.Len(); open > 4 {
					t.Errorf("%d resources exist, more than the largest maximum 4", open)
				}
				p.Put(r)
			}
		}()
	}
	stop, setter := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(setter)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p.SetMax(1 + i%4)
		}
	}()
	// The setter ends on SetMax(4) at the latest after four more calls;
	// the Gets finish whatever it is, as Puts wake them.
	wg.Wait()
	close(stop)
	<-setter
	p.SetMax(4)
	p.Close()
	if made, closed := f.made.Load(), f.closedN.Load(); made != closed {
		t.Fatalf("made %d, closed %d after Close", made, closed)
	}
}
