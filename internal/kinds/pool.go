package kinds

import (
	"fmt"
	"go/types"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/model"
	"github.com/monogen/monogen/internal/stencil"
)

// //monogen:pool Name[In, Out] workers=N queue=N fn=f result=g retries=N backoff=D timeout=D metrics=B rate=R breaker=B
// //monogen:pool Name[In] ...  (jobs returning only an error; Out is struct{})
func init() {
	Register(&Kind{
		Name:     "pool",
		Template: "pool",
		Main:     "Pool",
		Params:   []string{"In", "Out"},
		MinArgs:  1,
		Doc:      "bounded worker pool: Name[In, Out] or Name[In] workers=N queue=N fn=f result=g retries=N backoff=D timeout=D metrics=B rate=Limiter breaker=Breaker",
		Options: []OptionSpec{
			{Key: "workers", Type: Int, Min: 1, Max: 1 << 20, Doc: "initial number of workers, 1 to 1048576 (default GOMAXPROCS at construction; Resize changes it)"},
			{Key: "queue", Type: Int, Min: 1, Max: 1 << 24, Doc: "job queue capacity, 1 to 16777216, rounded up to a power of two, at least 2 (default 256)"},
			{Key: "fn", Type: Func, Doc: "package-level job function, called directly (see the accepted forms); without it the constructor takes the function"},
			{Key: "result", Type: Func, Doc: "package-level result handler func(In, Out, error) (func(In, error) for Name[In]); without it the constructor takes the handler"},
			{Key: "retries", Type: Int, Min: 0, Max: 1000, Doc: "further attempts of a failed job, 0 to 1000 (default 0: no retry code)"},
			{Key: "backoff", Type: Duration, Doc: "delay before the first retry, doubling up to an hour (a longer one stays as given), with jitter; needs retries (default 0: retry at once)"},
			{Key: "timeout", Type: Duration, Doc: "bound on each attempt through its context (default 0: no limit, no timeout code)"},
			{Key: "metrics", Type: Bool, Doc: "counters and a Stats method (default false: no counters)"},
			{Key: "rate", Type: Ref, RefKind: "ratelimit", Doc: "Name of a ratelimit directive of the package: every attempt of a job waits for it first; the constructor takes the limiter, which pools may share (default: no limit, no waiting code)"},
			configOption,
			{Key: "breaker", Type: Ref, RefKind: "breaker", Doc: "Name of a breaker directive of the package whose [Req, Resp] are the pool's [In, Out]: its Execute is the job function (so no fn=); the constructor takes the breaker (default: none)"},
			{Key: "onreject", Type: Func, Doc: "func(In, error) called with a job Submit or TrySubmit did not queue and their error, on the submitting goroutine before they return (default: no hook code)"},
			{Key: "ondrop", Type: Func, Doc: "func(In) called with a job Shutdown took out of the queue unrun, on Shutdown's goroutine or a worker's (default: no hook code)"},
			{Key: "onpanic", Type: Func, Doc: "func(In, error) called with a job or Map item whose function panicked and its *NamePanicError, on the goroutine that ran it before the job is delivered or the item fails its batch (default: no hook code)"},
		},
		Build: buildPool,
		Bench: benchPool,
		Uses:  []string{histogramTemplate},
	})
}

// poolForm is one accepted shape of a pool's job function (fn=): its
// signature and the body of the call hook that adapts it to the template's
// func(ctx, in) (Out, error).
type poolForm struct {
	sig  *types.Signature
	call string // body of Pool.call; f is replaced by the function's name
}

