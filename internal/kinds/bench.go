package kinds

import (
	"go/token"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/stencil"
)

// configLiteral writes a template Config literal from a spec's config
// values: the fields of order first, in that order, then any others sorted.
// Fields whose value is the zero value (0, false, time.Duration(0)) are left
// out, and so are unexported ones, which the template's constructor sets.
func configLiteral(tpl string, cfg map[string]string, order []string) string {
	keys := append([]string(nil), order...)
	var rest []string
	for k := range cfg {
		if !slices.Contains(order, k) && token.IsExported(k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	var fields []string
	for _, k := range append(keys, rest...) {
		if v, ok := cfg[k]; ok && v != "0" && v != "false" && !strings.HasSuffix(v, ".Duration(0)") {
			fields = append(fields, k+": "+v)
		}
	}
	return tpl + ".Config{" + strings.Join(fields, ", ") + "}"
}

// benchDoc is the doc comment of an emitted benchmark: text, wrapped, then
// the command that runs it.
func benchDoc(name, text string) string {
	return docLines(text) + "\n//\n//\tgo test -run '^$' -bench 'Benchmark" + name + "$' -count 6 | go tool benchstat -col /impl -\n"
}

// localRef matches $name, a local of an emitted benchmark's source.
var localRef = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

// withLocals replaces each $name of src by the name locals gives the local
// name: a benchmark refers to the user's types and functions, which no local
// of it may capture.
func withLocals(src string, locals *emit.Locals) string {
	return localRef.ReplaceAllStringFunc(src, func(m string) string { return locals.Name(m[1:]) })
}

// hookFunc returns a hook body as the body of a function literal whose
// parameters, named as in the hook, are locals of a benchmark.
func hookFunc(body string, locals *emit.Locals, params ...string) string {
	names := map[string]string{}
	for _, p := range params {
		names[p] = locals.Name(p)
	}
	return stencil.Bind(body, names)
}
