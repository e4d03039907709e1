package figures

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lrpsim/lrpsim/sim/tabulate"
)

// Bars draws the speedup and the energy reduction over the dense baseline of every row as a
// group of two bars labelled by task (and model), then their geometric means as the last group,
// with a dashed line at 1x (no gain).
func Bars(rows []tabulate.Row) (Figure, error) {
	if len(rows) == 0 {
		return Figure{}, fmt.Errorf("bars: no rows to draw")
	}
	s := tabulate.Summarize(rows)
	speed := make(plotter.Values, 0, len(rows)+1)
	red := make(plotter.Values, 0, len(rows)+1)
	names := make([]string, 0, len(rows)+1)
	allSynthetic := true
	slot, rotate := tickSlot(rows)
	for _, r := range rows {
		speed = append(speed, r.Speedup)
		red = append(red, r.EnergyReduction)
		names = append(names, groupName(r, rotate))
		allSynthetic = allSynthetic && r.Synthetic
	}
	if math.IsNaN(s.Speedup) || math.IsNaN(s.EnergyReduction) {
		return Figure{}, fmt.Errorf("bars: a speedup or energy reduction is not positive; no geometric mean")
	}
	speed = append(speed, s.Speedup)
	red = append(red, s.EnergyReduction)
	geo := fmt.Sprintf("geomean\n(%d traces)", len(rows))
	if len(rows) == 1 {
		geo = "geomean\n(1 trace)"
	}
	if rotate {
		geo = strings.ReplaceAll(geo, "\n", " ")
	}
	names = append(names, geo)
	n := len(names)
	width, height := barsSize(names, slot, rotate)

	title := "Speedup and energy reduction over the dense baseline"
	switch {
	case allSynthetic && len(rows) == 1:
		title += " (synthetic trace)"
	case allSynthetic:
		title += " (synthetic traces)"
	}
	p := newPlot(title, "task (model)", "speedup / energy reduction over dense (x)")
	const barW = 0.34 // of a group's slot
	layout := &barLayout{width: barW}
	p.Add(layout)
	leg := newLegend()
	// The dense line goes under the bars and their value labels.
	one := unityLine()
	p.Add(one)
	ymax := 1.0
	for i, sr := range []barSeries{{"speedup", speed, -barW / 2}, {"energy reduction", red, barW / 2}} {
		if err := sr.add(p, leg, layout, colorAt(i)); err != nil {
			return Figure{}, err
		}
		for _, v := range sr.v {
			ymax = math.Max(ymax, v)
		}
	}
	leg.Add("dense (1x)", one)
	// A thin rule separates the geometric mean from the tasks.
	sep, err := plotter.NewLine(plotter.XYs{{X: float64(n) - 1.5, Y: 0}, {X: float64(n) - 1.5, Y: ymax * 1.12}})
	if err != nil {
		return Figure{}, err
	}
	sep.Color = color.Gray{Y: 150}
	sep.Width = vg.Points(0.75)
	sep.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(sep)

	p.NominalX(names...)
	if rotate {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	p.X.Min, p.X.Max = -0.6, float64(n)-0.4
	// Headroom for the value labels, upright ones (separateLabels) included.
	p.Y.Min, p.Y.Max = 0, ymax*1.2
	p.Y.Tick.Marker = niceTicks{suffix: "x"}
	return Figure{Plot: p, Legend: leg, Width: width, Height: height}, nil
}

// barMargins is the width of the bar figure beside its groups: the y axis on the left, the
// legend on the right.
const barMargins = 2.8 * vg.Inch

// tickSlot sizes the bar figure's tick labels. They sit across, on two lines, when the figure
// can widen (up to 14 in) to give each the room of its longest line; otherwise they stand
// upright on one line (rotate). Either way no two touch.
func tickSlot(rows []tabulate.Row) (slot vg.Length, rotate bool) {
	for _, r := range rows {
		for _, line := range strings.Split(groupName(r, false), "\n") {
			slot = max(slot, textStyle(11).Width(line)+vg.Points(10))
		}
	}
	slot = max(slot, 0.8*vg.Inch)
	rotate = barMargins+vg.Length(slot*vg.Length(len(rows)+1)) > 14*vg.Inch
	return slot, rotate
}

// barsSize is the bar figure's size for its tick labels.
func barsSize(names []string, slot vg.Length, rotate bool) (width, height vg.Length) {
	n := len(names)
	width = max(6.5*vg.Inch, barMargins+vg.Length(slot*vg.Length(n)))
	if rotate {
		width = vg.Inch * vg.Length(math.Min(14, math.Max(6.5, 2.6+float64(0.8*float64(n)))))
	}
	height = 4 * vg.Inch
	if rotate {
		// Upright tick labels never touch their neighbours (a slot is wider than a line); the
		// figure grows by the longest one.
		longest := vg.Length(0)
		for _, nm := range names {
			longest = max(longest, textStyle(11).Width(nm))
		}
		height += longest
	}
	return width, height
}

// barSeries is one bar of every group: its legend name, its values and its offset in the group.
type barSeries struct {
	name string
	v    plotter.Values
	off  float64
}

// add draws the series' bars in colour c with their value labels, and its legend entry.
func (sr barSeries) add(p *plot.Plot, leg *plot.Legend, layout *barLayout, c color.Color) error {
	b, err := plotter.NewBarChart(sr.v, 1)
	if err != nil {
		return err
	}
	b.Color = c
	b.LineStyle.Width = 0
	layout.addBars(b, sr.off)
	p.Add(b)
	leg.Add(sr.name, b)
	lbl, err := valueLabels(sr.v, "%.2f", 1)
	if err != nil {
		return err
	}
	layout.addLabels(lbl, sr.off)
	p.Add(lbl)
	return nil
}

// unityLine is the dashed grey line at 1x (no gain) of a ratio figure.
func unityLine() *plotter.Function {
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Color = color.Gray{Y: 60}
	one.Width = vg.Points(1)
	one.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	return one
}

// groupName is a row's tick label: its task, and its model in parentheses when it differs, on a
// second line unless the labels are rotated.
func groupName(r tabulate.Row, oneLine bool) string {
	if r.Model == "" || r.Model == r.Task {
		return r.Task
	}
	if oneLine {
		return r.Task + " (" + r.Model + ")"
	}
	return r.Task + "\n(" + r.Model + ")"
}

// valueLabels writes each value above its bar, and above floor when the bar is lower (so that a
// bar below the dense line has its label above the line, not across it).
func valueLabels(v plotter.Values, format string, floor float64) (*plotter.Labels, error) {
	xys := make(plotter.XYs, len(v))
	ls := make([]string, len(v))
	for i, y := range v {
		xys[i] = plotter.XY{X: float64(i), Y: max(y, floor)}
		ls[i] = fmt.Sprintf(format, y)
	}
	return labelsAbove(xys, ls, 9)
}

// labelsAbove writes each label centred just above its point, in a size-point font.
func labelsAbove(xys plotter.XYs, ls []string, size float64) (*plotter.Labels, error) {
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: ls})
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i] = labelStyle(size)
	}
	l.Offset = vg.Point{Y: vg.Points(2)}
	return l, nil
}

