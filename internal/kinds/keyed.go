package kinds

import (
	"fmt"
	"go/token"
	"go/types"
	"math"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/model"
	"github.com/monogen/monogen/internal/stencil"
)

// defaultIdle is how long a keyed limiter's bucket stays full before a sweep
// may evict it, when the directive does not say: idle=.
const defaultIdle = time.Minute

// //monogen:ratelimit Name[K] algo=token rate=R burst=B idle=D keys=N
func init() {
	RegisterKeyed(&Kind{
		Name:     "ratelimit",
		Template: "keyedrate",
		Main:     "Limiter",
		Params:   []string{"K"},
		Uses:     []string{"shardmap"},
		Doc:      "rate limiter per key, a token bucket each: Name[K] rate=10/s burst=5 idle=1m keys=100000",
		Options: []OptionSpec{
			{Key: "algo", Type: Enum, Enum: []string{"token", "window"}, Doc: "token: a keyed limiter is a token bucket per key"},
			{Key: "rate", Type: RateOpt, Doc: "tokens added to each key's bucket per period, such as 10/s (required, unless config=true gives it at run time)"},
			{Key: "burst", Type: Int, Min: 1, Doc: "tokens each key's bucket holds (default 1)"},
			{Key: "idle", Type: Duration, Doc: "how long a key's bucket stays full before it may be evicted; 0s never evicts for idleness (default 1m)"},
			{Key: "keys", Type: Int, Min: 1, Doc: "the most keys held at once: a new key is refused while none of them has a full bucket (default no limit)"},
			configOption,
		},
		Build: buildKeyedRateLimit,
		Bench: benchKeyedRateLimit,
	})
}

func buildKeyedRateLimit(c *Context) error {
	name := c.D.Name
	k := c.Types["K"]
	if !types.Comparable(k) {
		return c.ArgErrorf(0, "ratelimit key type %s is not comparable%s", c.D.Args[0].Text, whyNotComparable(k))
	}
	if o := c.D.Option("algo"); o != nil && o.Value.(string) != "token" {
		return c.OptionErrorf(o, "algo=%s has no keyed form: a keyed ratelimit %s[%s] is a token bucket per key; want algo=token, or no type argument for one sliding window", o.Raw, name, c.D.Args[0].Text)
	}
	config := runtimeConfig(c)
	o := c.D.Option("rate")
	if o == nil && !config {
		return c.Errorf("ratelimit %s[%s] needs rate=, such as rate=10/s, or config=true to give it at run time", name, c.D.Args[0].Text)
	}
	interval := time.Duration(0)
	if o != nil {
		r := o.Value.(model.Rate)
		interval = r.Per / time.Duration(r.N)
		if interval < 1 || interval*time.Duration(r.N) != r.Per {
			return c.OptionErrorf(o, "rate=%s does not divide into whole nanoseconds; want a rate whose interval (period / count) is a whole number of nanoseconds, such as 100/s", o.Raw)
		}
	}
	burst := int64(1)
	if b := c.D.Option("burst"); b != nil {
		burst = b.Value.(int64)
		if interval > 0 && burst > math.MaxInt64/int64(interval) {
			return c.OptionErrorf(b, "burst=%d is too large for rate=%s: the bucket would hold more than 292 years of tokens", burst, o.Raw)
		}
	}
	idle := defaultIdle
	if o := c.D.Option("idle"); o != nil {
		idle = o.Value.(time.Duration)
	}
	keys := int64(0)
	if o := c.D.Option("keys"); o != nil {
		keys = o.Value.(int64)
	}
	c.Spec.Config["Interval"] = DurationExpr(interval, c.Scope)
	c.Spec.Config["Burst"] = fmt.Sprint(burst)
	c.Spec.Config["Idle"] = DurationExpr(idle, c.Scope)
	c.Spec.Config["Keys"] = fmt.Sprint(keys)
	c.Spec.Conds["keys"] = keys > 0 || config
	c.Spec.Keep = append(c.Spec.Keep, "Limiter.init")
	if nanKeys(c, k) {
		c.Spec.HookDocs["Limiter.Allow"] = "Allow reports whether an event of key may happen now, and if so counts\nit. It never blocks. It returns false for a key that is not equal to\nitself (a NaN, or a value holding one), which no map finds again."
	}

	if err := keyMapInEntries(c, "Limiter"); err != nil {
		return err
	}
	if config {
		return buildConfigKeyedRateLimit(c, o, interval, burst, idle, keys)
	}

	newName := stencil.Rename("New", "Limiter", name)
	tm := c.Scope.Import("time")
	what := fmt.Sprintf("%s returns a rate limiter per %s: each key has a token bucket of %d tokens refilled at one per %s, full when the key is first seen.",
		newName, c.D.Args[0].Text, burst, interval)
	if idle > 0 {
		what += fmt.Sprintf(" A key whose bucket has been full for %s may be evicted.", shortDuration(idle))
	}
	if keys > 0 {
		what += fmt.Sprintf(" It holds at most %d keys: a new key is refused while none of them has a full bucket.", keys)
	}
	// // NewPerIP returns a rate limiter per netip.Addr: ...
	// func NewPerIP() *PerIP {
	// 	return NewPerIPAt(time.Now())
	// }
	ctor := jen.Func().Id(newName).Params().Op("*").Id(name).Block(
		jen.Return(jen.Id(newName + "At").Call(jen.Id(tm).Dot("Now").Call())),
	)
	locals := c.Scope.Func()
	epoch, l := locals.Name("epoch"), locals.Name("l")
	ctorAt := jen.Commentf("%sAt is %s with an explicit epoch. Tests use it with AllowAt to", newName, newName).Line().
		Comment("control time.").Line().
		Func().Id(newName+"At").Params(jen.Id(epoch).Id(tm).Dot("Time")).Op("*").Id(name).Block(
		jen.Id(l).Op(":=").Op("&").Id(name).Values(),
		jen.Id(l).Dot("init").Call(jen.Id(epoch)),
		jen.Return(jen.Id(l)),
	)
	c.Spec.Rename["NewAt"] = newName + "At"
	sweep := "Sweep evicts the buckets that are full."
	if idle > 0 {
		sweep = fmt.Sprintf("Sweep evicts the buckets that have been full for %s or longer.", shortDuration(idle))
	}
	c.Spec.HookDocs["Limiter.Sweep"] = sweep + "\nAllow sweeps on its own when it creates a key; Sweep is for a program that\nwants the memory of idle keys back when no new key comes."

	c.Emit = append(c.Emit, wrap("// "+what)+"\n"+fmt.Sprintf("%#v", ctor), fmt.Sprintf("%#v", ctorAt))
	return nil
}

