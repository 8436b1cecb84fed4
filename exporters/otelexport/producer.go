package otelexport

import (
	"context"
	"reflect"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/monogen/monogen/exporters/internal/fields"
)

// Producer produces the histograms of the Stats registered with it
// (Register with WithProducer) for a reader of the OpenTelemetry SDK:
// pass it to the reader with sdkmetric.WithProducer. Each histogram is a
// cumulative histogram with the generated type's bucket bounds, read once
// per collection. A Producer is safe for concurrent use.
type Producer struct {
	mu      sync.Mutex
	sources []*source
}

// source is one registered value's histograms.
type source struct {
	name    string
	metrics []*fields.Metric
	read    func() reflect.Value
	start   time.Time
}

// NewProducer returns a producer with no histograms.
func NewProducer() *Producer { return &Producer{} }

// add adds the histograms of a registered value; a nil p leaves them out.
func (p *Producer) add(name string, metrics []*fields.Metric, read func() reflect.Value) metric.Registration {
	if p == nil {
		return noRegistration{}
	}
	s := &source{name: name, metrics: metrics, read: read, start: time.Now()}
	p.mu.Lock()
	p.sources = append(p.sources, s)
	p.mu.Unlock()
	return &sourceRegistration{p: p, s: s}
}

// Produce returns the histograms of every registered value, read now.
func (p *Producer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	p.mu.Lock()
	sources := append([]*source(nil), p.sources...)
	p.mu.Unlock()
	now := time.Now()
	var out []metricdata.Metrics
	for _, s := range sources {
		byMetric := map[*fields.Metric]*metricdata.Histogram[float64]{}
		for _, m := range s.metrics {
			h := &metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality}
			byMetric[m] = h
		}
		for _, sample := range fields.Read(s.metrics, s.read()) {
			h := sample.Hist
			var attrs attribute.Set
			if sample.Metric.Label != "" {
				attrs = attribute.NewSet(attribute.String(sample.Metric.Label, sample.Label))
			}
			data := byMetric[sample.Metric]
			data.DataPoints = append(data.DataPoints, metricdata.HistogramDataPoint[float64]{
				Attributes:   attrs,
				StartTime:    s.start,
				Time:         now,
				Count:        h.Count,
				Bounds:       h.Bounds,
				BucketCounts: h.Counts,
				Sum:          h.Sum,
			})
		}
		for _, m := range s.metrics {
			out = append(out, metricdata.Metrics{
				Name:        "monogen." + s.name + "." + m.Name,
				Description: m.Field + " of " + s.name + " (monogen Stats)",
				Unit:        "s",
				Data:        *byMetric[m],
			})
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return []metricdata.ScopeMetrics{{
		Scope:   instrumentation.Scope{Name: "github.com/monogen/monogen/exporters/otelexport"},
		Metrics: out,
	}}, nil
}

// sourceRegistration removes a source from its producer.
type sourceRegistration struct {
	embedded.Registration
	p *Producer
	s *source
}

func (r *sourceRegistration) Unregister() error {
	r.p.mu.Lock()
	defer r.p.mu.Unlock()
	for i, s := range r.p.sources {
		if s == r.s {
			r.p.sources = append(r.p.sources[:i], r.p.sources[i+1:]...)
			break
		}
	}
	return nil
}

// noRegistration is the registration of histograms left out.
type noRegistration struct{ embedded.Registration }

func (noRegistration) Unregister() error { return nil }
