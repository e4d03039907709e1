package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/sim"
)

func newConfigCmd() *cobra.Command {
	var sets []string
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check configurations",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE...",
		Short: "Check configuration files: unknown keys, wrong types, impossible values",
		Long: `validate checks every FILE and reports every problem of each, one line per problem on
standard error (a YAML syntax error, an unknown key or a wrong type ends that file's check; every
value out of range is reported), and "FILE: ok" on standard output for each good file. It exits
non-zero when any file has a problem.`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeFiles("yaml", "yml"),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			var all []error
			for _, path := range args {
				errs := sim.CheckOpenConfig(path, sets)
				if len(errs) == 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", path)
					continue
				}
				bad++
				all = append(all, errs...)
			}
			switch len(all) {
			case 0:
				return nil
			case 1:
				return all[0]
			}
			for _, err := range all {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
			}
			return fmt.Errorf("%d problems in %d of %d config files", len(all), bad, len(args))
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "show [FILE]",
		Short: "Print the effective configuration (FILE, or bundled:NAME, over the default) as YAML",
		Args:  cobra.MaximumNArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeConfigs(toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			cfg, err := sim.OpenConfig(path, sets)
			if err != nil {
				return err
			}
			out, err := yaml.Marshal(cfg.Effective())
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	})
	addSetFlag(cmd.PersistentFlags(), &sets)
	return cmd
}
