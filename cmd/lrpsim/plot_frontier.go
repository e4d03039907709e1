package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lrpsim/lrpsim/sim/compare"
	"github.com/lrpsim/lrpsim/sim/figures"
)

// frontierFlags are the flags of plot frontier.
type frontierFlags struct {
	out    []string
	dir    string
	y      string
	family string
	// prefixes: --workloads, each a name prefix; a workload is drawn when its name starts with any.
	prefixes []string
	budgets  []string
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
loss axis is in the workloads' metric's loss unit (accuracy points, 1 - cosine or the relative
perplexity rise, in percent), logarithmic beyond 0.1%; workloads of different metrics are refused.
--workloads keeps one family: the workloads whose name starts with the prefix, or with any of
several (repeat it, e.g. --workloads use-lite --workloads minilm-embed).`,
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
			if files, err = workloadsWith(files, f.prefixes, f.dir); err != nil {
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
	fl.StringArrayVar(&f.prefixes, "workloads", nil, "only the workloads whose name starts with this, e.g. memn2n- (repeatable: those that start with any; one family a figure, of one metric; default: all)")
	fl.StringArrayVar(&f.budgets, "budget", nil, "draw this metric-loss budget as a vertical line, e.g. 0.2% (repeatable)")
	return cmd
}

// workloadsWith keeps the files whose workload starts with any of prefixes (all when there are
// none), in the files' order; an error naming the folder and a prefix that no workload starts
// with.
func workloadsWith(files []compare.FrontierFile, prefixes []string, dir string) ([]compare.FrontierFile, error) {
	if len(prefixes) == 0 {
		return files, nil
	}
	for _, p := range prefixes {
		if !slices.ContainsFunc(files, func(f compare.FrontierFile) bool { return strings.HasPrefix(f.Workload, p) }) {
			return nil, fmt.Errorf("--workloads %q: no workload of --frontier %s starts with it", p, dir)
		}
	}
	var out []compare.FrontierFile
	for _, f := range files {
		if slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(f.Workload, p) }) {
			out = append(out, f)
		}
	}
	return out, nil
}
