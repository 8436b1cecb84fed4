package kinds

import (
	"fmt"
	"go/types"
	"slices"
	"strings"
	"time"

	"github.com/monogen/monogen/internal/model"
	"github.com/monogen/monogen/internal/stencil"
)

// //monogen:breaker Name[Req, Resp] key=k fn=f ... idle=D keys=N
//
// The options are the breaker's (registered in breaker.go, whose init runs
// before this file's), with onchange= taking the key too, and key=, idle=,
// keys=.
func init() {
	base, ok := Lookup("breaker")
	if !ok {
		panic("kinds: the keyed breaker is registered before the breaker")
	}
	options := slices.Clone(base.Options)
	for i, o := range options {
		if o.Key == "onchange" {
			options[i].Doc = "func(key K, from, to NameState, counts NameCounts) called on every change of state of a key's breaker, outside its lock"
		}
	}
	options = append(options,
		OptionSpec{Key: "key", Type: Func, Doc: "func(Req) K giving the key of a request, of a comparable type K: each key has a breaker of its own (selects the keyed breaker)"},
		OptionSpec{Key: "idle", Type: Duration, Doc: "how long a key goes without a call before it may be evicted; 0s never evicts for idleness (default 1m)"},
		OptionSpec{Key: "keys", Type: Int, Min: 1, Doc: "the most keys held at once: a call of a new key is rejected with Err<Name>TooManyKeys while no key can be evicted (default no limit)"},
	)
	RegisterKeyed(&Kind{
		Name:      "breaker",
		Template:  "keyedbrk",
		Main:      "Breaker",
		Params:    []string{"Req", "Resp"},
		KeyOption: "key",
		Uses:      []string{"shardmap"},
		Doc:       "circuit breaker per key: Name[Req, Resp] key=hostOf fn=f failures=5 cooldown=30s idle=1m keys=10000",
		Options:   options,
		Build:     buildKeyedBreaker,
		Bench:     benchKeyedBreaker,
	})
}

func buildKeyedBreaker(c *Context) error {
	o := c.D.Option("key")
	fn := o.Value.(*types.Func)
	sig := fn.Type().(*types.Signature)
	qual := types.RelativeTo(c.Self)
	if sig.TypeParams().Len() > 0 || sig.Variadic() || sig.Params().Len() != 1 || sig.Results().Len() != 1 ||
		!types.Identical(sig.Params().At(0).Type(), c.Types["Req"]) {
		return c.OptionErrorf(o, "key function %s has type %s; want func(%s) K, giving the key of a request: one value of a comparable type K",
			fn.Name(), types.TypeString(sig, qual), c.D.Args[0].Text)
	}
	k := sig.Results().At(0).Type()
	if !types.Comparable(k) {
		return c.OptionErrorf(o, "key function %s returns %s, which is not comparable%s; want a key type that == compares, such as string",
			fn.Name(), types.TypeString(k, qual), whyNotComparable(k))
	}
	c.Types["K"] = k
	c.Spec.Types["K"] = c.Scope.Type(k)
	nanKeys(c, k)
	c.Spec.Hooks["Breaker.key"] = fmt.Sprintf("return %s(req)", stencil.User(fn.Name()))
	c.Spec.HookDocs["Breaker.key"] = fmt.Sprintf("key returns the key of req: %s, the directive's key=, computes it.", stencil.User(fn.Name()))

	idle := defaultIdle
	if o := c.D.Option("idle"); o != nil {
		idle = o.Value.(time.Duration)
	}
	keys := int64(0)
	if o := c.D.Option("keys"); o != nil {
		keys = o.Value.(int64)
	}
	c.Spec.Config["Idle"] = DurationExpr(idle, c.Scope)
	c.Spec.Config["Keys"] = fmt.Sprint(keys)
	config := runtimeConfig(c)
	c.Spec.Conds["keys"] = keys > 0 || config
	if err := buildBreakerFor(c, k, keyedLimitFields(c, idle, keys, "goes without a call", "a new key is refused with Err"+c.D.Name+"TooManyKeys while no key can be evicted")...); err != nil {
		return err
	}
	if err := keyMapOf(c, "Breaker", "circuit", model.Arg{Text: types.TypeString(k, qual), Pos: o.ValuePos, Type: k}); err != nil {
		return err
	}
	sweep := "Sweep evicts the keys whose breaker is closed, with no call in flight\nand an empty window."
	if config {
		sweep = "Sweep evicts the keys on which no call has started since a sweep, or\ntheir creation, the configured Idle or more earlier (with Idle zero, any\nkey), and whose breaker is closed, with no call in flight and an empty\nwindow."
	} else if idle > 0 {
		sweep = fmt.Sprintf("Sweep evicts the keys on which no call has started since a sweep, or\ntheir creation, %s or more earlier, and whose breaker is closed, with\nno call in flight and an empty window.", shortDuration(idle))
	}
	c.Spec.HookDocs["Breaker.Sweep"] = sweep + "\nExecute sweeps on its own when it creates a key; Sweep is for a program\nthat wants the memory of idle keys back when no new key comes."
	return nil
}

