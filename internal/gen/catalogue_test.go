package gen_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/kinds"
)

// catalogueDecls are the user's declarations in every package of the
// catalogue: the types and functions its directives name.
const catalogueDecls = `package %s

import (
	"context"
	"errors"
)

type Key struct {
	A int32
	B string
}

type Item struct {
	N int
	S string
}

type (
	Small      int16
	ID         uint64
	Blob       [64]byte
	Conn       struct{ id int }
	Generic[T any] struct{ v T }
	Named      interface{ Name() string }
)

var errBad = errors.New("bad")

func hashInt(k int) uint64            { return uint64(k) }
func hashKey(k Key) uint64            { return uint64(k.A) }
func hashWrong(k string) int          { return len(k) }
func work(_ context.Context, in int) (string, error) { return "", nil }
func workPlain(in int) string         { return "" }
func workErr(in int) (string, error)  { return "", nil }
func workWrong(in string) int         { return 0 }
func job(_ context.Context, in int) error { return nil }
func jobPlain(in int) error           { return nil }
func onResult(in int, out string, err error) {}
func onDone(in int, err error)        {}
func length(s string) int             { return len(s) }
func parseItem(b []byte) (Item, error) { return Item{}, nil }
func ptrItem(_ context.Context, i Item) *Item { return &i }
func itemName(p *Item) string         { return p.S }
func fallbackCtx(_ context.Context, in int, err error) (string, error) { return "", err }
func fallbackPlain(in int, err error) (string, error) { return "", err }
func flushItems(_ context.Context, items []Item) error { return nil }
func flushPlain(items []int) error    { return nil }
func flushInts(_ context.Context, items []int) error { return nil }
func flushStrings(items []string) error { return nil }
func onBatchErr(items []int, err error) {}
func dial(context.Context) (*Conn, error) { return &Conn{}, nil }
func dialPlain() (*Conn, error)       { return &Conn{}, nil }
func dialValue() (Conn, error)        { return Conn{}, nil }
func closeConn(*Conn)                 {}
func closeErr(*Conn) error            { return nil }
func ping(*Conn) error                { return errBad }
func Taken()                          {}

var (
	_ = hashInt; _ = hashKey; _ = hashWrong; _ = work; _ = workPlain; _ = workErr; _ = workWrong
	_ = job; _ = jobPlain; _ = onResult; _ = onDone; _ = length; _ = parseItem; _ = ptrItem
	_ = itemName; _ = fallbackCtx; _ = fallbackPlain; _ = flushItems; _ = flushPlain; _ = flushInts
	_ = flushStrings; _ = onBatchErr; _ = dial; _ = dialPlain; _ = dialValue; _ = closeConn; _ = closeErr; _ = ping
)
`

