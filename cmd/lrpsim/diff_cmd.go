package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/diff"
)

// newDiffCmd is `lrpsim diff OLD.csv NEW.csv`: the regression check of a sweep or table in CI.
func newDiffCmd() *cobra.Command {
	var flags diffFlags
	cmd := &cobra.Command{
		Use:   "diff OLD.csv NEW.csv",
		Short: "Compare two sweep or table CSVs and fail on a regression beyond tolerance (Markdown and JUnit reports for CI)",
		Long: `diff compares NEW.csv with OLD.csv, two CSVs of lrpsim sweep (or merge) or of lrpsim table
--format csv with the same columns, point by point: a sweep's points are matched by trace and swept
values, a table's rows by kind, model, task and trace.

A checked metric that moves beyond its tolerance in its worse direction is a regression: lower
speedup or energy, EDP or per-scope energy reduction, higher cycles, energy, EDP or area are
checked by default. Other metrics are reported when they move beyond tolerance; naming one in
--tolerance checks it too (one without a direction, such as pruning_rate, then fails on any move
beyond tolerance). A point of OLD missing from NEW is a regression (--allow-removed reports it
only); a point only in NEW is reported as added. sim/diff/README.md lists every metric's
direction.

The Markdown report (--out, default standard output) has the verdict, the counts and tables of
regressions, improvements and other changes; --junit writes JUnit XML with one test case per
point and checked metric. The exit status is 0 when nothing regressed, 1 on a regression and 2 on
bad input (a missing file, different columns, a duplicate point, a cell that is not a number),
which writes nothing.`,
		Example: `  lrpsim sweep configs/sweeps/ci-small.yaml --out new.csv
  lrpsim diff results/golden/ci-small.csv new.csv
  lrpsim diff old.csv new.csv --tolerance speedup=0.5% --tolerance cycles=100 --out diff.md --junit diff.xml`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeFiles("csv"),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := runDiff(cmd.OutOrStdout(), args, flags)
			var regressed *diff.RegressionError
			if err != nil && !errors.As(err, &regressed) {
				return badInput{err}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&flags.tolerances, "tolerance", nil, "NAME=X% (share of the old value) or NAME=X (absolute) for a metric (speedup: every speedup_BASELINE) or a column; repeatable")
	f.StringVar(&flags.defaultTol, "default-tolerance", diff.DefaultTolerance().String(), "tolerance of the metrics not named in --tolerance")
	f.StringVarP(&flags.out, "out", "o", "", "write the Markdown report to FILE (atomically) and print only the summary line")
	f.StringVar(&flags.junit, "junit", "", "write JUnit XML to FILE (atomically): a test case per point and checked metric")
	f.BoolVar(&flags.allowRemoved, "allow-removed", false, "report points of OLD missing from NEW without failing")
	return cmd
}

// diffFlags are the flags of lrpsim diff.
type diffFlags struct {
	tolerances   []string
	defaultTol   string
	out, junit   string
	allowRemoved bool
}

// runDiff compares the CSVs of args, writes the reports (nothing on bad input) and returns a
// *diff.RegressionError on a regression beyond tolerance.
func runDiff(stdout io.Writer, args []string, f diffFlags) error {
	rep, err := compareCSVs(args, f.tolerances, f.defaultTol, f.allowRemoved)
	if err != nil {
		return err
	}
	toStdout := f.out == "" || f.out == sim.StdoutPath
	if f.junit != "" && !toStdout && sim.SameOutput(f.junit, f.out) {
		return fmt.Errorf("--junit and --out name the same file, %s", f.junit)
	}
	var md, xml bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		return err
	}
	var outs []sim.Output
	if !toStdout {
		outs = append(outs, sim.Output{Path: f.out, Data: md.Bytes()})
	}
	if f.junit != "" {
		if err := rep.WriteJUnit(&xml); err != nil {
			return err
		}
		outs = append(outs, sim.Output{Path: f.junit, Data: xml.Bytes()})
	}
	if err := sim.WriteOutputs(outs...); err != nil {
		return err
	}
	switch {
	case toStdout:
		_, err = stdout.Write(md.Bytes())
	case !rep.Failed(): // a failure's summary is its error
		_, err = fmt.Fprintln(stdout, "lrpsim diff:", rep.Summary())
	}
	if err != nil {
		return err
	}
	return rep.Err()
}

// compareCSVs reads the two CSVs of args and compares them with the tolerances of the flags.
func compareCSVs(args, tolerances []string, defaultTol string, allowRemoved bool) (*diff.Report, error) {
	tols, err := diff.ParseTolerances(tolerances)
	if err != nil {
		return nil, err
	}
	def, err := diff.ParseTolerance(defaultTol)
	if err != nil {
		return nil, fmt.Errorf("--default-tolerance: %w", err)
	}
	old, err := diff.Read(args[0])
	if err != nil {
		return nil, err
	}
	cur, err := diff.Read(args[1])
	if err != nil {
		return nil, err
	}
	return diff.Compare(old, cur, diff.Options{Tolerances: tols, Default: def, AllowRemoved: allowRemoved})
}

// badInput marks an error of lrpsim diff other than a regression (bad files or flags, an output
// that cannot be written): exit status 2, where a regression is 1.
type badInput struct{ err error }

func (e badInput) Error() string { return e.err.Error() }
func (e badInput) Unwrap() error { return e.err }

// ExitCode is the exit status of bad input.
func (badInput) ExitCode() int { return 2 }

// exitCode is the process's exit status for the error of a command: 0 for none, the status an
// error carries (an ExitCode method, e.g. bad input to lrpsim diff), else 1 (a regression found
// by lrpsim diff, and every other error).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return 1
}
