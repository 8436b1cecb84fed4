package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// Units of the benchmark values after benchfmt has tidied them: "ns/op"
// becomes "sec/op" with the value in seconds; -benchmem adds the other two.
const (
	unitTime   = "sec/op"
	unitBytes  = "B/op"
	unitAllocs = "allocs/op"
)

// Implementations that the verdicts speak for: the generated code when the
// lead has added it, else the generic template it is stenciled from.
const (
	implGenerated = "generated"
	implTemplate  = "template"
)

// Dimension keys with a numeric value that get a chart of their own.
const (
	keyProcs = "procs"
	keySize  = "size"
)

// keyGomaxprocs names the pseudo-dimension added to a row when the results
// of one pattern were taken at more than one GOMAXPROCS (go test -cpu).
const keyGomaxprocs = "gomaxprocs"

// A Dim is one sub-benchmark element of a benchmark name: key=value, or a
// bare value with an empty Key for a name that does not follow the
// convention.
type Dim struct {
	Key, Value string
}

func (d Dim) String() string {
	if d.Key == "" {
		return d.Value
	}
	return d.Key + "=" + d.Value
}

// A Row is one workload of a pattern: a benchmark name without its impl
// element, with the samples each implementation recorded for it.
type Row struct {
	// Name is the sub-benchmark path without impl: "job=tiny/mode=submit".
	// It is empty for a pattern with no dimension but impl.
	Name string
	Dims []Dim

	gomaxprocs string                          // "-N" suffix go test appended, without the dash
	samples    map[string]map[string][]float64 // impl -> unit -> one value per run
}

// Samples returns the values impl recorded for unit, one per -count run.
func (r *Row) Samples(impl, unit string) []float64 {
	return r.samples[impl][unit]
}

// Has reports whether impl has any result in r.
func (r *Row) Has(impl string) bool {
	return len(r.samples[impl]) > 0
}

// Dim returns the value of the dimension key in r.
func (r *Row) Dim(key string) (string, bool) {
	for _, d := range r.Dims {
		if d.Key == key {
			return d.Value, true
		}
	}
	return "", false
}

// Label is how tables and charts name r: its Name, or "all" when the
// pattern has no dimension but impl.
func (r *Row) Label() string {
	if r.Name == "" {
		return "all"
	}
	return r.Name
}

// A Pattern is everything measured under one top-level benchmark,
// BenchmarkPool for the pattern "Pool".
type Pattern struct {
	Name  string   // the benchmark name without "Benchmark"
	Pkgs  []string // import paths it was measured in, normally one
	Impls []string // generated, template, then the others in order of appearance
	Rows  []*Row   // in order of appearance, which is the order of the b.Run calls

	rows map[string]*Row // key: Name + "-" + gomaxprocs
}

// Slug is the pattern's name as it appears in file names: "shardmap".
func (p *Pattern) Slug() string {
	return strings.ToLower(p.Name)
}

// Keys returns the dimension keys of p in order of first appearance.
func (p *Pattern) Keys() []string {
	var keys []string
	for _, r := range p.Rows {
		for _, d := range r.Dims {
			if d.Key != "" && !slices.Contains(keys, d.Key) {
				keys = append(keys, d.Key)
			}
		}
	}
	return keys
}

// Subject returns the implementation the verdicts of r speak for, or ""
// when r has neither a generated nor a template result.
func (r *Row) Subject() string {
	for _, impl := range []string{implGenerated, implTemplate} {
		if r.Has(impl) {
			return impl
		}
	}
	return ""
}

// A Suite is the parsed output of one benchmark run.
type Suite struct {
	// Config holds the file configuration lines ("cpu: ...", "goos: ...")
	// with the last value seen for each key; the report tool adds its own
	// (see header in run.go).
	Config   map[string]string
	Patterns []*Pattern
	// Warnings name the results that were skipped or that do not follow
	// the naming convention, once per benchmark name, not once per run.
	Warnings []string

	warned map[string]bool // the warnings without their position
}

// warn records msg about the result at file:line unless it was said already
// about an earlier run of the same benchmark.
func (s *Suite) warn(file string, line int, msg string) {
	if s.warned[msg] {
		return
	}
	s.warned[msg] = true
	s.Warnings = append(s.Warnings, fmt.Sprintf("%s:%d: %s", file, line, msg))
}

