// Command report runs the comparison benchmarks of the bench module and
// writes BENCHMARKS.md and the charts under docs/bench/.
//
// Run it from the bench directory:
//
//	go run ./report           # full run: -count 6, 500ms per benchmark, ~40 minutes on 2 cores
//	go run ./report -quick    # under 3 minutes: -count 3, 50ms, no procs>=8 or size>=100000
//	go run ./report -in ../docs/bench/results.txt   # re-render, run nothing
//
// Benchmarks must be named Benchmark<Pattern>/k1=v1/.../impl=<name>, impl
// last; procs=N and size=N get charts of their own (see bench/README.md).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
)

// Defaults of a full run: 6 runs are the fewest for which benchstat gives
// a confidence interval at 95%. A benchmark costs about 1.3 times its
// benchtime per run plus its setup (since Go 1.24, b.Loop runs the body
// once per run; b.RunParallel ramps b.N up the same way), so the ~440
// benchmarks of a full run take about 40 minutes on 2 cores at 500ms, half
// go test's default of 1s, which is ample for operations of nanoseconds to
// milliseconds.
const (
	defaultCount     = 6
	defaultBenchtime = "500ms"
	quickCount       = 3
	// quickBenchtime with quickCount and the -skip of quickSkipProcs and
	// quickSkipSize keeps the ~370 benchmarks left near 2 minutes.
	quickBenchtime = "50ms"
	defaultTimeout = "30m" // go test's 10m per package binary is short for -count 6
)

// chartsDir is where charts and raw results go, relative to -out.
const chartsDir = "docs/bench"

// resultsFile is the raw go test output, kept next to the charts so the
// report can be rebuilt (-in) and benchstat re-run by anyone.
const resultsFile = "results.txt"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

type options struct {
	run   RunConfig
	quick bool
	in    string
	out   string
	png   bool
	alpha float64
	// reportCmd is how to run the report again with the same selection.
	reportCmd string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	var pkgs string
	fs.StringVar(&o.run.Bench, "bench", ".", "run only the benchmarks matching `regexp` (go test -bench)")
	fs.StringVar(&o.run.Skip, "skip", "", "skip the benchmarks matching `regexp` (go test -skip); -quick sets one for the largest cases")
	fs.IntVar(&o.run.Count, "count", defaultCount, "run each benchmark `n` times (go test -count)")
	fs.StringVar(&o.run.Benchtime, "benchtime", defaultBenchtime, "run each benchmark for `d` or Nx (go test -benchtime)")
	fs.StringVar(&o.run.Timeout, "timeout", defaultTimeout, "go test -timeout")
	fs.StringVar(&pkgs, "pkgs", "./...", "space-separated `packages` to benchmark, relative to the bench module")
	fs.BoolVar(&o.quick, "quick", false, fmt.Sprintf("quick run: -count %d -benchtime %s, skipping procs>=%d and size>=%d (flags given explicitly win)",
		quickCount, quickBenchtime, quickSkipProcs, quickSkipSize))
	fs.StringVar(&o.in, "in", "", "read go test -bench output from `file` instead of running the benchmarks")
	fs.StringVar(&o.out, "out", "", "write BENCHMARKS.md into `dir` and charts into dir/"+chartsDir+" (default: the repository root)")
	fs.BoolVar(&o.png, "png", false, "also write each chart as PNG")
	fs.Float64Var(&o.alpha, "alpha", defaultAlpha, "significance level of the verdicts and benchstat's tables (benchstat -alpha)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./report [flags]   (from the bench directory)\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q; packages go in -pkgs", fs.Args())
	}
	o.run.Pkgs = strings.Fields(pkgs)

	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.quick {
		if !set["count"] {
			o.run.Count = quickCount
		}
		if !set["benchtime"] {
			o.run.Benchtime = quickBenchtime
		}
		if !set["skip"] {
			o.run.Skip = skipLarge(quickSkipProcs, quickSkipSize)
			o.run.Skipped = skippedLarge(quickSkipProcs, quickSkipSize) + " (-quick)"
		}
	}
	if o.run.Skip != "" && o.run.Skipped == "" {
		o.run.Skipped = "the benchmarks matching -skip " + shellQuote(o.run.Skip)
	}
	if o.run.Count < 1 {
		return nil, fmt.Errorf("-count %d: must be at least 1", o.run.Count)
	}
	if _, err := regexp.Compile(o.run.Bench); err != nil {
		return nil, fmt.Errorf("-bench: %v", err)
	}

	// The command that reproduces this selection: the flags as given,
	// minus where the files go.
	cmd := []string{"go", "run", "./report"}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "in", "out", "png":
			return
		}
		if f.Name == "quick" {
			cmd = append(cmd, "-quick")
			return
		}
		cmd = append(cmd, "-"+f.Name, f.Value.String())
	})
	o.reportCmd = shellJoin(cmd)
	return o, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()

	benchDir, err := benchModuleDir(ctx)
	if err != nil {
		return err
	}
	if o.out == "" {
		o.out = filepath.Dir(benchDir)
	}
	chartDir := filepath.Join(o.out, filepath.FromSlash(chartsDir))
	if err := os.MkdirAll(chartDir, 0o755); err != nil {
		return err
	}
	resultsPath := filepath.Join(chartDir, resultsFile)

	var data []byte
	if o.in != "" {
		if data, err = os.ReadFile(o.in); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stderr, "report: %s\n", o.run.CommandLine())
		data, err = o.run.Run(ctx, benchDir, stderr, o.reportCmd)
		if err != nil {
			// Keep the old results and report; leave this run's output
			// where it can be read.
			if f, ferr := os.CreateTemp("", "bench-results-*.txt"); ferr == nil {
				f.Write(data)
				f.Close()
				err = fmt.Errorf("%w\n(output kept in %s)", err, f.Name())
			}
			return err
		}
	}

	name := o.in
	if name == "" {
		name = "go test output"
	}
	suite, err := Parse(bytes.NewReader(data), name)
	if err != nil {
		return err
	}
	if len(suite.Patterns) == 0 {
		return fmt.Errorf("no benchmark results follow the naming convention (Benchmark<Pattern>/.../impl=<name>)")
	}
	for _, w := range suite.Warnings {
		fmt.Fprintln(stderr, "report: warning:", w)
	}

	if !sameFile(o.in, resultsPath) {
		if err := writeFile(resultsPath, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return err
		}
	}
	resultsFromBench, err := filepath.Rel(benchDir, resultsPath)
	if err != nil {
		resultsFromBench = resultsPath
	}
	rep, err := buildReport(ctx, suite, buildConfig{
		mdDir:            o.out,
		chartDir:         chartDir,
		resultsPath:      resultsPath,
		resultsFromBench: filepath.ToSlash(resultsFromBench),
		png:              o.png,
		alpha:            o.alpha,
		tabler:           goToolBenchstat{Dir: benchDir, Alpha: o.alpha},
	})
	if err != nil {
		return err
	}
	mdPath := filepath.Join(o.out, "BENCHMARKS.md")
	if err := writeFile(mdPath, rep.WriteMarkdown); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "report: wrote %s, %s and the charts in %s\n", mdPath, resultsPath, chartDir)
	return nil
}

