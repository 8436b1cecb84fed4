package kinds

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"sync"
	"testing"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/model"
	"github.com/monogen/monogen/internal/stencil"
)

const poolSrc = `package x

import "context"

type Image struct{}
type Thumb struct{}

func ctxForm(ctx context.Context, im Image) (Thumb, error) { return Thumb{}, nil }
func plain(im Image) Thumb                                  { return Thumb{} }
func plainErr(im Image) (Thumb, error)                      { return Thumb{}, nil }
func ctxErr(ctx context.Context, im Image) error            { return nil }
func onlyErr(im Image) error                                { return nil }
func handler(im Image, th Thumb, err error)                 {}
func handlerIn(im Image, err error)                         {}
`

// poolPkg type-checks poolSrc once: importing context from source is slow.
var poolPkg = sync.OnceValues(func() (*types.Package, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", poolSrc, 0)
	if err != nil {
		return nil, err
	}
	return (&types.Config{Importer: importer.ForCompiler(fset, "source", nil)}).Check("x", fset, []*ast.File{f}, nil)
})

// buildPoolFor runs the pool kind's Build on a directive of package x with
// the given type arguments and options (fn= and result= name functions of x).
func buildPoolFor(t *testing.T, args []string, opts map[string]string) (*Context, error) {
	t.Helper()
	pkg, err := poolPkg()
	if err != nil {
		t.Fatal(err)
	}
	k, _ := Lookup("pool")
	d := &model.Directive{Kind: "pool", Name: "Resizer", Pkg: pkg}
	tys := map[string]types.Type{}
	for i, a := range args {
		typ := pkg.Scope().Lookup(a).Type()
		d.Args = append(d.Args, model.Arg{Text: a, Type: typ})
		tys[k.Params[i]] = typ
	}
	for key, raw := range opts {
		o := &model.Option{Key: key, Raw: raw}
		if err := k.ParseOption(o, pkg.Scope()); err != nil {
			return nil, err
		}
		d.Options = append(d.Options, o)
	}
	c := &Context{D: d, Types: tys, Scope: emit.NewScope("x", map[string]bool{}, map[string]bool{}), Self: pkg,
		Spec: NewSpec("Resizer", "Pool")}
	return c, k.Build(c)
}

func TestPoolFnForms(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		fn, call string
	}{
		{[]string{"Image", "Thumb"}, "ctxForm", "return ctxForm(ctx, in)"},
		{[]string{"Image", "Thumb"}, "plain", "return plain(in), nil"},
		{[]string{"Image", "Thumb"}, "plainErr", "return plainErr(in)"},
		{[]string{"Image"}, "ctxErr", "return struct{}{}, ctxErr(ctx, in)"},
		{[]string{"Image"}, "onlyErr", "return struct{}{}, onlyErr(in)"},
	} {
		c, err := buildPoolFor(t, tc.args, map[string]string{"fn": tc.fn})
		if err != nil {
			t.Errorf("%v fn=%s: %v", tc.args, tc.fn, err)
			continue
		}
		if got := stencil.Unmark(c.Spec.Hooks["Pool.call"]); got != tc.call {
			t.Errorf("%v fn=%s: call hook %q, want %q", tc.args, tc.fn, got, tc.call)
		}
		if !c.Spec.Conds["boundFn"] || c.Spec.Conds["boundResult"] || c.Spec.Conds["metrics"] {
			t.Errorf("%v fn=%s: conds %v", tc.args, tc.fn, c.Spec.Conds)
		}
		if len(tc.args) == 1 && c.Spec.Types["Out"] != "struct{}" {
			t.Errorf("%v: Out = %q, want struct{}", tc.args, c.Spec.Types["Out"])
		}
	}
	// Each form is accepted only for its arity.
	for _, tc := range []struct {
		args []string
		fn   string
	}{
		{[]string{"Image", "Thumb"}, "ctxErr"},
		{[]string{"Image", "Thumb"}, "onlyErr"},
		{[]string{"Image"}, "plain"},
		{[]string{"Image"}, "ctxForm"},
	} {
		_, err := buildPoolFor(t, tc.args, map[string]string{"fn": tc.fn})
		if err == nil || !strings.Contains(err.Error(), "want func(") {
			t.Errorf("%v fn=%s: error %v, want the accepted forms", tc.args, tc.fn, err)
		}
	}
}

