package main

import (
	"fmt"
	"math"
	"strings"

	"golang.org/x/perf/benchmath"
)

// A Comparison measures a row's subject (generated, else template) against
// one other implementation, on time per operation.
type Comparison struct {
	Other string
	// Speedup is the other implementation's median time divided by the
	// subject's: above 1 the subject is faster, below 1 slower.
	Speedup float64
	// P is the p-value of the Mann-Whitney U test benchstat uses, and
	// Significant whether it is below the alpha the verdicts were computed
	// with. With 3 runs on each side P cannot go below 0.1: every
	// difference is reported as not significant, and the ratio is a hint.
	P           float64
	Significant bool
}

// A Verdict is the one-line summary of a row: its subject against each
// other implementation measured on that row.
type Verdict struct {
	Row         *Row
	Subject     string // "" when the row has neither generated nor template
	Comparisons []Comparison
}

// Verdicts compares, row by row, the subject of the row with every other
// implementation of the pattern, in the pattern's implementation order.
// alpha is the significance level, 0.05 in benchstat.
func Verdicts(p *Pattern, alpha float64) []Verdict {
	thresholds := benchmath.DefaultThresholds
	thresholds.CompareAlpha = alpha
	vs := make([]Verdict, 0, len(p.Rows))
	for _, r := range p.Rows {
		v := Verdict{Row: r, Subject: r.Subject()}
		if v.Subject == "" {
			vs = append(vs, v)
			continue
		}
		subj := benchmath.NewSample(r.Samples(v.Subject, unitTime), &thresholds)
		subjMedian := benchmath.AssumeNothing.Summary(subj, 0.95).Center
		for _, other := range p.Impls {
			vals := r.Samples(other, unitTime)
			if other == v.Subject || len(vals) == 0 {
				continue
			}
			o := benchmath.NewSample(vals, &thresholds)
			cmp := benchmath.AssumeNothing.Compare(subj, o)
			v.Comparisons = append(v.Comparisons, Comparison{
				Other:       other,
				Speedup:     benchmath.AssumeNothing.Summary(o, 0.95).Center / subjMedian,
				P:           cmp.P,
				Significant: cmp.P < cmp.Alpha,
			})
		}
		vs = append(vs, v)
	}
	return vs
}

// String renders v as one line of Markdown, without the list marker:
//
//	`job=tiny`: generated is 2.3x faster than xsync, 1.1x slower than template (~)
func (v Verdict) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "`%s`: ", v.Row.Label())
	switch {
	case v.Subject == "":
		b.WriteString("no generated or template result to compare")
	case len(v.Comparisons) == 0:
		fmt.Fprintf(&b, "only %s was measured", v.Subject)
	default:
		b.WriteString(v.Subject + " is ")
		for i, c := range v.Comparisons {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.String())
		}
	}
	return b.String()
}

// String renders c as "2.3x faster than xsync", with " (~)" appended when
// the difference is not statistically significant.
func (c Comparison) String() string {
	s := ratioPhrase(c.Speedup) + " " + c.Other
	if !c.Significant {
		s += " (~)"
	}
	return s
}

// ratioPhrase turns a speedup into words: "2.3x faster than", "1.04x slower
// than", "as fast as". Small ratios keep two decimals so that 1.04 does not
// print as a meaningless "1.0x".
func ratioPhrase(speedup float64) string {
	switch {
	case math.IsNaN(speedup) || math.IsInf(speedup, 0) || speedup <= 0:
		return "not comparable with"
	}
	word, f := "faster than", speedup
	if speedup < 1 {
		word, f = "slower than", 1/speedup
	}
	var num string
	switch {
	case f < 1.095:
		num = fmt.Sprintf("%.2f", f)
	case f < 9.95:
		num = fmt.Sprintf("%.1f", f)
	default:
		num = fmt.Sprintf("%.0f", f)
	}
	if num == "1.00" {
		return "as fast as"
	}
	return num + "x " + word
}
