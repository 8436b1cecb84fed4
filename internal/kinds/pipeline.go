package kinds

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"
	"sync"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/model"
	"github.com/monogen/monogen/internal/stencil"
	"github.com/monogen/monogen/templates"
)

// pipelineMaxTypes is the most type arguments a pipeline takes: 8 stages.
const pipelineMaxTypes = 9

// //monogen:pipeline Name[T0, T1, ..., Tn] stages=a,b,c workers=1,4,2 buffer=N batch=N ordered=B errors=stop|collect retries=N backoff=D metrics=B rate=R fuse=B onfail=f onskip=g
func init() {
	params := make([]string, pipelineMaxTypes)
	for i := range params {
		params[i] = fmt.Sprintf("T%d", i)
	}
	Register(&Kind{
		Name:     "pipeline",
		Template: "pipeline",
		Main:     "Stage",
		Params:   params,
		MinArgs:  2,
		Doc:      "typed multi-stage pipeline: Name[T0, T1, ..., Tn] stages=a,b,c workers=1,4,2 buffer=N batch=N ordered=B errors=stop|collect retries=N backoff=D metrics=B rate=Limiter fuse=B onfail=f onskip=g",
		Options: []OptionSpec{
			{Key: "stages", Type: IdentList, Doc: "stage names, one per stage (default stage1,...,stagen); a package-level function by a stage's name is called directly"},
			{Key: "workers", Type: IntList, Min: 1, Doc: "goroutines per stage, one number per stage (default 1 each)"},
			{Key: "buffer", Type: Int, Min: 1, Max: 1 << 24, Doc: "items held between two stages, 1 to 16777216 (default 256)"},
			{Key: "batch", Type: Int, Min: 1, Max: 1 << 16, Doc: "most items per channel send, 1 (latency mode) to 65536 (default 64)"},
			{Key: "ordered", Type: Bool, Doc: "deliver outputs in input order (default false)"},
			{Key: "errors", Type: Enum, Enum: []string{"stop", "collect"}, Doc: "stop: the first failure cancels the run; collect: failed items are reported and the others go on (default stop)"},
			{Key: "retries", Type: Int, Min: 0, Max: 1000, Doc: "further attempts of a failed call, 0 to 1000 (default 0: no retry code)"},
			{Key: "backoff", Type: Duration, Doc: "wait before the first retry, doubling; needs retries (default 0)"},
			{Key: "metrics", Type: Bool, Doc: "per-stage counters, a latency histogram per stage and a Stats method (default false: no counters)"},
			{Key: "rate", Type: Ref, RefKind: "ratelimit", Doc: "Name of a ratelimit directive of the package pacing the items entering the first stage: every call of its function waits for it first; the constructor takes the limiter, which may be shared (default: no limit, no waiting code)"},
			{Key: "fuse", Type: Bool, Doc: "run adjacent stages with the same workers together: each goroutine takes the items of a batch, one at a time, through all of them in turn (with metrics=true, the batch through one stage after the other), with no channel between (default true); false gives every stage goroutines of its own"},
			{Key: "onfail", Type: Func, Doc: "func(*NameItemError) called with each item a stage fails (its error, or a panic as *NamePanicError), on the goroutine that ran the stage, after the run records the failure; not for failures once the run is cancelled; must not panic (default: no hook code)"},
			{Key: "onskip", Type: Func, Doc: "func(stage string, item any) called with each item a stage drops with ErrNameSkip, on the goroutine that ran the stage; must not panic (default: no hook code)"},
		},
		Build: buildPipeline,
		Bench: benchPipeline,
		Uses:  []string{histogramTemplate},
	})
}

// pipelineShared are the template's non-generic declarations. A directive
// emits them once, with its first stage, and every stage refers to that
// one copy.
var pipelineShared = []string{"Run", "newRun", "newOrderedRun", "ItemError", "Failures", "PanicError", "ErrSkip", "StageStats", "stageMetrics", "noCopy"}

// pipelineSharedName is the generated name of a shared declaration:
// IngestRun, ErrIngestSkip.
func pipelineSharedName(name, x string) string { return stencil.Rename(x, "", name) }

// pipelineStage is one stage of a directive.
type pipelineStage struct {
	name     string // the stage's name: parse
	typ      string // its generated type: ingestParse
	in, out  string // its input and output types, spelled for the output file
	workers  int
	bound    string // the package-level function called directly, if any
	call     string // the call hook's body for bound
	inT      types.Type
	outT     types.Type
	namePos  token.Position // where the directive names the stage
	argIndex int            // the stage's output type argument
	keep     []string       // the Stage methods the wiring calls
}

// pipelineSegments groups the stages by the goroutines they run on, as the
// template's Then does: a stage is fused after the one before when both
// have the same workers, fuse is on, and the one before is not paced (rate=
// paces the first stage). It also sets each stage's keep: a stage alone is
// started by start; a fused chain is run by its first stage's run. With
// itemwise (no metrics), the workers of a chain take each item through every
// stage in turn, in a loop the pipeline type has for the chain (pipelineDecls),
// which calls each stage's apply (or call), reject and panicked and hands the last
// stage's output batch to its post (Start) or writes it at its slot in the
// result (RunSlice). Otherwise (metrics, counted per stage and per batch)
// they take each batch through the link of every stage but the last, whose
// output and send make and feed the chain's channel.
func pipelineSegments(stages []*pipelineStage, fuse, paced, itemwise bool, retries int64) [][]*pipelineStage {
	var segs [][]*pipelineStage
	for i, st := range stages {
		if i > 0 && fuse && st.workers == stages[i-1].workers && !(i == 1 && paced) {
			segs[len(segs)-1] = append(segs[len(segs)-1], st)
			continue
		}
		segs = append(segs, []*pipelineStage{st})
	}
	switch {
	case len(segs) == 1 && itemwise && stages[0].workers == 1:
		// RunSlice runs them on the calling goroutine (pipelineOneGoroutine):
		// the chain's loop, or the stage's process.
		if len(stages) == 1 {
			stages[0].keep = append(stages[0].keep, "Stage.process")
		}
	case len(segs) == 1:
		// RunSlice runs them with no channel.
		stages[0].keep = append(stages[0].keep, "Stage.runSlice")
		stages[len(stages)-1].keep = append(stages[len(stages)-1].keep, "Stage.gather")
		if itemwise && len(stages) > 1 {
			stages[len(stages)-1].keep = append(stages[len(stages)-1].keep, "Stage.slot")
		} else {
			stages[len(stages)-1].keep = append(stages[len(stages)-1].keep, "Stage.place")
		}
	}
	for _, seg := range segs {
		if len(seg) == 1 {
			seg[0].keep = append(seg[0].keep, "Stage.start")
			continue
		}
		seg[0].keep = append(seg[0].keep, "Stage.run")
		tail := seg[len(seg)-1]
		tail.keep = append(tail.keep, "Stage.output")
		if itemwise {
			for _, st := range seg {
				st.keep = append(st.keep, "Stage."+pipelineItemCall(retries), "Stage.reject", "Stage.panicked")
			}
			tail.keep = append(tail.keep, "Stage.post", "Stage.getOut")
			continue
		}
		for _, st := range seg[:len(seg)-1] {
			st.keep = append(st.keep, "Stage.link")
		}
		tail.keep = append(tail.keep, "Stage.send")
	}
	return segs
}

