//go:build unix

package pool

import (
	"os"
	"runtime"
	"syscall"
	"testing"
)

// BenchmarkPoolCPU is a diagnostic of mode=submit for the tiny job: next to
// the wall time per job it reports the CPU time (user+sys, the whole
// process) per job. On a shared machine the wall time mostly measures how
// much CPU the benchmark was given; the CPU time is what each job cost, and
// varies far less with the machine's load. Spinning counts against it.
//
// It runs only when MONOGEN_POOLCPU is set, so that the report (go test
// -bench .) does not repeat the Pool rows:
//
//	cd bench && MONOGEN_POOLCPU=1 go test -run '^$' -bench PoolCPU -count 6 ./pool
func BenchmarkPoolCPU(b *testing.B) {
	if os.Getenv("MONOGEN_POOLCPU") == "" {
		b.Skip("set MONOGEN_POOLCPU=1 to run this diagnostic")
	}
	workers := runtime.GOMAXPROCS(0)
	j := jobs[0] // tiny
	for _, im := range impls {
		b.Run("job="+j.name+"/mode=submit/impl="+im.name, func(b *testing.B) {
			r := im.start(j, workers)
			defer r.close()
			ins := make([]int, wave)
			for i := range ins {
				ins[i] = i
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				r.submitWave(ins)
			}
			n := float64(b.N * wave)
			b.ReportMetric(float64(cpuTime()-cpu0)/n, "cpu-ns/job")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/job")
		})
	}
}

// cpuTime returns the CPU time the process has used, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
