package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lrpsim/lrpsim/internal/safeio"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/traces"
)

// runTraceInfo describes the trace args[0], a file or bundled:NAME.
func runTraceInfo(cmd *cobra.Command, args []string) error {
	r, err := openTrace(args[0])
	if err != nil {
		return err
	}
	defer r.Close()
	return traces.InfoText(cmd.OutOrStdout(), r)
}

// newTraceInfoCmd is `lrpsim trace info FILE`.
func newTraceInfoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "info FILE",
		Short: "Describe a trace: provenance, shapes, bits, thresholds and survivor rates",
		Long: `Describe a trace: where it comes from (model, task, source, metric, generator), its
dimensions, bits and causal mask, and per layer and head the shapes, the threshold in real
units and as the integer T of the comparator (keep iff q.k >= T), the scales, and the share of
allowed (query, key) pairs that survive, counted with a plain integer dot product.`,
		Args: cobra.ExactArgs(1),
		RunE: runTraceInfo,
	}
}

// newTraceValidateCmd is `lrpsim trace validate FILE...`.
func newTraceValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate TRACE...",
		Short: "Check traces (files or bundled:NAME) against the trace format, every head and every value",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			failed := 0
			for _, path := range args {
				if err := validateTrace(path); err != nil {
					if len(args) == 1 {
						return err
					}
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					failed++
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", path)
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d traces are invalid", failed, len(args))
			}
			return nil
		},
	}
}

// validateTrace checks a whole trace, a file or bundled:NAME: meta, arrays and every head.
func validateTrace(name string) error {
	r, err := openTrace(name)
	if err != nil {
		return err
	}
	return r.ValidateAll()
}