// pipelineItemCall is the method of each stage that the loop of a fused
// chain calls with each item, given the directive's retries=: apply, which
// retries, or, without retries, call, the stage function alone. A stage of
// a fused chain is never paced (rate= breaks the chain after its stage), so
// without retries apply is a call of call, but one level more costs the
// inliner what an indirect call leaves of its budget: the loop would call
// apply, not inline it.
func pipelineItemCall(retries int64) string {
	if retries > 0 {
		return "apply"
	}
	return "call"
}

// pipelineThrough is the name of the method of the pipeline type that takes
// the items of a batch through the fused chain seg (itemwise):
// throughParse for a chain whose first stage is parse.
func pipelineThrough(seg []*pipelineStage) string {
	return "through" + upperFirst(seg[0].name)
}

// inBatch and outBatch are the generated names of the types of the batches
// the stage receives and sends (ingestParseInBatch, ingestParseOutBatch).
func (st *pipelineStage) inBatch() string  { return stencil.Rename("inBatch", "Stage", st.typ) }
func (st *pipelineStage) outBatch() string { return stencil.Rename("outBatch", "Stage", st.typ) }

// pipelineForm is one accepted shape of a bound stage function.
type pipelineForm struct {
	sig  *types.Signature
	call string // body of Stage.call; f is the function
}

// pipelineForms lists the stage function shapes accepted for in and out.
func pipelineForms(ctx, in, out types.Type) []pipelineForm {
	tuple := func(ts ...types.Type) *types.Tuple {
		var vs []*types.Var
		for _, t := range ts {
			vs = append(vs, types.NewParam(0, nil, "", t))
		}
		return types.NewTuple(vs...)
	}
	sig := func(params, results *types.Tuple) *types.Signature {
		return types.NewSignatureType(nil, nil, nil, params, results, false)
	}
	errType := types.Universe.Lookup("error").Type()
	return []pipelineForm{
		{sig(tuple(ctx, in), tuple(out, errType)), "return f(ctx, in)"},
		{sig(tuple(in), tuple(out, errType)), "return f(in)"},
		{sig(tuple(in), tuple(out)), "return f(in), nil"},
		{sig(tuple(ctx, in), tuple(out)), "return f(ctx, in), nil"},
	}
}

// pipelineMethods are the methods of the generated pipeline type, which no
// stage may be named like: the type has a field per stage.
var pipelineMethods = map[string]bool{"Start": true, "RunSlice": true, "Stats": true}

// pipelineTemplateNames returns the top-level names of the pipeline template.
var pipelineTemplateNames = sync.OnceValue(func() map[string]bool {
	names := map[string]bool{}
	files, _ := stencil.ParseSyntax(templates.Sources(), "pipeline")
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					names[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						names[sp.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range sp.Names {
							names[n.Name] = true
						}
					}
				}
			}
		}
	}
	return names
})

