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
	Counter Kind = iota // only grows: unsigned fields of a predeclared type, and fields tagged metric:"counter"
	Gauge               // goes up and down: signed numbers, durations, named types (states), bools
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
			out = append(out, Sample{Metric: m, Value: number(stats.FieldByIndex(m.index), m.Seconds)})
			continue
		}
		s := stats
		if m.slice != nil {
			s = stats.FieldByIndex(m.slice)
		}
		for i := range s.Len() {
			e := s.Index(i)
			out = append(out, Sample{Metric: m, Value: number(e.FieldByIndex(m.index), m.Seconds), Label: e.FieldByIndex(m.labelAt).String()})
		}
	}
	return out
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
