package main

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/tabulate"
)

type tableFlags struct {
	suiteFlags
	config string
}

// suiteFlags are the flags of the commands that simulate a suite of traces into one table
// (table, compare): output format and file, parallel jobs, engine and energy table.
type suiteFlags struct {
	format, out, engine string
	node, energyTable   string
	jobs                int
}

// add declares the flags; jobsHelp says what runs at once.
func (f *suiteFlags) add(fl *pflag.FlagSet, jobsHelp string) {
	fl.StringVarP(&f.format, "format", "f", "md", "output format: "+strings.Join(tabulate.Formats(), ", "))
	fl.StringVarP(&f.out, "out", "o", "", "write the table to this file (atomically) instead of standard output")
	fl.IntVarP(&f.jobs, "jobs", "j", 0, jobsHelp+" at once (0: one per CPU)")
	fl.StringVar(&f.engine, "engine", sim.EngineEvent, "simulation engine: event or reference")
	fl.StringVar(&f.node, "node", "45nm", "technology node of the built-in energy table")
	fl.StringVar(&f.energyTable, "energy", "", "energy and area table YAML (default: the built-in table of --node)")
}

// check refuses an unknown format or a negative --jobs and resolves --jobs 0 to one per CPU.
func (f *suiteFlags) check() error {
	if !validTableFormat(f.format) {
		return fmt.Errorf("--format: unknown format %q (expected %s)", f.format, strings.Join(tabulate.Formats(), ", "))
	}
	if err := checkEngineNode(f.engine, f.node); err != nil {
		return err
	}
	if f.jobs < 0 {
		return fmt.Errorf("--jobs: expected 0 (one per CPU) or more, got %d", f.jobs)
	}
	if f.jobs == 0 {
		f.jobs = runtime.GOMAXPROCS(0)
	}
	return nil
}

// newTableCmd is `lrpsim table [--format md|csv|latex] [--config FILE] [--out FILE] [--jobs N] TRACE...`.
func newTableCmd() *cobra.Command {
	var f tableFlags
	cmd := &cobra.Command{
		Use:   "table [TRACE...]",
		Short: "Tabulate pruning, lane steps, speedup and energy reduction over dense for a set of traces",
		Long: `table simulates the design and the dense baseline on every TRACE (a .npz file or bundled:NAME;
with none, every bundled real trace) and prints the paper-style table: a row per model and task with
the pruning rate, the mean lane steps per key, and the speedup and energy reduction over dense,
then the geometric means of speedup and energy reduction (arithmetic means of the rates) over
all rows, and, clearly labelled, what the LeOPArd paper reports. Formats: md (Markdown), csv,
latex (a booktabs tabular).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTable(cmd.OutOrStdout(), f, args)
		},
	}
	fl := cmd.Flags()
	f.add(fl, "traces simulated")
	fl.StringVarP(&f.config, "config", "c", "", "configuration YAML (overlays the default configs/leopard.yaml), or bundled:NAME for a bundled one")
	return cmd
}

func runTable(stdout io.Writer, f tableFlags, args []string) error {
	if err := f.check(); err != nil {
		return err
	}
	cfg, err := sim.LoadConfig(f.config)
	if err != nil {
		return err
	}
	table, err := loadEnergyTable(runFlags{node: f.node, energyTable: f.energyTable})
	if err != nil {
		return err
	}
	names := args
	if len(names) == 0 {
		names = tabulate.BundledNames()
	}
	rows, err := tabulate.Build(cfg, names, f.engine, table, f.jobs)
	if err != nil {
		return err
	}
	t := tabulate.Table{Rows: rows, Config: cfg.Name, EnergyTable: table.Name,
		DRAMDevicePJPerBit: cfg.Memory.DRAMDevicePJPerBit, DRAMInterfacePJPerBit: cfg.Memory.DRAMInterfacePJPerBit}
	if f.out != "" {
		return sim.WriteFileAtomic(f.out, func(w io.Writer) error { return t.Write(w, f.format) })
	}
	var buf bytes.Buffer
	if err := t.Write(&buf, f.format); err != nil {
		return err
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}

func validTableFormat(format string) bool {
	switch format {
	case "md", "markdown", "csv", "latex", "tex":
		return true
	}
	return false
}
