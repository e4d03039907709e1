package figures

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/lrpsim/lrpsim/sim/compare"
)

// Compare draws, for each design of a comparison (lrpsim compare), the geometric means over its
// workloads of the speedup, the energy reduction and the on-chip energy reduction against the
// same dense baseline, as a group of three bars labelled by design and rule, with a dashed line
// at 1x.
func Compare(sums []compare.Summary) (Figure, error) {
	if len(sums) == 0 {
		return Figure{}, fmt.Errorf("compare: no designs to draw")
	}
	names := make([]string, len(sums))
	vals := make([]plotter.Values, 3)
	ymax := 1.0
	for i, s := range sums {
		names[i] = fmt.Sprintf("%s\n(%d workloads)", s.Config, s.Workloads)
		for k, v := range []float64{s.Speedup, s.EnergyReduction, s.EnergyReductionOnChip} {
			if !(v > 0) || math.IsInf(v, 0) {
				return Figure{}, fmt.Errorf("compare: %s has no positive geometric mean", s.Config)
			}
			vals[k] = append(vals[k], v)
			ymax = max(ymax, v)
		}
	}
	p := newPlot("Runtime pruning rules on one substrate: gain over its dense baseline",
		"design (geometric mean over workloads)", "over dense (x)")
	const barW = 0.26
	layout := &barLayout{width: barW}
	p.Add(layout)
	leg := newLegend()
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Color = color.Gray{Y: 60}
	one.Width = vg.Points(1)
	one.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(one)
	for k, name := range []string{"speedup", "energy reduction", "on-chip energy reduction"} {
		b, err := plotter.NewBarChart(vals[k], 1)
		if err != nil {
			return Figure{}, err
		}
		b.Color = colorAt(k)
		b.LineStyle.Width = 0
		off := (float64(k) - 1) * barW
		layout.addBars(b, off)
		p.Add(b)
		leg.Add(name, b)
		lbl, err := valueLabels(vals[k], "%.2f", 1)
		if err != nil {
			return Figure{}, err
		}
		layout.addLabels(lbl, off)
		p.Add(lbl)
	}
	leg.Add("dense (1x)", one)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(sums))-0.4
	p.Y.Min, p.Y.Max = 0, ymax*1.2
	p.Y.Tick.Marker = niceTicks{suffix: "x"}
	width := max(6.5*vg.Inch, 2.8*vg.Inch+vg.Length(1.3*vg.Inch*vg.Length(len(sums))))
	return Figure{Plot: p, Legend: leg, Width: width, Height: 4 * vg.Inch}, nil
}
