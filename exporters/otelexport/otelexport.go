// Package otelexport exports the Stats of monogen-generated types as
// OpenTelemetry instruments with callbacks. One line registers a generated
// value:
//
//	reg, err := otelexport.Register(meter, "resizer", resizer)
//
// Each numeric field of Stats becomes an observable instrument named
// monogen.<name>.<field in snake case>: unsigned fields are counters, signed
// ones and states gauges, durations are in seconds (unit "s"). A slice of
// per-stage structs with a Name field gives one data point per stage, with
// the attribute stage=<Name>. Stats is read once per collection, by one
// callback for all of the value's instruments.
//
// A histogram field (a <Name>Histogram of wait or run times) becomes an
// OpenTelemetry histogram monogen.<name>.<field>, unit "s", with the
// type's fixed bucket bounds. The metric API has no asynchronous
// histogram, so histograms reach the SDK through a [Producer] given to
// the reader when it is made, and to Register:
//
//	hist := otelexport.NewProducer()
//	reader := sdkmetric.NewPeriodicReader(exporter, sdkmetric.WithProducer(hist))
//	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
//	reg, err := otelexport.Register(provider.Meter("app"), "resizer", resizer, otelexport.WithProducer(hist))
//
// Without WithProducer, Register leaves the histograms out.
package otelexport

import (
	"context"
	"errors"
	"reflect"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/monogen/monogen/exporters/internal/fields"
)

// Source is what a generated type with Stats satisfies.
type Source[S any] interface {
	Stats() S
}

// Option configures Register.
type Option func(*options)

type options struct {
	producer *Producer
}

// WithProducer makes Register add the histograms of Stats to p, which a
// reader of the SDK collects (sdkmetric.WithProducer).
func WithProducer(p *Producer) Option {
	return func(o *options) { o.producer = p }
}

// Register creates the instruments of src's Stats under name with meter
// and registers the callback that observes them; with WithProducer, it
// adds the histograms of Stats to the producer. Unregister the returned
// registration to stop observing src.
func Register[S any](meter metric.Meter, name string, src Source[S], opts ...Option) (metric.Registration, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	planned, err := fields.Plan(reflect.TypeFor[S]())
	if err != nil {
		return nil, err
	}
	var metrics, hists []*fields.Metric
	for _, m := range planned {
		if m.Kind == fields.Histogram {
			hists = append(hists, m)
		} else {
			metrics = append(metrics, m)
		}
	}
	counters := map[*fields.Metric]metric.Float64ObservableCounter{}
	gauges := map[*fields.Metric]metric.Float64ObservableGauge{}
	var all []metric.Observable
	for _, m := range metrics {
		opts := []metric.InstrumentOption{metric.WithDescription(m.Field + " of " + name + " (monogen Stats)")}
		if m.Seconds {
			opts = append(opts, metric.WithUnit("s"))
		}
		n := "monogen." + name + "." + m.Name
		if m.Kind == fields.Counter {
			c, err := meter.Float64ObservableCounter(n, counterOpts(opts)...)
			if err != nil {
				return nil, err
			}
			counters[m] = c
			all = append(all, c)
		} else {
			g, err := meter.Float64ObservableGauge(n, gaugeOpts(opts)...)
			if err != nil {
				return nil, err
			}
			gauges[m] = g
			all = append(all, g)
		}
	}
	read := func() reflect.Value { return reflect.ValueOf(src.Stats()) }
	if len(metrics) == 0 {
		// Only histograms: nothing for the meter to observe.
		return o.producer.add(name, hists, read), nil
	}
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, s := range fields.Read(metrics, read()) {
			var opts []metric.ObserveOption
			if s.Metric.Label != "" {
				opts = append(opts, metric.WithAttributes(attribute.String(s.Metric.Label, s.Label)))
			}
			if c, ok := counters[s.Metric]; ok {
				o.ObserveFloat64(c, s.Value, opts...)
			} else {
				o.ObserveFloat64(gauges[s.Metric], s.Value, opts...)
			}
		}
		return nil
	}, all...)
	if err != nil || len(hists) == 0 {
		return reg, err
	}
	return both{reg, o.producer.add(name, hists, read)}, nil
}

// both unregisters a callback and a producer's source together.
type both struct {
	metric.Registration
	hist metric.Registration
}

func (b both) Unregister() error {
	return errors.Join(b.Registration.Unregister(), b.hist.Unregister())
}

func counterOpts(opts []metric.InstrumentOption) []metric.Float64ObservableCounterOption {
	out := make([]metric.Float64ObservableCounterOption, len(opts))
	for i, o := range opts {
		out[i] = o
	}
	return out
}

func gaugeOpts(opts []metric.InstrumentOption) []metric.Float64ObservableGaugeOption {
	out := make([]metric.Float64ObservableGaugeOption, len(opts))
	for i, o := range opts {
		out[i] = o
	}
	return out
}