// labelStyle is a value label's style: centred above its point.
func labelStyle(size float64) text.Style {
	s := textStyle(size)
	s.XAlign, s.YAlign = draw.XCenter, draw.YBottom
	return s
}

// niceTicks marks round values, a step of 1, 2, 2.5 or 5 times a power of ten chosen for 4 to 8
// labelled ticks over the range, each label with the suffix (e.g. "x"); compact labels write
// thousands, millions and billions as k, M and G.
type niceTicks struct {
	suffix  string
	compact bool
}

func (t niceTicks) label(v, step float64) string {
	if t.compact {
		for _, u := range []struct {
			div float64
			sym string
		}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
			if math.Abs(v) >= u.div {
				return strconv.FormatFloat(v/u.div, 'f', decimals(step/u.div), 64) + u.sym + t.suffix
			}
		}
	}
	return strconv.FormatFloat(v, 'f', decimals(step), 64) + t.suffix
}

// decimals is the number of decimals that writes multiples of step exactly (at most 9).
func decimals(step float64) int {
	for d := 0; d < 9; d++ {
		x := float64(step * math.Pow(10, float64(d))) // rounded: no fused multiply-add
		if math.Abs(x-math.Round(x)) < float64(1e-6*math.Max(1, x)) {
			return d
		}
	}
	return 9
}

// Ticks implements plot.Ticker.
func (t niceTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) {
		return []plot.Tick{{Value: min, Label: t.label(min, math.Abs(min))}}
	}
	mag := math.Pow(10, math.Floor(math.Log10((max-min)/4)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if (max-min)/(m*mag) <= 8 {
			step = m * mag
			break
		}
	}
	var ts []plot.Tick
	for i := math.Ceil(min/step - 1e-9); float64(i*step) <= max+float64(1e-9*step); i++ {
		v := i * step
		if math.Abs(v) < 1e-12*step {
			v = 0
		}
		ts = append(ts, plot.Tick{Value: v, Label: t.label(v, step)})
	}
	return ts
}
