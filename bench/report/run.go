package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// A RunConfig is one go test -bench invocation.
type RunConfig struct {
	Bench     string   // -bench regexp
	Skip      string   // -skip regexp, "" for none
	Count     int      // -count
	Benchtime string   // -benchtime, "" for go test's default (1s)
	Timeout   string   // -timeout; go test's default 10m is too short for -count 6 of a big package
	Pkgs      []string // packages, relative to the bench module
	// Skipped says in words what Skip leaves out, for the results file
	// and BENCHMARKS.md: "procs>=8 and size>=100000 (-quick)".
	Skipped string
}

// Args returns the arguments of the go command.
func (c RunConfig) Args() []string {
	args := []string{"test", "-run", "^$", "-bench", c.Bench, "-count", strconv.Itoa(c.Count), "-benchmem"}
	if c.Benchtime != "" {
		args = append(args, "-benchtime", c.Benchtime)
	}
	if c.Skip != "" {
		args = append(args, "-skip", c.Skip)
	}
	if c.Timeout != "" {
		args = append(args, "-timeout", c.Timeout)
	}
	return append(args, c.Pkgs...)
}

// CommandLine returns the command as one would type it in a POSIX shell.
func (c RunConfig) CommandLine() string {
	return shellJoin(append([]string{"go"}, c.Args()...))
}

// Run runs the benchmarks in dir, the bench module, copying their output to
// progress as it comes (a full run takes long enough that silence would
// look like a hang) and returning it. The returned output starts with the
// configuration lines of header.
func (c RunConfig) Run(ctx context.Context, dir string, progress io.Writer, reportCmd string) ([]byte, error) {
	var out bytes.Buffer
	header(&out, c, reportCmd, time.Now())
	cmd := exec.CommandContext(ctx, "go", c.Args()...)
	cmd.Dir = dir
	cmd.Stdout = io.MultiWriter(&out, progress)
	cmd.Stderr = progress
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%s: %w", c.CommandLine(), err)
	}
	return out.Bytes(), nil
}

// Configuration keys the report tool writes at the top of a results file,
// in the "key: value" form of the Go benchmark format so benchstat and
// benchfmt carry them along with the goos, goarch, pkg and cpu lines of go
// test. They make a results file self-describing: BENCHMARKS.md can be
// rebuilt from it (-in) on another machine and still name the one that ran.
const (
	cfgCPU        = "cpu"        // printed by go test: the CPUID brand string on x86
	cfgCPUInfo    = "cpuinfo"    // the model name of /proc/cpuinfo, which a VM may report differently
	cfgCores      = "cores"      // runtime.NumCPU
	cfgGomaxprocs = "gomaxprocs" // of the report process, inherited by go test
	cfgGo         = "go"         // runtime.Version of the toolchain running the report
	cfgDate       = "date"       // UTC, day precision: the run, not the rendering
	cfgCommand    = "command"    // the go test command line
	cfgReport     = "report"     // the report command line that ran it
	cfgSkipped    = "skipped"    // what -skip left out, in words; absent when nothing was skipped
)

// header writes the configuration lines that describe the run.
func header(w io.Writer, c RunConfig, reportCmd string, now time.Time) {
	cpu := "unknown"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		cpu = cpuModel(f)
		f.Close()
	}
	fmt.Fprintf(w, "%s: %s\n", cfgCPUInfo, cpu)
	fmt.Fprintf(w, "%s: %d\n", cfgCores, runtime.NumCPU())
	fmt.Fprintf(w, "%s: %d\n", cfgGomaxprocs, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "%s: %s\n", cfgGo, runtime.Version())
	fmt.Fprintf(w, "%s: %s\n", cfgDate, now.UTC().Format(time.DateOnly))
	fmt.Fprintf(w, "%s: %s\n", cfgCommand, c.CommandLine())
	fmt.Fprintf(w, "%s: %s\n", cfgReport, reportCmd)
	if c.Skipped != "" {
		fmt.Fprintf(w, "%s: %s\n", cfgSkipped, c.Skipped)
	}
}

