package kinds

import (
	"fmt"
	"go/types"
	"strings"

	"github.com/monogen/monogen/internal/model"
	"github.com/monogen/monogen/internal/stencil"
)

// sigForm is one accepted signature of a function bound by an option (fn=,
// new=, close=, ...) and the hook body calling a function of that form.
type sigForm struct {
	sig *types.Signature
	// call is the hook body, written against the hook's parameter names; %s
	// is the user's function, marked with stencil.User.
	call string
}

// newSig builds func(params...) (results...).
func newSig(params, results []types.Type) *types.Signature {
	tuple := func(ts []types.Type) *types.Tuple {
		var vs []*types.Var
		for _, t := range ts {
			vs = append(vs, types.NewParam(0, nil, "", t))
		}
		return types.NewTuple(vs...)
	}
	return types.NewSignatureType(nil, nil, nil, tuple(params), tuple(results), false)
}

// errorType is the predeclared error.
var errorType = types.Universe.Lookup("error").Type()

// bindForms checks the function named by option o against forms and returns
// the hook body calling it directly. what names the function's role in
// errors ("batch function"). Errors name the function, its type and every
// accepted form.
func bindForms(c *Context, o *model.Option, what string, forms []sigForm) (string, error) {
	fn := o.Value.(*types.Func)
	sig := fn.Type().(*types.Signature)
	var want []string
	for _, f := range forms {
		want = append(want, spellForm(f.sig, c))
	}
	if sig.TypeParams().Len() > 0 {
		return "", c.OptionErrorf(o, "%s %s is generic; want a non-generic %s", what, fn.Name(), orList(want))
	}
	for _, f := range forms {
		if !types.Identical(sig, f.sig) {
			continue
		}
		return fmt.Sprintf(f.call, stencil.User(fn.Name())), nil
	}
	return "", c.OptionErrorf(o, "%s %s has type %s; want %s", what, fn.Name(), spell(sig, c.Self), orList(want))
}

// configInt sets cfg[field] from an Int option, or to def when it is absent.
func configInt(c *Context, key, field string, def int64) int64 {
	n := def
	if o := c.D.Option(key); o != nil {
		n = o.Value.(int64)
	}
	c.Spec.Config[field] = fmt.Sprint(n)
	return n
}

// configDuration sets cfg[field] from a Duration option, or to 0.
func configDuration(c *Context, key, field string) bool {
	c.Spec.Config[field] = "0"
	o := c.D.Option(key)
	if o == nil || o.Value.(durationT) == 0 {
		return false
	}
	c.Spec.Config[field] = DurationExpr(o.Value.(durationT), c.Scope)
	return true
}

// docLines turns a one-paragraph comment into wrapped // lines.
func docLines(text string) string {
	return wrap("// " + strings.Join(strings.Fields(strings.TrimPrefix(text, "// ")), " "))
}
