package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/compare"
	"github.com/lrpsim/lrpsim/sim/figures"
	"github.com/lrpsim/lrpsim/sim/tabulate"
	"github.com/lrpsim/lrpsim/traces/data"
)

type compareFlags struct {
	suiteFlags
	figures    []string
	configs    []string
	sets       []string
	closedLoop string
	isoArea    bool
	budgets    []string
	frontier   string
	pointsOut  string
	summaryOut string
}

// defaultCompareConfigs are the designs compared when --config is not given: LeOPArd first (the
// iso-area reference), then every bundled configs/policies/ file by name (row-relative before
// row-relative-spec), so a new pruning rule's config joins without an edit here.
var defaultCompareConfigs = func() []string {
	var names []string
	for _, name := range sim.BundledConfigNames() {
		if strings.HasPrefix(name, "policies/") {
			names = append(names, strings.TrimSuffix(name, ".yaml"))
		}
	}
	slices.Sort(names)
	out := []string{sim.BundledPrefix + "leopard.yaml"}
	for _, name := range names {
		out = append(out, sim.BundledPrefix+name+".yaml")
	}
	return out
}()

// defaultClosedLoop is --closed-loop's default, the folder of the committed results, relative to
// the repository's root.
const defaultClosedLoop = "results/closed-loop"

// checkClosedLoop refuses a --closed-loop folder that is not there: given on the command line
// (given), it must be a folder; the default may be missing (lrpsim run outside the repository),
// which leaves every metric n/a.
func checkClosedLoop(dir string, given bool) error {
	if !given || dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--closed-loop %s: expected a folder of closed-loop results (WORKLOAD.json): %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("--closed-loop %s: expected a folder of closed-loop results (WORKLOAD.json), got a file", dir)
	}
	return nil
}