// buildConfigKeyedRateLimit emits the constructors of a config=true keyed
// rate limiter: each key's interval and burst, the idle time and the key
// limit come at run time. The config gives the interval between tokens, as
// the template's does, rather than the unkeyed limiter's Rate: every Allow
// reads it, and a rate would need a second field, derived once, that the
// config does not show.
func buildConfigKeyedRateLimit(c *Context, o *model.Option, interval time.Duration, burst int64, idle time.Duration, keys int64) error {
	newName := stencil.Rename("New", "Limiter", c.D.Name)
	zeroI, defI := "Zero is invalid: the directive gives no rate=.", ""
	if o != nil {
		zeroI, defI = fmt.Sprintf("Zero takes %s, rate=%s from the directive.", interval, o.Raw), DurationExpr(interval, c.Scope)
	}
	fields := append([]runtimeField{
		{Name: "Interval", Default: defI, Doc: "Interval is the time between two tokens of a key: 100ms for 10 events per second. " + zeroI},
		{Name: "Burst", Default: fmt.Sprint(burst), Doc: "Burst is the number of tokens each key's bucket holds: the events of a key admitted at once. " + zeroTakes(c, "burst", "1")},
	}, keyedLimitFields(c, idle, keys, "has its bucket full", "the Allow of a new key returns false while none of them has a full bucket")...)
	ctor, ctorAt := epochConfigCtors(c, "Limiter",
		func(cfg string) string {
			return fmt.Sprintf("// %s returns a rate limiter per %s: each key has a token bucket of %s.Burst tokens refilled at one per %s.Interval, full when the key is first seen; a key whose bucket has been full for %s.Idle may be evicted, and with %s.Keys above zero it holds at most that many keys. It panics if a field of %s is out of range.",
				newName, c.D.Args[0].Text, cfg, cfg, cfg, cfg, cfg)
		},
		"with an explicit epoch. Tests use it with AllowAt to\ncontrol time.", fields)
	c.Spec.Rename["NewAt"] = newName + "At"
	c.Spec.HookDocs["Limiter.Sweep"] = "Sweep evicts the buckets that have been full for the configured Idle or\nlonger (with Idle zero, every full bucket).\nAllow sweeps on its own when it creates a key; Sweep is for a program that\nwants the memory of idle keys back when no new key comes."
	c.Emit = append(c.Emit, ctor, ctorAt)
	return nil
}

