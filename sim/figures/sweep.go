package figures

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lrpsim/lrpsim/traces/data"
)

// SweepOptions choose what a sweep figure draws.
type SweepOptions struct {
	// X is the column of the swept parameter (e.g. "front_end.lanes"); Y the metric column
	// (e.g. "speedup_dense"). Both are required.
	X, Y string
	// Group lists the columns whose values make one line each. Nil means the trace column (when
	// the CSV has one) and each of Keys that the x column does not determine; empty means one line.
	Group []string
	// Keys are the swept config keys (the "keys" of the manifest lrpsim sweep writes), used only
	// when Group is nil. A key that takes one value per value of x (zipped with x) makes no lines
	// of its own.
	Keys []string
	// LogX draws the x axis on a log scale (numeric x only, all values positive).
	LogX bool
	// Title, XLabel and YLabel replace the generated texts when not empty.
	Title, XLabel, YLabel string
}

// metricLabel is the axis label, with its unit, of a metric column of `lrpsim sweep`; other
// columns keep their name.
func metricLabel(col string) string {
	switch col {
	case "cycles":
		return "cycles"
	case "speedup_dense":
		return "speedup over dense (x)"
	case "energy_pj":
		return "energy (µJ)"
	case "energy_reduction_dense":
		return "energy reduction over dense (x)"
	case "pruning_rate":
		return "pruning rate (fraction of pairs)"
	case "mean_steps_per_key":
		return "mean lane steps per key"
	}
	for _, base := range []string{"speedup", "energy_reduction", "edp_reduction"} {
		if rest, ok := strings.CutPrefix(col, base+"_"); ok {
			return strings.ReplaceAll(base, "_", " ") + " over " + rest + " (x)"
		}
	}
	return col
}

// Sweep draws column Y against column X of a sweep, one line (with points) per value of the
// group columns. Numeric x values are drawn on a numeric axis with a tick at every swept value
// (when there are at most 12); otherwise x is nominal, in order of first appearance. Two rows of
// the same group at the same x are an error that names the group columns to add.
func Sweep(sd *SweepData, opt SweepOptions) (Figure, error) {
	if opt.X == "" || opt.Y == "" {
		return Figure{}, errors.New("sweep: the x column and the y column are required")
	}
	xi, err := sd.Column(opt.X)
	if err != nil {
		return Figure{}, err
	}
	yi, err := sd.Column(opt.Y)
	if err != nil {
		return Figure{}, err
	}
	group := opt.Group
	if group == nil {
		group = sd.defaultGroup(xi, opt.Keys)
	}
	g, err := sd.groupColumns(group)
	if err != nil {
		return Figure{}, err
	}
	ax, err := sd.xAxis(xi, opt)
	if err != nil {
		return Figure{}, err
	}
	lines, err := sd.lines(ax.xs, xi, yi, g, opt)
	if err != nil {
		return Figure{}, err
	}

	xlabel, ylabel := opt.XLabel, opt.YLabel
	if xlabel == "" {
		xlabel = opt.X
	}
	if ylabel == "" {
		ylabel = metricLabel(opt.Y)
	}
	p := newPlot(sd.title(opt), xlabel, ylabel)
	leg := newLegend()
	ymin, ymax, err := drawLines(p, leg, lines)
	if err != nil {
		return Figure{}, fmt.Errorf("%s: %w", sd.Name, err)
	}
	ymin, ymax = addUnity(p, leg, opt.Y, ymin, ymax)
	setYRange(p, ymin, ymax)
	ax.set(p, opt)
	// The figure grows to hold a long legend.
	width := 7.5 * vg.Inch
	height := max(4.2*vg.Inch, vg.Length(vg.Length(len(lines)+1)*vg.Points(16))+vg.Inch)
	return Figure{Plot: p, Legend: leg, Width: width, Height: height, thinX: ax.numeric}, nil
}

// title is the figure's title: opt.Title, or the metric against x, with the trace's name when
// the sweep has one trace.
func (s *SweepData) title(opt SweepOptions) string {
	if opt.Title != "" {
		return opt.Title
	}
	title := fmt.Sprintf("%s against %s", metricLabelShort(opt.Y), opt.X)
	if c := slices.Index(s.Header, "trace"); c >= 0 && s.distinct(c) == 1 {
		title += "\n" + filepath.Base(strings.TrimPrefix(s.Records[0][c], data.BundledPrefix))
	}
	return title
}

