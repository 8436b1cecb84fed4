package load

import (
	"os"
	"path/filepath"
	"testing"
)

// A package seen only through another's export data (time, through context)
// is read into the same types.Package: a template importing both context and
// time must see one time.Time.
func TestImporterCompletesIndirectPackages(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"go.mod": "module example.com/p\n\ngo 1.25\n",
		"p.go":   "package p\n\nimport \"context\"\n\nvar Ctx = context.Background()\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prog, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	imp := prog.Importer(nil)
	ctx, err := imp.Import("context")
	if err != nil {
		t.Fatal(err)
	}
	tm, err := imp.Import("time")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ctx.Imports() {
		if p.Path() == "time" && p != tm {
			t.Fatal("context's time and the imported time are different packages")
		}
	}
	if !tm.Complete() || tm.Scope().Lookup("NewTimer") == nil {
		t.Fatal("time is incomplete")
	}
}