// keyMapFor stencils the map template for a keyed kind whose template keeps
// its keys' state in keyMap[K], an alias of shardmap.Map[K, *state], as the
// map kind would for //monogen:map <name>KeyMap[K, *<name>State]: the key is
// hashed by the hasher specialized for K. The keyed template's keyMap,
// newKeyMap and compute operations are renamed to the map's names.
func keyMapFor(c *Context, main, state string) error {
	return keyMapOf(c, main, state, c.D.Args[0])
}

// keyMapOf is keyMapFor for a kind whose key type K is not its first type
// argument: key is the argument K stands for (a keyed breaker's key= gives
// it).
func keyMapOf(c *Context, main, state string, key model.Arg) error {
	stateName := stencil.Rename(state, main, c.D.Name)
	c.Spec.Rename[state] = stateName
	// The state type is generated with the directive: a type of the
	// package, for the map kind's decisions on V (a pointer: stored in
	// place).
	v := types.NewPointer(types.NewNamed(types.NewTypeName(token.NoPos, c.Self, stateName, nil), types.NewStruct(nil, nil), nil))
	return stencilKeyMap(c, main, key, v, "*"+stateName, false)
}

// keyMapInEntries stencils the map template for a keyed kind whose template
// keeps each key's state in the key's entry of the map: keyMap[K], an alias
// of shardmap.Map[K, int64], whose values the template updates in place
// with atomics through the map's pointer methods (LoadPointer,
// ComputePointer, AllPointers), as the map kind would for //monogen:map
// <name>KeyMap[K, int64] with those methods.
func keyMapInEntries(c *Context, main string) error {
	return stencilKeyMap(c, main, c.D.Args[0], types.Typ[types.Int64], "int64", true)
}

// stencilKeyMap builds the map spec of keyMapOf and keyMapInEntries: values
// of type v, written vText in the output, and the pointer methods if
// pointers is set.
func stencilKeyMap(c *Context, main string, key model.Arg, v types.Type, vText string, pointers bool) error {
	mapName := stencil.Rename("keyMap", main, c.D.Name)
	c.Spec.Rename["keyMap"] = mapName
	c.Spec.Rename["newKeyMap"] = stencil.Rename("New", "Map", mapName)
	for _, op := range []string{"ComputeOp", "CancelOp", "UpdateOp", "DeleteOp"} {
		c.Spec.Rename[strings.ToLower(op[:1])+op[1:]] = stencil.Rename(op, "Map", mapName)
	}
	spec := NewSpec(mapName, "Map")
	spec.Types["K"] = c.Type("K")
	spec.Types["V"] = vText
	d := *c.D
	d.Kind, d.Name, d.Args, d.Options = "map", mapName, []model.Arg{key}, nil
	mc := &Context{D: &d, Types: map[string]types.Type{"K": c.Types["K"], "V": v}, Scope: c.Scope, Self: c.Self, Spec: spec}
	if err := buildMap(mc); err != nil {
		return err
	}
	spec.Conds["pointers"] = pointers
	c.Also = append(c.Also, Also{Template: "shardmap", Spec: spec})
	c.Emit = append(c.Emit, mc.Emit...)
	return nil
}

// nanKeys sets the nanKeys constant and condition of a keyed kind: whether
// its key type k can hold a value not equal to itself (a NaN), which the
// generated type refuses, since its map could never find it again.
func nanKeys(c *Context, k types.Type) bool {
	may := emit.MayBeNaN(k)
	c.Spec.Consts["nanKeys"] = fmt.Sprint(may)
	c.Spec.Conds["nanKeys"] = may
	return may
}

// benchKeyedRateLimit emits BenchmarkName for a keyed rate limiter: Allow
// over keyedBenchKeys distinct keys, whatever it answers.
func benchKeyedRateLimit(c *Context) ([]string, error) {
	if err := buildKeyedRateLimit(c); err != nil {
		return nil, err
	}
	if c.D.Option("rate") == nil {
		return nil, c.NoBenchf("bench=true needs rate= to give the template its rate")
	}
	return benchKeyed(c, "keyedrate", "Limiter", []string{"Interval", "Burst", "Idle", "Keys"},
		"Allow", "$x.Allow($k)", "on Allow over %d distinct keys from all goroutines in parallel, whatever it answers")
}

