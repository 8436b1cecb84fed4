package gen

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/kinds"
	"github.com/monogen/monogen/internal/load"
	"github.com/monogen/monogen/internal/model"
)

// An internal error about generated code that does not compile is one line
// naming a temporary copy of the code at the first error (the file, or the
// code of the directive that does not type-check), not the code (hundreds
// of lines) on stderr.
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
		name, code, want string
	}{
		{"typecheck", padding + "var n int = \"s\"\n",
			`^internal error \(please report\): generated x_monogen.go does not type-check: (\S+):303:13: cannot use "s" \(untyped string constant\) as int value in variable declaration$`},
		{"parse", padding + "func f() { this does not parse\n",
			`^internal error \(please report\): generated x_monogen.go does not parse: (\S+):303:17: expected ';', found does( \(and \d+ more errors\))?$`},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The code of one directive, a chunk of the output file.
			g := &generator{prog: prog, res: &Result{Files: map[string][]byte{}}, rendered: map[string]*rendered{}, renderer: newRenderer(prog.Fset, 1)}
			j := &job{d: &model.Directive{Name: "M", File: filepath.Join(dir, "x.go")}, pkg: prog.Packages[0], kind: &kinds.Kind{}}
			g.render(out, load.Header+"\n\n", "x", []*job{j}, false, [][]byte{[]byte(c.code)}, emit.NewScope("x", nil, nil))
			err := g.typeCheck(map[string][]*job{out: {j}})
			if werr := g.renderer.wait(); c.name == "parse" {
				err = werr
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
			if got, err := os.ReadFile(kept); err != nil || string(got) != "package x\n\n"+c.code {
				t.Errorf("the kept file does not hold the generated code (%v):\n%.500s", err, got)
			}
		})
	}
}
