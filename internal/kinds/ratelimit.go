package kinds

import (
	"fmt"
	"math"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/model"
	"github.com/monogen/monogen/internal/stencil"
)

// maxWindowLimit is the template's MaxLimit: a window's two counts and its
// index share one 64-bit word.
const maxWindowLimit = 1<<20 - 1

// //monogen:ratelimit Name algo=token rate=R burst=B
// //monogen:ratelimit Name algo=window limit=L window=W
func init() {
	Register(&Kind{
		Name:     "ratelimit",
		Template: "ratelimit",
		Main:     "Limiter",
		Doc:      "lock-free rate limiter: Name algo=token rate=100/s burst=20, or Name algo=window limit=1000 window=1m",
		Options: []OptionSpec{
			{Key: "algo", Type: Enum, Enum: []string{"token", "window"}, Doc: "token bucket or sliding window (default: the one whose options are given)"},
			{Key: "rate", Type: RateOpt, Doc: "token bucket: tokens added per period, such as 100/s (required)"},
			{Key: "burst", Type: Int, Min: 1, Doc: "token bucket: tokens the bucket holds (default 1)"},
			{Key: "limit", Type: Int, Min: 1, Max: maxWindowLimit, Doc: "sliding window: events admitted per window (required)"},
			{Key: "window", Type: Duration, Doc: "sliding window: the window's length, such as 1m (required)"},
		},
		Build: buildRateLimit,
		Bench: benchRateLimit,
	})
}

func buildRateLimit(c *Context) error {
	tokenOpts, windowOpts := []string{"rate", "burst"}, []string{"limit", "window"}
	algo := ""
	if o := c.D.Option("algo"); o != nil {
		algo = o.Value.(string)
	} else {
		// Without algo=, the options given say which algorithm is meant.
		switch {
		case anyOption(c.D, windowOpts) != nil && anyOption(c.D, tokenOpts) == nil:
			algo = "window"
		case anyOption(c.D, tokenOpts) != nil && anyOption(c.D, windowOpts) == nil:
			algo = "token"
		default:
			return c.Errorf("ratelimit %s needs algo=token with rate= (and burst=), or algo=window with limit= and window=", c.D.Name)
		}
	}
	other, otherOpts := "window", windowOpts
	if algo == "window" {
		other, otherOpts = "token", tokenOpts
	}
	if o := anyOption(c.D, otherOpts); o != nil {
		return model.Errorf(o.KeyPos, "option %s is for algo=%s; algo=%s takes %s", o.Key, other, algo, optionList(algo))
	}

	// The template's zero Config is a token bucket of interval 0: every
	// field gets its value, read or not.
	interval, burst, limit, window := time.Duration(0), int64(0), int64(0), time.Duration(0)
	if algo == "token" {
		o := c.D.Option("rate")
		if o == nil {
			return c.Errorf("ratelimit %s (algo=token) needs rate=, such as rate=100/s", c.D.Name)
		}
		r := o.Value.(model.Rate)
		interval = r.Per / time.Duration(r.N)
		if interval < 1 || interval*time.Duration(r.N) != r.Per {
			return c.OptionErrorf(o, "rate=%s does not divide into whole nanoseconds; want a rate whose interval (period / count) is a whole number of nanoseconds, such as 100/s", o.Raw)
		}
		burst = 1
		if o := c.D.Option("burst"); o != nil {
			burst = o.Value.(int64)
			if burst > math.MaxInt64/int64(interval) {
				return c.OptionErrorf(o, "burst=%d is too large for rate=%s: the bucket would hold more than 292 years of tokens", burst, c.D.Option("rate").Raw)
			}
		}
	} else {
		lo, wo := c.D.Option("limit"), c.D.Option("window")
		switch {
		case lo == nil && wo == nil:
			return c.Errorf("ratelimit %s (algo=window) needs limit= and window=, such as limit=1000 window=1m", c.D.Name)
		case lo == nil:
			return model.Errorf(wo.KeyPos, "window= without limit=; algo=window needs both, such as limit=1000 window=1m")
		case wo == nil:
			return model.Errorf(lo.KeyPos, "limit= without window=; algo=window needs both, such as limit=1000 window=1m")
		}
		limit, window = lo.Value.(int64), wo.Value.(time.Duration)
		if window <= 0 {
			return c.OptionErrorf(wo, "window=%s must be positive", wo.Raw)
		}
	}

	c.Spec.Conds["token"] = algo == "token"
	c.Spec.Conds["window"] = algo == "window"
	algorithm := map[string]string{"token": "0", "window": "1"}[algo] // TokenBucket, SlidingWindow
	c.Spec.Config["Algorithm"] = algorithm
	c.Spec.Config["Interval"] = DurationExpr(interval, c.Scope)
	c.Spec.Config["Burst"] = fmt.Sprint(burst)
	c.Spec.Config["Limit"] = fmt.Sprint(limit)
	c.Spec.Config["Window"] = DurationExpr(window, c.Scope)
	c.Spec.Keep = append(c.Spec.Keep, "Limiter.init")

	name := c.D.Name
	newName := stencil.Rename("New", "Limiter", name)
	tm := c.Scope.Import("time")
	what := fmt.Sprintf("a token bucket of %d tokens refilled at one per %s", burst, interval)
	if algo == "window" {
		what = fmt.Sprintf("a sliding window admitting %d events per %s", limit, window)
	}
	// // NewAPI returns a rate limiter: a token bucket of ..., whose clock starts now.
	// func NewAPI() *API {
	// 	return NewAPIAt(time.Now())
	// }
	ctor := jen.Commentf("%s returns a rate limiter, %s, whose clock starts now.", newName, what).Line().
		Func().Id(newName).Params().Op("*").Id(name).Block(
		jen.Return(jen.Id(newName + "At").Call(jen.Id(tm).Dot("Now").Call())),
	)
	// // NewAPIAt is NewAPI with an explicit epoch: ...
	// func NewAPIAt(epoch time.Time) *API {
	// 	l := &API{}
	// 	l.init(epoch)
	// 	return l
	// }
	locals := c.Scope.Func()
	epoch, l := locals.Name("epoch"), locals.Name("l")
	ctorAt := jen.Commentf("%sAt is %s with an explicit epoch: the time at which the bucket is", newName, newName).Line().
		Comment("full and the first window starts. Tests use it with the At methods to").Line().
		Comment("control time.").Line().
		Func().Id(newName+"At").Params(jen.Id(epoch).Id(tm).Dot("Time")).Op("*").Id(name).Block(
		jen.Id(l).Op(":=").Op("&").Id(name).Values(),
		jen.Id(l).Dot("init").Call(jen.Id(epoch)),
		jen.Return(jen.Id(l)),
	)
	// Documentation of the template that names NewAt names this one.
	c.Spec.Rename["NewAt"] = newName + "At"
	c.Emit = append(c.Emit, fmt.Sprintf("%#v", ctor), fmt.Sprintf("%#v", ctorAt))
	return nil
}

// anyOption returns the first of the directive's options whose key is in keys.
func anyOption(d *model.Directive, keys []string) *model.Option {
	for _, o := range d.Options {
		for _, k := range keys {
			if o.Key == k {
				return o
			}
		}
	}
	return nil
}

func optionList(algo string) string {
	if algo == "token" {
		return "rate= and burst="
	}
	return "limit= and window="
}
