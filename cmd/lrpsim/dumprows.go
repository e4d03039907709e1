package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/rtl"
	"github.com/lrpsim/lrpsim/sim"
)

// newTraceDumpRowsCmd is `lrpsim trace dump-rows TRACE --layer L --head H --rows ...`.
func newTraceDumpRowsCmd() *cobra.Command {
	var (
		config, rowSpec, roomSpec, out string
		input, layer, head, gap        int
		p                              rtl.Params
		scheduling                     string
	)
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
			cfg, err := sim.LoadConfig(config)
			if err != nil {
				return err
			}
			fe := cfg.FrontEnd
			fl := cmd.Flags()
			if !fl.Changed("lanes") {
				p.Lanes = fe.Lanes
			}
			if !fl.Changed("bits-per-cycle") {
				p.BitsPerCycle = fe.BitsPerCycle
			}
			if !fl.Changed("fill-cycles") {
				p.FillCycles = fe.FillCycles
			}
			if !fl.Changed("drain-cycles") {
				p.DrainCycles = fe.DrainCycles
			}
			if !fl.Changed("early-termination") {
				p.EarlyTermination = fe.EarlyTermination
			}
			if !fl.Changed("scheduling") {
				scheduling = fe.Scheduling.String()
			}
			if p.Scheduling, err = arch.ParsePolicy(scheduling); err != nil {
				return fmt.Errorf("--scheduling: %w", err)
			}
			room, err := parseIntList(roomSpec)
			if err != nil {
				return fmt.Errorf("--room: %w", err)
			}
			if gap < 0 {
				return fmt.Errorf("--gap: expected a count >= 0, got %d", gap)
			}

			r, err := openTrace(args[0]) // a file or bundled:NAME
			if err != nil {
				return err
			}
			defer r.Close()
			m := r.Meta()
			if input < 0 || input >= m.Inputs || layer < 0 || layer >= m.Layers || head < 0 || head >= m.Heads {
				return fmt.Errorf("%s: expected --input in [0, %d), --layer in [0, %d), --head in [0, %d), got %d, %d, %d",
					args[0], m.Inputs, m.Layers, m.Heads, input, layer, head)
			}
			h, err := r.Head(r.HeadIndex(input, layer, head))
			if err != nil {
				return err
			}
			rows, err := parseRows(rowSpec, h.N)
			if err != nil {
				return fmt.Errorf("--rows: %w", err)
			}
			tasks, err := rtl.RowsFromHead(h, rows)
			if err != nil {
				return err
			}
			for i := range tasks {
				tasks[i].Gap, tasks[i].Room = gap, room
			}
			var buf bytes.Buffer
			if err := rtl.WriteRows(&buf, rtl.ParamsForHead(p, h), tasks); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if out == "" || out == "-" {
				_, err := cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("writing the rows file: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&config, "config", "c", "", "configuration YAML (overlays the default configs/leopard.yaml), or bundled:NAME for a bundled one")
	f.IntVar(&input, "input", 0, "input b of the head")
	f.IntVar(&layer, "layer", 0, "layer l of the head")
	f.IntVar(&head, "head", 0, "head h within the layer")
	f.StringVar(&rowSpec, "rows", "0", `query rows: a comma-separated list of rows and ranges A-B, or "all"`)
	f.IntVar(&p.Lanes, "lanes", 0, "lanes of the unit (default: front_end.lanes of the config)")
	f.IntVar(&p.BitsPerCycle, "bits-per-cycle", 0, "K bit-planes per lane step (default: front_end.bits_per_cycle)")
	f.IntVar(&p.FillCycles, "fill-cycles", 0, "fill cycles of a row task (default: front_end.fill_cycles)")
	f.IntVar(&p.DrainCycles, "drain-cycles", 0, "drain cycles of a row task (default: front_end.drain_cycles)")
	f.BoolVar(&p.EarlyTermination, "early-termination", false, "bit-level early termination (default: front_end.early_termination)")
	f.StringVar(&scheduling, "scheduling", "", "lane scheduling, dynamic or lockstep (default: front_end.scheduling)")
	f.StringVar(&roomSpec, "room", "", "room pattern of every row, comma-separated (default: room for everything)")
	f.IntVar(&gap, "gap", 0, "idle cycles before each row task")
	f.StringVarP(&out, "out", "o", "", "output file (default: standard output)")
	return cmd
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
