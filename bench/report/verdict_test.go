package main

import (
	"math"
	"strings"
	"testing"
)

// verdictInput has generated at 10ns, template at 11ns, xsync at 23ns and
// syncmap at 10.1ns, six runs each; and a second row run three times.
const verdictInput = `pkg: example/shardmap
BenchmarkMap/op=load/impl=generated-2   1 10.0 ns/op
BenchmarkMap/op=load/impl=generated-2   1 10.1 ns/op
BenchmarkMap/op=load/impl=generated-2   1  9.9 ns/op
BenchmarkMap/op=load/impl=generated-2   1 10.0 ns/op
BenchmarkMap/op=load/impl=generated-2   1 10.2 ns/op
BenchmarkMap/op=load/impl=generated-2   1  9.8 ns/op
BenchmarkMap/op=load/impl=template-2    1 11.0 ns/op
BenchmarkMap/op=load/impl=template-2    1 11.1 ns/op
BenchmarkMap/op=load/impl=template-2    1 10.9 ns/op
BenchmarkMap/op=load/impl=template-2    1 11.0 ns/op
BenchmarkMap/op=load/impl=template-2    1 11.2 ns/op
BenchmarkMap/op=load/impl=template-2    1 10.8 ns/op
BenchmarkMap/op=load/impl=xsync-2       1 23.0 ns/op
BenchmarkMap/op=load/impl=xsync-2       1 23.1 ns/op
BenchmarkMap/op=load/impl=xsync-2       1 22.9 ns/op
BenchmarkMap/op=load/impl=xsync-2       1 23.0 ns/op
BenchmarkMap/op=load/impl=xsync-2       1 23.2 ns/op
BenchmarkMap/op=load/impl=xsync-2       1 22.8 ns/op
BenchmarkMap/op=load/impl=syncmap-2     1 10.1 ns/op
BenchmarkMap/op=load/impl=syncmap-2     1  9.9 ns/op
BenchmarkMap/op=load/impl=syncmap-2     1 10.2 ns/op
BenchmarkMap/op=load/impl=syncmap-2     1  9.8 ns/op
BenchmarkMap/op=load/impl=syncmap-2     1 10.0 ns/op
BenchmarkMap/op=load/impl=syncmap-2     1 10.0 ns/op
BenchmarkMap/op=store/impl=template-2   1 50 ns/op
BenchmarkMap/op=store/impl=template-2   1 51 ns/op
BenchmarkMap/op=store/impl=template-2   1 49 ns/op
BenchmarkMap/op=store/impl=xsync-2      1 25 ns/op
BenchmarkMap/op=store/impl=xsync-2      1 24 ns/op
BenchmarkMap/op=store/impl=xsync-2      1 26 ns/op
BenchmarkMap/op=delete/impl=xsync-2     1 26 ns/op
BenchmarkMap/op=range/impl=template-2   1 26 ns/op
`

func TestVerdicts(t *testing.T) {
	s, err := Parse(strings.NewReader(verdictInput), "verdict")
	if err != nil {
		t.Fatal(err)
	}
	vs := Verdicts(s.Pattern("Map"), 0.05)
	want := []string{
		"`op=load`: generated is 1.1x faster than template, 2.3x faster than xsync, as fast as syncmap (~)",
		// Three runs: a halving is still not significant at 0.05.
		"`op=store`: template is 2.0x slower than xsync (~)",
		"`op=delete`: no generated or template result to compare",
		"`op=range`: only template was measured",
	}
	if len(vs) != len(want) {
		t.Fatalf("got %d verdicts, want %d", len(vs), len(want))
	}
	for i, v := range vs {
		if got := v.String(); got != want[i] {
			t.Errorf("verdict %d:\n got %s\nwant %s", i, got, want[i])
		}
	}

	load := vs[0].Comparisons
	if load[1].Other != "xsync" || math.Abs(load[1].Speedup-2.3) > 1e-9 || !load[1].Significant {
		t.Errorf("generated vs xsync = %+v, want speedup 23/10 = 2.3, significant", load[1])
	}
	if load[2].Significant || load[2].P < 0.05 {
		t.Errorf("generated vs syncmap = %+v: equal medians must not be significant", load[2])
	}
	if store := vs[1].Comparisons[0]; store.P < 0.1 {
		t.Errorf("p-value with 3+3 runs = %v; the Mann-Whitney U test cannot go below 0.1", store.P)
	}
	// A stricter alpha turns a significant difference into noise.
	if c := Verdicts(s.Pattern("Map"), 0.001)[0].Comparisons[0]; c.Significant {
		t.Errorf("alpha 0.001: %+v still significant with p=%v", c, c.P)
	}
}

func TestRatioPhrase(t *testing.T) {
	for _, tc := range []struct {
		speedup float64
		want    string
	}{
		{2.3, "2.3x faster than"},
		{1 / 1.1, "1.1x slower than"},
		{1.04, "1.04x faster than"},
		{1 / 1.04, "1.04x slower than"},
		{1.094, "1.09x faster than"},
		{1.0004, "as fast as"},
		{0.9996, "as fast as"},
		{9.94, "9.9x faster than"},
		{125, "125x faster than"},
		{0.5, "2.0x slower than"},
		{0, "not comparable with"},
	} {
		if got := ratioPhrase(tc.speedup); got != tc.want {
			t.Errorf("ratioPhrase(%v) = %q, want %q", tc.speedup, got, tc.want)
		}
	}
}
