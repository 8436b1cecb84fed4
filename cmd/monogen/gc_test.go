package main

import (
	"runtime/debug"
	"testing"
)

// The collector's target for a run (tuneGC) is the user's when GOGC or
// GOMEMLIMIT is set, and smallGC otherwise.
func TestTuneGCLeavesGOGCAndGOMEMLIMITOfTheUser(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, c := range []struct {
		env, value string
		want       int
	}{{"GOGC", "150", 100}, {"GOMEMLIMIT", "1GiB", 100}, {"GOGC", "", smallGC}} {
		t.Setenv("GOGC", "")
		t.Setenv("GOMEMLIMIT", "")
		t.Setenv(c.env, c.value)
		debug.SetGCPercent(100)
		tuneGC()
		if got := debug.SetGCPercent(100); got != c.want {
			t.Errorf("%s=%q: GC percent %d, want %d", c.env, c.value, got, c.want)
		}
	}
}
