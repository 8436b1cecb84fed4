package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.md")

// fakeTabler stands in for benchstat: a table with the configuration
// header benchstat prints, which the report must drop.
type fakeTabler struct{}

func (fakeTabler) Table(_ context.Context, p *Pattern, results string) (string, string, error) {
	table := "goos: linux\ncpu: AMD EPYC 7B13\ncommand: go test -bench .\n" +
		"        │ " + strings.Join(p.Impls, " │ ") + " │\n" +
		p.Name + "-2   1.0n ± 1%\n"
	return table, shellJoin(append([]string{"go", "tool", "benchstat"}, benchstatArgs(p, results, defaultAlpha)...)), nil
}

// TestMarkdownGolden renders BENCHMARKS.md from the recorded results and
// compares it with testdata/BENCHMARKS.golden.md (go test -update rewrites it).
func TestMarkdownGolden(t *testing.T) {
	for _, name := range []string{"results", "edge"} {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			s := parseFile(t, "testdata/"+name+".txt")
			rep, err := buildReport(context.Background(), s, buildConfig{
				mdDir:            out,
				chartDir:         filepath.Join(out, "docs", "bench"),
				resultsPath:      filepath.Join(out, "docs", "bench", "results.txt"),
				resultsFromBench: "../docs/bench/results.txt",
				alpha:            0.05,
				tabler:           fakeTabler{},
			})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := rep.WriteMarkdown(&buf); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden.md")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("BENCHMARKS.md differs from %s (go test -update rewrites it):\n%s", golden, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff reports the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 5; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %s\n   got %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

func TestTrimConfig(t *testing.T) {
	in := "goos: linux\ngoarch: amd64\npkg: example/pool\ncpu: AMD EPYC 7B13\n" +
		"          │ template │\n          │  sec/op  │\nPool-2    1.0n ± 1%\n\n"
	want := "          │ template │\n          │  sec/op  │\nPool-2    1.0n ± 1%"
	if got := trimConfig(in); got != want {
		t.Errorf("trimConfig:\n%q\nwant\n%q", got, want)
	}
	for line, want := range map[string]bool{
		"goos: linux":          true,
		"command: go test -x":  true,
		"Pool/job=a-2   1.0n":  false,
		"  │ template │":       false,
		"Some Key: with space": false,
		"":                     false,
	} {
		if got := isConfigLine(line); got != want {
			t.Errorf("isConfigLine(%q) = %v, want %v", line, got, want)
		}
	}
}

// TestGoToolBenchstat runs the real benchstat, declared as a tool of the
// bench module, on the recorded results.
func TestGoToolBenchstat(t *testing.T) {
	s := parseFile(t, "testdata/results.txt")
	table, cmdline, err := goToolBenchstat{Dir: ".", Alpha: defaultAlpha}.Table(context.Background(), s.Pattern("Pool"), "testdata/results.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := "go tool benchstat -filter .name:Pool -col '/impl@(template ants pond workerpool)' testdata/results.txt"; cmdline != want {
		t.Errorf("command line = %s, want %s", cmdline, want)
	}
	for _, want := range []string{"template", "workerpool", "sec/op", "allocs/op", "Pool/job=tiny/mode=submit-2", "vs base"} {
		if !strings.Contains(table, want) {
			t.Errorf("benchstat table lacks %q:\n%s", want, table)
		}
	}
	if _, cmdline, _ := (goToolBenchstat{Dir: ".", Alpha: 0.01}).Table(context.Background(), s.Pattern("Pool"), "testdata/results.txt"); !strings.Contains(cmdline, " -alpha 0.01 ") {
		t.Errorf("alpha 0.01 is not passed on to benchstat: %s", cmdline)
	}
	if strings.Contains(table, "ShardMap") {
		t.Errorf("the Pool table shows other patterns:\n%s", table)
	}
	// template is the base column: it comes first.
	if i, j := strings.Index(table, "template"), strings.Index(table, "ants"); i < 0 || j < i {
		t.Errorf("template is not the first column:\n%s", table)
	}
}

// TestMarkdownSkipped checks that BENCHMARKS.md says what its run left
// out: from the skipped line the report writes, or, for results recorded
// before it wrote one, from a -skip in the go test command.
func TestMarkdownSkipped(t *testing.T) {
	quick := RunConfig{Bench: ".", Count: quickCount, Benchtime: quickBenchtime, Pkgs: []string{"./..."},
		Skip: skipLarge(quickSkipProcs, quickSkipSize), Skipped: skippedLarge(quickSkipProcs, quickSkipSize) + " (-quick)"}
	var withLine bytes.Buffer
	header(&withLine, quick, "go run ./report -quick", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	full := quick
	full.Skip, full.Skipped = "", ""
	var noSkip bytes.Buffer
	header(&noSkip, full, "go run ./report", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	legacy := "command: " + quick.CommandLine() + "\nreport: go run ./report -quick\n"
	for _, tc := range []struct {
		name, header, want string
	}{
		{"quick", withLine.String(), "**These results left out procs>=8 and size>=100000 (-quick).**"},
		{"full", noSkip.String(), "every procs chart. These results left nothing out.\n"},
		{"legacy", legacy, "**These results left out the benchmarks matching the -skip of its command.**"},
		{"hand-captured", "", "every procs chart.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.header + "pkg: example/x\nBenchmarkX/procs=1/impl=template-2 1000 10 ns/op\n"
			s, err := Parse(strings.NewReader(in), tc.name)
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			rep, err := buildReport(context.Background(), s, buildConfig{
				mdDir:            out,
				chartDir:         filepath.Join(out, "docs", "bench"),
				resultsPath:      filepath.Join(out, "docs", "bench", "results.txt"),
				resultsFromBench: "../docs/bench/results.txt",
				alpha:            0.05,
				tabler:           fakeTabler{},
			})
			if err != nil {
				t.Fatal(err)
			}
			var md bytes.Buffer
			if err := rep.WriteMarkdown(&md); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(md.String(), tc.want) {
				t.Errorf("BENCHMARKS.md lacks %q:\n%s", tc.want, md.String())
			}
			if tc.name != "quick" && tc.name != "legacy" && strings.Contains(md.String(), "left out") {
				t.Errorf("BENCHMARKS.md of a run that skipped nothing says it left something out")
			}
		})
	}
}
