package sim

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// utilization summarizes a run's units: front-end lane utilization (lane-cycles stepping over
// lane-cycles available), back-end busy fraction, and the cycles lost by cause.
type utilization struct {
	LaneUtil, FEBusy, BEBusy                            float64
	FEStall, FEWaitMem, LaneStalls, BEStarved, DRAMWait int64
}

func utilizationOf(s *Stats, cfg *Config) utilization {
	var u utilization
	var laneSteps, feBusy, beBusy int64
	for _, f := range s.FrontEnd {
		laneSteps += f.LaneSteps
		feBusy += f.Busy
		u.FEStall += f.Stall
		u.FEWaitMem += f.WaitMemory
		u.LaneStalls += f.LaneStalls
	}
	for _, b := range s.BackEnd {
		beBusy += b.Busy
		u.BEStarved += b.Starved
	}
	u.DRAMWait = s.DRAM.WaitBuffer
	units := int64(len(s.FrontEnd))
	if s.Cycles > 0 && units > 0 {
		u.LaneUtil = float64(laneSteps) / float64(s.Cycles*units*int64(cfg.FrontEnd.Lanes))
		u.FEBusy = float64(feBusy) / float64(s.Cycles*units)
		u.BEBusy = float64(beBusy) / float64(s.Cycles*units)
	}
	return u
}

