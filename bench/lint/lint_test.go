// Package lint holds the test that runs staticcheck over what monogen
// generates: the committed output (generated/, examples/) and a scratch
// module with one directive of every kind under several option
// combinations. The output is code users commit and lint with their own;
// it must pass staticcheck's default checks. So must the generator and the
// templates it stencils from.
package lint_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// scratch is a package with directives of every kind, with the option
// combinations whose folding leaves different code: pools with and without
// workers=, queues of every policy, maps whose value is and is not stored in
// place, and a package-level identifier named time (the generated file then
// imports "time" under another name).
const scratch = `package scratch

import (
	"context"
	"time"
)

//go:generate monogen

type Key struct{ A, B int64 }

type Conn struct{ ID int }

func dial(context.Context) (*Conn, error) { return &Conn{}, nil }
func closeConn(*Conn)                     {}
func ping(*Conn) error                    { return nil }

func work(_ context.Context, n int) (int, error) { return n, nil }
func double(n int) int                           { return 2 * n }
func toInt64(n int) int64                        { return int64(n) }
func toFloat(_ context.Context, n int64) (float64, error) { return float64(n), nil }
func write(context.Context, []int) error         { return nil }

//monogen:map IntMap[int, int]
//monogen:map StringMap[string, *Conn]
//monogen:map StructMap[Key, string] shards=16
//monogen:map PtrMap[*Conn, []byte]
//monogen:map FloatMap[int64, float64]
//monogen:pool DefaultPool[int, int]
//monogen:pool WorkersPool[int, int] workers=4 queue=64
//monogen:pool FullPool[int, int] workers=2 queue=8 fn=work retries=2 backoff=1ms timeout=1s metrics=true
//monogen:pool BoundPool[int, int] fn=double
//monogen:ratelimit Quota algo=token rate=10/s burst=2
//monogen:ratelimit Sliding algo=window limit=100 window=1s
//monogen:pool PacedPool[int, int] workers=1 rate=Quota
//monogen:breaker Guard[int, int] failures=3 ratio=0.5 cooldown=1m halfopen=2
//monogen:breaker PlainGuard[int, int] fn=work
//monogen:breaker WindowGuard[int, int] failures=2 cooldown=1s window=1m buckets=4
//monogen:pool GuardedPool[int, int] workers=2 breaker=Guard retries=1
//monogen:queue BlockQueue[int] size=8 policy=block
//monogen:queue DropNewestQueue[string] size=8 policy=drop-newest
//monogen:queue DropOldestQueue[int] size=8 policy=drop-oldest
//monogen:queue ErrorQueue[int] size=8 policy=error
//monogen:queue DefaultQueue[Key] size=16
//monogen:batcher Batcher[int] size=10 flush=10ms workers=2
//monogen:batcher BoundBatcher[int] size=10 fn=write retries=1
//monogen:pipeline Pipe[int, int64, float64] stages=toInt64,toFloat
//monogen:pipeline OrderedPipe[int, int64, float64] stages=toInt64,toFloat workers=2,3 ordered=true errors=collect retries=1 metrics=true
//monogen:pipeline BatchPipe[int, int64, float64] stages=toInt64,toFloat workers=2,2 batch=4 buffer=16
//monogen:limiter Limiter[int, int] min=1 max=8
//monogen:limiter BoundLimiter[int, int] fn=work min=2 max=64 initial=4
//monogen:respool Conns[*Conn] max=4 new=dial close=closeConn check=ping idle=1m
//monogen:respool PlainConns[*Conn] max=2
//monogen:semaphore Slots n=4
//monogen:pool HookedPool[int, int] fn=work onreject=rejected ondrop=dropped onpanic=panicked
//monogen:pool HookedMetricsPool[int] metrics=true onreject=refused
//monogen:semaphore WatchedSlots n=4 metrics=true onwait=waited
var _ struct{}

func rejected(int, error)            {}
func refused(int, error)             {}
func dropped(int)                    {}
func panicked(int, error)            {}
func waited(time.Duration, error)    {}
`

// shadow declares identifiers named like the packages the generated code
// imports, so the generator renames the imports (time2, ...).
const shadow = `package shadow

//go:generate monogen

var time, sync, atomic, runtime, context = 1, 2, 3, 4, 5

// Sum uses the variables named like packages.
func Sum() int { return time + sync + atomic + runtime + context }

//monogen:pool Pool[int, int] workers=3 queue=16 timeout=1s retries=1 backoff=1ms
//monogen:ratelimit Quota algo=token rate=5/s burst=3
//monogen:breaker Guard[int, int] failures=2 cooldown=30s window=1m buckets=6
//monogen:batcher Batcher[int] size=4 flush=5ms
//monogen:queue Queue[int] size=4 policy=error
var _ struct{}
`

