package kinds

import (
	"fmt"
	"go/types"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/stencil"
)

// //monogen:respool Name[T] max=N new=f close=g check=h idle=D maxlife=D minidle=N metrics=B
func init() {
	Register(&Kind{
		Name:     "respool",
		Template: "respool",
		Main:     "Pool",
		Params:   []string{"T"},
		Doc:      "bounded pool of reusable resources: Name[T] max=N new=f close=g check=h idle=D maxlife=D minidle=N metrics=B",
		Options: []OptionSpec{
			{Key: "max", Type: Int, Min: 1, Max: 1 << 20, Doc: "most resources that exist at once, idle or in use, 1 to 1048576 (default 16)"},
			{Key: "new", Type: Func, Doc: "package-level func(context.Context) (T, error) or func() (T, error) making a resource; without it the constructor takes the function"},
			{Key: "close", Type: Func, Doc: "package-level func(T) or func(T) error closing a resource (default: nothing to close)"},
			{Key: "check", Type: Func, Doc: "package-level func(T) error checking an idle resource before Get returns it (default: no check)"},
			{Key: "idle", Type: Duration, Doc: "how long a resource may stay idle before it is closed (default 0: never; no evictor code)"},
			{Key: "maxlife", Type: Duration, Doc: "how long a resource may be used from its making; Get and Put close an older one (default 0: forever; no code)"},
			{Key: "minidle", Type: Int, Min: 0, Max: 1 << 20, Doc: "idle resources kept warm by a background goroutine, at most max (default 0: none, no goroutine)"},
			{Key: "metrics", Type: Bool, Doc: "acquire counters, a histogram of the waits of Gets and a Stats method (default false)"},
			configOption,
			{Key: "onwait", Type: Func, Doc: "func(time.Duration, error) called after every Get that waited at max, with its wait and the error it returns, on the caller's goroutine before Get returns (default: no hook code)"},
		},
		Build: buildResPool,
		Bench: benchResPool,
		Uses:  []string{histogramTemplate},
	})
}

