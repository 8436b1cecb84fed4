package kinds

import (
	"fmt"
	"strings"
)

// benchSemaphore emits BenchmarkName for a semaphore: the generated
// semaphore against the template of the same capacity, on an Acquire and
// Release of one unit, from one goroutine (op=AcquireRelease) and from
// GOMAXPROCS goroutines (op=AcquireReleaseParallel, which waits whenever
// more goroutines than the capacity hold a unit).
func benchSemaphore(c *Context) ([]string, error) {
	if err := buildSemaphore(c); err != nil {
		return nil, err
	}
	ctx := c.Scope.Import("context")
	tpl := c.Scope.Import(TemplatePath + "semaphore")
	testing := c.Scope.Import("testing")
	n := c.Spec.Config["N"]
	if o := c.D.Option("n"); o == nil {
		return nil, c.NoBenchf("bench=true needs n= to give the template its capacity")
	}
	impls := [][2]string{{"generated", newName(c) + "(" + configArgs(c) + ")"}, {"template", tpl + ".New(" + n + ")"}}

	var b strings.Builder
	fmt.Fprintf(&b, `// Benchmark%[1]s measures %[1]s against the generic template it was
// generated from, %[2]s.Semaphore, with the same capacity (%[3]s), on an
// Acquire and Release of one unit:
//
//	go test -run '^$' -bench 'Benchmark%[1]s$' -count 6 | go tool benchstat -col /impl -
func Benchmark%[1]s($b *%[4]s.B) {
`, upper(c.D.Name), tpl, n, testing)
	for _, im := range impls {
		fmt.Fprintf(&b, `	$b.Run("op=AcquireRelease/impl=%[1]s", func($b *%[2]s.B) {
		$s := %[3]s
		$ctx := %[4]s.Background()
		$b.ReportAllocs()
		for $b.Loop() {
			if $err := $s.Acquire($ctx); $err != nil {
				$b.Fatalf("Acquire: %%v", $err)
			}
			$s.Release()
		}
	})
`, im[0], testing, im[1], ctx)
	}
	for _, im := range impls {
		fmt.Fprintf(&b, `	$b.Run("op=AcquireReleaseParallel/impl=%[1]s", func($b *%[2]s.B) {
		$s := %[3]s
		$ctx := %[4]s.Background()
		$b.ReportAllocs()
		$b.RunParallel(func($pb *%[2]s.PB) {
			for $pb.Next() {
				if $err := $s.Acquire($ctx); $err != nil {
					$b.Errorf("Acquire: %%v", $err)
					return
				}
				$s.Release()
			}
		})
	})
`, im[0], testing, im[1], ctx)
	}
	b.WriteString("}\n")
	return []string{withLocals(b.String(), c.Scope.Func())}, nil
}
