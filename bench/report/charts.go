package main

import (
	"cmp"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart kinds, the suffix of their file names: <pattern>-<kind>.svg.
const (
	chartImpl  = "impl"
	chartProcs = keyProcs
	chartSize  = keySize
)

// Chart geometry. A viewer of BENCHMARKS.md shows an SVG at its natural
// size, which is given in points: these keep the 10-point labels readable
// without zooming, and a panel of maxGroups rows about a screen wide.
const (
	barWidth       = 4 * vg.Millimeter // 5 impls side by side are about as wide as a long label
	groupGap       = 4 * vg.Millimeter // between two rows' groups of bars
	minChartWidth  = 6 * vg.Inch
	chartHeight    = 4 * vg.Inch
	maxGroups      = 10          // rows in one panel of the bar chart
	tileWidth      = 4 * vg.Inch // one subplot of a procs or size chart
	tileHeight     = 3 * vg.Inch
	maxTileColumns = 3
	legendPad      = 3 * vg.Millimeter
	// pngDPI renders PNGs at twice the 96 dpi of a screen, for high-density displays.
	pngDPI = 192
)

// logSpread is the ratio of the largest to the smallest value above which
// a time axis becomes logarithmic: beyond it the small bars of a linear
// axis are too short to compare, while on a log axis equal ratios show as
// equal gaps in every group.
const logSpread = 10

// Liberation Sans reads better than the default serif at tick-label size;
// viewers without the Liberation fonts fall back to their own sans-serif.
func init() {
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	plotter.DefaultFont = plot.DefaultFont
}

// A figure is one chart ready to be written in any format.
type figure struct {
	w, h vg.Length
	draw func(draw.Canvas)
}

// WriteCharts writes the charts of p into dir: <slug>-impl.svg always,
// <slug>-procs.svg and <slug>-size.svg when an implementation was measured
// at two values of that dimension or more, and a .png beside each when png
// is set. It returns the file names
// written, SVGs first.
func WriteCharts(dir string, p *Pattern, png bool) ([]string, error) {
	figs := map[string]figure{chartImpl: implFigure(p)}
	kinds := []string{chartImpl}
	for _, key := range []string{keyProcs, keySize} {
		if f, ok := scaleFigure(p, key); ok {
			figs[key] = f
			kinds = append(kinds, key)
		}
	}
	var files []string
	for _, kind := range kinds {
		name := p.Slug() + "-" + kind + ".svg"
		if err := writeFile(filepath.Join(dir, name), figs[kind].svg); err != nil {
			return files, err
		}
		files = append(files, name)
	}
	if png {
		for _, kind := range kinds {
			name := p.Slug() + "-" + kind + ".png"
			if err := writeFile(filepath.Join(dir, name), figs[kind].png); err != nil {
				return files, err
			}
			files = append(files, name)
		}
	}
	return files, nil
}

func (f figure) svg(w io.Writer) error {
	c := vgsvg.New(f.w, f.h)
	f.paint(draw.New(c))
	_, err := c.WriteTo(w)
	return err
}

func (f figure) png(w io.Writer) error {
	c := vgimg.NewWith(vgimg.UseWH(f.w, f.h), vgimg.UseDPI(pngDPI))
	f.paint(draw.New(c))
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// paint draws f on an opaque white background: SVG is transparent by
// default, and black text on a viewer's dark theme cannot be read.
func (f figure) paint(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	f.draw(c)
}

// writeFile writes path through a temporary file and a rename, so an
// interrupted run leaves the previous chart rather than half of a new one.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// implFigure is the grouped bar chart: one group per row, one bar per
// implementation, height the median time/op. Rows beyond maxGroups go to
// further panels below the first, on the same time axis, so that a pattern
// with 30 workloads stays readable instead of 30 inches wide.
//
//	time/op
//	  |  ▆                     legend:
//	  |  █ ▂     ▆             ■ template
//	  |  █ █ ▃   █ ▁ ▁         ■ ants ...
//	     row 1   row 2
func implFigure(p *Pattern) figure {
	var all []float64
	for _, r := range p.Rows {
		for _, impl := range p.Impls {
			if v, ok := medianNs(r, impl); ok {
				all = append(all, v)
			}
		}
	}
	legend := newLegend()
	var panels [][]*plot.Plot
	var width, height vg.Length
	// Panels of even size: 11 rows make 6 + 5, not 10 + 1.
	perPanel := (len(p.Rows) + maxGroups - 1) / maxGroups
	perPanel = (len(p.Rows) + perPanel - 1) / perPanel
	for first := 0; first < len(p.Rows); first += perPanel {
		rows := p.Rows[first:min(first+perPanel, len(p.Rows))]
		plt, w, h := barPanel(p, rows, all, legend)
		if first == 0 {
			plt.Title.Text = p.Name + ": median time/op, lower is better"
		}
		panels = append(panels, []*plot.Plot{plt})
		width, height = max(width, w), height+h
	}
	width += legendWidth(legend, p.Impls)
	return figure{w: width, h: height, draw: func(c draw.Canvas) {
		area, legendArea := splitLegend(c, legend, p.Impls)
		tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadY: vg.Centimeter / 2}
		canvases := plot.Align(panels, tiles, area)
		for i, row := range panels {
			row[0].Draw(canvases[i][0])
		}
		legend.Draw(legendArea)
	}}
}

// barPanel draws rows as groups of bars, one per implementation, on a time
// axis fitted to all, and returns the size the panel needs.
func barPanel(p *Pattern, rows []*Row, all []float64, legend *legendBox) (*plot.Plot, vg.Length, vg.Length) {
	plt := plot.New()
	plt.Y.Label.Text = "time/op"
	labels := make([]string, len(rows))
	for i, r := range rows {
		labels[i] = strings.ReplaceAll(r.Label(), "/", "\n")
	}
	plt.NominalX(labels...)
	// NominalX pads the y axis by half the first label, as if labels were
	// centred on bars; groups are narrower than that only with one impl.
	plt.Y.Padding = groupGap

	groupWidth := vg.Length(len(p.Impls)) * barWidth
	for j, impl := range p.Impls {
		vals := make(plotter.Values, len(rows))
		for i, r := range rows {
			// A missing bar is drawn with zero height: on a log axis the
			// floor (see floorLog) swallows it, on a linear one it is flat.
			vals[i], _ = medianNs(r, impl)
		}
		bars, err := plotter.NewBarChart(vals, barWidth)
		if err != nil {
			panic(err) // only for a non-positive width
		}
		bars.Color = plotutil.Color(j)
		bars.LineStyle.Width = 0
		bars.Offset = vg.Length(j)*barWidth - groupWidth/2 + barWidth/2
		plt.Add(bars)
		legend.AddOnce(impl, bars)
	}
	timeAxis(plt, all)

	labelWidth, tallest := vg.Length(0), ""
	for _, l := range labels {
		labelWidth = max(labelWidth, plt.X.Tick.Label.Width(l))
		if strings.Count(l, "\n") >= strings.Count(tallest, "\n") {
			tallest = l
		}
	}
	slot := max(groupWidth, labelWidth) + groupGap
	w := max(minChartWidth, vg.Length(len(rows))*slot+vg.Inch)
	h := chartHeight + plt.X.Tick.Label.Height(tallest)
	return plt, w, h
}

// scaleFigure charts time/op against the numeric dimension key: one line
// per implementation, one subplot per combination of the other dimensions.
// It reports false when no row has key with a numeric value, or no
// implementation was measured at two values of it.
func scaleFigure(p *Pattern, key string) (figure, bool) {
	type group struct {
		name  string
		lines map[string]plotter.XYs // impl -> points
	}
	var groups []*group
	byName := map[string]*group{}
	for _, r := range p.Rows {
		x, ok := numericDim(r, key)
		if !ok {
			continue
		}
		var rest []string
		for _, d := range r.Dims {
			if d.Key != key {
				rest = append(rest, d.String())
			}
		}
		name := strings.Join(rest, " ")
		g := byName[name]
		if g == nil {
			g = &group{name: name, lines: map[string]plotter.XYs{}}
			byName[name] = g
			groups = append(groups, g)
		}
		for _, impl := range p.Impls {
			if y, ok := medianNs(r, impl); ok {
				g.lines[impl] = append(g.lines[impl], plotter.XY{X: x, Y: y})
			}
		}
	}
	// A line needs two points: a group measured at one value of key says
	// nothing about how time grows with it.
	groups = slices.DeleteFunc(groups, func(g *group) bool {
		for _, pts := range g.lines {
			if len(pts) > 1 {
				return false
			}
		}
		return true
	})
	if len(groups) == 0 {
		return figure{}, false
	}
	var xs []float64
	for _, g := range groups {
		for _, pts := range g.lines {
			for _, pt := range pts {
				xs = append(xs, pt.X)
			}
		}
	}
	slices.Sort(xs)
	xs = slices.Compact(xs)
	logX := xs[0] > 0 && (key == keySize || xs[len(xs)-1]/xs[0] >= 8)

	cols := min(len(groups), maxTileColumns)
	rows := (len(groups) + cols - 1) / cols
	plots := make([][]*plot.Plot, rows)
	for i := range plots {
		plots[i] = make([]*plot.Plot, cols)
	}
	legend := newLegend()
	for gi, g := range groups {
		plt := plot.New()
		plt.Title.Text = p.Name + ": time/op against " + key
		if g.name != "" {
			plt.Title.Text = p.Name + ", " + g.name
		}
		plt.X.Label.Text = key
		plt.Y.Label.Text = "time/op"
		var all []float64
		for j, impl := range p.Impls {
			pts := g.lines[impl]
			if len(pts) == 0 {
				continue
			}
			slices.SortFunc(pts, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				panic(err) // only for NaN or infinite values, which medianNs never returns
			}
			line.Color = plotutil.Color(j)
			line.Dashes = plotutil.Dashes(j)
			line.Width = vg.Points(1.5)
			points.Color = plotutil.Color(j)
			points.Shape = plotutil.Shape(j)
			plt.Add(line, points)
			legend.AddOnce(impl, line, points)
			for _, pt := range pts {
				all = append(all, pt.Y)
			}
		}
		xAxis(plt, xs, logX)
		timeAxis(plt, all)
		plots[gi/cols][gi%cols] = plt
	}
	w := tileWidth*vg.Length(cols) + legendWidth(legend, p.Impls)
	h := tileHeight * vg.Length(rows)
	return figure{w: w, h: h, draw: func(c draw.Canvas) {
		area, legendArea := splitLegend(c, legend, p.Impls)
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Centimeter, PadY: vg.Centimeter, PadTop: legendPad, PadBottom: legendPad}
		canvases := plot.Align(plots, tiles, area)
		for i, row := range plots {
			for j, plt := range row {
				if plt != nil {
					plt.Draw(canvases[i][j])
				}
			}
		}
		legend.Draw(legendArea)
	}}, true
}