// drawLines adds each line, sorted by x, with its points and legend entry, and returns the
// smallest and largest y drawn.
func drawLines(p *plot.Plot, leg *plot.Legend, lines []*sweepLine) (ymin, ymax float64, err error) {
	ymin, ymax = math.Inf(1), math.Inf(-1)
	for li, l := range lines {
		slices.SortStableFunc(l.xys, func(a, b plotter.XY) int {
			switch {
			case a.X < b.X:
				return -1
			case a.X > b.X:
				return 1
			}
			return 0
		})
		ln, pts, err := plotter.NewLinePoints(l.xys)
		if err != nil {
			return 0, 0, err
		}
		c := colorAt(li)
		ln.Color, ln.Width = c, vg.Points(1.5)
		ln.Dashes = dashes(li / len(palette()))
		pts.Color = c
		pts.Shape = glyphAt(li)
		pts.Radius = vg.Points(3)
		p.Add(ln, pts)
		if l.label != "" {
			leg.Add(l.label, ln, pts)
		}
		for _, xy := range l.xys {
			ymin, ymax = math.Min(ymin, xy.Y), math.Max(ymax, xy.Y)
		}
	}
	return ymin, ymax, nil
}

// addUnity draws the 1x line of a ratio metric where it is near the data, and returns the y
// range that holds it.
func addUnity(p *plot.Plot, leg *plot.Legend, y string, ymin, ymax float64) (float64, float64) {
	ratio := strings.HasPrefix(y, "speedup") || strings.HasPrefix(y, "energy_reduction") || strings.HasPrefix(y, "edp_reduction")
	if span := ymax - ymin; ratio && 1 >= ymin-float64(0.5*span) && 1 <= ymax+float64(0.5*span) {
		one := unityLine()
		p.Add(one)
		leg.Add("1x (no gain)", one)
		ymin = math.Min(ymin, 1)
		ymax = math.Max(ymax, 1)
	}
	return ymin, ymax
}

// setYRange pads the y range, keeps a non-negative range from going below 0, and picks the
// tick style.
func setYRange(p *plot.Plot, ymin, ymax float64) {
	pad := 0.08 * (ymax - ymin)
	if pad == 0 {
		pad = math.Max(0.05*math.Abs(ymax), 0.5)
	}
	p.Y.Min, p.Y.Max = ymin-pad, ymax+pad
	if ymin >= 0 && ymin-pad < 0 {
		p.Y.Min = 0
	}
	p.Y.Tick.Marker = niceTicks{compact: math.Max(math.Abs(ymin), math.Abs(ymax)) >= 1e5}
}

// set draws the x axis: nominal categories, or a numeric (optionally log) axis with a tick at
// every swept value when there are at most 12, and a margin on both sides.
func (ax sweepX) set(p *plot.Plot, opt SweepOptions) {
	if !ax.numeric {
		p.NominalX(ax.cats...)
		p.X.Min, p.X.Max = -0.3, float64(len(ax.cats))-0.7
		return
	}
	if opt.LogX {
		p.X.Scale = plot.LogScale{}
	}
	var uniq []float64
	for _, x := range ax.xs {
		if !slices.Contains(uniq, x) {
			uniq = append(uniq, x)
		}
	}
	slices.Sort(uniq)
	if len(uniq) <= 12 {
		ticks := make(plot.ConstantTicks, len(uniq))
		for i, x := range uniq {
			ticks[i] = plot.Tick{Value: x, Label: xLabel(opt.X, x, uniq)}
		}
		p.X.Tick.Marker = ticks
	} else if opt.LogX {
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	lo, hi := uniq[0], uniq[len(uniq)-1]
	if opt.LogX {
		p.X.Min, p.X.Max = lo/math.Pow(hi/lo, 0.04), hi*math.Pow(hi/lo, 0.04)
		if lo == hi {
			p.X.Min, p.X.Max = lo/2, hi*2
		}
		return
	}
	m := 0.04 * (hi - lo)
	if m == 0 {
		m = math.Max(0.5, 0.1*math.Abs(lo))
	}
	p.X.Min, p.X.Max = lo-m, hi+m
}

// xLabel writes a swept value: sizes in bytes that are all multiples of 1024 in KiB, MiB or GiB,
// anything else as the shortest decimal.
func xLabel(col string, x float64, all []float64) string {
	if strings.HasSuffix(col, "bytes") {
		kib := true
		for _, v := range all {
			kib = kib && v > 0 && math.Mod(v, 1024) == 0
		}
		if kib {
			for _, u := range []struct {
				div float64
				sym string
			}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
				if x >= u.div {
					return strconv.FormatFloat(x/u.div, 'g', -1, 64) + " " + u.sym
				}
			}
		}
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// metricLabelShort is the metric's label without its unit, for titles.
func metricLabelShort(col string) string {
	l := metricLabel(col)
	if i := strings.LastIndex(l, " ("); i > 0 {
		l = l[:i]
	}
	return strings.ToUpper(l[:1]) + l[1:]
}

// dashes returns the line dash pattern of the k-th round of colours: solid, dashed, dotted...
func dashes(k int) []vg.Length {
	switch k % 3 {
	case 1:
		return []vg.Length{vg.Points(6), vg.Points(3)}
	case 2:
		return []vg.Length{vg.Points(2), vg.Points(2)}
	}
	return nil
}

// glyphAt returns the i-th point shape, cycling.
func glyphAt(i int) draw.GlyphDrawer {
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{},
		draw.PlusGlyph{}, draw.CrossGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}}
	return shapes[i%len(shapes)]
}
