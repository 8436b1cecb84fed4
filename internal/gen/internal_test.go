package gen

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/load"
	"github.com/monogen/monogen/internal/model"
)

// An internal error about generated code that does not compile is one line
// naming a temporary copy of the file at the first error, not the file
// (hundreds of lines) on stderr.
func TestInternalErrorKeepsGeneratedFileInTempFile(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"go.mod": "module example.com/x\n\ngo 1.25\n",
		"x.go":   "package x\n\n//monogen:map M[int, int]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GOFLAGS", "-mod=mod")
	prog, err := load.Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "x_monogen.go")
	padding := strings.Repeat("// A line of the generated file.\n", 300)
	for _, c := range []struct {
		name, src, want string
	}{
		{"typecheck", load.Header + "\n\npackage x\n\n" + padding + "var n int = \"s\"\n",
			`^internal error \(please report\): generated x_monogen.go does not type-check: (\S+):305:13: cannot use "s" \(untyped string constant\) as int value in variable declaration$`},
		{"parse", load.Header + "\n\npackage x\n\n" + padding + "func f() { this does not parse\n",
			`^internal error \(please report\): generated x_monogen.go does not parse: (\S+):305:17: expected ';', found does( \(and \d+ more errors\))?$`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.name == "parse" {
				_, err = parseOutput(prog.Fset, out, []byte(c.src))
			} else {
				r, perr := parseOutput(prog.Fset, out, []byte(c.src))
				if perr != nil {
					t.Fatal(perr)
				}
				g := &generator{prog: prog, res: &Result{Files: map[string][]byte{}}, rendered: map[string]*rendered{out: r}}
				j := &job{d: &model.Directive{File: filepath.Join(dir, "x.go")}, pkg: prog.Packages[0]}
				err = g.typeCheck(map[string][]*job{out: {j}})
			}
			var ie *InternalError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v, want an InternalError", err)
			}
			msg := err.Error()
			m := regexp.MustCompile(c.want).FindStringSubmatch(msg)
			if m == nil {
				t.Fatalf("message:\n%.3000s\nwant it to match %s", msg, c.want)
			}
			kept := m[1]
			t.Cleanup(func() { os.Remove(kept) })
			if filepath.Dir(kept) != filepath.Clean(os.TempDir()) || !strings.HasSuffix(kept, "x_monogen.go") {
				t.Errorf("kept in %s, want a temporary file named after x_monogen.go", kept)
			}
			if got, err := os.ReadFile(kept); err != nil || string(got) != c.src {
				t.Errorf("the kept file does not hold the generated code (%v)", err)
			}
		})
	}
}