// poolForms lists the job function shapes accepted for in and out; out is
// nil for Name[In]. ctx is context.Context.
func poolForms(ctx, in, out types.Type) []poolForm {
	param := func(t types.Type) *types.Var { return types.NewParam(0, nil, "", t) }
	tuple := func(ts ...types.Type) *types.Tuple {
		var vs []*types.Var
		for _, t := range ts {
			vs = append(vs, param(t))
		}
		return types.NewTuple(vs...)
	}
	sig := func(params, results *types.Tuple) *types.Signature {
		return types.NewSignatureType(nil, nil, nil, params, results, false)
	}
	errType := types.Universe.Lookup("error").Type()
	if out == nil {
		return []poolForm{
			{sig(tuple(ctx, in), tuple(errType)), "return struct{}{}, f(ctx, in)"},
			{sig(tuple(in), tuple(errType)), "return struct{}{}, f(in)"},
		}
	}
	return []poolForm{
		{sig(tuple(ctx, in), tuple(out, errType)), "return f(ctx, in)"},
		{sig(tuple(in), tuple(out)), "return f(in), nil"},
		{sig(tuple(in), tuple(out, errType)), "return f(in)"},
	}
}

// contextType returns context.Context as the user's package sees it, or a
// stand-in with the same spelling when the package does not import context
// (then no function of the package can take one).
func contextType(self *types.Package) types.Type {
	for _, imp := range self.Imports() {
		if imp.Path() == "context" {
			if obj := imp.Scope().Lookup("Context"); obj != nil {
				return obj.Type()
			}
		}
	}
	pkg := types.NewPackage("context", "context")
	obj := types.NewTypeName(0, pkg, "Context", nil)
	return types.NewNamed(obj, types.NewInterfaceType(nil, nil), nil)
}

// spell writes a signature as the user would: func(context.Context, Image) (Thumb, error).
func spell(sig *types.Signature, self *types.Package) string {
	return types.TypeString(sig, types.RelativeTo(self))
}

