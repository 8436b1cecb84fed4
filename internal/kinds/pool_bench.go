package kinds

import (
	"fmt"
	"strings"

	"github.com/monogen/monogen/internal/stencil"
)

// poolBenchJobs is the batch each benchmark iteration runs: large enough to
// amortise the start of a Map, small enough to keep setup negligible.
const poolBenchJobs = 1024

// benchPool emits BenchmarkName for a pool with fn= bound: the generated
// pool against the template instantiated with the same types, the same
// function and the same options, on Map (the batch path) and, when the
// result handler is not bound, on Submit. Jobs are the zero In: the numbers
// are the pool's cost around the user's function, run on that input.
func benchPool(c *Context) ([]string, error) {
	if err := buildPool(c); err != nil {
		return nil, err
	}
	fnOpt := c.D.Option("fn")
	if fnOpt == nil {
		return nil, c.NoBenchf("bench=true on a pool needs fn=: the benchmark runs the bound function")
	}
	_, hasOut := c.Types["Out"]
	in, out := c.Type("In"), "struct{}"
	if hasOut {
		out = c.Type("Out")
	}
	// The benchmark's locals: none captures the user's names it refers to.
	locals := c.Scope.Func()
	// The template gets the same call the generated hook makes, as a func value.
	call := hookFunc(c.Spec.Hooks["Pool.call"], locals, "ctx", "in")
	ctx := c.Scope.Import("context")
	tpl := c.Scope.Import(TemplatePath + "pool")
	testing := c.Scope.Import("testing")
	sync := c.Scope.Import("sync")
	cfg := c.Spec.Config
	name, ctor := c.D.Name, newName(c)
	resultBound := c.D.Option("result") != nil

	// Arguments of the generated constructor with fn= bound: the result
	// handler, unless result= binds it too.
	genNil, genDone := "nil", ""
	if !resultBound {
		genDone = fmt.Sprintf("func(%s, %s, error) { $wg.Done() }", in, out)
		if !hasOut {
			genDone = fmt.Sprintf("func(%s, error) { $wg.Done() }", in)
		}
	} else {
		genNil = ""
	}
	// rate=: each pool, generated or template, gets a limiter of its own,
	// so that the two measure the same pacing.
	tplCfg := "$cfg"
	if o := c.D.Option("rate"); o != nil {
		newRate := stencil.Rename("New", "Limiter", o.Value.(string)) + "()"
		genNil = strings.TrimPrefix(genNil+", "+newRate, ", ")
		genDone = strings.TrimPrefix(genDone+", "+newRate, ", ")
		tplCfg = fmt.Sprintf("func() %s.Config {\n\t\t$c := $cfg\n\t\t$c.Rate = %s\n\t\treturn $c\n\t}", tpl, newRate)
	}
	// config=true: the generated pool takes the zero config last.
	if c.Spec.Conds["config"] {
		genNil = configArgs(c, strings.Split(genNil, ", ")...)
		genDone = configArgs(c, strings.Split(genDone, ", ")...)
		genNil, genDone = strings.TrimPrefix(genNil, ", "), strings.TrimPrefix(genDone, ", ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, `// Benchmark%[1]s measures %[1]s against the generic template it was
// generated from, %[2]s.Pool[%[3]s, %[4]s], with the same function and options, on
// batches of %[5]d zero-valued jobs (ns/job is the cost per job):
//
//	go test -run '^$' -bench 'Benchmark%[1]s$' -count 6 | go tool benchstat -col /impl -
func Benchmark%[1]s($b *%[6]s.B) {
	$ins := make([]%[3]s, %[5]d)
	$cfg := %[2]s.Config{Workers: %[7]s, Queue: %[8]s, Retries: %[9]s, Backoff: %[10]s, Timeout: %[11]s, Metrics: %[12]s}
	$fn := func($ctx %[13]s.Context, $in %[3]s) (%[4]s, error) {
		%[14]s
	}
	$perJob := func($b *%[6]s.B) {
		$b.ReportMetric(float64($b.Elapsed().Nanoseconds())/float64($b.N*len($ins)), "ns/job")
	}
	$b.Run("op=Map/impl=generated", func($b *%[6]s.B) {
		$p := %[15]s(%[16]s)
		defer $p.Close()
		$b.ReportAllocs()
		for $b.Loop() {
			if _, $err := $p.Map(%[13]s.Background(), $ins); $err != nil {
				$b.Fatalf("Map: %%v (the benchmark runs the function on zero-valued jobs)", $err)
			}
		}
		$perJob($b)
	})
	$b.Run("op=Map/impl=template", func($b *%[6]s.B) {
		$p := %[2]s.New($fn, nil, $cfg)
		defer $p.Close()
		$b.ReportAllocs()
		for $b.Loop() {
			if _, $err := $p.Map(%[13]s.Background(), $ins); $err != nil {
				$b.Fatalf("Map: %%v (the benchmark runs the function on zero-valued jobs)", $err)
			}
		}
		$perJob($b)
	})
`, upper(name), tpl, in, out, poolBenchJobs, testing,
		cfg["Workers"], cfg["Queue"], cfg["Retries"], cfg["Backoff"], cfg["Timeout"], cfg["Metrics"],
		ctx, call, ctor, genNil)
	if !resultBound {
		fmt.Fprintf(&b, `	for _, $impl := range []string{"generated", "template"} {
		$b.Run("op=Submit/impl="+$impl, func($b *%[1]s.B) {
			var $wg %[2]s.WaitGroup
			var $p interface {
				Submit(%[3]s.Context, %[4]s) error
				Close()
			}
			if $impl == "generated" {
				$p = %[5]s(%[6]s)
			} else {
				$p = %[7]s.New($fn, func(%[4]s, %[8]s, error) { $wg.Done() }, $cfg)
			}
			defer $p.Close()
			$ctx := %[3]s.Background()
			$b.ReportAllocs()
			for $b.Loop() {
				$wg.Add(len($ins))
				for _, $in := range $ins {
					if $err := $p.Submit($ctx, $in); $err != nil {
						$b.Fatalf("Submit: %%v", $err)
					}
				}
				$wg.Wait()
			}
			$perJob($b)
		})
	}
`, testing, sync, ctx, in, ctor, genDone, tpl, out)
	}
	b.WriteString("}\n")
	src := b.String()
	if tplCfg != "$cfg" {
		// paced returns the template's Config with a limiter of its own.
		src = strings.Replace(src, "\t$fn := func(", "\t$paced := "+tplCfg+"\n\t$fn := func(", 1)
		src = strings.ReplaceAll(src, ", $cfg)", ", $paced())")
	}
	return []string{withLocals(src, locals)}, nil
}
