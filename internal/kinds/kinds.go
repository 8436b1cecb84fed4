// Package kinds registers the directive kinds: for each, the template it
// stencils, its type parameters, its options, and how a directive becomes a
// stencil spec (constants, conditions, hook bodies) plus emitted code.
//
// Adding a kind is one file here with a Register call; see the templates
// package documentation for the whole recipe.
package kinds

import (
	"fmt"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/model"
	"github.com/monogen/monogen/internal/stencil"
)

// OptionType says how an option's value is written and parsed.
type OptionType int

const (
	Int        OptionType = iota // 64
	PowerOfTwo                   // 64, 1024
	Duration                     // 50ms, 2s
	Bool                         // true, false
	Func                         // name of a package-level function
	Enum                         // one of a fixed set of words
	IntList                      // 1,4,2
	IdentList                    // parse,enrich,store
	RateOpt                      // 100/s
	Float                        // 0.5
	Ref                          // the Name of another directive of the package
)

var typeNames = map[OptionType]string{
	Int: "an integer", PowerOfTwo: "a power of two", Duration: "a duration such as 50ms",
	Bool: "true or false", Func: "the name of a package-level function", Enum: "one of",
	IntList: "a comma-separated list of integers", IdentList: "a comma-separated list of names",
	RateOpt: "a rate such as 100/s", Float: "a number such as 0.5",
	Ref: "the name of another directive of the package",
}

// OptionSpec declares one option of a kind.
type OptionSpec struct {
	Key  string
	Type OptionType
	Enum []string // for Enum
	Min  int64    // smallest allowed value for Int and PowerOfTwo
	Max  int64    // largest, when not zero
	// RefKind is, for Ref, the kind of directive the option names.
	RefKind string
	Doc     string
}

// Kind is one directive kind.
type Kind struct {
	Name     string   // the directive: //monogen:<Name>
	Template string   // the template directory under templates/
	Main     string   // the template's main type
	Params   []string // the template's type parameters, in directive order
	MinArgs  int      // fewer type arguments accepted (pool Name[In]); 0 means len(Params)
	Doc      string   // one line for monogen -h
	Options  []OptionSpec
	// Build checks the directive and fills the plan. Errors are *model.Error.
	Build func(c *Context) error
	// Bench, when set, emits benchmarks of the generated type against the
	// template instantiated with the same types (bench=true): declarations
	// for x_monogen_bench_test.go, named with impl=generated|template.
	Bench func(c *Context) ([]string, error)
}

// TemplatePath is the import path prefix of the template packages, which
// user benchmarks import as the generic reference.
const TemplatePath = "github.com/monogen/monogen/templates/"

// newName is the generated constructor's name.
func newName(c *Context) string { return stencil.Rename("New", "", c.D.Name) }