// staticcheckBin builds staticcheck, a tool of this module, at the version
// go.mod pins, and returns its path.
func staticcheckBin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "staticcheck")
	if out, err := run(t, ".", "go", "build", "-o", bin, "honnef.co/go/tools/cmd/staticcheck"); err != nil {
		t.Fatalf("go build staticcheck: %v\n%s", err, out)
	}
	return bin
}

func run(t *testing.T, dir, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// staticcheck runs staticcheck with its default checks over patterns in dir
// and returns its findings, one a line.
func staticcheck(t *testing.T, dir string, patterns ...string) []string {
	t.Helper()
	out, err := run(t, dir, staticcheckBin(t), patterns...)
	var findings []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l != "" {
			findings = append(findings, l)
		}
	}
	if err != nil && len(findings) == 0 {
		t.Fatalf("staticcheck %v: %v", patterns, err)
	}
	return findings
}

// module writes a module named scratch into a temporary directory, with the
// given files (path to content), and returns its directory.
func module(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module scratch\n\ngo 1.26\n"
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestStaticcheckCommittedOutput: the committed generated code and the tests
// around it pass staticcheck's default checks.
func TestStaticcheckCommittedOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs staticcheck")
	}
	if f := staticcheck(t, ".", "github.com/monogen/monogen/generated/...", "github.com/monogen/monogen/examples/..."); len(f) > 0 {
		t.Errorf("staticcheck findings in generated/ and examples/:\n%s", strings.Join(f, "\n"))
	}
}

// TestStaticcheckGeneratorAndTemplates: the generator, its command and the
// templates (the generic reference every directive is stenciled from, with
// their tests) pass staticcheck's default checks too. A template field that
// only an option's output reads says so with a //lint:ignore line, which the
// stencil drops.
func TestStaticcheckGeneratorAndTemplates(t *testing.T) {
	if testing.Short() {
		t.Skip("runs staticcheck")
	}
	if f := staticcheck(t, ".", "github.com/monogen/monogen/cmd/...", "github.com/monogen/monogen/internal/...", "github.com/monogen/monogen/templates/..."); len(f) > 0 {
		t.Errorf("staticcheck findings in cmd/, internal/ and templates/:\n%s", strings.Join(f, "\n"))
	}
}

// TestStaticcheckEveryKind: the output for a directive of every kind, under
// option combinations that fold differently, passes staticcheck's default
// checks, also when the user's package shadows the imports' names.
func TestStaticcheckEveryKind(t *testing.T) {
	if testing.Short() {
		t.Skip("builds monogen and runs staticcheck")
	}
	dir := module(t, map[string]string{"scratch.go": scratch, "shadow/shadow.go": shadow})
	bin := filepath.Join(t.TempDir(), "monogen")
	if out, err := run(t, ".", "go", "build", "-o", bin, "github.com/monogen/monogen/cmd/monogen"); err != nil {
		t.Fatalf("go build monogen: %v\n%s", err, out)
	}
	if out, err := run(t, dir, bin, "./..."); err != nil {
		t.Fatalf("monogen ./...: %v\n%s", err, out)
	}
	for _, f := range []string{"scratch_monogen.go", "shadow/shadow_monogen.go"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("monogen wrote no %s: %v", f, err)
		}
	}
	if out, err := run(t, dir, "go", "vet", "./..."); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
	if f := staticcheck(t, dir, "./..."); len(f) > 0 {
		t.Errorf("staticcheck findings in the output of every kind:\n%s", strings.Join(f, "\n"))
	}
}

// TestStaticcheckCatchesDeadStore: the check above can fail. A file shaped
// like generated code with the dead store monogen once wrote for pools with
// workers= (a value assigned, then overwritten before any read) is reported.
func TestStaticcheckCatchesDeadStore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs staticcheck")
	}
	const bad = `// Code generated by monogen. DO NOT EDIT.

package scratch

import "runtime"

// Workers returns how many workers the pool starts.
func Workers() int {
	workers := runtime.GOMAXPROCS(0)
	workers = 4
	return workers
}
`
	dir := module(t, map[string]string{"bad_monogen.go": bad})
	f := staticcheck(t, dir, "./...")
	if len(f) != 1 || !strings.Contains(f[0], "SA4006") || !strings.Contains(f[0], "bad_monogen.go:9:") {
		t.Errorf("staticcheck on a dead store: got %q, want one SA4006 at bad_monogen.go:9", f)
	}
}
