// Command monogen generates non-generic, type-specialized concurrent code —
// sharded maps, worker pools, pipelines and more — from //monogen: directives.
//
// Usage:
//
//	//go:generate go tool monogen
//	//monogen:map SessionStore[SessionID, *Session] shards=64
//
//	monogen [flags] [packages]
//
// Exit codes: 0 success, 1 generated files are stale (-check), 2 bad input
// (a directive, a flag, a package that does not load), 3 an internal error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"unicode/utf8"

	"github.com/monogen/monogen/internal/gen"
	"github.com/monogen/monogen/internal/kinds"
)

const (
	exitOK       = 0
	exitStale    = 1
	exitBadInput = 2
	exitInternal = 3
)

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("monogen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "generate in memory, print a diff of stale files and exit 1 if any")
	output := fs.String("output", "", "write all code of the (single) package to this .go file of its directory instead of x_monogen.go per source file")
	version := fs.Bool("version", false, "print the version and exit")
	verbose := fs.Bool("v", false, "list the files written")
	allErrors := fs.Bool("e", false, "report all errors, not only the first ten (as go build -gcflags=-e)")
	bench := fs.Bool("bench", false, "also write x_monogen_bench_test.go: benchmarks of each generated type against its template (as bench=true on every directive that can be benchmarked as written; the others get a note)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (for monogen's developers; not listed by -h)")
	fs.Usage = func() { usage(fs, stderr) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitBadInput
	}
	if *version {
		fmt.Fprintln(stdout, "monogen", versionString())
		return exitOK
	}
	if *cpuprofile != "" {
		stop, err := startProfile(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "monogen:", err)
			return exitBadInput
		}
		defer stop()
	}
	patterns := fs.Args()
	res, err := gen.Generate(gen.Config{Dir: ".", Patterns: patterns, Output: *output, Bench: *bench})
	if err != nil {
		msg := err.Error()
		var list gen.Errors
		if *allErrors && errors.As(err, &list) {
			msg = list.All()
		}
		printErr(stderr, relErr(msg))
		var ie *gen.InternalError
		if errors.As(err, &ie) {
			return exitInternal
		}
		return exitBadInput
	}
	// Notes (directives -bench could not benchmark) go to stderr, as
	// errors do, whatever follows.
	for _, n := range res.Notes {
		printErr(stderr, relErr(n))
	}
	if *check {
		ok, err := gen.Check(res, stdout, rel)
		if err != nil {
			fmt.Fprintln(stderr, "monogen:", err)
			return exitInternal
		}
		if !ok {
			fmt.Fprintln(stderr, "monogen: generated files are stale; run go generate")
			return exitStale
		}
		return exitOK
	}
	changes, err := gen.Write(res)
	if err != nil {
		printErr(stderr, "monogen: "+relErr(err.Error()))
		return exitBadInput
	}
	if *verbose {
		for _, c := range changes {
			fmt.Fprintf(stdout, "%s %s\n", c.Action, rel(c.Path))
		}
	}
	return exitOK
}

// maxLine is the longest line of an error report: a message quoting a huge
// input (go's own, about a pattern of kilobytes) is cut there.
const maxLine = 1000

// printErr prints an error report, each line cut to maxLine bytes.
func printErr(w io.Writer, msg string) {
	for line := range strings.Lines(msg) {
		line = strings.TrimSuffix(line, "\n")
		if len(line) > maxLine {
			cut := maxLine - len("...")
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			line = line[:cut] + "..."
		}
		fmt.Fprintln(w, line)
	}
}

// rel shortens absolute paths under the working directory, as the go command does.
func rel(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

func relErr(msg string) string {
	wd, err := os.Getwd()
	if err != nil {
		return msg
	}
	return strings.ReplaceAll(msg, wd+string(filepath.Separator), "")
}

// hidden are the flags -h does not list.
var hidden = map[string]bool{"cpuprofile": true}

// startProfile starts a CPU profile written to path; stop ends it.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" {
		return "(devel)"
	}
	return bi.Main.Version
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `monogen generates type-specialized concurrent code from //monogen: directives.

Usage:
	monogen [flags] [packages]      (default package: .)

In a package:
	//go:generate go tool monogen
	//monogen:<kind> <Name>[<T1>, <T2>, ...] [key=value ...]

Kinds:
`)
	for _, n := range kinds.Names() {
		k, _ := kinds.Lookup(n)
		fmt.Fprintf(w, "\t%-10s %s\n", n, k.Doc)
		if k.Keyed != nil {
			with := "a key type"
			if k.Keyed.KeyOption != "" {
				with = k.Keyed.KeyOption + "="
			}
			fmt.Fprintf(w, "\t%-10s with %s: %s\n", "", with, k.Keyed.Doc)
		}
	}
	fmt.Fprint(w, "\nFlags:\n")
	// -cpuprofile is for monogen's developers: not listed.
	listed := flag.NewFlagSet("monogen", flag.ContinueOnError)
	listed.SetOutput(w)
	fs.VisitAll(func(f *flag.Flag) {
		if !hidden[f.Name] {
			listed.Var(f.Value, f.Name, f.Usage)
		}
	})
	listed.PrintDefaults()
	fmt.Fprint(w, `
Exit codes: 0 ok, 1 stale (with -check), 2 bad input, 3 internal error.
`)
}
