package figures

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/lrpsim/lrpsim/sim/waterfall"
)

// Waterfall draws the headline decomposed (lrpsim plot waterfall): for each step of the
// waterfall, from the compute alone to the default, the geometric-mean speedup over dense of
// every family and of the suite as a group of bars, each beside its geometric-mean on-chip
// energy reduction in a lighter shade of its colour, with a dashed line at 1x.
func Waterfall(w *waterfall.Waterfall) (Figure, error) {
	if w == nil || len(w.Steps) == 0 {
		return Figure{}, fmt.Errorf("waterfall: no steps to draw")
	}
	models := w.Models()
	speedup := make([]plotter.Values, len(models))
	onChip := make([]plotter.Values, len(models))
	names := make([]string, len(w.Steps))
	ymax := 1.0
	for i, s := range w.Steps {
		names[i] = strconv.Itoa(i+1) + ". " + strings.TrimPrefix(s.Name, "waterfall-")
		groups := s.Groups()
		if len(groups) != len(models) {
			return Figure{}, fmt.Errorf("waterfall: step %d has %d groups, step 1 %d", i+1, len(groups), len(models))
		}
		for k, g := range groups {
			for _, v := range []struct {
				what string
				x    float64
			}{{"speedup", g.Speedup}, {"on-chip energy reduction", g.EnergyReductionOnChip}} {
				if !(v.x > 0) || math.IsInf(v.x, 0) {
					return Figure{}, fmt.Errorf("waterfall: step %d has no positive geometric-mean %s", i+1, v.what)
				}
			}
			speedup[k] = append(speedup[k], g.Speedup)
			onChip[k] = append(onChip[k], g.EnergyReductionOnChip)
			ymax = max(ymax, g.Speedup, g.EnergyReductionOnChip)
		}
	}
	p := newPlot("The headline decomposed: speedup and on-chip energy reduction over dense as each assumption is added",
		"step (each adds one assumption to the one before; the last is the default)", "over dense (x)")
	bars := 2 * len(models)
	barW := 0.8 / float64(bars)
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
		name = fmt.Sprintf("%s (%d traces)", name, w.Steps[0].Groups()[k].Rows)
		for j, sr := range []barSeries{{name: name + ": speedup", v: speedup[k]}, {name: name + ": on-chip energy", v: onChip[k]}} {
			sr.off = (float64(2*k+j) - float64(float64(bars-1)/2)) * barW
			c := colorAt(k)
			if j == 1 {
				c = lighter(c)
			}
			if err := sr.add(p, leg, layout, c); err != nil {
				return Figure{}, err
			}
		}
	}
	leg.Add("dense (1x)", one)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	p.Y.Min, p.Y.Max = 0, ymax*1.2
	p.Y.Tick.Marker = niceTicks{suffix: "x"}
	// float64(): no fused multiply-add, so the layout is the same on every CPU (ci/cross-cpu.sh).
	slot := vg.Length(float64(0.35*float64(bars))+0.6) * vg.Inch
	width := max(6.5*vg.Inch, barMargins+vg.Length(float64(slot*vg.Length(len(names)))))
	return Figure{Plot: p, Legend: leg, Width: width, Height: 4 * vg.Inch}, nil
}

// lighter is c halfway to white: the on-chip energy bar beside its family's speedup bar.
func lighter(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	half := func(v uint32) uint8 { return uint8((v>>8 + 255) / 2) }
	return color.RGBA{R: half(r), G: half(g), B: half(b), A: 255}
}
