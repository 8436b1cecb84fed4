package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// scratch writes a module (go.mod and the given files) into a new temporary
// directory and makes it the working directory of the test.
func scratch(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if _, ok := files["go.mod"]; !ok {
		files["go.mod"] = "module example.com/x\n\ngo 1.25\n"
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	t.Setenv("GOFLAGS", "-mod=mod")
	return dir
}

// monogen runs the command in the working directory.
func monogen(args ...string) (code int, stdout, stderr string) {
	var out, errs bytes.Buffer
	code = run(args, &out, &errs)
	return code, out.String(), errs.String()
}

// lines splits output into its lines, without the last newline.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// checkShort fails when an error report is longer than a reader can take
// in: more than max lines, or a line over 1,000 bytes.
func checkShort(t *testing.T, stderr string, max int) {
	t.Helper()
	ls := lines(stderr)
	if len(ls) > max {
		t.Errorf("%d lines of errors, want at most %d:\n%.2000s", len(ls), max, stderr)
	}
	for _, l := range ls {
		if len(l) > 1000 {
			t.Errorf("a line of %d bytes, want at most 1000: %.200s...", len(l), l)
		}
	}
}

// Two directives whose names differ only in the case of their first letter
// generate the same unexported helpers (storeEntry, ...): that is one
// problem, and it gets one line, not one per helper.
func TestNamesDifferingOnlyInCaseGiveOneLine(t *testing.T) {
	scratch(t, map[string]string{"x.go": "package x\n\n//monogen:map Store[int, int]\n//monogen:map store[string, int]\n"})
	code, _, stderr := monogen()
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d; stderr:\n%.2000s", code, exitBadInput, stderr)
	}
	checkShort(t, stderr, 1)
	if want := "x.go:4:15: store and the directive Store at x.go:3:15 differ only in case, so the unexported names both generate (store...) clash; choose another name\n"; stderr != want {
		t.Errorf("stderr:\n%.2000s\nwant:\n%s", stderr, want)
	}
	if _, err := os.Stat("x_monogen.go"); err == nil {
		t.Error("x_monogen.go was written")
	}
}

// Thousands of errors stop after ten, as the compiler's do.
func TestTwoThousandUnknownOptionsStopAfterTen(t *testing.T) {
	var b strings.Builder
	b.WriteString("package x\n\n//monogen:map M[int, int]")
	for i := range 2000 {
		b.WriteString(" nosuch" + strconv.Itoa(i) + "=1")
	}
	b.WriteString("\n")
	scratch(t, map[string]string{"x.go": b.String()})
	code, _, stderr := monogen()
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d", code, exitBadInput)
	}
	ls := lines(stderr)
	if len(ls) != 11 || ls[10] != "too many errors" {
		t.Fatalf("%d lines, want ten errors and \"too many errors\":\n%.3000s", len(ls), stderr)
	}
	if !strings.HasPrefix(ls[0], `x.go:3:27: unknown option "nosuch0" for map; options are`) {
		t.Errorf("first error: %s", ls[0])
	}
	// -e reports them all.
	if _, _, stderr := monogen("-e"); len(lines(stderr)) != 2000 {
		t.Errorf("-e: %d lines, want 2000", len(lines(stderr)))
	}
}

// A huge option value, key, type argument or name is quoted, not echoed.
func TestHugeDirectiveTextIsQuotedShort(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	for name, c := range map[string]struct {
		directive string
		echoes    bool // the message quotes the input
	}{
		"value":         {"//monogen:map M[int, int] shards=" + huge, true},
		"funcvalue":     {"//monogen:map M[int, int] hash=" + huge, true},
		"key":           {"//monogen:map M[int, int] " + huge + "=1", true},
		"notkeyvalue":   {"//monogen:map M[int, int] " + huge, true},
		"typeargument":  {"//monogen:map M[int, " + huge + "]", true},
		"slicetypearg":  {"//monogen:map M[int, []" + huge + "]", true},
		"badtypesyntax": {"//monogen:map M[int, 1" + huge + "]", true},
		"kind":          {"//monogen:" + huge + " M[int, int]", true},
		"duration":      {"//monogen:pool P[int, int] timeout=" + huge, true},
		"float":         {"//monogen:breaker B[int, int] ratio=1" + strings.Repeat("0", 1<<20), true},
		"name":          {"//monogen:map " + huge + "[int]", false},
		"trailing":      {"//monogen:map M[int, int]" + huge, false},
	} {
		t.Run(name, func(t *testing.T) {
			scratch(t, map[string]string{"x.go": "package x\n\n" + c.directive + "\n"})
			code, _, stderr := monogen()
			if code != exitBadInput {
				t.Fatalf("exit %d, want %d; stderr:\n%.500s", code, exitBadInput, stderr)
			}
			checkShort(t, stderr, 1)
			if len(stderr) > 400 {
				t.Errorf("message of %d bytes, want the input quoted in at most ~80:\n%.1000s", len(stderr), stderr)
			}
			if c.echoes && !strings.Contains(stderr, "...") {
				t.Errorf("the message does not show that it cut the input:\n%.1000s", stderr)
			}
		})
	}
}

// A message of go's own that quotes a huge argument is cut at 1,000 bytes a
// line.
func TestLongLoadErrorLineIsCut(t *testing.T) {
	scratch(t, map[string]string{"x.go": "package x\n"})
	code, _, stderr := monogen("example.com/" + strings.Repeat("x", 1500))
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d", code, exitBadInput)
	}
	checkShort(t, stderr, 3)
	if !strings.Contains(stderr, "...") {
		t.Errorf("the message does not show that it was cut:\n%s", stderr)
	}
}
