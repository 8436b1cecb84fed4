package kinds

import (
	"fmt"
	"go/types"
	"strings"

	"github.com/monogen/monogen/internal/stencil"
)

// //monogen:limiter Name[Req, Resp] fn=f min=2 max=256
func init() {
	Register(&Kind{
		Name:     "limiter",
		Template: "limiter",
		Main:     "Limiter",
		Params:   []string{"Req", "Resp"},
		Doc:      "adaptive concurrency limiter around a function: Name[Req, Resp] fn=f min=2 max=256",
		Options: []OptionSpec{
			{Key: "fn", Type: Func, Doc: "the function called: func(context.Context, Req) (Resp, error) or func(Req) (Resp, error); without it, NewName takes it"},
			{Key: "min", Type: Int, Min: 1, Doc: "least limit (default 1)"},
			{Key: "max", Type: Int, Min: 1, Doc: "largest limit (default 1000)"},
			{Key: "initial", Type: Int, Min: 1, Doc: "limit to start with (default min, raised to 20 if max allows)"},
			{Key: "sample", Type: PowerOfTwo, Min: 1, Max: 1 << 31, Doc: "one in how many calls is timed (power of two, default 16)"},
			{Key: "tolerance", Type: Float, Doc: "how much latency may rise above its average before the limit shrinks, at least 1 (default 1.5)"},
			{Key: "smoothing", Type: Float, Doc: "weight of a new sample in the limit, in (0, 1] (default 0.2)"},
			configOption,
			{Key: "onlimit", Type: Func, Doc: "func(from, to int64) called with each change of the limit, on the goroutine of the Execute whose sample changed it, before Execute returns (default: no hook code)"},
		},
		Build: buildLimiter,
		Bench: benchLimiter,
	})
}

func buildLimiter(c *Context) error {
	// The defaults are those the template's New applies to a zero Config.
	lo, hi, sample, tolerance, smoothing := int64(1), int64(1000), int64(16), 1.5, 0.2
	if o := c.D.Option("min"); o != nil {
		lo = o.Value.(int64)
	}
	if o := c.D.Option("max"); o != nil {
		hi = o.Value.(int64)
	}
	if hi < lo {
		o := c.D.Option("max")
		if o == nil {
			o = c.D.Option("min")
		}
		return c.OptionErrorf(o, "min=%d is above max=%d: want min <= max", lo, hi)
	}
	initial := max(lo, min(20, hi))
	if o := c.D.Option("initial"); o != nil {
		if initial = o.Value.(int64); initial < lo || initial > hi {
			return c.OptionErrorf(o, "initial=%d is outside [min, max] = [%d, %d]", initial, lo, hi)
		}
	}
	if o := c.D.Option("sample"); o != nil {
		sample = o.Value.(int64)
	}
	if o := c.D.Option("tolerance"); o != nil {
		if tolerance = o.Value.(float64); !(tolerance >= 1) {
			return c.OptionErrorf(o, "tolerance=%s is below 1: want a factor such as 1.5", o.Raw)
		}
	}
	if o := c.D.Option("smoothing"); o != nil {
		if smoothing = o.Value.(float64); !(smoothing > 0 && smoothing <= 1) {
			return c.OptionErrorf(o, "smoothing=%s is out of range: want a weight in (0, 1], such as 0.2", o.Raw)
		}
	}
	c.Spec.Config["Min"] = fmt.Sprint(lo)
	c.Spec.Config["Max"] = fmt.Sprint(hi)
	c.Spec.Config["Initial"] = fmt.Sprint(initial)
	c.Spec.Config["SampleEvery"] = fmt.Sprint(sample)
	c.Spec.Config["Tolerance"] = fmt.Sprint(tolerance)
	c.Spec.Config["Smoothing"] = fmt.Sprint(smoothing)

	bound := c.D.Option("fn") != nil
	c.Spec.Conds["boundFn"] = bound
	if bound {
		body, err := bindFunc(c, c.D.Option("fn"), "function", callForms)
		if err != nil {
			return err
		}
		c.Spec.Hooks["Limiter.call"] = body
	}
	if err := limiterOnLimit(c); err != nil {
		return err
	}
	c.Spec.Hooks["Limiter.clock"] = fmt.Sprintf("return int64(%s.Since(l.epoch))", c.Scope.Import("time"))
	c.Spec.Keep = append(c.Spec.Keep, "Limiter.init")
	what := fmt.Sprintf("an adaptive concurrency limiter (limit %d to %d, starting at %d)", lo, hi, initial)
	var fields []runtimeField
	if runtimeConfig(c) {
		what = "an adaptive concurrency limiter"
		// The constructor's config local, named as keepConfig names it.
		cfg := c.Scope.Func().Name("cfg")
		init := runtimeField{"Initial", fmt.Sprint(initial), "Initial is the limit to start with, in [Min, Max]. " + zeroTakes(c, "initial", "")}
		if c.D.Option("initial") == nil {
			init.Default = fmt.Sprintf("max(%[1]s.Min, min(20, %[1]s.Max))", cfg)
			init.Doc = "Initial is the limit to start with, in [Min, Max]. Zero takes Min, raised to 20 if Max allows."
		}
		fields = []runtimeField{{"Min", fmt.Sprint(lo), ""}, {"Max", fmt.Sprint(hi), ""}, init}
		// The template declares Min and Max in one field.
		c.Spec.HookDocs["Config.Min,Max"] = "Min and Max bound the limit: 1 <= Min <= Max. Zero Min takes " +
			strings.TrimSuffix(strings.TrimPrefix(zeroTakes(c, "min", fmt.Sprint(lo)), "Zero takes "), ".") + "; zero Max takes " +
			strings.TrimPrefix(zeroTakes(c, "max", fmt.Sprint(hi)), "Zero takes ")
	}
	c.Emit = append(c.Emit, executorCtor(c, "Limiter", "l", what, bound, fields...))
	return nil
}

// limiterOnLimit binds onlimit= to a direct call in the limit hook; without
// it the limiter has no hook code.
func limiterOnLimit(c *Context) error {
	o := c.D.Option("onlimit")
	c.Spec.Config["hookLimit"] = fmt.Sprint(o != nil)
	if o == nil {
		return nil
	}
	i64 := types.Typ[types.Int64]
	body, err := bindForms(c, o, "limit hook", []sigForm{
		{newSig([]types.Type{i64, i64}, nil), "%s(from, to)"},
	})
	if err != nil {
		return err
	}
	c.Spec.Hooks["Limiter.limitChanged"] = body
	c.Spec.HookDocs["Limiter.limitChanged"] = fmt.Sprintf("limitChanged calls %s, the directive's onlimit=, with a change of the\nlimit from from to to.", stencil.User(o.Raw))
	return nil
}
