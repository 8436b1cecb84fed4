package kinds

import (
	"fmt"
	"strings"
)

// benchRateLimit emits BenchmarkName for a rate limiter: the generated
// limiter against the template with the same options, on Allow and on
// AllowN of two events. Allow's
// answer depends on the options (a slow rate denies nearly every call); the
// benchmark measures its cost either way and reports the fraction of calls
// admitted as allowed/op.
func benchRateLimit(c *Context) ([]string, error) {
	if err := buildRateLimit(c); err != nil {
		return nil, err
	}
	tpl := c.Scope.Import(TemplatePath + "ratelimit")
	testing := c.Scope.Import("testing")
	cfg := c.Spec.Config
	algo := map[string]string{"0": "TokenBucket", "1": "SlidingWindow"}[cfg["Algorithm"]]
	if algo == "" {
		return nil, fmt.Errorf("ratelimit bench: unknown algorithm %q", cfg["Algorithm"])
	}
	impls := [][2]string{{"generated", newName(c) + "(" + configArgs(c) + ")"}, {"template", tpl + ".New($cfg)"}}

	var b strings.Builder
	fmt.Fprintf(&b, `// Benchmark%[1]s measures %[1]s against the generic template it was
// generated from, %[2]s.Limiter, with the same options, on Allow and on
// AllowN(2), whatever they answer (allowed/op is the fraction of calls
// admitted):
//
//	go test -run '^$' -bench 'Benchmark%[1]s$' -count 6 | go tool benchstat -col /impl -
func Benchmark%[1]s($b *%[3]s.B) {
	$cfg := %[2]s.Config{Algorithm: %[2]s.%[4]s, Interval: %[5]s, Burst: %[6]s, Limit: %[7]s, Window: %[8]s}
`, upper(c.D.Name), tpl, testing, algo, cfg["Interval"], cfg["Burst"], cfg["Limit"], cfg["Window"])
	for _, op := range [][2]string{{"Allow", "Allow()"}, {"AllowN", "AllowN(2)"}} {
		for _, im := range impls {
			fmt.Fprintf(&b, `	$b.Run("op=%[4]s/impl=%[1]s", func($b *%[2]s.B) {
		$l := %[3]s
		$allowed := 0
		$b.ReportAllocs()
		for $b.Loop() {
			if $l.%[5]s {
				$allowed++
			}
		}
		$b.ReportMetric(float64($allowed)/float64($b.N), "allowed/op")
	})
`, im[0], testing, im[1], op[0], op[1])
		}
	}
	b.WriteString("}\n")
	return []string{withLocals(b.String(), c.Scope.Func())}, nil
}
