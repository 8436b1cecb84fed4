package main

import (
	"strings"
	"testing"
)

// TestEndToEndBenchProdCons generates benchmarks (bench=true) of the queue,
// batcher, respool and pipeline kinds in a scratch module and runs each for
// one iteration: every queue policy, a batcher with and without an error
// handler, a resource pool with every function bound and an idle timeout,
// and pipelines of bound stages in each accepted function form, with
// retries and a backoff.
func TestEndToEndBenchProdCons(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module; not in -short mode")
	}
	dir := EndToEnd(t, map[string]string{
		"shop/shop.go": `// Package shop is a user package with benchmarks of its producers and
// consumers.
package shop

import (
	"context"
	"strconv"
)

//go:generate go tool monogen

// Order is an item of the queues, the batcher and the pipeline.
type Order struct {
	ID    int
	Items []string
}

//monogen:queue Orders[Order] size=64 bench=true
//monogen:queue latest[*Order] size=2 policy=drop-oldest bench=true
//monogen:queue newest[int] size=4 policy=drop-newest bench=true
//monogen:queue strict[Order] size=8 policy=error bench=true
//monogen:queue confOrders[Order] size=64 config=true bench=true
var _ = 0

func write(ctx context.Context, orders []Order) error { return nil }

func count(orders []Order) error { return nil }

func failed(orders []Order, err error) {}

//monogen:batcher Writes[Order] size=10 flush=10ms fn=write workers=2 bench=true
//monogen:batcher counts[Order] size=3 fn=count onerror=failed retries=1 bench=true
//monogen:batcher confWrites[Order] size=10 fn=write config=true bench=true
var _ = 0

// Conn is a pooled connection.
type Conn struct{ open bool }

func dial(ctx context.Context) (*Conn, error) { return &Conn{open: true}, nil }

func closeConn(c *Conn) error { c.open = false; return nil }

func ping(c *Conn) error { return nil }

//monogen:respool Conns[*Conn] max=4 new=dial close=closeConn check=ping idle=1m maxlife=1h minidle=1 metrics=true bench=true
//monogen:respool confConns[*Conn] max=4 new=dial config=true bench=true
var _ = 0

func price(ctx context.Context, o Order) (int, error) { return o.ID * 100, nil }

func tax(cents int) (int64, error) { return int64(cents) * 6 / 5, nil }

func format(x int64) string { return strconv.FormatInt(x, 10) }

func label(ctx context.Context, s string) []byte { return []byte(s) }

//monogen:pipeline Invoice[Order, int, int64, string, []byte] stages=price,tax,format,label workers=2,1,2,1 batch=16 bench=true
//monogen:pipeline sums[Order, int, int64] stages=price,tax ordered=true errors=collect retries=2 backoff=1ms bench=true
var _ = 0
`,
	}, "shop/shop_monogen.go", "shop/shop_monogen_bench_test.go")
	out := goIn(t, dir, "test", "-run", "^$", "-bench", ".", "-benchtime", "1x", "./shop")
	for _, want := range []string{
		"BenchmarkOrders/op=PushPop/impl=generated", "BenchmarkOrders/op=PushPop/impl=template",
		"BenchmarkOrders/op=PushManyPopMany/impl=generated", "BenchmarkOrders/op=PushManyPopMany/impl=template",
		"BenchmarkOrders/op=ProducerConsumer/impl=generated", "BenchmarkOrders/op=ProducerConsumer/impl=template",
		"BenchmarkLatest/op=ProducerConsumer/impl=generated", "BenchmarkNewest/op=ProducerConsumer/impl=template",
		"BenchmarkStrict/op=ProducerConsumer/impl=generated", "BenchmarkStrict/op=ProducerConsumer/impl=template",
		"BenchmarkWrites/op=Add/impl=generated", "BenchmarkWrites/op=Add/impl=template",
		"BenchmarkWrites/op=AddMany/impl=generated", "BenchmarkWrites/op=AddMany/impl=template",
		"BenchmarkCounts/op=Add/impl=generated", "BenchmarkCounts/op=AddMany/impl=template",
		"BenchmarkConns/op=GetPut/impl=generated", "BenchmarkConns/op=GetPut/impl=template",
		"BenchmarkConns/op=GetPutParallel/impl=generated", "BenchmarkConns/op=GetPutParallel/impl=template",
		// config=true: the generated side built with the zero config.
		"BenchmarkConfOrders/op=PushPop/impl=generated", "BenchmarkConfWrites/op=Add/impl=generated",
		"BenchmarkConfConns/op=GetPut/impl=generated",
		"BenchmarkInvoice/op=RunSlice/impl=generated", "BenchmarkInvoice/op=RunSlice/impl=template",
		"BenchmarkSums/op=RunSlice/impl=generated", "BenchmarkSums/op=RunSlice/impl=template",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("benchmark output lacks %s:\n%s", want, out)
		}
	}
	for _, want := range []string{"ns/item", "lost/op"} {
		if !strings.Contains(out, want) {
			t.Errorf("benchmark output lacks the metric %s:\n%s", want, out)
		}
	}
}
