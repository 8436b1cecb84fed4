package kinds

import (
	"fmt"
	"go/types"
	"strings"

	"github.com/monogen/monogen/internal/model"
	"github.com/monogen/monogen/internal/stencil"
)

// funcForm is one accepted signature of a user function (fn=, fallback=)
// and how the hook calls a function of that form.
type funcForm struct {
	// params and results are type parameter names ("Req"), "ctx" for
	// context.Context and "error".
	params, results []string
	// call is the hook body; %s is the function, marked with stencil.User.
	call string
}

// bindFunc checks the function named by option o against forms and returns
// the hook body calling it. The error names the function, its type and
// every accepted form.
func bindFunc(c *Context, o *model.Option, what string, forms []funcForm) (string, error) {
	fn := o.Value.(*types.Func)
	sig := fn.Type().(*types.Signature)
	if sig.TypeParams().Len() == 0 && !sig.Variadic() {
		for _, f := range forms {
			if c.matches(sig.Params(), f.params) && c.matches(sig.Results(), f.results) {
				return fmt.Sprintf(f.call, stencil.User(fn.Name())), nil
			}
		}
	}
	var want []string
	for _, f := range forms {
		want = append(want, c.spellForm(f))
	}
	return "", c.OptionErrorf(o, "%s %s has type %s; want %s", what, fn.Name(),
		types.TypeString(sig, types.RelativeTo(c.Self)), strings.Join(want, " or "))
}

func (c *Context) matches(tuple *types.Tuple, want []string) bool {
	if tuple.Len() != len(want) {
		return false
	}
	for i, w := range want {
		t := tuple.At(i).Type()
		switch w {
		case "ctx":
			if types.TypeString(t, nil) != "context.Context" {
				return false
			}
		case "error":
			if !types.Identical(t, types.Universe.Lookup("error").Type()) {
				return false
			}
		default:
			if !types.Identical(t, c.Types[w]) {
				return false
			}
		}
	}
	return true
}

// spellForm writes a form as the user would: func(context.Context, Req) (Resp, error).
func (c *Context) spellForm(f funcForm) string {
	spell := func(list []string) []string {
		var out []string
		for _, w := range list {
			switch w {
			case "ctx":
				out = append(out, "context.Context")
			case "error":
				out = append(out, "error")
			default:
				out = append(out, c.argText(w))
			}
		}
		return out
	}
	res := strings.Join(spell(f.results), ", ")
	if len(f.results) > 1 {
		res = "(" + res + ")"
	}
	return "func(" + strings.Join(spell(f.params), ", ") + ") " + res
}

// argText is a type parameter's argument as the directive wrote it (Req is
// the first, Resp the second).
func (c *Context) argText(param string) string {
	if i := map[string]int{"Req": 0, "Resp": 1}[param]; i < len(c.D.Args) {
		return c.D.Args[i].Text
	}
	return types.TypeString(c.Types[param], types.RelativeTo(c.Self))
}

// callForms are the forms of fn= for a kind calling func(ctx, req) (Resp, error).
var callForms = []funcForm{
	{params: []string{"ctx", "Req"}, results: []string{"Resp", "error"}, call: "return %s(ctx, req)"},
	{params: []string{"Req"}, results: []string{"Resp", "error"}, call: "return %s(req)"},
}
