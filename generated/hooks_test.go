package generated_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/monogen/monogen/generated"
)

// TestGeneratedQueueOnDropReportsEachDroppedItemOnThePushingGoroutine
// fills HookedNewestQueue and HookedOldestQueue (ondrop=) and pushes past
// them from a goroutine of its own: ondrop= sees each dropped item once,
// on that goroutine, before Push returns, and nothing while pushes fit.
func TestGeneratedQueueOnDropReportsEachDroppedItemOnThePushingGoroutine(t *testing.T) {
	type queue interface {
		Push(context.Context, int) error
		PushMany(context.Context, []int) (int, error)
		TryPush(int) bool
		TryPop() (int, bool)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		q    queue
		want []int // reported by Push(5) then PushMany(6, 7)
		left []int
	}{
		{"newest", generated.NewHookedNewestQueue(), []int{5, 6, 7}, []int{1, 2, 3, 4}},
		{"oldest", generated.NewHookedOldestQueue(), []int{1, 2, 3}, []int{4, 5, 6, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			generated.QueueDrops.Take()
			for v := 1; v <= 4; v++ {
				if err := tc.q.Push(ctx, v); err != nil {
					t.Fatal(err)
				}
			}
			if tc.q.TryPush(99) {
				t.Fatal("TryPush into a full queue succeeded")
			}
			if calls := generated.QueueDrops.Take(); len(calls) != 0 {
				t.Fatalf("pushes that fit and TryPush reported drops %v", calls)
			}
			var pusher uint64
			done := make(chan struct{})
			go func() {
				defer close(done)
				pusher = generated.GoroutineID()
				tc.q.Push(ctx, 5)
				if calls := generated.QueueDrops.Take(); len(calls) != 1 || calls[0].Arg != tc.want[0] || calls[0].Hook != tc.name {
					t.Errorf("after Push(5) ondrop= saw %v, want one %s call with %d", calls, tc.name, tc.want[0])
				}
				tc.q.PushMany(ctx, []int{6, 7})
			}()
			<-done
			var items []int
			for _, c := range generated.QueueDrops.Take() {
				items = append(items, c.Arg)
				if c.On != pusher || c.Hook != tc.name {
					t.Errorf("ondrop= call %+v; want %s on the pushing goroutine %d", c, tc.name, pusher)
				}
			}
			if !slices.Equal(items, tc.want[1:]) {
				t.Errorf("after PushMany(6, 7) ondrop= saw %v, want %v", items, tc.want[1:])
			}
			var left []int
			for v, ok := tc.q.TryPop(); ok; v, ok = tc.q.TryPop() {
				left = append(left, v)
			}
			if !slices.Equal(left, tc.left) {
				t.Errorf("queue held %v, want %v", left, tc.left)
			}
		})
	}
}

// TestGeneratedRateLimitOnRejectReportsEachRefusedRequestOnTheCallersGoroutine
// empties HookedAPI (a token bucket) and HookedQuota (a sliding window),
// both of two events an hour with onreject=, then asks for more from a
// goroutine of its own: onreject= sees each refused Allow and AllowN (nil
// error) and each failed Wait and WaitN (its error) once, with the events
// asked for, on that goroutine, before the call returns; admitted requests
// call nothing.
func TestGeneratedRateLimitOnRejectReportsEachRefusedRequestOnTheCallersGoroutine(t *testing.T) {
	type limiter interface {
		Allow() bool
		AllowAt(time.Time) bool
		AllowN(int) bool
		Wait(context.Context) error
		WaitN(context.Context, int) error
	}
	api, quota := generated.NewHookedAPI(), generated.NewHookedQuota()
	for _, tc := range []struct {
		name     string
		l        limiter
		exceeds  error
		deadline error
	}{
		{"api", api, generated.ErrHookedAPIExceedsBurst, generated.ErrHookedAPIDeadline},
		{"quota", quota, generated.ErrHookedQuotaExceedsBurst, generated.ErrHookedQuotaDeadline},
	} {
		t.Run(tc.name, func(t *testing.T) {
			generated.RateRejects.Take()
			if !tc.l.Allow() || !tc.l.AllowN(0) || !tc.l.AllowN(1) {
				t.Fatal("the first two events were refused")
			}
			if calls := generated.RateRejects.Take(); len(calls) != 0 {
				t.Fatalf("admitted requests called onreject=: %v", calls)
			}
			canceled, cancel := context.WithCancel(context.Background())
			cancel()
			soon, cancelSoon := context.WithTimeout(context.Background(), time.Minute)
			defer cancelSoon()
			steps := []struct {
				call func() bool // reports whether the request was refused
				n    int
				err  error
			}{
				{func() bool { return !tc.l.Allow() }, 1, nil},
				{func() bool { return !tc.l.AllowN(2) }, 2, nil},
				{func() bool { return tc.l.WaitN(context.Background(), 3) != nil }, 3, tc.exceeds},
				{func() bool { return tc.l.Wait(canceled) != nil }, 1, context.Canceled},
				{func() bool { return tc.l.Wait(soon) != nil }, 1, tc.deadline},
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				caller := generated.GoroutineID()
				for i, s := range steps {
					if !s.call() {
						t.Errorf("step %d was admitted", i)
					}
					calls := generated.RateRejects.Take()
					if len(calls) != 1 || calls[0].Hook != tc.name || calls[0].Arg.N != s.n || !errors.Is(calls[0].Arg.Err, s.err) || (s.err == nil) != (calls[0].Arg.Err == nil) {
						t.Errorf("step %d: onreject= saw %+v before the call returned, want one %s call with %d, %v", i, calls, tc.name, s.n, s.err)
						continue
					}
					if calls[0].On != caller {
						t.Errorf("step %d: onreject= ran on goroutine %d, want the caller's %d", i, calls[0].On, caller)
					}
				}
			}()
			<-done
		})
	}
}

