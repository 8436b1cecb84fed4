package kinds

import (
	"fmt"

	"github.com/monogen/monogen/internal/stencil"
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
		return nil, c.Errorf("bench=true on a limiter needs fn=: the benchmark runs the bound function")
	}
	req, resp := c.Type("Req"), c.Type("Resp")
	ctx := c.Imports.Name("context")
	tpl := c.Imports.Name(TemplatePath + "limiter")
	cfg := c.Spec.Config
	// The template gets the call the generated hook makes, as a func value.
	fn := fmt.Sprintf("func(ctx %s.Context, req %s) (%s, error) {\n%s\n}", ctx, req, resp, stencil.Unmark(c.Spec.Hooks["Limiter.call"]))
	tplNew := fmt.Sprintf("%s.New(%s, %s.Config{Min: %s, Max: %s, Initial: %s, SampleEvery: %s, Tolerance: %s, Smoothing: %s})",
		tpl, fn, tpl, cfg["Min"], cfg["Max"], cfg["Initial"], cfg["SampleEvery"], cfg["Tolerance"], cfg["Smoothing"])
	impls := [][2]string{{"generated", newName(c) + "()"}, {"template", tplNew}}

	return []string{executeBenchmark(c, tpl+".Limiter", "function and options", impls)}, nil
}
