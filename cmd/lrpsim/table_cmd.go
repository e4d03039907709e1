package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/tabulate"
)

type tableFlags struct {
	suiteFlags
	configFlags
}

// suiteFlags are the flags of the commands that simulate a suite of traces into one table
// (table, compare): output format and file, parallel jobs, engine and energy table.
type suiteFlags struct {
	format, out, engine string
	node, energyTable   string
	jobs                int
	// width is the line width of the text format: $COLUMNS, else tabulate.DefaultWidth.
	width int
}

// add declares the flags; jobsHelp says what runs at once.
func (f *suiteFlags) add(fl *pflag.FlagSet, jobsHelp string) {
	fl.StringVarP(&f.format, "format", "f", "", "output format: "+strings.Join(tabulate.Formats(), ", ")+
		" (default: text, aligned within $COLUMNS or 100 columns; with --out, the file's: .md md, .csv csv, .tex latex, .txt text, else md)")
	fl.StringVarP(&f.out, "out", "o", "", "write the table to this file (atomically) instead of standard output")
	fl.IntVarP(&f.jobs, "jobs", "j", 0, jobsHelp+" at once (0: one per CPU)")
	fl.StringVar(&f.engine, "engine", sim.EngineEvent, "simulation engine: event or reference")
	fl.StringVar(&f.node, "node", "45nm", "technology node of the built-in energy table")
	fl.StringVar(&f.energyTable, "energy", "", "energy and area table YAML (default: the built-in table of --node)")
}

// check refuses an unknown format, engine or node or a negative --jobs, resolves --jobs 0 to
// one per CPU and picks the default format: text on standard output, and for --out the
// format of the file's extension (Markdown where it has none of them, as before text existed).
func (f *suiteFlags) check() error {
	if f.format == "" {
		f.format = defaultFormat(f.out)
	}
	f.width = textWidth(os.Getenv("COLUMNS"))
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

// newTableCmd is `lrpsim table [--format text|md|csv|latex] [--config FILE] [--out FILE] [--jobs N] TRACE...`.
func newTableCmd() *cobra.Command {
	var f tableFlags
	cmd := &cobra.Command{
		Use:   "table [TRACE...]",
		Short: "Tabulate pruning, lane steps, speedup and energy reduction over dense for a set of traces",
		Long: `table simulates the design and the dense baseline on every TRACE (a .npz file or bundled:NAME;
with none, every bundled real trace) and prints the paper-style table: a row per model and task with
the pruning rate, the mean lane steps per key, and the speedup and energy reduction over dense,
then the geometric means of speedup and energy reduction (arithmetic means of the rates) over
all rows, and, clearly labelled, what the LeOPArd paper reports. Formats: text (the default on
standard output: aligned columns within $COLUMNS or 100 columns, cut into panels that each
repeat the trace), md (Markdown), csv, latex (a booktabs tabular); --out picks the format of
its extension unless --format is given.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTable(cmd.OutOrStdout(), f, args)
		},
	}
	fl := cmd.Flags()
	f.suiteFlags.add(fl, "traces simulated")
	f.configFlags.add(fl, configHelp)
	return cmd
}

func runTable(stdout io.Writer, f tableFlags, args []string) error {
	if err := f.check(); err != nil {
		return err
	}
	cfg, err := f.open()
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
		DRAMDevicePJPerBit: cfg.Memory.DRAMDevicePJPerBit, DRAMInterfacePJPerBit: cfg.Memory.DRAMInterfacePJPerBit, Width: f.width}
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

// defaultFormat is the format of a table written to out ("": standard output) when --format
// is not given.
func defaultFormat(out string) string {
	if out == "" || out == "-" {
		return "text"
	}
	switch strings.ToLower(filepath.Ext(out)) {
	case ".csv":
		return "csv"
	case ".tex":
		return "latex"
	case ".txt":
		return "text"
	}
	return "md"
}

// textWidth is the line width of the text format: columns ($COLUMNS) where it is a width a
// table fits in, else tabulate.DefaultWidth.
func textWidth(columns string) int {
	if n, err := strconv.Atoi(strings.TrimSpace(columns)); err == nil && n >= 40 {
		return n
	}
	return tabulate.DefaultWidth
}

func validTableFormat(format string) bool {
	switch format {
	case "text", "md", "markdown", "csv", "latex", "tex":
		return true
	}
	return false
}