// benchKeyedBreaker emits BenchmarkName for a keyed breaker with fn= bound:
// Execute over keyedBenchKeys distinct requests (as many keys, when the key
// function tells them apart), against the template with the same key
// function, function, fallback and options.
func benchKeyedBreaker(c *Context) ([]string, error) {
	if err := buildKeyedBreaker(c); err != nil {
		return nil, err
	}
	if c.D.Option("fn") == nil {
		return nil, c.NoBenchf("bench=true on a breaker needs fn=: the benchmark runs the bound function")
	}
	req, resp, k := c.Type("Req"), c.Type("Resp"), c.Type("K")
	ctx := c.Scope.Import("context")
	tpl := c.Scope.Import(TemplatePath + "keyedbrk")
	locals := c.Scope.Func()
	// The template gets the calls the generated hooks make, as func values.
	fn := fmt.Sprintf("func($ctx %s.Context, $req %s) (%s, error) {\n%s\n}", ctx, req, resp, hookFunc(c.Spec.Hooks["Breaker.call"], locals, "ctx", "req"))
	fallback := "nil"
	if body, ok := c.Spec.Hooks["Breaker.fallback"]; ok {
		fallback = fmt.Sprintf("func($ctx %s.Context, $req %s, $err error) (%s, error) {\n%s\n}", ctx, req, resp, hookFunc(body, locals, "ctx", "req", "err"))
	}
	cfg := configLiteral(tpl, c.Spec.Config, []string{"Failures", "Ratio", "Cooldown", "HalfOpen", "Window", "Buckets", "Slow", "Idle", "Keys"})
	tplNew := fmt.Sprintf("%s.New(%s, %s, %s, %s)", tpl, c.D.Option("key").Raw, fn, fallback, cfg)
	var setters []string
	if o := c.D.Option("failure"); o != nil {
		setters = append(setters, fmt.Sprintf("$b.SetFailure(%s)", o.Raw))
	}
	if o := c.D.Option("onchange"); o != nil {
		setters = append(setters, fmt.Sprintf("$b.SetOnChange(func($key %[4]s, $from, $to %[1]s.State, $counts %[1]s.Counts) { %[2]s($key, %[3]sState($from), %[3]sState($to), %[3]sCounts($counts)) })",
			tpl, o.Raw, c.D.Name, k))
	}
	if len(setters) > 0 {
		tplNew = fmt.Sprintf("func() *%s.Breaker[%s, %s, %s] {\n$b := %s\n%s\nreturn $b\n}()", tpl, k, req, resp, tplNew, strings.Join(setters, "\n"))
	}
	return benchKeyedWith(c, locals, "Req", fmt.Sprintf("keyedbrk.Breaker[%s, %s, %s]", types.TypeString(c.Types["K"], types.RelativeTo(c.Self)), c.D.Args[0].Text, c.D.Args[1].Text), tplNew,
		"Execute", "_, _ = $x.Execute("+ctx+".Background(), $k)",
		"on Execute over %d distinct requests from all goroutines in parallel, whatever it answers")
}