// WriteText prints the human-readable report.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	cfg := r.Config
	kind := "real trace"
	if r.Trace.Synthetic {
		kind = "SYNTHETIC trace"
	}
	fmt.Fprintf(&b, "lrpsim %s, %s engine\n", r.Version, r.Engine)
	fmt.Fprintf(&b, "trace:  %s (%s)\n", r.Trace.Path, kind)
	fmt.Fprintf(&b, "        model %s, task %s; %d inputs x %d layers x %d heads\n",
		r.Trace.Model, r.Trace.Task, r.Trace.Inputs, r.Trace.Layers, r.Trace.HeadsPer)
	fmt.Fprintf(&b, "config: %s: %d units x %d lanes, %d bit-plane(s)/cycle, %s lanes, FIFO %d, %d MACs, %.3g GHz\n\n",
		cfg.Name, cfg.Units, cfg.FrontEnd.Lanes, cfg.FrontEnd.BitsPerCycle, cfg.FrontEnd.Scheduling,
		cfg.BackEnd.FIFODepth, cfg.BackEnd.Macs, cfg.ClockGHz)

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tcycles\ttime (us)\tspeedup\tlane util\tBE busy\tFE stall\tBE starved\tDRAM MB\t")
	row := func(name string, s *Stats, speed string) {
		u := utilizationOf(s, cfg)
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%s\t%.1f%%\t%.1f%%\t%d\t%d\t%.2f\t\n", name, s.Cycles,
			float64(s.Cycles)/(cfg.ClockGHz*1e3), speed, 100*u.LaneUtil, 100*u.BEBusy, u.FEStall, u.BEStarved,
			float64(s.DRAM.Bytes)/1e6)
	}
	row("design ("+cfg.Name+")", r.Design, "1.00x")
	for _, name := range r.Order {
		row(name, r.Baselines[name], fmt.Sprintf("%.2fx", r.Speedup[name]))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if r.Energy != nil {
		if err := r.writeEnergyText(&b); err != nil {
			return err
		}
	}

	d := r.Design
	fmt.Fprintf(&b, "\npruning: %.1f%% of %d query-key pairs below threshold (%d survivors)\n",
		100*r.PruningRate, d.Pairs, d.Survivors)
	fmt.Fprintf(&b, "lane steps per key: %.2f mean of %d (early termination %s)\n", r.MeanSteps,
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
	u := utilizationOf(d, cfg)
	fmt.Fprintf(&b, "stalls by cause (design): FIFO back-pressure %d unit-cycles (%d lane-cycles), waiting for DRAM %d unit-cycles, back end starved %d unit-cycles, DRAM waiting for a free buffer %d cycles\n",
		u.FEStall, u.LaneStalls, u.FEWaitMem, u.BEStarved, u.DRAMWait)
	fmt.Fprintf(&b, "DRAM: %d bytes in %d loads, %d busy cycles\n", d.DRAM.Bytes, d.DRAM.Loads, d.DRAM.Busy)
	fmt.Fprintf(&b, "\npruning rate by layer (and by head):\n")
	for _, lp := range PruningByLayer(d) {
		hs := make([]string, len(lp.Heads))
		for i, h := range lp.Heads {
			hs[i] = fmt.Sprintf("%.0f", 100*h)
		}
		fmt.Fprintf(&b, "  layer %2d: %5.1f%%  [%s]\n", lp.Layer, 100*lp.Rate, strings.Join(hs, " "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Result) writeEnergyText(b *strings.Builder) error {
	e := r.Energy
	fmt.Fprintf(b, "\nenergy (table %s, %s):\n", e.Table, e.Node)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tenergy (uJ)\tdynamic (uJ)\tleakage (uJ)\treduction\tEDP reduction\tarea (mm^2)\t")
	row := func(name string, es EnergySummary, red, edp string) {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%s\t%s\t%.3f\t\n", name, es.TotalPJ/1e6, es.DynamicPJ/1e6,
			es.LeakagePJ/1e6, red, edp, es.AreaUM2/1e6)
	}
	row("design ("+r.Config.Name+")", e.Design, "1.00x", "1.00x")
	for _, name := range r.Order {
		row(name, e.Baselines[name], fmt.Sprintf("%.2fx", r.EnergyReduction[name]), fmt.Sprintf("%.2fx", r.EDPReduction[name]))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(b, "\nenergy and area by component:\n")
	tw = tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "component\tdesign (uJ)\tshare\t"
	dense, hasDense := e.Baselines["dense"]
	if hasDense {
		header += "dense (uJ)\tshare\t"
	}
	fmt.Fprintln(tw, header+"area (mm^2)\t")
	for _, comp := range e.Design.Report.Components {
		line := fmt.Sprintf("%s\t%.3f\t%.1f%%\t", comp.Name, comp.TotalPJ/1e6, 100*comp.TotalPJ/e.Design.TotalPJ)
		if hasDense {
			dp := dense.Breakdown[comp.Name].PJ
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

// jsonResult is the JSON shape: the Result plus the per-layer pruning.
type jsonResult struct {
	*Result
	ConfigName    string         `json:"config"`
	PruningLayers []LayerPruning `json:"pruning_by_layer"`
}

// WriteJSON prints one JSON object.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonResult{Result: r, ConfigName: r.Config.Name, PruningLayers: PruningByLayer(r.Design)})
}

// CSVHeader is the column list of WriteCSV: one row per simulated configuration.
var csvHeader = []string{"run", "config", "engine", "trace", "model", "task", "synthetic", "cycles", "speedup_vs_design",
	"pairs", "survivors", "pruning_rate", "pushed", "lane_util", "be_busy", "fe_stall", "lane_stalls",
	"fe_wait_memory", "be_starved", "dram_bytes", "dram_wait_buffer", "energy_pj", "energy_reduction_vs_design",
	"area_um2", "energy_table"}

// WriteCSV prints a tidy CSV: a header and one row for the design and each baseline.
func (r *Result) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	emit := func(run string, s *Stats, es *EnergySummary) error {
		u := utilizationOf(s, r.Config)
		rate := 0.0
		if s.Pairs > 0 {
			rate = 1 - float64(s.Survivors)/float64(s.Pairs)
		}
		f := func(x float64) string { return strconv.FormatFloat(x, 'g', 10, 64) }
		i := func(x int64) string { return strconv.FormatInt(x, 10) }
		row := []string{run, s.Config, r.Engine, r.Trace.Path, r.Trace.Model, r.Trace.Task,
			strconv.FormatBool(r.Trace.Synthetic), i(s.Cycles), f(ratio(s.Cycles, r.Design.Cycles)),
			i(s.Pairs), i(s.Survivors), f(rate), i(s.Pushed), f(u.LaneUtil), f(u.BEBusy), i(u.FEStall),
			i(u.LaneStalls), i(u.FEWaitMem), i(u.BEStarved), i(s.DRAM.Bytes), i(s.DRAM.WaitBuffer)}
		if es == nil {
			row = append(row, "", "", "", "")
		} else {
			row = append(row, f(es.TotalPJ), f(es.TotalPJ/r.Energy.Design.TotalPJ), f(es.AreaUM2), r.Energy.Table)
		}
		return cw.Write(row)
	}
	energyOf := func(name string) *EnergySummary {
		if r.Energy == nil {
			return nil
		}
		if name == "" {
			return &r.Energy.Design
		}
		es := r.Energy.Baselines[name]
		return &es
	}
	if err := emit("design", r.Design, energyOf("")); err != nil {
		return err
	}
	for _, name := range r.Order {
		if err := emit(name, r.Baselines[name], energyOf(name)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
