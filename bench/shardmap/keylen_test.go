package shardmap

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkMapLoadKeyLen measures Load of string keys of 4, 16 and 40
// bytes (short names, the 16-byte keys of BenchmarkMap, session IDs) on 1Ki
// keys, from one goroutine, generated against xsync. A change to string Load
// that specializes one key length shows its cost for the others here.
//
//	go test -run '^$' -bench 'MapLoadKeyLen' -count 6 ./shardmap/ | go tool benchstat -col /impl -
func BenchmarkMapLoadKeyLen(b *testing.B) {
	for _, n := range []int{4, 16, 40} {
		keys := make([]string, 1024)
		for i := range keys {
			keys[i] = strings.Clone(fmt.Sprintf("%0*d", n, i))
		}
		for _, im := range StringImpls {
			if im.Name != "generated" && im.Name != "xsync" {
				continue
			}
			m := im.New()
			for i, k := range keys {
				m.Store(k, i)
			}
			b.Run(fmt.Sprintf("len=%d/impl=%s", n, im.Name), func(b *testing.B) {
				b.ReportAllocs()
				i, sum := 0, 0
				for b.Loop() {
					v, _ := m.Load(keys[i&(len(keys)-1)])
					sum += v
					i++
				}
				if sum < 0 {
					b.Fatal("negative sum of values")
				}
			})
		}
	}
}
