package figures

import (
	"encoding/csv"
	"errors"
	"fmt"
	"image/color"
	"io"
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

// SweepData is a sweep CSV read for plotting: its header and its records.
type SweepData struct {
	Name    string
	Header  []string
	Records [][]string
}

// ReadSweepCSV reads a tidy CSV with a header line (name is for error messages).
func ReadSweepCSV(r io.Reader, name string) (*SweepData, error) {
	cr := csv.NewReader(r)
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: empty CSV; expected a header line and rows", name)
	}
	if len(recs) == 1 {
		return nil, fmt.Errorf("%s: the CSV has a header but no rows", name)
	}
	return &SweepData{Name: name, Header: recs[0], Records: recs[1:]}, nil
}

// Column returns the index of a column by name, or an error listing the columns.
func (s *SweepData) Column(name string) (int, error) {
	if i := slices.Index(s.Header, name); i >= 0 {
		return i, nil
	}
	return -1, fmt.Errorf("%s: unknown column %q (columns: %s)", s.Name, name, strings.Join(s.Header, ", "))
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

// sweepLine is one group's points in a sweep figure.
type sweepLine struct {
	label string
	xys   plotter.XYs
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
	gi := make([]int, len(group))
	for i, g := range group {
		if gi[i], err = sd.Column(g); err != nil {
			return Figure{}, err
		}
	}
	// Legends name only the group columns that vary.
	var shown []int
	for i := range group {
		if sd.distinct(gi[i]) > 1 {
			shown = append(shown, i)
		}
	}

	// x: numeric when every value parses.
	numeric := true
	xs := make([]float64, len(sd.Records))
	var cats []string
	for r, rec := range sd.Records {
		if len(rec) != len(sd.Header) {
			return Figure{}, fmt.Errorf("%s: row %d has %d fields, the header %d", sd.Name, r+2, len(rec), len(sd.Header))
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[xi]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			numeric = false
		}
		xs[r] = v
		if !slices.Contains(cats, rec[xi]) {
			cats = append(cats, rec[xi])
		}
	}
	if !numeric {
		if opt.LogX {
			return Figure{}, fmt.Errorf("%s: --logx needs numeric values in column %q", sd.Name, opt.X)
		}
		for r, rec := range sd.Records {
			xs[r] = float64(slices.Index(cats, rec[xi]))
		}
	}
	if opt.LogX {
		for r, x := range xs {
			if x <= 0 {
				return Figure{}, fmt.Errorf("%s: row %d: %s = %v; a log x axis needs positive values", sd.Name, r+2, opt.X, x)
			}
		}
	}

	// Energy in pJ is drawn in µJ, whose numbers are readable.
	yscale := 1.0
	if opt.Y == "energy_pj" {
		yscale = 1e-6
	}
	var lines []*sweepLine
	byLabel := map[string]*sweepLine{}
	seen := map[string]int{}
	for r, rec := range sd.Records {
		y, err := strconv.ParseFloat(strings.TrimSpace(rec[yi]), 64)
		if err != nil || math.IsNaN(y) || math.IsInf(y, 0) {
			return Figure{}, fmt.Errorf("%s: row %d: column %q is %q; expected a number", sd.Name, r+2, opt.Y, rec[yi])
		}
		label := groupLabel(group, gi, shown, rec)
		key := label + "\x00" + strconv.FormatFloat(xs[r], 'g', -1, 64)
		if prev, dup := seen[key]; dup {
			return Figure{}, fmt.Errorf("%s: rows %d and %d fall on the same line (grouped by %s) at %s = %s; "+
				"group by the other swept columns too (--group %s)", sd.Name, prev+2, r+2,
				groupDesc(group), opt.X, rec[xi], strings.Join(append(slices.Clone(group), "COLUMN"), ","))
		}
		seen[key] = r
		l := byLabel[label]
		if l == nil {
			l = &sweepLine{label: label}
			byLabel[label] = l
			lines = append(lines, l)
		}
		l.xys = append(l.xys, plotter.XY{X: xs[r], Y: y * yscale})
	}

	title := opt.Title
	if title == "" {
		title = fmt.Sprintf("%s against %s", metricLabelShort(opt.Y), opt.X)
		// A sweep of one trace names it.
		if c := slices.Index(sd.Header, "trace"); c >= 0 && sd.distinct(c) == 1 {
			title += "\n" + filepath.Base(strings.TrimPrefix(sd.Records[0][c], data.BundledPrefix))
		}
	}
	xlabel, ylabel := opt.XLabel, opt.YLabel
	if xlabel == "" {
		xlabel = opt.X
	}
	if ylabel == "" {
		ylabel = metricLabel(opt.Y)
	}
	p := newPlot(title, xlabel, ylabel)
	leg := newLegend()
	ymin, ymax := math.Inf(1), math.Inf(-1)
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
			return Figure{}, fmt.Errorf("%s: %w", sd.Name, err)
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
	// The 1x line of a ratio, where it is near the data.
	ratio := strings.HasPrefix(opt.Y, "speedup") || strings.HasPrefix(opt.Y, "energy_reduction") || strings.HasPrefix(opt.Y, "edp_reduction")
	if span := ymax - ymin; ratio && 1 >= ymin-float64(0.5*span) && 1 <= ymax+float64(0.5*span) {
		one := plotter.NewFunction(func(float64) float64 { return 1 })
		one.Color = color.Gray{Y: 60}
		one.Width = vg.Points(1)
		one.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(one)
		leg.Add("1x (no gain)", one)
		ymin = math.Min(ymin, 1)
		ymax = math.Max(ymax, 1)
	}
	pad := 0.08 * (ymax - ymin)
	if pad == 0 {
		pad = math.Max(0.05*math.Abs(ymax), 0.5)
	}
	p.Y.Min, p.Y.Max = ymin-pad, ymax+pad
	if ymin >= 0 && ymin-pad < 0 {
		p.Y.Min = 0
	}
	p.Y.Tick.Marker = niceTicks{compact: math.Max(math.Abs(ymin), math.Abs(ymax)) >= 1e5}

	switch {
	case !numeric:
		p.NominalX(cats...)
		p.X.Min, p.X.Max = -0.3, float64(len(cats))-0.7
	default:
		if opt.LogX {
			p.X.Scale = plot.LogScale{}
		}
		var uniq []float64
		for _, x := range xs {
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
		} else {
			m := 0.04 * (hi - lo)
			if m == 0 {
				m = math.Max(0.5, 0.1*math.Abs(lo))
			}
			p.X.Min, p.X.Max = lo-m, hi+m
		}
	}
	// The figure grows to hold a long legend.
	width := 7.5 * vg.Inch
	height := max(4.2*vg.Inch, vg.Length(vg.Length(len(lines)+1)*vg.Points(16))+vg.Inch)
	return Figure{Plot: p, Legend: leg, Width: width, Height: height, thinX: numeric}, nil
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

// groupLabel is a line's legend text: the values of the shown group columns, each as
// column=value with the column's last dotted component ("lanes=16") unless two group columns
// share it; a lone trace column shows just the trace's file name. With no column shown it is the
// trace's file name when the group has the trace, else "".
func groupLabel(group []string, gi, shown []int, rec []string) string {
	short := func(col string) string {
		last := col[strings.LastIndex(col, ".")+1:]
		for _, g := range group {
			if g != col && g[strings.LastIndex(g, ".")+1:] == last {
				return col
			}
		}
		return last
	}
	traceName := func(v string) string { return filepath.Base(strings.TrimPrefix(v, data.BundledPrefix)) }
	if len(shown) == 0 {
		if i := slices.Index(group, "trace"); i >= 0 {
			return traceName(rec[gi[i]])
		}
		return ""
	}
	parts := make([]string, len(shown))
	for j, i := range shown {
		g, v := group[i], rec[gi[i]]
		if g == "trace" {
			v = traceName(v)
			if len(shown) == 1 {
				return v
			}
		}
		parts[j] = short(g) + "=" + v
	}
	return strings.Join(parts, ", ")
}

// distinct counts the distinct values of column c.
func (s *SweepData) distinct(c int) int {
	seen := map[string]bool{}
	for _, r := range s.Records {
		seen[r[c]] = true
	}
	return len(seen)
}

// determines reports whether every value of column a goes with a single value of column b.
func (s *SweepData) determines(a, b int) bool {
	of := map[string]string{}
	for _, r := range s.Records {
		if v, ok := of[r[a]]; ok && v != r[b] {
			return false
		}
		of[r[a]] = r[b]
	}
	return true
}

// defaultGroup is the trace column, when there is one, and each key of keys in the header that
// column x does not determine.
func (s *SweepData) defaultGroup(x int, keys []string) []string {
	var group []string
	if slices.Contains(s.Header, "trace") {
		group = append(group, "trace")
	}
	for _, k := range keys {
		if c := slices.Index(s.Header, k); c >= 0 && c != x && !s.determines(x, c) {
			group = append(group, k)
		}
	}
	return group
}

func groupDesc(group []string) string {
	if len(group) == 0 {
		return "nothing"
	}
	return strings.Join(group, ",")
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
