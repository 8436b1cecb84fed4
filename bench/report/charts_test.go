package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestWriteCharts renders every pattern of the recorded results and checks
// that each expected chart, and only it, is a non-empty, well-formed SVG
// document that names the implementations.
func TestWriteCharts(t *testing.T) {
	dir := t.TempDir()
	s := parseFile(t, "testdata/results.txt")
	want := map[string][]string{
		"ShardMap": {"shardmap-impl.svg", "shardmap-procs.svg"},
		"Pool":     {"pool-impl.svg"},
		"Pipeline": {"pipeline-impl.svg", "pipeline-size.svg"},
	}
	for _, p := range s.Patterns {
		files, err := WriteCharts(dir, p, false)
		if err != nil {
			t.Fatalf("WriteCharts(%s): %v", p.Name, err)
		}
		if !slices.Equal(files, want[p.Name]) {
			t.Errorf("WriteCharts(%s) wrote %q, want %q", p.Name, files, want[p.Name])
		}
		for _, f := range files {
			text := checkSVG(t, filepath.Join(dir, f))
			for _, impl := range p.Impls {
				if !strings.Contains(text, ">"+impl+"<") {
					t.Errorf("%s has no text %q in its legend", f, impl)
				}
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 5 {
		t.Errorf("%d files in the chart directory, want the 5 charts and no temporary file", len(entries))
	}
}

// TestWriteChartsEdgeCases covers rows that differ only by GOMAXPROCS, a
// pattern with one implementation and no dimension, and the PNG output
// (once: rasterizing is slow under the race detector).
func TestWriteChartsEdgeCases(t *testing.T) {
	dir := t.TempDir()
	s := parseFile(t, "testdata/edge.txt")
	for _, p := range s.Patterns {
		png := p.Name == "OnlyPeers"
		files, err := WriteCharts(dir, p, png)
		if err != nil {
			t.Fatalf("WriteCharts(%s): %v", p.Name, err)
		}
		want := []string{p.Slug() + "-impl.svg"}
		if png {
			want = append(want, p.Slug()+"-impl.png")
		}
		if !slices.Equal(files, want) {
			t.Errorf("WriteCharts(%s) wrote %q, want %q", p.Name, files, want)
		}
		checkSVG(t, filepath.Join(dir, want[0]))
		if !png {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, want[1]))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s is not a PNG file", want[1])
		}
	}
}

// checkSVG fails unless name is a non-empty, well-formed XML document whose
// root element is <svg>, and returns its content.
func checkSVG(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		t.Fatalf("%s is empty", name)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", name, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
			if se.Name.Space != "http://www.w3.org/2000/svg" {
				t.Errorf("%s: root namespace %q, want the SVG namespace", name, se.Name.Space)
			}
		}
	}
	if root != "svg" {
		t.Fatalf("%s: root element <%s>, want <svg>", name, root)
	}
	return string(data)
}

func TestFormatNs(t *testing.T) {
	for ns, want := range map[float64]string{
		0:      "0",
		0.35:   "0.35ns",
		4:      "4ns",
		250:    "250ns",
		1500:   "1.5µs",
		2e6:    "2ms",
		3.25e9: "3.25s",
	} {
		if got := formatNs(ns); got != want {
			t.Errorf("formatNs(%v) = %q, want %q", ns, got, want)
		}
	}
}

func TestFormatCount(t *testing.T) {
	for x, want := range map[float64]string{
		1:       "1",
		48:      "48",
		1000:    "1k",
		1024:    "1Ki",
		10000:   "10k",
		1 << 20: "1Mi",
		1e6:     "1M",
		1500:    "1500",
		2.5:     "2.5",
	} {
		if got := formatCount(x); got != want {
			t.Errorf("formatCount(%v) = %q, want %q", x, got, want)
		}
	}
}

// TestFloorLog checks the scale that lets bars, which start at zero, stand
// on a logarithmic axis.
func TestFloorLog(t *testing.T) {
	f := floorLog{floor: 1}
	for _, tc := range []struct{ lo, hi, x, want float64 }{
		{1, 100, 0, 0}, // a bar's base: the bottom of the axis
		{0, 100, 1, 0}, // an axis minimum left at zero by the bar chart
		{1, 100, 10, 0.5},
		{1, 100, 100, 1},
	} {
		if got := f.Normalize(tc.lo, tc.hi, tc.x); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Normalize(%v, %v, %v) = %v, want %v", tc.lo, tc.hi, tc.x, got, tc.want)
		}
	}
}