func buildPool(c *Context) error {
	in := c.Types["In"]
	out, hasOut := c.Types["Out"]
	if !hasOut {
		// Name[In]: jobs return only an error.
		out = nil
		c.Spec.Types["Out"] = "struct{}"
	}
	outText := "struct{}"
	if hasOut {
		outText = c.Type("Out")
	}
	inText := c.Type("In")

	// Options fold into the config reads; the defaults are the template's
	// zero Config, resolved at run time by init like the template does.
	cfg := c.Spec.Config
	cfg["Workers"], cfg["Queue"], cfg["Retries"] = "0", "0", "0"
	cfg["Backoff"], cfg["Timeout"], cfg["Metrics"] = "0", "0", "false"
	for _, k := range []string{"workers", "queue", "retries"} {
		if o := c.D.Option(k); o != nil {
			cfg[strings.ToUpper(k[:1])+k[1:]] = fmt.Sprint(o.Value.(int64))
		}
	}
	if o := c.D.Option("backoff"); o != nil {
		if r := c.D.Option("retries"); r == nil || r.Value.(int64) == 0 {
			return c.OptionErrorf(o, "option backoff=%s needs retries=N with N at least 1", o.Raw)
		}
		cfg["Backoff"] = DurationExpr(o.Value.(durationT), c.Scope)
	}
	if r := c.D.Option("retries"); r != nil && r.Value.(int64) > 0 && cfg["Backoff"] == "0" {
		// The retry loop keeps the backoff in a variable: give it its type.
		cfg["Backoff"] = c.Scope.Import("time") + ".Duration(0)"
	}
	if o := c.D.Option("timeout"); o != nil {
		cfg["Timeout"] = DurationExpr(o.Value.(durationT), c.Scope)
	}
	// The docs speak of retries only where the directive has them.
	c.Spec.Conds["retries"] = cfg["Retries"] != "0"
	metrics := false
	if o := c.D.Option("metrics"); o != nil {
		metrics = o.Value.(bool)
	}
	cfg["Metrics"] = fmt.Sprint(metrics)
	c.Spec.Conds["metrics"] = metrics
	if metrics {
		histogramFor(c, "Pool", histogramUses{observeN: true, addCounts: true, add: true})
	}
	if !metrics {
		// The worker has no timing fields: pad it to 64 bytes all the same.
		c.Spec.Consts["workerPad"] = "16"
	}

	// Idiomatic error names: ErrResizerClosed rather than ResizerErrClosed.
	// PanicError keeps the rule's name (ResizerPanicError).
	c.Spec.Rename["ErrClosed"] = errName(c.D.Name, "Closed")
	c.Spec.Rename["ErrFull"] = errName(c.D.Name, "Full")

	comp, err := poolComposition(c, in, out, hasOut)
	if err != nil {
		return err
	}

	// fn=: a direct call in the hook; the func field goes away.
	fnName := ""
	if o := c.D.Option("fn"); o != nil {
		fn := o.Value.(*types.Func)
		sig := fn.Type().(*types.Signature)
		forms := poolForms(contextType(c.Self), in, out)
		var match *poolForm
		for i := range forms {
			if types.Identical(sig, forms[i].sig) {
				match = &forms[i]
				break
			}
		}
		if match == nil {
			var want []string
			for _, f := range forms {
				want = append(want, spellForm(f.sig, c))
			}
			if sig.TypeParams().Len() > 0 {
				return c.OptionErrorf(o, "job function %s is generic; want a non-generic %s", fn.Name(), orList(want))
			}
			return c.OptionErrorf(o, "job function %s has type %s; want %s",
				fn.Name(), spell(sig, c.Self), orList(want))
		}
		c.Spec.Hooks["Pool.call"] = strings.Replace(match.call, "f(", stencil.User(fn.Name())+"(", 1)
		fnName = fn.Name()
	}
	c.Spec.Conds["boundFn"] = fnName != "" || comp.breaker != ""

	// result=: a direct call in the deliver hook; the handler field goes away.
	resultName := ""
	if o := c.D.Option("result"); o != nil {
		fn := o.Value.(*types.Func)
		sig := fn.Type().(*types.Signature)
		errType := types.Universe.Lookup("error").Type()
		var params []*types.Var
		params = append(params, types.NewParam(0, nil, "", in))
		if hasOut {
			params = append(params, types.NewParam(0, nil, "", out))
		}
		params = append(params, types.NewParam(0, nil, "", errType))
		want := types.NewSignatureType(nil, nil, nil, types.NewTuple(params...), nil, false)
		if sig.TypeParams().Len() > 0 {
			return c.OptionErrorf(o, "result handler %s is generic; want a non-generic %s", fn.Name(), spellForm(want, c))
		}
		if !types.Identical(sig, want) {
			return c.OptionErrorf(o, "result handler %s has type %s; want %s",
				fn.Name(), spell(sig, c.Self), spellForm(want, c))
		}
		if hasOut {
			c.Spec.Hooks["Pool.deliver"] = stencil.User(fn.Name()) + "(in, out, err)"
		} else {
			c.Spec.Hooks["Pool.deliver"] = stencil.User(fn.Name()) + "(in, err)"
		}
		resultName = fn.Name()
	}
	c.Spec.Conds["boundResult"] = resultName != ""

	if err := poolHooks(c, in); err != nil {
		return err
	}

	c.Spec.Keep = append(c.Spec.Keep, "Pool.init")
	c.Emit = append(c.Emit, poolConstructor(c, inText, outText, hasOut, fnName, resultName, comp))
	return nil
}

// poolHooks binds the event hooks onreject=, ondrop= and onpanic=: each is a
// direct call of the user's function in its hook, and a hook the directive
// does not name generates no code.
func poolHooks(c *Context, in types.Type) error {
	for _, h := range []struct {
		key, field, hook, what, call, doc string
		params                            []types.Type
	}{
		{"onreject", "hookReject", "Pool.rejected", "reject hook", "%s(in, err)",
			"rejected calls %s, the directive's onreject=, with a job that Submit or\nTrySubmit did not queue and the error they return.", []types.Type{in, errorType}},
		{"ondrop", "hookDrop", "Pool.dropped", "drop hook", "%s(in)",
			"dropped calls %s, the directive's ondrop=, with a job that Shutdown took\nout of the queue unrun.", []types.Type{in}},
		{"onpanic", "hookPanic", "Pool.panicked", "panic hook", "%s(in, err)",
			"panicked calls %s, the directive's onpanic=, with a job or Map item\nwhose function panicked and its *" + stencil.Rename("PanicError", "Pool", c.D.Name) + ".", []types.Type{in, errorType}},
	} {
		o := c.D.Option(h.key)
		c.Spec.Config[h.field] = fmt.Sprint(o != nil)
		if o == nil {
			continue
		}
		body, err := bindForms(c, o, h.what, []sigForm{{newSig(h.params, nil), h.call}})
		if err != nil {
			return err
		}
		c.Spec.Hooks[h.hook] = body
		c.Spec.HookDocs[h.hook] = fmt.Sprintf(h.doc, stencil.User(o.Raw))
	}
	return nil
}

