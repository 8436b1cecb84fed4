package gen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStencilingAheadGivesTheOutputOfStencilingInTurn generates packages
// whose directives name imports and locals one after the other (every kind,
// in generated/; maps whose key and value types each bring their own
// imports and locals) with directives stenciled ahead in goroutines, and in
// turn: the files must be the same, byte for byte. In p, the map M1 imports
// math/rand/v2 as rand, so the semaphore S2, stenciled ahead at the same
// time, must import crypto/rand as rand2 all the same.
func TestStencilingAheadGivesTheOutputOfStencilingInTurn(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module ahead\n\ngo 1.26\n")
	var b strings.Builder
	b.WriteString(`package p

import (
	"math/big"
	"time"
)

type (
	Name string
	Pair struct{ A, B int64 }
	Blob [16]byte
)

//monogen:semaphore S0 n=1
//monogen:map M1[int, int]
//monogen:semaphore S2 n=4 store=shared onfail=local replicas=2 ttl=3s
`)
	keys := []string{"int", "string", "Name", "float64", "Pair", "Blob", "*big.Int", "time.Duration", "[2]string", "bool"}
	vals := []string{"int", "*big.Int", "[]byte", "time.Time", "Pair", "map[string]int", "chan int", "func() error", "any", "Blob"}
	for i := range 40 {
		fmt.Fprintf(&b, "//monogen:map Map%d[%s, %s]\n", i, keys[i%len(keys)], vals[i*7%len(vals)])
		if i%9 == 0 {
			fmt.Fprintf(&b, "//monogen:semaphore Sem%d n=%d\n", i, i+1)
		}
	}
	writeFile(t, filepath.Join(dir, "p", "p.go"), b.String())
	for _, d := range []string{"../../generated", filepath.Join(dir, "p")} {
		t.Run(filepath.Base(d), func(t *testing.T) {
			inTurn := generateAhead(t, d, 0)
			ahead := generateAhead(t, d, 2*stencilers)
			if len(inTurn) == 0 || len(inTurn) != len(ahead) {
				t.Fatalf("%d files in turn, %d ahead", len(inTurn), len(ahead))
			}
			for name, want := range inTurn {
				if got := ahead[name]; !bytes.Equal(got, want) {
					t.Errorf("%s differs when directives are stenciled ahead", filepath.Base(name))
				}
			}
		})
	}
}

// generateAhead generates the package in dir with n directives stenciled
// ahead.
func generateAhead(t *testing.T, dir string, n int) map[string][]byte {
	t.Helper()
	defer func(n int) { stencilAhead = n }(stencilAhead)
	stencilAhead = n
	res, err := Generate(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return res.Files
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSharedCodeOfDirectivesStenciledAheadIsTheSharedCodeInTurn generates
// a package of pools, maps and semaphores that share code, and whose names
// take the shared file's imports' (atomic, time, context): the shared
// declarations are named in forks of the shared file's scope by the
// goroutines that stencil ahead, and added to the shared file as their
// directives are taken in order; the histogram code, which pools and
// semaphores with metrics=true stencil beside their own, once. Run with -race, it also shows that the goroutines change
// no shared state (the shared file's scope, its declarations). With and
// without -output (the shared code in the output file, named in its scope).
func TestSharedCodeOfDirectivesStenciledAheadIsTheSharedCodeInTurn(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module ahead\n\ngo 1.26\n")
	var b strings.Builder
	b.WriteString(`package p

import "context"

// The package's own names for what the shared code imports.
var atomic, time, runtime = 1, 2, 3

func double(_ context.Context, n int) (int, error) { return 2 * n, nil }

`)
	pools := []string{"", "workers=4", "queue=64", "metrics=true", "retries=2 backoff=1ms", "timeout=1s", "metrics=true workers=2 queue=16"}
	for i := range 12 {
		fmt.Fprintf(&b, "//monogen:pool Pool%d[int, int] fn=double %s\n", i, pools[i%len(pools)])
		fmt.Fprintf(&b, "//monogen:map Map%d[int%d, string]\n", i, []int{8, 16, 32, 64}[i%4])
		if i%4 == 1 {
			// The histogram code, stenciled beside the pools' and the
			// semaphores' (kinds.Also), is shared by both kinds.
			fmt.Fprintf(&b, "//monogen:semaphore Sem%d n=%d metrics=true\n", i, i)
		}
	}
	writeFile(t, filepath.Join(dir, "p", "p.go"), b.String())
	for _, output := range []string{"", "all_monogen.go"} {
		t.Run("output="+output, func(t *testing.T) {
			cfg := Config{Dir: filepath.Join(dir, "p"), Output: output}
			inTurn := generateAheadCfg(t, cfg, 0)
			ahead := generateAheadCfg(t, cfg, 2*stencilers)
			shared, hist := 0, 0
			for name, want := range inTurn {
				if strings.Contains(string(want), "Shared by the pool directives") {
					shared++
				}
				if strings.Contains(string(want), "that use the histogram code") && strings.Contains(string(want), "type histogramRecorder struct") {
					hist++
				}
				if got := ahead[name]; !bytes.Equal(got, want) {
					t.Errorf("%s differs when directives are stenciled ahead", filepath.Base(name))
				}
			}
			if shared != 1 || hist != 1 || len(ahead) != len(inTurn) {
				t.Errorf("%d files in turn (%d with the pools' shared code, %d with the histogram's), %d ahead; want the shared code in one", len(inTurn), shared, hist, len(ahead))
			}
		})
	}
}

// generateAheadCfg generates with cfg and n directives stenciled ahead.
func generateAheadCfg(t *testing.T, cfg Config, n int) map[string][]byte {
	t.Helper()
	defer func(n int) { stencilAhead = n }(stencilAhead)
	stencilAhead = n
	res, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res.Files
}
