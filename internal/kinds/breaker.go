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

// //monogen:breaker Name[Req, Resp] fn=f failures=5 ratio=0.5 cooldown=30s halfopen=3 fallback=g failure=p slow=D onchange=h
func init() {
	Register(&Kind{
		Name:     "breaker",
		Template: "breaker",
		Main:     "Breaker",
		Params:   []string{"Req", "Resp"},
		Doc:      "circuit breaker around a function: Name[Req, Resp] fn=f failures=5 ratio=0.5 cooldown=30s halfopen=3 fallback=g",
		Options: []OptionSpec{
			{Key: "fn", Type: Func, Doc: "the function called: func(context.Context, Req) (Resp, error) or func(Req) (Resp, error); without it, NewName takes it"},
			{Key: "fallback", Type: Func, Doc: "called for rejected and failed calls: func(context.Context, Req, error) (Resp, error) or func(Req, error) (Resp, error)"},
			{Key: "failures", Type: Int, Min: 1, Doc: "failures in the window that trip the breaker (default 5)"},
			{Key: "ratio", Type: Float, Doc: "least fraction of failed calls in the window that trips it, in [0, 1] (default 0: count only)"},
			{Key: "cooldown", Type: Duration, Doc: "how long it stays open before probing (default 30s)"},
			{Key: "halfopen", Type: Int, Min: 1, Doc: "probes let through when half-open; that many successes close it (default 3)"},
			{Key: "window", Type: Duration, Doc: "rolling window failures are counted in (default 10s)"},
			{Key: "buckets", Type: Int, Min: 1, Max: 1 << 16, Doc: "buckets the window is divided into (default 10)"},
			{Key: "failure", Type: Func, Doc: "func(error) bool deciding which errors count as failures; the others count as successes (default: every error)"},
			{Key: "slow", Type: Duration, Doc: "a call longer than this counts as a failure (default 0: duration does not matter)"},
			{Key: "onchange", Type: Func, Doc: "func(from, to NameState, counts NameCounts) called on every change of state, outside the lock"},
			configOption,
		},
		Build: buildBreaker,
		Bench: benchBreaker,
	})
}

func buildBreaker(c *Context) error { return buildBreakerFor(c, nil) }

