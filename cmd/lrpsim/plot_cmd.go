package main

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/internal/safeio"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/figures"
	"github.com/lrpsim/lrpsim/sim/sweep"
	"github.com/lrpsim/lrpsim/sim/tabulate"
	"github.com/lrpsim/lrpsim/sim/waterfall"
	"github.com/lrpsim/lrpsim/traces/data"
)

// plotFlags are the flags the plot subcommands share.
type plotFlags struct {
	configFlags
	out                      []string
	engine                   string
	node, energyTable, trace string
	jobs                     int
	csv, x, y                string
	group                    []string
	logx                     bool
	title, xlabel, ylabel    string
}

// newPlotCmd is `lrpsim plot bars|bound|steps|energy|sweep|waterfall ... --out FILE`.
func newPlotCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plot",
		Short: "Draw figures (PNG or SVG): speedup and energy bars, termination steps, energy breakdown, sweeps",
		Long: `plot draws a figure with gonum/plot and writes it to every --out file, as PNG or SVG by the
file's extension (atomically; on any error no file is written):

  lrpsim plot bars   --out bars.png [TRACE...]        speedup and energy reduction over dense per task, with the geomean
  lrpsim plot bound  --out bound.png [TRACE...]       what bounds each trace's run: unit-cycles by cause
  lrpsim plot steps  --trace T --out steps.svg        the termination-step histogram of one trace
  lrpsim plot energy --trace T --out energy.png       energy by component, design and each baseline
  lrpsim plot sweep  --csv sweep.csv --x front_end.lanes --y speedup_dense --out sweep.png
  lrpsim plot waterfall --out w.md --out w.svg [TRACE...]   the headline decomposed, step by step`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unknown figure %q (expected bars, bound, steps, energy, sweep or waterfall)", args[0])
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newPlotBarsCmd(), newPlotBoundCmd(), newPlotStepsCmd(), newPlotEnergyCmd(), newPlotSweepCmd(), newPlotWaterfallCmd(), newPlotFrontierCmd())
	return cmd
}

func addOutFlag(fl *pflag.FlagSet, f *plotFlags) {
	fl.StringArrayVarP(&f.out, "out", "o", nil, "output file, .png or .svg (repeat the flag to write several)")
}

func addSimFlags(fl *pflag.FlagSet, f *plotFlags) {
	f.configFlags.add(fl, configHelp)
	fl.StringVar(&f.engine, "engine", sim.EngineEvent, "simulation engine: event or reference")
	fl.StringVar(&f.node, "node", "45nm", "technology node of the built-in energy table")
	fl.StringVar(&f.energyTable, "energy", "", "energy and area table YAML (default: the built-in table of --node)")
}

// checkOuts validates the output files before any work: at least one, each .png or .svg.
func checkOuts(outs []string) error {
	if len(outs) == 0 {
		return errors.New("--out: expected an output file (.png or .svg)")
	}
	for _, o := range outs {
		if _, err := figures.FormatOf(o); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	return nil
}

// saveFigure renders every output before writing any, then writes each atomically.
func saveFigure(fig figures.Figure, outs []string) error {
	rendered := make([][]byte, len(outs))
	for i, o := range outs {
		format, err := figures.FormatOf(o)
		if err != nil {
			return err
		}
		if rendered[i], err = fig.Render(format); err != nil {
			return fmt.Errorf("%s: %w", o, err)
		}
	}
	files := make([]sim.Output, len(outs))
	for i, o := range outs {
		files[i] = sim.Output{Path: o, Data: rendered[i]}
	}
	return sim.WriteOutputs(files...)
}

// plotTraces is the traces of plot bars when none is given: the bundled real traces in natural
// order (babi-qa2 before babi-qa10).
func plotTraces() []string {
	names := tabulate.BundledNames()
	slices.SortFunc(names, data.NaturalCompare)
	return names
}

// simSetup loads the config and the energy table of the plot flags.
func (f plotFlags) simSetup() (*sim.Config, *energy.Table, error) {
	if err := checkEngineNode(f.engine, f.node); err != nil {
		return nil, nil, err
	}
	cfg, err := f.open()
	if err != nil {
		return nil, nil, err
	}
	table, err := loadEnergyTable(runFlags{node: f.node, energyTable: f.energyTable})
	if err != nil {
		return nil, nil, err
	}
	return cfg, table, nil
}

func newPlotBarsCmd() *cobra.Command {
	return newPlotRowsCmd("bars", "Speedup and energy reduction over dense per task, with their geometric means",
		`bars simulates the design and the dense baseline on every TRACE (with none, every bundled
trace) and draws the speedup and the energy reduction over dense as a pair of bars per task, the
geometric means as the last pair, and a dashed line at 1x.`, figures.Bars)
}

func newPlotBoundCmd() *cobra.Command {
	return newPlotRowsCmd("bound", "What bounds each trace's run: the design's unit-cycles by cause, stacked",
		`bound simulates the design (and the dense baseline) on every TRACE (with none, every bundled
trace) and draws, per trace, the share of the design's unit-cycles that went to each cause: front-end
lanes, back end, DRAM bandwidth, DRAM latency, buffers and idle units (arch/README.md, "What
bounds a run").`, figures.Bound)
}

// newPlotRowsCmd is a figure of table rows: every TRACE (or every bundled one) simulated with its
// dense baseline, then drawn by draw.
func newPlotRowsCmd(name, short, long string, draw func([]tabulate.Row) (figures.Figure, error)) *cobra.Command {
	var f plotFlags
	cmd := &cobra.Command{
		Use:   name + " --out FILE [TRACE...]",
		Short: short,
		Long:  long,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOuts(f.out); err != nil {
				return err
			}
			if f.jobs < 0 {
				return fmt.Errorf("--jobs: expected 0 (one per CPU) or more, got %d", f.jobs)
			}
			cfg, table, err := f.simSetup()
			if err != nil {
				return err
			}
			names := args
			if len(names) == 0 {
				names = plotTraces()
			}
			jobs := f.jobs
			if jobs == 0 {
				jobs = runtime.GOMAXPROCS(0)
			}
			rows, err := tabulate.Build(cfg, names, f.engine, table, jobs)
			if err != nil {
				return err
			}
			fig, err := draw(rows)
			if err != nil {
				return err
			}
			return saveFigure(fig, f.out)
		},
	}
	addOutFlag(cmd.Flags(), &f)
	addSimFlags(cmd.Flags(), &f)
	cmd.Flags().IntVarP(&f.jobs, "jobs", "j", 0, "traces simulated at once (0: one per CPU)")
	return cmd
}