func buildPipeline(c *Context) error {
	seen := map[string]bool{}
	for _, o := range c.D.Options {
		if seen[o.Key] {
			return model.Errorf(o.KeyPos, "option %s is given more than once", o.Key)
		}
		seen[o.Key] = true
	}
	n := len(c.D.Args) - 1
	spelled := make([]string, n+1)
	for i := range spelled {
		spelled[i] = c.Scope.Type(c.D.Args[i].Type)
	}

	// Stages: names, workers, bound functions.
	stages := make([]*pipelineStage, n)
	for i := range stages {
		stages[i] = &pipelineStage{
			name: fmt.Sprintf("stage%d", i+1), workers: 1, namePos: c.D.Pos, argIndex: i + 1,
			in: spelled[i], out: spelled[i+1], inT: c.D.Args[i].Type, outT: c.D.Args[i+1].Type,
		}
	}
	if o := c.D.Option("stages"); o != nil {
		names := o.Value.([]string)
		if len(names) != n {
			return c.OptionErrorf(o, "stages= names %d stages, but %s[%s] has %d (one per type after the first)",
				len(names), c.D.Name, argList(c), n)
		}
		col := 0
		for i, name := range names {
			st := stages[i]
			st.name = name
			st.namePos = o.ValuePos
			st.namePos.Column += col
			st.namePos.Offset += col
			col += len(name) + 1
		}
	}
	if o := c.D.Option("workers"); o != nil {
		list := o.Value.([]int64)
		if len(list) != n {
			return c.OptionErrorf(o, "workers= gives %d numbers, but %s[%s] has %d stages; want one number per stage",
				len(list), c.D.Name, argList(c), n)
		}
		for i, w := range list {
			if w > 1<<16 {
				return c.OptionErrorf(o, "workers=%d for stage %s is too large: want at most 65536", w, stages[i].name)
			}
			stages[i].workers = int(w)
		}
	}
	used := map[string]bool{}
	ctx := contextType(c.Self)
	for i, st := range stages {
		if used[st.name] {
			return model.Errorf(st.namePos, "stage name %s is used twice; stage names must be distinct", st.name)
		}
		used[st.name] = true
		if pipelineMethods[st.name] || pipelineTemplateNames()[st.name] {
			return model.Errorf(st.namePos, "stage name %s clashes with a name in the generated pipeline code; rename the stage", st.name)
		}
		st.typ = lowerFirst(c.D.Name) + upperFirst(st.name)
		fn, ok := c.Self.Scope().Lookup(st.name).(*types.Func)
		if !ok {
			continue
		}
		sig := fn.Type().(*types.Signature)
		forms := pipelineForms(ctx, st.inT, st.outT)
		for _, f := range forms {
			if types.Identical(sig, f.sig) {
				st.bound = fn.Name()
				st.call = strings.Replace(f.call, "f(", stencil.User(fn.Name())+"(", 1)
				break
			}
		}
		if st.bound == "" {
			var want []string
			for _, f := range forms {
				want = append(want, spellForm(f.sig, c))
			}
			return model.Errorf(st.namePos, "stage %s turns %s into %s, but function %s has type %s; want %s",
				st.name, c.D.Args[i].Text, c.D.Args[i+1].Text, fn.Name(), spell(sig, c.Self), orList(want))
		}
	}

	// Pipeline-wide options.
	buffer, batch := int64(256), int64(64)
	if o := c.D.Option("buffer"); o != nil {
		buffer = o.Value.(int64)
	}
	if o := c.D.Option("batch"); o != nil {
		batch = o.Value.(int64)
	}
	ordered, collect, metrics := false, false, false
	if o := c.D.Option("ordered"); o != nil {
		ordered = o.Value.(bool)
	}
	if o := c.D.Option("errors"); o != nil {
		collect = o.Value.(string) == "collect"
	}
	if o := c.D.Option("metrics"); o != nil {
		metrics = o.Value.(bool)
	}
	retries := int64(0)
	if o := c.D.Option("retries"); o != nil {
		retries = o.Value.(int64)
	}
	backoff := "0"
	if o := c.D.Option("backoff"); o != nil {
		if retries == 0 {
			return c.OptionErrorf(o, "option backoff=%s needs retries=N with N at least 1", o.Raw)
		}
		backoff = DurationExpr(o.Value.(durationT), c.Scope)
	}
	if retries > 0 && backoff == "0" {
		// The retry loop compares and doubles a time.Duration.
		backoff = c.Scope.Import("time") + ".Duration(0)"
	}
	// rate=: the first stage waits for the limiter before every call.
	rate := ""
	if o := c.D.Option("rate"); o != nil {
		if _, err := c.Composed(o, "ratelimit", "a rate limiter"); err != nil {
			return err
		}
		rate = o.Value.(string)
	}
	fuse := true
	if o := c.D.Option("fuse"); o != nil {
		fuse = o.Value.(bool)
	}
	// Without metrics, a fused chain takes each item through its stages in
	// turn; with them, each batch, so that each stage's busy time is its own.
	itemwise := !metrics
	segments := pipelineSegments(stages, fuse, rate != "", itemwise, retries)
	for _, seg := range segments {
		if len(seg) < 2 || !itemwise {
			continue
		}
		m := pipelineThrough(seg)
		for _, st := range stages {
			if st.name == m || st.name == m+"From" {
				return model.Errorf(st.namePos, "stage name %s clashes with a method of the generated %s; rename the stage", st.name, c.D.Name)
			}
		}
	}
	hooks, err := pipelineHooks(c)
	if err != nil {
		return err
	}

	// One stencil run per stage: the main spec is the first stage, c.More
	// the others. They all refer to one copy of the shared declarations,
	// which only the first stage's run emits.
	for i, st := range stages {
		spec := c.Spec
		if i > 0 {
			spec = NewSpec(st.typ, "Stage")
			spec.Drop = append(spec.Drop, pipelineShared...)
			c.More = append(c.More, spec)
		} else {
			spec.Name = st.typ
		}
		spec.Types["In"], spec.Types["Out"] = st.in, st.out
		// A batch type is declared once, by the stage that sends it: the
		// input batches of stage i+1 are stage i's output batches.
		if i > 0 {
			spec.Rename["inBatch"] = stages[i-1].outBatch()
			spec.Drop = append(spec.Drop, "inBatch")
		}
		for _, x := range pipelineShared {
			spec.Rename[x] = pipelineSharedName(c.D.Name, x)
		}
		// Template-only names, as the stage's doc comments mention them.
		spec.Rename["NewStage"], spec.Rename["Pipeline"] = newName(c), c.D.Name
		cfg := spec.Config
		cfg["Workers"] = fmt.Sprint(st.workers)
		cfg["Buffer"], cfg["Batch"] = fmt.Sprint(buffer), fmt.Sprint(batch)
		cfg["Ordered"], cfg["Collect"], cfg["Metrics"] = fmt.Sprint(ordered), fmt.Sprint(collect), fmt.Sprint(metrics)
		cfg["Retries"], cfg["Backoff"] = fmt.Sprint(retries), backoff
		cfg["NoFuse"] = fmt.Sprint(!fuse) // read only by the template's Then: for benchmarks
		spec.Conds["metrics"] = metrics
		spec.Conds["ordered"] = ordered
		spec.Conds["retries"] = retries > 0
		spec.Conds["boundFn"] = st.bound != ""
		paced := i == 0 && rate != ""
		cfg["paced"] = fmt.Sprint(paced)
		spec.Conds["rate"] = paced
		// alone: RunSlice runs every stage on the caller's goroutine.
		spec.Conds["alone"] = pipelineOneGoroutine(pipelineShape{segments: segments, itemwise: itemwise})
		if paced {
			// The template's Limiter interface stands for the limiter's
			// type: the field holds a *API, whose Wait is called directly.
			spec.Rename["Limiter"] = "*" + rate
		}
		if st.bound != "" {
			spec.Hooks["Stage.call"] = st.call
		}
		for _, h := range hooks {
			cfg[h.field] = fmt.Sprint(h.body != "")
			if h.body != "" {
				spec.Hooks[h.hook], spec.HookDocs[h.hook] = h.body, h.doc
			}
		}
		spec.Keep = append(spec.Keep, st.keep...)
		if i == 0 {
			// The sink's Run.finish is called only from the last stage's
			// code, but Run is emitted here.
			spec.Keep = append(spec.Keep, "Stage.feedChan", "Run.finish", "newRun")
			if ordered {
				// Start's run has a window (see pipelineDecls); an
				// unordered pipeline's has none, and no tokens.
				spec.Keep = append(spec.Keep, "newOrderedRun")
			}
			if len(segments) > 1 { // else RunSlice needs no source (runSlice)
				spec.Keep = append(spec.Keep, "Stage.feedSlice")
			}
		}
		if i == n-1 {
			spec.Keep = append(spec.Keep, "Stage.drainChan")
			if len(segments) > 1 { // else RunSlice needs no sink (gather)
				spec.Keep = append(spec.Keep, "Stage.drainSlice")
			}
		}
	}

	if metrics {
		// One histogram type for the directive, which every stage's
		// StageStats names.
		histogramFor(c, "Stage", histogramUses{observeN: true})
		for _, more := range c.More {
			for x := range histogramLinks {
				more.Rename[x] = c.Spec.Rename[x]
			}
		}
	}
	capacity := max(1, buffer/batch)
	c.Emit = append(c.Emit, pipelineDecls(c, stages, pipelineShape{
		capacity: int(capacity), batch: int(batch), ordered: ordered, collect: collect, metrics: metrics, rate: rate,
		segments: segments, itemwise: itemwise, retries: retries,
	})...)
	return nil
}

// pipelineHook is an event hook of every stage: the config field saying
// whether it is bound, and the body and doc comment of its hook method when
// it is.
type pipelineHook struct {
	field, hook, body, doc string
}

// pipelineHooks checks onfail= and onskip=. Each becomes a direct call in
// the hook method of every stage; a hook the directive does not name
// generates no code.
func pipelineHooks(c *Context) ([]pipelineHook, error) {
	itemError := pipelineSharedName(c.D.Name, "ItemError")
	hooks := []pipelineHook{{field: "hookFail", hook: "Stage.failed"}, {field: "hookSkip", hook: "Stage.skipped"}}
	if o := c.D.Option("onfail"); o != nil {
		if err := checkOnFail(c, o, itemError); err != nil {
			return nil, err
		}
		user := stencil.User(o.Raw)
		hooks[0].body = user + "(e)"
		hooks[0].doc = fmt.Sprintf("failed calls %s, the directive's onfail=, with the failure of an item.", user)
	}
	if o := c.D.Option("onskip"); o != nil {
		body, err := bindForms(c, o, "skip hook", []sigForm{
			{newSig([]types.Type{types.Typ[types.String], types.Universe.Lookup("any").Type()}, nil), "%s(stage, in)"},
		})
		if err != nil {
			return nil, err
		}
		hooks[1].body = body
		hooks[1].doc = fmt.Sprintf("skipped calls %s, the directive's onskip=, with the name of the stage and\nan item it dropped.", stencil.User(o.Raw))
	}
	return hooks, nil
}

