package pool_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monogen/monogen/templates/pool"
)

// A worker pool must be work-conserving: no job waits while a worker is
// idle. These tests time a burst of 2*W slow jobs (40ms sleeps) followed by
// 400 instant ones on W workers, through Submit and through Map (slow items
// first), against the worker pool everyone writes by hand: W goroutines
// ranging over a channel. Any schedule that keeps every worker busy while
// jobs wait finishes in two rounds of slow jobs, 80ms; a pool whose worker
// claims a run of jobs, or a chunk of items, and sleeps through the slow
// ones while the others idle takes up to W times as long.
//
// The jobs are sleeps, so the measure holds on a machine with fewer cores
// than workers, and with -race.

// slowMs is the duration of a slow job, in milliseconds.
const slowMs = 40

// napJob sleeps ms milliseconds.
func napJob(_ context.Context, ms int) (int, error) {
	if ms > 0 {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	return ms, nil
}

// burst returns 2*workers slow jobs followed by 400 instant ones.
func burst(workers int) []int {
	jobs := make([]int, 2*workers+400)
	for i := range 2 * workers {
		jobs[i] = slowMs
	}
	return jobs
}

// channelMakespan runs jobs on the hand-written pool of workers goroutines
// and returns the time from the first send to the last job's end.
func channelMakespan(workers int, jobs []int) time.Duration {
	ch := make(chan int, len(jobs))
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for ms := range ch {
				napJob(context.Background(), ms)
			}
		}()
	}
	start := time.Now()
	for _, ms := range jobs {
		ch <- ms
	}
	close(ch)
	wg.Wait()
	return time.Since(start)
}

// submitMakespan runs jobs through Submit on a pool of workers and returns
// the time from the first Submit to the last delivery.
func submitMakespan(workers int, jobs []int) time.Duration {
	var left atomic.Int64
	left.Store(int64(len(jobs)))
	done := make(chan struct{})
	p := pool.New(napJob, func(int, int, error) {
		if left.Add(-1) == 0 {
			close(done)
		}
	}, pool.Config{Workers: workers})
	defer p.Close()
	start := time.Now()
	for _, ms := range jobs {
		if err := p.Submit(context.Background(), ms); err != nil {
			panic(err)
		}
	}
	<-done
	return time.Since(start)
}

// mapMakespan runs jobs as one Map call on a pool of workers and returns
// its duration.
func mapMakespan(workers int, jobs []int) time.Duration {
	p := pool.New(napJob, nil, pool.Config{Workers: workers})
	defer p.Close()
	start := time.Now()
	if _, err := p.Map(context.Background(), jobs); err != nil {
		panic(err)
	}
	return time.Since(start)
}

// checkMakespan compares the makespan of run against the channel pool's on
// the same burst, for W = 2, 4 and 8 workers. The pool may take 10% longer,
// plus 5ms for the scheduler and the timers of a loaded machine; the fault
// it guards against costs 40ms (one slow job in sequence) or more. A timing
// test must not be flaky, so a comparison that fails is measured again,
// both sides, up to 3 times in all: a pool that hoards fails every time.
func checkMakespan(t *testing.T, run func(workers int, jobs []int) time.Duration) {
	t.Helper()
	if testing.Short() {
		t.Skip("timing test")
	}
	for _, workers := range []int{2, 4, 8} {
		jobs := burst(workers)
		var report string
		for attempt := range 3 {
			base := channelMakespan(workers, jobs)
			got := run(workers, jobs)
			limit := base + base/10 + 5*time.Millisecond
			report += fmt.Sprintf("\n\tattempt %d: %v, channel pool %v, limit %v", attempt+1, got.Round(time.Millisecond), base.Round(time.Millisecond), limit.Round(time.Millisecond))
			if testing.Verbose() {
				t.Logf("W=%d attempt %d: %v, channel pool %v", workers, attempt+1, got, base)
			}
			if got <= limit {
				report = ""
				break
			}
		}
		if report != "" {
			t.Errorf("W=%d: %d slow jobs then %d instant ones take longer than on a channel pool:%s",
				workers, 2*workers, 400, report)
		}
	}
}

func TestSubmitIsWorkConserving(t *testing.T) {
	checkMakespan(t, submitMakespan)
}

func TestMapIsWorkConserving(t *testing.T) {
	checkMakespan(t, mapMakespan)
}