// TestGeneratedResPoolOnWaitReportsEachGetThatWaitedOnItsGoroutine runs
// HookedConns (max=1, onwait=, metrics=true) in a synctest bubble: a Get
// that finds the resource calls nothing; a Get that waits 10ms for a Put
// and one whose context ends after 5ms each call onwait= once, on their
// own goroutine before they return, with the wait and their error; Stats
// times the same waits.
func TestGeneratedResPoolOnWaitReportsEachGetThatWaitedOnItsGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		generated.ConnWaits.Take()
		p := generated.NewHookedConns()
		defer p.Close()
		get := func(ctx context.Context) (on uint64, seen []generated.HookCall[generated.Waited], err error) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				on = generated.GoroutineID()
				var r *generated.Res
				r, err = p.Get(ctx)
				seen = generated.ConnWaits.Take()
				if err == nil {
					p.Put(r)
				}
			}()
			<-done
			return on, seen, err
		}
		if _, seen, err := get(context.Background()); err != nil || len(seen) != 0 {
			t.Fatalf("Get of an idle resource: %v, onwait= saw %v; want no error and no call", err, seen)
		}
		r, err := p.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(10 * time.Millisecond)
			p.Put(r)
		}()
		on, seen, err := get(context.Background())
		if err != nil || len(seen) != 1 || seen[0].Arg != (generated.Waited{D: 10 * time.Millisecond}) || seen[0].On != on {
			t.Errorf("Get woken by a Put: %v, onwait= saw %+v; want one call with 10ms and no error on the Get's goroutine %d", err, seen, on)
		}
		r, err = p.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		on, seen, err = get(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || len(seen) != 1 || seen[0].Arg.D != 5*time.Millisecond || seen[0].Arg.Err != err || seen[0].On != on {
			t.Errorf("Get whose context ended: %v, onwait= saw %+v; want one call with 5ms and its error on the Get's goroutine %d", err, seen, on)
		}
		p.Put(r)
		st := p.Stats()
		var want [15]uint64
		want[7] = 2 // 5ms and 10ms, in (4.096ms, 16.384ms]
		if st.WaitTime.Counts != want || st.WaitTime.Sum != 15*time.Millisecond || st.Waits != 2 {
			t.Errorf("Stats = %+v; want WaitTime counts %v, sum 15ms, 2 waits", st, want)
		}
	})
}

// TestGeneratedLimiterOnLimitReportsEachChangeOfTheLimitOnTheCallersGoroutine
// makes calls of HookedBackend (initial=8, min=1, onlimit=) that time out
// from a goroutine of its own: each shrinks the limit by a tenth, and
// onlimit= sees each change once, on that goroutine, before Execute
// returns; a call down at the minimum changes nothing and calls nothing.
func TestGeneratedLimiterOnLimitReportsEachChangeOfTheLimitOnTheCallersGoroutine(t *testing.T) {
	generated.BackendLimits.Take()
	l := generated.NewHookedBackend()
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		caller := generated.GoroutineID()
		// 8 * 0.9^k, rounded down, until the minimum 1.
		want := []generated.LimitChange{{8, 7}, {7, 6}, {6, 5}, {5, 4}, {4, 3}, {3, 2}, {2, 1}}
		estimate := 8.0
		for i := 0; i < 30; i++ {
			from := int64(estimate)
			estimate = max(1, estimate*0.9)
			l.Execute(expired, i)
			calls := generated.BackendLimits.Take()
			if from == int64(estimate) {
				if len(calls) != 0 {
					t.Errorf("call %d left the limit at %d, yet onlimit= saw %v", i, from, calls)
				}
				continue
			}
			if len(calls) != 1 || calls[0].Arg != want[0] || calls[0].On != caller {
				t.Errorf("call %d: onlimit= saw %+v before Execute returned, want %v on the caller's goroutine %d", i, calls, want[0], caller)
			}
			want = want[1:]
		}
		if len(want) != 0 {
			t.Errorf("changes never reported: %v", want)
		}
	}()
	<-done
}

