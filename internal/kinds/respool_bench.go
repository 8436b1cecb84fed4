package kinds

import (
	"fmt"
	"strings"
)

// benchResPool emits BenchmarkName for a resource pool with new= bound: the
// generated pool against the template with the same functions and options,
// on a Get and Put of one resource, from one goroutine (op=GetPut: after
// the first Get makes it, the same idle resource goes round) and from
// GOMAXPROCS goroutines (op=GetPutParallel, which waits whenever more
// goroutines than the maximum hold a resource). The numbers are the pool's
// cost, plus the check= function's on every Get of an idle resource.
func benchResPool(c *Context) ([]string, error) {
	if err := buildResPool(c); err != nil {
		return nil, err
	}
	if c.D.Option("new") == nil {
		return nil, c.NoBenchf("bench=true on a respool needs new=: the benchmark runs the bound function")
	}
	t := c.Type("T")
	ctx := c.Scope.Import("context")
	tpl := c.Scope.Import(TemplatePath + "respool")
	testing := c.Scope.Import("testing")
	cfg := c.Spec.Config
	locals := c.Scope.Func()
	// The template gets the calls the generated hooks make, as func values;
	// nil where the directive binds no function, as the template's New takes.
	newFn := fmt.Sprintf("func($ctx %s.Context) (%s, error) {\n%s\n}", ctx, t, hookFunc(c.Spec.Hooks["Pool.create"], locals, "ctx"))
	closeFn, checkFn := "nil", "nil"
	if c.D.Option("close") != nil {
		closeFn = fmt.Sprintf("func($r %s) {\n%s\n}", t, hookFunc(c.Spec.Hooks["Pool.destroy"], locals, "r"))
	}
	if c.D.Option("check") != nil {
		checkFn = fmt.Sprintf("func($r %s) error {\n%s\n}", t, hookFunc(c.Spec.Hooks["Pool.healthy"], locals, "r"))
	}
	tplNew := fmt.Sprintf("%s.New(%s, %s, %s, %s)", tpl, newFn, closeFn, checkFn, configLiteral(tpl, cfg, []string{"Max", "Idle", "MaxLife", "MinIdle", "Metrics"}))
	impls := [][2]string{{"generated", newName(c) + "(" + configArgs(c) + ")"}, {"template", tplNew}}

	name := upper(c.D.Name)
	var b strings.Builder
	b.WriteString(benchDoc(name, fmt.Sprintf(`Benchmark%[1]s measures %[1]s against the generic template
		it was generated from, %[2]s.Pool[%[3]s], with the same functions and options (at most %[4]s
		resources), on a Get and Put of one resource, from one goroutine (op=GetPut) and from all
		(op=GetPutParallel):`, name, tpl, t, cfg["Max"])))
	fmt.Fprintf(&b, "func Benchmark%s($b *%s.B) {\n", name, testing)
	for _, im := range impls {
		fmt.Fprintf(&b, `	$b.Run("op=GetPut/impl=%[1]s", func($b *%[2]s.B) {
		$p := %[3]s
		defer $p.Close()
		$ctx := %[4]s.Background()
		$b.ReportAllocs()
		for $b.Loop() {
			$r, $err := $p.Get($ctx)
			if $err != nil {
				$b.Fatalf("Get: %%v", $err)
			}
			$p.Put($r)
		}
	})
`, im[0], testing, im[1], ctx)
	}
	for _, im := range impls {
		fmt.Fprintf(&b, `	$b.Run("op=GetPutParallel/impl=%[1]s", func($b *%[2]s.B) {
		$p := %[3]s
		defer $p.Close()
		$ctx := %[4]s.Background()
		$b.ReportAllocs()
		$b.RunParallel(func($pb *%[2]s.PB) {
			for $pb.Next() {
				$r, $err := $p.Get($ctx)
				if $err != nil {
					$b.Errorf("Get: %%v", $err)
					return
				}
				$p.Put($r)
			}
		})
	})
`, im[0], testing, im[1], ctx)
	}
	b.WriteString("}\n")
	return []string{withLocals(b.String(), locals)}, nil
}
