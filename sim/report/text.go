package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/lrpsim/lrpsim/sim"
)

// textColumn is one column of a text table: a header and how a run's cell is written, from a
// registry metric (by name) or from several.
type textColumn struct {
	header string
	cell   func(m func(name string) Value) string
}

// metricCell writes the named metric converted by conv (nil: as is) with format (e.g. "%.2f").
func metricCell(name, format string, conv func(float64) float64) func(func(string) Value) string {
	return func(m func(string) Value) string {
		x := m(name).Float64()
		if conv != nil {
			x = conv(x)
		}
		return fmt.Sprintf(format, x)
	}
}

// percent, perMillion: unit conversions of the text report.
func percent(x float64) float64    { return 100 * x }
func perMillion(x float64) float64 { return x / 1e6 }

// countCell writes the named count metric in decimal.
func countCell(name string) func(func(string) Value) string {
	return func(m func(string) Value) string { return m(name).String() }
}

// cyclesColumns are the columns of the text report's cycles table.
func cyclesColumns(cfg *sim.Config) []textColumn {
	return []textColumn{
		{"cycles", countCell("cycles")},
		{"time (us)", metricCell("cycles", "%.2f", func(c float64) float64 { return c / (cfg.ClockGHz * 1e3) })},
		{"speedup", metricCell("speedup", "%.2fx", nil)},
		{"lane util", metricCell("lane_util", "%.1f%%", percent)},
		{"BE busy", metricCell("be_busy", "%.1f%%", percent)},
		{"FE stall", countCell("fe_stall")},
		{"BE starved", countCell("be_starved")},
		{"DRAM MB", metricCell("dram_bytes", "%.2f", perMillion)},
		{"SRAM MB", metricCell("sram_bytes", "%.2f", perMillion)},
	}
}

// energyColumns are the columns of the text report's energy table.
func energyColumns() []textColumn {
	return []textColumn{
		{"energy (uJ)", metricCell("energy_pj", "%.3f", perMillion)},
		{"dynamic (uJ)", metricCell("dynamic_pj", "%.3f", perMillion)},
		{"leakage (uJ)", metricCell("leakage_pj", "%.3f", perMillion)},
		{"reduction", metricCell("energy_reduction", "%.2fx", nil)},
		{"EDP reduction", metricCell("edp_reduction", "%.2fx", nil)},
		{"area (mm^2)", metricCell("area_um2", "%.3f", perMillion)},
	}
}

