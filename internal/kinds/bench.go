package kinds

import (
	"go/token"
	"slices"
	"sort"
	"strings"
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

// benchLocal returns name, with underscores appended while the package
// declares it: a benchmark-wide local by that name would shadow the user's
// type or function the benchmark refers to after declaring it.
func benchLocal(c *Context, name string) string {
	for c.Self.Scope().Lookup(name) != nil {
		name += "_"
	}
	return name
}