// newTraceGenCmd is `lrpsim trace gen --out FILE`.
func newTraceGenCmd() *cobra.Command {
	spec := traces.DefaultGenSpec()
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "gen --out FILE",
		Short: "Generate a synthetic trace with real-looking attention and thresholds at a target pruning rate",
		Long: `Generate a synthetic trace. Each query row attends strongly to a few focus keys and
weakly to the rest; q, k and v are quantized symmetrically; the thresholds are placed, per
layer or per head, where the integer comparator prunes the target share of the allowed pairs.
The same flags give the same bytes. See traces/README.md for every knob.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := spec.Validate(); err != nil {
				return flagError(err)
			}
			if !force {
				if _, err := os.Lstat(out); err == nil {
					return fmt.Errorf("%s: expected a new file, got an existing one (use --force to overwrite)", out)
				} else if !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
			// The output follows the rules of every writer (devices and FIFOs are written
			// through, links followed); a bad one is refused before the work.
			target, err := safeio.CheckOutput(out)
			if err != nil {
				return err
			}
			if err := traces.Generate(out, spec); err != nil {
				return flagError(err)
			}
			if target.Through {
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d inputs x %d layers x %d heads (not a regular file: written through, not read back)\n",
					out, spec.Inputs, spec.Layers, spec.Heads)
				return nil
			}
			r, err := traces.Open(out)
			if err != nil {
				return err
			}
			defer r.Close()
			s, err := traces.Summarize(r)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d inputs x %d layers x %d heads, pruned %.2f%% of allowed pairs (target %.2f%%)\n",
				out, spec.Inputs, spec.Layers, spec.Heads, 100*(1-s.Total.SurvivorRate()), 100*spec.PruneRate)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "output trace file (.npz); required")
	f.BoolVar(&force, "force", false, "overwrite the output file if it exists")
	addGenSpecFlags(f, &spec)
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// addGenSpecFlags declares a flag per field of the generator's spec, its default the spec's.
func addGenSpecFlags(f *pflag.FlagSet, spec *traces.GenSpec) {
	f.Uint64Var(&spec.Seed, "seed", spec.Seed, "random seed")
	for _, v := range []struct {
		p          *int
		name, help string
	}{
		{&spec.Inputs, "inputs", "number of inputs B"},
		{&spec.Layers, "layers", "number of layers L"},
		{&spec.Heads, "heads", "heads per layer H"},
		{&spec.SeqLen, "seq-len", "sequence length n = m"},
		{&spec.D, "d", "head size of q and k"},
		{&spec.DV, "dv", "head size of v"},
		{&spec.BitsQ, "bits-q", "bits of the q integers, 2..16"},
		{&spec.BitsK, "bits-k", "bits of the k integers, 2..16"},
		{&spec.BitsV, "bits-v", "bits of the v integers, 2..16"},
		{&spec.FocusKeys, "focus-keys", "keys each query row attends to strongly"},
	} {
		f.IntVar(v.p, v.name, *v.p, v.help)
	}
	f.BoolVar(&spec.Causal, "causal", spec.Causal, "apply a causal mask")
	f.Float64Var(&spec.PruneRate, "prune-rate", spec.PruneRate, "target share of allowed pairs pruned, in [0, 1]")
	f.StringVar(&spec.Granularity, "granularity", spec.Granularity, `thresholds per "layer" or per "head"`)
	f.StringVar(&spec.ScaleGranularity, "scale-granularity", spec.ScaleGranularity, `quantization scales per "layer" or per "head"`)
	f.Float64Var(&spec.FocusGain, "focus-gain", spec.FocusGain, "typical real score of a focus key, in units of the noise")
	f.Float64Var(&spec.Noise, "noise", spec.Noise, "standard deviation of the query noise (spread of the other scores)")
	f.Float64Var(&spec.HeadSpread, "head-spread", spec.HeadSpread, "score scale varies between heads by a factor in [1-x, 1+x], x in [0, 1)")
	f.Float64Var(&spec.MinValid, "min-valid", spec.MinValid, "smallest valid length as a share of seq-len, in (0, 1]; 1 means no padding")
	f.StringVar(&spec.EmptyRow, "empty-row", spec.EmptyRow, `recorded behaviour for a row that keeps no key: "zero" or "keep_max"`)
}

// flagError rewrites an invalid spec field as the flag that sets it.
func flagError(err error) error {
	var se *traces.SpecError
	if errors.As(err, &se) {
		flags := strings.Split(se.Field, ", ") // a size error names several fields
		for i, f := range flags {
			flags[i] = "--" + strings.ReplaceAll(f, "_", "-")
		}
		return fmt.Errorf("%s: expected %s, got %s", strings.Join(flags, ", "), se.Expected, se.Got)
	}
	return err
}

// newTraceHeadsCmd is `lrpsim trace heads --config FILE TRACE`.
func newTraceHeadsCmd() *cobra.Command {
	var cf configFlags
	var out string
	cmd := &cobra.Command{
		Use:   "heads TRACE [--config FILE] [--out FILE.csv]",
		Short: "Per head, what a config's pruning rule keeps: keys read, survivors, rows that read every bit-plane",
		Long: `heads decides every (query, key) pair of TRACE (a file or bundled:NAME) with the pruning rule of
--config (a file, or bundled:NAME such as bundled:policies/spatten.yaml; default: the default
config), exactly as the simulation does, and writes one CSV line per head: its rows, the allowed
keys they read, the keys that survive (whose V is fetched), the rows that read every bit-plane of
every key (for SpAtten's rule, the rows that fetched their low bits), and the same for the head's
last valid row alone (in a causal head, one generation step). These are the per-head counts of
SpAtten's published workload files (key_fetch_num, value_fetch_num, if_requant).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := cf.open()
			if err != nil {
				return err
			}
			r, err := openTrace(args[0])
			if err != nil {
				return err
			}
			defer r.Close()
			heads, err := sim.MeasureHeads(cfg, r)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			pol, err := cfg.PruningPolicy()
			if err != nil {
				return err
			}
			write := func(w io.Writer) error { return sim.WriteHeadKeepCSV(w, pol.Name(), heads) }
			if out != "" {
				return sim.WriteFileAtomic(out, write)
			}
			return write(cmd.OutOrStdout())
		},
	}
	cf.add(cmd.Flags(), "the design's config (a file or bundled:NAME; default: the default config)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the CSV to this file (atomically) instead of standard output")
	return cmd
}