// legendBox is a plot.Legend that remembers its entries, so that the impls
// of a multi-plot figure are listed once.
type legendBox struct {
	plot.Legend
	entriesNames []string
}

func newLegend() *legendBox {
	l := &legendBox{Legend: plot.NewLegend()}
	l.Top, l.Left = true, true
	l.Padding = vg.Points(2)
	return l
}

func (l *legendBox) Add(name string, thumbs ...plot.Thumbnailer) {
	l.Legend.Add(name, thumbs...)
	l.entriesNames = append(l.entriesNames, name)
}

func (l *legendBox) AddOnce(name string, thumbs ...plot.Thumbnailer) {
	if !slices.Contains(l.entriesNames, name) {
		l.Add(name, thumbs...)
	}
}

// legendWidth is the width of the strip right of the plots that holds the
// legend: it sits outside the data area so it never hides a bar or a point.
func legendWidth(l *legendBox, names []string) vg.Length {
	w := vg.Length(0)
	for _, n := range names {
		w = max(w, l.TextStyle.Width(n))
	}
	return w + l.ThumbnailWidth + 3*legendPad
}

// splitLegend cuts the legend strip off the right of c.
func splitLegend(c draw.Canvas, l *legendBox, names []string) (plots, legend draw.Canvas) {
	lw := legendWidth(l, names)
	plots = draw.Crop(c, 0, -lw, 0, 0)
	legend = draw.Crop(c, c.Max.X-c.Min.X-lw+legendPad, -legendPad, 0, -legendPad)
	return plots, legend
}