// catalogueValid are directives that must generate code that builds and
// passes go vet, by kind: every option, alone and in combinations, every
// accepted form of a bound function, type arguments of many shapes.
var catalogueValid = map[string][]string{
	"map": {
		"//monogen:map M1[int, int]",
		"//monogen:map M2[string, *Item]",
		"//monogen:map M3[Key, Item] shards=1",
		"//monogen:map M4[ID, []byte] shards=1024",
		"//monogen:map M5[int, int] hash=hashInt",
		"//monogen:map M6[Key, *Item] hash=hashKey shards=8",
		"//monogen:map M7[Small, Small]",
		"//monogen:map M8[Blob, int]",
		"//monogen:map M9[*Item, bool]",
		"//monogen:map M10[[4]int32, string]",
		"//monogen:map M11[float64, any]",
		"//monogen:map M12[uintptr, error]",
		"//monogen:map M13[bool, struct{}]",
		"//monogen:map M14[rune, map[string]int]",
		"//monogen:map M15[Generic[int], Generic[string]]",
		"//monogen:map M16[int8, func() error]",
		"//monogen:map M17[complex128, chan int]",
		"//monogen:map M18[int, int] bench=true",
		"//monogen:map M19[string, string] shards=2 bench=true",
		"//monogen:map M20[Named, int32]",
		"//monogen:map m21[uint32, uint64] shards=65536",
		"//monogen:map M22[[2]Key, [2]Item]",
		// Names in other scripts: Benchmark<Name> upper-cases the first
		// letter as a letter (Μ), or puts _ before one that has no upper
		// case (ß).
		"//monogen:map μ23[int, int] bench=true",
		"//monogen:map ß24[int, int] bench=true",
	},
	"pool": {
		"//monogen:ratelimit API rate=100/s",
		"//monogen:breaker Guard[int, string] fn=work",
		"//monogen:pool P1[int, string] fn=work",
		"//monogen:pool P2[int, string] fn=workPlain workers=4 queue=16",
		"//monogen:pool P3[int, string] fn=workErr retries=3 backoff=10ms",
		"//monogen:pool P4[int, string] fn=work timeout=1s metrics=true",
		"//monogen:pool P5[int] fn=job",
		"//monogen:pool P6[int] fn=jobPlain result=onDone",
		"//monogen:pool P7[int, string] result=onResult",
		"//monogen:pool P8[int, string]",
		"//monogen:pool P9[int, string] fn=work timeout=0s",
		"//monogen:pool P10[int, string] fn=work retries=0 metrics=false",
		"//monogen:pool P11[int, string] fn=work rate=API",
		"//monogen:pool P12[int, string] breaker=Guard",
		"//monogen:pool P13[*Item, Item] workers=1 queue=1",
		"//monogen:pool P14[Key, []byte] metrics=true retries=2 timeout=50ms backoff=1ms",
		"//monogen:pool P15[int, string] fn=work bench=true",
		"//monogen:pool P16[int] workers=1048576 queue=16777216",
		"//monogen:pool P17[int, string] fn=work result=onResult metrics=true rate=API retries=1",
		"//monogen:pool P18[struct{}, struct{}]",
		"//monogen:pool P19[int, string] breaker=Guard rate=API retries=2 backoff=1h timeout=1m",
		"//monogen:pool p20[int] fn=job retries=1000 backoff=2h",
		"//monogen:pool πool21[int] fn=job bench=true",
	},
	"pipeline": {
		"//monogen:ratelimit Pace rate=10/ms burst=5",
		"//monogen:pipeline L1[int, string] stages=work",
		"//monogen:pipeline L2[int, string, int]",
		"//monogen:pipeline L3[int, string, int] stages=work,length workers=2,3 buffer=8 batch=1",
		"//monogen:pipeline L4[int, string] ordered=true",
		"//monogen:pipeline L5[int, string] errors=collect retries=2 backoff=1ms metrics=true",
		"//monogen:pipeline L6[int, string] rate=Pace",
		"//monogen:pipeline L7[[]byte, Item, *Item, string] stages=parseItem,ptrItem,itemName",
		"//monogen:pipeline L8[int, string] stages=workPlain",
		"//monogen:pipeline L9[int, string] stages=workErr ordered=true batch=65536 buffer=1",
		"//monogen:pipeline L10[int, string] stages=work bench=true",
		"//monogen:pipeline L11[int, string, int] stages=work,length ordered=true errors=collect metrics=true rate=Pace retries=1",
		"//monogen:pipeline L12[Key, Key, Key, Key]",
		// A stage named in another script: the stage's types end in Μ.
		"//monogen:pipeline L13[int, string, int] stages=μ,ν",
		"//monogen:pipeline ßL14[int, string] stages=workPlain bench=true",
	},
	"semaphore": {
		"//monogen:semaphore S1 n=1",
		"//monogen:semaphore S2 n=16",
		"//monogen:semaphore S3 n=1000000",
		"//monogen:semaphore S4 n=4 bench=true",
		"//monogen:semaphore S5 n=2305843009213693951",
		"//monogen:semaphore s6 n=3",
		// With a key type: a semaphore per key.
		"//monogen:semaphore S7[int] n=2 idle=1m keys=10",
		"//monogen:semaphore S8[Key] n=1 idle=0s bench=true",
		"//monogen:semaphore s9[string] n=3",
	},
	"ratelimit": {
		"//monogen:ratelimit R1 rate=100/s",
		"//monogen:ratelimit R2 algo=token rate=10/ms burst=20",
		"//monogen:ratelimit R3 algo=window limit=1000 window=1m",
		"//monogen:ratelimit R4 limit=5 window=1s",
		"//monogen:ratelimit R5 rate=1/h burst=1",
		"//monogen:ratelimit R6 rate=100/s bench=true",
		"//monogen:ratelimit R7 algo=window limit=1048575 window=100ms",
		"//monogen:ratelimit r8 rate=3/m burst=1000",
		// With a key type: a token bucket per key.
		"//monogen:ratelimit R9[int] rate=1/s",
		"//monogen:ratelimit R10[Key] rate=10/s burst=3 idle=0s keys=5 bench=true",
		"//monogen:ratelimit r11[string] algo=token rate=1/s idle=1h",
	},
	"breaker": {
		"//monogen:breaker B1[int, string] fn=work",
		"//monogen:breaker B2[int, string]",
		"//monogen:breaker B3[int, string] fn=workErr failures=1 ratio=0.5 cooldown=1s halfopen=1 window=1s buckets=1",
		"//monogen:breaker B4[int, string] fallback=fallbackCtx",
		"//monogen:breaker B5[int, string] fn=work fallback=fallbackPlain",
		"//monogen:breaker B6[int, string] fn=work bench=true",
		"//monogen:breaker B7[int, string] ratio=1 buckets=65536 window=1m",
		"//monogen:breaker B8[Key, *Item] failures=100 ratio=0 halfopen=10 cooldown=1h",
		"//monogen:breaker b9[[]byte, error]",
	},
	"limiter": {
		"//monogen:limiter T1[int, string] fn=work",
		"//monogen:limiter T2[int, string]",
		"//monogen:limiter T3[int, string] fn=workErr min=2 max=256 initial=10 sample=1 tolerance=2 smoothing=1",
		"//monogen:limiter T4[int, string] fn=work sample=1024 tolerance=1.5 smoothing=0.2",
		"//monogen:limiter T5[int, string] fn=work bench=true",
		"//monogen:limiter T6[Key, Item] min=1 max=1",
		"//monogen:limiter t7[*Item, []Item] min=5 max=5000 initial=5",
	},
	"queue": {
		"//monogen:queue Q1[int]",
		"//monogen:queue Q2[*Item] size=2 policy=drop-newest",
		"//monogen:queue Q3[Item] size=65536 policy=drop-oldest",
		"//monogen:queue Q4[string] policy=error",
		"//monogen:queue Q5[Blob] policy=block size=16",
		"//monogen:queue Q6[int] bench=true",
		"//monogen:queue Q7[func()]",
		"//monogen:queue Q8[[]byte] size=4",
		"//monogen:queue q9[Key] size=1073741824 policy=drop-newest",
	},
	"batcher": {
		"//monogen:batcher A1[int]",
		"//monogen:batcher A2[Item] fn=flushItems",
		"//monogen:batcher A3[int] fn=flushPlain onerror=onBatchErr size=1 flush=10ms workers=4 retries=2",
		"//monogen:batcher A4[*Item] size=16777216",
		"//monogen:batcher A5[string] flush=1s fn=flushStrings",
		"//monogen:batcher A6[int] fn=flushInts bench=true",
		"//monogen:batcher A7[int] onerror=onBatchErr workers=65536 retries=1000",
		"//monogen:batcher a8[Key] flush=1ms",
		"//monogen:batcher ßatch9[int] fn=flushInts bench=true",
	},
	"respool": {
		"//monogen:respool C1[*Conn]",
		"//monogen:respool C2[*Conn] new=dial close=closeConn check=ping idle=5m max=4",
		"//monogen:respool C3[*Conn] new=dialPlain close=closeErr",
		"//monogen:respool C4[Conn] new=dialValue",
		"//monogen:respool C5[int] max=1",
		"//monogen:respool C6[*Conn] new=dial bench=true",
		"//monogen:respool C7[*Conn] idle=1s max=1048576 check=ping",
		"//monogen:respool c8[[]byte] idle=1ms",
	},
}