// cpuModel returns the processor model named in /proc/cpuinfo: the "model
// name" of x86, else the "Hardware" or "Processor" line of some arm
// kernels, else "unknown".
func cpuModel(cpuinfo io.Reader) string {
	found := map[string]string{}
	sc := bufio.NewScanner(cpuinfo)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if _, dup := found[k]; !dup && v != "" {
			found[k] = v
		}
	}
	for _, k := range []string{"model name", "Hardware", "Processor"} {
		if v := found[k]; v != "" {
			return v
		}
	}
	return "unknown"
}

// Scale limits of -quick: cases at or above them are skipped. Setting up a
// map of a million keys costs more than measuring it, every procs=N row is
// one more benchmark per implementation, and the small cases already show
// the ranking and the trend; the full run keeps them.
const (
	quickSkipProcs = 8
	quickSkipSize  = 100_000
)

// skippedLarge says in words what skipLarge(procs, size) leaves out.
func skippedLarge(procs, size int) string {
	var s []string
	if procs > 0 {
		s = append(s, keyProcs+">="+strconv.Itoa(procs))
	}
	if size > 0 {
		s = append(s, keySize+">="+strconv.Itoa(size))
	}
	return strings.Join(s, " and ")
}

// maxDepth is how many sub-benchmark levels the -skip expression covers:
// go test matches a pattern element by element, so "procs=64 at any
// level" must be spelled out once per level. Five levels cover five
// dimensions before impl; a deeper procs or size is run, not skipped.
const maxDepth = 5

// skipLarge returns a go test -skip expression that skips every benchmark
// with an element procs=N with N >= procs, or size=N with N >= size, at
// any of the first maxDepth sub-benchmark levels. A limit of 0 is no limit.
func skipLarge(procs, size int) string {
	var alts []string
	if procs > 0 {
		alts = append(alts, keyProcs+"=("+atLeast(procs)+")")
	}
	if size > 0 {
		alts = append(alts, keySize+"=("+atLeast(size)+")")
	}
	if len(alts) == 0 {
		return ""
	}
	elem := "^(" + strings.Join(alts, "|") + ")$"
	levels := make([]string, maxDepth)
	for i := range levels {
		// i+1 empty elements, each matching anything, put elem at level i+1.
		levels[i] = strings.Repeat("/", i+1) + elem
	}
	return strings.Join(levels, "|")
}

// atLeast returns a regular expression, with alternatives but no anchors,
// that matches exactly the decimal integers >= n written without leading
// zeros; n must be positive.
//
// For n = 32: [4-9][0-9]|3[2-9]|[1-9][0-9]{2,} (40..99, 32..39, 100..).
// For n = 100000: [1-9][0-9]{5,}.
func atLeast(n int) string {
	s := strconv.Itoa(n)
	more := "[1-9][0-9]{" + strconv.Itoa(len(s)) + ",}" // more digits than n
	if strings.Trim(s[1:], "0") == "" && s[0] == '1' {
		return "[1-9][0-9]{" + strconv.Itoa(len(s)-1) + ",}" // a power of ten
	}
	var alts []string
	// Same number of digits: keep a prefix of n, raise the next digit, any
	// digits after it. Once only zeros follow, the digit itself may stay:
	// n's prefix followed by anything is >= n, and the search ends.
	for i := range len(s) {
		tail := len(s) - i - 1
		lo, last := s[i]+1, strings.Trim(s[i+1:], "0") == ""
		if last {
			lo = s[i]
		}
		if lo <= '9' {
			alt := s[:i] + digitRange(lo, '9')
			switch {
			case tail == 1:
				alt += "[0-9]"
			case tail > 1:
				alt += "[0-9]{" + strconv.Itoa(tail) + "}"
			}
			alts = append(alts, alt)
		}
		if last {
			break
		}
	}
	return strings.Join(append(alts, more), "|")
}

// digitRange returns a character class for the digits lo..hi.
func digitRange(lo, hi byte) string {
	if lo == hi {
		return string(lo)
	}
	return "[" + string(lo) + "-" + string(hi) + "]"
}

// shellJoin quotes args for a POSIX shell where needed.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
