package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/lrpsim/lrpsim/sim/sweep"
)

// sweepFlags are the flags of lrpsim sweep.
type sweepFlags struct {
	out, manifest, shardSpec string
	sets                     []string
	jobs                     int
	force, keepGoing         bool
}

// newSweepCmd is `lrpsim sweep FILE.yaml --out results.csv`.
func newSweepCmd() *cobra.Command {
	var f sweepFlags
	cmd := &cobra.Command{
		Use:   "sweep FILE.yaml --out results.csv",
		Short: "Run a parameter sweep (a grid over config keys and traces) into one CSV and a manifest",
		Long: `sweep simulates every point of a sweep file: a grid over any config keys (crossed, and
zipped lists), crossed with traces. It writes one tidy CSV, a row per point (the swept values, and
every metric of the design and its baselines, energy included), and a JSON manifest beside it
(--manifest, default FILE.csv.json) with the lrpsim version and the hashes of the configs, traces
and energy table. Points and their configurations run in parallel on --jobs cores (one pool
for both); the bytes written do not depend on it.

Every finished point goes to a journal beside the CSV (FILE.csv.journal). Killed at any moment
and run again, sweep finishes without recomputing finished points; run again on finished outputs,
it does nothing. --shard i/N runs the points whose number modulo N is i (shards are numbered from
0: 0/4, 1/4, 2/4, 3/4), for array jobs; lrpsim merge joins the shards into the bytes of an
unsharded run. --shard auto takes i and N from the scheduler: SLURM_ARRAY_TASK_ID minus
SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT in a Slurm job array, JOB_COMPLETION_INDEX of
LRPSIM_SHARD_COUNT in a Kubernetes Indexed Job (see cluster/ for an sbatch template and a Job
manifest). See configs/sweeps/ for the file format and examples.

--set KEY=VALUE (repeatable) changes the sweep's base configuration after the file's base and
baselines, before the swept keys; a key the sweep sweeps is refused. The assignments are part of
the sweep's identity: recorded in the manifest, and a journal or shard of other ones is refused.

Interrupted (Ctrl-C), sweep finishes the points in flight, keeps the journal and says how to
resume.`,
		Example: `  lrpsim sweep configs/sweeps/lanes-x-bpc.yaml --out lanes.csv
  lrpsim sweep configs/sweeps/lanes-x-bpc.yaml --out shard$SLURM_ARRAY_TASK_ID.csv --shard $SLURM_ARRAY_TASK_ID/4
  lrpsim sweep configs/sweeps/lanes-x-bpc.yaml --out shard$SLURM_ARRAY_TASK_ID.csv --shard auto
  lrpsim sweep configs/sweeps/lanes-x-bpc.yaml --out lanes-units4.csv --set units=4
  lrpsim merge --out lanes.csv shard0.csv shard1.csv shard2.csv shard3.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSweep(cmd, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "out", "o", "", "CSV to write (required); the journal is FILE.journal beside it")
	fl.StringVar(&f.manifest, "manifest", "", "manifest to write (default: the CSV's path + .json)")
	fl.IntVarP(&f.jobs, "jobs", "j", 0, "simulations computing at once, shared by the points and their configurations (0: one per CPU)")
	fl.StringVar(&f.shardSpec, "shard", "", "run one slice of the sweep: i/N, the points whose number modulo N is i (0 <= i < N); auto: from a Slurm job array or a Kubernetes Indexed Job")
	addSetFlag(fl, &f.sets)
	fl.BoolVar(&f.force, "force", false, "start over: ignore the journal and finished outputs")
	fl.BoolVar(&f.keepGoing, "keep-going", false, `a point that the config rejects or that fails to simulate gets a row with the reason in a last column, "error", instead of stopping the sweep`)
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// runSweep runs the sweep of file as the flags say and reports what it computed.
func runSweep(cmd *cobra.Command, f sweepFlags, file string) error {
	shard, err := parseShardFlag(f.shardSpec, cmd.Flags().Changed("shard"))
	if err != nil {
		return err
	}
	if f.jobs < 0 {
		return fmt.Errorf("--jobs: expected 0 (one per CPU) or more, got %d", f.jobs)
	}
	if f.jobs == 0 {
		f.jobs = runtime.GOMAXPROCS(0)
	}
	sw, err := sweep.Load(file)
	if err != nil {
		return err
	}
	sw.Sets = f.sets
	plan, err := sw.PlanKeepGoing(version, f.keepGoing)
	if err != nil {
		return err
	}
	// The first SIGINT lets the points in flight finish into the journal; stop() restores
	// the default, so that a second one kills at once (the journal survives that too).
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	opt := sweep.Options{Out: f.out, Manifest: f.manifest, Jobs: f.jobs, Shard: shard, Force: f.force, Stop: ctx.Done()}
	if isTerminal(cmd.ErrOrStderr()) {
		opt.Progress = cmd.ErrOrStderr()
	}
	go func() {
		<-ctx.Done()
		stop()
	}()
	sum, err := sweep.Run(plan, opt)
	if err != nil {
		return err
	}
	name := sw.Name
	if shard.Count > 0 {
		name += " shard " + shard.String()
	}
	if sum.UpToDate {
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %d points: 0 computed, up to date in %s and %s\n",
			name, sum.Points, sum.Out, sum.Manifest)
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %d points: %d computed, %d from the journal; wrote %s and %s\n",
		name, sum.Points, sum.Computed, sum.Resumed, sum.Out, sum.Manifest)
	return err
}

// parseShardFlag reads --shard: i/N, or auto for the scheduler's (sweep.ShardFromEnv); not
// given, the whole sweep.
func parseShardFlag(spec string, given bool) (sweep.Shard, error) {
	switch {
	case spec == "auto":
		return sweep.ShardFromEnv(os.Getenv)
	case given:
		return sweep.ParseShard(spec)
	}
	return sweep.Shard{}, nil
}

// newMergeCmd is `lrpsim merge --out all.csv SHARD.csv...`.
func newMergeCmd() *cobra.Command {
	var out, manifest string
	cmd := &cobra.Command{
		Use:   "merge --out all.csv SHARD.csv...",
		Short: "Join the shards of a sweep into the CSV and manifest of an unsharded run",
		Long: `merge joins the CSVs written by lrpsim sweep --shard i/N (each with its manifest,
SHARD.csv.json) into one CSV and manifest, byte for byte those of an unsharded run. The shards must
be of one sweep and cover 0/N to N-1/N exactly once; otherwise merge writes nothing.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := sweep.Merge(out, manifest, args)
			if err != nil {
				return err
			}
			if manifest == "" {
				manifest = sweep.ManifestPath(out)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %d points from %d shards; wrote %s and %s\n",
				m.Sweep, m.Rows, len(args), out, manifest)
			return err
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "CSV to write (required)")
	cmd.Flags().StringVar(&manifest, "manifest", "", "manifest to write (default: the CSV's path + .json)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// isTerminal reports whether w is a terminal (a character device), where a progress bar belongs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
