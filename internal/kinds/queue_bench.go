package kinds

import (
	"fmt"
	"strconv"
	"strings"
)

// queueBenchBatch is the most items op=PushManyPopMany moves per iteration:
// enough to show what a batch saves over single items; never more than the
// queue holds, so the push never finds it full.
const queueBenchBatch = 64

// benchQueue emits BenchmarkName for a queue: the generated queue against
// the template of the same capacity and policy, on zero-valued items. Push
// and Pop from one goroutine (op=PushPop) and PushMany and PopMany of a
// batch (op=PushManyPopMany) never find the queue full, so the policy is
// never exercised and nothing blocks; a producer goroutine pushing to a
// consumer goroutine (op=ProducerConsumer) does fill it, and under a policy
// other than block reports the fraction of pushes whose item was dropped or
// refused (lost/op).
func benchQueue(c *Context) ([]string, error) {
	if err := buildQueue(c); err != nil {
		return nil, err
	}
	t := c.Type("T")
	ctx := c.Scope.Import("context")
	tpl := c.Scope.Import(TemplatePath + "queue")
	testing := c.Scope.Import("testing")
	cfg := c.Spec.Config
	size, err := strconv.Atoi(cfg["Size"])
	if err != nil {
		return nil, fmt.Errorf("queue bench: size %q: %v", cfg["Size"], err)
	}
	policy, err := strconv.Atoi(cfg["Policy"])
	if err != nil || policy < 0 || policy >= len(queuePolicies) {
		return nil, fmt.Errorf("queue bench: policy %q", cfg["Policy"])
	}
	policyConst := []string{"Block", "DropNewest", "DropOldest", "Error"}[policy]
	batch := min(queueBenchBatch, size)
	tplNew := fmt.Sprintf("%s.New[%s](%s.Config{Size: %d, Policy: %s.%s})", tpl, t, tpl, size, tpl, policyConst)
	// Under the error policy a refused push is not a failure of the benchmark.
	errFull := map[string]string{"generated": errName(c.D.Name, "Full"), "template": tpl + ".ErrFull"}
	impls := [][2]string{{"generated", newName(c) + "(" + configArgs(c) + ")"}, {"template", tplNew}}

	lost := ""
	if policy != 0 {
		lost = "; lost/op is the fraction of pushes whose item the policy dropped or refused"
	}
	name := upper(c.D.Name)
	var b strings.Builder
	b.WriteString(benchDoc(name, fmt.Sprintf(`Benchmark%[1]s measures %[1]s against the generic template
		it was generated from, %[2]s.Queue[%[3]s], with the same capacity (%[4]d) and policy (%[5]s), on
		zero-valued items: Push and Pop from one goroutine (op=PushPop), PushMany and PopMany of %[6]d
		items (op=PushManyPopMany; ns/item is the cost per item) and a producer goroutine pushing to a
		consumer goroutine (op=ProducerConsumer%[7]s):`, name, tpl, t, size, queuePolicies[policy], batch, lost)))
	fmt.Fprintf(&b, `func Benchmark%[1]s($b *%[2]s.B) {
	var $zero %[3]s
	$items := make([]%[3]s, %[4]d)
`, name, testing, t, batch)
	for _, im := range impls {
		fmt.Fprintf(&b, `	$b.Run("op=PushPop/impl=%[1]s", func($b *%[2]s.B) {
		$q := %[3]s
		$ctx := %[4]s.Background()
		$b.ReportAllocs()
		for $b.Loop() {
			if $err := $q.Push($ctx, $zero); $err != nil {
				$b.Fatalf("Push: %%v", $err)
			}
			if _, $err := $q.Pop($ctx); $err != nil {
				$b.Fatalf("Pop: %%v", $err)
			}
		}
	})
`, im[0], testing, im[1], ctx)
	}
	for _, im := range impls {
		fmt.Fprintf(&b, `	$b.Run("op=PushManyPopMany/impl=%[1]s", func($b *%[2]s.B) {
		$buf := make([]%[5]s, len($items))
		$q := %[3]s
		$ctx := %[4]s.Background()
		$b.ReportAllocs()
		for $b.Loop() {
			if $n, $err := $q.PushMany($ctx, $items); $err != nil || $n != len($items) {
				$b.Fatalf("PushMany: pushed %%d of %%d: %%v", $n, len($items), $err)
			}
			for $popped := 0; $popped < len($items); {
				$n, $err := $q.PopMany($ctx, $buf)
				if $err != nil {
					$b.Fatalf("PopMany: %%v", $err)
				}
				$popped += $n
			}
		}
		$b.ReportMetric(float64($b.Elapsed().Nanoseconds())/float64($b.N*len($items)), "ns/item")
	})
`, im[0], testing, im[1], ctx, t)
	}
	for _, im := range impls {
		pushErr := "$err != nil"
		if policy == 3 {
			pushErr = "$err != nil && $err != " + errFull[im[0]]
		}
		check := `if $n := <-$popped; $n != $b.N {
			$b.Fatalf("popped %d of %d items", $n, $b.N)
		}`
		if policy != 0 {
			check = `$b.ReportMetric(float64($b.N-<-$popped)/float64($b.N), "lost/op")`
		}
		fmt.Fprintf(&b, `	$b.Run("op=ProducerConsumer/impl=%[1]s", func($b *%[2]s.B) {
		$q := %[3]s
		defer $q.Close() // on failure, lets the consumer finish
		$ctx := %[4]s.Background()
		$popped := make(chan int, 1)
		go func() {
			$n := 0
			for {
				if _, $err := $q.Pop($ctx); $err != nil {
					$popped <- $n // closed and drained
					return
				}
				$n++
			}
		}()
		$b.ReportAllocs()
		for $b.Loop() {
			if $err := $q.Push($ctx, $zero); %[5]s {
				$b.Fatalf("Push: %%v", $err)
			}
		}
		$q.Close()
		%[6]s
	})
`, im[0], testing, im[1], ctx, pushErr, check)
	}
	b.WriteString("}\n")
	return []string{withLocals(b.String(), c.Scope.Func())}, nil
}
