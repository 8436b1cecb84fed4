package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodes checks the documented exit codes: 0 ok, 1 stale with
// -check, 2 bad input.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/codes\n\ngo 1.25\n")
	write("x.go", "package codes\n\n//monogen:map M[int, int]\n")
	t.Chdir(dir)
	t.Setenv("GOFLAGS", "-mod=mod")

	code := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		c := run(args, &stdout, &stderr)
		return c, stdout.String(), stderr.String()
	}
	if c, _, stderr := code("-check"); c != exitStale {
		t.Errorf("-check before generating: exit %d, want %d (stderr %q)", c, exitStale, stderr)
	}
	if c, _, stderr := code(); c != exitOK {
		t.Fatalf("generate: exit %d, want 0 (stderr %q)", c, stderr)
	}
	if c, stdout, _ := code("-check"); c != exitOK || stdout != "" {
		t.Errorf("-check after generating: exit %d output %q, want 0 and nothing", c, stdout)
	}
	write("x.go", "package codes\n\n//monogen:map M[int, nosuch]\n")
	c, _, stderr := code()
	if c != exitBadInput || !strings.HasPrefix(stderr, "x.go:3:22: type argument nosuch: undefined: nosuch") {
		t.Errorf("bad directive: exit %d stderr %q, want %d and a positioned error", c, stderr, exitBadInput)
	}
	if c, _, _ := code("-nosuchflag"); c != exitBadInput {
		t.Errorf("unknown flag: exit %d, want %d", c, exitBadInput)
	}
	if c, _, stderr := code("-h"); c != exitOK || !strings.Contains(stderr, "map ") || !strings.Contains(stderr, "-check") {
		t.Errorf("-h: exit %d, usage %q: want 0 and a usage listing kinds and flags", c, stderr)
	}
	if c, stdout, _ := code("-version"); c != exitOK || !strings.HasPrefix(stdout, "monogen ") {
		t.Errorf("-version: exit %d output %q", c, stdout)
	}
	if c, _, stderr := code("./nosuchdir"); c != exitBadInput || stderr == "" {
		t.Errorf("missing package: exit %d stderr %q, want %d with a message", c, stderr, exitBadInput)
	}
}