// catalogueInvalid are directives that must be refused: each with at most
// three lines (one problem, one line, but for go's own messages), each line
// naming the directive's position, none over 1,000 bytes, and never an
// internal error. Each stands in a package of its own kind beside
// catalogueDecls.
var catalogueInvalid = map[string][]string{
	"map": {
		"//monogen:map X1[int]",
		"//monogen:map X2[int, int, int]",
		"//monogen:map X3[[]int, int]",
		"//monogen:map X4[int, int] shards=3",
		"//monogen:map X5[int, int] shards=0",
		"//monogen:map X6[int, int] shards=abc",
		"//monogen:map X7[int, int] shards=131072",
		"//monogen:map X8[int, int] hash=nosuch",
		"//monogen:map X9[int, int] hash=hashWrong",
		"//monogen:map X10[int, Nope]",
		"//monogen:map X11[int, Generic]",
		"//monogen:map X12[[1 << 40]byte, int]",
		"//monogen:map X13[int, int] unknown=1",
		"//monogen:map string[int, int]",
		"//monogen:map init[int, int]",
		"//monogen:map X14[int, int] bench=maybe",
		"//monogen:map X15[int, int] shards=1 shards=2",
		"//monogen:map Taken[int, int]",
		"//monogen:map X16[int, int] hash=",
		"//monogen:map X17[int, int",
		"//monogen:map X18[int, int] shards",
		"//monogen:map 1X[int, int]",
		"//monogen:map",
		"//monogen:mapp X19[int, int]",
		"//monogen:map X20[map[int]int, int]",
		"//monogen:map X21[int, int] hash=hashKey",
		"//monogen:map X22[func(), int]",
		"//monogen:map X23[int, int] hash=Key",
	},
	"pool": {
		"//monogen:pool Y1[int, string] fn=workWrong",
		"//monogen:pool Y2[int, string] retries=-1",
		"//monogen:pool Y3[int, string] retries=1001",
		"//monogen:pool Y4[int, string] backoff=10ms",
		"//monogen:pool Y5[int, string] timeout=abc",
		"//monogen:pool Y6[int, string] workers=0",
		"//monogen:pool Y7[int, string] queue=0",
		"//monogen:pool Y8[int, string] rate=Nope",
		"//monogen:pool Y9[int, string] rate=Taken",
		"//monogen:pool Y10[int, string] fn=job",
		"//monogen:pool Y11[int, string] result=onDone",
		"//monogen:pool Y12[int, string] metrics=yes",
		"//monogen:pool Y13",
		"//monogen:pool Y14[int, string, int]",
		"//monogen:pool Y15[int] fn=work",
		"//monogen:pool Y16[int, string] timeout=-1s",
	},
	"pipeline": {
		"//monogen:pipeline Z1[int]",
		"//monogen:pipeline Z2[int, string] stages=a,b",
		"//monogen:pipeline Z3[int, string] workers=1,2",
		"//monogen:pipeline Z4[int, string] errors=ignore",
		"//monogen:pipeline Z5[int, int] stages=work",
		"//monogen:pipeline Z6[int, string] buffer=0",
		"//monogen:pipeline Z7[int, string] batch=0",
		"//monogen:pipeline Z8[int, string] ordered=maybe",
		"//monogen:pipeline Z9[int, string] workers=0",
		"//monogen:pipeline Z10[int, string] backoff=1ms",
		"//monogen:pipeline Z11[int, string] stages=work,work",
		"//monogen:pipeline Z12[int, string] rate=Z1",
	},
	"semaphore": {
		"//monogen:semaphore V1",
		"//monogen:semaphore V2 n=0",
		"//monogen:semaphore V3 n=-1",
		"//monogen:semaphore V4 n=abc",
		"//monogen:semaphore V5[int, int] n=1",
		"//monogen:semaphore V6 n=2305843009213693952",
		"//monogen:semaphore V7 n=99999999999999999999999",
	},
	"ratelimit": {
		"//monogen:ratelimit W1",
		"//monogen:ratelimit W2 rate=100",
		"//monogen:ratelimit W3 rate=abc/s",
		"//monogen:ratelimit W4 algo=leaky rate=1/s",
		"//monogen:ratelimit W5 limit=5",
		"//monogen:ratelimit W6 rate=10/s limit=5 window=1s",
		"//monogen:ratelimit W7 rate=10/s burst=0",
		"//monogen:ratelimit W8 limit=1048576 window=1s",
		"//monogen:ratelimit W9 rate=0/s",
		"//monogen:ratelimit W10[int] algo=window limit=1 window=1s",
		"//monogen:ratelimit W11[int, int] rate=1/s",
		"//monogen:ratelimit W12[[]int] rate=1/s",
		"//monogen:semaphore V9[int] n=1 keys=0",
	},
	"breaker": {
		"//monogen:breaker U1[int, string] fn=workWrong",
		"//monogen:breaker U2[int, string] ratio=2",
		"//monogen:breaker U3[int, string] failures=0",
		"//monogen:breaker U4[int, string] cooldown=-1s",
		"//monogen:breaker U5[int, string] fallback=work",
		"//monogen:breaker U6[int, string] buckets=0",
		"//monogen:breaker U7[int]",
		"//monogen:breaker U8[int, string] halfopen=0",
	},
	"limiter": {
		"//monogen:limiter O1[int, string] min=0",
		"//monogen:limiter O2[int, string] min=10 max=5",
		"//monogen:limiter O3[int, string] tolerance=0.5",
		"//monogen:limiter O4[int, string] smoothing=0",
		"//monogen:limiter O5[int, string] sample=3",
		"//monogen:limiter O6[int, string] fn=job",
		"//monogen:limiter O7[int, string] initial=2000",
	},
	"queue": {
		"//monogen:queue N1[int] size=3",
		"//monogen:queue N2[int] size=1",
		"//monogen:queue N3[int] policy=lifo",
		"//monogen:queue N4[int, int]",
		"//monogen:queue N5[int] size=2147483648",
	},
	"batcher": {
		"//monogen:batcher H1[int] size=0",
		"//monogen:batcher H2[int] fn=work",
		"//monogen:batcher H3[int] onerror=onDone",
		"//monogen:batcher H4[int] workers=0",
		"//monogen:batcher H5[int] retries=-1",
		"//monogen:batcher H6[int] flush=-1s",
		"//monogen:batcher H7[int] fn=flushStrings",
	},
	"respool": {
		"//monogen:respool G1[*Conn] new=work",
		"//monogen:respool G2[*Conn] close=dial",
		"//monogen:respool G3[*Conn] check=closeConn",
		"//monogen:respool G4[*Conn] max=0",
		"//monogen:respool G5[*Conn] idle=x",
		"//monogen:respool G6[*Conn, int]",
		"//monogen:respool G7[int] new=dial",
	},
}

