package kinds

import (
	"fmt"
	"go/types"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/model"
	"github.com/monogen/monogen/internal/stencil"
)

// maxSemaphore is the template's MaxN: the held count shares its word with
// two flag bits.
const maxSemaphore = 1<<61 - 1

// //monogen:semaphore Name n=N
func init() {
	Register(&Kind{
		Name:     "semaphore",
		Template: "semaphore",
		Main:     "Semaphore",
		Doc:      "weighted FIFO semaphore whose capacity is a constant: Name n=N",
		Options: append([]OptionSpec{
			{Key: "n", Type: Int, Min: 1, Max: maxSemaphore, Doc: "capacity: the total weight held at once (required, unless config=true gives it at run time)"},
			configOption,
		}, append(sharedOptionSpecs("semaphore"),
			OptionSpec{Key: "ttl", Type: Duration, Doc: "store=shared: how long a holder's lease in the store lasts unless renewed; a process that dies gives its units back within it (default 10s)"},
			OptionSpec{Key: "metrics", Type: Bool, Doc: "a Stats method: capacity, held, waiting, the Acquire calls that waited and a histogram of their waits (default false: no counters); not with store=shared"},
			OptionSpec{Key: "onwait", Type: Func, Doc: "func(time.Duration, error) called after every Acquire that had to wait, with the wait and its outcome, on the caller's goroutine before Acquire returns (default: no hook code); not with store=shared"})...),
		Build: buildSemaphore,
		Bench: benchSemaphore,
		Uses:  []string{histogramTemplate},
	})
}

func buildSemaphore(c *Context) error {
	config := runtimeConfig(c)
	o := c.D.Option("n")
	if o == nil && !config {
		return c.Errorf("semaphore %s needs its capacity: n=, for example //monogen:semaphore %s n=16, or config=true to give it at run time", c.D.Name, c.D.Name)
	}
	n := int64(0)
	if o != nil {
		n = o.Value.(int64)
	}
	c.Spec.Config["N"] = fmt.Sprint(n)
	shared, err := sharedStoreOptions(c, "semaphore", []string{"ttl"})
	if err != nil {
		return err
	}
	c.Spec.Conds["shared"] = shared != nil
	if err := semaphoreObservers(c, shared != nil); err != nil {
		return err
	}
	if shared != nil {
		if config {
			return c.OptionErrorf(c.D.Option("config"), "config=true is not supported with store=shared: the capacity of a shared semaphore is a constant")
		}
		return buildSharedSemaphore(c, n, shared)
	}
	c.Spec.Config["Shared"] = "false"
	c.Spec.Config["OnFail"] = "0"
	c.Spec.Config["Replicas"] = "1"
	c.Spec.Config["LocalN"] = "1"
	c.Spec.Config["TTL"] = "0"
	c.Spec.Config["StoreTimeout"] = "0"
	c.Spec.Keep = append(c.Spec.Keep, "Semaphore.init")

	name, newName := c.D.Name, stencil.Rename("New", "Semaphore", c.D.Name)
	if config {
		return buildConfigSemaphore(c, o, n)
	}
	// // NewDBSlots returns a semaphore of capacity 16.
	// func NewDBSlots() *DBSlots {
	// 	s := &DBSlots{}
	// 	s.init()
	// 	return s
	// }
	s := c.Scope.Func().Name("s")
	ctor := jen.Commentf("%s returns a semaphore of capacity %d.", newName, n).Line().
		Func().Id(newName).Params().Op("*").Id(name).Block(
		jen.Id(s).Op(":=").Op("&").Id(name).Values(),
		jen.Id(s).Dot("init").Call(),
		jen.Return(jen.Id(s)),
	)
	c.Emit = append(c.Emit, fmt.Sprintf("%#v", ctor))
	return nil
}

// semaphoreObservers sets metrics= and onwait=: the counters of Stats and a
// direct call of the wait hook, and no code for either when absent. A
// shared semaphore has neither.
func semaphoreObservers(c *Context, shared bool) error {
	metrics := false
	if o := c.D.Option("metrics"); o != nil {
		metrics = o.Value.(bool)
	}
	onwait := c.D.Option("onwait")
	if shared {
		for _, o := range []*model.Option{c.D.Option("metrics"), onwait} {
			if o != nil {
				return model.Errorf(o.KeyPos, "option %s is not for store=shared: a shared semaphore's waits poll the store", o.Key)
			}
		}
	}
	c.Spec.Config["Metrics"] = fmt.Sprint(metrics)
	c.Spec.Config["hookWait"] = fmt.Sprint(onwait != nil)
	c.Spec.Config["timed"] = fmt.Sprint(metrics || onwait != nil)
	c.Spec.Conds["metrics"] = metrics
	c.Spec.Conds["timed"] = metrics || onwait != nil
	if metrics {
		histogramFor(c, "Semaphore", histogramUses{})
	}
	if onwait == nil {
		return nil
	}
	body, err := bindForms(c, onwait, "wait hook", []sigForm{
		{newSig([]types.Type{durationType(c.Self), errorType}, nil), "%s(d, err)"},
	})
	if err != nil {
		return err
	}
	c.Spec.Hooks["Semaphore.waitedFor"] = body
	c.Spec.HookDocs["Semaphore.waitedFor"] = fmt.Sprintf("waitedFor calls %s, the directive's onwait=, after an Acquire that waited\nfor d and ended with err.", stencil.User(onwait.Raw))
	return nil
}

