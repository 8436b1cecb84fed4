package stencil_test

import (
	"go/importer"
	"os"
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/stencil"
)

// TestRenameDoesNotStutter: a template name that starts with the words the
// directive's name ends with says them once (storeStoreValue was generated
// for a directive Store).
func TestRenameDoesNotStutter(t *testing.T) {
	tests := []struct{ name, directive, want string }{
		{"storeValue", "Store", "storeValue"},
		{"queueSlot", "BlockQueue", "blockQueueSlot"},
		{"queueSlot", "Queue", "queueSlot"},
		{"window", "Window", "window"},
		{"window", "SlidingWindow", "slidingWindow"},
		{"window", "window", "windowWindow"}, // never the directive's own name
		{"queueSlot", "blockQueue", "blockQueueSlot"},
		{"queued", "BlockQueue", "blockQueueQueued"}, // not a whole word
		{"shard2", "Shard", "shard2"},
		{"shardBits", "HTTPShard", "httpShardBits"},
		{"bucket", "Store", "storeBucket"},
		{"StoreStats", "Store", "StoreStoreStats"}, // exported names keep today's API
	}
	for _, tt := range tests {
		if got := stencil.Rename(tt.name, "Map", tt.directive); got != tt.want {
			t.Errorf("Rename(%q, Map, %q) = %q; want %q", tt.name, tt.directive, got, tt.want)
		}
	}
}

// TestFirstLetterOfAnyScript: names change case by letter, not byte, and
// a letter whose other case has another length keeps the rest whole
// (İngest's stage types were ingestX...: the lowered name was cut at the
// byte length of the upper-case one).
func TestFirstLetterOfAnyScript(t *testing.T) {
	for _, tt := range []struct{ in, upper, lower string }{
		{"", "", ""},
		{"ingest", "Ingest", "ingest"},
		{"HTTP", "HTTP", "http"},
		{"HTTPServer", "HTTPServer", "httpServer"},
		{"μap", "Μap", "μap"},
		{"Μap", "Μap", "μap"},
		{"İngest", "İngest", "ingest"},
		{"ßatch", "ßatch", "ßatch"}, // no upper case of its own
	} {
		if got := stencil.UpperFirst(tt.in); got != tt.upper {
			t.Errorf("UpperFirst(%q) = %q; want %q", tt.in, got, tt.upper)
		}
		if got := stencil.LowerFirst(tt.in); got != tt.lower {
			t.Errorf("LowerFirst(%q) = %q; want %q", tt.in, got, tt.lower)
		}
	}
	if got, want := stencil.Rename("inBatch", "Stage", "İngest"), "ingestInBatch"; got != want {
		t.Errorf("Rename(inBatch, Stage, İngest) = %q; want %q", got, want)
	}
}

// TestStencilShortNamesStayUnique: where a shortened name would be another
// template name's generated name, the template name that repeats the
// directive's words keeps the plain rule.
func TestStencilShortNamesStayUnique(t *testing.T) {
	tpl, err := stencil.Parse(os.DirFS("testdata"), "stutter", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	out, err := stencil.Stencil(tpl, &stencil.Spec{Name: "BlockQueue", Main: "Queue", Types: map[string]string{"T": "int"}})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(out.Declared, " ")
	if want := "BlockQueue blockQueueQueueSlot blockQueueSlot blockQueueWindow blockQueueStoreValue"; got != want {
		t.Errorf("declared %s; want %s", got, want)
	}
	out, err = stencil.Stencil(tpl, &stencil.Spec{Name: "Store", Main: "Queue", Types: map[string]string{"T": "int"}})
	if err != nil {
		t.Fatal(err)
	}
	got = strings.Join(out.Declared, " ")
	if want := "Store storeQueueSlot storeSlot storeWindow storeValue"; got != want {
		t.Errorf("declared %s; want %s", got, want)
	}
}

// TestStencilGenericAliasBecomesNamedType: a generic alias of a struct type
// (the pipeline's batches, 387 anonymous struct types in the generated
// pipelines before) is generated as a named type, used by name.
func TestStencilGenericAliasBecomesNamedType(t *testing.T) {
	tpl, err := stencil.Parse(os.DirFS("testdata"), "alias", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	out, err := stencil.Stencil(tpl, &stencil.Spec{Name: "pipeParse", Main: "Stage", Types: map[string]string{"In": "[]byte", "Out": "int"}})
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Join(out.Decls, "\n\n")
	for _, want := range []string{
		"// pipeParseInBatch is a batch of inputs.\ntype pipeParseInBatch struct {\n\tseq   uint64\n\titems [][]byte\n}",
		"func (s *pipeParse) Send(b pipeParseInBatch) int {",
		"m := pipeParseInBatch{seq: b.seq, items: b.items}",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("output lacks %q\n%s", want, src)
		}
	}
}
