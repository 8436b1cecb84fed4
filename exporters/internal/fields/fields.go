// Package fields reads the metrics out of a generated type's Stats value:
// which fields are counters and which gauges, their names and units, and
// the labels of per-stage slices. Both exporters use it, so a Stats struct
// is exported the same way to Prometheus and to OpenTelemetry.
package fields

import (
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode"
)

// Kind says how a metric behaves.
type Kind int

const (
	Counter   Kind = iota // only grows: unsigned fields of a predeclared type, and fields tagged metric:"counter"
	Gauge                 // goes up and down: signed numbers, durations, named types (states), bools
	Histogram             // a distribution of durations: a struct of Bounds, Counts, Sum and Count (see IsHistogram)
)

// Metric is one number read from every Stats value.
type Metric struct {
	Name    string // snake case, without the exporter's prefix and unit suffix
	Field   string // the Go field, for help texts
	Kind    Kind
	Seconds bool   // a time.Duration, exported in seconds
	Label   string // the label of a per-element metric ("stage"), or ""
	index   []int  // field path; for a slice element, the path within it
	slice   []int  // for a per-element metric, the slice field's path
	labelAt []int  // for a per-element metric, the element's string field
	// perElement is set for a metric of each element of a slice: at slice,
	// or the Stats value itself when slice is nil.
	perElement bool
}

// Sample is one observation of a Metric.
type Sample struct {
	Metric *Metric
	Value  float64
	Label  string // the label's value for a per-element metric
	// Hist is the value of a Histogram metric (Value is then its sum).
	Hist *Hist
}

// Hist is a histogram read from a Stats value: upper bounds in seconds,
// the count of each bucket (not cumulative; one more than Bounds, for what
// lies above the largest bound), the sum in seconds, and the count.
type Hist struct {
	Bounds []float64
	Counts []uint64
	Sum    float64
	Count  uint64
}

// Cumulative returns the count of observations at or below each bound.
func (h *Hist) Cumulative() []uint64 {
	out := make([]uint64, len(h.Bounds))
	var n uint64
	for i := range h.Bounds {
		n += h.Counts[i]
		out[i] = n
	}
	return out
}

// IsHistogram reports whether t is the histogram struct of generated
// Stats (<Name>Histogram): Bounds, an array of time.Duration; Counts, an
// array of uint64 one longer; Sum, a time.Duration; Count, a uint64.
func IsHistogram(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || t.NumField() != 4 {
		return false
	}
	b, c, s, n := t.Field(0), t.Field(1), t.Field(2), t.Field(3)
	return b.Name == "Bounds" && b.Type.Kind() == reflect.Array && b.Type.Elem() == durationType &&
		c.Name == "Counts" && c.Type.Kind() == reflect.Array && c.Type.Elem().Kind() == reflect.Uint64 &&
		c.Type.Len() == b.Type.Len()+1 &&
		s.Name == "Sum" && s.Type == durationType &&
		n.Name == "Count" && n.Type.Kind() == reflect.Uint64
}

var durationType = reflect.TypeFor[time.Duration]()

// Plan returns the metrics of a Stats type: a struct whose numeric fields
// are metrics. A slice of structs with a string field Name (a pipeline's
// per-stage stats) gives per-element metrics labelled by it; other fields
// (strings, nested structs) are skipped. A field tagged metric:"-" is
// skipped, metric:"counter" or metric:"gauge" overrides the kind its type
// gives.
func Plan(t reflect.Type) ([]*Metric, error) {
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct {
		// A pipeline's Stats: one StageStats per stage.
		ms, err := sliceMetrics(t.Elem(), "stage", nil)
		if err == nil && len(ms) == 0 {
			err = fmt.Errorf("exporters: %s has no numeric field to export", t)
		}
		return ms, err
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("exporters: Stats returns %s, not a struct", t)
	}
	var out []*Metric
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			ms, err := sliceMetrics(f.Type.Elem(), strings.TrimSuffix(snake(f.Name), "s"), f.Index)
			if err != nil {
				return nil, err
			}
			out = append(out, ms...)
			continue
		}
		if m, ok := metricOf(f); ok {
			m.index = f.Index
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("exporters: %s has no numeric field to export", t)
	}
	return out, nil
}

