// Package service is a small HTTP service built on generated types: a rate
// limiter in front, a worker pool that renders thumbnails, and a breaker
// around the origin the pool calls. Their Stats are exported to Prometheus
// at /metrics with promexport, one line per type.
package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/monogen/monogen/exporters/promexport"
)

//monogen:ratelimit API algo=token rate=200/s burst=50
//monogen:breaker Origin[int, string] fn=render failures=3 cooldown=1h
//monogen:pool Renderer[int, string] workers=4 breaker=Origin metrics=true

// errBadImage is what the origin answers for a negative image id.
var errBadImage = errors.New("origin: no such image")

// render is the origin: it fails for negative ids.
func render(_ context.Context, id int) (string, error) {
	if id < 0 {
		return "", errBadImage
	}
	return fmt.Sprintf("thumb-%d", id), nil
}

// Service serves /thumbs?from=N&count=K and /metrics.
type Service struct {
	api      *API
	origin   *Origin
	renderer *Renderer
	mux      *http.ServeMux
}

// New returns a service whose metrics are registered with a registry of
// its own.
func New() *Service {
	s := &Service{api: NewAPI(), origin: NewOrigin(), mux: http.NewServeMux()}
	s.renderer = NewRenderer(nil, s.origin)
	reg := prometheus.NewRegistry()
	promexport.MustRegister(reg, "api", s.api)
	promexport.MustRegister(reg, "origin", s.origin)
	promexport.MustRegister(reg, "renderer", s.renderer)
	s.mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("/thumbs", s.thumbs)
	return s
}

// ServeHTTP serves the service's routes.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops the renderer's workers.
func (s *Service) Close() { s.renderer.Close() }

func (s *Service) thumbs(w http.ResponseWriter, r *http.Request) {
	if !s.api.Allow() {
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	}
	from, err1 := strconv.Atoi(r.URL.Query().Get("from"))
	count, err2 := strconv.Atoi(r.URL.Query().Get("count"))
	if err1 != nil || err2 != nil || count < 0 || count > 1000 {
		http.Error(w, "want from=N&count=K, K at most 1000", http.StatusBadRequest)
		return
	}
	ids := make([]int, count)
	for i := range ids {
		ids[i] = from + i
	}
	thumbs, err := s.renderer.Map(r.Context(), ids)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for _, t := range thumbs {
		fmt.Fprintln(w, t)
	}
}