// TestWriteChartsShapes covers a pattern with more rows than one panel
// holds, and a size dimension whose every workload was measured at a single
// size, which cannot draw a line (the pool benchmarks do that: size
// depends on the job).
func TestWriteChartsShapes(t *testing.T) {
	var in strings.Builder
	in.WriteString("pkg: example/shapes\n")
	for i := range 2*maxGroups + 3 {
		for _, impl := range []string{"template", "peer"} {
			fmt.Fprintf(&in, "BenchmarkWide/n=%d/impl=%s-2 1000 %d ns/op\n", i, impl, 100+10*i)
		}
	}
	for _, job := range []struct {
		name string
		size int
	}{{"tiny", 1 << 20}, {"slow", 1 << 14}} {
		for _, impl := range []string{"template", "peer"} {
			fmt.Fprintf(&in, "BenchmarkOnePoint/job=%s/size=%d/impl=%s-2 1000 500 ns/op\n", job.name, job.size, impl)
		}
	}
	s, err := Parse(strings.NewReader(in.String()), "shapes")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, p := range s.Patterns {
		files, err := WriteCharts(dir, p, false)
		if err != nil {
			t.Fatalf("WriteCharts(%s): %v", p.Name, err)
		}
		if want := []string{p.Slug() + "-impl.svg"}; !slices.Equal(files, want) {
			t.Errorf("WriteCharts(%s) wrote %q, want %q", p.Name, files, want)
		}
		text := checkSVG(t, filepath.Join(dir, files[0]))
		if p.Name != "Wide" {
			continue
		}
		// Every row is labelled, in one of three panels.
		for i := range len(p.Rows) {
			if !strings.Contains(text, fmt.Sprintf(">n=%d<", i)) {
				t.Errorf("wide-impl.svg has no label n=%d", i)
			}
		}
		if got := strings.Count(text, ">time/op<"); got != 3 {
			t.Errorf("wide-impl.svg has %d time/op axes, want 3 panels of at most %d rows", got, maxGroups)
		}
	}
}

// TestWriteChartsProcs renders procs charts for results shaped like the
// bench module's: a pattern whose only dimension is procs, one with procs
// under other dimensions (one subplot each), one whose generated
// implementation was measured at some procs only, and one with both a size
// and a procs dimension where the procs rows were taken at a single size.
func TestWriteChartsProcs(t *testing.T) {
	procs := []int{1, 2, 4, 8}
	var in strings.Builder
	in.WriteString("pkg: example/procs\n")
	line := func(name string, ns int) {
		for range 3 {
			fmt.Fprintf(&in, "Benchmark%s-2 1000 %d ns/op\n", name, ns)
		}
	}
	for _, impl := range []string{"generated", "template", "channel"} {
		line("Semaphore/contention=none/impl="+impl, 10)
	}
	for i, n := range procs {
		for j, impl := range []string{"generated", "template", "channel"} {
			line(fmt.Sprintf("Semaphore/procs=%d/impl=%s", n, impl), 10+5*i+j)
			for _, job := range []string{"tiny", "1us"} {
				line(fmt.Sprintf("Pool/job=%s/mode=submit/procs=%d/impl=%s", job, n, impl), 100*(i+1)+j)
			}
			if impl != "generated" || n == 1 || n == 4 {
				line(fmt.Sprintf("Pipeline/work=trivial/procs=%d/order=ordered/impl=%s", n, impl), 300+j-i)
			}
			line(fmt.Sprintf("Batcher/size=50/procs=%d/impl=%s", n, impl), 20+i)
		}
	}
	for _, size := range []int{50, 500} {
		for _, impl := range []string{"generated", "template", "channel"} {
			line(fmt.Sprintf("Batcher/size=%d/impl=%s", size, impl), 1000/size)
		}
	}
	s, err := Parse(strings.NewReader(in.String()), "procs")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		pattern string
		files   []string
		titles  []string // of the subplots of the procs chart
	}{
		{"Semaphore", []string{"semaphore-impl.svg", "semaphore-procs.svg"},
			[]string{"Semaphore: time/op against procs"}},
		{"Pool", []string{"pool-impl.svg", "pool-procs.svg"},
			[]string{"Pool, job=tiny mode=submit", "Pool, job=1us mode=submit"}},
		{"Pipeline", []string{"pipeline-impl.svg", "pipeline-procs.svg"},
			[]string{"Pipeline, work=trivial order=ordered"}},
		{"Batcher", []string{"batcher-impl.svg", "batcher-procs.svg", "batcher-size.svg"},
			[]string{"Batcher, size=50"}},
	} {
		p := s.Pattern(tc.pattern)
		if p == nil {
			t.Fatalf("no pattern %s", tc.pattern)
		}
		files, err := WriteCharts(dir, p, false)
		if err != nil {
			t.Fatalf("WriteCharts(%s): %v", p.Name, err)
		}
		if !slices.Equal(files, tc.files) {
			t.Errorf("WriteCharts(%s) wrote %q, want %q", p.Name, files, tc.files)
			continue
		}
		text := checkSVG(t, filepath.Join(dir, p.Slug()+"-procs.svg"))
		for _, title := range tc.titles {
			if !strings.Contains(text, ">"+title+"<") {
				t.Errorf("%s-procs.svg has no subplot titled %q", p.Slug(), title)
			}
		}
		if got := strings.Count(text, ">time/op<"); got != len(tc.titles) {
			t.Errorf("%s-procs.svg has %d subplots, want %d", p.Slug(), got, len(tc.titles))
		}
		// A tick at each goroutine count measured, and a legend entry for
		// every implementation, the partly measured one included.
		for _, n := range procs {
			if !strings.Contains(text, fmt.Sprintf(">%d<", n)) {
				t.Errorf("%s-procs.svg has no tick %d", p.Slug(), n)
			}
		}
		for _, impl := range p.Impls {
			if !strings.Contains(text, ">"+impl+"<") {
				t.Errorf("%s-procs.svg has no legend entry %s", p.Slug(), impl)
			}
		}
	}
	// The size chart of Batcher draws the two sizes measured without
	// procs; each procs row has one size only and draws no line.
	text := checkSVG(t, filepath.Join(dir, "batcher-size.svg"))
	if got := strings.Count(text, ">time/op<"); got != 1 {
		t.Errorf("batcher-size.svg has %d subplots, want 1", got)
	}
}
