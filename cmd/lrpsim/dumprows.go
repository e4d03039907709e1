package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/rtl"
	"github.com/lrpsim/lrpsim/sim"
)

// dumpRowsFlags are the flags of trace dump-rows.
type dumpRowsFlags struct {
	configFlags
	rowSpec, roomSpec, out string
	input, layer, head     int
	gap                    int
	p                      rtl.Params
	scheduling             string
}

// newTraceDumpRowsCmd is `lrpsim trace dump-rows TRACE --layer L --head H --rows ...`.
func newTraceDumpRowsCmd() *cobra.Command {
	var f dumpRowsFlags
	cmd := &cobra.Command{
		Use:   "dump-rows TRACE --layer L --head H --rows ROWS",
		Short: "Write query rows of a trace head as row tasks for the RTL test bench",
		Long: `dump-rows writes query rows of one head of a trace in the text format that the RTL
test bench rtl/tb_fe_unit.v reads (rtl/README.md): the front-end parameters, then per row the
integer threshold T, Q+, the query, the allowed keys with their values, the last-task flag, a
gap and a back-pressure pattern. The front-end parameters come from the config (default
configs/leopard.yaml) and the flags; d and the operand widths come from the trace. Every row is
one task holding all its allowed keys, so every task is its row's last.

ROWS is a comma-separated list of rows and ranges, e.g. 0,3,8-15, or "all". --room gives the
room pattern of every row: how many entries the survivor FIFO accepts in the task's first,
second, ... cycle, the last value repeating (empty: room for everything).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDumpRows(cmd, f, args[0])
		},
	}
	fl := cmd.Flags()
	f.add(fl, configHelp)
	fl.IntVar(&f.input, "input", 0, "input b of the head")
	fl.IntVar(&f.layer, "layer", 0, "layer l of the head")
	fl.IntVar(&f.head, "head", 0, "head h within the layer")
	fl.StringVar(&f.rowSpec, "rows", "0", `query rows: a comma-separated list of rows and ranges A-B, or "all"`)
	fl.IntVar(&f.p.Lanes, "lanes", 0, "lanes of the unit (default: front_end.lanes of the config)")
	fl.IntVar(&f.p.BitsPerCycle, "bits-per-cycle", 0, "K bit-planes per lane step (default: front_end.bits_per_cycle)")
	fl.IntVar(&f.p.FillCycles, "fill-cycles", 0, "fill cycles of a row task (default: front_end.fill_cycles)")
	fl.IntVar(&f.p.DrainCycles, "drain-cycles", 0, "drain cycles of a row task (default: front_end.drain_cycles)")
	fl.BoolVar(&f.p.EarlyTermination, "early-termination", false, "bit-level early termination (default: front_end.early_termination)")
	fl.StringVar(&f.scheduling, "scheduling", "", "lane scheduling, dynamic or lockstep (default: front_end.scheduling)")
	fl.StringVar(&f.roomSpec, "room", "", "room pattern of every row, comma-separated (default: room for everything)")
	fl.IntVar(&f.gap, "gap", 0, "idle cycles before each row task")
	fl.StringVarP(&f.out, "out", "o", "", "output file (default: standard output)")
	return cmd
}

// runDumpRows writes the row tasks of the flags' head of trace, to --out (atomically) or
// standard output.
func runDumpRows(cmd *cobra.Command, f dumpRowsFlags, trace string) error {
	p, err := f.params(cmd.Flags())
	if err != nil {
		return err
	}
	room, err := parseIntList(f.roomSpec)
	if err != nil {
		return fmt.Errorf("--room: %w", err)
	}
	if f.gap < 0 {
		return fmt.Errorf("--gap: expected a count >= 0, got %d", f.gap)
	}
	r, err := openTrace(trace) // a file or bundled:NAME
	if err != nil {
		return err
	}
	defer r.Close()
	m := r.Meta()
	if f.input < 0 || f.input >= m.Inputs || f.layer < 0 || f.layer >= m.Layers || f.head < 0 || f.head >= m.Heads {
		return fmt.Errorf("%s: expected --input in [0, %d), --layer in [0, %d), --head in [0, %d), got %d, %d, %d",
			trace, m.Inputs, m.Layers, m.Heads, f.input, f.layer, f.head)
	}
	h, err := r.Head(r.HeadIndex(f.input, f.layer, f.head))
	if err != nil {
		return err
	}
	rows, err := parseRows(f.rowSpec, h.N)
	if err != nil {
		return fmt.Errorf("--rows: %w", err)
	}
	tasks, err := rtl.RowsFromHead(h, rows)
	if err != nil {
		return err
	}
	for i := range tasks {
		tasks[i].Gap, tasks[i].Room = f.gap, room
	}
	var buf bytes.Buffer
	if err := rtl.WriteRows(&buf, rtl.ParamsForHead(p, h), tasks); err != nil {
		return fmt.Errorf("%s: %w", trace, err)
	}
	if f.out == "" || f.out == "-" {
		_, err := cmd.OutOrStdout().Write(buf.Bytes())
		return err
	}
	return sim.WriteOutputs(sim.Output{Path: f.out, Data: buf.Bytes()})
}

// params are the front-end parameters: each flag given, else the config's value.
func (f dumpRowsFlags) params(fl *pflag.FlagSet) (rtl.Params, error) {
	cfg, err := f.open()
	if err != nil {
		return rtl.Params{}, err
	}
	p, fe, scheduling := f.p, cfg.FrontEnd, f.scheduling
	for _, d := range []struct {
		flag string
		set  func()
	}{
		{"lanes", func() { p.Lanes = fe.Lanes }},
		{"bits-per-cycle", func() { p.BitsPerCycle = fe.BitsPerCycle }},
		{"fill-cycles", func() { p.FillCycles = fe.FillCycles }},
		{"drain-cycles", func() { p.DrainCycles = fe.DrainCycles }},
		{"early-termination", func() { p.EarlyTermination = fe.EarlyTermination }},
		{"scheduling", func() { scheduling = fe.Scheduling.String() }},
	} {
		if !fl.Changed(d.flag) {
			d.set()
		}
	}
	if p.Scheduling, err = arch.ParseLaneSchedule(scheduling); err != nil {
		return rtl.Params{}, fmt.Errorf("--scheduling: %w", err)
	}
	return p, nil
}

// parseRows reads a row list such as "0,3,8-15" or "all" for a head of n rows.
func parseRows(spec string, n int) ([]int, error) {
	if strings.TrimSpace(spec) == "all" {
		rows := make([]int, n)
		for i := range rows {
			rows[i] = i
		}
		return rows, nil
	}
	var rows []int
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("expected a row or a range A-B, got %q", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("expected a range A-B with A <= B, got %q", part)
			}
		}
		if a < 0 || b >= n {
			return nil, fmt.Errorf("row %q outside the head's rows [0, %d)", part, n)
		}
		for i := a; i <= b; i++ {
			rows = append(rows, i)
		}
	}
	return rows, nil
}

// parseIntList reads a comma-separated list of integers; the empty string is the empty list.
func parseIntList(spec string) ([]int, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(spec, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("expected integers separated by commas, got %q", part)
		}
		out = append(out, v)
	}
	return out, nil
}