// upper is name with its first letter upper-cased, for Benchmark<Name>.
func upper(name string) string {
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// Context is what Build works with.
type Context struct {
	D     *model.Directive
	Types map[string]types.Type // type parameter -> concrete type
	// Scope names the output file's imports and the locals of emitted code.
	Scope *emit.Scope
	Self  *types.Package
	// Spec is the stencil spec Build fills (Consts, Config, Conds, Hooks, Keep, Drop).
	Spec *stencil.Spec
	// More are further stencil runs of the same template for this directive
	// (a pipeline stencils its stage type once per stage). Build fills Name,
	// Main and Types of each; Imports is set by the generator. Their code
	// follows the main spec's, in order.
	More []*stencil.Spec
	// Emit collects declarations (Go source) to add after the stenciled code:
	// constructors, guards. They are final: they spell the generated names
	// (NewName, Name), the user's types and functions and the imports as
	// the output has them, nothing renames them afterwards, and their locals
	// are named by Scope.Func().
	Emit []string
	// Lookup finds another directive of the same package by the Name it
	// generates, for options that compose with it (a pool's rate=API). ok is
	// false when no directive of the package declares name; d is nil when
	// one does but failed with errors of its own, already reported. Lookup
	// is nil where no other directive can be seen (a directive checked on
	// its own).
	Lookup func(name string) (d *model.Directive, ok bool)
}

// Composed resolves option o, of type Ref, to the directive it names, which
// must be of kind want ("ratelimit"). what says what the option expects, for
// errors ("a rate limiter"). It returns nil, nil when the directive named
// has errors of its own (already reported) or when c has no Lookup.
func (c *Context) Composed(o *model.Option, want, what string) (*model.Directive, error) {
	name := o.Value.(string)
	if c.Lookup == nil {
		return nil, nil
	}
	d, ok := c.Lookup(name)
	if !ok {
		return nil, c.OptionErrorf(o, "option %s=%s: no directive of package %s declares %s; want the Name of %s, declared in the package by //monogen:%s %s ...",
			o.Key, name, c.Self.Name(), name, what, want, name)
	}
	if d == nil {
		return nil, nil
	}
	if d.Kind != want {
		return nil, c.OptionErrorf(o, "option %s=%s names a %s (the directive at %s); want %s, declared by //monogen:%s",
			o.Key, name, d.Kind, shortPos(d.Pos), what, want)
	}
	return d, nil
}

// shortPos writes a position as file.go:line:col, without the directory.
func shortPos(p token.Position) string {
	p.Filename = filepath.Base(p.Filename)
	return p.String()
}

// NewSpec returns an empty stencil spec for a further run (see More).
func NewSpec(name, main string) *stencil.Spec {
	return &stencil.Spec{
		Name: name, Main: main,
		Types: map[string]string{}, Consts: map[string]string{}, Config: map[string]string{},
		Conds: map[string]bool{}, Hooks: map[string]string{}, HookDocs: map[string]string{}, Rename: map[string]string{},
	}
}

// Type spells a type parameter's concrete type for the output file.
func (c *Context) Type(param string) string { return c.Scope.Type(c.Types[param]) }

// Errorf returns an error at the directive.
func (c *Context) Errorf(format string, args ...any) error {
	return model.Errorf(c.D.Pos, format, args...)
}

// ArgErrorf returns an error at the i-th type argument.
func (c *Context) ArgErrorf(i int, format string, args ...any) error {
	return model.Errorf(c.D.Args[i].Pos, format, args...)
}

// OptionErrorf returns an error at an option's value.
func (c *Context) OptionErrorf(o *model.Option, format string, args ...any) error {
	return model.Errorf(o.ValuePos, format, args...)
}

var registry = map[string]*Kind{}

// Register adds a kind. It panics on a duplicate, at init time.
func Register(k *Kind) {
	if _, dup := registry[k.Name]; dup {
		panic("kinds: duplicate kind " + k.Name)
	}
	if k.MinArgs == 0 {
		k.MinArgs = len(k.Params)
	}
	registry[k.Name] = k
}

// Lookup returns the kind with the given name.
func Lookup(name string) (*Kind, bool) {
	k, ok := registry[name]
	return k, ok
}

// Names returns the registered kinds, sorted.
func Names() []string {
	var out []string
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Templates returns the template directories of the registered kinds.
func Templates() []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range registry {
		if !seen[k.Template] {
			seen[k.Template] = true
			out = append(out, k.Template)
		}
	}
	sort.Strings(out)
	return out
}

func (k *Kind) option(key string) *OptionSpec {
	for i := range k.Options {
		if k.Options[i].Key == key {
			return &k.Options[i]
		}
	}
	return nil
}

// ParseOption checks an option against the kind and parses its value. Func
// options are resolved in scope.
func (k *Kind) ParseOption(o *model.Option, scope *types.Scope) error {
	spec := k.option(o.Key)
	if spec == nil {
		var keys []string
		for _, s := range k.Options {
			keys = append(keys, s.Key)
		}
		msg := "no options"
		if len(keys) > 0 {
			msg = "options are " + strings.Join(keys, ", ")
		}
		return model.Errorf(o.KeyPos, "unknown option %q for %s; %s", o.Key, k.Name, msg)
	}
	bad := func() error {
		want := typeNames[spec.Type]
		if spec.Type == Enum {
			want += " " + strings.Join(spec.Enum, ", ")
		}
		return model.Errorf(o.ValuePos, "bad value %q for option %s: want %s", o.Raw, o.Key, want)
	}
	switch spec.Type {
	case Int, PowerOfTwo:
		n, err := strconv.ParseInt(o.Raw, 10, 64)
		if err != nil {
			return bad()
		}
		if n < spec.Min {
			return model.Errorf(o.ValuePos, "option %s=%d is too small: want at least %d", o.Key, n, spec.Min)
		}
		if spec.Max > 0 && n > spec.Max {
			return model.Errorf(o.ValuePos, "option %s=%d is too large: want at most %d", o.Key, n, spec.Max)
		}
		if spec.Type == PowerOfTwo && n&(n-1) != 0 {
			return model.Errorf(o.ValuePos, "option %s=%d is not a power of two", o.Key, n)
		}
		o.Value = n
	case Duration:
		d, err := time.ParseDuration(o.Raw)
		if err != nil || d < 0 {
			return bad()
		}
		o.Value = d
	case Bool:
		b, err := strconv.ParseBool(o.Raw)
		if err != nil {
			return bad()
		}
		o.Value = b
	case Float:
		f, err := strconv.ParseFloat(o.Raw, 64)
		if err != nil {
			return bad()
		}
		o.Value = f
	case Enum:
		for _, e := range spec.Enum {
			if o.Raw == e {
				o.Value = e
				return nil
			}
		}
		return bad()
	case IntList:
		var list []int64
		for _, part := range strings.Split(o.Raw, ",") {
			n, err := strconv.ParseInt(part, 10, 64)
			if err != nil || n < spec.Min {
				return bad()
			}
			list = append(list, n)
		}
		o.Value = list
	case IdentList:
		var list []string
		for _, part := range strings.Split(o.Raw, ",") {
			if !token.IsIdentifier(part) {
				return bad()
			}
			list = append(list, part)
		}
		o.Value = list
	case RateOpt:
		n, per, ok := strings.Cut(o.Raw, "/")
		count, err := strconv.ParseInt(n, 10, 64)
		if !ok || err != nil || count <= 0 {
			return bad()
		}
		unit := map[string]time.Duration{"ns": time.Nanosecond, "us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour}[per]
		if unit == 0 {
			d, err := time.ParseDuration(per)
			if err != nil || d <= 0 {
				return bad()
			}
			unit = d
		}
		o.Value = model.Rate{N: count, Per: unit}
	case Ref:
		if !token.IsIdentifier(o.Raw) {
			return model.Errorf(o.ValuePos, "bad value %q for option %s: want the Name of a %s directive of the package (//monogen:%s Name ...)",
				o.Raw, o.Key, spec.RefKind, spec.RefKind)
		}
		o.Value = o.Raw
	case Func:
		if !token.IsIdentifier(o.Raw) {
			return bad()
		}
		obj := scope.Lookup(o.Raw)
		if obj == nil {
			return model.Errorf(o.ValuePos, "option %s: undefined: %s", o.Key, o.Raw)
		}
		fn, ok := obj.(*types.Func)
		if !ok {
			return model.Errorf(o.ValuePos, "option %s: %s is not a function (it is a %s)", o.Key, o.Raw, objKind(obj))
		}
		o.Value = fn
	default:
		return fmt.Errorf("internal error: option type %d", spec.Type)
	}
	return nil
}

func objKind(obj types.Object) string {
	switch obj.(type) {
	case *types.Var:
		return "variable"
	case *types.Const:
		return "constant"
	case *types.TypeName:
		return "type"
	}
	return "declaration"
}

// DurationExpr writes a duration as Go source: 10 * time.Millisecond.
func DurationExpr(d time.Duration, im *emit.Scope) string {
	if d == 0 {
		return "0"
	}
	t := im.Import("time")
	units := []struct {
		d    time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}}
	for _, u := range units {
		if d%u.d == 0 {
			return fmt.Sprintf("%d * %s.%s", d/u.d, t, u.name)
		}
	}
	return fmt.Sprintf("%s.Duration(%d)", t, int64(d))
}
