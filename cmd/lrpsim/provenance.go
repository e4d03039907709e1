package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lrpsim/lrpsim/configs"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/provenance"
	"github.com/lrpsim/lrpsim/sim/sweep"
	"github.com/lrpsim/lrpsim/sim/tabulate"
	"github.com/lrpsim/lrpsim/sim/waterfall"
	"github.com/lrpsim/lrpsim/traces/data"
)

// Provenance records (sim/provenance): when $LRPSIM_PROVENANCE names a manifest, every command
// that writes files (--out, --figure, a sweep's manifest) records, after it succeeded, each
// file it wrote with the command line, the inputs the command's flags and arguments name (with
// their defaults resolved: the embedded configs/leopard.yaml every config overlays, the bundled
// traces, the file behind a built-in energy table) and the model version. A file inside the
// repository goes into the manifest; one outside (a script's temporary file) gets a sidecar
// record, .NAME.provenance.json beside it, that `lrpsim provenance record --from` reads.
//
// The inputs are read from the command's resolved flags rather than collected inside the
// loaders, so that no loader changes; recordedInputs is the one place that must follow a new
// input flag.

// suiteCommand says whether a command simulates every bundled real trace when given no trace
// argument.
func suiteCommand(path string) bool {
	switch path {
	case "lrpsim table", "lrpsim compare", "lrpsim plot bars", "lrpsim plot bound", "lrpsim plot waterfall":
		return true
	}
	return false
}

// traceArgCommand says whether a command takes traces as its arguments.
func traceArgCommand(path string) bool {
	return suiteCommand(path) || path == "lrpsim trace heads"
}

// recordProvenance records the files cmd wrote into the manifest at manifestPath (see above);
// regen names the script that regenerates them ("" for none).
func recordProvenance(cmd *cobra.Command, args []string, manifestPath, regen string) error {
	if strings.HasPrefix(cmd.CommandPath(), "lrpsim provenance") {
		return nil
	}
	outs := writtenFiles(cmd)
	if len(outs) == 0 {
		return nil
	}
	root, err := provenance.FindRoot(filepath.Dir(manifestPath))
	if err != nil {
		return err
	}
	in := provenance.NewInputs(root)
	if err := recordedInputs(cmd, args, in); err != nil {
		return fmt.Errorf("provenance: %w", err)
	}
	model, err := provenance.ModelVersion()
	if err != nil {
		return err
	}
	return provenance.RecordFiles(root, manifestPath, outs, provenance.Entry{Regen: regen, Command: commandLine(cmd, args),
		Inputs: in.Map(), Model: model})
}

// writtenFiles lists the regular files cmd wrote: its --out and --figure flags and, for a
// sweep, its manifest. Standard output and devices are left out.
func writtenFiles(cmd *cobra.Command) []string {
	var outs []string
	for _, name := range []string{"out", "figure", "manifest"} {
		outs = append(outs, flagValues(cmd.Flags(), name)...)
	}
	if cmd.CommandPath() == "lrpsim sweep" || cmd.CommandPath() == "lrpsim merge" {
		if len(flagValues(cmd.Flags(), "manifest")) == 0 {
			for _, o := range flagValues(cmd.Flags(), "out") {
				outs = append(outs, sweep.ManifestPath(o))
			}
		}
	}
	var files []string
	for _, o := range outs {
		if o == sim.StdoutPath {
			continue
		}
		if st, err := os.Stat(o); err == nil && st.Mode().IsRegular() {
			files = append(files, o)
		}
	}
	return files
}

// flagValues returns the values of a string, string-array or string-slice flag that was set.
func flagValues(fl *pflag.FlagSet, name string) []string {
	f := fl.Lookup(name)
	if f == nil || !f.Changed {
		return nil
	}
	switch f.Value.Type() {
	case "string":
		return []string{f.Value.String()}
	case "stringArray", "stringSlice":
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			return sv.GetSlice()
		}
	}
	return nil
}

// flagValue is the value of a string flag, set or default ("" when cmd has no such flag).
func flagValue(fl *pflag.FlagSet, name string) string {
	if f := fl.Lookup(name); f != nil && f.Value.Type() == "string" {
		return f.Value.String()
	}
	return ""
}

// recordedInputs adds the inputs cmd was given, defaults resolved, to in.
func recordedInputs(cmd *cobra.Command, args []string, in *provenance.Inputs) error {
	fl := cmd.Flags()
	switch cmd.CommandPath() {
	case "lrpsim plot sweep":
		csv := flagValue(fl, "csv")
		if err := in.AddFile(csv); err != nil {
			return err
		}
		if _, err := os.Stat(sweep.ManifestPath(csv)); err == nil {
			return in.AddFile(sweep.ManifestPath(csv))
		}
		return nil
	case "lrpsim sweep":
		return in.AddSweep(args[0])
	case "lrpsim merge":
		for _, a := range args {
			if err := in.AddFile(a); err != nil {
				return err
			}
		}
		return nil
	}
	if err := in.AddRepoFile("configs/" + configs.Default); err != nil {
		return err
	}
	cfgs := flagValues(fl, "config")
	if len(cfgs) == 0 && cmd.CommandPath() == "lrpsim compare" {
		cfgs = defaultCompareConfigs
	}
	if cmd.CommandPath() == "lrpsim plot waterfall" {
		// The steps are the configs: those named, or the default list.
		if cfgs = flagValues(fl, "step"); len(cfgs) == 0 {
			steps, err := waterfall.DefaultSteps(".")
			if err != nil {
				return err
			}
			cfgs = steps
		}
	}
	for _, c := range cfgs {
		if err := in.AddConfig(c); err != nil {
			return err
		}
	}
	if err := in.AddEnergy(flagValue(fl, "energy"), flagValue(fl, "node")); err != nil {
		return err
	}
	for _, name := range []string{"ert", "ert-art", "ert-mapping"} {
		for _, f := range flagValues(fl, name) {
			if err := in.AddFile(f); err != nil {
				return err
			}
		}
	}
	trs := commandTraces(cmd, args)
	for _, t := range trs {
		if err := in.AddTrace(t); err != nil {
			return err
		}
	}
	if cmd.CommandPath() == "lrpsim compare" {
		// The closed-loop metric: every result there.
		dir := flagValue(fl, "closed-loop")
		jsons, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			return err
		}
		for _, j := range jsons {
			if err := in.AddFile(j); err != nil {
				return err
			}
		}
	}
	return nil
}