// TestCatalogue generates every directive of catalogueValid, which must
// build and pass go vet, and refuses every directive of catalogueInvalid,
// each in a few positioned lines and never with an internal error. The
// valid packages are generated in one run and vetted in one go vet; the
// invalid ones are refused in rounds of one run (a round refuses what the
// previous rounds' errors hid), so that the test stays fast.
func TestCatalogue(t *testing.T) {
	files := map[string]string{}
	var validPkgs, invalidPkgs []string
	n := 0
	for _, kind := range kinds.Names() {
		valid, invalid := catalogueValid[kind], catalogueInvalid[kind]
		if len(valid) < 5 || len(invalid) < 5 {
			t.Errorf("kind %s: %d valid and %d invalid directives in the catalogue, want at least 5 of each", kind, len(valid), len(invalid))
		}
		valid = append(valid[:len(valid):len(valid)], unexportedTwins(kind, valid)...)
		pkg := "valid_" + kind
		files[pkg+"/decl.go"] = fmt.Sprintf(catalogueDecls, pkg)
		files[pkg+"/x.go"] = "package " + pkg + "\n\n" + strings.Join(valid, "\n") + "\n"
		validPkgs = append(validPkgs, "./"+pkg)
		pkg = "invalid_" + kind
		files[pkg+"/decl.go"] = fmt.Sprintf(catalogueDecls, pkg)
		files[pkg+"/x.go"] = "package " + pkg + "\n\n" + strings.Join(invalid, "\n") + "\n"
		invalidPkgs = append(invalidPkgs, "./"+pkg)
		n += len(valid) + len(invalid)
	}
	t.Logf("%d directives", n)
	dir := scratchModule(t, files, true)
	bin := buildMonogen(t)
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")

	t.Run("valid", func(t *testing.T) {
		cmd := exec.Command(bin, append([]string{"-e"}, validPkgs...)...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("monogen: %v\n%.5000s", err, out)
		}
		cmd = exec.Command(bin, append([]string{"-check"}, validPkgs...)...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("monogen -check right after monogen: %v\n%.5000s", err, out)
		}
		if testing.Short() {
			t.Skip("go vet of the generated packages: not in -short mode")
		}
		cmd = exec.Command("go", append([]string{"vet"}, validPkgs...)...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go vet: %v\n%.5000s", err, out)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		refuseAll(t, bin, dir, env, invalidPkgs)
	})
}

// unexportedTwins returns a copy of each directive of kind in valid whose
// name is exported, named with a lower-case first letter and "Low" after it
// (M1 -> m1Low): an unexported directive's names are made differently (an
// exported template name X and an unexported x would both become m1LowX), so
// every valid directive must also generate unexported.
func unexportedTwins(kind string, valid []string) []string {
	var twins []string
	prefix := "//monogen:" + kind + " "
	for _, line := range valid {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok || rest == "" || rest[0] < 'A' || rest[0] > 'Z' {
			continue
		}
		end := strings.IndexAny(rest, "[ ")
		if end < 0 {
			end = len(rest)
		}
		twins = append(twins, prefix+strings.ToLower(rest[:1])+rest[1:end]+"Low"+rest[end:])
	}
	return twins
}

// buildMonogen builds the command into a temporary directory: it runs
// outside the test binary, which -race slows down several times.
func buildMonogen(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "monogen")
	build := exec.Command("go", "build", "-o", bin, "github.com/monogen/monogen/cmd/monogen")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// errorLine matches a line of an error report: file:line:col: message.
var errorLine = regexp.MustCompile(`^(\S+\.go):(\d+):\d+: \S`)

// refuseAll runs monogen -e on pkgs, whose every directive is invalid, in
// rounds: each line of a report must name a directive's position and be at
// most 1,000 bytes, each directive takes at most three lines, the exit code
// is 2; the directives refused are commented out and the next round runs,
// until none is left. A directive left that generates is a failure.
func refuseAll(t *testing.T, bin, dir string, env []string, pkgs []string) {
	t.Helper()
	perDirective := map[string]int{}
	for round := 0; ; round++ {
		cmd := exec.Command(bin, append([]string{"-e"}, pkgs...)...)
		cmd.Dir, cmd.Env = dir, env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		if err == nil {
			break
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Fatalf("round %d: %v, want exit status 2:\n%.5000s", round, err, stderr.String())
		}
		if round == 5 {
			t.Fatalf("still refusing after %d rounds:\n%.5000s", round, stderr.String())
		}
		drop := map[string][]int{}
		for msg := range strings.Lines(stderr.String()) {
			msg = strings.TrimSuffix(msg, "\n")
			if len(msg) > 1000 {
				t.Errorf("a line of %d bytes, want at most 1000: %.300s...", len(msg), msg)
			}
			m := errorLine.FindStringSubmatch(msg)
			if m == nil {
				t.Errorf("a line that names no position: %.300q", msg)
				continue
			}
			file := m[1]
			if !filepath.IsAbs(file) {
				file = filepath.Join(dir, file)
			}
			line, _ := strconv.Atoi(m[2])
			key := file + ":" + m[2]
			if perDirective[key]++; perDirective[key] == 4 {
				t.Errorf("more than 3 lines for the directive at %s:\n%.3000s", key, stderr.String())
			}
			if !slices.Contains(drop[file], line) {
				drop[file] = append(drop[file], line)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		if len(drop) == 0 {
			t.Fatalf("round %d: exit 2 with no error line:\n%.5000s", round, stderr.String())
		}
		for file, lines := range drop {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ls := strings.Split(string(src), "\n")
			for _, l := range lines {
				if !strings.HasPrefix(ls[l-1], "//monogen:") {
					t.Fatalf("%s:%d: the error names a line that holds no directive: %q", file, l, ls[l-1])
				}
				ls[l-1] = "// refused: " + strings.TrimPrefix(ls[l-1], "//")
			}
			if err := os.WriteFile(file, []byte(strings.Join(ls, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Every invalid directive must have been refused.
	for _, pkg := range pkgs {
		file := filepath.Join(dir, pkg, "x.go")
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(l, "//monogen:") {
				t.Errorf("%s:%d: generated, want refused: %s", file, i+1, l)
			}
		}
	}
}
