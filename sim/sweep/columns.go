package sweep

import (
	"strconv"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/report"
)

// columns lays out the CSV: point, trace, model, task, the swept keys, then the registry's metrics
// (report.Metrics) in their order: a metric of the design under its own name, a ratio as one
// column per baseline (name_baseline), and last, for each metric marked PerBaseline, one column
// per baseline with the baseline's value.
func (p *Plan) columns() {
	seen := map[string]bool{}
	for _, pt := range p.Points {
		if pt.Config == nil {
			continue // rejected (KeepGoing)
		}
		for _, b := range pt.Config.Baselines {
			if !seen[b] {
				seen[b] = true
				p.Baselines = append(p.Baselines, b)
			}
		}
	}
	cols := []string{"point", "trace", "model", "task"}
	for _, a := range p.Sweep.Axes {
		cols = append(cols, a.Key)
	}
	per := func(name string) {
		for _, b := range p.Baselines {
			cols = append(cols, name+"_"+b)
		}
	}
	metrics := report.Metrics()
	for _, m := range metrics {
		if m.Ratio {
			per(m.Name)
		} else {
			cols = append(cols, m.Name)
		}
	}
	for _, m := range metrics {
		if m.PerBaseline {
			per(m.Name)
		}
	}
	if p.KeepGoing {
		cols = append(cols, ErrorColumn)
	}
	p.Columns = cols
}

// errorRow is the row of a point without metrics (KeepGoing): its identity, empty metrics, and
// why.
func (p *Plan) errorRow(pt *Point, why string) []string {
	tr := p.Traces[pt.Trace]
	row := []string{strconv.Itoa(pt.Index), tr.Name, tr.Model, tr.Task}
	row = append(row, pt.Values...)
	for len(row) < len(p.Columns)-1 {
		row = append(row, "")
	}
	return append(row, why)
}

// row formats one point's result as a CSV row in the plan's column order, each value as
// report.Value.String writes it (the shortest form that reads back to the same float64, so the
// bytes are stable). A baseline the point did not simulate leaves its columns empty.
func (p *Plan) row(pt *Point, res *sim.Result) []string {
	tr := p.Traces[pt.Trace]
	row := []string{strconv.Itoa(pt.Index), tr.Name, tr.Model, tr.Task}
	row = append(row, pt.Values...)
	design, _ := report.RunOf(res, report.DesignRun)
	per := func(m report.Metric) {
		for _, b := range p.Baselines {
			v := ""
			if run, ok := report.RunOf(res, b); ok {
				v = m.Of(run).String()
			}
			row = append(row, v)
		}
	}
	metrics := report.Metrics()
	for _, m := range metrics {
		if m.Ratio {
			per(m)
		} else {
			row = append(row, m.Of(design).String())
		}
	}
	for _, m := range metrics {
		if m.PerBaseline {
			per(m)
		}
	}
	if p.KeepGoing {
		row = append(row, "")
	}
	return row
}
