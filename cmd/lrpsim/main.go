// Command lrpsim is a cycle-accurate simulator of LeOPArd, an attention accelerator that prunes
// attention scores at run time with learned thresholds and bit-serial early termination.
//
// The commands are thin: the logic lives in the packages sim, arch, energy and traces.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/lrpsim/lrpsim/sim/provenance"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func newRootCmd() *cobra.Command {
	var prof profiler
	root := &cobra.Command{
		Use:           "lrpsim",
		Short:         "Cycle-accurate simulator of the LeOPArd learned-runtime-pruning attention accelerator",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return prof.start()
		},
		PersistentPostRunE: func(cmd *cobra.Command, args []string) error {
			if err := prof.stop(); err != nil {
				return err
			}
			if manifest := os.Getenv(provenance.EnvManifest); manifest != "" {
				return recordProvenance(cmd, args, manifest, os.Getenv(provenance.EnvRegen))
			}
			return nil
		},
	}
	prof.addFlags(root)
	trace := &cobra.Command{
		Use:   "trace",
		Short: "Inspect, validate and generate attention traces",
	}
	trace.AddCommand(newTraceInfoCmd(), newTraceValidateCmd(), newTraceGenCmd(), newTraceDumpRowsCmd(), newTraceListCmd(), newTraceHeadsCmd())
	root.AddCommand(newRunCmd(), newConfigCmd(), trace, newTableCmd(), newCompareCmd(), newPlotCmd(), newSweepCmd(), newMergeCmd(), newDiffCmd(),
		newProvenanceCmd())
	addCompletions(root)
	return root
}

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "lrpsim:", err)
		os.Exit(exitCode(err))
	}
}