// durationType returns time.Duration as the user's package sees it, or a
// stand-in with the same spelling when the package does not import time
// (then no function of the package can take one).
func durationType(self *types.Package) types.Type {
	for _, imp := range self.Imports() {
		if imp.Path() == "time" {
			if obj := imp.Scope().Lookup("Duration"); obj != nil {
				return obj.Type()
			}
		}
	}
	pkg := types.NewPackage("time", "time")
	return types.NewNamed(types.NewTypeName(0, pkg, "Duration", nil), types.Typ[types.Int64], nil)
}

// buildConfigSemaphore emits the constructor of a config=true semaphore,
// whose capacity comes at run time.
func buildConfigSemaphore(c *Context, o *model.Option, n int64) error {
	name, newName := c.D.Name, stencil.Rename("New", "Semaphore", c.D.Name)
	maxN := stencil.Rename("MaxN", "Semaphore", name)
	zero := "Zero is invalid: the directive gives no n=."
	def := ""
	if o != nil {
		zero, def = zeroTakes(c, "n", fmt.Sprint(n)), fmt.Sprint(n)
	}
	locals := c.Scope.Func()
	param, cfg, defaults := keepConfig(c, locals, runtimeField{Name: "N", Default: def,
		Doc: "N is the capacity: the total weight held at once, from 1 to MaxN. " + zero + " SetCapacity changes it."})
	// // NewDBSlots returns a semaphore of the capacity cfg.N. ...
	// func NewDBSlots(cfg DBSlotsConfig) *DBSlots {
	// 	if cfg.N == 0 {
	// 		cfg.N = 16
	// 	}
	// 	s := &DBSlots{cfg: cfg}
	// 	s.init()
	// 	return s
	// }
	s := locals.Name("s")
	body := append(defaults,
		jen.Id(s).Op(":=").Op("&").Id(name).Values(jen.Dict{jen.Id("cfg"): jen.Id(cfg)}),
		jen.Id(s).Dot("init").Call(),
		jen.Return(jen.Id(s)),
	)
	doc := wrap(fmt.Sprintf("// %s returns a semaphore of the capacity %s.N. It panics if %s.N is negative or more than %s.",
		newName, cfg, cfg, maxN))
	ctor := jen.Func().Id(newName).Params(param).Op("*").Id(name).Block(body...)
	c.Emit = append(c.Emit, doc+"\n"+fmt.Sprintf("%#v", ctor))
	return nil
}

// buildSharedSemaphore emits the constructor of a store=shared semaphore.
func buildSharedSemaphore(c *Context, n int64, s *sharedStore) error {
	s.ttl = 10 * time.Second
	if o := c.D.Option("ttl"); o != nil {
		s.ttl = o.Value.(time.Duration)
		if s.ttl < 3*time.Millisecond {
			return c.OptionErrorf(o, "ttl=%s is too short: want at least 3ms, renewed every third of it", o.Raw)
		}
		if s.ttl <= s.timeout {
			return c.OptionErrorf(o, "ttl=%s is not longer than timeout=%s: a lease could expire during the call that renews it", o.Raw, s.timeout)
		}
	}
	c.Spec.Config["Shared"] = "true"
	c.Spec.Config["OnFail"] = s.onfail
	c.Spec.Config["Replicas"] = fmt.Sprint(s.replicas)
	c.Spec.Config["LocalN"] = fmt.Sprint(max(1, n/s.replicas))
	c.Spec.Config["TTL"] = DurationExpr(s.ttl, c.Scope)
	c.Spec.Config["StoreTimeout"] = DurationExpr(s.timeout, c.Scope)
	c.Spec.Keep = append(c.Spec.Keep, "Semaphore.initShared")

	name, newName := c.D.Name, stencil.Rename("New", "Semaphore", c.D.Name)
	storeType := stencil.Rename("Store", "Semaphore", name)
	fail := map[string]string{
		"open":   "grants units bounded by this process's count alone",
		"closed": "fails Acquire",
		"local":  fmt.Sprintf("grants at most %d units, this process's share", max(1, n/s.replicas)),
	}[s.mode]
	doc := wrap(fmt.Sprintf("// %s returns a semaphore of capacity %d shared with the semaphores of other processes: the one named key in store. It holds its units in the store under leases of %s, renewed while held, so the units of a process that dies come back within %s. While the store fails, or takes longer than %s to answer, it %s.",
		newName, n, s.ttl, s.ttl, s.timeout, fail))
	locals := c.Scope.Func()
	store, key, v := locals.Name("store"), locals.Name("key"), locals.Name("s")
	ctor := jen.Func().Id(newName).Params(jen.Id(store).Id(storeType), jen.Id(key).String()).Op("*").Id(name).Block(
		jen.Id(v).Op(":=").Op("&").Id(name).Values(),
		jen.Id(v).Dot("initShared").Call(jen.Id(store), jen.Id(key)),
		jen.Return(jen.Id(v)),
	)
	c.Spec.HookDocs["Semaphore"] = "Semaphore bounds the total weight held at once by concurrent holders in\n" +
		"every process that shares its store.\n\n" +
		"Each process counts its own holders first, FIFO as a local semaphore, and\n" +
		"then takes the units in the store, polling while the store has no room\n" +
		"(from 1ms, doubling up to 100ms): processes are not served in order.\n" +
		"Units are released in the amounts they were acquired.\n\n" +
		"A Semaphore must be created with New and must not be copied after first\n" +
		"use."
	c.Spec.HookDocs["Semaphore.Available"] = "Available returns the weight free in this process's own count at the\n" +
		"moment of the call; the store may have less."
	c.Emit = append(c.Emit, doc+"\n"+fmt.Sprintf("%#v", ctor))
	return nil
}
