package pool

import (
	"testing"

	"github.com/monogen/monogen/generated"
)

// BenchmarkPoolObserve is what metrics=true and hooks cost a generated
// pool's Submit path: mode=submit of job=tiny on TinyPool (obs=none),
// TinyMetricsPool (obs=metrics: counters, busy workers, the queue-wait and
// run-time histograms) and TinyHookedPool (obs=hooks: onreject=, ondrop=,
// onpanic= bound to trivial functions), GOMAXPROCS workers. The three are
// sub-benchmarks of one benchmark so that -count interleaves them:
//
//	go test -run '^$' -bench PoolObserve -count 10 ./pool/ > /tmp/obs.txt
//	go tool benchstat -col /obs /tmp/obs.txt
func BenchmarkPoolObserve(b *testing.B) {
	for _, v := range []struct {
		name  string
		start func(onResult func(int, int, error)) genPool
	}{
		{"none", func(f func(int, int, error)) genPool { return generated.NewTinyPool(f) }},
		{"metrics", func(f func(int, int, error)) genPool { return generated.NewTinyMetricsPool(f) }},
		{"hooks", func(f func(int, int, error)) genPool { return generated.NewTinyHookedPool(f) }},
	} {
		b.Run("job=tiny/mode=submit/obs="+v.name, func(b *testing.B) {
			c := newCompletions()
			r := &generatedRunner{c: c, p: v.start(func(int, int, error) { c.finish() })}
			defer r.close()
			ins := make([]int, wave)
			for i := range ins {
				ins[i] = i
			}
			b.ReportAllocs()
			for b.Loop() {
				r.submitWave(ins)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*wave), "ns/job")
		})
	}
}
