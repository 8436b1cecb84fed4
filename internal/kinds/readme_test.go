package kinds_test

import (
	"os"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/kinds"
)

// TestREADMEDocumentsEveryKind fails when a kind or one of its options is
// missing from the README's directive reference.
func TestREADMEDocumentsEveryKind(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	for _, name := range kinds.Names() {
		if !strings.Contains(text, "//monogen:"+name+" ") {
			t.Errorf("README has no example of //monogen:%s", name)
		}
		k, _ := kinds.Lookup(name)
		for _, o := range k.Options {
			if !strings.Contains(text, "`"+o.Key) && !strings.Contains(text, " "+o.Key+"=") {
				t.Errorf("README does not document option %s of %s", o.Key, name)
			}
		}
	}
}