func buildResPool(c *Context) error {
	maxN := configInt(c, "max", "Max", 16)
	// The docs speak of the evictor, the warmer, the check and the
	// resources' age only where the directive has them.
	c.Spec.Conds["evictor"] = configDuration(c, "idle", "Idle") || runtimeConfig(c)
	c.Spec.Conds["check"] = c.D.Option("check") != nil
	t := c.Types["T"]
	c.Spec.Conds["maxlife"] = false
	c.Spec.Conds["lifeByAddress"] = false
	if configDuration(c, "maxlife", "MaxLife") {
		c.Spec.Conds["maxlife"] = true
		if err := resPoolLifeKey(c, t); err != nil {
			return err
		}
	}
	minIdle := configInt(c, "minidle", "MinIdle", 0)
	if minIdle > maxN {
		return c.OptionErrorf(c.D.Option("minidle"), "option minidle=%d exceeds max=%d: the pool cannot keep more idle resources than may exist", minIdle, maxN)
	}
	c.Spec.Conds["warmer"] = minIdle > 0
	metrics := false
	if o := c.D.Option("metrics"); o != nil {
		metrics = o.Value.(bool)
	}
	c.Spec.Config["Metrics"] = fmt.Sprint(metrics)
	c.Spec.Conds["metrics"] = metrics
	if metrics {
		histogramFor(c, "Pool", histogramUses{})
	}
	onwait := c.D.Option("onwait")
	c.Spec.Config["hookWait"] = fmt.Sprint(onwait != nil)
	c.Spec.Config["timed"] = fmt.Sprint(metrics || onwait != nil)
	c.Spec.Conds["timed"] = metrics || onwait != nil
	if onwait != nil {
		body, err := bindForms(c, onwait, "wait hook", []sigForm{
			{newSig([]types.Type{durationType(c.Self), errorType}, nil), "%s(d, err)"},
		})
		if err != nil {
			return err
		}
		c.Spec.Hooks["Pool.waitedFor"] = body
		c.Spec.HookDocs["Pool.waitedFor"] = fmt.Sprintf("waitedFor calls %s, the directive's onwait=, after a Get that waited for d\nand ended with err.", stencil.User(onwait.Raw))
	}

	newBound := false
	if o := c.D.Option("new"); o != nil {
		forms := []sigForm{
			{newSig([]types.Type{contextType(c.Self)}, []types.Type{t, errorType}), "return %s(ctx)"},
			{newSig(nil, []types.Type{t, errorType}), "return %s()"},
		}
		body, err := bindForms(c, o, "new function", forms)
		if err != nil {
			return err
		}
		c.Spec.Hooks["Pool.create"] = body
		c.Spec.HookDocs["Pool.create"] = fmt.Sprintf("create makes a resource with %s, the directive's new=.", stencil.User(o.Raw))
		newBound = true
	}
	c.Spec.Conds["boundNew"] = newBound

	// Without close= and check=, the hooks become no-ops and the function
	// fields go away: the pool has nothing to close or check.
	c.Spec.Hooks["Pool.destroy"] = "// Nothing to close."
	c.Spec.HookDocs["Pool.destroy"] = "destroy does nothing: the directive has no close= function."
	if o := c.D.Option("close"); o != nil {
		forms := []sigForm{
			{newSig([]types.Type{t}, nil), "%s(r)"},
			{newSig([]types.Type{t}, []types.Type{errorType}), "_ = %s(r) // the resource is gone either way"},
		}
		body, err := bindForms(c, o, "close function", forms)
		if err != nil {
			return err
		}
		c.Spec.Hooks["Pool.destroy"] = body
		c.Spec.HookDocs["Pool.destroy"] = fmt.Sprintf("destroy closes a resource with %s, the directive's close=.", stencil.User(o.Raw))
	}
	c.Spec.Conds["boundClose"] = true

	c.Spec.Hooks["Pool.healthy"] = "return nil"
	c.Spec.HookDocs["Pool.healthy"] = "healthy accepts every resource: the directive has no check= function."
	if o := c.D.Option("check"); o != nil {
		forms := []sigForm{{newSig([]types.Type{t}, []types.Type{errorType}), "return %s(r)"}}
		body, err := bindForms(c, o, "check function", forms)
		if err != nil {
			return err
		}
		c.Spec.Hooks["Pool.healthy"] = body
		c.Spec.HookDocs["Pool.healthy"] = fmt.Sprintf("healthy checks an idle resource with %s, the directive's check=.", stencil.User(o.Raw))
	}
	c.Spec.Conds["boundCheck"] = true

	resPoolHotSlot(c, t)

	c.Spec.Rename["ErrClosed"] = errName(c.D.Name, "Closed")
	c.Spec.Drop = append(c.Spec.Drop, "DefaultMax")
	c.Spec.Keep = append(c.Spec.Keep, "Pool.init")

	name := c.D.Name
	ctor := newName(c)
	locals := c.Scope.Func()
	var params []jen.Code
	fields := jen.Dict{}
	docs := []string{fmt.Sprintf("%s returns an empty %s.", ctor, name)}
	if !newBound {
		// newFn func(context.Context) (T, error)
		newFn := locals.Name("newFn")
		params = append(params, jen.Id(newFn).Func().Params(jen.Id(c.Scope.Import("context")).Dot("Context")).Params(jen.Id(c.Type("T")), jen.Error()))
		fields[jen.Id("newFn")] = jen.Id(newFn)
		docs = append(docs, newFn+" makes a resource when Get finds none idle and fewer than the maximum exist.")
	}
	p := locals.Name("p")
	docs = append(docs, "Close closes the idle resources.")
	// func NewConns() *Conns {
	//	p := &Conns{}
	//	p.init()
	//	return p
	// }
	var body []jen.Code
	config := runtimeConfig(c)
	c.Spec.Consts["runtimeLimits"] = fmt.Sprint(config)
	if config {
		idle := runtimeField{"Idle", c.Spec.Config["Idle"], "Idle is how long a resource may stay unused in the pool before it is closed. " + zeroTakes(c, "idle", "")}
		if c.D.Option("idle") == nil || c.Spec.Config["Idle"] == "0" {
			idle = runtimeField{"Idle", "", "Idle is how long a resource may stay unused in the pool before it is closed. Zero means never."}
		}
		param, cfg, defaults := keepConfig(c, locals,
			runtimeField{"Max", fmt.Sprint(maxN), "Max is the most resources that exist at once, idle or in use, at least 1. " + zeroTakes(c, "max", "16") + " SetMax changes it."},
			idle)
		params = append(params, param)
		body = defaults
		fields[jen.Id("cfg")] = jen.Id(cfg)
		docs = append(docs, fmt.Sprintf("It panics if %s.Max or %s.Idle is negative.", cfg, cfg))
	}
	body = append(body,
		jen.Id(p).Op(":=").Op("&").Id(name).Values(fields),
		jen.Id(p).Dot("init").Call(),
		jen.Return(jen.Id(p)),
	)
	fn := jen.Func().Id(ctor).Params(params...).Op("*").Id(name).Block(body...)
	c.Emit = append(c.Emit, docLines("// "+strings.Join(docs, " "))+"\n"+fmt.Sprintf("%#v", fn))
	return nil
}

