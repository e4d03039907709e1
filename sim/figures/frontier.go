package figures

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lrpsim/lrpsim/sim/compare"
)

// FrontierY names what a frontier figure draws against the metric loss: "speedup" or "onchip"
// (the on-chip energy reduction).
var FrontierY = []string{"speedup", "onchip"}

// frontierPoint is one design at one knob value over a family's workloads: the mean test loss in
// percent and the geometric mean of y.
type frontierPoint struct {
	design string
	value  float64
	loss   float64
	y      float64
}

// familyPoints averages each design's points at each knob value over the workloads: the mean
// test loss (in percent of the metric) and the geometric mean of y. Every workload must have the
// same grid.
func familyPoints(files []compare.FrontierFile, y string) ([]string, []frontierPoint, error) {
	type key struct {
		design string
		value  float64
	}
	sum := map[key]*[3]float64{} // loss, log y, count
	var order []key
	var designs []string
	for _, f := range files {
		for _, p := range f.Points {
			v := p.Speedup
			if y == "onchip" {
				v = p.EnergyReductionOnChip
			}
			if !(v > 0) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("frontier: %s %s %s=%g: %s %v: expected a positive finite ratio", f.Workload, p.Design, p.Knob, p.Value, y, v)
			}
			k := key{p.Design, p.Value}
			s, ok := sum[k]
			if !ok {
				s = &[3]float64{}
				sum[k] = s
				order = append(order, k)
				if !slices.Contains(designs, p.Design) {
					designs = append(designs, p.Design)
				}
			}
			s[0] += float64(100 * p.TestLoss) // rounded: no fused multiply-add
			s[1] += math.Log(v)
			s[2]++
		}
	}
	var out []frontierPoint
	for _, k := range order {
		s := sum[k]
		if int(s[2]) != len(files) {
			return nil, nil, fmt.Errorf("frontier: %s at %g is on %d of %d workloads: expected the same grid on every workload", k.design, k.value, int(s[2]), len(files))
		}
		out = append(out, frontierPoint{k.design, k.value, s[0] / s[2], math.Exp(s[1] / s[2])})
	}
	return designs, out, nil
}

// paretoFront is the points no other point beats on both axes (lower loss, higher y), by loss.
func paretoFront(pts []frontierPoint) plotter.XYs {
	sorted := slices.Clone(pts)
	slices.SortStableFunc(sorted, func(a, b frontierPoint) int {
		switch {
		case a.loss < b.loss:
			return -1
		case a.loss > b.loss:
			return 1
		case a.y > b.y:
			return -1
		case a.y < b.y:
			return 1
		}
		return 0
	})
	var xys plotter.XYs
	best := math.Inf(-1)
	for _, p := range sorted {
		if p.y > best {
			xys = append(xys, plotter.XY{X: p.loss, Y: p.y})
			best = p.y
		}
	}
	return xys
}

// lossAxisLabel names the loss axis in the unit of the workloads' metric: the loss in percent,
// which for accuracy is accuracy points. All the files must have one metric: the axis is the
// mean test loss over them, in one unit; an error names each workload's metric otherwise.
func lossAxisLabel(files []compare.FrontierFile) (string, error) {
	byMetric := map[string][]string{}
	var metrics []string
	for _, f := range files {
		if _, ok := byMetric[f.Metric]; !ok {
			metrics = append(metrics, f.Metric)
		}
		byMetric[f.Metric] = append(byMetric[f.Metric], f.Workload)
	}
	if len(metrics) > 1 {
		var parts []string
		for _, m := range metrics {
			parts = append(parts, fmt.Sprintf("%s: %s", m, strings.Join(byMetric[m], ", ")))
		}
		return "", fmt.Errorf("frontier: the workloads mix metrics (%s): expected one metric a figure, its x axis the mean test "+
			"loss in one unit (choose one metric's workloads with --workloads)", strings.Join(parts, "; "))
	}
	unit, ok := compare.LossUnit(metrics[0])
	if !ok {
		return "", fmt.Errorf("frontier: %s: metric %q: expected %s", byMetric[metrics[0]][0], metrics[0], strings.Join(compare.Metrics(), ", "))
	}
	if metrics[0] == compare.MetricAccuracy {
		return "mean test loss (" + unit + ", log scale)", nil
	}
	return "mean test loss (" + unit + ", in %, log scale)", nil
}

