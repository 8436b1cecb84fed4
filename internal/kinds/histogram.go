package kinds

import "github.com/monogen/monogen/internal/stencil"

// histogramTemplate is the template of the duration histogram that the
// kinds with metrics=true record in (templates/histogram). It has no
// directive of its own: a kind that records durations lists it in Uses and
// calls histogramFor.
const histogramTemplate = "histogram"

// histogramUses are the parts of the histogram template a kind needs
// beyond Observe and AddTo: each is a //monogen:if condition of the
// template.
type histogramUses struct {
	observeN  bool // Recorder.ObserveN
	addCounts bool // Recorder.AddCounts
	add       bool // Recorder.Add
}

// histogramFor stencils the histogram template for the directive of c,
// whose template (of main type main) names the histogram through the
// template-only aliases Histogram and histogram, and the constant and
// function histBuckets and histBucket where it uses them. The generated
// names are those a histogram written in the kind's own template would
// have: <Name>Histogram for the snapshot, <name>Histogram for the
// recorder, <name>HistBuckets and <name>HistBucket.
func histogramFor(c *Context, main string, uses histogramUses) {
	name := c.D.Name
	snapshot := stencil.Rename("Histogram", main, name)
	recorder := stencil.Rename("histogram", main, name)
	buckets := stencil.Rename("histBuckets", main, name)
	bucket := stencil.Rename("histBucket", main, name)
	c.Spec.Rename["Histogram"] = snapshot
	c.Spec.Rename["histogram"] = recorder
	c.Spec.Rename["histBuckets"] = buckets
	c.Spec.Rename["histBucket"] = bucket
	spec := NewSpec(snapshot, "Histogram")
	spec.Rename["Recorder"] = recorder
	spec.Rename["Buckets"] = buckets
	spec.Rename["BucketOf"] = bucket
	spec.Conds["observeN"] = uses.observeN
	spec.Conds["addCounts"] = uses.addCounts
	spec.Conds["add"] = uses.add
	c.Also = append(c.Also, Also{Template: histogramTemplate, Spec: spec})
}
