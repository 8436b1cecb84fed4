package kinds

import (
	"fmt"
	"strings"

	"github.com/monogen/monogen/internal/stencil"
)

// benchBreaker emits BenchmarkName for a breaker with fn= bound: the
// generated breaker against the template with the same function, fallback
// and options, on Execute of the zero Req. The numbers are the breaker's
// cost around the user's function; if the function fails on that input the
// breaker opens and the benchmark measures rejections (failed/op is the
// fraction of calls that returned an error).
func benchBreaker(c *Context) ([]string, error) {
	if err := buildBreaker(c); err != nil {
		return nil, err
	}
	if c.D.Option("fn") == nil {
		return nil, c.Errorf("bench=true on a breaker needs fn=: the benchmark runs the bound function")
	}
	req, resp := c.Type("Req"), c.Type("Resp")
	ctx := c.Imports.Name("context")
	tpl := c.Imports.Name(TemplatePath + "breaker")
	testing := c.Imports.Name("testing")
	cfg := c.Spec.Config
	// The template gets the calls the generated hooks make, as func values.
	fn := fmt.Sprintf("func(ctx %s.Context, req %s) (%s, error) {\n%s\n}", ctx, req, resp, stencil.Unmark(c.Spec.Hooks["Breaker.call"]))
	fallback := "nil"
	if body, ok := c.Spec.Hooks["Breaker.fallback"]; ok {
		fallback = fmt.Sprintf("func(ctx %s.Context, req %s, err error) (%s, error) {\n%s\n}", ctx, req, resp, stencil.Unmark(body))
	}
	tplNew := fmt.Sprintf("%s.New(%s, %s, %s.Config{Failures: %s, Ratio: %s, Cooldown: %s, HalfOpen: %s, Window: %s, Buckets: %s})",
		tpl, fn, fallback, tpl, cfg["Failures"], cfg["Ratio"], cfg["Cooldown"], cfg["HalfOpen"], cfg["Window"], cfg["Buckets"])
	impls := [][2]string{{"generated", newName(c) + "()"}, {"template", tplNew}}

	var b strings.Builder
	fmt.Fprintf(&b, `// Benchmark%[1]s measures %[1]s against the generic template it was
// generated from, %[2]s.Breaker[%[3]s, %[4]s], with the same function, fallback
// and options, on Execute of a zero-valued request (failed/op is the fraction
// of calls that returned an error):
//
//	go test -run '^$' -bench 'Benchmark%[1]s$' -count 6 | go tool benchstat -col /impl -
func Benchmark%[1]s(b *%[5]s.B) {
`, upper(c.D.Name), tpl, req, resp, testing)
	for _, im := range impls {
		fmt.Fprintf(&b, `	b.Run("op=Execute/impl=%[1]s", func(b *%[2]s.B) {
		br := %[3]s
		ctx := %[4]s.Background()
		var req %[5]s
		failed := 0
		b.ReportAllocs()
		for b.Loop() {
			if _, err := br.Execute(ctx, req); err != nil {
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
