package kinds

import "github.com/monogen/monogen/internal/stencil"

// histogramTemplate is the template of the duration histogram that the
// kinds with metrics=true record in (templates/histogram). It has no
// directive of its own: a kind that records durations lists it in Uses and
// calls histogramFor.
const histogramTemplate = "histogram"

// histogramUses are the parts of the histogram template a kind needs
// beyond Observe and Collect: each is a //monogen:if condition of the
// template.
type histogramUses struct {
	observeN  bool // Recorder.ObserveN
	addCounts bool // Recorder.AddCounts
	add       bool // Recorder.Add
}

// histogramLinks maps the names through which a kind's template names the
// histogram (template-only aliases of the histogram package's
// declarations) to those declarations. histBuckets, the length of the
// arrays a kind tallies counts in before adding them to a recorder, is
// the recorder's count of buckets (the same as Buckets, which is the
// snapshot's), so that code holding such arrays may be shared with the
// recorder.
var histogramLinks = map[string]string{
	"Histogram":   "Histogram",
	"histogram":   "Recorder",
	"histBuckets": "buckets",
	"histBucket":  "BucketOf",
	"histCollect": "Collect",
}

// histogramFor stencils the histogram template for the directive of c,
// whose template (of main type main) names the histogram through the
// template-only aliases of histogramLinks where it uses them. The names
// are those a histogram written in the kind's own template would have:
// <Name>Histogram for the snapshot, <name>Histogram for the recorder,
// <name>HistBuckets, <name>HistBucket and <name>HistCollect, unless the
// generator shares the declaration with the package's other directives
// (the recorder, its buckets and BucketOf), which then has its shared
// name.
func histogramFor(c *Context, main string, uses histogramUses) {
	name := c.D.Name
	snapshot := stencil.Rename("Histogram", main, name)
	recorder := stencil.Rename("histogram", main, name)
	if recorder == snapshot {
		// A directive whose name is unexported: myPoolHistogram is the
		// snapshot's.
		recorder = stencil.Rename("histRecorder", main, name)
	}
	spec := NewSpec(snapshot, "Histogram")
	spec.OwnNames = map[string]string{
		"Recorder": recorder,
		"Buckets":  stencil.Rename("histBuckets", main, name),
		"BucketOf": stencil.Rename("histBucket", main, name),
		"Collect":  stencil.Rename("histCollect", main, name),
	}
	for from, to := range histogramLinks {
		if own, ok := spec.OwnNames[to]; ok {
			c.Spec.Rename[from] = own
		}
	}
	c.Spec.Rename["Histogram"] = snapshot
	c.Spec.Rename["histBuckets"] = stencil.Rename("histBuckets", main, name)
	spec.Conds["observeN"] = uses.observeN
	spec.Conds["addCounts"] = uses.addCounts
	spec.Conds["add"] = uses.add
	c.Also = append(c.Also, Also{Template: histogramTemplate, Spec: spec, Links: histogramLinks})
}