// Pattern returns the pattern called name, or nil.
func (s *Suite) Pattern(name string) *Pattern {
	for _, p := range s.Patterns {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Parse reads the output of go test -bench (the Go benchmark format, see
// golang.org/x/perf/benchfmt) and groups its results by pattern, workload
// row and implementation. fileName is only used in messages.
func Parse(r io.Reader, fileName string) (*Suite, error) {
	s := &Suite{Config: map[string]string{}, warned: map[string]bool{}}
	byName := map[string]*Pattern{}
	br := benchfmt.NewReader(r, fileName)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			s.warn(rec.FileName, rec.Line, rec.Msg)
		case *benchfmt.Result:
			for _, c := range rec.Config {
				if c.File {
					s.Config[c.Key] = string(c.Value)
				}
			}
			s.add(byName, rec)
		}
	}
	if err := br.Err(); err != nil {
		return nil, err
	}
	for _, p := range s.Patterns {
		p.finish()
	}
	return s, nil
}

// add files one result under its pattern, row and implementation.
func (s *Suite) add(byName map[string]*Pattern, rec *benchfmt.Result) {
	file, line := rec.Pos()
	base, parts := rec.Name.Parts()
	var (
		dims       []Dim
		impl       string
		implAt     = -1
		gomaxprocs string
	)
	for i, part := range parts {
		switch part[0] {
		case '-':
			gomaxprocs = string(part[1:])
		case '/':
			d := Dim{Value: string(part[1:])}
			if k, v, ok := strings.Cut(d.Value, "="); ok {
				d = Dim{Key: k, Value: v}
			}
			if d.Key == "impl" {
				impl, implAt = d.Value, i
				continue
			}
			dims = append(dims, d)
		}
	}
	if impl == "" {
		s.warn(file, line, fmt.Sprintf("benchmark %s has no impl=<name> element; skipped", rec.Name))
		return
	}
	if implAt != len(parts)-1 && !(implAt == len(parts)-2 && gomaxprocs != "") {
		s.warn(file, line, fmt.Sprintf("benchmark %s: impl=%s is not the last element", rec.Name, impl))
	}

	name := string(base)
	p := byName[name]
	if p == nil {
		p = &Pattern{Name: name, rows: map[string]*Row{}}
		byName[name] = p
		s.Patterns = append(s.Patterns, p)
	}
	if pkg := rec.GetConfig("pkg"); pkg != "" && !slices.Contains(p.Pkgs, pkg) {
		p.Pkgs = append(p.Pkgs, pkg)
	}
	if !slices.Contains(p.Impls, impl) {
		p.Impls = append(p.Impls, impl)
	}

	elems := make([]string, len(dims))
	for i, d := range dims {
		elems[i] = d.String()
	}
	rowName := strings.Join(elems, "/")
	key := rowName + "-" + gomaxprocs
	row := p.rows[key]
	if row == nil {
		row = &Row{Name: rowName, Dims: dims, gomaxprocs: gomaxprocs, samples: map[string]map[string][]float64{}}
		p.rows[key] = row
		p.Rows = append(p.Rows, row)
	}
	units := row.samples[impl]
	if units == nil {
		units = map[string][]float64{}
		row.samples[impl] = units
	}
	for _, v := range rec.Values {
		units[v.Unit] = append(units[v.Unit], v.Value)
	}
}

// finish orders the implementations and, when the pattern was run at more
// than one GOMAXPROCS, makes it a dimension so the rows stay apart in
// labels and charts.
func (p *Pattern) finish() {
	// Stable, so the peers keep their order of appearance.
	rank := func(impl string) int {
		switch impl {
		case implGenerated:
			return 0
		case implTemplate:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(p.Impls, func(a, b string) int { return rank(a) - rank(b) })

	procs := map[string]bool{}
	for _, r := range p.Rows {
		procs[r.gomaxprocs] = true
	}
	if len(procs) < 2 {
		return
	}
	for _, r := range p.Rows {
		d := Dim{Key: keyGomaxprocs, Value: r.gomaxprocs}
		r.Dims = append(r.Dims, d)
		if r.Name != "" {
			r.Name += "/"
		}
		r.Name += d.String()
	}
}

// gomaxprocsOf returns the GOMAXPROCS the suite ran at, read from the "-N"
// suffix go test appends to benchmark names, or "" if it varies or is absent.
func (s *Suite) gomaxprocsOf() string {
	seen := ""
	for _, p := range s.Patterns {
		for _, r := range p.Rows {
			switch {
			case r.gomaxprocs == "":
			case seen == "":
				seen = r.gomaxprocs
			case seen != r.gomaxprocs:
				return ""
			}
		}
	}
	return seen
}

// numericDim returns the value of key in r as a number, for the scale
// charts. Values may carry a decimal or binary multiple suffix (4k, 1Mi).
func numericDim(r *Row, key string) (float64, bool) {
	v, ok := r.Dim(key)
	if !ok {
		return 0, false
	}
	mult := 1.0
	for _, suf := range []struct {
		s string
		m float64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}} {
		if strings.HasSuffix(v, suf.s) {
			v, mult = strings.TrimSuffix(v, suf.s), suf.m
			break
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, false
	}
	return f * mult, true
}