// poolComposed are the directives a pool composes with: the generated type
// names of its rate limiter (rate=) and circuit breaker (breaker=), or "".
type poolComposed struct {
	rate, breaker string
}

// poolComposition checks rate= and breaker= and sets what they change in the
// spec. Without them it only gives the conditions their false value, so that
// the output is that of a pool without composition, byte for byte.
func poolComposition(c *Context, in, out types.Type, hasOut bool) (poolComposed, error) {
	var comp poolComposed
	c.Spec.Config["paced"] = "false"
	if o := c.D.Option("rate"); o != nil {
		if _, err := c.Composed(o, "ratelimit", "a rate limiter"); err != nil {
			return comp, err
		}
		comp.rate = o.Value.(string)
		c.Spec.Config["paced"] = "true"
		// The template's Limiter interface stands for the limiter's type:
		// the field holds a *API, whose Wait is called directly.
		c.Spec.Rename["Limiter"] = "*" + comp.rate
	}
	if o := c.D.Option("breaker"); o != nil {
		d, err := c.Composed(o, "breaker", "a circuit breaker")
		if err != nil {
			return comp, err
		}
		if fo := c.D.Option("fn"); fo != nil {
			return comp, model.Errorf(fo.KeyPos, "option fn=%s with breaker=%s: the breaker's function is the job function; bind it on the breaker directive (//monogen:breaker %s[...] fn=%s) or pass it to %s, and drop fn= here",
				fo.Raw, o.Raw, o.Raw, fo.Raw, stencil.Rename("New", "Breaker", o.Raw))
		}
		if d != nil {
			if err := checkBreakerTypes(c, o, d, in, out, hasOut); err != nil {
				return comp, err
			}
		}
		comp.breaker = o.Value.(string)
		c.Spec.Rename["Executor"] = "*" + comp.breaker
		// Every attempt is a call through the breaker: a direct call of its
		// Execute, which calls the breaker's function.
		c.Spec.Hooks["Pool.call"] = "return p.breaker.Execute(ctx, in)"
		c.Spec.HookDocs["Pool.call"] = "call runs the job once through the circuit breaker, whose Execute calls\nits function unless the breaker is open."
		c.Spec.Keep = append(c.Spec.Keep, "Pool.breaker")
	}
	c.Spec.Conds["rate"] = comp.rate != ""
	c.Spec.Conds["breaker"] = comp.breaker != ""
	return comp, nil
}

// checkBreakerTypes checks that breaker d, Name[Req, Resp], runs the pool's
// jobs: Req is In and Resp is Out (struct{} for a pool Name[In]).
func checkBreakerTypes(c *Context, o *model.Option, d *model.Directive, in, out types.Type, hasOut bool) error {
	if len(d.Args) != 2 {
		return nil // reported at the breaker
	}
	req, resp := d.Args[0].Type, d.Args[1].Type
	if !hasOut {
		out = types.NewStruct(nil, nil)
	}
	if types.Identical(req, in) && types.Identical(resp, out) {
		return nil
	}
	pool := fmt.Sprintf("%s[%s]", c.D.Name, argList(c))
	want := fmt.Sprintf("%s[%s, %s]", d.Name, c.D.Args[0].Text, "struct{}")
	if hasOut {
		want = fmt.Sprintf("%s[%s, %s]", d.Name, c.D.Args[0].Text, c.D.Args[1].Text)
	}
	return c.OptionErrorf(o, "option breaker=%s: breaker %s[%s, %s] (at %s) does not run the jobs of pool %s; want //monogen:breaker %s",
		o.Raw, d.Name, d.Args[0].Text, d.Args[1].Text, shortPos(d.Pos), pool, want)
}

