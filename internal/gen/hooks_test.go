package gen_test

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/monogen/monogen/internal/gen"
)

// hookCases are directives with and without their event hooks: the same
// directive, in two packages, and the names of the hook methods the hooks
// add (each called only where its event happens).
var hookCases = []struct {
	name          string
	funcs         string // the package's functions, hooks included
	plain, hooked string // the directive without and with hooks
	hooks         []string
	calls         int // calls of the hook methods in the output
	fields        int // of hooks, the struct fields
	methods       int // hook method declarations, if not one per hook less fields
}{
	{
		name: "pool",
		funcs: `import "context"

func work(_ context.Context, x int) (int, error) { return x, nil }
func rejected(int, error)                         {}
func dropped(int)                                 {}
func panicked(int, error)                         {}
`,
		plain:  "//monogen:pool Jobs[int, int] workers=2 fn=work metrics=true",
		hooked: "//monogen:pool Jobs[int, int] workers=2 fn=work metrics=true onreject=rejected ondrop=dropped onpanic=panicked",
		hooks:  []string{"rejected", "dropped", "panicked"},
		calls:  5, // Submit, TrySubmit, giveBack, attempt, runChunk
	},
	{
		name: "pool_in_without_metrics",
		funcs: `func send(string) error    { return nil }
func refused(string, error) {}
func lost(string)           {}
func crashed(string, error) {}
`,
		plain:  "//monogen:pool Sends[string] fn=send",
		hooked: "//monogen:pool Sends[string] fn=send onreject=refused ondrop=lost onpanic=crashed",
		hooks:  []string{"rejected", "dropped", "panicked"},
		calls:  5,
	},
	{
		name:   "queue_drop_newest",
		funcs:  "func dropped(int) {}\n",
		plain:  "//monogen:queue Q[int] size=4 policy=drop-newest",
		hooked: "//monogen:queue Q[int] size=4 policy=drop-newest ondrop=dropped",
		hooks:  []string{"discarded"},
		calls:  2, // Push, PushMany
	},
	{
		name:   "queue_drop_oldest",
		funcs:  "func dropped(int) {}\n",
		plain:  "//monogen:queue Q[int] size=4 policy=drop-oldest config=true",
		hooked: "//monogen:queue Q[int] size=4 policy=drop-oldest config=true ondrop=dropped",
		hooks:  []string{"discarded"},
		calls:  1, // dropTaken
	},
	{
		name:   "ratelimit_token",
		funcs:  "func refused(int, error) {}\n",
		plain:  "//monogen:ratelimit R algo=token rate=100/s burst=4",
		hooked: "//monogen:ratelimit R algo=token rate=100/s burst=4 onreject=refused",
		hooks:  []string{"rejected"},
		calls:  6, // Allow, AllowAt, AllowN, AllowNAt, WaitN, Wait
	},
	{
		name:   "ratelimit_window_config",
		funcs:  "func refused(int, error) {}\n",
		plain:  "//monogen:ratelimit R algo=window limit=10 window=1s config=true",
		hooked: "//monogen:ratelimit R algo=window limit=10 window=1s config=true onreject=refused",
		hooks:  []string{"rejected"},
		calls:  6,
	},
	{
		name: "respool",
		funcs: `import "time"

type conn struct{}

func dial() (*conn, error)           { return &conn{}, nil }
func waited(time.Duration, error) {}
`,
		plain:  "//monogen:respool Conns[*conn] max=4 new=dial metrics=true",
		hooked: "//monogen:respool Conns[*conn] max=4 new=dial metrics=true onwait=waited",
		hooks:  []string{"waitedFor"},
		calls:  1, // waitEnded
	},
	{
		name:   "semaphore",
		funcs:  "import \"time\"\n\nfunc waited(time.Duration, error) {}\n",
		plain:  "//monogen:semaphore S n=4 metrics=true",
		hooked: "//monogen:semaphore S n=4 metrics=true onwait=waited",
		hooks:  []string{"waitedFor"},
		calls:  1, // waited
	},
	{
		name:   "limiter",
		funcs:  "func call(x int) (int, error) { return x, nil }\nfunc moved(from, to int64) {}\n",
		plain:  "//monogen:limiter L[int, int] fn=call min=2 max=64",
		hooked: "//monogen:limiter L[int, int] fn=call min=2 max=64 onlimit=moved",
		// reportLimit and its field reported are what the hook needs.
		hooks:  []string{"limitChanged", "reportLimit", "reported"},
		calls:  1, // sample (reportLimit goes whole)
		fields: 1,
	},
	{
		name: "pipeline_fused_collect",
		funcs: `func a(x int) (int, error)    { return x, nil }
func b(x int) int              { return x }
func onFailed(*PItemError)     {}
func onSkipped(string, any)    {}
`,
		plain:  "//monogen:pipeline P[int, int, int] stages=a,b workers=2,2 errors=collect metrics=true",
		hooked: "//monogen:pipeline P[int, int, int] stages=a,b workers=2,2 errors=collect metrics=true onfail=onFailed onskip=onSkipped",
		hooks:  []string{"failed", "skipped"},
		// Each stage has both methods, called in fail and processFrom.
		methods: 4,
		calls:   4,
	},
	{
		name: "pipeline_unfused_stop",
		funcs: `func onFailed(*PItemError)  {}
func onSkipped(string, any) {}
`,
		plain:   "//monogen:pipeline P[string, int, float64, string] stages=a,b,c workers=1,2,2 ordered=true retries=2 fuse=false",
		hooked:  "//monogen:pipeline P[string, int, float64, string] stages=a,b,c workers=1,2,2 ordered=true retries=2 fuse=false onfail=onFailed onskip=onSkipped",
		hooks:   []string{"failed", "skipped"},
		methods: 6,
		calls:   6,
	},
}

