package figures

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/tabulate"
)

// Bound draws what bounded the design's run on every row: one bar per trace, stacked by the share
// of the run's unit-cycles that went to each cause (front-end lanes, back end, DRAM bandwidth,
// DRAM latency, buffers, layer dependencies, idle units), summing to 100%.
func Bound(rows []tabulate.Row) (Figure, error) {
	if len(rows) == 0 {
		return Figure{}, fmt.Errorf("bound: no rows to draw")
	}
	causes := sim.Causes()
	names := make([]string, len(rows))
	rotate := len(rows) > 8
	for i, r := range rows {
		if len(r.BoundShares) != len(causes) {
			return Figure{}, fmt.Errorf("bound: row %s has no bound", r.TraceLabel())
		}
		names[i] = r.TraceLabel()
	}
	n := len(rows)
	width := vg.Inch * vg.Length(math.Min(16, math.Max(6.5, 2.6+float64(0.55*float64(n)))))
	height := 4.4 * vg.Inch
	if rotate {
		height = 5 * vg.Inch
	}
	p := newPlot("What bounds each run (design): share of unit-cycles by cause", "trace", "share of unit-cycles (%)")
	layout := &barLayout{width: 0.6}
	p.Add(layout)
	leg := newLegend()
	var below *plotter.BarChart
	for ci, c := range causes {
		v := make(plotter.Values, n)
		for i, r := range rows {
			v[i] = 100 * r.BoundShares[ci]
		}
		b, err := plotter.NewBarChart(v, 1)
		if err != nil {
			return Figure{}, err
		}
		b.Color = colorAt(ci)
		b.LineStyle.Width = 0
		if below != nil {
			b.StackOn(below)
		}
		below = b
		layout.addBars(b, 0)
		p.Add(b)
		leg.Add(c.Short(), b)
	}
	p.NominalX(names...)
	if rotate {
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	p.X.Min, p.X.Max = -0.6, float64(n)-0.4
	p.Y.Min, p.Y.Max = 0, 100
	p.Y.Tick.Marker = niceTicks{suffix: "%"}
	return Figure{Plot: p, Legend: leg, Width: width, Height: height}, nil
}
