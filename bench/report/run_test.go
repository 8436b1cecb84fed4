package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestRunConfigArgs(t *testing.T) {
	c := RunConfig{Bench: "Pool", Count: 3, Benchtime: "100ms", Skip: "/procs=64", Timeout: "30m", Pkgs: []string{"./pool/", "./shardmap/"}}
	want := []string{"test", "-run", "^$", "-bench", "Pool", "-count", "3", "-benchmem", "-benchtime", "100ms", "-skip", "/procs=64", "-timeout", "30m", "./pool/", "./shardmap/"}
	if got := c.Args(); !slices.Equal(got, want) {
		t.Errorf("Args() =\n%q\nwant\n%q", got, want)
	}
	wantLine := `go test -run '^$' -bench Pool -count 3 -benchmem -benchtime 100ms -skip /procs=64 -timeout 30m ./pool/ ./shardmap/`
	if got := c.CommandLine(); got != wantLine {
		t.Errorf("CommandLine() =\n%s\nwant\n%s", got, wantLine)
	}

	// Optional flags are left out rather than passed empty.
	c = RunConfig{Bench: ".", Count: 6, Pkgs: []string{"./..."}}
	if got, want := c.CommandLine(), `go test -run '^$' -bench . -count 6 -benchmem ./...`; got != want {
		t.Errorf("CommandLine() = %s, want %s", got, want)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"./...":             "./...",
		"-bench":            "-bench",
		"^$":                "'^$'",
		"":                  "''",
		"/impl@(a b)":       "'/impl@(a b)'",
		"it's":              `'it'\''s'`,
		".name:Pool":        ".name:Pool",
		"size=(1|2)":        "'size=(1|2)'",
		"../docs/bench/r.t": "../docs/bench/r.t",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestAtLeast checks the expression against integers on both sides of n, and
// against the spellings go test would never produce but a careless
// expression would accept.
func TestAtLeast(t *testing.T) {
	for _, n := range []int{1, 7, 9, 10, 17, 20, 32, 99, 100, 101, 110, 200, 909, 1000, 1200, 65537, 100000} {
		re := regexp.MustCompile("^(?:" + atLeast(n) + ")$")
		// Every small number, every number near n (where a digit-wise
		// expression goes wrong), and around each power of ten above it.
		var check []int
		for i := range 2000 {
			check = append(check, i, n-1000+i)
		}
		for p := 10; p <= 100*n; p *= 10 {
			check = append(check, p-1, p, p+1)
		}
		for _, i := range check {
			if i < 0 {
				continue
			}
			if got := re.MatchString(strconv.Itoa(i)); got != (i >= n) {
				t.Fatalf("atLeast(%d) = %s matches %d: %v, want %v", n, atLeast(n), i, got, i >= n)
			}
		}
		for _, s := range []string{"1000000000", "99999999999"} {
			if !re.MatchString(s) {
				t.Errorf("atLeast(%d) does not match %s", n, s)
			}
		}
		for _, s := range []string{"", "0" + strconv.Itoa(n), "-" + strconv.Itoa(n), strconv.Itoa(n) + "x"} {
			if re.MatchString(s) {
				t.Errorf("atLeast(%d) matches %q", n, s)
			}
		}
	}
	for n, want := range map[int]string{
		32:     "[4-9][0-9]|3[2-9]|[1-9][0-9]{2,}",
		100000: "[1-9][0-9]{5,}",
		200:    "[2-9][0-9]{2}|[1-9][0-9]{3,}",
	} {
		if got := atLeast(n); got != want {
			t.Errorf("atLeast(%d) = %s, want %s", n, got, want)
		}
	}
}

// TestSkipLargeWithGoTest runs go test with the -skip expression of -quick,
// and with a higher procs limit, on a throwaway benchmark package: go
// test's matching of slash-separated, '|'-alternated patterns is subtle
// enough that only go test itself can say which benchmarks run.
func TestSkipLargeWithGoTest(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "go.mod"), "module skiptest\n\ngo 1.24\n")
	writeTestFile(t, filepath.Join(dir, "skip_test.go"), `package skiptest

import "testing"

func run(b *testing.B, names ...string) {
	if len(names) == 0 {
		for b.Loop() {
		}
		return
	}
	b.Run(names[0], func(b *testing.B) { run(b, names[1:]...) })
}

func BenchmarkProcs(b *testing.B) {
	for _, p := range []string{"procs=1", "procs=4", "procs=7", "procs=8", "procs=9", "procs=31", "procs=32", "procs=64", "procs=100"} {
		run(b, p, "impl=a")
	}
}

func BenchmarkSize(b *testing.B) {
	for _, s := range []string{"size=99999", "size=100000", "size=1000000"} {
		run(b, "op=x", s, "impl=a")
	}
}

func BenchmarkDeep(b *testing.B) {
	run(b, "a=1", "b=2", "c=3", "d=4", "procs=64", "impl=a")
	run(b, "a=2", "b=2", "c=3", "d=4", "procs=4", "impl=a")
	run(b, "procs=2", "b=2", "c=3", "d=4", "size=1000000", "impl=a")
}

func BenchmarkLookalike(b *testing.B) {
	run(b, "xprocs=64", "impl=a")
	run(b, "procs=64x", "impl=a")
	run(b, "sizes=100000", "impl=a")
}
`)
	rest := []string{
		"BenchmarkSize/op=x/size=99999/impl=a",
		"BenchmarkDeep/a=2/b=2/c=3/d=4/procs=4/impl=a",
		"BenchmarkLookalike/xprocs=64/impl=a",
		"BenchmarkLookalike/procs=64x/impl=a",
		"BenchmarkLookalike/sizes=100000/impl=a",
	}
	for _, tc := range []struct {
		procs int
		want  []string
	}{
		{quickSkipProcs, append([]string{
			"BenchmarkProcs/procs=1/impl=a",
			"BenchmarkProcs/procs=4/impl=a",
			"BenchmarkProcs/procs=7/impl=a",
		}, rest...)},
		{32, append([]string{
			"BenchmarkProcs/procs=1/impl=a",
			"BenchmarkProcs/procs=4/impl=a",
			"BenchmarkProcs/procs=7/impl=a",
			"BenchmarkProcs/procs=8/impl=a",
			"BenchmarkProcs/procs=9/impl=a",
			"BenchmarkProcs/procs=31/impl=a",
		}, rest...)},
	} {
		skip := skipLarge(tc.procs, quickSkipSize)
		cmd := exec.Command("go", "test", "-run", "^$", "-bench", ".", "-benchtime", "1x", "-skip", skip, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go test: %v\n%s", err, out)
		}
		var ran []string
		for _, line := range strings.Split(string(out), "\n") {
			if name, _, ok := strings.Cut(line, "\t"); ok && strings.HasPrefix(name, "Benchmark") {
				// Drop the -GOMAXPROCS suffix and the padding.
				name = strings.TrimSpace(name)
				if i := strings.LastIndex(name, "-"); i > 0 {
					name = name[:i]
				}
				ran = append(ran, name)
			}
		}
		if !slices.Equal(ran, tc.want) {
			t.Errorf("procs>=%d: ran:\n%s\nwant:\n%s\n(skip expression %s)", tc.procs, strings.Join(ran, "\n"), strings.Join(tc.want, "\n"), skip)
		}
	}
	if got := skipLarge(0, 0); got != "" {
		t.Errorf("skipLarge(0, 0) = %q, want no expression", got)
	}
}

func writeTestFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		count     int
		benchtime string
		skip      string
		skipped   string
		reportCmd string
	}{
		{nil, defaultCount, defaultBenchtime, "", "", "go run ./report"},
		{[]string{"-quick"}, quickCount, quickBenchtime, skipLarge(quickSkipProcs, quickSkipSize), "procs>=8 and size>=100000 (-quick)", "go run ./report -quick"},
		// Flags given explicitly win over -quick's.
		{[]string{"-quick", "-count", "5", "-skip", "/procs=1$"}, 5, quickBenchtime, "/procs=1$", "the benchmarks matching -skip '/procs=1$'", "go run ./report -count 5 -quick -skip '/procs=1$'"},
		// Where files come from and go is not part of the selection.
		{[]string{"-in", "x.txt", "-out", "/tmp/o", "-bench", "Pool"}, defaultCount, defaultBenchtime, "", "", "go run ./report -bench Pool"},
		// An explicit -benchtime is passed on, and recorded.
		{[]string{"-benchtime", "1s"}, defaultCount, "1s", "", "", "go run ./report -benchtime 1s"},
	} {
		o, err := parseFlags(tc.args, io.Discard)
		if err != nil {
			t.Errorf("parseFlags(%q): %v", tc.args, err)
			continue
		}
		if o.run.Count != tc.count || o.run.Benchtime != tc.benchtime || o.run.Skip != tc.skip || o.run.Skipped != tc.skipped || o.reportCmd != tc.reportCmd {
			t.Errorf("parseFlags(%q) = count %d benchtime %q skip %q skipped %q report %q\nwant count %d benchtime %q skip %q skipped %q report %q",
				tc.args, o.run.Count, o.run.Benchtime, o.run.Skip, o.run.Skipped, o.reportCmd, tc.count, tc.benchtime, tc.skip, tc.skipped, tc.reportCmd)
		}
	}
	for _, args := range [][]string{{"-count", "0"}, {"-bench", "("}, {"./pool"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted bad flags", args)
		}
	}
}
