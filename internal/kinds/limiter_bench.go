package kinds

import (
	"fmt"
	"strings"

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
	testing := c.Imports.Name("testing")
	cfg := c.Spec.Config
	// The template gets the call the generated hook makes, as a func value.
	fn := fmt.Sprintf("func(ctx %s.Context, req %s) (%s, error) {\n%s\n}", ctx, req, resp, stencil.Unmark(c.Spec.Hooks["Limiter.call"]))
	tplNew := fmt.Sprintf("%s.New(%s, %s.Config{Min: %s, Max: %s, Initial: %s, SampleEvery: %s, Tolerance: %s, Smoothing: %s})",
		tpl, fn, tpl, cfg["Min"], cfg["Max"], cfg["Initial"], cfg["SampleEvery"], cfg["Tolerance"], cfg["Smoothing"])
	impls := [][2]string{{"generated", newName(c) + "()"}, {"template", tplNew}}

	var b strings.Builder
	fmt.Fprintf(&b, `// Benchmark%[1]s measures %[1]s against the generic template it was
// generated from, %[2]s.Limiter[%[3]s, %[4]s], with the same function and
// options, on Execute of a zero-valued request (failed/op is the fraction of
// calls that returned an error):
//
//	go test -run '^$' -bench 'Benchmark%[1]s$' -count 6 | go tool benchstat -col /impl -
func Benchmark%[1]s(b *%[5]s.B) {
`, upper(c.D.Name), tpl, req, resp, testing)
	for _, im := range impls {
		fmt.Fprintf(&b, `	b.Run("op=Execute/impl=%[1]s", func(b *%[2]s.B) {
		l := %[3]s
		ctx := %[4]s.Background()
		var req %[5]s
		failed := 0
		b.ReportAllocs()
		for b.Loop() {
			if _, err := l.Execute(ctx, req); err != nil {
				failed++
			}
		}
		b.ReportMetric(float64(failed)/float64(b.N), "failed/op")
	})
`, im[0], testing, im[1], ctx, req)
	}
	b.WriteString("}\n")
	return []string{b.String()}, nil
}
