package kinds

import (
	"fmt"
)

// benchLimiter emits BenchmarkName for a limiter with fn= bound: the
// generated limiter against the template with the same function and
// options, on Execute of the zero Req from one goroutine (one call in
// flight, never limited). The numbers are the limiter's cost around the
// user's function; failed/op is the fraction of calls that returned an
// error.
func benchLimiter(c *Context) ([]string, error) {
	if err := buildLimiter(c); err != nil {
		return nil, err
	}
	if c.D.Option("fn") == nil {
		return nil, c.NoBenchf("bench=true on a limiter needs fn=: the benchmark runs the bound function")
	}
	req, resp := c.Type("Req"), c.Type("Resp")
	ctx := c.Scope.Import("context")
	tpl := c.Scope.Import(TemplatePath + "limiter")
	cfg := c.Spec.Config
	locals := c.Scope.Func()
	// The template gets the call the generated hook makes, as a func value.
	fn := fmt.Sprintf("func($ctx %s.Context, $req %s) (%s, error) {\n%s\n}", ctx, req, resp, hookFunc(c.Spec.Hooks["Limiter.call"], locals, "ctx", "req"))
	tplNew := fmt.Sprintf("%s.New(%s, %s.Config{Min: %s, Max: %s, Initial: %s, SampleEvery: %s, Tolerance: %s, Smoothing: %s})",
		tpl, fn, tpl, cfg["Min"], cfg["Max"], cfg["Initial"], cfg["SampleEvery"], cfg["Tolerance"], cfg["Smoothing"])
	impls := [][2]string{{"generated", newName(c) + "(" + configArgs(c) + ")"}, {"template", tplNew}}

	return []string{executeBenchmark(c, locals, tpl+".Limiter", "function and options", impls)}, nil
}