type durationT = time.Duration

// errName is the generated name of the template's ErrX for a directive
// named name: ErrResizerX, or errResizerX for an unexported pool, as the
// stencil names the template's own error variables.
func errName(name, x string) string { return stencil.Rename("Err"+x, "", name) }

// spellForm writes an accepted signature with the directive's own spelling of
// the types (Image rather than example.com/x.Image).
func spellForm(sig *types.Signature, c *Context) string {
	return types.TypeString(sig, func(p *types.Package) string {
		if p == c.Self {
			return ""
		}
		return p.Name()
	})
}

// orList joins alternatives: "a, b or c".
func orList(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// poolConstructor returns the source of New<Name>: it builds the pool as the
// template's New does and calls init; it takes the functions the directive
// did not bind, then the rate limiter and the breaker it composes with.
// nonZero is v, or "" for "0": a default that the template's init resolves.
func nonZero(v string) string {
	if v == "0" {
		return ""
	}
	return v
}

// zeroTakesOr is zeroTakes, saying what init gives a zero field when the
// directive does not set key.
func zeroTakesOr(c *Context, key, def string) string {
	if c.D.Option(key) == nil {
		return "Zero means " + def + "."
	}
	return zeroTakes(c, key, "")
}

func poolConstructor(c *Context, in, out string, hasOut bool, fnName, resultName string, comp poolComposed) string {
	name := c.D.Name
	ctor := stencil.Rename("New", "Pool", name)
	ctx := c.Scope.Import("context")
	ctxType := jen.Id(ctx).Dot("Context")
	locals := c.Scope.Func()

	var params []jen.Code
	fields := jen.Dict{}
	var docs []string

	if fnName == "" && comp.breaker == "" {
		fnParam := locals.Name("fn")
		if hasOut {
			// fn func(context.Context, In) (Out, error)
			params = append(params, jen.Id(fnParam).Func().Params(ctxType.Clone(), jen.Id(in)).Params(jen.Id(out), jen.Error()))
			fields[jen.Id("fn")] = jen.Id(fnParam)
		} else {
			// fn func(context.Context, In) error
			params = append(params, jen.Id(fnParam).Func().Params(ctxType.Clone(), jen.Id(in)).Error())
			// func(ctx context.Context, in In) (struct{}, error) { return struct{}{}, fn(ctx, in) }
			ctxArg, inArg := locals.Name("ctx"), locals.Name("in")
			fields[jen.Id("fn")] = jen.Func().Params(jen.Id(ctxArg).Add(ctxType.Clone()), jen.Id(inArg).Id(in)).
				Params(jen.Struct(), jen.Error()).
				Block(jen.Return(jen.Struct().Values(), jen.Id(fnParam).Call(jen.Id(ctxArg), jen.Id(inArg))))
		}
		docs = append(docs, fnParam+" runs every job on a worker goroutine; it is called once per attempt.")
	}
	var wrapResult func(p string) jen.Code
	if resultName == "" {
		resultParam := locals.Name("onResult")
		if hasOut {
			// onResult func(In, Out, error)
			params = append(params, jen.Id(resultParam).Func().Params(jen.Id(in), jen.Id(out), jen.Error()))
			fields[jen.Id("onResult")] = jen.Id(resultParam)
		} else {
			// onResult func(In, error)
			params = append(params, jen.Id(resultParam).Func().Params(jen.Id(in), jen.Error()))
			inArg, errArg := locals.Name("in"), locals.Name("err")
			// if onResult != nil {
			//	p.onResult = func(in In, _ struct{}, err error) { onResult(in, err) }
			// }
			wrapResult = func(p string) jen.Code {
				return jen.If(jen.Id(resultParam).Op("!=").Nil()).Block(
					jen.Id(p).Dot("onResult").Op("=").Func().
						Params(jen.Id(inArg).Id(in), jen.Id("_").Struct(), jen.Id(errArg).Error()).
						Block(jen.Id(resultParam).Call(jen.Id(inArg), jen.Id(errArg))),
				)
			}
		}
		what := "input and error"
		if hasOut {
			what = "input, output and error"
		}
		docs = append(docs, resultParam+", if not nil, receives every submitted job's "+what+
			" on the worker goroutine right after the job finishes; Map items are not delivered to it.")
	}

	// The composed limiter and breaker, which other code may share.
	var body []jen.Code
	var nils []string
	for _, x := range []struct{ field, typ, doc string }{
		{"rate", comp.rate, "%[1]s paces the jobs: every attempt of a job first waits for %[1]s.Wait with the job's context, and fails with its error if that fails; pools sharing %[1]s share its quota."},
		{"breaker", comp.breaker, "%[1]s runs every attempt: the job function is %[1]s's, and a job fails fast with %[1]s's error while it is open."},
	} {
		if x.typ == "" {
			continue
		}
		param := locals.Name(x.field)
		params = append(params, jen.Id(param).Op("*").Id(x.typ))
		fields[jen.Id(x.field)] = jen.Id(param)
		docs = append(docs, fmt.Sprintf(x.doc, param))
		nils = append(nils, param)
		// if rate == nil { panic("NewResizer: rate is nil") }
		body = append(body, jen.If(jen.Id(param).Op("==").Nil()).Block(
			jen.Panic(jen.Lit(ctor+": "+param+" is nil"))))
	}
	if len(nils) > 0 {
		docs = append(docs, ctor+" panics if "+strings.Join(nils, " or ")+" is nil.")
	}

	if runtimeConfig(c) {
		cfg := c.Spec.Config
		param, local, defaults := keepConfig(c, locals,
			runtimeField{"Workers", nonZero(cfg["Workers"]), "Workers is the number of worker goroutines. " + zeroTakesOr(c, "workers", "GOMAXPROCS at New")},
			runtimeField{"Queue", nonZero(cfg["Queue"]), "Queue is how many submitted jobs wait for a worker before Submit waits, rounded up to a power of two. " + zeroTakesOr(c, "queue", "the default")})
		params = append(params, param)
		fields[jen.Id("cfg")] = jen.Id(local)
		body = append(defaults, body...)
		docs = append(docs, ctor+" panics if "+local+".Workers or "+local+".Queue is negative.")
	}

	// p := &Name{...}
	p := locals.Name("p")
	body = append(body, jen.Id(p).Op(":=").Op("&").Id(name).Values(fields))
	if wrapResult != nil {
		body = append(body, wrapResult(p))
	}
	// p.init()
	// return p
	body = append(body, jen.Id(p).Dot("init").Call(), jen.Return(jen.Id(p)))
	fn := jen.Func().Id(ctor).Params(params...).Op("*").Id(name).Block(body...)

	var doc strings.Builder
	fmt.Fprintf(&doc, "// %s returns a %s with its workers started.", ctor, name)
	for _, d := range docs {
		doc.WriteString(" " + d)
	}
	doc.WriteString(" Close or Shutdown stops the workers.")
	return wrap(doc.String()) + "\n" + fmt.Sprintf("%#v", fn)
}

// wrap breaks a one-line // comment at about 80 columns.
func wrap(comment string) string {
	words := strings.Fields(strings.TrimPrefix(comment, "// "))
	var b strings.Builder
	line := "//"
	for _, w := range words {
		if len(line)+1+len(w) > 78 && line != "//" {
			b.WriteString(line + "\n")
			line = "//"
		}
		line += " " + w
	}
	b.WriteString(line)
	return b.String()
}
