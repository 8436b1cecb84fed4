package generated_test

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/monogen/monogen/generated"
)

// goid returns the id of the calling goroutine, from the header of its
// stack trace ("goroutine 42 [running]:").
func goid() int64 {
	var buf [64]byte
	s := buf[:runtime.Stack(buf[:], false)]
	s = bytes.TrimPrefix(s, []byte("goroutine "))
	id, err := strconv.ParseInt(string(s[:bytes.IndexByte(s, ' ')]), 10, 64)
	if err != nil {
		panic("goid: " + err.Error())
	}
	return id
}

// The generated Map, like the template's, runs items on its caller in the
// stead of a parked worker instead of waiting idle for a worker to wake
// (templates/pool's test of the same name says why). Each attempt maps one
// item, so that no worker is asked to help; until a worker has parked, the
// batch goes to it, so try again.
func TestMapDoesNotWaitIdleForAParkedWorker(t *testing.T) {
	var ranOn atomic.Int64
	p := generated.NewFuncPool(func(_ context.Context, x int) (int, error) {
		ranOn.Store(goid())
		return x, nil
	}, nil)
	defer p.Close()
	me := goid()
	for range 1000 {
		if _, err := p.Map(context.Background(), []int{1}); err != nil {
			t.Fatal(err)
		}
		if ranOn.Load() == me {
			return
		}
		runtime.Gosched() // for a worker to park
	}
	t.Fatal("in 1000 Map calls, no item ran on the caller: Map waits for a worker while one is parked")
}
