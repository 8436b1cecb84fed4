package generated_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/monogen/monogen/internal/gen"
)

// TestGeneratedIsFresh fails when the committed output differs from what
// the generator produces now: run make generate.
func TestGeneratedIsFresh(t *testing.T) {
	res, err := gen.Generate(gen.Config{Dir: "."})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) == 0 {
		t.Fatal("no files generated: are the directives gone?")
	}
	for path, want := range res.Files {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v -- run make generate", filepath.Base(path), err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("%s is stale -- run make generate", filepath.Base(path))
		}
	}
	for _, path := range res.Stale {
		t.Errorf("%s is stale (its directives are gone) -- run make generate", filepath.Base(path))
	}
}
