// Package testutil holds helpers shared by the tests of the templates and
// of generated code. It is never imported by generated code.
package testutil

import (
	"bytes"
	"runtime"
	"strconv"
)

// GoroutineID returns the ID of the calling goroutine, from its stack
// trace: tests use it to check on which goroutine a hook was called.
func GoroutineID() uint64 {
	var buf [64]byte
	b := bytes.TrimPrefix(buf[:runtime.Stack(buf[:], false)], []byte("goroutine "))
	id, _ := strconv.ParseUint(string(b[:bytes.IndexByte(b, ' ')]), 10, 64)
	return id
}