// checkOnFail checks that the onfail= function is a func(*NameItemError).
// The ItemError type is generated: before the first generation it does not
// exist, and the parameter's type is invalid, which is accepted.
func checkOnFail(c *Context, o *model.Option, itemError string) error {
	fn := o.Value.(*types.Func)
	sig := fn.Type().(*types.Signature)
	ok := sig.Params().Len() == 1 && sig.Results().Len() == 0 && !sig.Variadic() && sig.TypeParams().Len() == 0
	if ok {
		switch t := sig.Params().At(0).Type().(type) {
		case *types.Basic:
			ok = t.Kind() == types.Invalid
		case *types.Pointer:
			switch e := t.Elem().(type) {
			case *types.Basic:
				ok = e.Kind() == types.Invalid
			case *types.Named:
				ok = e.Obj().Name() == itemError && e.Obj().Pkg() == c.Self
			default:
				ok = false
			}
		default:
			ok = false
		}
	}
	if !ok {
		got := "type " + types.TypeString(sig, types.RelativeTo(c.Self))
		if strings.Contains(got, "invalid type") {
			// Types not generated yet: say what can be said.
			got = fmt.Sprintf("%d parameters and %d results", sig.Params().Len(), sig.Results().Len())
		}
		return c.OptionErrorf(o, "fail hook %s has %s; want func(*%s)", fn.Name(), got, itemError)
	}
	return nil
}

// argList is the directive's type arguments as written.
func argList(c *Context) string {
	var s []string
	for _, a := range c.D.Args {
		s = append(s, a.Text)
	}
	return strings.Join(s, ", ")
}

func upperFirst(s string) string { return stencil.UpperFirst(s) }

// lowerFirst lower-cases the directive name's first letter for unexported
// stage types, as the stencil does for the template's: Ingest -> ingest.
func lowerFirst(s string) string { return stencil.LowerFirst(s) }

// article is the indefinite article for name: a Pipe, an Ingest.
func article(name string) string {
	if strings.ContainsRune("AEIOUaeiou", rune(name[0])) {
		return "an"
	}
	return "a"
}

// pipelineShape is what the wiring needs of the pipeline-wide options.
type pipelineShape struct {
	capacity, batch           int // sends per channel, items per send
	ordered, collect, metrics bool
	rate                      string // the first stage's rate limiter type (rate=), or ""
	segments                  [][]*pipelineStage
	// itemwise: the workers of a fused chain take each item through its
	// stages in turn (pipelineThrough), not each batch (no metrics).
	itemwise bool
	retries  int64 // the directive's retries=: see pipelineItemCall
}

