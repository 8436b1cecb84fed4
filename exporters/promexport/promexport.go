// Package promexport exports the Stats of monogen-generated types to
// Prometheus. A generated type with metrics=true (and a rate limiter or a
// breaker, whose Stats are always there) has a method Stats() returning a
// struct of plain numbers; one line registers it:
//
//	promexport.MustRegister(prometheus.DefaultRegisterer, "resizer", resizer)
//
// Each numeric field becomes a metric named monogen_<name>_<field in snake
// case>: unsigned fields are counters (suffix _total), signed ones and
// states gauges, durations are in seconds (suffix _seconds). A histogram
// field (a <Name>Histogram of wait or run times) becomes a Prometheus
// histogram monogen_<name>_<field>_seconds, with cumulative buckets
// (_bucket{le="..."}), _sum and _count. A slice of per-stage structs with a
// Name field (a pipeline's Stages) gives one series per stage, labelled
// stage="<Name>". Stats is called once per scrape.
package promexport

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/monogen/monogen/exporters/internal/fields"
)

// Source is what a generated type with Stats satisfies.
type Source[S any] interface {
	Stats() S
}

// Collector is a prometheus.Collector of one generated value's Stats.
type Collector[S any] struct {
	src     Source[S]
	metrics []*fields.Metric
	descs   map[*fields.Metric]*prometheus.Desc
}

// NewCollector returns a collector of src's Stats under name, which must be
// a valid metric name part (letters, digits and underscores).
func NewCollector[S any](name string, src Source[S]) (*Collector[S], error) {
	metrics, err := fields.Plan(reflect.TypeFor[S]())
	if err != nil {
		return nil, err
	}
	c := &Collector[S]{src: src, metrics: metrics, descs: map[*fields.Metric]*prometheus.Desc{}}
	for _, m := range metrics {
		var labels []string
		if m.Label != "" {
			labels = []string{m.Label}
		}
		c.descs[m] = prometheus.NewDesc(metricName(name, m), help(name, m), labels, nil)
	}
	return c, nil
}

func metricName(name string, m *fields.Metric) string {
	n := "monogen_" + name + "_" + m.Name
	if m.Seconds && !strings.HasSuffix(n, "_seconds") {
		n += "_seconds"
	}
	if m.Kind == fields.Counter {
		n += "_total"
	}
	return n
}

func help(name string, m *fields.Metric) string {
	if m.Label != "" {
		return fmt.Sprintf("%s of each %s of %s (monogen Stats)", m.Field, m.Label, name)
	}
	return fmt.Sprintf("%s of %s (monogen Stats)", m.Field, name)
}

// Describe sends the descriptor of every metric.
func (c *Collector[S]) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- c.descs[m]
	}
}

// Collect reads Stats once and sends every metric.
func (c *Collector[S]) Collect(ch chan<- prometheus.Metric) {
	stats := c.src.Stats()
	for _, s := range fields.Read(c.metrics, reflect.ValueOf(stats)) {
		var labels []string
		if s.Metric.Label != "" {
			labels = []string{s.Label}
		}
		if h := s.Hist; h != nil {
			buckets := make(map[float64]uint64, len(h.Bounds))
			for i, n := range h.Cumulative() {
				buckets[h.Bounds[i]] = n
			}
			ch <- prometheus.MustNewConstHistogram(c.descs[s.Metric], h.Count, h.Sum, buckets, labels...)
			continue
		}
		typ := prometheus.GaugeValue
		if s.Metric.Kind == fields.Counter {
			typ = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(c.descs[s.Metric], typ, s.Value, labels...)
	}
}

// Register registers a collector of src's Stats under name with reg.
func Register[S any](reg prometheus.Registerer, name string, src Source[S]) error {
	c, err := NewCollector(name, src)
	if err != nil {
		return err
	}
	return reg.Register(c)
}

// MustRegister is Register that panics on error.
func MustRegister[S any](reg prometheus.Registerer, name string, src Source[S]) {
	if err := Register(reg, name, src); err != nil {
		panic(err)
	}
}