// buildBreakerFor builds a breaker, or with key (the type of key=) a keyed
// breaker: the keyed template has the same hooks, config fields and
// constructor; its onchange= function takes the key first.
//
// With config=true, the config fields more are kept after the breaker's own
// (a keyed breaker's Idle and Keys).
func buildBreakerFor(c *Context, key types.Type, more ...runtimeField) error {
	// The defaults are those the template's New applies to a zero Config.
	failures, ratio, cooldown, halfOpen, window, buckets := int64(5), 0.0, 30*time.Second, int64(3), 10*time.Second, int64(10)
	if o := c.D.Option("failures"); o != nil {
		failures = o.Value.(int64)
	}
	if o := c.D.Option("ratio"); o != nil {
		ratio = o.Value.(float64)
		if !(ratio >= 0 && ratio <= 1) {
			return c.OptionErrorf(o, "ratio=%s is out of range: want a fraction in [0, 1], such as 0.5", o.Raw)
		}
	}
	if o := c.D.Option("cooldown"); o != nil {
		if cooldown = o.Value.(time.Duration); cooldown <= 0 {
			return c.OptionErrorf(o, "cooldown=%s must be positive", o.Raw)
		}
	}
	if o := c.D.Option("halfopen"); o != nil {
		halfOpen = o.Value.(int64)
	}
	if o := c.D.Option("buckets"); o != nil {
		buckets = o.Value.(int64)
	}
	if o := c.D.Option("window"); o != nil {
		if window = o.Value.(time.Duration); window <= 0 {
			return c.OptionErrorf(o, "window=%s must be positive", o.Raw)
		}
	}
	if window < time.Duration(buckets) {
		o := c.D.Option("window")
		if o == nil {
			o = c.D.Option("buckets")
		}
		return c.OptionErrorf(o, "window=%s is shorter than buckets=%d nanoseconds: want a window of at least one nanosecond per bucket", window, buckets)
	}

	config := runtimeConfig(c)
	c.Spec.Consts["runtimeLimits"] = fmt.Sprint(config)
	c.Spec.Config["Failures"] = fmt.Sprint(failures)
	c.Spec.Config["Ratio"] = fmt.Sprint(ratio)
	c.Spec.Config["Cooldown"] = DurationExpr(cooldown, c.Scope)
	c.Spec.Config["HalfOpen"] = fmt.Sprint(halfOpen)
	c.Spec.Config["Window"] = DurationExpr(window, c.Scope)
	c.Spec.Config["Buckets"] = fmt.Sprint(buckets)
	// The docs of Execute and of the errors speak of slow calls, of a
	// failure function and of a fallback only where the directive has them.
	c.Spec.Conds["slow"] = configDuration(c, "slow", "Slow")
	c.Spec.Conds["failureFn"] = c.D.Option("failure") != nil

	c.Spec.Hooks["Breaker.isFailure"] = "return true"
	c.Spec.HookDocs["Breaker.isFailure"] = "isFailure counts every error as a failure."
	if o := c.D.Option("failure"); o != nil {
		body, err := bindForms(c, o, "failure function", []sigForm{
			{newSig([]types.Type{errorType}, []types.Type{types.Typ[types.Bool]}), "return %s(err)"},
		})
		if err != nil {
			return err
		}
		c.Spec.Hooks["Breaker.isFailure"] = body
		c.Spec.HookDocs["Breaker.isFailure"] = fmt.Sprintf("isFailure reports whether err, a call's error that is not the caller's\nown context error, counts as a failure: %s, the directive's failure=,\ndecides.", stencil.User(o.Raw))
	}
	onchange := c.D.Option("onchange")
	c.Spec.Conds["onchange"] = onchange != nil
	c.Spec.Consts["notifyChange"] = fmt.Sprint(onchange != nil)
	if onchange != nil {
		if err := checkOnChange(c, onchange, key); err != nil {
			return err
		}
		user := stencil.User(onchange.Raw)
		keyArg, keyParam := "", ""
		if key != nil {
			keyArg, keyParam = "ch.key, ", c.Scope.Type(key)+", "
		}
		c.Spec.Hooks["Breaker.changed"] = user + "(" + keyArg + "ch.from, ch.to, ch.counts)"
		c.Spec.HookDocs["Breaker.changed"] = fmt.Sprintf("changed calls %s, the directive's onchange=, for ch. It runs on the\ngoroutine whose call changed the state, after the lock is released: two\nchanges in quick succession may be reported concurrently, or out of\norder.", user)
		// var _ func(NameState, NameState, NameCounts) = f
		c.Emit = append(c.Emit, guardComment+"\n"+fmt.Sprintf("var _ func(%[3]s%[1]sState, %[1]sState, %[1]sCounts) = %[2]s", c.D.Name, onchange.Raw, keyParam))
	}

	bound := c.D.Option("fn") != nil
	c.Spec.Conds["boundFn"] = bound
	if bound {
		body, err := bindFunc(c, c.D.Option("fn"), "function", callForms)
		if err != nil {
			return err
		}
		c.Spec.Hooks["Breaker.call"] = body
	}
	fallback := c.D.Option("fallback")
	c.Spec.Conds["fallback"] = fallback != nil
	c.Spec.Config["fallback"] = fmt.Sprint(fallback != nil)
	if fallback != nil {
		body, err := bindFunc(c, fallback, "fallback", []funcForm{
			{params: []string{"ctx", "Req", "error"}, results: []string{"Resp", "error"}, call: "return %s(ctx, req, err)"},
			{params: []string{"Req", "error"}, results: []string{"Resp", "error"}, call: "return %s(req, err)"},
		})
		if err != nil {
			return err
		}
		c.Spec.Hooks["Breaker.fallback"] = body
	}
	// Without SetClock the clock is the monotonic one.
	c.Spec.Hooks["Breaker.clock"] = fmt.Sprintf("return int64(%s.Since(b.epoch))", c.Scope.Import("time"))
	c.Spec.Keep = append(c.Spec.Keep, "Breaker.init")
	var fields []runtimeField
	if config {
		fields = []runtimeField{
			{"Failures", fmt.Sprint(failures), "Failures is the least number of failures in the window that trips the breaker. " + zeroTakes(c, "failures", fmt.Sprint(failures))},
			{"Ratio", fmtFloat(ratio), "Ratio is the least fraction of failed calls in the window that trips the breaker, together with Failures, in [0, 1]; 0 counts failures only. " + zeroTakes(c, "ratio", fmtFloat(ratio))},
			{"Cooldown", DurationExpr(cooldown, c.Scope), "Cooldown is how long the breaker stays open before probing. " + zeroTakes(c, "cooldown", cooldown.String())},
			{"HalfOpen", fmt.Sprint(halfOpen), "HalfOpen is the number of probes let through when half-open; that many successes close the breaker. " + zeroTakes(c, "halfopen", fmt.Sprint(halfOpen))},
			{"Window", DurationExpr(window, c.Scope), fmt.Sprintf("Window is the length of the rolling window failures are counted in, divided into %d buckets: at least %dns. ", buckets, buckets) + zeroTakes(c, "window", window.String())},
		}
		if ratio == 0 {
			// Zero is the default: failures alone trip the breaker.
			fields[1].Default = ""
			fields[1].Doc = "Ratio is the least fraction of failed calls in the window that trips the breaker, together with Failures, in [0, 1]; 0, the default, counts failures only."
		}
		fields = append(fields, more...)
	}
	what := "a closed circuit breaker"
	if key != nil {
		what = "a circuit breaker per " + types.TypeString(key, types.RelativeTo(c.Self))
	}
	c.Emit = append(c.Emit, executorCtor(c, "Breaker", "b", what, bound, fields...))
	return nil
}

