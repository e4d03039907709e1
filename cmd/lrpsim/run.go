package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
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
	config, trace, engine, out string
	energyTable, node          string
	ert, ertArt, ertMapping    string
	actions                    string
	timeline, timelineWindow   string
	dramTrace, dramFormat      string
	json, csv                  bool
	baselines                  []string
	noBaselines                bool
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
	fl.StringVarP(&f.config, "config", "c", "", "configuration YAML (overlays the default configs/leopard.yaml), or bundled:NAME for a bundled one")
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
	fl.StringVar(&f.timeline, "timeline", "", "also write the design's timeline as Chrome trace-event JSON (opens in Perfetto) to this file")
	fl.StringVar(&f.timelineWindow, "timeline-window", "", "cycle window FROM:TO of the timeline (default: the whole run, at most 1,000,000 events)")
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
	if f.json && f.csv {
		return fmt.Errorf("--json and --csv are exclusive")
	}
	if err := checkEngineNode(f.engine, f.node); err != nil {
		return err
	}
	if f.dramTrace != "" && !slices.Contains(dramtrace.Formats, f.dramFormat) {
		return fmt.Errorf("--dram-trace-format: expected %s, got %q", strings.Join(dramtrace.Formats, " or "), f.dramFormat)
	}
	cfg, err := sim.LoadConfig(f.config)
	if err != nil {
		return err
	}
	if err := distinctOutputs(map[string]string{"--out": f.out, "--actions": f.actions, "--timeline": f.timeline,
		"--dram-trace": f.dramTrace}); err != nil {
		return err
	}
	window, err := parseWindow(f.timelineWindow)
	if err != nil {
		return err
	}
	if baselinesSet {
		cfg.Baselines = f.baselines
		cfg.SetByFlag("baselines", "--baselines")
		if err := cfg.Validate(); err != nil {
			return err
		}
	}
	if f.noBaselines {
		cfg.Baselines = nil
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
	var tl *timeline.Recorder
	var dt *dramtrace.Recorder
	if f.timeline != "" {
		tl = timeline.NewRecorder(window)
	}
	if f.dramTrace != "" {
		dt = dramtrace.NewRecorder()
	}
	opts := sim.Options{}
	if tl != nil || dt != nil {
		var obs []sim.Observer
		if tl != nil {
			obs = append(obs, tl)
		}
		if dt != nil {
			obs = append(obs, dt)
		}
		opts.Observer = sim.Observers(obs...)
	}
	res, err := sim.Run(cfg, r, f.engine, opts)
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
	timelineJSON := func(w io.Writer) error {
		return tl.WriteJSON(w, cfg.ClockGHz, res.Design.Cycles, map[string]string{"config": cfg.Name, "trace": r.Path(),
			"engine": res.Engine, "lrpsim": version})
	}
	dramCSV := func(w io.Writer) error { return dt.Write(w, f.dramFormat) }
	if f.out != "" || f.actions != "" || f.timeline != "" || f.dramTrace != "" {
		var outs []sim.Output
		for _, o := range []struct {
			path  string
			write func(io.Writer) error
		}{{f.out, write}, {f.actions, res.WriteActionsCSV}, {f.timeline, timelineJSON}, {f.dramTrace, dramCSV}} {
			if o.path == "" {
				continue
			}
			var buf bytes.Buffer
			if err := o.write(&buf); err != nil {
				return err
			}
			outs = append(outs, sim.Output{Path: o.path, Data: buf.Bytes()})
		}
		if err := sim.WriteOutputs(outs...); err != nil {
			return err
		}
		if f.out != "" {
			return nil
		}
		// Without --out the report still goes to standard output, after the action counts.
	}
	// Render fully before printing, so that an error never leaves half a report.
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}

// loadEnergyTable picks the energy table: a user's YAML, an Accelergy ERT, or a built-in node.
// An ERT goes over a base table, --energy or the built-in table of --node, which fills the
// components and actions the ERT does not name (energy/README.md); a line on standard error
// says which entries came from where.
func loadEnergyTable(f runFlags) (*energy.Table, error) {
	switch {
	case f.ert != "":
		var base *energy.Table
		var err error
		if f.energyTable != "" {
			base, err = energy.LoadTable(f.energyTable)
		} else if base, err = energy.DefaultTable(f.node); err != nil {
			err = fmt.Errorf("--node: %w", err)
		}
		if err != nil {
			return nil, err
		}
		opt := energy.ERTOptions{ART: f.ertArt, Base: base}
		if f.ertMapping != "" {
			m, err := energy.LoadERTMapping(f.ertMapping)
			if err != nil {
				return nil, err
			}
			opt.Mapping = m
		}
		t, err := energy.LoadERT(f.ert, opt)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(os.Stderr, ertProvenance(t, f.ert, base.Name))
		return t, nil
	case f.energyTable != "":
		return energy.LoadTable(f.energyTable)
	case f.ertArt != "" || f.ertMapping != "":
		return nil, fmt.Errorf("--ert-art and --ert-mapping go with --ert")
	}
	t, err := energy.DefaultTable(f.node)
	if err != nil {
		return nil, fmt.Errorf("--node: %w", err)
	}
	return t, nil
}

// ertProvenance says which entries of a table imported over a base came from the ERT and which
// from the base: "energy table: from ERT.yaml: lane, cmp, k_sram (read_bit); from horowitz-45nm:
// be_unit, ..., k_sram (write_bit)". A component named once is wholly from that side.
func ertProvenance(t *energy.Table, ertFile, baseName string) string {
	fromERT := func(q energy.Quantity) bool { return strings.HasPrefix(q.Source, "Accelergy ERT ") }
	var ert, base []string
	for _, name := range slices.Sorted(maps.Keys(t.Components)) {
		var mine, theirs []string
		for _, a := range slices.Sorted(maps.Keys(t.Components[name].Actions)) {
			if fromERT(t.Components[name].Actions[a]) {
				mine = append(mine, a)
			} else {
				theirs = append(theirs, a)
			}
		}
		switch {
		case len(theirs) == 0:
			ert = append(ert, name)
		case len(mine) == 0:
			base = append(base, name)
		default:
			ert = append(ert, name+" ("+strings.Join(mine, ", ")+")")
			base = append(base, name+" ("+strings.Join(theirs, ", ")+")")
		}
	}
	none := func(l []string) string {
		if len(l) == 0 {
			return "nothing"
		}
		return strings.Join(l, ", ")
	}
	return fmt.Sprintf("energy table: from %s: %s; from %s: %s", filepath.Base(ertFile), none(ert), baseName, none(base))
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