// writeRunTable writes one line per run of res (the design labelled with its config's name)
// under the given columns, right-aligned.
func writeRunTable(b *strings.Builder, res *sim.Result, cols []textColumn) error {
	reg := map[string]Metric{}
	for _, m := range Metrics() {
		reg[m.Name] = m
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "run\t"
	for _, c := range cols {
		header += c.header + "\t"
	}
	fmt.Fprintln(tw, header)
	for _, r := range Runs(res) {
		label := r.Name
		if !r.Baseline {
			label = "design (" + res.Config.Name + ")"
		}
		get := func(name string) Value { return reg[name].Of(r) }
		line := label + "\t"
		for _, c := range cols {
			line += c.cell(get) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

// WriteText prints the human-readable report of res: the runs' cycles and utilization, their
// energy when priced, then the design's pruning, termination steps, stalls by cause, DRAM
// traffic and pruning by layer.
func WriteText(w io.Writer, res *sim.Result) error {
	var b strings.Builder
	cfg := res.Config
	kind := "real trace"
	if res.Trace.Synthetic {
		kind = "SYNTHETIC trace"
	}
	fmt.Fprintf(&b, "lrpsim %s, %s engine\n", res.Version, res.Engine)
	fmt.Fprintf(&b, "trace:  %s (%s)\n", res.Trace.Path, kind)
	fmt.Fprintf(&b, "        model %s, task %s; %d inputs x %d layers x %d heads\n",
		res.Trace.Model, res.Trace.Task, res.Trace.Inputs, res.Trace.Layers, res.Trace.HeadsPer)
	fmt.Fprintf(&b, "config: %s: %d units x %d lanes, %d bit-plane(s)/cycle, %s lanes, FIFO %d, %d MACs, %.3g GHz\n\n",
		cfg.Name, cfg.Units, cfg.FrontEnd.Lanes, cfg.FrontEnd.BitsPerCycle, cfg.FrontEnd.Scheduling,
		cfg.BackEnd.FIFODepth, cfg.BackEnd.Macs, cfg.ClockGHz)

	if err := writeRunTable(&b, res, cyclesColumns(cfg)); err != nil {
		return err
	}
	if res.Energy != nil {
		if err := writeEnergyText(&b, res); err != nil {
			return err
		}
	}

	d := res.Design
	// LeOPArd drops the pairs below its learned threshold; another rule (arch/POLICIES.md) by its own test.
	dropped := "below threshold"
	if p := cfg.Pruning.Policy; p != "" && p != "leopard" {
		dropped = "dropped by the " + p + " rule"
	}
	fmt.Fprintf(&b, "\npruning: %.1f%% of %d query-key pairs %s (%d survivors)\n",
		100*res.PruningRate, d.Pairs, dropped, d.Survivors)
	fmt.Fprintf(&b, "lane steps per key: %.2f mean of %d (early termination %s)\n", res.MeanSteps,
		len(d.StepHistogram), onOff(cfg.FrontEnd.EarlyTermination))
	var pruned int64
	for _, n := range d.PrunedStepHistogram {
		pruned += n
	}
	if pruned > 0 {
		fmt.Fprintf(&b, "termination step of pruned keys:")
		for i, n := range d.PrunedStepHistogram {
			if n > 0 {
				fmt.Fprintf(&b, "  %d: %.1f%%", i+1, 100*float64(n)/float64(pruned))
			}
		}
		fmt.Fprintln(&b)
	}
	design, _ := RunOf(res, DesignRun)
	m := func(name string) string {
		metric, _ := MetricByName(name)
		return metric.Of(design).String()
	}
	fmt.Fprintf(&b, "stalls by cause (design): FIFO back-pressure %s unit-cycles (%s lane-cycles), waiting for DRAM %s unit-cycles, back end starved %s unit-cycles, DRAM waiting for a free buffer %s cycles, for the previous layer %s cycles\n",
		m("fe_stall"), m("lane_stalls"), m("fe_wait_memory"), m("be_starved"), m("dram_wait_buffer"), m("dram_wait_dependency"))
	fmt.Fprintf(&b, "DRAM: %s bytes in %s loads, %s requests (V rows on demand: %s bytes), data bus busy %s channel-cycles\n",
		m("dram_bytes"), m("dram_loads"), m("dram_requests"), m("dram_v_bytes"), m("dram_busy"))
	if bd := d.Bound; bd != nil {
		shares := make([]string, 0, len(sim.Causes()))
		for _, c := range sim.Causes() {
			shares = append(shares, fmt.Sprintf("%s %.0f%%", c.Short(), 100*bd.Share(c)))
		}
		fmt.Fprintf(&b, "bound (design): %s (unit-cycles: %s)\n", bd.Verdict(), strings.Join(shares, ", "))
	}
	fmt.Fprintf(&b, "\npruning rate by layer (and by head):\n")
	for _, lp := range sim.PruningByLayer(d) {
		hs := make([]string, len(lp.Heads))
		for i, h := range lp.Heads {
			hs[i] = fmt.Sprintf("%.0f", 100*h)
		}
		fmt.Fprintf(&b, "  layer %2d: %5.1f%%  [%s]\n", lp.Layer, 100*lp.Rate, strings.Join(hs, " "))
	}
	if bd := d.Bound; bd != nil && len(bd.Layers) > 0 {
		fmt.Fprintf(&b, "\nbound by layer (design; the layer's unit-cycles, idle ones excluded):\n")
		for _, l := range bd.LayerOrder() {
			top, share := bd.Layers[l].LayerTop()
			fmt.Fprintf(&b, "  layer %2d: %s %.0f%%\n", l, top.Short(), 100*share)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeEnergyText writes the energy table of the runs and the design's (and dense's) energy and
// area by component.
func writeEnergyText(b *strings.Builder, res *sim.Result) error {
	e := res.Energy
	fmt.Fprintf(b, "\nenergy (table %s, %s; DRAM from the config: device %.4g pJ/bit, interface %.4g pJ/bit):\n",
		e.Table, e.Node, e.DRAMDevicePJPerBit, e.DRAMInterfacePJPerBit)
	if err := writeRunTable(b, res, energyColumns()); err != nil {
		return err
	}
	if err := writeScopes(b, res); err != nil {
		return err
	}
	fmt.Fprintf(b, "\nenergy and area by component:\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "component\tdesign (uJ)\tshare\t"
	dense, hasDense := e.Baselines["dense"]
	if hasDense {
		header += "dense (uJ)\tshare\t"
	}
	fmt.Fprintln(tw, header+"area (mm^2)\t")
	// Every component of the breakdown, in name order: the table's and DRAM's two parts.
	for _, name := range slices.Sorted(maps.Keys(e.Design.Breakdown)) {
		comp := e.Design.Breakdown[name]
		line := fmt.Sprintf("%s\t%.3f\t%.1f%%\t", name, comp.PJ/1e6, 100*comp.PJ/e.Design.TotalPJ)
		if hasDense {
			dp := dense.Breakdown[name].PJ
			line += fmt.Sprintf("%.3f\t%.1f%%\t", dp/1e6, 100*dp/dense.TotalPJ)
		}
		fmt.Fprintln(tw, line+fmt.Sprintf("%.4f\t", comp.AreaUM2/1e6))
	}
	return tw.Flush()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// writeScopes writes the design's energy by scope beside each baseline's reduction at that scope.
func writeScopes(b *strings.Builder, res *sim.Result) error {
	e := res.Energy
	fmt.Fprintf(b, "\nenergy by scope (uJ; reduction = baseline over design at that scope):\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "scope\tdesign (uJ)\t"
	for _, name := range res.Order {
		header += name + "\t"
	}
	fmt.Fprintln(tw, header)
	for _, scope := range sim.EnergyScopes() {
		d := e.Design.Scopes[scope]
		line := fmt.Sprintf("%s\t%.3f\t", scope, d/1e6)
		for _, name := range res.Order {
			if d > 0 {
				line += fmt.Sprintf("%.2fx\t", e.Baselines[name].Scopes[scope]/d)
			} else {
				line += "-\t"
			}
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}