// Frontier draws a family's operating points (lrpsim plot frontier): per design one curve over
// its knob values of the geometric mean of y (speedup, or on-chip energy reduction) over the
// workloads against the mean test metric loss in percent of the metric's loss unit (accuracy
// points, 1 - cosine or the relative perplexity rise: every workload must have the same metric);
// the points on the Pareto frontier of all designs ringed and joined; each budget (a loss, 0.002
// for 0.2%) a vertical line.
func Frontier(files []compare.FrontierFile, y, family string, budgets []float64) (Figure, error) {
	if len(files) == 0 {
		return Figure{}, fmt.Errorf("frontier: no workloads to draw")
	}
	if !slices.Contains(FrontierY, y) {
		return Figure{}, fmt.Errorf("frontier: --y %q: expected one of speedup, onchip", y)
	}
	xlabel, err := lossAxisLabel(files)
	if err != nil {
		return Figure{}, err
	}
	designs, pts, err := familyPoints(files, y)
	if err != nil {
		return Figure{}, err
	}
	ylabel := "speedup over dense (x, geomean over workloads)"
	if y == "onchip" {
		ylabel = "on-chip energy reduction over dense (x, geomean)"
	}
	workloads := "workloads"
	if len(files) == 1 {
		workloads = "workload"
	}
	p := newPlot(fmt.Sprintf("%s: operating points of each design (%d %s)", family, len(files), workloads),
		xlabel, ylabel)
	leg := newLegend()
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, d := range designs {
		var xys plotter.XYs
		for _, q := range pts {
			if q.design == d {
				xys = append(xys, plotter.XY{X: q.loss, Y: q.y})
				xmin, xmax = math.Min(xmin, q.loss), math.Max(xmax, q.loss)
				ymin, ymax = math.Min(ymin, q.y), math.Max(ymax, q.y)
			}
		}
		ln, sc, err := plotter.NewLinePoints(xys) // in knob order: the curve follows the grid
		if err != nil {
			return Figure{}, fmt.Errorf("frontier: %s: %w", d, err)
		}
		ln.Color, ln.Width = colorAt(i), vg.Points(1.5)
		sc.Color, sc.Shape, sc.Radius = colorAt(i), draw.CircleGlyph{}, vg.Points(2.5)
		p.Add(ln, sc)
		leg.Add(d, ln, sc)
	}
	front := paretoFront(pts)
	fl, fs, err := plotter.NewLinePoints(front)
	if err != nil {
		return Figure{}, err
	}
	fl.Color, fl.Width, fl.Dashes = color.Black, vg.Points(1), []vg.Length{vg.Points(2), vg.Points(2)}
	fs.Color, fs.Shape, fs.Radius = color.Black, draw.RingGlyph{}, vg.Points(5)
	p.Add(fl, fs)
	leg.Add("frontier", fl, fs)
	for _, b := range budgets {
		x := 100 * b
		line, err := plotter.NewLine(plotter.XYs{{X: x, Y: math.Min(ymin, 1)}, {X: x, Y: ymax}})
		if err != nil {
			return Figure{}, err
		}
		line.Color, line.Width, line.Dashes = color.Gray{Y: 120}, vg.Points(1), []vg.Length{vg.Points(6), vg.Points(3)}
		p.Add(line)
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
	}
	if len(budgets) > 0 {
		leg.Add("budgets "+budgetList(budgets), dashedSample())
	}
	ymin, ymax = addUnity(p, leg, "speedup", ymin, ymax)
	setYRange(p, ymin, ymax)
	scale := lossScale{linear: 0.1}
	lo, hi := scale.f(xmin), scale.f(xmax)
	pad := 0.04 * (hi - lo)
	if pad == 0 {
		pad = 0.1
	}
	p.X.Min, p.X.Max = scale.inverse(lo-pad), scale.inverse(hi+pad)
	p.X.Scale, p.X.Tick.Marker = scale, lossTicks{scale}
	return Figure{Plot: p, Legend: leg, Width: 8 * vg.Inch, Height: 4.8 * vg.Inch}, nil
}

// lossScale is the frontier's loss axis: close to linear below `linear` (in percent) and
// logarithmic above, sign(x)·ln(1 + |x|/linear), so that the careful designs' points, which crowd
// near zero loss, spread out while a 4% point still fits, and a loss below zero (a pruned model
// that beats the dense one) stays on the axis.
type lossScale struct{ linear float64 }

func (s lossScale) f(x float64) float64 { return math.Copysign(math.Log1p(math.Abs(x)/s.linear), x) }

func (s lossScale) inverse(y float64) float64 {
	return math.Copysign(s.linear*math.Expm1(math.Abs(y)), y)
}

// Normalize implements plot.Normalizer.
func (s lossScale) Normalize(min, max, x float64) float64 {
	a, b := s.f(min), s.f(max)
	return (s.f(x) - a) / (b - a)
}

// lossTicks marks the loss axis at 0 and at 1-2-5 steps of either sign. Labels go first to 0, then
// to the powers of ten, then to the 2s and 5s, each where it lies far enough along the scaled axis
// from every label placed before; the others are minor ticks.
type lossTicks struct{ scale lossScale }

// Ticks implements plot.Ticker.
func (t lossTicks) Ticks(min, max float64) []plot.Tick {
	ranked := []float64{0} // in the order labels are given
	for _, m := range []float64{1, 2, 5} {
		for e := -2; e <= 3; e++ { // from 0.01%: finer steps crowd the axis around zero
			v := m * math.Pow10(e)
			ranked = append(ranked, v, -v)
		}
	}
	var ticks []plot.Tick
	var placed []float64
	for _, v := range ranked {
		if v < min || v > max {
			continue
		}
		at, label := t.scale.Normalize(min, max, v), strconv.FormatFloat(v, 'g', -1, 64)
		for _, q := range placed {
			if math.Abs(at-q) < 0.08 {
				label = ""
				break
			}
		}
		if label != "" {
			placed = append(placed, at)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	slices.SortFunc(ticks, func(a, b plot.Tick) int { return cmp.Compare(a.Value, b.Value) })
	return ticks
}

func budgetList(budgets []float64) string {
	s := ""
	for i, b := range budgets {
		if i > 0 {
			s += ", "
		}
		s += compare.FormatBudget(b)
	}
	return s
}

// dashedSample is the legend's thumbnail of a budget line.
func dashedSample() *plotter.Line {
	l := &plotter.Line{}
	l.Color, l.Width, l.Dashes = color.Gray{Y: 120}, vg.Points(1), []vg.Length{vg.Points(6), vg.Points(3)}
	return l
}
