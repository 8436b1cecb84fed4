package main

import (
	"strings"
	"testing"
)

// TestEndToEndBenchBounded generates benchmarks (bench=true) of the
// semaphore, ratelimit, breaker and limiter kinds in a scratch module and
// runs each for one iteration.
func TestEndToEndBenchBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module; not in -short mode")
	}
	dir := EndToEnd(t, map[string]string{
		"guard/guard.go": `// Package guard is a user package with benchmarks of its bounds.
package guard

import (
	"context"
	"errors"
)

//go:generate go tool monogen

// Request and Response are the backend's types.
type (
	Request  struct{ ID int }
	Response struct{ Value int }
)

var errDown = errors.New("backend down")

func call(_ context.Context, r Request) (Response, error) { return Response{Value: r.ID}, nil }

// down fails on every call: its breaker opens.
func down(r Request) (Response, error) { return Response{}, errDown }

func stale(_ context.Context, _ Request, _ error) (Response, error) { return Response{Value: -1}, nil }

// b is named like the benchmarks' *testing.B, which must step aside.
func b(r Request) (Response, error) { return Response{Value: 2 * r.ID}, nil }

// notDown is Policy's failure policy; changed its state-change function.
func notDown(err error) bool { return !errors.Is(err, errDown) }

func changed(from, to PolicyState, counts PolicyCounts) {}

//monogen:semaphore Slots n=4 bench=true
//monogen:ratelimit Rate algo=token rate=1000000000/s burst=1000000 bench=true
//monogen:ratelimit quota limit=1000 window=1h bench=true
//monogen:breaker Guard[Request, Response] fn=call failures=3 ratio=0.5 cooldown=1m fallback=stale bench=true
//monogen:breaker tripped[Request, Response] fn=down bench=true
//monogen:breaker Policy[Request, Response] fn=down failure=notDown slow=1h onchange=changed bench=true
//monogen:limiter Limit[Request, Response] fn=call min=2 max=64 bench=true
//monogen:limiter Doubler[Request, Response] fn=b bench=true
//monogen:semaphore ConfSlots n=4 config=true bench=true
//monogen:ratelimit ConfRate algo=token rate=1000000000/s burst=1000000 config=true bench=true
//monogen:breaker ConfGuard[Request, Response] fn=call config=true bench=true
//monogen:limiter ConfLimit[Request, Response] fn=call min=2 max=64 config=true bench=true
var _ = 0
`,
	}, "guard/guard_monogen.go", "guard/guard_monogen_bench_test.go")
	out := goIn(t, dir, "test", "-run", "^$", "-bench", ".", "-benchtime", "1x", "./guard")
	for _, want := range []string{
		"BenchmarkSlots/op=AcquireRelease/impl=generated", "BenchmarkSlots/op=AcquireRelease/impl=template",
		"BenchmarkSlots/op=AcquireReleaseParallel/impl=generated", "BenchmarkSlots/op=AcquireReleaseParallel/impl=template",
		"BenchmarkRate/op=Allow/impl=generated", "BenchmarkRate/op=Allow/impl=template",
		"BenchmarkQuota/op=Allow/impl=generated", "BenchmarkQuota/op=Allow/impl=template",
		"BenchmarkRate/op=AllowN/impl=generated", "BenchmarkQuota/op=AllowN/impl=template",
		"BenchmarkGuard/op=Execute/impl=generated", "BenchmarkGuard/op=Execute/impl=template",
		"BenchmarkTripped/op=Execute/impl=generated", "BenchmarkTripped/op=Execute/impl=template",
		"BenchmarkPolicy/op=Execute/impl=generated", "BenchmarkPolicy/op=Execute/impl=template",
		"BenchmarkLimit/op=Execute/impl=generated", "BenchmarkLimit/op=Execute/impl=template",
		"BenchmarkDoubler/op=Execute/impl=generated", "BenchmarkDoubler/op=Execute/impl=template",
		// config=true: the generated side built with the zero config.
		"BenchmarkConfSlots/op=AcquireRelease/impl=generated", "BenchmarkConfRate/op=Allow/impl=generated",
		"BenchmarkConfGuard/op=Execute/impl=generated", "BenchmarkConfLimit/op=Execute/impl=generated",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("benchmark output lacks %s:\n%s", want, out)
		}
	}
}
