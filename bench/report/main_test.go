package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunFromRecordedResults runs the command as "go run ./report -in" does,
// with the real benchstat, into a temporary -out directory.
func TestRunFromRecordedResults(t *testing.T) {
	out := t.TempDir()
	charts := filepath.Join(out, "docs", "bench")
	if err := os.MkdirAll(charts, 0o755); err != nil {
		t.Fatal(err)
	}
	// A chart of a pattern that no longer exists, and a file that is not
	// a chart at all: the first must go, the second stay.
	writeTestFile(t, filepath.Join(charts, "gone-impl.svg"), "<svg/>")
	writeTestFile(t, filepath.Join(charts, "notes.txt"), "keep me")

	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"-in", "testdata/results.txt", "-out", out}, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.Bytes())
	}

	md, err := os.ReadFile(filepath.Join(out, "BENCHMARKS.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| CPU | AMD EPYC 7B13 (/proc/cpuinfo: AMD EPYC) |",
		"| GOMAXPROCS | 2 |",
		"go test -run '^$' -bench . -count 6 -benchmem -timeout 30m ./... > ",
		"![ShardMap: time/op against procs](docs/bench/shardmap-procs.svg)",
		"![Pipeline: time/op against size](docs/bench/pipeline-size.svg)",
		"go tool benchstat -filter .name:Pool -col '/impl@(template ants pond workerpool)' ",
		"- `op=load/procs=1`: generated is 1.2x faster than template, 1.4x faster than xsync, 3.0x faster than syncmap, 16x faster than rwmutex\n",
		"- `job=tiny/mode=submit`: template is 1.9x faster than ants, 2.3x faster than pond, 3.0x faster than workerpool\n",
		// A real benchstat table, with its columns, without its config header.
		"│  generated  │              template              │",
	} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("BENCHMARKS.md lacks %q", want)
		}
	}
	if bytes.Contains(md, []byte("\ngoos: linux")) {
		t.Error("BENCHMARKS.md repeats benchstat's configuration lines")
	}

	raw, err := os.ReadFile(filepath.Join(charts, "results.txt"))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile("testdata/results.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, orig) {
		t.Error("docs/bench/results.txt is not a copy of the -in file")
	}

	for _, f := range []string{"shardmap-impl.svg", "shardmap-procs.svg", "pool-impl.svg", "pipeline-impl.svg", "pipeline-size.svg", "notes.txt"} {
		if _, err := os.Stat(filepath.Join(charts, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(charts, "gone-impl.svg")); !os.IsNotExist(err) {
		t.Errorf("stale chart gone-impl.svg not removed: %v", err)
	}
	if !strings.Contains(stderr.String(), "wrote") {
		t.Errorf("no summary on stderr: %s", stderr.Bytes())
	}
}

func TestRunRejectsUnconventionalResults(t *testing.T) {
	in := filepath.Join(t.TempDir(), "plain.txt")
	writeTestFile(t, in, "BenchmarkPlain-2  1000  12 ns/op\n")
	err := run(context.Background(), []string{"-in", in, "-out", t.TempDir()}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "naming convention") {
		t.Errorf("run on results without impl= = %v, want an error about the naming convention", err)
	}
}