// resPoolLifeKey specializes lifeKey, which identifies a resource for
// maxlife=: a pointer by its address, another comparable resource by
// maphash.Comparable. A resource that cannot be compared cannot be told
// apart from another: maxlife= is an error.
func resPoolLifeKey(c *Context, t types.Type) error {
	o := c.D.Option("maxlife")
	if _, isPtr := t.Underlying().(*types.Pointer); isPtr {
		c.Spec.Conds["lifeByAddress"] = true
		c.Spec.Hooks["Pool.lifeKey"] = fmt.Sprintf("return uint64(uintptr(%s.Pointer(r)))", c.Scope.Import("unsafe"))
		c.Spec.HookDocs["Pool.lifeKey"] = "lifeKey identifies r among the resources that exist, for maxlife=: its\naddress, which no other resource has while r exists."
		return nil
	}
	if !types.Comparable(t) {
		return c.OptionErrorf(o, "option maxlife needs a resource type whose values can be compared, to know each one's age; %s is not comparable%s",
			c.D.Args[0].Text, whyNotComparable(t))
	}
	c.Spec.Hooks["Pool.lifeKey"] = fmt.Sprintf("return %s.Comparable(lifeSeed, r)", c.Scope.Import("hash/maphash"))
	c.Spec.HookDocs["Pool.lifeKey"] = "lifeKey identifies r among the resources that exist, for maxlife=: its\nhash under a seed chosen at program start."
	return nil
}

// resPoolHotSlot makes each hot slot of a pool of pointers one word that Get
// and Put update atomically, nil meaning empty, and turns the slots off for
// any other resource type: the template's slots take a mutex each, no
// cheaper than the pool's.
func resPoolHotSlot(c *Context, t types.Type) {
	_, isPtr := t.Underlying().(*types.Pointer)
	c.Spec.Conds["atomicSlots"] = isPtr // keeps the padding before the slots
	if !isPtr {
		c.Spec.Consts["hotSlot"] = "false"
		return
	}
	atomic, unsafe := c.Scope.Import("sync/atomic"), c.Scope.Import("unsafe")
	// The conversion back to T names the type parameter, which the stencil
	// replaces by the type argument.
	conv := "T"
	slot := fmt.Sprintf("(*%[1]s.Pointer)(%[1]s.Pointer(&p.hot[i].r))", unsafe)
	c.Spec.Hooks["Pool.hotHolds"] = "return r != nil"
	c.Spec.HookDocs["Pool.hotHolds"] = "hotHolds reports whether the hot slots can hold r: not when r is nil,\nwhich a slot uses for empty."
	c.Spec.Hooks["Pool.hotPut"] = fmt.Sprintf("return %s.CompareAndSwapPointer(%s, nil, %s.Pointer(r))", atomic, slot, unsafe)
	c.Spec.HookDocs["Pool.hotPut"] = "hotPut puts r in hot slot i if it is empty, and reports whether it was,\nwith one compare-and-swap."
	c.Spec.Hooks["Pool.hotSwap"] = fmt.Sprintf("old = %s(%s.SwapPointer(%s, %s.Pointer(r)))\nreturn old, old != nil", conv, atomic, slot, unsafe)
	c.Spec.HookDocs["Pool.hotSwap"] = "hotSwap puts r in hot slot i and returns the resource the slot held,\nif any, with one atomic swap."
	c.Spec.Hooks["Pool.hotTake"] = fmt.Sprintf("r = %s(%s.SwapPointer(%s, nil))\nreturn r, r != nil", conv, atomic, slot)
	c.Spec.HookDocs["Pool.hotTake"] = "hotTake empties hot slot i and returns the resource it held, if any,\nwith one atomic swap."
	c.Spec.Hooks["Pool.hotPeek"] = fmt.Sprintf("return %s.LoadPointer(%s) != nil", atomic, slot)
	c.Spec.HookDocs["Pool.hotPeek"] = "hotPeek reports whether hot slot i holds a resource."
	// Only the hook bodies, which the stencil reads as text, use the slots.
	c.Spec.Keep = append(c.Spec.Keep, "Pool.hot", "hotEntry.r")
}
