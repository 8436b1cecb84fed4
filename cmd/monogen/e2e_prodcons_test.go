package main

import "testing"

// TestEndToEndProdCons generates a queue, a batcher and a resource pool in a
// module outside the repository and runs their users' tests under -race:
// items pushed by concurrent producers are popped exactly once, rows added
// concurrently are written exactly once, pooled connections are never
// shared.
func TestEndToEndProdCons(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test builds a module and runs go test -race; not in -short mode")
	}
	EndToEnd(t, map[string]string{
		"shop/shop.go": `// Package shop moves orders through a queue, writes them in batches and
// pools its connections.
package shop

import (
	"context"
	"sync"
)

//go:generate go tool monogen

// Order is an item of the queue and the batcher.
type Order struct{ ID int }

// Orders is the order queue.
//
//monogen:queue Orders[Order] size=64
var _ = 0

// Store records the orders written.
var Store struct {
	sync.Mutex
	IDs []int
}

// Writes writes orders in batches of 10 on two workers.
//
//monogen:batcher Writes[Order] size=10 flush=10ms fn=write workers=2
func write(ctx context.Context, orders []Order) error {
	Store.Lock()
	defer Store.Unlock()
	for _, o := range orders {
		Store.IDs = append(Store.IDs, o.ID)
	}
	return nil
}

// Conn is a pooled connection.
type Conn struct{ InUse bool }

// Conns pools up to four connections.
//
//monogen:respool Conns[*Conn] max=4 new=dial
func dial(ctx context.Context) (*Conn, error) { return &Conn{}, nil }
`,
		"shop/shop_test.go": `package shop

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
)

func TestPipeline(t *testing.T) {
	ctx := context.Background()
	q := NewOrders()
	w := NewWrites(nil)
	p := NewConns()
	var inUse atomic.Int32
	done := make(chan error)
	go func() {
		done <- q.FanOut(ctx, 3, func(ctx context.Context, o Order) error {
			c, err := p.Get(ctx)
			if err != nil {
				return err
			}
			if c.InUse || inUse.Add(1) > 4 {
				t.Error("connection shared or too many in use")
			}
			c.InUse = true
			err = w.Add(ctx, o)
			c.InUse = false
			inUse.Add(-1)
			p.Put(c)
			return err
		})
	}()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				if err := q.Push(ctx, Order{g*500 + i}); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	q.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	p.Close()
	sort.Ints(Store.IDs)
	if len(Store.IDs) != 2000 {
		t.Fatalf("%d orders written, want 2000", len(Store.IDs))
	}
	for i, id := range Store.IDs {
		if id != i {
			t.Fatalf("order %d written as %d", i, id)
		}
	}
	if _, err := q.Pop(ctx); err != ErrOrdersClosed {
		t.Fatalf("Pop after Close = %v", err)
	}
}
`,
	}, "shop/shop_monogen.go")
}
