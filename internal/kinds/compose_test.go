package kinds

import (
	"go/types"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/model"
	"github.com/monogen/monogen/internal/stencil"
)

// buildComposed runs the pool kind's Build on Resizer[Image, Thumb] with
// opts, in a package whose other directives are the ratelimit API and the
// breaker Fetch[Image, Thumb].
func buildComposed(t *testing.T, opts map[string]string) (*Context, error) {
	t.Helper()
	pkg, err := poolPkg()
	if err != nil {
		t.Fatal(err)
	}
	image, thumb := pkg.Scope().Lookup("Image").Type(), pkg.Scope().Lookup("Thumb").Type()
	others := map[string]*model.Directive{
		"API":   {Kind: "ratelimit", Name: "API"},
		"Fetch": {Kind: "breaker", Name: "Fetch", Args: []model.Arg{{Text: "Image", Type: image}, {Text: "Thumb", Type: thumb}}},
	}
	k, _ := Lookup("pool")
	d := &model.Directive{Kind: "pool", Name: "Resizer", Pkg: pkg,
		Args: []model.Arg{{Text: "Image", Type: image}, {Text: "Thumb", Type: thumb}}}
	for key, raw := range opts {
		o := &model.Option{Key: key, Raw: raw}
		if err := k.ParseOption(o, pkg.Scope()); err != nil {
			return nil, err
		}
		d.Options = append(d.Options, o)
	}
	c := &Context{D: d, Types: map[string]types.Type{"In": image, "Out": thumb}, Scope: emit.NewScope("x", map[string]bool{}, map[string]bool{}), Self: pkg,
		Spec: NewSpec("Resizer", "Pool"), Lookup: func(name string) (*model.Directive, bool) {
			o, ok := others[name]
			return o, ok
		}}
	return c, k.Build(c)
}

func TestPoolWithoutCompositionIsUnchanged(t *testing.T) {
	c, err := buildComposed(t, map[string]string{"fn": "ctxForm"})
	if err != nil {
		t.Fatal(err)
	}
	// The conditions and the config field fold the composition away; the
	// stand-in types keep their template names (and are dropped).
	if c.Spec.Conds["rate"] || c.Spec.Conds["breaker"] || c.Spec.Config["paced"] != "false" {
		t.Errorf("conds %v, paced %q", c.Spec.Conds, c.Spec.Config["paced"])
	}
	for _, n := range []string{"Limiter", "Executor"} {
		if _, ok := c.Spec.Rename[n]; ok {
			t.Errorf("Rename[%s] = %q without composition", n, c.Spec.Rename[n])
		}
	}
}

func TestPoolComposition(t *testing.T) {
	c, err := buildComposed(t, map[string]string{"rate": "API", "breaker": "Fetch", "result": "handler"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Spec.Conds["rate"] || !c.Spec.Conds["breaker"] || !c.Spec.Conds["boundFn"] || c.Spec.Config["paced"] != "true" {
		t.Errorf("conds %v, paced %q", c.Spec.Conds, c.Spec.Config["paced"])
	}
	if c.Spec.Rename["Limiter"] != "*API" || c.Spec.Rename["Executor"] != "*Fetch" {
		t.Errorf("renames %v", c.Spec.Rename)
	}
	if got := stencil.Unmark(c.Spec.Hooks["Pool.call"]); got != "return p.breaker.Execute(ctx, in)" {
		t.Errorf("call hook %q", got)
	}
	if !strings.Contains(c.Emit[0], "func NewResizer(rate *API, breaker *Fetch) *Resizer {") {
		t.Errorf("constructor:\n%s", c.Emit[0])
	}

	for opts, want := range map[string]string{
		"rate=Nope":              "no directive of package x declares Nope",
		"rate=Fetch":             "names a breaker",
		"breaker=API":            "names a ratelimit",
		"breaker=Fetch fn=plain": "the breaker's function is the job function",
	} {
		m := map[string]string{}
		for _, kv := range strings.Fields(opts) {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
		if _, err := buildComposed(t, m); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", opts, err, want)
		}
	}
}
