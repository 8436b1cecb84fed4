package generated_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSharedFileHoldsWhatDependsOnNoDirective checks that the code of the
// maps and pools of this package that depends on none of their types and
// options is in monogen_shared.go, once, and that no directive declares a
// copy of it: the mixers and growth helpers of the maps (baseTableLen
// included, though the template's branch for size= calls a helper the
// maps here fold away), the pool's ring, parking, staff and the progress of
// a Map call.
func TestSharedFileHoldsWhatDependsOnNoDirective(t *testing.T) {
	shared := topLevelNames(t, "monogen_shared.go")
	for _, name := range []string{
		"mapMixSeed", "mapHashU64", "mapHashU64x2", "mapBaseTableLen", "mapTableLenFor", "mapGrowThreshold",
		"poolRing", "poolParking", "poolStaff", "poolBatchState", "poolWorker",
	} {
		if !shared[name] {
			t.Errorf("monogen_shared.go does not declare %s", name)
		}
	}
	files, err := filepath.Glob("*_monogen.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		// A keyed limiter's map, stenciled with the limiter's directive
		// (kinds.Also), shares like a map directive.
		for name := range topLevelNames(t, f) {
			// A copy would be named after its directive: intPoolRing,
			// storeMixSeed.
			for _, suffix := range []string{"MixSeed", "HashU64", "Ring", "Parking", "Staff", "BatchState"} {
				if strings.HasSuffix(name, suffix) && !shared[name] {
					t.Errorf("%s declares %s, a copy of shared code", f, name)
				}
			}
		}
	}
}

// TestPoolsWithMetricsShareTheirHistogramsAndMetricsCode checks that the
// histogram code the kinds with metrics=true stencil beside their own
// (kinds.Also: the recorder, its buckets and BucketOf) is shared like the
// kind's, and with it the pool's metrics code that holds recorders (its
// counters, the workers' stats and tallies, the member that points at
// them): once in monogen_shared.go, no copy in any directive's file. Each
// directive keeps its snapshot type, <Name>Histogram, the API that its
// Stats returns, with the constant its fields name.
func TestPoolsWithMetricsShareTheirHistogramsAndMetricsCode(t *testing.T) {
	shared := topLevelNames(t, "monogen_shared.go")
	for _, name := range []string{
		"histogramRecorder", "histogramBuckets", "histogramBucketOf",
		"poolCounters", "poolWorkerStats", "poolTally", "poolMember",
	} {
		if !shared[name] {
			t.Errorf("monogen_shared.go does not declare %s", name)
		}
	}
	files, err := filepath.Glob("*_monogen.go")
	if err != nil {
		t.Fatal(err)
	}
	own := map[string]bool{}
	for _, f := range files {
		for name := range topLevelNames(t, f) {
			own[name] = true
			// A copy would be named after its directive:
			// tinyMetricsPoolHistogram, tinyMetricsPoolHistBucket,
			// tinyMetricsPoolCounters, tinyMetricsPoolWorkerStats.
			for _, suffix := range []string{"PoolHistogram", "HistBucket", "Counters", "WorkerStats", "Tally"} {
				if strings.HasSuffix(name, suffix) && !shared[name] && !token.IsExported(name) {
					t.Errorf("%s declares %s, a copy of shared code", f, name)
				}
			}
		}
	}
	for _, name := range []string{"TinyMetricsPoolHistogram", "tinyMetricsPoolHistBuckets", "WatchedSlotsHistogram", "watchedSlotsHistBuckets", "PipeCollectHistogram"} {
		if !own[name] || shared[name] {
			t.Errorf("%s is not a directive's own declaration", name)
		}
	}
}

// topLevelNames returns the names a file declares at package level, but
// for methods.
func topLevelNames(t *testing.T, file string) map[string]bool {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				names[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					names[sp.Name.Name] = true
				case *ast.ValueSpec:
					for _, n := range sp.Names {
						names[n.Name] = true
					}
				}
			}
		}
	}
	return names
}
