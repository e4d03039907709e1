package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/traces/data"
)

// newTraceListCmd is `lrpsim trace list`: the bundled traces, by the names that every command
// taking a trace accepts.
func newTraceListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the bundled traces (bundled:NAME, accepted wherever a trace file is)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			for _, n := range data.NaturalNames() {
				r, err := data.Open(data.BundledPrefix + n)
				if err != nil {
					return err
				}
				m := r.Meta()
				r.Close()
				kind := ""
				if m.Synthetic {
					kind = " (synthetic)"
				}
				if _, err := fmt.Fprintf(w, "%s%s\t%s, %s: %d inputs x %d layers x %d heads%s\n",
					data.BundledPrefix, n, m.Model, m.Task, m.Inputs, m.Layers, m.Heads, kind); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// completeTraces completes a trace argument: the bundled traces (bundled:NAME) and the .npz
// files and directories under what was typed.
func completeTraces(toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, n := range data.Names() {
		if name := data.BundledPrefix + n; strings.HasPrefix(name, toComplete) {
			out = append(out, name)
		}
	}
	return append(out, matchFiles(toComplete, "npz")...), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// matchFiles lists the files with one of exts, and the directories (with a slash), whose path
// starts with prefix.
func matchFiles(prefix string, exts ...string) []string {
	matches, _ := filepath.Glob(globEscape(prefix) + "*")
	var out []string
	for _, m := range matches {
		st, err := os.Stat(m)
		switch {
		case err != nil:
		case st.IsDir():
			out = append(out, m+string(filepath.Separator))
		case slices.Contains(exts, strings.TrimPrefix(filepath.Ext(m), ".")):
			out = append(out, m)
		}
	}
	return out
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`)
	return r.Replace(s)
}

// completeConfigs completes a config: the bundled configs (bundled:NAME) and the YAML files and
// directories under what was typed.
func completeConfigs(toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, n := range sim.BundledConfigNames() {
		if name := sim.BundledPrefix + n; strings.HasPrefix(name, toComplete) {
			out = append(out, name)
		}
	}
	return append(out, matchFiles(toComplete, "yaml", "yml")...), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeSet completes --set KEY=VALUE: the config keys (the registered variants' parameters
// included), then the words of a key that takes one of a few (memory.model: the registered
// memory models).
func completeSet(toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	if key, _, ok := strings.Cut(toComplete, "="); ok {
		for _, w := range sim.KeyWords(key) {
			if kv := key + "=" + w; strings.HasPrefix(kv, toComplete) {
				out = append(out, kv)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	for _, k := range sim.ConfigKeys() {
		if strings.HasPrefix(k, toComplete) {
			out = append(out, k+"=")
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeFiles returns a ValidArgsFunction completing files with the given extensions.
func completeFiles(exts ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return matchFiles(toComplete, exts...), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// addCompletions registers shell completion (lrpsim completion bash|zsh|fish|powershell) on
// every command: trace arguments and --trace get the bundled names and .npz files, --config the
// bundled configs and YAML files, --set the config keys and their words, --engine the engines,
// --node the built-in energy nodes.
func addCompletions(root *cobra.Command) {
	fixed := func(values ...string) cobra.CompletionFunc {
		return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return values, cobra.ShellCompDirectiveNoFileComp
		}
	}
	traceArgs := func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completeTraces(toComplete)
	}
	flags := map[string]cobra.CompletionFunc{
		"trace": traceArgs,
		"config": func(_ *cobra.Command, _ []string, s string) ([]string, cobra.ShellCompDirective) {
			return completeConfigs(s)
		},
		"set": func(_ *cobra.Command, _ []string, s string) ([]string, cobra.ShellCompDirective) {
			return completeSet(s)
		},
		"engine": fixed(engines()...),
		"node":   fixed(energy.DefaultNodes()...),
	}
	// Commands whose arguments are traces.
	traceCmds := map[string]bool{"lrpsim table": true, "lrpsim compare": true, "lrpsim trace info": true,
		"lrpsim trace validate": true, "lrpsim trace dump-rows": true, "lrpsim trace heads": true}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, fn := range flags {
			if c.Flags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, fn)
			}
		}
		if c.ValidArgsFunction == nil && (traceCmds[c.CommandPath()] || strings.HasPrefix(c.CommandPath(), "lrpsim plot ")) {
			c.ValidArgsFunction = traceArgs
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
