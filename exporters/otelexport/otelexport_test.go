package otelexport_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/monogen/monogen/exporters/internal/testtypes"
	"github.com/monogen/monogen/exporters/otelexport"
)

// collect reads every instrument once, as a periodic reader would.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

func TestPoolAndPipelineInstruments(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	meter := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test")
	pool := testtypes.NewSquares(nil)
	defer pool.Close()
	pipe := testtypes.NewDigits()
	guard := testtypes.NewGuard()
	for _, reg := range []func() error{
		func() error { _, err := otelexport.Register(meter, "squares", pool); return err },
		func() error { _, err := otelexport.Register(meter, "digits", pipe); return err },
		func() error { _, err := otelexport.Register(meter, "guard", guard); return err },
	} {
		if err := reg(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Map(context.Background(), []int{1, 2, 3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := pipe.RunSlice(context.Background(), []int{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	m := collect(t, reader)

	sum := func(name string) metricdata.Sum[float64] {
		t.Helper()
		s, ok := m[name].Data.(metricdata.Sum[float64])
		if !ok {
			t.Fatalf("%s: %T, want a counter (a monotonic sum)", name, m[name].Data)
		}
		if !s.IsMonotonic {
			t.Fatalf("%s is not monotonic", name)
		}
		return s
	}
	if got := sum("monogen.squares.submitted").DataPoints[0].Value; got != 5 {
		t.Errorf("squares submitted %v, want 5", got)
	}
	if got := sum("monogen.squares.completed").DataPoints[0].Value; got != 5 {
		t.Errorf("squares completed %v, want 5", got)
	}
	if _, ok := m["monogen.squares.in_flight"].Data.(metricdata.Gauge[float64]); !ok {
		t.Errorf("squares in_flight: %T, want a gauge", m["monogen.squares.in_flight"].Data)
	}
	// One data point per stage, with its name.
	in := sum("monogen.digits.stage_in")
	if len(in.DataPoints) != 2 {
		t.Fatalf("digits stage_in has %d points, want one per stage", len(in.DataPoints))
	}
	for _, dp := range in.DataPoints {
		stage, _ := dp.Attributes.Value(attribute.Key("stage"))
		if s := stage.AsString(); (s != "double" && s != "format") || dp.Value != 3 {
			t.Errorf("stage_in point %q = %v, want 3 for double and format", s, dp.Value)
		}
	}
	if busy := m["monogen.digits.stage_busy"]; busy.Unit != "s" {
		t.Errorf("stage_busy unit %q, want s", busy.Unit)
	}
	sum("monogen.digits.stage_busy")
	// The breaker's state is a gauge with a value before any call.
	state, ok := m["monogen.guard.state"].Data.(metricdata.Gauge[float64])
	if !ok || len(state.DataPoints) != 1 || state.DataPoints[0].Value != 0 {
		t.Errorf("guard state before any call: %+v, want a gauge at 0 (closed)", m["monogen.guard.state"].Data)
	}
}

// TestPoolHistogramsThroughProducer registers a pool with a producer given
// to the reader: its QueueWait and RunTime are OpenTelemetry histograms
// whose counts are the jobs run, with the pool's bucket bounds.
func TestPoolHistogramsThroughProducer(t *testing.T) {
	hist := otelexport.NewProducer()
	reader := sdkmetric.NewManualReader(sdkmetric.WithProducer(hist))
	meter := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test")
	pool := testtypes.NewSquares(nil)
	reg, err := otelexport.Register(meter, "squares", pool, otelexport.WithProducer(hist))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		if err := pool.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	pool.Close()
	m := collect(t, reader)
	for _, name := range []string{"monogen.squares.queue_wait", "monogen.squares.run_time"} {
		h, ok := m[name].Data.(metricdata.Histogram[float64])
		if !ok || len(h.DataPoints) != 1 {
			t.Fatalf("%s: %+v, want a histogram with one point", name, m[name].Data)
		}
		if m[name].Unit != "s" || h.Temporality != metricdata.CumulativeTemporality {
			t.Errorf("%s: unit %q, temporality %v; want s, cumulative", name, m[name].Unit, h.Temporality)
		}
		dp := h.DataPoints[0]
		var total uint64
		for _, n := range dp.BucketCounts {
			total += n
		}
		if dp.Count != 7 || total != 7 || len(dp.BucketCounts) != len(dp.Bounds)+1 || dp.Bounds[0] != 1e-6 {
			t.Errorf("%s: count %d, bucket total %d, %d buckets for %d bounds from %v; want 7, 7, one more bucket than bounds, from 1µs",
				name, dp.Count, total, len(dp.BucketCounts), len(dp.Bounds), dp.Bounds[0])
		}
	}
	// Counters still come through the meter.
	if got := m["monogen.squares.completed"].Data.(metricdata.Sum[float64]).DataPoints[0].Value; got != 7 {
		t.Errorf("squares completed %v, want 7", got)
	}
	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	if _, ok := collect(t, reader)["monogen.squares.queue_wait"]; ok {
		t.Error("the histograms are still produced after Unregister")
	}
}