// xAxis sets a scale axis with a tick at every measured value, which is
// what a reader looks for (procs=4, size=1024), rather than round numbers
// that were never run.
func xAxis(plt *plot.Plot, xs []float64, logX bool) {
	ticks := make([]plot.Tick, len(xs))
	for i, x := range xs {
		ticks[i] = plot.Tick{Value: x, Label: formatCount(x)}
	}
	plt.X.Tick.Marker = plot.ConstantTicks(ticks)
	if logX {
		plt.X.Scale = plot.LogScale{}
	}
	plt.X.Min, plt.X.Max = xs[0], xs[len(xs)-1]
	if plt.X.Min == plt.X.Max { // one measured value: give it room
		plt.X.Min, plt.X.Max = plt.X.Min/2, plt.X.Max*2
		if !logX && plt.X.Min == 0 {
			plt.X.Min, plt.X.Max = -1, 1
		}
	}
}

// timeAxis sets the y axis for time/op values in nanoseconds: linear from
// zero, or logarithmic when they spread over more than logSpread.
func timeAxis(plt *plot.Plot, vals []float64) {
	lo, hi := math.Inf(1), 0.0
	for _, v := range vals {
		if v > 0 {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if hi == 0 { // nothing measured: an empty but valid axis
		lo, hi = 1, 10
	}
	if hi/lo <= logSpread {
		plt.Y.Min, plt.Y.Max = 0, hi*1.05
		plt.Y.Tick.Marker = durationTicks{plot.DefaultTicks{}}
		return
	}
	floor := math.Pow(10, math.Floor(math.Log10(lo)))
	plt.Y.Scale = floorLog{floor: floor}
	plt.Y.Min, plt.Y.Max = floor, math.Pow(10, math.Ceil(math.Log10(hi)))
	plt.Y.Tick.Marker = durationTicks{plot.LogTicks{Prec: -1}}
}

// floorLog is a logarithmic scale that maps everything at or below floor to
// the bottom of the axis. plot.LogScale panics on zero, and a bar chart's
// bars start at zero: with floorLog they start at the bottom of the axis.
type floorLog struct {
	floor float64
}

func (f floorLog) Normalize(lo, hi, x float64) float64 {
	lo, hi, x = max(lo, f.floor), max(hi, f.floor), max(x, f.floor)
	return plot.LogScale{}.Normalize(lo, hi, x)
}

// durationTicks labels the ticks of another Ticker as durations, since the
// values are nanoseconds: "250ns", "1.5µs", "2ms" instead of "1.5e+03".
type durationTicks struct {
	plot.Ticker
}

func (d durationTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := d.Ticker.Ticks(lo, hi)
	for i := range ticks {
		if !ticks[i].IsMinor() {
			ticks[i].Label = formatNs(ticks[i].Value)
		}
	}
	return ticks
}

// formatNs formats a time in nanoseconds with the largest unit that keeps
// it at or above 1, as time.Duration does, but without rounding to whole
// nanoseconds: sub-nanosecond operations are common here.
func formatNs(ns float64) string {
	units := []struct {
		name  string
		scale float64
	}{{"s", 1e9}, {"ms", 1e6}, {"µs", 1e3}, {"ns", 1}}
	if ns == 0 {
		return "0"
	}
	for _, u := range units {
		if math.Abs(ns) >= u.scale {
			return strconv.FormatFloat(ns/u.scale, 'g', 3, 64) + u.name
		}
	}
	return strconv.FormatFloat(ns, 'g', 3, 64) + "ns"
}

// formatCount writes a measured size or count as its benchmark name would,
// compactly: 1024 -> 1Ki, 1000000 -> 1M, 48 -> 48.
func formatCount(x float64) string {
	if x != math.Trunc(x) || x < 1000 {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	n := int64(x)
	for _, u := range []struct {
		name string
		div  int64
	}{{"Gi", 1 << 30}, {"G", 1e9}, {"Mi", 1 << 20}, {"M", 1e6}, {"Ki", 1 << 10}, {"k", 1e3}} {
		if n%u.div == 0 {
			return strconv.FormatInt(n/u.div, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// medianNs returns the median time/op of impl in r, in nanoseconds.
func medianNs(r *Row, impl string) (float64, bool) {
	s := r.Samples(impl, unitTime)
	if len(s) == 0 {
		return 0, false
	}
	return median(s) * 1e9, true
}

// median returns the median of s without reordering it.
func median(s []float64) float64 {
	c := slices.Clone(s)
	slices.Sort(c)
	n := len(c)
	if n%2 == 1 {
		return c[n/2]
	}
	return (c[n/2-1] + c[n/2]) / 2
}