// simulateOne runs the design and the config's baselines on one trace for steps and energy.
func (f plotFlags) simulateOne() (*sim.Result, error) {
	cfg, table, err := f.simSetup()
	if err != nil {
		return nil, err
	}
	res, _, err := tabulate.Simulate(cfg, f.trace, f.engine, table)
	return res, err
}

func newPlotStepsCmd() *cobra.Command {
	return newPlotOneTraceCmd("steps",
		"Histogram of the lane step at which each key was decided, pruned keys and survivors", figures.Steps)
}

func newPlotEnergyCmd() *cobra.Command {
	return newPlotOneTraceCmd("energy",
		"Energy by component of the design and each baseline, as stacked bars", figures.EnergyBreakdown)
}

// newPlotOneTraceCmd is a figure drawn from the simulation of one trace with its baselines.
func newPlotOneTraceCmd(kind, short string, draw func(*sim.Result) (figures.Figure, error)) *cobra.Command {
	var f plotFlags
	cmd := &cobra.Command{
		Use:   kind + " [--trace T] --out FILE",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOuts(f.out); err != nil {
				return err
			}
			res, err := f.simulateOne()
			if err != nil {
				return err
			}
			fig, err := draw(res)
			if err != nil {
				return err
			}
			return saveFigure(fig, f.out)
		},
	}
	addOutFlag(cmd.Flags(), &f)
	addSimFlags(cmd.Flags(), &f)
	cmd.Flags().StringVarP(&f.trace, "trace", "t", "", "trace .npz file, or bundled:NAME (default: the bundled default trace)")
	return cmd
}

