package service_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/monogen/monogen/examples/service"
)

// get requests path and returns the status.
func get(t *testing.T, srv *httptest.Server, path string) int {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// scrape reads /metrics over HTTP and parses it as Prometheus does.
func scrape(t *testing.T, srv *httptest.Server) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

func value(t *testing.T, families map[string]*dto.MetricFamily, name string, want dto.MetricType) float64 {
	t.Helper()
	f := families[name]
	if f == nil {
		t.Fatalf("no series %s in /metrics", name)
	}
	if f.GetType() != want {
		t.Fatalf("%s is a %s, want a %s", name, f.GetType(), want)
	}
	m := f.GetMetric()[0]
	if want == dto.MetricType_COUNTER {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

// histogram returns the count of the histogram name and checks that its
// buckets are cumulative and start at 1µs.
func histogram(t *testing.T, families map[string]*dto.MetricFamily, name string) uint64 {
	t.Helper()
	f := families[name]
	if f == nil || f.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("%s: %v, want a histogram in /metrics", name, f)
	}
	h := f.GetMetric()[0].GetHistogram()
	b := h.GetBucket()
	if len(b) == 0 || b[0].GetUpperBound() != 1e-6 {
		t.Fatalf("%s: buckets %v, want bounds from 1µs", name, b)
	}
	for i := 1; i < len(b); i++ {
		if b[i].GetCumulativeCount() < b[i-1].GetCumulativeCount() || b[i].GetCumulativeCount() > h.GetSampleCount() {
			t.Fatalf("%s: buckets %v are not cumulative up to the count %d", name, b, h.GetSampleCount())
		}
	}
	return h.GetSampleCount()
}

// TestMetricsAfterLoad starts the service on a real listener, drives
// requests that succeed, fail at the origin and trip its breaker, and hit
// the rate limit, then scrapes /metrics and checks each series against
// what the test did.
func TestMetricsAfterLoad(t *testing.T) {
	s := service.New()
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()

	// Before any load every series is there, the breaker's state too.
	before := scrape(t, srv)
	if got := value(t, before, "monogen_origin_state", dto.MetricType_GAUGE); got != 0 {
		t.Fatalf("breaker state before any call: %v, want 0 (closed)", got)
	}
	value(t, before, "monogen_renderer_submitted_total", dto.MetricType_COUNTER)

	// 10 requests of 10 good images: 100 rendered.
	for i := range 10 {
		if code := get(t, srv, fmt.Sprintf("/thumbs?from=%d&count=10", 10*i)); code != http.StatusOK {
			t.Fatalf("request %d: status %d", i, code)
		}
	}
	// Three requests of one bad image each: three failures trip the
	// breaker; then it rejects three requests of one good image.
	for i := range 3 {
		if code := get(t, srv, fmt.Sprintf("/thumbs?from=%d&count=1", -1-i)); code != http.StatusBadGateway {
			t.Fatalf("bad image: status %d, want 502", code)
		}
	}
	for i := range 3 {
		if code := get(t, srv, fmt.Sprintf("/thumbs?from=%d&count=1", i)); code != http.StatusBadGateway {
			t.Fatalf("good image with the breaker open: status %d, want 502", code)
		}
	}
	m := scrape(t, srv)
	if got := value(t, m, "monogen_renderer_submitted_total", dto.MetricType_COUNTER); got != 106 {
		t.Errorf("renderer submitted %v jobs, want 106", got)
	}
	if got := value(t, m, "monogen_renderer_completed_total", dto.MetricType_COUNTER); got != 100 {
		t.Errorf("renderer completed %v jobs, want 100", got)
	}
	if got := value(t, m, "monogen_renderer_failed_total", dto.MetricType_COUNTER); got != 6 {
		t.Errorf("renderer failed %v jobs, want 6", got)
	}
	if got := value(t, m, "monogen_renderer_in_flight", dto.MetricType_GAUGE); got != 0 {
		t.Errorf("%v jobs in flight after every request returned", got)
	}
	// Every image the renderer ran, good or bad, was timed.
	if got := histogram(t, m, "monogen_renderer_queue_wait_seconds"); got != 106 {
		t.Errorf("renderer queue wait histogram counts %d jobs, want 106", got)
	}
	if got := histogram(t, m, "monogen_renderer_run_time_seconds"); got != 106 {
		t.Errorf("renderer run time histogram counts %d jobs, want 106", got)
	}
	if got := value(t, m, "monogen_renderer_workers", dto.MetricType_GAUGE); got != 4 {
		t.Errorf("renderer workers %v, want 4", got)
	}
	if got := value(t, m, "monogen_origin_state", dto.MetricType_GAUGE); got != 1 {
		t.Errorf("breaker state after three failures: %v, want 1 (open)", got)
	}
	if got := value(t, m, "monogen_origin_transitions_total", dto.MetricType_COUNTER); got != 1 {
		t.Errorf("breaker transitions: %v, want 1", got)
	}
	if got := value(t, m, "monogen_origin_rejected_total", dto.MetricType_COUNTER); got != 3 {
		t.Errorf("breaker rejected %v calls, want 3", got)
	}

	// The rate limit: burst 50, of which 16 are spent; a flood gets 429s.
	// A loaded machine may take a while between the last request and the
	// scrape, in which the bucket refills at 200/s: allow for that.
	limited := 0
	var last time.Time
	for range 200 {
		if get(t, srv, "/thumbs?from=0&count=0") == http.StatusTooManyRequests {
			limited++
		}
		last = time.Now()
	}
	m = scrape(t, srv)
	refill := 200 * time.Since(last).Seconds()
	if limited == 0 {
		t.Fatal("200 requests at once never hit the rate limit of 200/s with burst 50")
	}
	if got := value(t, m, "monogen_api_available", dto.MetricType_GAUGE); got > 5+refill {
		t.Errorf("rate limit available after a flood: %v tokens, want at most 5 + %.1f refilled since", got, refill)
	}
	value(t, m, "monogen_api_delay_seconds", dto.MetricType_GAUGE)
}
