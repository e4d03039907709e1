package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lrpsim/lrpsim/sim/compare"
	"github.com/lrpsim/lrpsim/sim/figures"
)

// frontierFlags are the flags of plot frontier.
type frontierFlags struct {
	out     []string
	dir     string
	y       string
	family  string
	prefix  string
	budgets []string
}

// newPlotFrontierCmd is `lrpsim plot frontier --frontier DIR [--y speedup|onchip] [--budget B]... --out FILE`.
func newPlotFrontierCmd() *cobra.Command {
	var f frontierFlags
	cmd := &cobra.Command{
		Use:   "frontier --frontier DIR [--budget 0.2%]... --out FILE",
		Short: "Each design's operating points: speedup or on-chip energy reduction against metric loss",
		Long: `frontier reads the simulated operating points that lrpsim compare --budget --points-out wrote
(DIR/WORKLOAD.json, schema lrpsim-frontier/1) and draws, per design, the geometric mean over the
workloads of --y (speedup, or onchip: the on-chip energy reduction) at each knob value against the
mean test metric loss over the workloads, one curve per design; the points on the frontier of all
designs (none both less lossy and faster) ringed and joined; each --budget a vertical line. The
loss axis is logarithmic beyond 0.1%; --workloads keeps one family (a name prefix).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOuts(f.out); err != nil {
				return err
			}
			budgets, err := parseBudgets(f.budgets)
			if err != nil {
				return err
			}
			files, err := compare.ReadFrontier(f.dir)
			if err != nil {
				return fmt.Errorf("--frontier: %w", err)
			}
			if files, err = workloadsWith(files, f.prefix, f.dir); err != nil {
				return err
			}
			fig, err := figures.Frontier(files, f.y, f.family, budgets)
			if err != nil {
				return err
			}
			return saveFigure(fig, f.out)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.out, "out", "o", nil, "output file, .png or .svg (repeat the flag to write several)")
	fl.StringVar(&f.dir, "frontier", "results/frontier", "folder of simulated operating points (WORKLOAD.json, from lrpsim compare --budget --points-out)")
	fl.StringVar(&f.y, "y", "speedup", "what to draw against the loss: speedup or onchip (on-chip energy reduction)")
	fl.StringVar(&f.family, "family", "MemN2N / bAbI", "the workload family, for the title")
	fl.StringVar(&f.prefix, "workloads", "", "only the workloads whose name starts with this, e.g. memn2n- (one family a figure; default: all)")
	fl.StringArrayVar(&f.budgets, "budget", nil, "draw this metric-loss budget as a vertical line, e.g. 0.2% (repeatable)")
	return cmd
}

// workloadsWith keeps the files whose workload starts with prefix (all when it is empty); an
// error naming the folder and the prefix when none does.
func workloadsWith(files []compare.FrontierFile, prefix, dir string) ([]compare.FrontierFile, error) {
	if prefix == "" {
		return files, nil
	}
	var out []compare.FrontierFile
	for _, f := range files {
		if strings.HasPrefix(f.Workload, prefix) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--workloads %q: no workload of --frontier %s starts with it", prefix, dir)
	}
	return out, nil
}
