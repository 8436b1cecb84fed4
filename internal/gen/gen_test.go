package gen_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/monogen/monogen/internal/gen"
)

var update = flag.Bool("update", false, "rewrite the want/ files of testdata/*.txtar with the actual output")

// TestGolden runs Generate on each testdata/*.txtar case: the archive's
// files form a module; files under want/ are the expected output, by path.
// Generate does no disk writes, so comparing its result is the whole test.
func TestGolden(t *testing.T) {
	t.Setenv("GOFLAGS", "-mod=mod")
	cases, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, file := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			want := map[string][]byte{}
			for _, f := range ar.Files {
				if name, ok := strings.CutPrefix(f.Name, "want/"); ok {
					want[name] = f.Data
					continue
				}
				p := filepath.Join(dir, f.Name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			res, err := gen.Generate(gen.Config{Dir: dir, Patterns: []string{"./..."}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]byte{}
			for p, data := range res.Files {
				rel, _ := filepath.Rel(dir, p)
				got[filepath.ToSlash(rel)] = data
			}
			// Determinism: a second run gives the same bytes.
			again, err := gen.Generate(gen.Config{Dir: dir, Patterns: []string{"./..."}})
			if err != nil {
				t.Fatal(err)
			}
			for p, data := range again.Files {
				if !bytes.Equal(data, res.Files[p]) {
					t.Errorf("%s differs between two runs", p)
				}
			}
			if *update {
				var files []txtar.File
				for _, f := range ar.Files {
					if !strings.HasPrefix(f.Name, "want/") {
						files = append(files, f)
					}
				}
				var names []string
				for n := range got {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					files = append(files, txtar.File{Name: "want/" + n, Data: got[n]})
				}
				ar.Files = files
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for name, data := range got {
				w, ok := want[name]
				if !ok {
					t.Errorf("unexpected output %s (run go test -update)", name)
					continue
				}
				if !bytes.Equal(w, data) {
					t.Errorf("%s differs from the golden file (run go test -update to accept):\n%s", name, firstDiff(w, data))
				}
			}
			for name := range want {
				if _, ok := got[name]; !ok {
					t.Errorf("missing output %s", name)
				}
			}
		})
	}
}

// firstDiff shows the first differing line with context.
func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return "(no line differs)"
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for i >= 10 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	n--
	b[n] = byte('0' + i)
	return string(b[n:])
}