// pipelineDecls returns the declarations wiring the stages: the pipeline
// type, its constructor, Start, RunSlice and, with metrics, Stats. They
// mirror templates/pipeline/compose.go with the chain of starts unrolled and
// every size a constant.
func pipelineDecls(c *Context, stages []*pipelineStage, sh pipelineShape) []string {
	name := c.D.Name
	n := len(stages)
	first, last := stages[0], stages[n-1]
	ctxPkg := c.Scope.Import("context")
	runType := pipelineSharedName(name, "Run")
	newRun := pipelineSharedName(name, "newRun")
	statsType := pipelineSharedName(name, "StageStats")

	// The locals of the methods below (those of the constructor follow),
	// which take no stage type's name.
	locals := c.Scope.Func()
	for _, st := range stages {
		locals.Reserve(st.typ)
	}
	local := locals.Name
	p, ctx, in, r, src, srcFree, dst, res, err := local("p"), local("ctx"), local("in"), local("r"), local("src"), local("srcFree"), local("dst"), local("res"), local("err")
	seqL, itemsL := local("seq"), local("items")

	// The ordered window: the most batches in flight, so that it bounds the
	// sink's reorder buffer, never the throughput (see compose.go).
	window := 0
	if sh.ordered {
		window = 2 + 2*sh.capacity + first.workers
		for _, seg := range sh.segments[1:] {
			window += sh.capacity + seg[0].workers
		}
	}
	srcFreeCap := max(sh.capacity+first.workers+2, window)

	var decls []string

	// The pipeline type.
	var fields []jen.Code
	var chain []string
	for i, st := range stages {
		fields = append(fields, jen.Id(st.name).Id(st.typ))
		w := "1 worker"
		if st.workers > 1 {
			w = fmt.Sprintf("%d workers", st.workers)
		}
		chain = append(chain, fmt.Sprintf("%s (%s to %s, %s)", st.name, c.D.Args[i].Text, c.D.Args[i+1].Text, w))
	}
	mode := "Outputs come as they are ready, in no particular order."
	if sh.ordered {
		mode = "Outputs come in the order of their inputs."
	}
	errMode := fmt.Sprintf("The first failure of an item stops the run; Wait then returns the *%s.", pipelineSharedName(name, "ItemError"))
	if sh.collect {
		errMode = fmt.Sprintf("A failed item is left out and the others go on; Wait returns every failure as %s.", pipelineSharedName(name, "Failures"))
	}
	// Batches of one are single items: say so rather than "up to 1 items".
	batches := fmt.Sprintf("batches of up to %d items", sh.batch)
	if sh.batch == 1 {
		batches = "one item at a time"
	}
	var doc string
	if len(sh.segments) == n {
		doc = wrap(fmt.Sprintf("// %s runs items of type %s through %d stages, each on its own goroutines, connected by bounded channels carrying %s: %s. %s %s A stage drops an item by returning %s.",
			name, c.D.Args[0].Text, n, batches, strings.Join(chain, ", then "), mode, errMode, pipelineSharedName(name, "ErrSkip")))
	} else {
		doc = wrap(fmt.Sprintf("// %s runs items of type %s through %d stages: %s. %s Bounded channels carry %s between the goroutines. %s %s A stage drops an item by returning %s.",
			name, c.D.Args[0].Text, n, strings.Join(chain, ", then "), pipelineFusionDoc(sh.segments, sh.itemwise), batches, mode, errMode, pipelineSharedName(name, "ErrSkip")))
	}
	doc += "\n//\n" + wrap(fmt.Sprintf("// %s %s holds no per-run state: Start and RunSlice may be called any number of times, concurrently. Create it with %s; it must not be copied.", upperFirst(article(name)), name, newName(c)))
	// type Ingest struct { parse ingestParse; ... }
	decls = append(decls, doc+"\n"+fmt.Sprintf("%#v", jen.Type().Id(name).Struct(fields...)))

	// The constructor: one typed function per unbound stage.
	var params []jen.Code
	var unbound []string
	for _, st := range stages {
		if st.bound == "" {
			// parse func(context.Context, []byte) (Event, error)
			params = append(params, jen.Id(st.name).Func().Params(jen.Id(ctxPkg).Dot("Context"), jen.Id(st.in)).Params(jen.Id(st.out), jen.Error()))
			unbound = append(unbound, st.name)
		}
	}
	// The constructor's parameters are the functions of the unbound stages,
	// named like their stages, and the limiter.
	ctorLocals := c.Scope.Func()
	for _, st := range stages {
		ctorLocals.Reserve(st.name, st.typ)
	}
	pc := ctorLocals.Name("p")
	var body []jen.Code
	rateParam := "rate"
	if sh.rate != "" {
		// The limiter, after the stage functions: rate *API.
		rateParam = ctorLocals.Name("rate")
		params = append(params, jen.Id(rateParam).Op("*").Id(sh.rate))
		// if rate == nil { panic("NewIngest: rate is nil") }
		body = append(body, jen.If(jen.Id(rateParam).Op("==").Nil()).Block(
			jen.Panic(jen.Lit(newName(c)+": "+rateParam+" is nil"))))
	}
	// p := &Ingest{}
	body = append(body, jen.Id(pc).Op(":=").Op("&").Id(name).Values())
	for _, st := range stages {
		// p.parse.name = "parse"
		body = append(body, jen.Id(pc).Dot(st.name).Dot("name").Op("=").Lit(st.name))
		if st.bound == "" {
			// p.enrich.fn = enrich
			body = append(body, jen.Id(pc).Dot(st.name).Dot("fn").Op("=").Id(st.name))
		}
	}
	if sh.rate != "" {
		// p.parse.rate = rate
		body = append(body, jen.Id(pc).Dot(first.name).Dot("rate").Op("=").Id(rateParam))
	}
	body = append(body, jen.Return(jen.Id(pc)))
	ctorDoc := fmt.Sprintf("// %s returns %s %s.", newName(c), article(name), name)
	var boundDesc []string
	for _, st := range stages {
		if st.bound != "" {
			boundDesc = append(boundDesc, fmt.Sprintf("%s calls %s", st.name, st.bound))
		}
	}
	if len(boundDesc) > 0 {
		ctorDoc += " Stage " + strings.Join(boundDesc, ", stage ") + " directly."
	}
	if len(unbound) > 0 {
		ctorDoc += fmt.Sprintf(" %s %s the function of the stage of that name, called concurrently from the stage's workers; it returns %s to drop an item.",
			orList(unbound), map[bool]string{true: "is", false: "are each"}[len(unbound) == 1], pipelineSharedName(name, "ErrSkip"))
	}
	if sh.rate != "" {
		ctorDoc += fmt.Sprintf(" %[1]s paces the items entering the pipeline: every call of stage %[2]s, retries included, first waits for %[1]s.Wait with the run's context, and an item whose wait fails fails with its error; pipelines and pools sharing %[1]s share its quota. %[3]s panics if %[1]s is nil.",
			rateParam, first.name, newName(c))
	}
	decls = append(decls, wrap(ctorDoc)+"\n"+fmt.Sprintf("%#v", jen.Func().Id(newName(c)).Params(params...).Op("*").Id(name).Block(body...)))

	recv := jen.Id(p).Op("*").Id(name)
	ctxParam := jen.Id(ctx).Id(ctxPkg).Dot("Context")

	// starts returns the statements that start every stage in r, the first
	// reading from src and recycling to inFree, and the names of the last
	// stage's output and free list.
	starts := func(inFree jen.Code) ([]jen.Code, string, string) {
		var out []jen.Code
		prev, prevFree := src, inFree
		var outName, freeName string
		for k, seg := range sh.segments {
			head, tail := seg[0], seg[len(seg)-1]
			next := 1
			if k+1 < len(sh.segments) {
				next = sh.segments[k+1][0].workers
			}
			i := tail.argIndex
			outName, freeName = local(fmt.Sprintf("c%d", i)), local(fmt.Sprintf("f%d", i))
			if len(seg) == 1 {
				// c2, f2 := p.enrich.start(r, c1, f1, 2)
				out = append(out, jen.List(jen.Id(outName), jen.Id(freeName)).Op(":=").
					Id(p).Dot(head.name).Dot("start").Call(jen.Id(r), jen.Id(prev), prevFree, jen.Lit(next)))
				prev, prevFree = outName, jen.Id(freeName)
				continue
			}
			leave := local(fmt.Sprintf("l%d", i))
			// c3, f3, l3 := p.store.output(r, 1)
			out = append(out, jen.List(jen.Id(outName), jen.Id(freeName), jen.Id(leave)).Op(":=").
				Id(p).Dot(tail.name).Dot("output").Call(jen.Id(r), jen.Lit(next)))
			var step jen.Code
			if sh.itemwise {
				// func(seq uint64, items []T1, _ int) bool {
				// 	return p.store.post(r, c3, f3, seq, p.throughParse(r, items, p.store.getOut(f3)))
				// }
				step = jen.Func().Params(jen.Id(seqL).Uint64(), jen.Id(itemsL).Index().Id(head.in), jen.Id("_").Int()).Bool().Block(
					jen.Return(jen.Id(p).Dot(tail.name).Dot("post").Call(jen.Id(r), jen.Id(outName), jen.Id(freeName), jen.Id(seqL),
						jen.Id(p).Dot(pipelineThrough(seg)).Call(jen.Id(r), jen.Id(itemsL), jen.Id(p).Dot(tail.name).Dot("getOut").Call(jen.Id(freeName))))))
			} else {
				// p.enrich.link(r, p.store.send(r, c3, f3))
				link := jen.Id(p).Dot(tail.name).Dot("send").Call(jen.Id(r), jen.Id(outName), jen.Id(freeName))
				for j := len(seg) - 2; j >= 0; j-- {
					link = jen.Id(p).Dot(seg[j].name).Dot("link").Call(jen.Id(r), link)
				}
				step = link
			}
			// p.parse.run(r, c1, f1, l3, func() func(uint64, []T1, int) bool {
			// 	return p.parse.link(r, p.enrich.link(r, p.store.send(r, c3, f3)))
			// })
			chain := jen.Func().Params().Func().Params(jen.Uint64(), jen.Index().Id(head.in), jen.Int()).Bool().
				Block(jen.Return(step))
			out = append(out, jen.Id(p).Dot(head.name).Dot("run").Call(jen.Id(r), jen.Id(prev), prevFree, jen.Id(leave), chain))
			prev, prevFree = outName, jen.Id(freeName)
		}
		return out, outName, freeName
	}
	// r := ingestNewRun(ctx), or r := ingestNewOrderedRun(ctx, window)
	runStmt := jen.Id(r).Op(":=").Id(newRun).Call(jen.Id(ctx))
	if sh.ordered {
		runStmt = jen.Id(r).Op(":=").Id(pipelineSharedName(name, "newOrderedRun")).Call(jen.Id(ctx), jen.Lit(window))
	}
	// src := make(chan ingestParseInBatch, capacity)
	srcStmt := jen.Id(src).Op(":=").Make(jen.Chan().Id(first.inBatch()), jen.Lit(sh.capacity))

	// Start.
	body = []jen.Code{runStmt, srcStmt,
		// srcFree := make(chan []T0, n)
		jen.Id(srcFree).Op(":=").Make(jen.Chan().Index().Id(first.in), jen.Lit(srcFreeCap)),
	}
	st, lastOut, lastFree := starts(jen.Id(srcFree))
	body = append(body, st...)
	body = append(body,
		// dst := make(chan Tn, batch)
		jen.Id(dst).Op(":=").Make(jen.Chan().Id(last.out), jen.Lit(sh.batch)),
		// r.wg.Add(2)
		jen.Id(r).Dot("wg").Dot("Add").Call(jen.Lit(2)),
		// go p.parse.feedChan(r, in, src, srcFree)
		jen.Go().Id(p).Dot(first.name).Dot("feedChan").Call(jen.Id(r), jen.Id(in), jen.Id(src), jen.Id(srcFree)),
		// go p.store.drainChan(r, cn, fn, dst)
		jen.Go().Id(p).Dot(last.name).Dot("drainChan").Call(jen.Id(r), jen.Id(lastOut), jen.Id(lastFree), jen.Id(dst)),
		jen.Return(jen.Id(dst), jen.Id(r)),
	)
	startDoc := wrap("// Start runs the pipeline on the items received from in, until in is closed or ctx is cancelled, and returns the channel of outputs, closed after the last one, with the run, whose Wait reports the outcome. " + mode)
	second := "// The caller must either receive from the output channel until it is closed or cancel ctx, and then call Wait."
	if !sh.collect {
		second += " Items in flight when a failure stops the run may or may not be delivered before the channel closes."
	}
	startDoc += "\n//\n" + wrap(second)
	startDoc += "\n//\n" + wrap("// The producer of in must close it when done, even after the run has stopped: a run that stops before in is closed ("+
		map[bool]string{true: "ctx cancelled", false: "a failure, or ctx cancelled"}[sh.collect]+
		") goes on receiving from in, and discards what it receives, until in is closed. So a producer that sends without selecting on a context never blocks, and Wait does not wait for it.")
	fn := jen.Func().Params(recv).Id("Start").Params(ctxParam, jen.Id(in).Op("<-").Chan().Id(first.in)).
		Params(jen.Op("<-").Chan().Id(last.out), jen.Op("*").Id(runType)).Block(body...)
	decls = append(decls, startDoc+"\n"+fmt.Sprintf("%#v", fn))

	// RunSlice.
	oneGoroutine := pipelineOneGoroutine(sh)
	if oneGoroutine {
		// Every stage fused, with one worker: the caller's goroutine is the
		// run's only one (see pipelineOneGoroutine).
		lo, batchesL, done := local("lo"), local("batches"), local("done")
		var step jen.Code
		if n > 1 {
			// p.throughParse(r, in[lo:min(lo+64, len(in))], res)
			step = jen.Id(p).Dot(pipelineThrough(stages))
		} else {
			// p.parse.process(r, in[lo:min(lo+64, len(in))], res)
			step = jen.Id(p).Dot(first.name).Dot("process")
		}
		batch := jen.Id(in).Index(jen.Id(lo), jen.Min(jen.Id(lo).Op("+").Lit(sh.batch), jen.Len(jen.Id(in))))
		why := "the run has no other goroutine to stop, so its first failure cancels nothing."
		if sh.collect {
			why = "the run has no other goroutine to stop."
		}
		body = commentLines("The run's context is ctx itself, and its cancel does nothing: " + why +
			" Nor does it need a lock (mu): without one, the run stays on this goroutine's stack.")
		body = append(body,
			// r := &IngestRun{ctx: ctx, cancel: func(error) {}}
			jen.Id(r).Op(":=").Op("&").Id(runType).Values(jen.Dict{
				jen.Id("ctx"):    jen.Id(ctx),
				jen.Id("cancel"): jen.Func().Params(jen.Error()).Block(),
			}),
			// res := make([]Tn, 0, len(in))
			jen.Id(res).Op(":=").Make(jen.Index().Id(last.out), jen.Lit(0), jen.Len(jen.Id(in))),
			// done := ctx.Done()
			jen.Id(done).Op(":=").Id(ctx).Dot("Done").Call(),
		)
		// batches: for lo := 0; lo < len(in) && r.err == nil; lo += 64 { ... }
		more := jen.Id(lo).Op("<").Len(jen.Id(in))
		poll := "The poll of done bounds what a cancelled run does to one batch."
		if !sh.collect {
			more.Op("&&").Id(r).Dot("err").Op("==").Nil()
			poll = "The first failure sets r.err and stops the run: on this goroutine, the only one that writes it. " + poll
		}
		body = append(body, commentLines(poll)...)
		body = append(body,
			jen.Id(batchesL).Op(":"),
			jen.For(jen.Id(lo).Op(":=").Lit(0), more, jen.Id(lo).Op("+=").Lit(sh.batch)).Block(
				jen.Select().Block(
					jen.Case(jen.Op("<-").Id(done)).Block(jen.Break().Id(batchesL)),
					jen.Default(),
				),
				jen.Id(res).Op("=").Add(step).Call(jen.Id(r), batch, jen.Id(res)),
			),
			// r.finish()
			jen.Id(r).Dot("finish").Call(),
		)
	} else if len(sh.segments) == 1 {
		// Every stage fused: no channel (see the template's runFused).
		counts := local("counts")
		var step jen.Code
		if sh.itemwise && n > 1 {
			// func(seq uint64, items []T0, _ int) bool {
			// 	counts[seq] = len(p.throughParse(r, items, p.store.slot(res, seq, len(items))))
			// 	return true
			// }
			step = jen.Func().Params(jen.Id(seqL).Uint64(), jen.Id(itemsL).Index().Id(first.in), jen.Id("_").Int()).Bool().Block(
				jen.Id(counts).Index(jen.Id(seqL)).Op("=").Len(jen.Id(p).Dot(pipelineThrough(stages)).Call(jen.Id(r), jen.Id(itemsL),
					jen.Id(p).Dot(last.name).Dot("slot").Call(jen.Id(res), jen.Id(seqL), jen.Len(jen.Id(itemsL))))),
				jen.Return(jen.True()))
		} else {
			// p.store.place(r, res, counts), through the links before it
			link := jen.Id(p).Dot(last.name).Dot("place").Call(jen.Id(r), jen.Id(res), jen.Id(counts))
			for j := n - 2; j >= 0; j-- {
				link = jen.Id(p).Dot(stages[j].name).Dot("link").Call(jen.Id(r), link)
			}
			step = link
		}
		body = []jen.Code{
			// r := ingestNewRun(ctx): outputs keep their place, no window
			jen.Id(r).Op(":=").Id(newRun).Call(jen.Id(ctx)),
			// res := make([]Tn, len(in))
			jen.Id(res).Op(":=").Make(jen.Index().Id(last.out), jen.Len(jen.Id(in))),
			// counts := make([]int, (len(in)+batch-1)/batch)
			jen.Id(counts).Op(":=").Make(jen.Index().Int(), jen.Parens(jen.Len(jen.Id(in)).Op("+").Lit(sh.batch-1)).Op("/").Lit(sh.batch)),
			// p.parse.runSlice(r, in, func() func(uint64, []T0, int) bool { return step })
			jen.Id(p).Dot(first.name).Dot("runSlice").Call(jen.Id(r), jen.Id(in),
				jen.Func().Params().Func().Params(jen.Uint64(), jen.Index().Id(first.in), jen.Int()).Bool().Block(jen.Return(step))),
			// res = p.store.gather(res, counts)
			jen.Id(res).Op("=").Id(p).Dot(last.name).Dot("gather").Call(jen.Id(res), jen.Id(counts)),
		}
	} else {
		body = []jen.Code{runStmt.Clone(), srcStmt.Clone()}
		st, lastOut, lastFree = starts(jen.Nil()) // the batches are subslices of in: no free list
		body = append(body, st...)
		body = append(body,
			// r.wg.Add(1)
			jen.Id(r).Dot("wg").Dot("Add").Call(jen.Lit(1)),
			// go p.parse.feedSlice(r, in, src)
			jen.Go().Id(p).Dot(first.name).Dot("feedSlice").Call(jen.Id(r), jen.Id(in), jen.Id(src)),
			// res := p.store.drainSlice(r, cn, fn, len(in)): the sink runs in the caller
			jen.Id(res).Op(":=").Id(p).Dot(last.name).Dot("drainSlice").Call(jen.Id(r), jen.Id(lastOut), jen.Id(lastFree), jen.Len(jen.Id(in))),
		)
	}
	runSliceDoc := fmt.Sprintf("// RunSlice runs the pipeline on the items of in and returns the outputs%s. It returns what Wait returns",
		map[bool]string{true: ", in input order", false: ""}[sh.ordered])
	// Wait, or, on the one goroutine, what Wait returns once all is done.
	outcome := jen.Id(r).Dot("Wait").Call()
	if oneGoroutine {
		outcome = jen.Id(r).Dot("outcome").Call()
	}
	if sh.collect {
		// return res, r.Wait()
		body = append(body, jen.Return(jen.Id(res), outcome))
		runSliceDoc += fmt.Sprintf(": nil, or the %s with the outputs of the other items. in is only read.", pipelineSharedName(name, "Failures"))
	} else {
		// if err := r.Wait(); err != nil { return nil, err }
		// return res, nil
		body = append(body,
			jen.If(jen.Id(err).Op(":=").Add(outcome), jen.Id(err).Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Id(err))),
			jen.Return(jen.Id(res), jen.Nil()))
		runSliceDoc += "; when that is an error, the outputs are nil. in is only read."
	}
	if oneGoroutine {
		runSliceDoc += " The calling goroutine runs every stage, taking each item through them all before the next; the stage functions get ctx itself."
		if sh.retries > 0 {
			runSliceDoc += " Unless an item fails or is retried, RunSlice itself allocates only the slice of outputs."
		} else {
			runSliceDoc += " Unless an item fails, RunSlice itself allocates only the slice of outputs."
		}
	}
	fn = jen.Func().Params(recv.Clone()).Id("RunSlice").Params(ctxParam.Clone(), jen.Id(in).Index().Id(first.in)).
		Params(jen.Index().Id(last.out), jen.Error()).Block(body...)
	decls = append(decls, wrap(runSliceDoc)+"\n"+fmt.Sprintf("%#v", fn))

	if sh.metrics {
		var snaps []jen.Code
		for _, st := range stages {
			snaps = append(snaps, jen.Id(p).Dot(st.name).Dot("Stats").Call())
		}
		// return []IngestStageStats{p.parse.Stats(), ...}
		fn = jen.Func().Params(recv.Clone()).Id("Stats").Params().Index().Id(statsType).Block(
			jen.Return(jen.Index().Id(statsType).Values(snaps...)))
		decls = append(decls, wrap("// Stats returns a snapshot of each stage's counters, in pipeline order, summed over every run. Taken during a run it is only approximately consistent; after Wait returns it is exact.")+"\n"+fmt.Sprintf("%#v", fn))
	}
	if sh.itemwise {
		for _, seg := range sh.segments {
			if len(seg) > 1 {
				decls = append(decls, pipelineThroughDecls(c, seg, sh)...)
			}
		}
	}
	return decls
}

