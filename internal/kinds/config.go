package kinds

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/stencil"
)

// configOption is the option config=true: the limits of the generated type
// come at run time, in a <Name>Config that New<Name> takes last, instead of
// being constants folded into the code.
var configOption = OptionSpec{Key: "config", Type: Bool,
	Doc: "true: New<Name> takes a <Name>Config as its last argument, whose zero fields take the directive's values, and the setters are generated (default false: every limit is a constant)"}

// runtimeField is a field of <Name>Config: the template's config field, its
// default (the directive's value, or the kind's default) as Go source, or
// "" when a zero value has no default, and its doc ("" keeps the template's,
// or leaves it to a HookDocs entry of the kind).
type runtimeField struct {
	Name, Default, Doc string
}

// runtimeConfig reports whether the directive says config=true, and sets
// the "config" condition of the spec either way.
func runtimeConfig(c *Context) bool {
	on := false
	if o := c.D.Option("config"); o != nil {
		on = o.Value.(bool)
	}
	c.Spec.Conds["config"] = on
	return on
}

// keepConfig keeps fields of the template's config type at run time, with
// their docs, and returns the constructor's parameter and the statements
// that give zero fields their defaults:
//
//	cfg DBSlotsConfig
//	if cfg.N == 0 {
//		cfg.N = 16
//	}
func keepConfig(c *Context, locals *emit.Locals, fields ...runtimeField) (param jen.Code, cfg string, defaults []jen.Code) {
	if c.Spec.Runtime == nil {
		c.Spec.Runtime = map[string]bool{}
	}
	cfg = locals.Name("cfg")
	k, _ := Lookup(c.D.Kind)
	c.Spec.HookDocs["Config"] = "Config holds the limits of a " + k.Main + " that come at run time. New takes it; a zero field takes the directive's value, or the default where the directive gives none."
	for _, f := range fields {
		c.Spec.Runtime[f.Name] = true
		if f.Doc != "" {
			c.Spec.HookDocs["Config."+f.Name] = f.Doc
		}
		if f.Default != "" {
			// time.Minute, not the 1 * time.Minute of DurationExpr.
			def := strings.TrimPrefix(f.Default, "1 * ")
			defaults = append(defaults, jen.If(jen.Id(cfg).Dot(f.Name).Op("==").Lit(0)).Block(
				jen.Id(cfg).Dot(f.Name).Op("=").Id(def),
			))
		}
	}
	return jen.Id(cfg).Id(configType(c)), cfg, defaults
}

// configType is the name of the generated config type.
func configType(c *Context) string {
	k, _ := Lookup(c.D.Kind)
	return stencil.Rename("Config", k.Main, c.D.Name)
}

// zeroTakes says in a doc comment what a zero field takes: "Zero takes
// n=16 from the directive.", or "Zero takes the default, 10s." when the
// directive does not give key.
func zeroTakes(c *Context, key, def string) string {
	if o := c.D.Option(key); o != nil {
		return fmt.Sprintf("Zero takes %s=%s from the directive.", key, o.Raw)
	}
	return fmt.Sprintf("Zero takes the default, %s.", def)
}

// configArgs appends to the arguments of a call of New<Name> in emitted
// benchmarks its config: the zero <Name>Config, whose fields take the
// directive's values.
func configArgs(c *Context, args ...string) string {
	if c.Spec.Conds["config"] {
		args = append(args, configType(c)+"{}")
	}
	return strings.Join(args, ", ")
}

// epochConfigCtors returns the constructors of a config=true kind whose
// template's init takes the epoch of its clock (main's init(epoch)):
//
//	// NewAPI returns ... (doc(cfg), with the name of the config parameter)
//	func NewAPI(cfg APIConfig) *API {
//		return NewAPIAt(time.Now(), cfg)
//	}
//
//	// NewAPIAt is NewAPI with an explicit epoch... (atDoc)
//	func NewAPIAt(epoch time.Time, cfg APIConfig) *API {
//		if cfg.Rate == 0 {
//			cfg.Rate = 100
//		}
//		...
//		l := &API{cfg: cfg}
//		l.init(epoch)
//		return l
//	}
//
// fields are the config's fields kept at run time (keepConfig).
func epochConfigCtors(c *Context, main string, doc func(cfg string) string, atDoc string, fields []runtimeField) (ctor, ctorAt string) {
	name, newName := c.D.Name, stencil.Rename("New", main, c.D.Name)
	tm := c.Scope.Import("time")
	locals := c.Scope.Func()
	cfg := locals.Name("cfg")
	f := jen.Func().Id(newName).Params(jen.Id(cfg).Id(configType(c))).Op("*").Id(name).Block(
		jen.Return(jen.Id(newName+"At").Call(jen.Id(tm).Dot("Now").Call(), jen.Id(cfg))),
	)
	ctor = wrap(doc(cfg)) + "\n" + fmt.Sprintf("%#v", f)
	locals = c.Scope.Func()
	epoch := locals.Name("epoch")
	param, cfg, defaults := keepConfig(c, locals, fields...)
	l := locals.Name("l")
	body := append(defaults,
		jen.Id(l).Op(":=").Op("&").Id(name).Values(jen.Dict{jen.Id("cfg"): jen.Id(cfg)}),
		jen.Id(l).Dot("init").Call(jen.Id(epoch)),
		jen.Return(jen.Id(l)),
	)
	var at jen.Code = jen.Null()
	for i, line := range strings.Split(wrap(fmt.Sprintf("// %sAt is %s %s", newName, newName, atDoc)), "\n") {
		line = strings.TrimPrefix(strings.TrimPrefix(line, "//"), " ")
		if i == 0 {
			at = jen.Comment(line)
		} else {
			at = jen.Add(at).Line().Comment(line)
		}
	}
	f = jen.Add(at).Line().Func().Id(newName+"At").Params(jen.Id(epoch).Id(tm).Dot("Time"), param).Op("*").Id(name).Block(body...)
	return ctor, fmt.Sprintf("%#v", f)
}
