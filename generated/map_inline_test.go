package generated_test

import (
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/monogen/monogen/generated"
	"github.com/monogen/monogen/internal/testutil"
)

// TestStringMapLoadHashesShortKeysInline compiles this package with the
// compiler's inlining report and fails unless StringMap.Load inlines the
// hash of a key of 8 to 16 bytes (mapHashStr8to16, through
// stringMapHashShort) and the key comparison (stringMapEqualKey). A call
// there, to the hasher or to compare the bytes of a key looked up with the
// string it was stored with, costs every Load of a string key; the
// hasher's inlining cost is close to the compiler's budget, so a change to
// it can lose the inlining without any other test noticing.
func TestStringMapLoadHashesShortKeysInline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to compile with:", err)
	}
	const file = "directives_monogen.go"
	lines := testutil.FuncLines(t, file, "StringMap.Load")["StringMap.Load"]
	out, err := exec.Command(goTool, "build", "-o", "/dev/null", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	re := regexp.MustCompile(`(?m)^(?:\S*/)?` + regexp.QuoteMeta(file) + `:(\d+):\d+: inlining call to (\S+)$`)
	inlined := make(map[string]bool)
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		if line, _ := strconv.Atoi(m[1]); line >= lines[0] && line <= lines[1] {
			inlined[m[2]] = true
		}
	}
	if len(inlined) == 0 {
		t.Fatalf("the inlining report names no call in %s:%d-%d:\n%s", file, lines[0], lines[1], out)
	}
	for _, fn := range []string{"stringMapShortKey", "stringMapHashShort", "mapHashStr8to16", "mapMixStr", "stringMapEqualKey"} {
		if !inlined[fn] {
			var got []string
			for f := range inlined {
				got = append(got, f)
			}
			slices.Sort(got)
			t.Errorf("StringMap.Load does not inline %s; it inlines %s", fn, strings.Join(got, ", "))
		}
	}
}

// TestStringMapLoadComparesLengthAndBytes checks the key comparison of
// Load, which takes equal data pointers as equal bytes: a key that shares
// its bytes with a stored key but is shorter is another key, and a key with
// the same bytes in another array is the same key.
func TestStringMapLoadComparesLengthAndBytes(t *testing.T) {
	m := generated.NewStringMap()
	long := fmt.Sprintf("key-%012d", 42) // 16 bytes: hashed inline
	m.Store(long, 1)
	for n := len(long) - 1; n >= 0; n-- {
		if v, ok := m.Load(long[:n]); ok {
			t.Fatalf("Load(%q), a prefix sharing the stored key's bytes = %d, true; want absent", long[:n], v)
		}
	}
	m.Store(long[:10], 2) // shares the bytes of long
	if v, ok := m.Load(long[:10]); !ok || v != 2 {
		t.Fatalf("Load(%q) = %d, %v; want 2, true", long[:10], v, ok)
	}
	for _, k := range []string{long, long[:10], "a", "", strings.Repeat("x", 40)} {
		m.Store(k, len(k))
		c := strings.Clone(k) // same bytes, another array
		if v, ok := m.Load(c); !ok || v != len(k) {
			t.Errorf("Load(copy of %q) = %d, %v; want %d, true", k, v, ok, len(k))
		}
	}
}