// TestGeneratedRateLimitWaitTimeTimesTheWaitsThatWaited drives TimedAPI
// (100/s, the default burst of 1, metrics=true) in a synctest bubble: Waits that find a
// token and one refused at once (its deadline is too near) are not timed;
// a Wait for the next token (10ms) and one whose context is canceled after
// 4ms are.
func TestGeneratedRateLimitWaitTimeTimesTheWaitsThatWaited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := generated.NewTimedAPI()
		if err := l.Wait(context.Background()); err != nil { // the bucket's one token
			t.Fatal(err)
		}
		near, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		if err := l.Wait(near); !errors.Is(err, generated.ErrTimedAPIDeadline) {
			t.Fatalf("Wait with 5ms left for a token 10ms away: %v, want ErrTimedAPIDeadline", err)
		}
		cancel()
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			time.Sleep(4 * time.Millisecond)
			cancel()
		}()
		if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait canceled after 4ms: %v, want Canceled", err)
		}
		var want [15]uint64
		want[6] = 1 // 4ms, in (1.024ms, 4.096ms]
		want[7] = 1 // 10ms, in (4.096ms, 16.384ms]
		if st := l.Stats(); st.WaitTime.Counts != want || st.WaitTime.Sum != 14*time.Millisecond {
			t.Errorf("Stats().WaitTime = %+v, want counts %v and sum 14ms", st.WaitTime, want)
		}
	})
}

// TestGeneratedPipelineOnFailAndOnSkipReportEachItemOnTheStagesGoroutine
// runs HookedPipe (fused) and HookedPipeUnfused through RunSlice and Start:
// onfail= sees each failed item once, with its stage and error (a panic as
// the panic's message), onskip= each skipped item once with its stage, both
// on the goroutine that ran the stage function for that item; a run where
// nothing fails or skips calls neither.
func TestGeneratedPipelineOnFailAndOnSkipReportEachItemOnTheStagesGoroutine(t *testing.T) {
	in := make([]int, 40)
	for i := range in {
		in[i] = i + 1
	}
	var want []string
	for _, v := range in {
		switch {
		case v%3 == 0:
			want = append(want, fmt.Sprintf("onskip sift/%d", v))
		case v%5 == 0:
			want = append(want, fmt.Sprintf("onfail sift/%d: multiple of 5", v))
		case v == 11:
			want = append(want, "onfail vet/11: panic: eleven")
		case v%7 == 0:
			want = append(want, fmt.Sprintf("onfail vet/%d: multiple of 7", v))
		}
	}
	slices.Sort(want)
	for _, tc := range []struct {
		name string
		run  func(items []int) error
	}{
		{"HookedPipe.RunSlice", func(items []int) error {
			_, err := generated.NewHookedPipe().RunSlice(context.Background(), items)
			return err
		}},
		{"HookedPipeUnfused.RunSlice", func(items []int) error {
			_, err := generated.NewHookedPipeUnfused().RunSlice(context.Background(), items)
			return err
		}},
		{"HookedPipe.Start", func(items []int) error {
			out, run := generated.NewHookedPipe().Start(context.Background(), feed(items))
			for range out {
			}
			return run.Wait()
		}},
		{"HookedPipeUnfused.Start", func(items []int) error {
			out, run := generated.NewHookedPipeUnfused().Start(context.Background(), feed(items))
			for range out {
			}
			return run.Wait()
		}},
	} {
		generated.PipeItems.Take()
		generated.PipeEvents.Take()
		if err := tc.run(in); err == nil {
			t.Errorf("%s: Wait returned nil, want the failures", tc.name)
		}
		ranOn := map[string]uint64{}
		for _, c := range generated.PipeItems.Take() {
			ranOn[c.Arg] = c.On
		}
		var got []string
		for _, c := range generated.PipeEvents.Take() {
			got = append(got, c.Hook+" "+c.Arg)
			item, _, _ := strings.Cut(c.Arg, ":")
			if on, ok := ranOn[item]; !ok || on != c.On {
				t.Errorf("%s: %s %s ran on goroutine %d, the stage function on %d", tc.name, c.Hook, c.Arg, c.On, on)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: hooks saw\n%q\nwant\n%q", tc.name, got, want)
		}

		if err := tc.run([]int{1, 2, 4, 8, 13, 16}); err != nil {
			t.Errorf("%s: %v, want nil", tc.name, err)
		}
		if calls := generated.PipeEvents.Take(); len(calls) != 0 {
			t.Errorf("%s: nothing failed or skipped, yet the hooks saw %v", tc.name, calls)
		}
	}
}

// feed returns a channel that receives items and is then closed.
func feed(items []int) <-chan int {
	c := make(chan int)
	go func() {
		defer close(c)
		for _, v := range items {
			c <- v
		}
	}()
	return c
}
