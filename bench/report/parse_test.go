package main

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

func parseFile(t *testing.T, name string) *Suite {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Parse(f, name)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return s
}

func patternNames(s *Suite) []string {
	var names []string
	for _, p := range s.Patterns {
		names = append(names, p.Name)
	}
	return names
}

func rowNames(p *Pattern) []string {
	var names []string
	for _, r := range p.Rows {
		names = append(names, r.Name)
	}
	return names
}

func TestParseResults(t *testing.T) {
	s := parseFile(t, "testdata/results.txt")
	if len(s.Warnings) != 0 {
		t.Errorf("warnings on a clean file: %q", s.Warnings)
	}
	if got, want := patternNames(s), []string{"ShardMap", "Pool", "Pipeline"}; !slices.Equal(got, want) {
		t.Fatalf("patterns = %q, want %q", got, want)
	}

	m := s.Pattern("ShardMap")
	if got, want := m.Impls, []string{"generated", "template", "xsync", "syncmap", "rwmutex"}; !slices.Equal(got, want) {
		t.Errorf("ShardMap impls = %q, want %q", got, want)
	}
	wantRows := []string{"op=load/procs=1", "op=load/procs=4", "op=load/procs=16", "op=store/procs=1", "op=store/procs=4", "op=store/procs=16"}
	if got := rowNames(m); !slices.Equal(got, wantRows) {
		t.Errorf("ShardMap rows = %q, want %q", got, wantRows)
	}
	if got, want := m.Keys(), []string{"op", "procs"}; !slices.Equal(got, want) {
		t.Errorf("ShardMap keys = %q, want %q", got, want)
	}
	if got, want := m.Pkgs, []string{"github.com/monogen/monogen/bench/shardmap"}; !slices.Equal(got, want) {
		t.Errorf("ShardMap pkgs = %q, want %q", got, want)
	}
	r := m.Rows[0]
	secs := r.Samples("generated", unitTime)
	if len(secs) != 6 {
		t.Fatalf("op=load/procs=1 generated has %d sec/op samples, want 6 (-count 6)", len(secs))
	}
	// The first line of the file: 3.97 ns/op, tidied to seconds.
	if secs[0] != 3.97e-9 {
		t.Errorf("first sample = %g s, want 3.97e-9", secs[0])
	}
	if got := r.Samples("generated", unitAllocs); len(got) != 6 || got[0] != 0 {
		t.Errorf("allocs/op samples = %v, want six zeros", got)
	}
	if got := m.Rows[3].Samples("syncmap", unitBytes); len(got) != 6 || got[0] != 48 {
		t.Errorf("op=store/procs=1 syncmap B/op = %v, want six 48s", got)
	}
	if r.Subject() != implGenerated {
		t.Errorf("subject = %q, want generated", r.Subject())
	}

	p := s.Pattern("Pool")
	if got, want := p.Impls, []string{"template", "ants", "pond", "workerpool"}; !slices.Equal(got, want) {
		t.Errorf("Pool impls = %q, want %q", got, want)
	}
	if p.Rows[0].Subject() != implTemplate {
		t.Errorf("Pool subject = %q, want template (no generated results)", p.Rows[0].Subject())
	}

	for k, want := range map[string]string{"cpu": "AMD EPYC 7B13", "cpuinfo": "AMD EPYC", "cores": "2", "go": "go1.26.8", "goos": "linux", "report": "go run ./report"} {
		if got := s.Config[k]; got != want {
			t.Errorf("Config[%q] = %q, want %q", k, got, want)
		}
	}
	if got := s.gomaxprocsOf(); got != "2" {
		t.Errorf("gomaxprocsOf = %q, want 2 from the -2 suffixes", got)
	}
}

