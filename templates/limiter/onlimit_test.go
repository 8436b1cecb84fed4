package limiter_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/monogen/monogen/internal/testutil"
	"github.com/monogen/monogen/templates/limiter"
)

// limitChange is one call of the limit hook.
type limitChange struct {
	from, to int64
	on       uint64
}

// limitLog records the calls of a limiter's limit hook.
type limitLog struct {
	mu    sync.Mutex
	calls []limitChange
}

func (l *limitLog) hook(from, to int64) {
	id := testutil.GoroutineID()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, limitChange{from, to, id})
}

func (l *limitLog) take() []limitChange {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = nil
	return c
}

// TestOnLimitReportsEachChangeOfTheLimitOnTheCallersGoroutine makes calls
// that fail (no change) and time out (the limit shrinks by a tenth) from
// a goroutine of its own: the hook sees each change once, with the limit
// before and after, on that goroutine, before Execute returns; calls that
// change nothing, down at Min, call nothing.
func TestOnLimitReportsEachChangeOfTheLimitOnTheCallersGoroutine(t *testing.T) {
	var fail error
	l := limiter.New(func(context.Context, int) (int, error) { return 0, fail }, limiter.Config{Min: 40, Max: 100, Initial: 50, SampleEvery: 1})
	var log limitLog
	l.SetOnLimit(log.hook)
	done := make(chan struct{})
	go func() {
		defer close(done)
		caller := testutil.GoroutineID()
		for i, step := range []struct {
			err  error
			want []limitChange // calls seen when Execute returns
		}{
			{errors.New("bad request"), nil},
			{context.DeadlineExceeded, []limitChange{{50, 45, caller}}},
			{nil, nil}, // too little load to tell
			{context.DeadlineExceeded, []limitChange{{45, 40, caller}}},
			{context.DeadlineExceeded, nil}, // 36, held at Min
		} {
			fail = step.err
			l.Execute(context.Background(), 0)
			if got := log.take(); len(got) != len(step.want) || len(got) == 1 && got[0] != step.want[0] {
				t.Errorf("call %d (%v): the hook saw %v before Execute returned, want %v", i, step.err, got, step.want)
			}
		}
	}()
	<-done
	if got := l.Stats().Limit; got != 40 {
		t.Errorf("limit %d, want 40", got)
	}
}

// TestOnLimitReportsAChainOfChangesUnderConcurrency has goroutines time
// out at once until the limit is down at Min: the reports, in whatever
// order they came, chain from Initial to Min, each change once.
func TestOnLimitReportsAChainOfChangesUnderConcurrency(t *testing.T) {
	l := limiter.New(func(context.Context, int) (int, error) { return 0, context.DeadlineExceeded },
		limiter.Config{Min: 2, Max: 1000, Initial: 1000, SampleEvery: 1})
	var log limitLog
	l.SetOnLimit(log.hook)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				l.Execute(context.Background(), 0)
			}
		})
	}
	wg.Wait()
	next := map[int64]int64{}
	for _, c := range log.take() {
		if _, dup := next[c.from]; dup || c.to >= c.from {
			t.Fatalf("report %d -> %d: a limit left twice, or not downwards", c.from, c.to)
		}
		next[c.from] = c.to
	}
	at, steps := int64(1000), 0
	for at != 2 {
		to, ok := next[at]
		if !ok {
			t.Fatalf("no report leaves %d: the chain from 1000 breaks", at)
		}
		at = to
		steps++
	}
	if steps != len(next) || l.Stats().Limit != 2 {
		t.Errorf("%d reports, %d of them on the chain from 1000 to 2; limit %d", len(next), steps, l.Stats().Limit)
	}
}
