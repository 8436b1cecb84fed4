package generated_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/monogen/monogen/generated"
)

// The template's work-conservation tests (templates/pool/balance_test.go)
// on the generated NapPool, whose job (fn=Nap) is bound: a burst of 2*W
// jobs of 40ms followed by 400 instant ones on W workers, through Submit
// and through Map (slow items first), must take about as long as on W
// goroutines ranging over a channel, which finish in two rounds of slow
// jobs.

// burst returns 2*workers slow jobs (40ms) followed by 400 instant ones.
func burst(workers int) []int {
	jobs := make([]int, 2*workers+400)
	for i := range 2 * workers {
		jobs[i] = 40
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
				generated.Nap(ms)
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

// napPool returns a NapPool of workers, and onResult its handler.
func napPool(workers int, onResult func(int, int, error)) *generated.NapPool {
	p := generated.NewNapPool(onResult)
	p.Resize(workers)
	return p
}

// submitMakespan runs jobs through Submit and returns the time from the
// first Submit to the last delivery.
func submitMakespan(workers int, jobs []int) time.Duration {
	var left atomic.Int64
	left.Store(int64(len(jobs)))
	done := make(chan struct{})
	p := napPool(workers, func(int, int, error) {
		if left.Add(-1) == 0 {
			close(done)
		}
	})
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

// mapMakespan runs jobs as one Map call and returns its duration.
func mapMakespan(workers int, jobs []int) time.Duration {
	p := napPool(workers, nil)
	defer p.Close()
	start := time.Now()
	if _, err := p.Map(context.Background(), jobs); err != nil {
		panic(err)
	}
	return time.Since(start)
}

// checkMakespan compares run's makespan of the burst with the channel
// pool's, for W = 2, 4 and 8: at most 10% more, plus 5ms for the scheduler
// and the timers of a loaded machine (the fault costs 40ms or more). A
// failed comparison is measured again, both sides, up to 3 times in all.
func checkMakespan(t *testing.T, run func(workers int, jobs []int) time.Duration) {
	t.Helper()
	if testing.Short() {
		t.Skip("timing test")
	}
	defer goleak.VerifyNone(t)
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
			t.Errorf("W=%d: %d slow jobs then 400 instant ones take longer than on a channel pool:%s", workers, 2*workers, report)
		}
	}
}

func TestPoolSubmitIsWorkConserving(t *testing.T) {
	checkMakespan(t, submitMakespan)
}

func TestPoolMapIsWorkConserving(t *testing.T) {
	checkMakespan(t, mapMakespan)
}
