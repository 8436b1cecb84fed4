package kinds

import (
	"fmt"
	"strconv"
	"strings"
)

// batcherBenchMany is the most items op=AddMany adds per iteration: a full
// batch, within reason.
const batcherBenchMany = 1024

// benchBatcher emits BenchmarkName for a batcher with fn= bound: the
// generated batcher against the template with the same function, error
// handler and options, on zero-valued items: Add of one item (op=Add, so
// ns/op is the cost per item) and AddMany of a batch (op=AddMany, with
// ns/item). Once every buffer is in flight, Add waits for the workers, so
// in a long run the numbers include the bound function's throughput. The
// batches left when the timed loop ends are handed over by Close, untimed.
func benchBatcher(c *Context) ([]string, error) {
	if err := buildBatcher(c); err != nil {
		return nil, err
	}
	if c.D.Option("fn") == nil {
		return nil, c.NoBenchf("bench=true on a batcher needs fn=: the benchmark runs the bound function")
	}
	t := c.Type("T")
	ctx := c.Scope.Import("context")
	tpl := c.Scope.Import(TemplatePath + "batcher")
	testing := c.Scope.Import("testing")
	cfg := c.Spec.Config
	size, err := strconv.Atoi(cfg["Size"])
	if err != nil {
		return nil, fmt.Errorf("batcher bench: size %q: %v", cfg["Size"], err)
	}
	locals := c.Scope.Func()
	// The template gets the calls the generated hooks make, as func values.
	fn := fmt.Sprintf("func($ctx %s.Context, $items []%s) error {\n%s\n}", ctx, t, hookFunc(c.Spec.Hooks["Batcher.call"], locals, "ctx", "items"))
	onError, genArgs := "nil", "nil"
	if body, ok := c.Spec.Hooks["Batcher.report"]; ok {
		onError = fmt.Sprintf("func($items []%s, $err error) {\n%s\n}", t, hookFunc(body, locals, "items", "err"))
		genArgs = ""
	}
	tplNew := fmt.Sprintf("%s.New(%s, %s, %s)", tpl, fn, onError, configLiteral(tpl, cfg, []string{"Size", "Flush", "Workers", "Retries"}))
	var args []string
	if genArgs != "" {
		args = append(args, genArgs)
	}
	impls := [][2]string{{"generated", newName(c) + "(" + configArgs(c, args...) + ")"}, {"template", tplNew}}
	same := "function, error handler and options"
	if genArgs != "" {
		same = "function and options, and no error handler (Close returns the failed batches)"
	}

	name := upper(c.D.Name)
	var b strings.Builder
	b.WriteString(benchDoc(name, fmt.Sprintf(`Benchmark%[1]s measures %[1]s against the generic template
		it was generated from, %[2]s.Batcher[%[3]s], with the same %[4]s, on
		zero-valued items: Add of one item (op=Add; ns/op is the cost per item) and AddMany of %[5]d
		items (op=AddMany; ns/item is the cost per item). When every batch buffer is in flight, Add
		waits for the workers, so the numbers include the function's time; Close hands over what is
		left after the timed loop:`, name, tpl, t, same, min(size, batcherBenchMany))))
	fmt.Fprintf(&b, `func Benchmark%[1]s($b *%[2]s.B) {
	var $zero %[3]s
	$items := make([]%[3]s, %[4]d)
`, name, testing, t, min(size, batcherBenchMany))
	closeCheck := `if $err := $bt.Close($ctx); $err != nil {
			$b.Fatalf("Close: %v (the benchmark runs the function on zero-valued items)", $err)
		}`
	for _, im := range impls {
		fmt.Fprintf(&b, `	$b.Run("op=Add/impl=%[1]s", func($b *%[2]s.B) {
		$bt := %[3]s
		$ctx := %[4]s.Background()
		$b.ReportAllocs()
		for $b.Loop() {
			if $err := $bt.Add($ctx, $zero); $err != nil {
				$b.Fatalf("Add: %%v", $err)
			}
		}
		%[5]s
	})
`, im[0], testing, im[1], ctx, closeCheck)
	}
	for _, im := range impls {
		fmt.Fprintf(&b, `	$b.Run("op=AddMany/impl=%[1]s", func($b *%[2]s.B) {
		$bt := %[3]s
		$ctx := %[4]s.Background()
		$b.ReportAllocs()
		for $b.Loop() {
			if $n, $err := $bt.AddMany($ctx, $items); $err != nil {
				$b.Fatalf("AddMany: added %%d of %%d: %%v", $n, len($items), $err)
			}
		}
		$b.ReportMetric(float64($b.Elapsed().Nanoseconds())/float64($b.N*len($items)), "ns/item")
		%[5]s
	})
`, im[0], testing, im[1], ctx, closeCheck)
	}
	b.WriteString("}\n")
	return []string{withLocals(b.String(), locals)}, nil
}