// benchKeyed emits BenchmarkName for a keyed kind built in c: the generated
// type against the template tplDir's tplType instantiated with the
// directive's key and the config fields cfgFields, on op over
// keyedBenchKeys distinct keys from all goroutines, each key's state
// created before the timing starts. op is the code of one operation on the
// value $x with the key $k; what ends the doc comment, with a %d for the
// number of keys.
func benchKeyed(c *Context, tplDir, tplType string, cfgFields []string, opName, op, what string) ([]string, error) {
	tpl := c.Scope.Import(TemplatePath + tplDir)
	tplNew := fmt.Sprintf("%s.New[%s](%s)", tpl, c.Type("K"), configLiteral(tpl, c.Spec.Config, cfgFields))
	return benchKeyedWith(c, c.Scope.Func(), "K", fmt.Sprintf("%s.%s[%s]", tplDir, tplType, c.D.Args[0].Text), tplNew, opName, op, what)
}

// benchKeyedWith is benchKeyed with the keys of the type parameter param
// (a keyed breaker's requests, Req), the template described by tplDesc and
// built by tplNew, whose $ locals are those of locals.
func benchKeyedWith(c *Context, locals *emit.Locals, param, tplDesc, tplNew, opName, op, what string) ([]string, error) {
	key, ok := emitKey(c, param, locals.Name("i"))
	if !ok {
		return nil, c.NoBenchf("bench=true: cannot make distinct %s of type %s for a benchmark", map[bool]string{true: "keys", false: "requests"}[param == "K"], c.Type(param))
	}
	testing := c.Scope.Import("testing")
	on := func(x string) string { return strings.ReplaceAll(op, "$x", x) }
	var b strings.Builder
	fmt.Fprintf(&b, `%[6]sfunc Benchmark%[1]s($b *%[3]s.B) {
	$keys := make([]%[4]s, %[7]d)
	for $i := range $keys {
		$keys[$i] = %[5]s
	}
	$generated, $template := %[8]s, %[2]s
	for _, $k := range $keys {
		%[12]s
		%[13]s
	}
	$b.Run("op=%[11]s/impl=generated", func($b *%[3]s.B) {
		$b.ReportAllocs()
		$b.RunParallel(func($pb *%[3]s.PB) {
			$i := 0
			for $pb.Next() {
				$k := $keys[$i&%[10]d]
				%[12]s
				$i += 7
			}
		})
	})
	$b.Run("op=%[11]s/impl=template", func($b *%[3]s.B) {
		$b.ReportAllocs()
		$b.RunParallel(func($pb *%[3]s.PB) {
			$i := 0
			for $pb.Next() {
				$k := $keys[$i&%[10]d]
				%[13]s
				$i += 7
			}
		})
	})
}
`, upper(c.D.Name), tplNew, testing, c.Type(param), key, benchDoc(upper(c.D.Name), fmt.Sprintf(
		"Benchmark%[1]s measures %[1]s against the generic template it was generated from, %[2]s, with the same options, "+what+".",
		upper(c.D.Name), tplDesc, keyedBenchKeys)), keyedBenchKeys, newName(c)+"("+configArgs(c)+")", "", keyedBenchKeys-1,
		opName, on("$generated"), on("$template"))
	return []string{withLocals(b.String(), locals)}, nil
}

// keyedBenchKeys is the number of distinct keys of a keyed benchmark.
const keyedBenchKeys = 1 << 16

// emitKey writes the expression of a distinct value of the type of the
// type parameter param (the key type, K) made from the int local i, for
// benchmarks.
func emitKey(c *Context, param, i string) (string, bool) {
	key, ok := emit.KeyFrom(c.Types[param], jen.Id(i), c.Self, c.Scope)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%#v", key), true
}

