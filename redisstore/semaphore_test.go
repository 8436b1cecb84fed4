package redisstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monogen/monogen/redisstore"
	"github.com/monogen/monogen/redisstore/internal/limits"
	"github.com/monogen/monogen/redisstore/internal/redistest"
)

// TestSharedSemaphoreNeverExceedsN: four processes' semaphores of capacity
// 4 over one Redis, eight goroutines each, acquiring and releasing weights
// 1 and 2: the units held at once, counted by the test, never exceed 4,
// and do reach it.
func TestSharedSemaphoreNeverExceedsN(t *testing.T) {
	srv := redistest.Start(t)
	ping := srv.Client()
	var inside, most, grants atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(500 * time.Millisecond)
	for range 4 {
		s := limits.NewBusySlots(redisstore.NewSemaphores(srv.Client(), "sem:"), "db")
		for g := range 8 {
			n := int64(1 + g%2)
			wg.Go(func() {
				for time.Now().Before(stop) {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					err := s.AcquireN(ctx, n)
					cancel()
					if err != nil {
						t.Error(err)
						return
					}
					now := inside.Add(n)
					for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
					}
					grants.Add(1)
					// Hold the units across a round trip, so that holders
					// overlap.
					ping.Ping(context.Background())
					inside.Add(-n)
					s.ReleaseN(n)
				}
			})
		}
	}
	wg.Wait()
	t.Logf("%d grants, at most %d units held at once", grants.Load(), most.Load())
	if most.Load() > 4 {
		t.Fatalf("%d units held at once across processes; the capacity is 4", most.Load())
	}
	if most.Load() < 3 {
		t.Fatalf("at most %d units held at once: the test did not fill the semaphore", most.Load())
	}
}

// TestSharedSemaphoreUnitsOfAKilledHolderComeBack runs a holder in another
// process (this test binary), which takes all four units and is killed
// with SIGKILL: the units come back once its lease (ttl=1s) ends.
func TestSharedSemaphoreUnitsOfAKilledHolderComeBack(t *testing.T) {
	if sock := os.Getenv("REDISSTORE_HOLDER"); sock != "" {
		holdAll(sock)
		return
	}
	srv := redistest.Start(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSharedSemaphoreUnitsOfAKilledHolderComeBack$")
	cmd.Env = append(os.Environ(), "REDISSTORE_HOLDER="+srv.Sock)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "held\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("holder process said %q", line)
	}
	s := limits.NewSlots(redisstore.NewSemaphores(srv.Client(), "sem:"), "db")
	// The holder renews its lease while alive: nothing is free.
	if s.TryAcquire() {
		t.Fatal("acquired a unit while another process holds all four")
	}
	killed := time.Now()
	cmd.Process.Kill()
	cmd.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.AcquireN(ctx, 4); err != nil {
		t.Fatalf("the units of a killed holder did not come back: %v", err)
	}
	back := time.Since(killed)
	t.Logf("units back %s after the holder was killed (ttl 1s)", back)
	if back > 2*time.Second {
		t.Errorf("units back after %s; the lease is 1s", back)
	}
	s.ReleaseN(4)
}

// holdAll is the holder process: it takes all four units, says so, and
// waits to be killed.
func holdAll(sock string) {
	srv := &redistest.Server{Sock: sock}
	c := srv.Dial()
	s := limits.NewSlots(redisstore.NewSemaphores(c, "sem:"), "db")
	if err := s.AcquireN(context.Background(), 4); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("held")
	select {}
}

// TestSharedSemaphoreStoreDown: with Redis stopped, onfail=closed fails
// Acquire with ErrSlotsStore, open grants bounded by the process's own
// count, local grants its share, 4/2 = 2 units; each recovers when Redis
// is back.
func TestSharedSemaphoreStoreDown(t *testing.T) {
	srv := redistest.Start(t)
	sems := redisstore.NewSemaphores(srv.Client(), "sem:")
	closed, open, local := limits.NewSlots(sems, "c"), limits.NewOpenSlots(sems, "o"), limits.NewLocalSlots(sems, "l")
	srv.Stop()
	ctx := context.Background()
	if err := closed.Acquire(ctx); !errors.Is(err, limits.ErrSlotsStore) {
		t.Errorf("onfail=closed with Redis down: %v, want ErrSlotsStore", err)
	}
	if closed.Available() != 4 {
		t.Errorf("a failed Acquire kept a unit of the process's count: Available %d", closed.Available())
	}
	for i := range 4 {
		if !open.TryAcquire() {
			t.Fatalf("onfail=open with Redis down refused unit %d of 4", i+1)
		}
	}
	if open.TryAcquire() {
		t.Error("onfail=open granted a fifth unit: the process's own count is 4")
	}
	got := 0
	for range 4 {
		if local.TryAcquire() {
			got++
		}
	}
	if got != 2 {
		t.Errorf("onfail=local replicas=2 granted %d units with Redis down; its share is 2", got)
	}
	if st := local.SharedStats(); st.Unbacked != 2 || st.Errors == 0 {
		t.Errorf("SharedStats %+v: want 2 unbacked grants and the store's errors", st)
	}
	for range 4 {
		open.Release()
	}
	for range got {
		local.Release()
	}
	srv.Restart()
	for _, s := range []interface {
		TryAcquire() bool
		Release()
	}{closed, open, local} {
		if !s.TryAcquire() {
			t.Error("no unit from a restarted Redis")
			continue
		}
		s.Release()
	}
}