// TestHooksAbsentGenerateNoHookCode generates each directive of hookCases
// with and without its hooks, and removes from the output with hooks the
// hook methods (with their doc comments) and every statement calling one
// (an if whose body is only that call goes with it): what is left must be
// the output without hooks, byte for byte. So a directive without hooks
// has no hook code, and hooks change nothing else.
func TestHooksAbsentGenerateNoHookCode(t *testing.T) {
	for _, c := range hookCases {
		t.Run(c.name, func(t *testing.T) {
			src := func(directive string) string {
				return "package p\n\n" + c.funcs + "\n" + directive + "\nvar _ = 0\n"
			}
			dir := scratchModule(t, map[string]string{"plain/p.go": src(c.plain), "hooked/p.go": src(c.hooked)}, false)
			res, err := gen.Generate(gen.Config{Dir: dir, Patterns: []string{"./..."}})
			if err != nil {
				t.Fatal(err)
			}
			plain := res.Files[filepath.Join(dir, "plain", "p_monogen.go")]
			hooked := res.Files[filepath.Join(dir, "hooked", "p_monogen.go")]
			if plain == nil || hooked == nil {
				t.Fatalf("outputs %v, want plain/p_monogen.go and hooked/p_monogen.go", res.Files)
			}
			stripped, decls, calls := stripHooks(t, hooked, c.hooks)
			methods := c.methods
			if methods == 0 {
				methods = len(c.hooks) - c.fields
			}
			if decls != methods || calls != c.calls {
				t.Errorf("output with hooks declares %d hook methods and calls them %d times; want %d and %d", decls, calls, methods, c.calls)
			}
			for _, h := range c.hooks {
				if bytes.Contains(plain, []byte(") "+h+"(")) || bytes.Contains(plain, []byte("."+h+"(")) {
					t.Errorf("output without hooks mentions %s", h)
				}
			}
			if !bytes.Equal(stripped, plain) {
				t.Errorf("output with hooks, less the hooks, differs from the output without:\n%s", firstDiff(plain, stripped))
			}
		})
	}
}