// fmtFloat writes a float option as Go source that keeps its type: 0.5, 1.0.
func fmtFloat(f float64) string {
	s := fmt.Sprint(f)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// executorCtor returns the constructor of a breaker or limiter: it takes the
// function unless fn= bound it, builds the struct and calls init.
//
// With config=true (fields given), it takes a <Name>Config last, whose zero
// fields take their defaults.
func executorCtor(c *Context, main, recv, what string, bound bool, fields ...runtimeField) string {
	name, newName := c.D.Name, stencil.Rename("New", main, c.D.Name)
	// // NewFetch returns a closed circuit breaker around fetch.
	// func NewFetch() *Fetch {
	// 	b := &Fetch{}
	// 	b.init()
	// 	return b
	// }
	//
	// or, without fn=:
	//
	// // NewFetch returns a closed circuit breaker around fn.
	// func NewFetch(fn func(context.Context, Req) (Resp, error)) *Fetch {
	// 	b := &Fetch{fn: fn}
	// 	...
	locals := c.Scope.Func()
	params, dict, around := []jen.Code{}, jen.Dict{}, ""
	if bound {
		around = c.D.Option("fn").Raw
	} else {
		around = locals.Name("fn")
		params = append(params, jen.Id(around).Func().Params(jen.Id(c.Scope.Import("context")).Dot("Context"), jen.Id(c.Type("Req"))).
			Params(jen.Id(c.Type("Resp")), jen.Error()))
		dict[jen.Id("fn")] = jen.Id(around)
	}
	var body []jen.Code
	doc := fmt.Sprintf("// %s returns %s around %s.", newName, what, around)
	if len(fields) > 0 {
		param, cfg, defaults := keepConfig(c, locals, fields...)
		params = append(params, param)
		body = defaults
		dict[jen.Id("cfg")] = jen.Id(cfg)
		doc = wrap(fmt.Sprintf("// %s returns %s around %s, with the limits of %s. It panics if a field of %s is out of range.", newName, what, around, cfg, cfg))
	}
	recv = locals.Name(recv)
	body = append(body,
		jen.Id(recv).Op(":=").Op("&").Id(name).Values(dict),
		jen.Id(recv).Dot("init").Call(),
		jen.Return(jen.Id(recv)),
	)
	ctor := jen.Func().Id(newName).Params(params...).Op("*").Id(name).Block(body...)
	return doc + "\n" + fmt.Sprintf("%#v", ctor)
}

// checkOnChange checks the onchange= function: three parameters, the
// generated <Name>State twice and <Name>Counts, and no result; with key (a
// keyed breaker's key type), a first parameter of that type. The
// generated types may not exist yet (the package is loaded without its
// generated files), so a parameter of an undefined type is accepted; the
// guard emitted beside the constructor checks the whole type once they do.
func checkOnChange(c *Context, o *model.Option, key types.Type) error {
	fn := o.Value.(*types.Func)
	sig := fn.Type().(*types.Signature)
	want := []string{c.D.Name + "State", c.D.Name + "State", c.D.Name + "Counts"}
	first, wantKey := 0, ""
	if key != nil {
		first, wantKey = 1, "key "+types.TypeString(key, types.RelativeTo(c.Self))+", "
	}
	ok := sig.Params().Len() == first+3 && sig.Results().Len() == 0 && !sig.Variadic() && sig.TypeParams().Len() == 0
	if ok && key != nil {
		ok = types.Identical(sig.Params().At(0).Type(), key)
	}
	for i := 0; ok && i < 3; i++ {
		switch t := sig.Params().At(first + i).Type().(type) {
		case *types.Basic:
			ok = t.Kind() == types.Invalid
		case *types.Named:
			ok = t.Obj().Name() == want[i] && t.Obj().Pkg() == c.Self
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
		return c.OptionErrorf(o, "onchange function %s has %s; want func(%sfrom, to %s, counts %s)", fn.Name(), got, wantKey, want[0], want[2])
	}
	return nil
}
