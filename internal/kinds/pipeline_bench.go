package kinds

import (
	"fmt"
	"maps"
	"strings"

	"github.com/monogen/monogen/internal/stencil"
)

// pipelineBenchItems is the number of items each benchmark iteration runs
// through the pipeline: a few batches per worker at the default batch size,
// so that starting and ending a run is amortised.
const pipelineBenchItems = 1024

// pipelineConfigOrder is the order of the template's Config fields, in which
// the benchmark writes them.
var pipelineConfigOrder = []string{"Workers", "Buffer", "Batch", "Ordered", "Collect", "Retries", "Backoff", "Metrics", "Rate", "NoFuse"}

// benchPipeline emits BenchmarkName for a pipeline whose stages are all
// bound to functions: the generated pipeline against the template
// pipeline built with From and Then of the template's stages, with the same
// functions and options, on RunSlice of a batch of zero-valued items
// (ns/item is the cost per item). The numbers are the pipeline's cost around
// the user's functions, run on that input.
func benchPipeline(c *Context) ([]string, error) {
	if err := buildPipeline(c); err != nil {
		return nil, err
	}
	specs := append([]*stencil.Spec{c.Spec}, c.More...)
	names := make([]string, len(specs))
	for i := range names {
		names[i] = fmt.Sprintf("stage%d", i+1)
	}
	if o := c.D.Option("stages"); o != nil {
		copy(names, o.Value.([]string))
	}
	var unbound []string
	for i, spec := range specs {
		if !spec.Conds["boundFn"] {
			unbound = append(unbound, names[i])
		}
	}
	switch len(unbound) {
	case 0:
	case 1:
		return nil, c.NoBenchf("bench=true on a pipeline needs every stage bound: the benchmark runs the bound functions; stage %s has no package-level function of its name", unbound[0])
	default:
		return nil, c.NoBenchf("bench=true on a pipeline needs every stage bound: the benchmark runs the bound functions; stages %s and %s have no package-level function of their name",
			strings.Join(unbound[:len(unbound)-1], ", "), unbound[len(unbound)-1])
	}

	ctx := c.Scope.Import("context")
	tpl := c.Scope.Import(TemplatePath + "pipeline")
	testing := c.Scope.Import("testing")
	first, last := specs[0].Types["In"], specs[len(specs)-1].Types["Out"]

	// rate=: each side paces its first stage with its own limiter of the
	// named ratelimit directive (a shared one would couple the runs).
	rateNew, paced := "", ""
	if o := c.D.Option("rate"); o != nil {
		if lim, ok := o.Value.(string); ok {
			rateNew = stencil.Rename("New", "", lim) + "()"
			paced = fmt.Sprintf(" (the first stage waiting for %s %s limiter before every call, as rate=%s asks: with a slow rate, the numbers are the rate's)", article(lim), lim, lim)
		}
	}

	// The template pipeline: From the first stage, Then each other one. Each
	// stage gets the call the generated hook makes, as a func value.
	locals := c.Scope.Func()
	var tplNew string
	for i, spec := range specs {
		cfg := maps.Clone(spec.Config)
		if spec.Conds["rate"] && rateNew != "" {
			cfg["Rate"] = rateNew
		}
		stage := fmt.Sprintf("%s.NewStage(%q, func($ctx %s.Context, $in %s) (%s, error) {\n%s\n}, %s)",
			tpl, names[i], ctx, spec.Types["In"], spec.Types["Out"], hookFunc(spec.Hooks["Stage.call"], locals, "ctx", "in"),
			configLiteral(tpl, cfg, pipelineConfigOrder))
		if i == 0 {
			tplNew = fmt.Sprintf("%s.From(\n%s,\n)", tpl, stage)
		} else {
			tplNew = fmt.Sprintf("%s.Then(\n%s,\n%s,\n)", tpl, tplNew, stage)
		}
	}
	impls := [][2]string{{"generated", newName(c) + "(" + rateNew + ")"}, {"template", tplNew}}

	name := upper(c.D.Name)
	var b strings.Builder
	b.WriteString(benchDoc(name, fmt.Sprintf(`Benchmark%[1]s measures %[1]s against the generic template
		it was generated from, a %[2]s.Pipeline[%[3]s, %[4]s] of %[5]d stages, with the same functions
		and options%[7]s, on RunSlice of %[6]d zero-valued items (ns/item is the cost per item):`,
		name, tpl, first, last, len(specs), pipelineBenchItems, paced)))
	fmt.Fprintf(&b, `func Benchmark%[1]s($b *%[2]s.B) {
	$items := make([]%[3]s, %[4]d)
`, name, testing, first, pipelineBenchItems)
	for _, im := range impls {
		fmt.Fprintf(&b, `	$b.Run("op=RunSlice/impl=%[1]s", func($b *%[2]s.B) {
		$p := %[3]s
		$ctx := %[4]s.Background()
		$b.ReportAllocs()
		for $b.Loop() {
			if _, $err := $p.RunSlice($ctx, $items); $err != nil {
				$b.Fatalf("RunSlice: %%v (the benchmark runs the stages on zero-valued items)", $err)
			}
		}
		$b.ReportMetric(float64($b.Elapsed().Nanoseconds())/float64($b.N*len($items)), "ns/item")
	})
`, im[0], testing, im[1], ctx)
	}
	b.WriteString("}\n")
	return []string{withLocals(b.String(), locals)}, nil
}
