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
package otelexport

import (
	"context"
	"reflect"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/monogen/monogen/exporters/internal/fields"
)

// Source is what a generated type with Stats satisfies.
type Source[S any] interface {
	Stats() S
}

// Register creates the instruments of src's Stats under name with meter
// and registers the callback that observes them. Unregister the returned
// registration to stop observing src.
func Register[S any](meter metric.Meter, name string, src Source[S]) (metric.Registration, error) {
	metrics, err := fields.Plan(reflect.TypeFor[S]())
	if err != nil {
		return nil, err
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
	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, s := range fields.Read(metrics, reflect.ValueOf(src.Stats())) {
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