// commentLines returns text as the comment lines of a statement in a
// function body, wrapped as wrap does.
func commentLines(text string) []jen.Code {
	var out []jen.Code
	for _, l := range strings.Split(wrap("// "+text), "\n") {
		out = append(out, jen.Comment(strings.TrimPrefix(l, "// ")))
	}
	return out
}

// pipelineOneGoroutine reports whether RunSlice runs every stage on the
// calling goroutine, alone: every stage fused with one worker, each item
// taken through them in turn (no metrics). The template's runFused runs
// them there too, its one worker being the caller, but under a run of its
// own: a child context, whose cancellation stops the other workers, and the
// closures that make each worker's steps, eight allocations whatever the
// input. With one goroutine there are no other workers: the run's context
// is ctx itself, the batches go straight to the chain's loop, and the run
// needs no lock, so it stays on the stack: a call allocates its result
// only. A stop is seen by the loop over the batches, in r.err, which only
// that goroutine writes.
func pipelineOneGoroutine(sh pipelineShape) bool {
	return len(sh.segments) == 1 && sh.itemwise && sh.segments[0][0].workers == 1
}

// pipelineThroughDecls returns the two methods of the pipeline type that
// take the items of a batch through the fused chain seg, each item through
// every stage in turn: throughParse, the batch, and throughParseFrom, the
// batch from an item on, under one deferred recover. They are the
// template's Stage.process and Stage.processFrom for a chain of stages:
// each stage's outcome is handled by the stage's own apply (or call: see
// pipelineItemCall), reject and panicked, as processFrom does for one stage.
func pipelineThroughDecls(c *Context, seg []*pipelineStage, sh pipelineShape) []string {
	name := c.D.Name
	head, tail := seg[0], seg[len(seg)-1]
	through := pipelineThrough(seg)
	runType := pipelineSharedName(name, "Run")
	locals := c.Scope.Func()
	for _, st := range seg {
		locals.Reserve(st.typ)
	}
	l := locals.Name
	p, r, in, out, from, res, next, i := l("p"), l("r"), l("in"), l("out"), l("from"), l("res"), l("next"), l("i")
	at, ctx, err, v := l("at"), l("ctx"), l("err"), l("v")
	// x[k] holds the output of stage k of the chain: the input of stage k+1.
	x := make([]string, len(seg))
	for k, st := range seg {
		x[k] = l(fmt.Sprintf("x%d", st.argIndex))
	}
	input := func(k int) string { // stage k's input, for the current item
		if k == 0 {
			return in + "[" + next + "]"
		}
		return x[k-1]
	}
	var names []string
	for _, st := range seg {
		names = append(names, st.name)
	}
	stages := "stages " + andList(names)
	var b strings.Builder

	// throughParse: the batch.
	doc := fmt.Sprintf("// %s takes each item of %s through %s in turn, each item through every stage before the next item starts, and appends what %s makes of it to %s. A stage drops an item with %s and fails it with another error or a panic, as when it runs alone: the item goes no further, and is reported with that stage's name and its input to that stage.",
		through, in, stages, tail.name, out, pipelineSharedName(name, "ErrSkip"))
	if sh.collect {
		doc += " A failed item is left out and the others go on."
	} else {
		doc += fmt.Sprintf(" A failure stops the run: the rest of %s is dropped.", in)
	}
	fmt.Fprintf(&b, "%s\nfunc (%s *%s) %s(%s *%s, %s []%s, %s []%s) []%s {\n", wrap(doc), p, name, through, r, runType, in, head.in, out, tail.out, tail.out)
	fmt.Fprintf(&b, "for %s := 0; %s < len(%s); {\n%s, %s = %s.%sFrom(%s, %s, %s, %s)\n}\nreturn %s\n}\n\n", i, i, in, out, i, p, through, r, in, i, out, out)

	// throughParseFrom: from in[from], under one deferred recover. The
	// deferred function reads at, next, the x and dropped, so they live in
	// memory: the loop stores them where a panic could need them, and keeps
	// its index (i) and its outputs (buf) in registers.
	i, buf, dropped, room := l("i"), l("buf"), l("dropped"), l("room")
	doc = fmt.Sprintf("// %sFrom is %s from %s[%s:]. It returns the extended %s and where to resume: len(%s) when done, or after an item that panicked.", through, through, in, from, out, in)
	fmt.Fprintf(&b, "%s\nfunc (%s *%s) %sFrom(%s *%s, %s []%s, %s int, %s []%s) (%s []%s, %s int) {\n", wrap(doc), p, name, through, r, runType, in, head.in, from, out, tail.out, res, tail.out, next)
	b.WriteString(wrap(fmt.Sprintf("// The outputs go into %s's array, which is given room for them all, so that after a panic they are %s extended by one output for each item of %s[%s:%s] that was not dropped. The loop keeps them, and its index, in registers, and stores only what the deferred function reads.", out, out, in, from, next)) + "\n")
	fmt.Fprintf(&b, "if %s := len(%s) - %s; cap(%s)-len(%s) < %s {\n%s = append(make([]%s, 0, len(%s)+%s), %s...)\n}\n", room, in, from, out, out, room, out, tail.out, out, room, out)
	fmt.Fprintf(&b, "%s := 0 // items skipped or failed\n", dropped)
	var inputs []string
	for k := range seg {
		inputs = append(inputs, input(k))
	}
	fmt.Fprintf(&b, "%s\n%s := 0\n", wrap(fmt.Sprintf("// %s is the stage of the chain the item is at, from 0 for %s: a panic fails the item there, with its input to that stage, %s.", at, head.name, orList(inputs))), at)
	b.WriteString("var (\n")
	for k, st := range seg {
		if k+1 < len(seg) {
			fmt.Fprintf(&b, "%s %s // %s's input\n", x[k], st.out, seg[k+1].name)
		} else {
			fmt.Fprintf(&b, "%s %s\n", x[k], st.out)
		}
	}
	fmt.Fprintf(&b, "%s error\n)\n", err)
	fmt.Fprintf(&b, "defer func() {\nif %s := recover(); %s != nil {\nswitch %s {\n", v, v, at)
	for k, st := range seg {
		if k+1 < len(seg) {
			fmt.Fprintf(&b, "case %d:\n", k)
		} else {
			b.WriteString("default:\n")
		}
		fmt.Fprintf(&b, "%s.%s.panicked(%s, %s, %s)\n", p, st.name, r, input(k), v)
	}
	b.WriteString("}\n")
	fmt.Fprintf(&b, "%s = %s[:len(%s)+%s-%s-%s]\n", res, out, out, next, from, dropped)
	if sh.collect {
		fmt.Fprintf(&b, "%s++ // resume after the item\n", next)
	} else {
		fmt.Fprintf(&b, "%s = len(%s) // the run is stopping; drop the rest\n", next, in)
	}
	b.WriteString("}\n}()\n")
	fmt.Fprintf(&b, "%s := %s.ctx\n%s := %s\nfor %s := %s; %s < len(%s); %s++ {\n%s = %s\n", ctx, r, buf, out, i, from, i, in, i, next, i)
	// arg(k) is stage k's input in the loop: in[i], or the x before it.
	arg := func(k int) string {
		if k == 0 {
			return in + "[" + i + "]"
		}
		return x[k-1]
	}
	for k, st := range seg {
		fmt.Fprintf(&b, "%s = %d\n%s, %s = %s.%s.%s(%s, %s)\nif %s != nil {\n%s++\n", at, k, x[k], err, p, st.name, pipelineItemCall(sh.retries), ctx, arg(k), err, dropped)
		if sh.collect {
			fmt.Fprintf(&b, "%s.%s.reject(%s, %s, %s) // dropped or failed: on to the next item\n", p, st.name, r, arg(k), err)
		} else {
			fmt.Fprintf(&b, "if !%s.%s.reject(%s, %s, %s) {\nreturn %s, len(%s) // the run is stopping; drop the rest\n}\n", p, st.name, r, arg(k), err, buf, in)
		}
		b.WriteString("continue\n}\n")
	}
	fmt.Fprintf(&b, "%s = append(%s, %s)\n}\nreturn %s, len(%s)\n}", buf, buf, x[len(seg)-1], buf, in)
	return []string{b.String()}
}