func TestParseEdgeCases(t *testing.T) {
	s := parseFile(t, "testdata/edge.txt")
	if got, want := patternNames(s), []string{"Bounded", "Limiter", "OnlyPeers"}; !slices.Equal(got, want) {
		t.Fatalf("patterns = %q, want %q (NoImpl skipped, Broken unparsable)", got, want)
	}
	wantWarnings := []string{
		"testdata/edge.txt:9: benchmark NoImpl/size=10-2 has no impl=<name> element; skipped",
		"testdata/edge.txt:10: benchmark Limiter/impl=xrate/rate=high-2: impl=xrate is not the last element",
		"testdata/edge.txt:11: benchmark Limiter/impl=template/rate=high-2: impl=template is not the last element",
		"testdata/edge.txt:12: parsing measurement: invalid syntax",
	}
	if !slices.Equal(s.Warnings, wantWarnings) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(s.Warnings, "\n"), strings.Join(wantWarnings, "\n"))
	}

	// Run at GOMAXPROCS 1 and 2 (go test -cpu 1,2): the rows must stay
	// apart, named by a gomaxprocs dimension.
	b := s.Pattern("Bounded")
	if got, want := rowNames(b), []string{"gomaxprocs=1", "gomaxprocs=2"}; !slices.Equal(got, want) {
		t.Errorf("Bounded rows = %q, want %q", got, want)
	}
	if got := b.Rows[1].Samples("errgroup", unitTime); len(got) != 1 || math.Abs(got[0]-600e-9) > 1e-15 {
		t.Errorf("gomaxprocs=2 errgroup = %v, want [6e-07]", got)
	}
	if got := s.gomaxprocsOf(); got != "" {
		t.Errorf("gomaxprocsOf = %q, want empty: it varies", got)
	}

	l := s.Pattern("Limiter")
	if got, want := rowNames(l), []string{"rate=high"}; !slices.Equal(got, want) {
		t.Errorf("Limiter rows = %q, want %q: impl is dropped wherever it stands", got, want)
	}
	if got := s.Pattern("OnlyPeers").Rows[0]; got.Name != "" || got.Label() != "all" || got.Subject() != "" {
		t.Errorf("OnlyPeers row: name %q label %q subject %q, want \"\", all, \"\"", got.Name, got.Label(), got.Subject())
	}
}

func TestNumericDim(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  float64
		ok    bool
	}{
		{"64", 64, true},
		{"4k", 4000, true},
		{"1Ki", 1024, true},
		{"2Mi", 2 << 20, true},
		{"1M", 1e6, true},
		{"1.5", 1.5, true},
		{"big", 0, false},
		{"", 0, false},
	} {
		r := &Row{Dims: []Dim{{Key: "size", Value: tc.value}}}
		got, ok := numericDim(r, "size")
		if got != tc.want || ok != tc.ok {
			t.Errorf("numericDim(size=%s) = %v, %v; want %v, %v", tc.value, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := numericDim(&Row{}, "size"); ok {
		t.Error("numericDim of a row without the key reports ok")
	}
}

func TestCPUName(t *testing.T) {
	for _, tc := range []struct{ goTest, cpuinfo, want string }{
		{"AMD EPYC 7B13", "AMD EPYC 7B13", "AMD EPYC 7B13"},
		{"Oxide Virtual Turin-like Processor", "AMD EPYC", "Oxide Virtual Turin-like Processor (/proc/cpuinfo: AMD EPYC)"},
		{"", "AMD EPYC", "AMD EPYC"},
		{"Apple M2", "", "Apple M2"},
		{"", "", "unknown"},
	} {
		if got := cpuName(tc.goTest, tc.cpuinfo); got != tc.want {
			t.Errorf("cpuName(%q, %q) = %q, want %q", tc.goTest, tc.cpuinfo, got, tc.want)
		}
	}
}

func TestCPUModel(t *testing.T) {
	for _, tc := range []struct{ name, cpuinfo, want string }{
		{"x86", "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n", "AMD EPYC 7B13"},
		{"arm", "processor\t: 0\nBogoMIPS\t: 48.00\n\nHardware\t: BCM2835\n", "BCM2835"},
		{"empty", "", "unknown"},
	} {
		if got := cpuModel(strings.NewReader(tc.cpuinfo)); got != tc.want {
			t.Errorf("%s: cpuModel = %q, want %q", tc.name, got, tc.want)
		}
	}
}