// shortDuration writes d as the directive would: 1m, not 1m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// //monogen:semaphore Name[K] n=N idle=D keys=N
func init() {
	RegisterKeyed(&Kind{
		Name:     "semaphore",
		Template: "keyedsem",
		Main:     "Semaphore",
		Params:   []string{"K"},
		Uses:     []string{"shardmap"},
		Doc:      "weighted FIFO semaphore per key: Name[K] n=4 idle=1m keys=10000",
		Options: []OptionSpec{
			{Key: "n", Type: Int, Min: 1, Max: math.MaxInt64 / 2, Doc: "capacity of each key: the total weight its holders hold at once (required, unless config=true gives it at run time)"},
			{Key: "idle", Type: Duration, Doc: "how long a key stays without holders or waiters before it may be evicted; 0s never evicts for idleness (default 1m)"},
			{Key: "keys", Type: Int, Min: 1, Doc: "the most keys held at once: a new key is refused with Err<Name>TooManyKeys while every one has holders or waiters (default no limit)"},
			configOption,
		},
		Build: buildKeyedSemaphore,
		Bench: benchKeyedSemaphore,
	})
}

func buildKeyedSemaphore(c *Context) error {
	name := c.D.Name
	k := c.Types["K"]
	if !types.Comparable(k) {
		return c.ArgErrorf(0, "semaphore key type %s is not comparable%s", c.D.Args[0].Text, whyNotComparable(k))
	}
	nanKeys(c, k)
	config := runtimeConfig(c)
	o := c.D.Option("n")
	if o == nil && !config {
		return c.Errorf("semaphore %s[%s] needs the capacity of each key: n=, for example //monogen:semaphore %s[%s] n=4, or config=true to give it at run time", name, c.D.Args[0].Text, name, c.D.Args[0].Text)
	}
	n := int64(0)
	if o != nil {
		n = o.Value.(int64)
	}
	idle := defaultIdle
	if o := c.D.Option("idle"); o != nil {
		idle = o.Value.(time.Duration)
	}
	keys := int64(0)
	if o := c.D.Option("keys"); o != nil {
		keys = o.Value.(int64)
	}
	c.Spec.Config["N"] = fmt.Sprint(n)
	c.Spec.Config["Idle"] = DurationExpr(idle, c.Scope)
	c.Spec.Config["Keys"] = fmt.Sprint(keys)
	c.Spec.Conds["keys"] = keys > 0 || config
	c.Spec.Keep = append(c.Spec.Keep, "Semaphore.init")
	if err := keyMapFor(c, "Semaphore", "slot"); err != nil {
		return err
	}
	if config {
		return buildConfigKeyedSemaphore(c, o, n, idle, keys)
	}
	sweep := "Sweep evicts the keys that have no holder and no waiter."
	if idle > 0 {
		sweep = fmt.Sprintf("Sweep evicts the keys that have had no holder and no waiter since a\nsweep %s or more ago, and marks the other keys that have none.", shortDuration(idle))
	}
	c.Spec.HookDocs["Semaphore.Sweep"] = sweep + "\nAcquire and TryAcquire sweep on their own when they create a key; Sweep is\nfor a program that wants the memory of idle keys back when no new key\ncomes."

	newName := stencil.Rename("New", "Semaphore", name)
	what := fmt.Sprintf("%s returns a semaphore per %s: each key has a capacity of %d.", newName, c.D.Args[0].Text, n)
	if idle > 0 {
		what += fmt.Sprintf(" A key without holders or waiters for %s may be evicted.", shortDuration(idle))
	}
	if keys > 0 {
		what += fmt.Sprintf(" It holds at most %d keys: a new key is refused while every one has holders or waiters.", keys)
	}
	// // NewPerTenant returns a semaphore per TenantID: ...
	// func NewPerTenant() *PerTenant {
	// 	s := &PerTenant{}
	// 	s.init()
	// 	return s
	// }
	s := c.Scope.Func().Name("s")
	ctor := jen.Func().Id(newName).Params().Op("*").Id(name).Block(
		jen.Id(s).Op(":=").Op("&").Id(name).Values(),
		jen.Id(s).Dot("init").Call(),
		jen.Return(jen.Id(s)),
	)
	c.Emit = append(c.Emit, wrap("// "+what)+"\n"+fmt.Sprintf("%#v", ctor))
	return nil
}