// pipelineFusionDoc says which stages run together, for the pipeline
// type's doc comment: "Stages enrich and store run together on 4
// goroutines, each taking the items of a batch, one at a time, through both
// in turn, with no channel between them; parse runs on its own." With
// itemwise false (metrics), each goroutine takes a batch through the stages
// in turn.
func pipelineFusionDoc(segs [][]*pipelineStage, itemwise bool) string {
	var fused []string
	var alone []string
	for _, seg := range segs {
		var names []string
		for _, st := range seg {
			names = append(names, st.name)
		}
		if len(seg) == 1 {
			alone = append(alone, names[0])
			continue
		}
		goroutines := "1 goroutine, which takes each batch"
		if w := seg[0].workers; w > 1 {
			goroutines = fmt.Sprintf("%d goroutines, each taking a batch", w)
		}
		if itemwise {
			goroutines = "1 goroutine, which takes the items of a batch, one at a time,"
			if w := seg[0].workers; w > 1 {
				goroutines = fmt.Sprintf("%d goroutines, each taking the items of a batch, one at a time,", w)
			}
		}
		through := "them all"
		if len(seg) == 2 {
			through = "both"
		}
		fused = append(fused, fmt.Sprintf("stages %s run together on %s through %s in turn, with no channel between them",
			andList(names), goroutines, through))
	}
	doc := upperFirst(strings.Join(fused, "; ")) + "."
	switch len(alone) {
	case 0:
	case 1:
		doc = strings.TrimSuffix(doc, ".") + "; " + alone[0] + " runs on its own."
	default:
		doc = strings.TrimSuffix(doc, ".") + "; " + andList(alone) + " run on their own."
	}
	return doc
}

// andList joins names with commas and a final "and".
func andList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
