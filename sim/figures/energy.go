package figures

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/lrpsim/lrpsim/sim"
)

// minShare is the share of a run's energy under which a component, when it is under it in every
// run, is drawn as part of "other".
const minShare = 0.01

// EnergyBreakdown draws the energy of the design and of each baseline of one priced result as
// stacked bars, one segment per component (components under 1% of every run's energy together as
// "other"), with each run's total above its bar.
func EnergyBreakdown(res *sim.Result) (Figure, error) {
	if res == nil || res.Energy == nil {
		return Figure{}, fmt.Errorf("energy: the result is not priced")
	}
	runs := energyRuns(res)
	segments, big, small := energySegments(runs)
	if len(segments) == 0 {
		return Figure{}, fmt.Errorf("energy: the result has no energy breakdown")
	}

	names := make([]string, len(runs))
	totals := make(plotter.Values, len(runs))
	ymax := 0.0
	for i, r := range runs {
		names[i] = r.name
		totals[i] = r.es.TotalPJ / 1e6
		ymax = math.Max(ymax, totals[i])
	}
	width := vg.Inch * vg.Length(math.Max(7.5, 3.6+1.0*float64(len(runs))))
	height := 4.5 * vg.Inch
	title := fmt.Sprintf("Energy by component: %s\nenergy table %s (%s)", traceTitle(res), res.Energy.Table, res.Energy.Node)
	p := newPlot(title, "simulated configuration", "energy (µJ)")
	layout := &barLayout{width: 0.6}
	p.Add(layout)

	leg := newLegend()
	bars, err := stackSegments(p, layout, runs, segments, big)
	if err != nil {
		return Figure{}, err
	}
	// The legend lists the segments top to bottom, as they are stacked.
	for i := len(segments) - 1; i >= 0; i-- {
		name := segments[i]
		if name == otherSegment {
			name = fmt.Sprintf("other (%d components < 1%%)", small)
		}
		leg.Add(name, bars[i])
	}
	lbl, err := totalLabels(totals)
	if err != nil {
		return Figure{}, err
	}
	p.Add(lbl)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(runs))-0.4
	p.Y.Min, p.Y.Max = 0, ymax*1.1
	p.Y.Tick.Marker = niceTicks{}
	return Figure{Plot: p, Legend: leg, Width: width, Height: height}, nil
}

// otherSegment is the segment of the components under minShare.
const otherSegment = "other"

// energyRun is one bar of the energy figure: the design or a baseline.
type energyRun struct {
	name string
	es   sim.EnergySummary
}

// energyRuns lists the design, then the baselines in the result's order.
func energyRuns(res *sim.Result) []energyRun {
	design := "design"
	if res.Config != nil {
		design = "design\n(" + res.Config.Name + ")"
	}
	runs := []energyRun{{design, res.Energy.Design}}
	for _, name := range res.Order {
		runs = append(runs, energyRun{name, res.Energy.Baselines[name]})
	}
	return runs
}

// energySegments orders the components by their energy over all runs, largest first (then by
// name), and puts the small ones (under minShare of every run) in one "other" segment, last.
// big holds the components drawn on their own; small counts the others.
func energySegments(runs []energyRun) (segments []string, big map[string]bool, small int) {
	total := map[string]float64{}
	big = map[string]bool{}
	for _, r := range runs {
		for c, sh := range r.es.Breakdown {
			total[c] += sh.PJ
			if r.es.TotalPJ > 0 && sh.PJ >= minShare*r.es.TotalPJ {
				big[c] = true
			}
		}
	}
	for c := range total {
		if big[c] {
			segments = append(segments, c)
		} else {
			small++
		}
	}
	slices.SortFunc(segments, func(a, b string) int {
		if total[a] != total[b] {
			if total[a] > total[b] {
				return -1
			}
			return 1
		}
		if a < b {
			return -1
		}
		return 1
	})
	if small > 0 {
		segments = append(segments, otherSegment)
	}
	return segments, big, small
}

// stackSegments adds one bar chart per segment, each stacked on the one before, and returns
// them in stacking order.
func stackSegments(p *plot.Plot, layout *barLayout, runs []energyRun, segments []string, big map[string]bool) ([]*plotter.BarChart, error) {
	var below *plotter.BarChart
	var bars []*plotter.BarChart
	for si, seg := range segments {
		v := make(plotter.Values, len(runs))
		for i, r := range runs {
			if seg == otherSegment {
				for c, sh := range r.es.Breakdown {
					if !big[c] {
						v[i] += sh.PJ / 1e6
					}
				}
			} else {
				v[i] = r.es.Breakdown[seg].PJ / 1e6
			}
		}
		b, err := plotter.NewBarChart(v, 1)
		if err != nil {
			return nil, err
		}
		b.Color = colorAt(si % 9)
		if seg == otherSegment {
			b.Color = colorAt(9)
		}
		b.LineStyle.Width = vg.Points(0.3)
		if below != nil {
			b.StackOn(below)
		}
		layout.addBars(b, 0)
		below = b
		bars = append(bars, b)
		p.Add(b)
	}
	return bars, nil
}

// totalLabels writes each run's total energy (µJ, one decimal) above its bar.
func totalLabels(totals plotter.Values) (*plotter.Labels, error) {
	ls := make([]string, len(totals))
	for i, t := range totals {
		ls[i] = strconv.FormatFloat(t, 'f', 1, 64)
	}
	xys := make(plotter.XYs, len(totals))
	for i, t := range totals {
		xys[i] = plotter.XY{X: float64(i), Y: t}
	}
	return labelsAbove(xys, ls, 10)
}
