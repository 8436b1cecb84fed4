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

	return []string{executeBenchmark(c, tpl+".Breaker", "function, fallback and options", impls)}, nil
}

// executeBenchmark writes BenchmarkName for a kind whose hot path is
// Execute(ctx, Req) (Resp, error): each implementation in impls (a name and
// the expression that builds it) runs Execute on the zero Req, reporting
// failed/op, the fraction of calls that returned an error. tplType names the
// template type, same what is compared besides the types. The benchmark's
// locals step aside from the package's names, which the expressions in impls
// may use.
func executeBenchmark(c *Context, tplType, same string, impls [][2]string) string {
	req, resp := c.Type("Req"), c.Type("Resp")
	ctx := c.Imports.Name("context")
	testing := c.Imports.Name("testing")
	bl, x, ctxl, reql, failed := benchLocal(c, "b"), benchLocal(c, "x"), benchLocal(c, "ctx"), benchLocal(c, "req"), benchLocal(c, "failed")
	var b strings.Builder
	b.WriteString(benchDoc(upper(c.D.Name), fmt.Sprintf("Benchmark%[1]s measures %[1]s against the generic template it was generated from, %[2]s[%[3]s, %[4]s], with the same %[5]s, on Execute of a zero-valued request (failed/op is the fraction of calls that returned an error):",
		upper(c.D.Name), tplType, req, resp, same)))
	fmt.Fprintf(&b, "func Benchmark%s(%s *%s.B) {\n", upper(c.D.Name), bl, testing)
	for _, im := range impls {
		fmt.Fprintf(&b, `	%[6]s.Run("op=Execute/impl=%[1]s", func(%[6]s *%[2]s.B) {
		%[7]s := %[3]s
		%[8]s := %[4]s.Background()
		var %[9]s %[5]s
		%[10]s := 0
		%[6]s.ReportAllocs()
		for %[6]s.Loop() {
			if _, err := %[7]s.Execute(%[8]s, %[9]s); err != nil {
				%[10]s++
			}
		}
		%[6]s.ReportMetric(float64(%[10]s)/float64(%[6]s.N), "failed/op")
	})
`, im[0], testing, im[1], ctx, req, bl, x, ctxl, reql, failed)
	}
	b.WriteString("}\n")
	return b.String()
}
