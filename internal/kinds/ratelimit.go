package kinds

import (
	"fmt"
	"go/types"
	"math"
	"strconv"
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
		Options: append([]OptionSpec{
			{Key: "algo", Type: Enum, Enum: []string{"token", "window"}, Doc: "token bucket or sliding window (default: the one whose options are given)"},
			{Key: "rate", Type: RateOpt, Doc: "token bucket: tokens added per period, such as 100/s (required)"},
			{Key: "burst", Type: Int, Min: 1, Doc: "token bucket: tokens the bucket holds (default 1)"},
			{Key: "limit", Type: Int, Min: 1, Max: maxWindowLimit, Doc: "sliding window: events admitted per window (required)"},
			{Key: "window", Type: Duration, Doc: "sliding window: the window's length, such as 1m (required)"},
			configOption,
			{Key: "metrics", Type: Bool, Doc: "a WaitTime histogram in Stats of the Waits that had to wait (default false: no clock read past Wait's own)"},
			{Key: "onreject", Type: Func, Doc: "func(n int, err error) called with each request refused: an Allow or AllowN that returned false (err nil) and a Wait or WaitN that failed (its error), on the caller's goroutine before the call returns (default: no hook code)"},
		}, append(sharedOptionSpecs("token bucket"),
			OptionSpec{Key: "lease", Type: Int, Min: 1, Doc: "store=shared: the most tokens taken from the store at once (default burst/4, at least 1)"})...),
		Build: buildRateLimit,
		Bench: benchRateLimit,
		Uses:  []string{histogramTemplate},
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
	var r model.Rate
	if algo == "token" {
		o := c.D.Option("rate")
		if o == nil {
			return c.Errorf("ratelimit %s (algo=token) needs rate=, such as rate=100/s", c.D.Name)
		}
		r = o.Value.(model.Rate)
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

	shared, err := sharedOptions(c, algo, interval, burst)
	if err != nil {
		return err
	}
	config := runtimeConfig(c)
	if config && shared != nil {
		return c.OptionErrorf(c.D.Option("config"), "config=true is not supported with store=shared: the bucket's rate and burst are constants the store shares")
	}
	c.Spec.Consts["runtimeLimits"] = fmt.Sprint(config)
	c.Spec.Config["Rate"] = "0"
	c.Spec.Conds["token"] = algo == "token"
	c.Spec.Conds["window"] = algo == "window"
	c.Spec.Conds["shared"] = shared != nil
	if algo == "window" {
		// The template's doc speaks of the token bucket's reservations,
		// which may be for later and are followed by later ones.
		c.Spec.HookDocs["Reservation.Cancel"] = "Cancel gives the reserved events back if their time has not come yet,\n" +
			"so that other events may take their place. A sliding window grants a\n" +
			"reservation only for the time of Reserve: CancelAt with that time (the\n" +
			"one given to ReserveAt) takes its events back from the count of the\n" +
			"fixed window that counted them, or of the window before if the limiter\n" +
			"has moved on since, where they weigh less; Cancel, which reads the clock\n" +
			"later, finds the time come and gives nothing back. It does nothing for a\n" +
			"reservation that is not OK."
	}
	algorithm := map[string]string{"token": "0", "window": "1"}[algo] // TokenBucket, SlidingWindow
	c.Spec.Config["Algorithm"] = algorithm
	c.Spec.Config["Interval"] = DurationExpr(interval, c.Scope)
	c.Spec.Config["Burst"] = fmt.Sprint(burst)
	c.Spec.Config["Limit"] = fmt.Sprint(limit)
	c.Spec.Config["Window"] = DurationExpr(window, c.Scope)
	if err := rateLimitObservers(c); err != nil {
		return err
	}
	if shared != nil {
		c.Spec.Config["Shared"] = "true"
		c.Spec.Config["OnFail"] = shared.onfail
		c.Spec.Config["Replicas"] = fmt.Sprint(shared.replicas)
		c.Spec.Config["LocalBurst"] = fmt.Sprint(max(1, burst/shared.replicas))
		c.Spec.Config["Lease"] = fmt.Sprint(shared.lease)
		c.Spec.Config["StoreTimeout"] = DurationExpr(shared.timeout, c.Scope)
		return buildSharedRateLimit(c, interval, burst, shared)
	}
	c.Spec.Config["Shared"] = "false"
	c.Spec.Config["OnFail"] = "0"
	c.Spec.Config["Replicas"] = "1"
	c.Spec.Config["LocalBurst"] = "1"
	c.Spec.Config["Lease"] = "1"
	c.Spec.Config["StoreTimeout"] = "0"
	c.Spec.Keep = append(c.Spec.Keep, "Limiter.init")

	name := c.D.Name
	newName := stencil.Rename("New", "Limiter", name)
	tm := c.Scope.Import("time")
	what := fmt.Sprintf("a token bucket of %s refilled at one per %s", countOf(burst, "token"), interval)
	// The epoch is when the bucket is full, or when the first window starts.
	epochIs := "the time at which the bucket is full"
	if algo == "window" {
		what = fmt.Sprintf("a sliding window admitting %s per %s", countOf(limit, "event"), window)
		epochIs = "the time at which the first window starts"
	}
	// // NewAPI returns a rate limiter: a token bucket of ..., whose clock starts now.
	// func NewAPI() *API {
	// 	return NewAPIAt(time.Now())
	// }
	ctor := wrap(fmt.Sprintf("// %s returns a rate limiter, %s, whose clock starts now.", newName, what)) + "\n" +
		fmt.Sprintf("%#v", jen.Func().Id(newName).Params().Op("*").Id(name).Block(
			jen.Return(jen.Id(newName+"At").Call(jen.Id(tm).Dot("Now").Call())),
		))
	// // NewAPIAt is NewAPI with an explicit epoch: ...
	// func NewAPIAt(epoch time.Time) *API {
	// 	l := &API{}
	// 	l.init(epoch)
	// 	return l
	// }
	locals := c.Scope.Func()
	epoch, l := locals.Name("epoch"), locals.Name("l")
	ctorAt := wrap(fmt.Sprintf("// %sAt is %s with an explicit epoch: %s. Tests use it with the At methods to control time.", newName, newName, epochIs)) + "\n" +
		fmt.Sprintf("%#v", jen.Func().Id(newName+"At").Params(jen.Id(epoch).Id(tm).Dot("Time")).Op("*").Id(name).Block(
			jen.Id(l).Op(":=").Op("&").Id(name).Values(),
			jen.Id(l).Dot("init").Call(jen.Id(epoch)),
			jen.Return(jen.Id(l)),
		))
	// Documentation of the template that names NewAt names this one.
	c.Spec.Rename["NewAt"] = newName + "At"
	if config {
		return buildConfigRateLimit(c, algo, r, burst, limit, window, epochIs)
	}
	c.Emit = append(c.Emit, ctor, ctorAt)
	return nil
}

// buildConfigRateLimit emits the constructors of a config=true limiter,
// whose rate and burst, or limit and window, come at run time.
func buildConfigRateLimit(c *Context, algo string, r model.Rate, burst, limit int64, window time.Duration, epochIs string) error {
	newName := stencil.Rename("New", "Limiter", c.D.Name)
	var fields []runtimeField
	what := "a token bucket of cfg.Burst tokens refilled at cfg.Rate tokens per second"
	if algo == "token" {
		fields = []runtimeField{
			{"Rate", rateFloat(r), "Rate is the average number of events per second: the bucket gains a token every 1/Rate, rounded to the nanosecond (at least 1ns). " + zeroTakes(c, "rate", "") + " SetRate changes it."},
			{"Burst", fmt.Sprint(burst), "Burst is the number of tokens the bucket holds: the events admitted at once. " + zeroTakes(c, "burst", "1") + " SetBurst changes it."},
		}
	} else {
		what = "a sliding window admitting cfg.Limit events per cfg.Window"
		fields = []runtimeField{
			{"Limit", fmt.Sprint(limit), "Limit is the number of events admitted per Window, from 1 to MaxLimit. " + zeroTakes(c, "limit", "")},
			{"Window", DurationExpr(window, c.Scope), "Window is the length of the sliding window. " + zeroTakes(c, "window", "")},
		}
	}
	ctor, ctorAt := epochConfigCtors(c, "Limiter",
		func(cfg string) string {
			return fmt.Sprintf("// %s returns a rate limiter, %s, whose clock starts now. It panics if a field of %s is out of range.", newName, what, cfg)
		},
		"with an explicit epoch: "+epochIs+". Tests use it with the At methods to control time.", fields)
	c.Emit = append(c.Emit, ctor, ctorAt)
	return nil
}

// rateFloat writes a rate as Go source for a float64 of events per
// second: 100 for 100/s, 1.0 / 3600 for 1/h.
func rateFloat(r model.Rate) string {
	if r.N == 0 {
		return ""
	}
	if (int64(time.Second)*r.N)%int64(r.Per) == 0 {
		return fmt.Sprint(int64(time.Second) * r.N / int64(r.Per))
	}
	if r.Per%time.Second == 0 {
		return fmt.Sprintf("%d.0 / %d", r.N, r.Per/time.Second)
	}
	return strconv.FormatFloat(float64(r.N)*1e9/float64(r.Per), 'g', -1, 64)
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

// rateLimitObservers sets metrics= (the histogram of Stats.WaitTime) and
// binds onreject= to a direct call in the reject hook;
// without it the limiter has no hook code.
func rateLimitObservers(c *Context) error {
	metrics := false
	if o := c.D.Option("metrics"); o != nil {
		metrics = o.Value.(bool)
	}
	c.Spec.Config["Metrics"] = fmt.Sprint(metrics)
	c.Spec.Conds["metrics"] = metrics
	if metrics {
		histogramFor(c, "Limiter", histogramUses{})
	}
	o := c.D.Option("onreject")
	c.Spec.Config["hookReject"] = fmt.Sprint(o != nil)
	if o == nil {
		return nil
	}
	body, err := bindForms(c, o, "reject hook", []sigForm{
		{newSig([]types.Type{types.Typ[types.Int], errorType}, nil), "%s(events, err)"},
	})
	if err != nil {
		return err
	}
	c.Spec.Hooks["Limiter.rejected"] = body
	c.Spec.HookDocs["Limiter.rejected"] = fmt.Sprintf("rejected calls %s, the directive's onreject=, with a request for\nevents that was refused with err (nil for an Allow).", stencil.User(o.Raw))
	return nil
}

// sharedOptions checks the options of a store=shared limiter and returns
// them, or nil for a limiter of this process alone.
func sharedOptions(c *Context, algo string, interval time.Duration, burst int64) (*sharedStore, error) {
	store := c.D.Option("store")
	if store != nil && store.Value.(string) == "shared" && algo != "token" {
		return nil, c.OptionErrorf(store, "store=shared is for algo=token: the store keeps a token bucket")
	}
	s, err := sharedStoreOptions(c, "bucket", []string{"lease"})
	if s == nil || err != nil {
		return nil, err
	}
	if r := c.D.Option("replicas"); r != nil && (s.replicas > math.MaxInt64/int64(interval) || s.replicas*int64(interval) > math.MaxInt64/max(1, burst/s.replicas)) {
		return nil, c.OptionErrorf(r, "replicas=%d is too large for rate=%s: the local share would refill once in more than 292 years", s.replicas, c.D.Option("rate").Raw)
	}
	s.lease = max(1, burst/4)
	if o := c.D.Option("lease"); o != nil {
		s.lease = o.Value.(int64)
		if s.lease > burst {
			return nil, c.OptionErrorf(o, "lease=%d is more than burst=%d: the store never holds more than burst tokens", s.lease, burst)
		}
	}
	return s, nil
}

// buildSharedRateLimit emits the constructors of a store=shared limiter.
func buildSharedRateLimit(c *Context, interval time.Duration, burst int64, s *sharedStore) error {
	c.Spec.Keep = append(c.Spec.Keep, "Limiter.initShared")
	name := c.D.Name
	newName := stencil.Rename("New", "Limiter", name)
	storeType := stencil.Rename("Store", "Limiter", name)
	tm := c.Scope.Import("time")
	fail := map[string]string{
		"open":   "admits every event",
		"closed": "admits none",
		"local":  fmt.Sprintf("admits this process's share, 1/%d of the bucket", s.replicas),
	}[s.mode]
	// // NewAPI returns a rate limiter that shares a token bucket of ... with
	// // the limiters of other processes through store, under key. ...
	// func NewAPI(store APIStore, key string) *API {
	// 	return NewAPIAt(store, key, time.Now())
	// }
	locals := c.Scope.Func()
	store, key := locals.Name("store"), locals.Name("key")
	doc := wrap(fmt.Sprintf("// %s returns a rate limiter that shares a token bucket of %s, refilled at one per %s, with the limiters of other processes: the bucket named key in store. It takes tokens from the store in leases of at most %d. While the store fails, or takes longer than %s to answer, it %s.",
		newName, countOf(burst, "token"), interval, s.lease, s.timeout, fail))
	ctor := jen.Func().Id(newName).Params(jen.Id(store).Id(storeType), jen.Id(key).String()).Op("*").Id(name).Block(
		jen.Return(jen.Id(newName+"At").Call(jen.Id(store), jen.Id(key), jen.Id(tm).Dot("Now").Call())),
	)
	locals = c.Scope.Func()
	store, key = locals.Name("store"), locals.Name("key")
	epoch, l := locals.Name("epoch"), locals.Name("l")
	ctorAt := jen.Commentf("%sAt is %s with an explicit epoch for the At methods, which", newName, newName).Line().
		Comment("measure the lease's life from it; the store keeps its own clock.").Line().
		Func().Id(newName+"At").Params(jen.Id(store).Id(storeType), jen.Id(key).String(), jen.Id(epoch).Id(tm).Dot("Time")).Op("*").Id(name).Block(
		jen.Id(l).Op(":=").Op("&").Id(name).Values(),
		jen.Id(l).Dot("initShared").Call(jen.Id(store), jen.Id(key), jen.Id(epoch)),
		jen.Return(jen.Id(l)),
	)
	c.Spec.Rename["NewAt"] = newName + "At"
	c.Spec.HookDocs["Limiter.Allow"] = "Allow reports whether an event may happen now, and if so counts it. It\n" +
		"takes a token from the lease; when the lease is empty, one caller asks the\n" +
		"store for the next (the others wait for its answer), so Allow may block for\n" +
		"one call to the store, at most the store timeout."
	c.Spec.HookDocs["Limiter.Reserve"] = "Reserve takes a token for an event now, as Allow does. A shared limiter\n" +
		"reserves only for now: when it has no token, the reservation is not OK and\n" +
		"its Delay says when to retry. Cancel says what a reservation gives back."
	c.Spec.HookDocs["Reservation.OK"] = "OK reports whether the reservation holds an event: not when the limiter\n" +
		"had no token for it. Delay then says when to try again."
	// The give-back is real where the token is this process's own: in
	// its lease, or its share while the store fails (onfail=local). The
	// store never takes tokens back.
	failed := map[string]string{
		"open":   " An event admitted while the store failed took no token: it gives nothing back.",
		"closed": "",
		"local":  " A token admitted while the store failed goes back to this process's share.",
	}[s.mode]
	c.Spec.HookDocs["Reservation.Cancel"] = "Cancel gives the reserved event back if its time has not come yet, so\n" +
		"that another event may take its place. A shared limiter reserves only for\n" +
		"the time of Reserve: CancelAt with that time (the one given to ReserveAt)\n" +
		"gives the token back to the lease it came from, unless a new lease has\n" +
		"replaced that one; Cancel, which reads the clock later, finds the time\n" +
		"come and gives nothing back. The store is never asked to take a token\n" +
		"back." + failed + " It does nothing for a reservation that is not OK."
	c.Spec.HookDocs["Limiter"] = "Limiter controls how frequently events happen across every process that\n" +
		"shares its store's bucket.\n\n" +
		"A Limiter is safe for concurrent use. It must be created with New and\n" +
		"must not be copied after first use. It admits events from a lease of\n" +
		"tokens taken from the store, one compare-and-swap each; every process\n" +
		"admits at most its leases, so across all of them the events admitted in\n" +
		"any period exceed what the bucket allows by at most one lease per process.\n\n" +
		"Methods ending in At take the current time explicitly; the lease's life\n" +
		"is measured by it, while the bucket runs on the store's clock."
	c.Emit = append(c.Emit, doc+"\n"+fmt.Sprintf("%#v", ctor), fmt.Sprintf("%#v", ctorAt))
	return nil
}

// countOf is n noun, the noun in the plural unless n is 1: "1 token",
// "5 tokens".
func countOf(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