// newCompareCmd is `lrpsim compare [--config FILE]... [--iso-area] [--format text|md|csv|latex] TRACE...`.
func newCompareCmd() *cobra.Command {
	var f compareFlags
	cmd := &cobra.Command{
		Use:   "compare [TRACE...]",
		Short: "Compare runtime pruning rules (LeOPArd, row-relative, Sanger, SpAtten) on one substrate",
		Long: `compare replays each design (a config and its pruning rule, arch/POLICIES.md) on every TRACE (a
.npz file or bundled:NAME; with none, every bundled real trace) against the same dense baseline, and
prints per workload and design: the pruning rate, the speedup and the energy reduction (total and
on-chip), the drops checked against the trace's exact scores (false drops, dropped softmax mass,
output error), and the closed-loop task metric from --closed-loop; then one line per design over
all workloads. A training-free rule replays the dense model's trace (NAME-dense) where it exists.
--iso-area gives each design as many units as fit the first design's area. Formats: text (the
default on standard output: aligned columns within $COLUMNS or 100 columns, cut into panels that
each repeat the workload and design), md, csv, latex; --out picks the format of its extension
unless --format is given; --figure draws the per-design geometric means.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkClosedLoop(f.closedLoop, cmd.Flags().Changed("closed-loop")); err != nil {
				return err
			}
			return runCompare(cmd.OutOrStdout(), f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVarP(&f.configs, "config", "c", nil, "design configs to compare, in order (default: configs/leopard.yaml and configs/policies/*; bundled:NAME for a bundled one)")
	addSetFlag(fl, &f.sets)
	f.add(fl, "simulations")
	fl.StringSliceVar(&f.figures, "figure", nil, "also draw the per-design figure to this .png or .svg file (repeatable)")
	fl.StringVar(&f.closedLoop, "closed-loop", defaultClosedLoop, "folder of the exporter's closed-loop results (WORKLOAD.json); a workload without a file has the metric n/a, and a folder given that does not exist is an error")
	fl.BoolVar(&f.isoArea, "iso-area", false, "size each design's units to the first design's area")
	fl.StringArrayVar(&f.budgets, "budget", nil, "compare the designs at equal metric loss: per workload the fastest operating point whose validation metric loss is within this budget, a percentage in the metric's unit such as 0.2% (repeatable; reads --frontier)")
	fl.StringVar(&f.frontier, "frontier", defaultFrontier, "with --budget: folder of the closed-loop operating points (WORKLOAD.json, schema lrpsim-frontier-closed-loop/1)")
	fl.StringVar(&f.pointsOut, "points-out", "", "with --budget: also write every simulated operating point to this folder (WORKLOAD.json, schema lrpsim-frontier/1)")
	fl.StringVar(&f.summaryOut, "summary-out", "", "with --budget: also write the designs ranked per budget and the first design at the paper's 0.2% (Markdown, which README.md quotes)")
	return cmd
}

func runCompare(stdout io.Writer, f compareFlags, args []string) error {
	if err := f.check(); err != nil {
		return err
	}
	if len(f.budgets) == 0 && (f.pointsOut != "" || f.summaryOut != "") {
		return fmt.Errorf("--points-out and --summary-out: expected --budget as well (the operating points are simulated for the budgets)")
	}
	for _, fig := range f.figures {
		if _, err := figures.FormatOf(fig); err != nil {
			return fmt.Errorf("--figure: %w", err)
		}
	}
	paths := f.configs
	if len(paths) == 0 {
		paths = defaultCompareConfigs
	}
	var cfgs []*sim.Config
	seen := map[string]string{}
	for _, p := range paths {
		cfg, err := sim.OpenConfig(p, f.sets)
		if err != nil {
			return err
		}
		if prev, ok := seen[cfg.Name]; ok {
			return fmt.Errorf("--config: %s and %s are both named %q: each design needs its own name", prev, p, cfg.Name)
		}
		seen[cfg.Name] = p
		cfgs = append(cfgs, cfg)
	}
	table, err := loadEnergyTable(runFlags{node: f.node, energyTable: f.energyTable})
	if err != nil {
		return err
	}
	if len(f.budgets) > 0 {
		return runBudgets(stdout, f, cfgs, table, args)
	}
	names := args
	if len(names) == 0 {
		names = tabulate.BundledNames() // the dense models' traces are their partners, not workloads
	}
	rows, err := compare.Build(cfgs, names, compare.Options{Engine: f.engine, Table: table, Jobs: f.jobs,
		ClosedLoop: f.closedLoop, IsoArea: f.isoArea})
	if err != nil {
		return err
	}
	t := compare.Table{Rows: rows, EnergyTable: table.Name, IsoArea: f.isoArea, Width: f.width}
	var buf bytes.Buffer
	if err := t.Write(&buf, f.format); err != nil {
		return err
	}
	if len(f.figures) > 0 {
		fig, err := figures.Compare(compare.Summarize(rows))
		if err != nil {
			return err
		}
		for _, path := range f.figures {
			if err := fig.Save(path); err != nil {
				return err
			}
		}
	}
	if f.out != "" {
		return sim.WriteFileAtomic(f.out, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err })
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}

// defaultFrontier is --frontier's default: the committed closed-loop operating points, relative
// to the repository's root (results/frontier/regen.sh makes them).
const defaultFrontier = "results/frontier/closed-loop"

// parseBudgets reads every --budget, in the order given, each once.
func parseBudgets(in []string) ([]float64, error) {
	var out []float64
	for _, s := range in {
		b, err := compare.ParseBudget(s)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, b) {
			return nil, fmt.Errorf("--budget %q: given twice: expected each budget once", s)
		}
		out = append(out, b)
	}
	return out, nil
}

// runBudgets is compare --budget: every design's operating points (--frontier) simulated, the
// fastest within each budget chosen on the validation split, and the table of the choices.
// TRACE arguments, when given, keep only those workloads.
func runBudgets(stdout io.Writer, f compareFlags, cfgs []*sim.Config, table *energy.Table, args []string) error {
	budgets, err := parseBudgets(f.budgets)
	if err != nil {
		return err
	}
	if len(f.figures) > 0 {
		return fmt.Errorf("--figure: not with --budget (lrpsim plot frontier draws the operating points)")
	}
	for _, c := range cfgs {
		if c.OperatingPoints.Knob == "" {
			return fmt.Errorf("--budget: config %s has no operating_points grid: expected a knob and values (configs/policies/*.yaml)", c.Name)
		}
	}
	var keep []string
	for _, a := range args {
		keep = append(keep, strings.TrimSuffix(filepath.Base(strings.TrimPrefix(a, data.BundledPrefix)), ".npz"))
	}
	files, err := compare.ReadPoints(f.frontier, keep)
	if err != nil {
		return err
	}
	var notSwept []string // the suite's workloads without operating points, named in the table
	if len(args) == 0 {
		for _, n := range tabulate.BundledNames() {
			base := strings.TrimSuffix(strings.TrimPrefix(n, data.BundledPrefix), ".npz")
			if !slices.ContainsFunc(files, func(p *compare.PointsFile) bool { return p.Workload == base }) {
				notSwept = append(notSwept, base)
			}
		}
	}
	pts, err := compare.Frontier(cfgs, files, compare.Options{Engine: f.engine, Table: table, Jobs: f.jobs, IsoArea: f.isoArea})
	if err != nil {
		return err
	}
	var designs []string
	for _, c := range cfgs {
		designs = append(designs, c.Name)
	}
	choices, sums := compare.Budgets(pts, designs, budgets)
	t := compare.BudgetTable{Choices: choices, Summaries: sums, EnergyTable: table.Name, IsoArea: f.isoArea, Width: f.width,
		NotSwept: notSwept}
	var buf bytes.Buffer
	if err := t.Write(&buf, f.format); err != nil {
		return err
	}
	if f.summaryOut != "" {
		if err := sim.WriteFileAtomic(f.summaryOut, t.Summary); err != nil {
			return err
		}
	}
	if f.pointsOut != "" {
		if err := compare.WriteFrontier(f.pointsOut, pts, table.Name, f.isoArea); err != nil {
			return err
		}
	}
	if f.out != "" {
		return sim.WriteFileAtomic(f.out, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err })
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}
