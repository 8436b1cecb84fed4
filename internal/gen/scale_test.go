package gen_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/gen"
)

// BenchmarkGenerateScale generates one package of many directives, as
// docs/scale.sh and docs/scale-large.sh do with the command (whose
// /usr/bin/time -v figures are the ones the issues ask for): maps=50 is 50
// map directives, maps=1000 1,000 of them over 10x10 key and value types,
// semaphores=10000 10,000 semaphore directives. A directive should cost in
// proportion to its own output: ns/out-byte, the time per byte of output,
// should not grow from 50 maps to 1,000. Run it with -benchtime 1x;
// -cpuprofile shows where a run goes.
func BenchmarkGenerateScale(b *testing.B) {
	for _, c := range []struct {
		kind string
		n    int
	}{{"map", 50}, {"map", 100}, {"map", 1000}, {"semaphore", 10000}} {
		b.Run(fmt.Sprintf("%ss=%d", c.kind, c.n), func(b *testing.B) {
			dir := b.TempDir()
			write(b, filepath.Join(dir, "go.mod"), "module scale\n\ngo 1.26\n")
			write(b, filepath.Join(dir, "p", "p.go"), scalePackage(c.kind, c.n))
			b.ResetTimer()
			size := 0
			for b.Loop() {
				res, err := gen.Generate(gen.Config{Dir: filepath.Join(dir, "p")})
				if err != nil {
					b.Fatal(err)
				}
				size = 0
				for _, data := range res.Files {
					size += len(data)
				}
			}
			b.ReportMetric(float64(size), "out-bytes")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(size), "ns/out-byte")
		})
	}
}

// scalePackage returns a package of n directives of kind (map or
// semaphore).
func scalePackage(kind string, n int) string {
	var b strings.Builder
	b.WriteString(`package p

type (
	K0 int64; K1 int32; K2 string; K3 uint8; K4 [16]byte
	K5 struct{ A, B int }; K6 *int; K7 uint64; K8 struct{ S string; N int }; K9 float64
	V0 int64; V1 string; V2 []byte; V3 *V5; V4 struct{ X, Y float64 }
	V5 map[string]int; V6 [4]int; V7 func() error; V8 any; V9 chan int
)

`)
	for i := range n {
		switch kind {
		case "map":
			fmt.Fprintf(&b, "//monogen:map M%d[K%d, V%d]\n", i, i%10, i/10%10)
		case "semaphore":
			fmt.Fprintf(&b, "//monogen:semaphore S%d n=%d\n", i, i+1)
		}
	}
	return b.String()
}

func write(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}
