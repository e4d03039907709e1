package figures

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/traces/data"
)

// Steps draws the termination-step histogram of the design on one trace: for every lane step s,
// the share of all keys whose comparator decided at step s, pruned keys and survivors stacked.
func Steps(res *sim.Result) (Figure, error) {
	if res == nil || res.Design == nil {
		return Figure{}, fmt.Errorf("steps: no simulation result")
	}
	d := res.Design
	if d.Pairs == 0 || len(d.StepHistogram) == 0 {
		return Figure{}, fmt.Errorf("steps: the trace has no (query, key) pairs")
	}
	g := len(d.StepHistogram)
	pruned, surv, ymax := stepShares(d)
	names := make([]string, g)
	for i := range g {
		names[i] = strconv.Itoa(i + 1)
	}

	width, height := 7.5*vg.Inch, 4*vg.Inch
	title := fmt.Sprintf("When the lanes decide: %s\nmean %.2f of %d lane steps per key, %.1f%% of %d pairs pruned",
		traceTitle(res), res.MeanSteps, g, 100*res.PruningRate, d.Pairs)
	bpc := 1
	if res.Config != nil {
		bpc = res.Config.FrontEnd.BitsPerCycle
	}
	xlabel := "lane step at which the key was decided (1 bit-plane per step, MSB first)"
	if bpc > 1 {
		xlabel = fmt.Sprintf("lane step at which the key was decided (%d bit-planes per step, MSB first)", bpc)
	}
	p := newPlot(title, xlabel, "share of keys (%)")
	layout := &barLayout{width: 0.75}
	p.Add(layout)
	leg := newLegend()
	bp, err := plotter.NewBarChart(pruned, 1)
	if err != nil {
		return Figure{}, err
	}
	bp.Color, bp.LineStyle.Width = colorAt(3), 0
	bs, err := plotter.NewBarChart(surv, 1)
	if err != nil {
		return Figure{}, err
	}
	bs.Color, bs.LineStyle.Width = colorAt(0), 0
	bs.StackOn(bp)
	layout.addBars(bp, 0)
	layout.addBars(bs, 0)
	p.Add(bp, bs)
	leg.Add("survivors", bs)
	leg.Add("pruned", bp)

	// The total share of each step above its bar, where it is not negligible.
	var xys plotter.XYs
	var ls []string
	for i := range g {
		if t := pruned[i] + surv[i]; t >= 0.05 {
			xys = append(xys, plotter.XY{X: float64(i), Y: t})
			ls = append(ls, strconv.FormatFloat(t, 'f', 1, 64))
		}
	}
	if len(xys) > 0 {
		lbl, err := labelsAbove(xys, ls, 9)
		if err != nil {
			return Figure{}, err
		}
		p.Add(lbl)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(g)-0.4
	p.Y.Min, p.Y.Max = 0, ymax*1.12
	p.Y.Tick.Marker = niceTicks{}
	return Figure{Plot: p, Legend: leg, Width: width, Height: height}, nil
}

// stepShares are the shares (%) of all pairs decided at each lane step, pruned and surviving,
// and the largest total of a step.
func stepShares(d *sim.Stats) (pruned, surv plotter.Values, ymax float64) {
	g := len(d.StepHistogram)
	pruned = make(plotter.Values, g)
	surv = make(plotter.Values, g)
	for i := range g {
		var p int64
		if i < len(d.PrunedStepHistogram) {
			p = d.PrunedStepHistogram[i]
		}
		pruned[i] = 100 * float64(p) / float64(d.Pairs)
		surv[i] = 100 * float64(d.StepHistogram[i]-p) / float64(d.Pairs)
		ymax = math.Max(ymax, pruned[i]+surv[i])
	}
	return pruned, surv, ymax
}

// traceTitle names a result's trace: its file name, then its model and task unless they only say
// "synthetic", and whether it is synthetic.
func traceTitle(res *sim.Result) string {
	t := res.Trace
	var what []string
	switch {
	case t.Model != "" && t.Model != t.Task && t.Model != "synthetic":
		what = append(what, t.Model+" / "+t.Task)
	case t.Task != "" && t.Task != "synthetic":
		what = append(what, t.Task)
	}
	if t.Synthetic {
		what = append(what, "synthetic trace")
	}
	name := filepath.Base(strings.TrimPrefix(t.Path, data.BundledPrefix))
	if t.Path == "" {
		name = "trace"
	}
	if len(what) == 0 {
		return name
	}
	return name + " (" + strings.Join(what, ", ") + ")"
}
