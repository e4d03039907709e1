package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/dramtrace"
	"github.com/lrpsim/lrpsim/sim/report"
	"github.com/lrpsim/lrpsim/sim/timeline"
	"github.com/lrpsim/lrpsim/traces"
	"github.com/lrpsim/lrpsim/traces/data"
)

type runFlags struct {
	configFlags
	trace, engine, out       string
	energyTable, node        string
	ert, ertArt, ertMapping  string
	actions                  string
	timeline, timelineWindow string
	dramTrace, dramFormat    string
	json, csv                bool
	baselines                []string
	noBaselines              bool
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Simulate a trace on a configuration and report cycles and speedup against the baselines",
		Long: `run replays an attention trace on a LeOPArd configuration, simulates the configured baselines
(dense, early termination only, pruning only, bit-parallel dense) on the same trace in the same
invocation, and reports cycles, speedup, pruning and early-termination statistics, utilization
and stalls. With no flags it replays the bundled default trace on configs/leopard.yaml.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRun(cmd.OutOrStdout(), f, cmd.Flags().Changed("baselines"))
		},
	}
	fl := cmd.Flags()
	f.add(fl, configHelp)
	fl.StringVarP(&f.trace, "trace", "t", "", "trace .npz file, or bundled:NAME (default: the bundled default trace)")
	fl.StringVar(&f.engine, "engine", sim.EngineEvent, "simulation engine: event or reference")
	fl.BoolVar(&f.json, "json", false, "print one JSON object")
	fl.BoolVar(&f.csv, "csv", false, "print a CSV table, one row per simulated configuration")
	fl.StringVarP(&f.out, "out", "o", "", "write the report to this file (atomically) instead of standard output")
	fl.StringSliceVar(&f.baselines, "baselines", nil, "baselines to simulate (default: the config's list)")
	fl.BoolVar(&f.noBaselines, "no-baselines", false, "simulate the design only")
	fl.StringVar(&f.energyTable, "energy", "", "energy and area table YAML (default: the built-in table of --node)")
	fl.StringVar(&f.node, "node", "45nm", "technology node of the built-in energy table: "+strings.Join(energy.DefaultNodes(), ", "))
	fl.StringVar(&f.ert, "ert", "", "price with an Accelergy energy reference table (ERT) YAML over the base table (--energy or --node), which fills what the ERT does not name")
	fl.StringVar(&f.ertArt, "ert-art", "", "Accelergy area reference table (ART) YAML to go with --ert")
	fl.StringVar(&f.ertMapping, "ert-mapping", "", "YAML mapping Accelergy component and action names onto lrpsim's (see energy/README.md)")
	fl.StringVar(&f.actions, "actions", "", "also write every action count as a tidy CSV to this file")
	fl.StringVar(&f.timeline, "timeline", "", "also write the design's timeline as Chrome trace-event JSON (opens in Perfetto) to this file, gzipped when it ends in .gz")
	fl.StringVar(&f.timelineWindow, "timeline-window", "", "cycle window FROM:TO of the timeline (default: the whole run)")
	fl.StringVar(&f.dramTrace, "dram-trace", "", "also write the design's DRAM requests to this file")
	fl.StringVar(&f.dramFormat, "dram-trace-format", "ramulator2", "format of --dram-trace: "+strings.Join(dramtrace.Formats, " or "))
	cmd.MarkFlagsMutuallyExclusive("baselines", "no-baselines")
	cmd.MarkFlagsMutuallyExclusive("json", "csv")
	return cmd
}

// engines are the values of --engine.
func engines() []string { return []string{sim.EngineEvent, sim.EngineReference} }

// checkChoice refuses a flag value outside the accepted ones, naming the flag and them.
func checkChoice(flag, got, what string, accepted []string) error {
	if slices.Contains(accepted, got) {
		return nil
	}
	return fmt.Errorf("%s: unknown %s %q (expected %s)", flag, what, got, joinOr(accepted))
}

// joinOr lists values as "a or b", "a, b or c".
func joinOr(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// checkEngineNode checks --engine and --node before anything is loaded, so that a typo is
// blamed on its flag and not on the trace or the config.
func checkEngineNode(engine, node string) error {
	if err := checkChoice("--engine", engine, "engine", engines()); err != nil {
		return err
	}
	return checkChoice("--node", node, "node", energy.DefaultNodes())
}

func runRun(stdout io.Writer, f runFlags, baselinesSet bool) error {
	if err := f.check(); err != nil {
		return err
	}
	cfg, err := f.openConfig(baselinesSet)
	if err != nil {
		return err
	}
	window, err := parseWindow(f.timelineWindow)
	if err != nil {
		return err
	}
	table, err := loadEnergyTable(f)
	if err != nil {
		return err
	}
	r, err := openTrace(f.trace)
	if err != nil {
		return err
	}
	defer r.Close()
	rec := newRunRecorders(f, window)
	defer rec.close()
	res, err := sim.Run(cfg, r, f.engine, rec.options())
	if err != nil {
		return fmt.Errorf("%s: %w", r.Path(), err)
	}
	res.Version = version
	if err := res.Price(table); err != nil {
		return err
	}
	m := r.Meta()
	res.Trace = sim.TraceInfo{Path: r.Path(), Model: m.Model, Task: m.Task, Source: m.Source, Synthetic: m.Synthetic,
		Heads: r.NumHeads(), Inputs: m.Inputs, Layers: m.Layers, HeadsPer: m.Heads}
	write := func(w io.Writer) error { return report.WriteText(w, res) }
	switch {
	case f.json:
		write = func(w io.Writer) error { return report.WriteJSON(w, res) }
	case f.csv:
		write = func(w io.Writer) error { return report.WriteCSV(w, res) }
	}
	if done, err := rec.writeFiles(f, cfg, res, r.Path(), write); done || err != nil {
		return err
	}
	// Render fully before printing, so that an error never leaves half a report.
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}

// check refuses bad flags before anything is loaded, so that a typo is blamed on its flag.
func (f runFlags) check() error {
	if f.json && f.csv {
		return fmt.Errorf("--json and --csv are exclusive")
	}
	if err := checkEngineNode(f.engine, f.node); err != nil {
		return err
	}
	if f.dramTrace != "" && !slices.Contains(dramtrace.Formats, f.dramFormat) {
		return fmt.Errorf("--dram-trace-format: expected %s, got %q", strings.Join(dramtrace.Formats, " or "), f.dramFormat)
	}
	return distinctOutputs(map[string]string{"--out": f.out, "--actions": f.actions, "--timeline": f.timeline,
		"--dram-trace": f.dramTrace})
}

// openConfig opens --config with --set and applies --baselines (when given) or --no-baselines.
func (f runFlags) openConfig(baselinesSet bool) (*sim.Config, error) {
	cfg, err := f.open()
	if err != nil {
		return nil, err
	}
	if baselinesSet {
		cfg.Baselines = f.baselines
		cfg.SetByFlag("baselines", "--baselines")
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	if f.noBaselines {
		cfg.Baselines = nil
	}
	return cfg, nil
}

// runRecorders are the observers of a run that its output files ask for (nil when not asked).
type runRecorders struct {
	timeline *timeline.Recorder
	dram     *dramtrace.Recorder
}

func newRunRecorders(f runFlags, window timeline.Options) runRecorders {
	var rec runRecorders
	if f.timeline != "" {
		rec.timeline = timeline.NewRecorder(window)
	}
	if f.dramTrace != "" {
		rec.dram = dramtrace.NewRecorder()
	}
	return rec
}

// close removes what the recorders hold on disk.
func (rec runRecorders) close() {
	if rec.timeline != nil {
		rec.timeline.Close()
	}
	if rec.dram != nil {
		rec.dram.Close()
	}
}

// options observes the run with the recorders there are.
func (rec runRecorders) options() sim.Options {
	var obs []sim.Observer
	if rec.timeline != nil {
		obs = append(obs, rec.timeline)
	}
	if rec.dram != nil {
		obs = append(obs, rec.dram)
	}
	if len(obs) == 0 {
		return sim.Options{}
	}
	return sim.Options{Observer: sim.Observers(obs...)}
}

// writeFiles writes the output files of the flags, all or none (sim.WriteOutputs); done says
// that the report went to --out, so nothing goes to standard output.
func (rec runRecorders) writeFiles(f runFlags, cfg *sim.Config, res *sim.Result, trace string, report func(io.Writer) error) (done bool, err error) {
	timelineJSON := func(w io.Writer) error {
		write := rec.timeline.WriteJSON
		if timeline.Gzipped(f.timeline) {
			write = rec.timeline.WriteGzip
		}
		return write(w, cfg.ClockGHz, res.Design.Cycles, map[string]string{"config": cfg.Name, "trace": trace,
			"engine": res.Engine, "lrpsim": version})
	}
	dramCSV := func(w io.Writer) error { return rec.dram.Write(w, f.dramFormat) }
	var outs []sim.Output
	for _, o := range []struct {
		path  string
		write func(io.Writer) error
		// stream: written from the recording's spill file into the output, never held whole.
		stream bool
	}{{f.out, report, false}, {f.actions, res.WriteActionsCSV, false}, {f.timeline, timelineJSON, true}, {f.dramTrace, dramCSV, true}} {
		if o.path == "" {
			continue
		}
		if o.stream {
			outs = append(outs, sim.Output{Path: o.path, Write: o.write})
			continue
		}
		var buf bytes.Buffer
		if err := o.write(&buf); err != nil {
			return false, err
		}
		outs = append(outs, sim.Output{Path: o.path, Data: buf.Bytes()})
	}
	if len(outs) == 0 {
		return false, nil
	}
	// Without --out the report still goes to standard output, after the other files.
	return f.out != "", sim.WriteOutputs(outs...)
}

// loadEnergyTable picks the energy table of the flags (energy.Choice): a user's YAML, an
// Accelergy ERT over a base table, or a built-in node. With an ERT, a line on standard error
// says which entries came from where.
func loadEnergyTable(f runFlags) (*energy.Table, error) {
	if f.ert == "" && (f.ertArt != "" || f.ertMapping != "") {
		return nil, fmt.Errorf("--ert-art and --ert-mapping go with --ert")
	}
	t, provenance, err := energy.Choice{Table: f.energyTable, Node: f.node, ERT: f.ert, ART: f.ertArt, Mapping: f.ertMapping}.Load()
	if err != nil {
		return nil, err
	}
	if provenance != "" {
		fmt.Fprintln(os.Stderr, provenance)
	}
	return t, nil
}

// openTrace opens a trace file, "bundled:NAME", or the bundled default when path is empty.
func openTrace(path string) (*traces.Reader, error) {
	return data.Open(path)
}

// distinctOutputs refuses two output flags naming one file.
func distinctOutputs(paths map[string]string) error {
	flags := slices.Sorted(maps.Keys(paths))
	for i, a := range flags {
		for _, b := range flags[i+1:] {
			if paths[a] != "" && paths[b] != "" && sim.SameOutput(paths[a], paths[b]) {
				return fmt.Errorf("%s %s and %s %s name the same file: give each its own", a, paths[a], b, paths[b])
			}
		}
	}
	return nil
}

// parseWindow reads --timeline-window FROM:TO (cycles, FROM < TO); empty means the whole run.
func parseWindow(s string) (timeline.Options, error) {
	if s == "" {
		return timeline.Options{}, nil
	}
	from, to, ok := strings.Cut(s, ":")
	a, errA := strconv.ParseInt(from, 10, 64)
	b, errB := strconv.ParseInt(to, 10, 64)
	if !ok || errA != nil || errB != nil || a < 0 || b <= a {
		return timeline.Options{}, fmt.Errorf("--timeline-window: expected FROM:TO, two cycles with 0 <= FROM < TO, got %q", s)
	}
	return timeline.Options{From: a, To: b}, nil
}
