package kinds

import (
	"fmt"
	"strings"

	"github.com/monogen/monogen/internal/emit"
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
		return nil, c.NoBenchf("bench=true on a breaker needs fn=: the benchmark runs the bound function")
	}
	req, resp := c.Type("Req"), c.Type("Resp")
	ctx := c.Scope.Import("context")
	tpl := c.Scope.Import(TemplatePath + "breaker")
	cfg := c.Spec.Config
	locals := c.Scope.Func()
	// The template gets the calls the generated hooks make, as func values.
	fn := fmt.Sprintf("func($ctx %s.Context, $req %s) (%s, error) {\n%s\n}", ctx, req, resp, hookFunc(c.Spec.Hooks["Breaker.call"], locals, "ctx", "req"))
	fallback := "nil"
	if body, ok := c.Spec.Hooks["Breaker.fallback"]; ok {
		fallback = fmt.Sprintf("func($ctx %s.Context, $req %s, $err error) (%s, error) {\n%s\n}", ctx, req, resp, hookFunc(body, locals, "ctx", "req", "err"))
	}
	tplNew := fmt.Sprintf("%s.New(%s, %s, %s.Config{Failures: %s, Ratio: %s, Cooldown: %s, HalfOpen: %s, Window: %s, Buckets: %s, Slow: %s})",
		tpl, fn, fallback, tpl, cfg["Failures"], cfg["Ratio"], cfg["Cooldown"], cfg["HalfOpen"], cfg["Window"], cfg["Buckets"], cfg["Slow"])
	// failure= and onchange= reach the template through its setters:
	// func() *breaker.Breaker[Req, Resp] { b := breaker.New(...); b.SetFailure(f); return b }()
	var setters []string
	if o := c.D.Option("failure"); o != nil {
		setters = append(setters, fmt.Sprintf("$b.SetFailure(%s)", o.Raw))
	}
	if o := c.D.Option("onchange"); o != nil {
		setters = append(setters, fmt.Sprintf("$b.SetOnChange(func($from, $to %[1]s.State, $counts %[1]s.Counts) { %[2]s(%[3]sState($from), %[3]sState($to), %[3]sCounts($counts)) })",
			tpl, o.Raw, c.D.Name))
	}
	if len(setters) > 0 {
		tplNew = fmt.Sprintf("func() *%s.Breaker[%s, %s] {\n$b := %s\n%s\nreturn $b\n}()", tpl, req, resp, tplNew, strings.Join(setters, "\n"))
	}
	impls := [][2]string{{"generated", newName(c) + "(" + configArgs(c) + ")"}, {"template", tplNew}}

	return []string{executeBenchmark(c, locals, tpl+".Breaker", "function, fallback and options", impls)}, nil
}

// executeBenchmark writes BenchmarkName for a kind whose hot path is
// Execute(ctx, Req) (Resp, error): each implementation in impls (a name and
// the expression that builds it) runs Execute on the zero Req, reporting
// failed/op, the fraction of calls that returned an error. tplType names the
// template type, same what is compared besides the types. The expressions
// in impls may use the benchmark's locals ($ctx) from locals, and the user's
// names, which no local captures.
func executeBenchmark(c *Context, locals *emit.Locals, tplType, same string, impls [][2]string) string {
	req, resp := c.Type("Req"), c.Type("Resp")
	ctx := c.Scope.Import("context")
	testing := c.Scope.Import("testing")
	var b strings.Builder
	b.WriteString(benchDoc(upper(c.D.Name), fmt.Sprintf("Benchmark%[1]s measures %[1]s against the generic template it was generated from, %[2]s[%[3]s, %[4]s], with the same %[5]s, on Execute of a zero-valued request (failed/op is the fraction of calls that returned an error):",
		upper(c.D.Name), tplType, req, resp, same)))
	fmt.Fprintf(&b, "func Benchmark%s($b *%s.B) {\n", upper(c.D.Name), testing)
	for _, im := range impls {
		fmt.Fprintf(&b, `	$b.Run("op=Execute/impl=%[1]s", func($b *%[2]s.B) {
		$x := %[3]s
		$ctx := %[4]s.Background()
		var $req %[5]s
		$failed := 0
		$b.ReportAllocs()
		for $b.Loop() {
			if _, $err := $x.Execute($ctx, $req); $err != nil {
				$failed++
			}
		}
		$b.ReportMetric(float64($failed)/float64($b.N), "failed/op")
	})
`, im[0], testing, im[1], ctx, req)
	}
	b.WriteString("}\n")
	return withLocals(b.String(), locals)
}
