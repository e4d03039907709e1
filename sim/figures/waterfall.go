package figures

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/lrpsim/lrpsim/sim/waterfall"
)

// Waterfall draws the headline decomposed (lrpsim plot waterfall): for each step of the
// waterfall, from the compute alone to the default, the geometric-mean speedup over dense of
// every family and of the suite as a group of bars, with a dashed line at 1x.
func Waterfall(w *waterfall.Waterfall) (Figure, error) {
	if w == nil || len(w.Steps) == 0 {
		return Figure{}, fmt.Errorf("waterfall: no steps to draw")
	}
	models := w.Models()
	vals := make([]plotter.Values, len(models))
	names := make([]string, len(w.Steps))
	ymax := 1.0
	for i, s := range w.Steps {
		names[i] = strconv.Itoa(i+1) + ". " + strings.TrimPrefix(s.Name, "waterfall-")
		groups := s.Groups()
		if len(groups) != len(models) {
			return Figure{}, fmt.Errorf("waterfall: step %d has %d groups, step 1 %d", i+1, len(groups), len(models))
		}
		for k, g := range groups {
			if !(g.Speedup > 0) || math.IsInf(g.Speedup, 0) {
				return Figure{}, fmt.Errorf("waterfall: step %d has no positive geometric-mean speedup", i+1)
			}
			vals[k] = append(vals[k], g.Speedup)
			ymax = max(ymax, g.Speedup)
		}
	}
	p := newPlot("The headline decomposed: speedup over dense as each assumption is added",
		"step (each adds one assumption to the one before; the last is the default)", "speedup over dense (x)")
	barW := 0.8 / float64(len(models))
	layout := &barLayout{width: barW}
	p.Add(layout)
	leg := newLegend()
	one := unityLine()
	p.Add(one)
	for k, m := range models {
		name := m
		if m == "" {
			name = "suite"
		}
		off := (float64(k) - float64(float64(len(models)-1)/2)) * barW
		sr := barSeries{name: fmt.Sprintf("%s (%d traces)", name, w.Steps[0].Groups()[k].Rows), v: vals[k], off: off}
		if err := sr.add(p, leg, layout, colorAt(k)); err != nil {
			return Figure{}, err
		}
	}
	leg.Add("dense (1x)", one)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	p.Y.Min, p.Y.Max = 0, ymax*1.2
	p.Y.Tick.Marker = niceTicks{suffix: "x"}
	// float64(): no fused multiply-add, so the layout is the same on every CPU (ci/cross-cpu.sh).
	slot := vg.Length(float64(0.35*float64(len(models)))+0.6) * vg.Inch
	width := max(6.5*vg.Inch, barMargins+vg.Length(float64(slot*vg.Length(len(names)))))
	return Figure{Plot: p, Legend: leg, Width: width, Height: 4 * vg.Inch}, nil
}