func TestPoolOptions(t *testing.T) {
	c, err := buildPoolFor(t, []string{"Image", "Thumb"}, map[string]string{
		"workers": "8", "queue": "100", "retries": "3", "backoff": "10ms", "timeout": "2s", "metrics": "true", "result": "handler",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Workers": "8", "Queue": "100", "Retries": "3", "Backoff": "10 * time.Millisecond",
		"Timeout": "2 * time.Second", "Metrics": "true"}
	for k, v := range want {
		if c.Spec.Config[k] != v {
			t.Errorf("Config[%s] = %q, want %q", k, c.Spec.Config[k], v)
		}
	}
	if stencil.Unmark(c.Spec.Hooks["Pool.deliver"]) != "handler(in, out, err)" || !c.Spec.Conds["boundResult"] || c.Spec.Conds["boundFn"] {
		t.Errorf("hooks %v conds %v", c.Spec.Hooks, c.Spec.Conds)
	}
	if !strings.Contains(c.Emit[0], "func NewResizer(fn func(context.Context, Image) (Thumb, error)) *Resizer {") {
		t.Errorf("constructor:\n%s", c.Emit[0])
	}

	// The defaults are the template's zero Config.
	c, err = buildPoolFor(t, []string{"Image"}, map[string]string{"result": "handlerIn"})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"Workers": "0", "Queue": "0", "Retries": "0", "Backoff": "0", "Timeout": "0", "Metrics": "false"} {
		if c.Spec.Config[k] != v {
			t.Errorf("default Config[%s] = %q, want %q", k, c.Spec.Config[k], v)
		}
	}
	if stencil.Unmark(c.Spec.Hooks["Pool.deliver"]) != "handlerIn(in, err)" {
		t.Errorf("deliver hook %q", c.Spec.Hooks["Pool.deliver"])
	}
	if c.Spec.Rename["ErrClosed"] != "ErrResizerClosed" || c.Spec.Rename["ErrFull"] != "ErrResizerFull" {
		t.Errorf("renames %v", c.Spec.Rename)
	}

	if _, err := buildPoolFor(t, []string{"Image", "Thumb"}, map[string]string{"backoff": "1ms"}); err == nil ||
		!strings.Contains(err.Error(), "needs retries") {
		t.Errorf("backoff without retries: %v", err)
	}
	if _, err := buildPoolFor(t, []string{"Image"}, map[string]string{"result": "handler"}); err == nil ||
		!strings.Contains(err.Error(), "want func(Image, error)") {
		t.Errorf("wrong handler: %v", err)
	}
}

func TestErrName(t *testing.T) {
	if got := errName("Resizer", "Closed"); got != "ErrResizerClosed" {
		t.Error(got)
	}
	if got := errName("resizer", "Full"); got != "errResizerFull" {
		t.Error(got)
	}
}

// The names kinds make from a directive's name change the case of a letter,
// not of a byte: the stage types of İngest were ingestX..., the error of
// πool was a broken byte, Benchmarkßatch no benchmark.
func TestNamesOfDirectivesInOtherScripts(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{lowerFirst("İngest"), "ingest"},
		{lowerFirst("Ingest"), "ingest"},
		{upperFirst("μ"), "Μ"},
		{errName("πool", "Closed"), "errΠoolClosed"},
		{errName("Πool", "Closed"), "ErrΠoolClosed"},
		{errName("pool", "Closed"), "errPoolClosed"},
		{upper("μap"), "Μap"},
		{upper("ßatch"), "_ßatch"},
		{upper("batch"), "Batch"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
}