func newPlotSweepCmd() *cobra.Command {
	var f plotFlags
	cmd := &cobra.Command{
		Use:   "sweep --csv FILE --x COLUMN --y COLUMN --out FILE",
		Short: "A metric against a swept parameter, from the CSV of lrpsim sweep, one line per trace",
		Long: `sweep reads a tidy sweep CSV (a header line, then one row per point and trace) and draws the
--y column against the --x column, one line per value of the --group columns (default: the trace
and every other swept key, as listed in the manifest beside the CSV, FILE.json; without one, the
trace). Columns are found by name, so any CSV with a header works. Numeric x gets
a tick at every swept value; non-numeric x (e.g. front_end.scheduling) is drawn as categories.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOuts(f.out); err != nil {
				return err
			}
			if f.csv == "" || f.x == "" || f.y == "" {
				return errors.New("--csv, --x and --y are required")
			}
			file, _, err := safeio.Open(f.csv, "a sweep CSV")
			if err != nil {
				return fmt.Errorf("--csv: %w", err)
			}
			defer file.Close()
			sd, err := figures.ReadSweepCSV(file, f.csv)
			if err != nil {
				return err
			}
			opt := figures.SweepOptions{X: f.x, Y: f.y, LogX: f.logx, Title: f.title, XLabel: f.xlabel, YLabel: f.ylabel}
			if cmd.Flags().Changed("group") {
				opt.Group = []string{}
				for _, g := range f.group {
					if g = strings.TrimSpace(g); g != "" {
						opt.Group = append(opt.Group, g)
					}
				}
			} else {
				opt.Keys = sweep.SweptKeys(f.csv)
			}
			fig, err := figures.Sweep(sd, opt)
			if err != nil {
				return err
			}
			return saveFigure(fig, f.out)
		},
	}
	fl := cmd.Flags()
	addOutFlag(fl, &f)
	fl.StringVar(&f.csv, "csv", "", "sweep CSV with a header line (from lrpsim sweep)")
	fl.StringVar(&f.x, "x", "", "column of the swept parameter, e.g. front_end.lanes")
	fl.StringVar(&f.y, "y", "", "column of the metric, e.g. speedup_dense, energy_reduction_dense, cycles")
	fl.StringSliceVar(&f.group, "group", nil, `columns whose values make one line each (default: trace; "" for one line)`)
	fl.BoolVar(&f.logx, "logx", false, "logarithmic x axis")
	fl.StringVar(&f.title, "title", "", "figure title (default: generated)")
	fl.StringVar(&f.xlabel, "xlabel", "", "x axis label (default: the x column)")
	fl.StringVar(&f.ylabel, "ylabel", "", "y axis label (default: the metric with its unit)")
	return cmd
}

// waterfallFlags are the flags of plot waterfall: the plot flags less --config, whose place the
// steps take.
type waterfallFlags struct {
	out, steps          []string
	engine, node, table string
	jobs                int
}

func newPlotWaterfallCmd() *cobra.Command {
	var f waterfallFlags
	cmd := &cobra.Command{
		Use:   "waterfall --out FILE [--step CONFIG...] [TRACE...]",
		Short: "The headline decomposed: speedup and on-chip energy over dense as each assumption is added",
		Long: `waterfall simulates the design and the dense baseline on every TRACE (with none, the suite of
bundled real traces that lrpsim table uses) under each --step config in turn (default: the YAML
files of configs/waterfall/ in name order, then configs/leopard.yaml, read from the repository
root: configs/waterfall/README.md says what each adds), and writes, by each --out file's
extension, the table (.md or .csv: per family and for the suite, the geometric-mean speedup and
on-chip energy reduction at each step) or the figure (.png or .svg: the speedup of each family
and of the suite at each step). Every output is rendered before any is written, atomically.`,
		RunE: func(cmd *cobra.Command, args []string) error { return runPlotWaterfall(f, args) },
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.out, "out", "o", nil, "output file: .md or .csv (the table), .png or .svg (the figure); repeat to write several")
	fl.StringArrayVar(&f.steps, "step", nil, "a step's config file, in order (repeat; default: configs/waterfall/*.yaml, then configs/leopard.yaml)")
	fl.StringVar(&f.engine, "engine", sim.EngineEvent, "simulation engine: event or reference")
	fl.StringVar(&f.node, "node", "45nm", "technology node of the built-in energy table")
	fl.StringVar(&f.table, "energy", "", "energy and area table YAML (default: the built-in table of --node)")
	fl.IntVarP(&f.jobs, "jobs", "j", 0, "traces simulated at once (0: one per CPU)")
	return cmd
}

// waterfallFormat is the format of a waterfall output by its extension: md, csv, png or svg.
func waterfallFormat(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".md", ".csv":
		return ext[1:], nil
	}
	if format, err := figures.FormatOf(path); err == nil {
		return format, nil
	}
	return "", fmt.Errorf("--out: %s: expected a .md, .csv, .png or .svg file", path)
}

func runPlotWaterfall(f waterfallFlags, args []string) error {
	if len(f.out) == 0 {
		return errors.New("--out: expected an output file (.md, .csv, .png or .svg)")
	}
	for _, o := range f.out {
		if _, err := waterfallFormat(o); err != nil {
			return err
		}
	}
	if err := checkEngineNode(f.engine, f.node); err != nil {
		return err
	}
	if f.jobs < 0 {
		return fmt.Errorf("--jobs: expected 0 (one per CPU) or more, got %d", f.jobs)
	}
	table, err := loadEnergyTable(runFlags{node: f.node, energyTable: f.table})
	if err != nil {
		return err
	}
	steps := f.steps
	if len(steps) == 0 {
		if steps, err = waterfall.DefaultSteps("."); err != nil {
			return err
		}
	}
	names := args
	if len(names) == 0 {
		names = tabulate.BundledNames()
	}
	jobs := f.jobs
	if jobs == 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	w, err := waterfall.Run(steps, names, f.engine, table, jobs)
	if err != nil {
		return err
	}
	return writeWaterfall(w, f.out)
}

// writeWaterfall renders every output of w, then writes them all atomically.
func writeWaterfall(w *waterfall.Waterfall, outs []string) error {
	files := make([]sim.Output, len(outs))
	for i, o := range outs {
		format, _ := waterfallFormat(o)
		var buf bytes.Buffer
		switch format {
		case "md", "csv":
			if err := w.Write(&buf, format); err != nil {
				return fmt.Errorf("%s: %w", o, err)
			}
		default:
			fig, err := figures.Waterfall(w)
			if err != nil {
				return err
			}
			data, err := fig.Render(format)
			if err != nil {
				return fmt.Errorf("%s: %w", o, err)
			}
			buf.Write(data)
		}
		files[i] = sim.Output{Path: o, Data: buf.Bytes()}
	}
	return sim.WriteOutputs(files...)
}