// sliceMetrics returns the per-element metrics of a slice of elem at path
// slice (nil: the Stats value itself), labelled by elem's Name field.
func sliceMetrics(elem reflect.Type, label string, slice []int) ([]*Metric, error) {
	name, ok := elem.FieldByName("Name")
	if !ok || name.Type.Kind() != reflect.String {
		return nil, nil
	}
	var out []*Metric
	for j := range elem.NumField() {
		ef := elem.Field(j)
		m, ok := metricOf(ef)
		if !ok {
			continue
		}
		m.Name = label + "_" + m.Name
		m.Label, m.slice, m.labelAt, m.index = label, slice, name.Index, ef.Index
		m.perElement = true
		out = append(out, m)
	}
	return out, nil
}

func metricOf(f reflect.StructField) (*Metric, bool) {
	tag := f.Tag.Get("metric")
	if tag == "-" || !f.IsExported() {
		return nil, false
	}
	m := &Metric{Name: snake(f.Name), Field: f.Name}
	if IsHistogram(f.Type) {
		m.Kind, m.Seconds = Histogram, true
		return m, true
	}
	switch f.Type.Kind() {
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		m.Kind = Counter
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint8, reflect.Float32, reflect.Float64:
		m.Kind = Gauge
	case reflect.Bool:
		m.Kind = Gauge
	default:
		return nil, false
	}
	m.Seconds = f.Type == durationType
	if f.Type.PkgPath() != "" && !m.Seconds {
		// A named number is a state or a mode (a breaker's State): a gauge.
		m.Kind = Gauge
	}
	switch tag {
	case "counter":
		m.Kind = Counter
	case "gauge":
		m.Kind = Gauge
	}
	return m, true
}

// Read returns the samples of every metric in stats, a value of the type
// the metrics were planned for.
func Read(metrics []*Metric, stats reflect.Value) []Sample {
	var out []Sample
	for _, m := range metrics {
		if !m.perElement {
			out = append(out, sample(m, stats.FieldByIndex(m.index), ""))
			continue
		}
		s := stats
		if m.slice != nil {
			s = stats.FieldByIndex(m.slice)
		}
		for i := range s.Len() {
			e := s.Index(i)
			out = append(out, sample(m, e.FieldByIndex(m.index), e.FieldByIndex(m.labelAt).String()))
		}
	}
	return out
}

func sample(m *Metric, v reflect.Value, label string) Sample {
	if m.Kind != Histogram {
		return Sample{Metric: m, Value: number(v, m.Seconds), Label: label}
	}
	bounds, counts := v.Field(0), v.Field(1)
	h := &Hist{
		Bounds: make([]float64, bounds.Len()),
		Counts: make([]uint64, counts.Len()),
		Sum:    time.Duration(v.Field(2).Int()).Seconds(),
		Count:  v.Field(3).Uint(),
	}
	for i := range h.Bounds {
		h.Bounds[i] = time.Duration(bounds.Index(i).Int()).Seconds()
	}
	for i := range h.Counts {
		h.Counts[i] = counts.Index(i).Uint()
	}
	return Sample{Metric: m, Value: h.Sum, Label: label, Hist: h}
}

func number(v reflect.Value, seconds bool) float64 {
	switch {
	case seconds:
		return time.Duration(v.Int()).Seconds()
	case v.Kind() == reflect.Bool:
		if v.Bool() {
			return 1
		}
		return 0
	case v.CanInt():
		return float64(v.Int())
	case v.CanUint():
		return float64(v.Uint())
	}
	return v.Float()
}

// snake turns a Go field name into snake case: InFlight -> in_flight,
// StoreCalls -> store_calls, HTTPErrors -> http_errors.
func snake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