// keyedLimitFields returns the config=true fields Idle and Keys of a keyed
// kind, whose directive says idle (or gets the default) and keys (0: no
// limit). idleWhat says what an idle key does ("stays without holders or
// waiters"), refused what happens to a new key when the kind holds Keys.
func keyedLimitFields(c *Context, idle time.Duration, keys int64, idleWhat, refused string) []runtimeField {
	defIdle, zeroIdle := "", "Zero, as the directive's idle=0s, turns eviction for idleness off."
	if idle > 0 {
		defIdle, zeroIdle = DurationExpr(idle, c.Scope), zeroTakes(c, "idle", shortDuration(defaultIdle))
	}
	defKeys, zeroKeys := "", "Zero is no limit."
	if keys > 0 {
		defKeys, zeroKeys = fmt.Sprint(keys), zeroTakes(c, "keys", fmt.Sprint(keys))
	}
	return []runtimeField{
		{Name: "Idle", Default: defIdle,
			Doc: "Idle is how long a key " + idleWhat + " before a sweep may evict it. " + zeroIdle},
		{Name: "Keys", Default: defKeys,
			Doc: "Keys is the most keys held at once: " + refused + ". " + zeroKeys},
	}
}

// buildConfigKeyedSemaphore emits the constructor of a config=true keyed
// semaphore: its capacity per key, idle time and key limit come at run time,
// in the template's Config, whose zero fields take the directive's values
// (the capacity has none unless the directive gives n=).
func buildConfigKeyedSemaphore(c *Context, o *model.Option, n int64, idle time.Duration, keys int64) error {
	name, newName := c.D.Name, stencil.Rename("New", "Semaphore", c.D.Name)
	maxN := stencil.Rename("MaxN", "Semaphore", name)
	zeroN, defN := "Zero is invalid: the directive gives no n=.", ""
	if o != nil {
		zeroN, defN = zeroTakes(c, "n", fmt.Sprint(n)), fmt.Sprint(n)
	}
	locals := c.Scope.Func()
	fields := append([]runtimeField{{Name: "N", Default: defN,
		Doc: "N is the capacity of each key: the total weight its holders hold at once, from 1 to " + maxN + ". " + zeroN}},
		keyedLimitFields(c, idle, keys, "stays without holders or waiters",
			"a new key is refused with Err"+name+"TooManyKeys while every one has holders or waiters")...)
	param, cfg, defaults := keepConfig(c, locals, fields...)
	c.Spec.HookDocs["Semaphore.Sweep"] = "Sweep evicts the keys that have had no holder and no waiter since a\nsweep the configured Idle or more ago, and marks the other keys that have\nnone; with Idle zero, every key that has none.\nAcquire and TryAcquire sweep on their own when they create a key; Sweep is\nfor a program that wants the memory of idle keys back when no new key\ncomes."
	// func NewPerTenant(cfg PerTenantConfig) *PerTenant {
	// 	if cfg.N == 0 {
	// 		cfg.N = 4
	// 	}
	// 	...
	// 	s := &PerTenant{cfg: cfg}
	// 	s.init()
	// 	return s
	// }
	s := locals.Name("s")
	body := append(defaults,
		jen.Id(s).Op(":=").Op("&").Id(name).Values(jen.Dict{jen.Id("cfg"): jen.Id(cfg)}),
		jen.Id(s).Dot("init").Call(),
		jen.Return(jen.Id(s)),
	)
	badN := fmt.Sprintf("%s.N is negative or more than %s", cfg, maxN)
	if o == nil {
		badN = fmt.Sprintf("%s.N is not from 1 to %s", cfg, maxN)
	}
	doc := wrap(fmt.Sprintf("// %s returns a semaphore per %s: each key has the capacity %s.N, a key without holders or waiters for %s.Idle may be evicted, and with %s.Keys above zero it holds at most that many keys. It panics if %s, or %s.Idle or %s.Keys is negative.",
		newName, c.D.Args[0].Text, cfg, cfg, cfg, badN, cfg, cfg))
	ctor := jen.Func().Id(newName).Params(param).Op("*").Id(name).Block(body...)
	c.Emit = append(c.Emit, doc+"\n"+fmt.Sprintf("%#v", ctor))
	return nil
}

// benchKeyedSemaphore emits BenchmarkName for a keyed semaphore:
// TryAcquire+Release of one unit over keyedBenchKeys distinct keys.
func benchKeyedSemaphore(c *Context) ([]string, error) {
	if err := buildKeyedSemaphore(c); err != nil {
		return nil, err
	}
	if c.D.Option("n") == nil {
		return nil, c.NoBenchf("bench=true needs n= to give the template its capacity")
	}
	return benchKeyed(c, "keyedsem", "Semaphore", []string{"N", "Idle", "Keys"},
		"TryAcquire+Release", "if $x.TryAcquire($k, 1) {\n$x.Release($k, 1)\n}", "on TryAcquire+Release of one unit over %d distinct keys from all goroutines in parallel")
}