type buildConfig struct {
	mdDir, chartDir  string
	resultsPath      string // where the results file is
	resultsFromBench string // the same, as benchstat is given it from the bench module
	png              bool
	alpha            float64
	tabler           Tabler
}

// buildReport writes the charts, runs benchstat and computes the verdicts
// of every pattern of s.
func buildReport(ctx context.Context, s *Suite, c buildConfig) (*Report, error) {
	rel := func(path string) string {
		r, err := filepath.Rel(c.mdDir, path)
		if err != nil {
			return filepath.ToSlash(path)
		}
		return filepath.ToSlash(r)
	}
	rep := &Report{
		Machine:          machineOf(s),
		RunCmd:           s.Config[cfgCommand],
		ReportCmd:        s.Config[cfgReport],
		Skipped:          s.Config[cfgSkipped],
		Results:          rel(c.resultsPath),
		ResultsFromBench: c.resultsFromBench,
		Alpha:            c.alpha,
		Warnings:         s.Warnings,
	}
	if rep.Skipped == "" && strings.Contains(rep.RunCmd, " -skip ") {
		// Recorded before the report wrote what it skipped.
		rep.Skipped = "the benchmarks matching the -skip of its command"
	}
	if err := os.MkdirAll(c.chartDir, 0o755); err != nil {
		return nil, err
	}
	written := map[string]bool{}
	for _, p := range s.Patterns {
		files, err := WriteCharts(c.chartDir, p, c.png)
		if err != nil {
			return nil, err
		}
		sec := Section{Pattern: p, Verdicts: Verdicts(p, c.alpha)}
		for _, f := range files {
			written[f] = true
			if strings.HasSuffix(f, ".svg") {
				sec.Charts = append(sec.Charts, rel(filepath.Join(c.chartDir, f)))
			}
		}
		sec.Table, sec.TableCmd, err = c.tabler.Table(ctx, p, c.resultsFromBench)
		if err != nil {
			return nil, err
		}
		rep.Sections = append(rep.Sections, sec)
	}
	return rep, removeStaleCharts(c.chartDir, written)
}

// staleChart matches the names WriteCharts gives its files.
var staleChart = regexp.MustCompile(`^[a-z0-9_]+-(` + chartImpl + `|` + chartProcs + `|` + chartSize + `)\.(svg|png)$`)

// removeStaleCharts deletes the charts of patterns or dimensions that are
// gone, so docs/bench holds only what BENCHMARKS.md shows.
func removeStaleCharts(dir string, written map[string]bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() && staleChart.MatchString(e.Name()) && !written[e.Name()] {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchModuleDir returns the directory of the module the go command runs
// in, which must be the bench module: it declares benchstat as a tool and
// requires the peers.
func benchModuleDir(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not in a Go module; run from the bench directory: cd bench && go run ./report")
	}
	return filepath.Dir(gomod), nil
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) bool {
	if a == "" {
		return false
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
