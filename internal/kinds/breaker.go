package kinds

import (
	"fmt"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/stencil"
)

// //monogen:breaker Name[Req, Resp] fn=f failures=5 ratio=0.5 cooldown=30s halfopen=3 fallback=g
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
		},
		Build: buildBreaker,
		Bench: benchBreaker,
	})
}

func buildBreaker(c *Context) error {
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

	c.Spec.Config["Failures"] = fmt.Sprint(failures)
	c.Spec.Config["Ratio"] = fmt.Sprint(ratio)
	c.Spec.Config["Cooldown"] = DurationExpr(cooldown, c.Scope)
	c.Spec.Config["HalfOpen"] = fmt.Sprint(halfOpen)
	c.Spec.Config["Window"] = DurationExpr(window, c.Scope)
	c.Spec.Config["Buckets"] = fmt.Sprint(buckets)

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
	c.Emit = append(c.Emit, executorCtor(c, "Breaker", "b", "a closed circuit breaker", bound))
	return nil
}

// executorCtor returns the constructor of a breaker or limiter: it takes the
// function unless fn= bound it, builds the struct and calls init.
func executorCtor(c *Context, main, recv, what string, bound bool) string {
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
	params, fields, around := []jen.Code{}, jen.Dict{}, ""
	if bound {
		around = c.D.Option("fn").Raw
	} else {
		around = locals.Name("fn")
		params = append(params, jen.Id(around).Func().Params(jen.Id(c.Scope.Import("context")).Dot("Context"), jen.Id(c.Type("Req"))).
			Params(jen.Id(c.Type("Resp")), jen.Error()))
		fields[jen.Id("fn")] = jen.Id(around)
	}
	recv = locals.Name(recv)
	ctor := jen.Commentf("%s returns %s around %s.", newName, what, around).Line().
		Func().Id(newName).Params(params...).Op("*").Id(name).Block(
		jen.Id(recv).Op(":=").Op("&").Id(name).Values(fields),
		jen.Id(recv).Dot("init").Call(),
		jen.Return(jen.Id(recv)),
	)
	return fmt.Sprintf("%#v", ctor)
}
