package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// A Tabler produces the benchstat table of one pattern from the results
// file. The report runs benchstat as a command rather than calling a
// library: its tables are exactly what a reader gets by pasting the
// command shown above them, and tests swap in a fake.
type Tabler interface {
	// Table returns the table and the command line that printed it.
	Table(ctx context.Context, p *Pattern, results string) (table, cmdline string, err error)
}

// defaultAlpha is benchstat's significance level.
const defaultAlpha = 0.05

// benchstatArgs returns the arguments of the benchstat command that prints
// the table of p: only p's results, one column per implementation, in
// p's order so the subject (generated or template) is the base column the
// "vs base" deltas are relative to.
func benchstatArgs(p *Pattern, results string, alpha float64) []string {
	args := []string{
		"-filter", ".name:" + p.Name,
		"-col", "/impl@(" + strings.Join(p.Impls, " ") + ")",
	}
	if alpha != defaultAlpha {
		args = append(args, "-alpha", strconv.FormatFloat(alpha, 'g', -1, 64))
	}
	return append(args, results)
}

// goToolBenchstat runs "go tool benchstat" in Dir, which must be inside the
// bench module: benchstat is declared there with a tool directive. Alpha is
// its significance level, the same as the verdicts'.
type goToolBenchstat struct {
	Dir   string
	Alpha float64
}

func (g goToolBenchstat) Table(ctx context.Context, p *Pattern, results string) (string, string, error) {
	args := append([]string{"tool", "benchstat"}, benchstatArgs(p, results, g.Alpha)...)
	cmdline := shellJoin(append([]string{"go"}, args...))
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = g.Dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", cmdline, fmt.Errorf("%s: %v\n%s", cmdline, err, stderr.Bytes())
	}
	return string(out), cmdline, nil
}

// trimConfig removes the configuration lines ("goos: linux", "cpu: ...")
// benchstat prints above a table: the machine section of BENCHMARKS.md
// already says them once, and the command line would repeat in every table.
func trimConfig(table string) string {
	lines := strings.SplitAfter(table, "\n")
	i := 0
	for i < len(lines) && isConfigLine(lines[i]) {
		i++
	}
	return strings.Trim(strings.Join(lines[i:], ""), "\n")
}

// isConfigLine reports whether line is a "key: value" line of the Go
// benchmark format: the key starts with a lower-case letter and holds no
// space.
func isConfigLine(line string) bool {
	k, _, ok := strings.Cut(line, ":")
	return ok && k != "" && k[0] >= 'a' && k[0] <= 'z' && !strings.ContainsAny(k, " \t")
}
