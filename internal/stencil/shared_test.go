package stencil_test

import (
	"go/importer"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/monogen/monogen/internal/stencil"
	"github.com/monogen/monogen/templates"
)

// stencilMap stencils the map template for a map name[int, int], sharing
// with prefix shared, with the constants consts set.
func stencilMap(t *testing.T, tpl *stencil.Template, name, shared string, consts map[string]string) *stencil.Output {
	t.Helper()
	out, err := stencil.Stencil(tpl, &stencil.Spec{
		Name: name, Main: "Map",
		Types:  map[string]string{"K": "int", "V": "int"},
		Consts: consts,
		Conds:  map[string]bool{"comparable(V)": true, "pointers": false},
		Hooks:  map[string]string{"hashKey": "return hashU64(&s.mix, uint64(k))"},
		Shared: shared,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sharedNames(out *stencil.Output) []string {
	var names []string
	for _, s := range out.Shared {
		names = append(names, s.Declared...)
	}
	return names
}

// TestSharedDeclarationsDependOnNoDirective checks which declarations of
// the map template two maps share: those that depend on no type, option or
// hook, under the shared names, and only those.
func TestSharedDeclarationsDependOnNoDirective(t *testing.T) {
	tpl, err := stencil.Parse(templates.Sources(), "shardmap", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	plain := stencilMap(t, tpl, "IntMap", "map", nil)
	shared := sharedNames(plain)
	for _, want := range []string{"mapMixSeed", "mapHashU64", "mapBroadcast", "mapMarkZeroBytes", "mapShardCount", "mapCacheLineSize", "mapGrowThreshold"} {
		if !slices.Contains(shared, want) {
			t.Errorf("%s is not shared; shared: %v", want, shared)
		}
	}
	for _, own := range []string{
		"IntMap", "IntMapComputeOp", "IntMapUpdateOp", // exported: the directive's API
		"intMapHashKey",                                // a hook the kind replaces
		"intMapEntry", "intMapTable", "intMapNewTable", // generic in the template
		// Its maphash seed is only written for an integer key, and
		// removed: the seed type of this map differs from a string map's.
		"intMapHashSeed", "intMapNewHashSeed",
	} {
		if !slices.Contains(plain.Declared, own) {
			t.Errorf("%s is not the directive's own; own: %v", own, plain.Declared)
		}
	}
	for _, d := range plain.Declared {
		if slices.Contains(shared, d) || strings.HasPrefix(d, "map") {
			t.Errorf("%s is both shared and the directive's own", d)
		}
	}
	// The directive's code uses the shared names.
	code := strings.Join(plain.Decls, "\n")
	if !strings.Contains(code, "mapBroadcast(") || strings.Contains(code, "intMapBroadcast") {
		t.Errorf("the directive's code does not call mapBroadcast:\n%s", code)
	}

	// shards= sets shardBits: what depends on it is the directive's own,
	// the rest is still shared, with the same text.
	sharded := stencilMap(t, tpl, "Small", "map", map[string]string{"shardBits": "2"})
	if s := sharedNames(sharded); slices.Contains(s, "mapShardCount") || slices.Contains(s, "mapShardBits") {
		t.Errorf("a map with shardBits set shares mapShardCount or mapShardBits: %v", s)
	}
	if !slices.Contains(sharded.Declared, "smallShardCount") || !slices.Contains(sharedNames(sharded), "mapCacheLineSize") {
		t.Errorf("shardBits set: want smallShardCount of its own and mapCacheLineSize shared; own %v", sharded.Declared)
	}
	texts := map[stencil.SharedKey]string{}
	for _, s := range plain.Shared {
		texts[s.Key] = s.Text
	}
	for _, s := range sharded.Shared {
		if text, ok := texts[s.Key]; ok && text != s.Text {
			t.Errorf("shared declaration %v differs between directives:\n%s\n---\n%s", s.Declared, text, s.Text)
		}
	}

	// Without a prefix, nothing is shared.
	if own := stencilMap(t, tpl, "IntMap", "", nil); len(own.Shared) != 0 || !slices.Contains(own.Declared, "intMapBroadcast") {
		t.Errorf("without Shared, %d declarations are shared", len(own.Shared))
	}
}

// TestSharedDeclarationsIgnoreFoldedBranches checks that what a folded
// branch names is no dependency of a shared declaration: baseTableLen
// refers to presizedTableLen only under sizeHint != 0, which a map without
// size= folds away (and presizedTableLen with it), so it is shared; under
// size=, sizeHint is the directive's and baseTableLen its own.
func TestSharedDeclarationsIgnoreFoldedBranches(t *testing.T) {
	tpl, err := stencil.Parse(templates.Sources(), "shardmap", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	plain := stencilMap(t, tpl, "IntMap", "map", nil)
	if s := sharedNames(plain); !slices.Contains(s, "mapBaseTableLen") || !slices.Contains(s, "mapTableLenFor") {
		t.Errorf("baseTableLen and tableLenFor are not shared without size=; shared: %v, own: %v", s, plain.Declared)
	}
	sized := stencilMap(t, tpl, "Sized", "map", map[string]string{"sizeHint": "1000"})
	if s := sharedNames(sized); slices.Contains(s, "mapBaseTableLen") || !slices.Contains(sized.Declared, "sizedBaseTableLen") {
		t.Errorf("with sizeHint set, want baseTableLen of its own; shared: %v, own: %v", s, sized.Declared)
	}
}

// TestSharedDeclarationsLeaveNamesOfTheAPIToTheDirective checks that what
// go doc shows of a directive's API names the directive's declarations:
// an unexported constant in an exported field's type (the length of
// Histogram.Counts in a pool) or in an exported function's signature is
// the directive's own, not shared, though it depends on no directive; one
// in an unexported field (hidden by go doc) is shared.
func TestSharedDeclarationsLeaveNamesOfTheAPIToTheDirective(t *testing.T) {
	src := `package box

// size is the length of Snapshot.Values.
const size = 4

// count is the length of Make's argument.
const count = 3

// width is the length of Snapshot.hidden.
const width = 2

// Snapshot is what a Box holds.
type Snapshot struct {
	Values [size]int
	hidden [width]int
}

// Box holds a T.
type Box[T any] struct {
	v T
	s Snapshot
}

// Get returns the value and the snapshot.
func (b *Box[T]) Get() (T, int) { return b.v, b.s.hidden[0] + b.s.Values[0] }

// Make returns a snapshot of xs.
func Make(xs [count]int) Snapshot { return Snapshot{Values: [size]int{xs[0]}} }
`
	tpl, err := stencil.Parse(fstest.MapFS{"box/box.go": {Data: []byte(src)}}, "box", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	out, err := stencil.Stencil(tpl, &stencil.Spec{Name: "IntBox", Main: "Box", Types: map[string]string{"T": "int"}, Shared: "box"})
	if err != nil {
		t.Fatal(err)
	}
	shared := sharedNames(out)
	for _, own := range []string{"intBoxSize", "intBoxCount"} {
		if !slices.Contains(out.Declared, own) {
			t.Errorf("%s is not the directive's own; own %v, shared %v", own, out.Declared, shared)
		}
	}
	if !slices.Contains(shared, "boxWidth") {
		t.Errorf("width, named only by an unexported field, is not shared; own %v, shared %v", out.Declared, shared)
	}
	code := strings.Join(out.Decls, "\n")
	for _, want := range []string{"Values [intBoxSize]int", "hidden [boxWidth]int", "xs [intBoxCount]int"} {
		if !strings.Contains(code, want) {
			t.Errorf("the directive's code has no %q:\n%s", want, code)
		}
	}
}

// TestExportedDeclarationsOutsideTheAPIAreShared checks the sharing of a
// template stenciled beside a directive's (the histogram, kinds.Also),
// whose exported declarations are exported only for the kinds' templates
// to use: given unexported names of their own (OwnNames), they are no part
// of the directive's API and may be shared like unexported ones (the
// recorder, its count of buckets, BucketOf), under their shared names,
// which Output.Names reports. The snapshot type, exported, and what go doc
// shows of it (Buckets, the length of its arrays) stay the directive's,
// and so does Collect, which names the snapshot. Without OwnNames, the
// exported names are the directive's API, and none is shared.
func TestExportedDeclarationsOutsideTheAPIAreShared(t *testing.T) {
	tpl, err := stencil.Parse(templates.Sources(), "histogram", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	spec := func(own bool) *stencil.Spec {
		s := &stencil.Spec{Name: "PoolHistogram", Main: "Histogram", Shared: "histogram",
			Conds: map[string]bool{"observeN": true, "addCounts": true, "add": true}}
		if own {
			s.OwnNames = map[string]string{"Recorder": "poolHistogram", "Buckets": "poolHistBuckets", "BucketOf": "poolHistBucket", "Collect": "poolHistCollect"}
		}
		return s
	}
	out, err := stencil.Stencil(tpl, spec(true))
	if err != nil {
		t.Fatal(err)
	}
	shared := sharedNames(out)
	for _, want := range []string{"histogramRecorder", "histogramBuckets", "histogramBucketOf"} {
		if !slices.Contains(shared, want) {
			t.Errorf("%s is not shared; shared %v, own %v", want, shared, out.Declared)
		}
	}
	for _, own := range []string{"PoolHistogram", "poolHistBuckets", "poolHistCollect"} {
		if !slices.Contains(out.Declared, own) {
			t.Errorf("%s is not the directive's own; shared %v, own %v", own, shared, out.Declared)
		}
	}
	for from, to := range map[string]string{"Recorder": "histogramRecorder", "buckets": "histogramBuckets", "Collect": "poolHistCollect", "Histogram": "PoolHistogram"} {
		if out.Names[from] != to {
			t.Errorf("Names[%s] = %q, want %q", from, out.Names[from], to)
		}
	}
	code := strings.Join(out.Decls, "\n")
	for _, want := range []string{"const poolHistBuckets = histogramBuckets", "Counts [poolHistBuckets]uint64", "func poolHistCollect(s *PoolHistogram, h *histogramRecorder)"} {
		if !strings.Contains(code, want) {
			t.Errorf("the directive's code has no %q:\n%s", want, code)
		}
	}

	out, err = stencil.Stencil(tpl, spec(false))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Shared {
		for _, n := range s.Declared {
			if n != "histogramBuckets" {
				t.Errorf("without OwnNames, %s is shared", n)
			}
		}
	}
}

// TestDeclarationsThatNameSharedCodeOfAnotherTemplateAreShared checks that
// a declaration naming, through a name of Rename, a declaration of another
// template that is shared code (SharedRefs) may be shared, in its code and
// in its comments, and one naming a declaration of the directive's own is
// not.
func TestDeclarationsThatNameSharedCodeOfAnotherTemplateAreShared(t *testing.T) {
	src := `package box

// extRec stands for a recorder of another template.
type extRec = struct{ n int }

// limit stands for a constant of another template.
const limit = 4

// stats holds an extRec.
type stats struct{ r extRec }

// bounded holds limit values.
type bounded struct{ v [limit]int }

// Box holds a T.
type Box[T any] struct {
	v T
	s stats
	b bounded
}

// Get returns the value.
func (b *Box[T]) Get() (T, int) { return b.v, b.s.r.n + b.b.v[0] }
`
	tpl, err := stencil.Parse(fstest.MapFS{"box/box.go": {Data: []byte(src)}}, "box", importer.Default())
	if err != nil {
		t.Fatal(err)
	}
	spec := &stencil.Spec{Name: "IntBox", Main: "Box", Types: map[string]string{"T": "int"}, Shared: "box",
		Rename: map[string]string{"extRec": "otherRec", "limit": "intBoxLimit"}, Drop: []string{"extRec", "limit"}}
	out, err := stencil.Stencil(tpl, spec)
	if err != nil {
		t.Fatal(err)
	}
	if s := sharedNames(out); slices.Contains(s, "boxStats") {
		t.Errorf("stats is shared though extRec is not marked shared: %v", s)
	}
	spec.SharedRefs = map[string]bool{"extRec": true}
	out, err = stencil.Stencil(tpl, spec)
	if err != nil {
		t.Fatal(err)
	}
	shared := sharedNames(out)
	if !slices.Contains(shared, "boxStats") || slices.Contains(shared, "boxBounded") || !slices.Contains(out.Declared, "intBoxBounded") {
		t.Errorf("want stats shared and bounded the directive's own; shared %v, own %v", shared, out.Declared)
	}
	var text string
	for _, s := range out.Shared {
		text += s.Text
	}
	for _, want := range []string{"// boxStats holds an otherRec.", "r otherRec"} {
		if !strings.Contains(text, want) {
			t.Errorf("the shared code has no %q:\n%s", want, text)
		}
	}
}