// commandTraces lists the traces cmd simulates: its trace arguments and --trace flags, or, when
// it names none, its default (every bundled trace for compare, the suite for the other suite
// commands, else the default trace).
func commandTraces(cmd *cobra.Command, args []string) []string {
	var trs []string
	if traceArgCommand(cmd.CommandPath()) {
		trs = args
	}
	trs = append(trs, flagValues(cmd.Flags(), "trace")...)
	if len(trs) == 0 {
		switch {
		case cmd.CommandPath() == "lrpsim compare":
			// The suite and the dense partners of its rules: every bundled trace.
			for _, n := range data.Names() {
				trs = append(trs, data.BundledPrefix+n)
			}
		case suiteCommand(cmd.CommandPath()):
			trs = tabulate.BundledNames()
		default:
			trs = []string{data.BundledPrefix + data.Default}
		}
	}
	return trs
}

// commandLine rebuilds cmd's command line from its path, the flags set (in name order) and its
// arguments, quoted for a POSIX shell.
func commandLine(cmd *cobra.Command, args []string) string {
	parts := strings.Fields(cmd.CommandPath())
	cmd.Flags().Visit(func(f *pflag.Flag) {
		vals := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		for _, v := range vals {
			if f.Value.Type() == "bool" {
				if v == "true" {
					parts = append(parts, "--"+f.Name)
				} else {
					parts = append(parts, "--"+f.Name+"="+v)
				}
				continue
			}
			parts = append(parts, "--"+f.Name, shellQuote(v))
		}
	})
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// newProvenanceCmd is `lrpsim provenance record|check|model`.
func newProvenanceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "provenance",
		Short: "Record and check what generated results were made from (results/PROVENANCE.json)",
		Long: `provenance keeps results/PROVENANCE.json, the record of every generated file under results/:
the command that regenerates it, the sha256 of each input it was made from (configs, energy tables,
traces, scripts, other results), the simulator's model version and the sha256 of the file itself.
lrpsim's commands record what they write when $LRPSIM_PROVENANCE names the manifest (the regen.sh
scripts set it); record covers files that other programs make from lrpsim's outputs; check lists
the results whose record no longer holds.`,
	}
	cmd.AddCommand(newProvenanceRecordCmd(), newProvenanceCheckCmd(), newProvenanceModelCmd())
	return cmd
}

func newProvenanceRecordCmd() *cobra.Command {
	var outs, froms []string
	var command, regen, manifest string
	var noModel bool
	cmd := &cobra.Command{
		Use:   "record --out FILE --from INPUT... --command CMD",
		Short: "Record files made by another program from the given inputs",
		Long: `record writes the record of each --out file (made by another program, e.g. a Python script) into
the manifest: its inputs are every --from file inside the repository (hashed; when it has a record
itself, that record's model version carries over) and, for a --from file outside the repository
(a script's temporary file), the inputs and model version of the sidecar record that lrpsim left
beside it. --no-model records no model
version: the file was made without lrpsim's simulator (e.g. a closed-loop accuracy).`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if manifest == "" {
				manifest = os.Getenv(provenance.EnvManifest)
			}
			if manifest == "" {
				return fmt.Errorf("--manifest: not given and $%s is not set", provenance.EnvManifest)
			}
			if regen == "" {
				regen = os.Getenv(provenance.EnvRegen)
			}
			return provenance.RecordDerived(manifest, outs, froms, command, regen, noModel)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&outs, "out", "o", nil, "a file made (repeatable)")
	fl.StringArrayVar(&froms, "from", nil, "a file it was made from (repeatable)")
	fl.StringVar(&command, "command", "", "the command line that made it")
	fl.StringVar(&regen, "regen", "", "the script that regenerates it (default: $"+provenance.EnvRegen+")")
	fl.StringVar(&manifest, "manifest", "", "the manifest (default: $"+provenance.EnvManifest+")")
	fl.BoolVar(&noModel, "no-model", false, "record no model version: no Go simulation went into it")
	_ = cmd.MarkFlagRequired("out")
	_ = cmd.MarkFlagRequired("command")
	return cmd
}

func newProvenanceCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "List the generated results whose record no longer holds (run from the repository)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := provenance.FindRoot(".")
			if err != nil {
				return err
			}
			model, err := provenance.ModelVersion()
			if err != nil {
				return err
			}
			problems, err := provenance.CheckResults(root, model)
			if err != nil {
				return err
			}
			return reportProblems(cmd.OutOrStdout(), problems)
		},
	}
}

// reportProblems prints one line per problem and fails when there is any.
func reportProblems(w io.Writer, problems []provenance.Problem) error {
	for _, p := range problems {
		if _, err := fmt.Fprintln(w, p); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d stale or unrecorded results", len(problems))
	}
	return nil
}

func newProvenanceModelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "model",
		Short: "Print the simulator's model version (the sha256 of its results on a fixed probe)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := provenance.ModelVersion()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), v)
			return err
		},
	}
}
