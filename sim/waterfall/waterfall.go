// Package waterfall decomposes the headline result of lrpsim: the suite is simulated under a
// list of configs, each adding one assumption to the one before (configs/waterfall/README.md:
// the compute alone, then the real back end and FIFO, the DRAM latency, the DRAM bandwidth and
// the layer dependency, ending at the default), and each step's speedup and on-chip energy
// reduction over the dense baseline are summarized per family and for the suite. It writes the
// table as Markdown or CSV, byte for byte deterministic whatever the number of workers.
package waterfall

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/tabulate"
	"github.com/lrpsim/lrpsim/traces/data"
)

// DefaultDir is the folder of the default steps, relative to the repository root; DefaultLast
// is the last step, the default configuration itself.
const (
	DefaultDir  = "configs/waterfall"
	DefaultLast = "configs/leopard.yaml"
)

// DefaultSteps lists the default steps under the repository root root: the YAML files of
// DefaultDir in natural name order (2-x before 10-x), then DefaultLast.
func DefaultSteps(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, DefaultDir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("waterfall: no step configs in %s (run from the repository root or name each --step)",
			filepath.Join(root, DefaultDir))
	}
	slices.SortFunc(files, func(a, b string) int { return data.NaturalCompare(filepath.Base(a), filepath.Base(b)) })
	return append(files, filepath.Join(root, DefaultLast)), nil
}

// Step is one step of the waterfall: its config and the rows of the suite under it.
type Step struct {
	// Config is the config file as given; Name is its name field.
	Config, Name string
	Rows         []tabulate.Row
}

// Group is the means of one family (Model set) or of the whole suite (Model "") at a step.
type Group struct {
	Model string
	tabulate.Summary
}

// Groups are the step's families (tabulate.Families: models of at least two traces) and then
// the suite.
func (s Step) Groups() []Group {
	var out []Group
	for _, f := range tabulate.Families(s.Rows) {
		out = append(out, Group{Model: f.Model, Summary: f.Summary})
	}
	return append(out, Group{Summary: tabulate.Summarize(s.Rows)})
}

// Waterfall is every step, in order, over the same traces.
type Waterfall struct {
	Steps       []Step
	EnergyTable string
}

// Run opens every step's config (all before simulating any, so a bad one fails at once) and
// simulates each against the dense baseline on every trace with tabulate.Build, at most jobs
// traces at a time. The result does not depend on jobs.
func Run(configs, traceNames []string, engine string, table *energy.Table, jobs int) (*Waterfall, error) {
	if len(configs) == 0 {
		return nil, errors.New("waterfall: no steps")
	}
	if len(traceNames) == 0 {
		return nil, errors.New("waterfall: no traces")
	}
	cfgs := make([]*sim.Config, len(configs))
	for i, path := range configs {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("waterfall step %d: %w", i+1, err)
		}
		c, err := sim.OpenConfig(path, nil)
		if err != nil {
			return nil, fmt.Errorf("waterfall step %d: %w", i+1, err)
		}
		cfgs[i] = c
	}
	w := &Waterfall{EnergyTable: table.Name}
	for i, c := range cfgs {
		rows, err := tabulate.Build(c, traceNames, engine, table, jobs)
		if err != nil {
			return nil, fmt.Errorf("waterfall step %d (%s): %w", i+1, configs[i], err)
		}
		w.Steps = append(w.Steps, Step{Config: configs[i], Name: c.Name, Rows: rows})
	}
	return w, nil
}

// Models lists the families of the table's columns, in the order of the first step's groups,
// then "" for the suite.
func (w *Waterfall) Models() []string {
	var out []string
	if len(w.Steps) == 0 {
		return out
	}
	for _, g := range w.Steps[0].Groups() {
		out = append(out, g.Model)
	}
	return out
}
