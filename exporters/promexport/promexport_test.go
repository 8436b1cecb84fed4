package promexport_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/monogen/monogen/exporters/internal/testtypes"
	"github.com/monogen/monogen/exporters/promexport"
)

// TestPoolHistograms registers a pool that ran 7 jobs: its QueueWait and
// RunTime are Prometheus histograms named _seconds, with cumulative
// buckets from 1µs and a count of 7.
func TestPoolHistograms(t *testing.T) {
	reg := prometheus.NewRegistry()
	pool := testtypes.NewSquares(nil)
	promexport.MustRegister(reg, "squares", pool)
	for i := range 7 {
		if err := pool.Submit(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	pool.Close()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range families {
		byName[f.GetName()] = f
	}
	for _, name := range []string{"monogen_squares_queue_wait_seconds", "monogen_squares_run_time_seconds"} {
		f := byName[name]
		if f == nil || f.GetType() != dto.MetricType_HISTOGRAM {
			t.Fatalf("%s: %v, want a histogram", name, f)
		}
		h := f.GetMetric()[0].GetHistogram()
		if h.GetSampleCount() != 7 {
			t.Errorf("%s count %d, want 7", name, h.GetSampleCount())
		}
		buckets := h.GetBucket()
		if len(buckets) == 0 || buckets[0].GetUpperBound() != 1e-6 {
			t.Fatalf("%s buckets %v, want bounds from 1µs", name, buckets)
		}
		for i := 1; i < len(buckets); i++ {
			if buckets[i].GetCumulativeCount() < buckets[i-1].GetCumulativeCount() {
				t.Errorf("%s buckets are not cumulative: %v", name, buckets)
			}
		}
		if last := buckets[len(buckets)-1].GetCumulativeCount(); last > 7 {
			t.Errorf("%s: %d at or below the largest bound, more than the 7 jobs", name, last)
		}
	}
	for _, name := range []string{"monogen_squares_workers", "monogen_squares_busy", "monogen_squares_idle"} {
		if f := byName[name]; f == nil || f.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s: %v, want a gauge", name, f)
		}
	}
}

// TestWaitHistograms registers a resource pool one of whose Gets waited
// (its context ended) and a rate limiter one of whose Waits waited for a
// token: each WaitTime is a Prometheus histogram named _seconds, with a
// count of 1.
func TestWaitHistograms(t *testing.T) {
	reg := prometheus.NewRegistry()
	conns, paced := testtypes.NewConns(), testtypes.NewPaced()
	defer conns.Close()
	promexport.MustRegister(reg, "conns", conns)
	promexport.MustRegister(reg, "paced", paced)
	if _, err := conns.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := conns.Get(canceled); err == nil {
		t.Fatal("Get at max with a canceled context succeeded")
	}
	for range 2 { // the second waits for the next token
		if err := paced.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range families {
		byName[f.GetName()] = f
	}
	for _, name := range []string{"monogen_conns_wait_time_seconds", "monogen_paced_wait_time_seconds"} {
		f := byName[name]
		if f == nil || f.GetType() != dto.MetricType_HISTOGRAM {
			t.Fatalf("%s: %v, want a histogram", name, f)
		}
		if h := f.GetMetric()[0].GetHistogram(); h.GetSampleCount() != 1 || len(h.GetBucket()) == 0 || h.GetBucket()[0].GetUpperBound() != 1e-6 {
			t.Errorf("%s: count %d, buckets %v; want 1, bounds from 1µs", name, h.GetSampleCount(), h.GetBucket())
		}
	}
}

// TestStageLatencyHistograms registers a pipeline of two stages that took
// 5 items through: its per-stage Latency is one Prometheus histogram per
// stage, labelled stage, each with a count of 5.
func TestStageLatencyHistograms(t *testing.T) {
	reg := prometheus.NewRegistry()
	pipe := testtypes.NewDigits()
	promexport.MustRegister(reg, "digits", pipe)
	if _, err := pipe.RunSlice(context.Background(), []int{1, 2, 3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "monogen_digits_stage_latency_seconds" {
			continue
		}
		if f.GetType() != dto.MetricType_HISTOGRAM || len(f.GetMetric()) != 2 {
			t.Fatalf("%s: %v, want a histogram per stage", f.GetName(), f)
		}
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != 1 || m.GetLabel()[0].GetName() != "stage" || m.GetHistogram().GetSampleCount() != 5 {
				t.Errorf("%s: labels %v, count %d; want a stage label and 5", f.GetName(), m.GetLabel(), m.GetHistogram().GetSampleCount())
			}
		}
		return
	}
	t.Fatal("no monogen_digits_stage_latency_seconds")
}
