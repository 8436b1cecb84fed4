package prodcons

import (
	"context"
	"fmt"
	"testing"

	"github.com/monogen/monogen/bench/internal/par"
	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/templates/respool"
)

// poolConn stands for a costly resource. It is the generated package's Conn
// so that the generated pool of *Conn serves the same interface.
type poolConn = generated.Conn

func dialConn(context.Context) (*poolConn, error) { return &poolConn{}, nil }

// resourcePool is what BenchmarkResPool drives. *respool.Pool[*poolConn]
// satisfies it as is; a generated pool of *poolConn will too.
type resourcePool interface {
	Get(ctx context.Context) (*poolConn, error)
	Put(c *poolConn)
	Close()
}

// resPoolImpls are the implementations compared, by impl= name.
var resPoolImpls = []struct {
	name string
	new  func(max int) resourcePool
}{
	{"template", func(max int) resourcePool {
		return respool.New(dialConn, nil, nil, respool.Config{Max: max})
	}},
	{"channel", func(max int) resourcePool { return newChanPool(max) }},
	// generated/prodcons.go: //monogen:respool BenchConns[*Conn] max=16 new=NewConn
	{"generated", func(max int) resourcePool {
		if max != 16 {
			panic("the generated pool has max 16")
		}
		return generated.NewBenchConns()
	}},
}

// chanPool is the resource pool most Go code writes by hand: idle resources
// in a buffered channel, and a semaphore channel bounding how many exist.
type chanPool struct {
	idle chan *poolConn
	sem  chan struct{}
}

func newChanPool(max int) *chanPool {
	return &chanPool{idle: make(chan *poolConn, max), sem: make(chan struct{}, max)}
}

func (p *chanPool) Get(ctx context.Context) (*poolConn, error) {
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	select {
	case c := <-p.idle:
		return c, nil
	case p.sem <- struct{}{}:
		return dialConn(ctx)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *chanPool) Put(c *poolConn) { p.idle <- c }

func (p *chanPool) Close() {}

// BenchmarkResPool measures a Get and a Put of an idle resource from a pool
// of 16, from procs=N goroutines for each N of par.Procs.
func BenchmarkResPool(b *testing.B) {
	ctx := context.Background()
	for _, procs := range par.Procs() {
		for _, impl := range resPoolImpls {
			b.Run(fmt.Sprintf("%s/impl=%s", par.Name(procs), impl.name), func(b *testing.B) {
				p := impl.new(16)
				defer p.Close()
				b.ReportAllocs()
				par.Run(b, procs, func(pb *testing.PB) {
					for pb.Next() {
						c, _ := p.Get(ctx)
						p.Put(c)
					}
				})
			})
		}
	}
}