// stripHooks removes from src the methods named in hooks, with their doc
// comments, and the statements calling them, and returns it formatted with
// the number of methods and calls removed.
func stripHooks(t *testing.T, src []byte, hooks []string) (out []byte, decls, calls int) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	isHook := map[string]bool{}
	for _, h := range hooks {
		isHook[h] = true
	}
	type span struct{ from, to int }
	var cuts []span
	// cut removes whole lines: from the start of from's line to the end of
	// to's.
	cut := func(from, to token.Pos) {
		a, b := fset.Position(from).Offset, fset.Position(to).Offset
		a = bytes.LastIndexByte(src[:a], '\n') + 1
		if i := bytes.IndexByte(src[b:], '\n'); i >= 0 {
			b += i + 1
		}
		cuts = append(cuts, span{a, b})
	}
	callsHook := func(s ast.Stmt) bool {
		e, ok := s.(*ast.ExprStmt)
		if !ok {
			return false
		}
		call, ok := e.X.(*ast.CallExpr)
		if !ok {
			return false
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		return ok && isHook[sel.Sel.Name]
	}
	// onlyHook reports whether s does nothing but call a hook: the call, or
	// an if without else or a loop whose body is only that.
	var onlyHook func(s ast.Stmt) bool
	onlyHook = func(s ast.Stmt) bool {
		switch s := s.(type) {
		case *ast.IfStmt:
			return s.Else == nil && len(s.Body.List) == 1 && onlyHook(s.Body.List[0])
		case *ast.RangeStmt:
			return len(s.Body.List) == 1 && onlyHook(s.Body.List[0])
		}
		return callsHook(s)
	}
	for _, d := range f.Decls {
		// A struct field named as a hook holds what only the hook uses.
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.TYPE {
			for _, sp := range gd.Specs {
				if st, ok := sp.(*ast.TypeSpec).Type.(*ast.StructType); ok {
					for _, fld := range st.Fields.List {
						if len(fld.Names) == 1 && isHook[fld.Names[0].Name] {
							from := fld.Pos()
							if fld.Doc != nil {
								from = fld.Doc.Pos()
							}
							cut(from, fld.End())
						}
					}
				}
			}
		}
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil && isHook[fd.Name.Name] {
			decls++
			cut(fd.Doc.Pos(), fd.End())
			continue
		}
		gone := map[ast.Node]bool{}
		ast.Inspect(d, func(n ast.Node) bool {
			if gone[n] {
				return false
			}
			block, ok := n.(*ast.BlockStmt)
			if !ok {
				return true
			}
			for _, s := range block.List {
				if onlyHook(s) {
					calls++
					cut(s.Pos(), s.End())
					gone[s] = true
				}
			}
			return true
		})
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].from > cuts[j].from })
	out = append([]byte(nil), src...)
	for _, c := range cuts {
		out = append(out[:c.from], out[c.to:]...)
	}
	// A result named for a hook (ok := l.allow(now), the hook's if, return
	// ok) is returned directly without the hook, as the stencil writes it.
	out = namedForHook.ReplaceAllFunc(out, func(m []byte) []byte {
		g := namedForHook.FindSubmatch(m)
		if !bytes.Equal(g[2], g[4]) {
			return m
		}
		r := append([]byte(nil), g[1]...) // g's slices share out's array
		r = append(append(append(r, "return "...), g[3]...), '\n')
		return r
	})
	out, err = format.Source(out)
	if err != nil {
		t.Fatalf("output less its hooks does not format: %v", err)
	}
	return out, decls, calls
}

// namedForHook matches a local declared and returned on the next line.
var namedForHook = regexp.MustCompile(`(?m)^(\t+)([A-Za-z_]\w*) := (.+)\n\t+return ([A-Za-z_]\w*)\n`)
