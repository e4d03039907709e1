// Package tabulate builds the paper-style results table of lrpsim: one row per trace (model and
// task) with its pruning rate, mean lane steps per key, and speedup and energy reduction against
// the dense baseline, then the means over all rows and the figures the LeOPArd paper reports. It
// writes the table as Markdown, CSV or LaTeX (booktabs), byte for byte deterministic.
package tabulate

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"

	"gonum.org/v1/gonum/stat"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/report"
	"github.com/lrpsim/lrpsim/traces"
	"github.com/lrpsim/lrpsim/traces/data"
)

// Dense is the baseline the table compares against.
const Dense = "dense"

// Metric is a trace's task metric, dense and with the learned thresholds (meta.metric of
// traces/FORMAT.md).
type Metric struct {
	Name   string  `json:"name"`
	Dense  float64 `json:"dense"`
	Pruned float64 `json:"pruned"`
}

// Change is Pruned - Dense, in the metric's own units (negative: the pruned model scores lower).
func (m Metric) Change() float64 { return m.Pruned - m.Dense }

// Row is one trace of the table.
type Row struct {
	// Trace is the trace name as given: a path or "bundled:NAME".
	Trace     string
	Model     string
	Task      string
	Synthetic bool
	// Pairs is the number of allowed (query, key) pairs the design decided.
	Pairs int64
	// PruningRate is the fraction of allowed pairs below the threshold.
	PruningRate float64
	// MeanSteps is the mean number of lane steps per key; MaxSteps the number of steps a key
	// takes without early termination.
	MeanSteps float64
	MaxSteps  int
	// Speedup is dense cycles over design cycles; EnergyReduction dense energy over design energy.
	Speedup         float64
	EnergyReduction float64
	// EnergyReductionOnChip is dense over design at the on-chip scope (core and SRAM, no DRAM).
	EnergyReductionOnChip float64
	// Bound is what bounded the design's run (its top cause, sim.Bound) and BoundShare that
	// cause's share of the unit-cycles; BoundShares are every cause's, in sim.Causes order.
	Bound       string
	BoundShare  float64
	BoundShares []float64
	// Metric is the trace's task metric, nil when its meta has none.
	Metric *Metric
}

// TraceLabel is the trace's file name without directories or the "bundled:" prefix.
func (r Row) TraceLabel() string {
	return filepath.Base(strings.TrimPrefix(r.Trace, data.BundledPrefix))
}

// Summary holds the means over a table's rows.
type Summary struct {
	// Rows is the number of rows summarized.
	Rows int
	// Speedup, EnergyReduction and EnergyReductionOnChip are geometric means.
	Speedup, EnergyReduction, EnergyReductionOnChip float64
	// PruningRate and MeanSteps are arithmetic means.
	PruningRate, MeanSteps float64
	// MetricName and MetricChange are the name and the arithmetic mean change of the rows' metric
	// when at least one row has a metric and every row that has one names the same metric;
	// MetricRows counts those rows. MetricName is "" otherwise.
	MetricName   string
	MetricChange float64
	MetricRows   int
}

// Summarize computes the means over rows: geometric means (gonum/stat) of speedup and energy
// reduction, arithmetic means of pruning rate, lane steps per key and metric change. A row with a
// non-positive speedup or energy reduction makes the geometric mean NaN.
func Summarize(rows []Row) Summary {
	s := Summary{Rows: len(rows)}
	if len(rows) == 0 {
		return s
	}
	speed := make([]float64, len(rows))
	red := make([]float64, len(rows))
	rate := make([]float64, len(rows))
	steps := make([]float64, len(rows))
	var changes []float64
	name, sameName := "", true
	onchip := make([]float64, len(rows))
	for i, r := range rows {
		speed[i], red[i], rate[i], steps[i] = r.Speedup, r.EnergyReduction, r.PruningRate, r.MeanSteps
		onchip[i] = r.EnergyReductionOnChip
		if r.Metric != nil {
			if name == "" {
				name = r.Metric.Name
			} else if name != r.Metric.Name {
				sameName = false
			}
			changes = append(changes, r.Metric.Change())
		}
	}
	s.Speedup = geoMean(speed)
	s.EnergyReduction = geoMean(red)
	s.EnergyReductionOnChip = geoMean(onchip)
	s.PruningRate = stat.Mean(rate, nil)
	s.MeanSteps = stat.Mean(steps, nil)
	if len(changes) > 0 && sameName {
		s.MetricName, s.MetricChange, s.MetricRows = name, stat.Mean(changes, nil), len(changes)
	}
	return s
}

// Family is the means over the rows of one model (a trace family), with the cause that bounds
// most of its traces.
type Family struct {
	Model string
	Summary
	// Bound is the most frequent top cause of its rows (the first in row order on a tie), and
	// BoundRows how many rows it bounds.
	Bound     string
	BoundRows int
}

// Families summarizes every model with at least two rows, in the order models first appear;
// nil when the rows hold fewer than two models (the overall mean says it all).
func Families(rows []Row) []Family {
	var order []string
	byModel := map[string][]Row{}
	for _, r := range rows {
		if _, ok := byModel[r.Model]; !ok {
			order = append(order, r.Model)
		}
		byModel[r.Model] = append(byModel[r.Model], r)
	}
	if len(order) < 2 {
		return nil
	}
	var out []Family
	for _, m := range order {
		rs := byModel[m]
		if len(rs) < 2 {
			continue
		}
		f := Family{Model: m, Summary: Summarize(rs)}
		counts := map[string]int{}
		for _, r := range rs {
			if r.Bound == "" {
				continue
			}
			counts[r.Bound]++
			if counts[r.Bound] > f.BoundRows {
				f.Bound, f.BoundRows = r.Bound, counts[r.Bound]
			}
		}
		out = append(out, f)
	}
	return out
}

// geoMean is stat.GeometricMean, NaN when a value is not positive (the log of which is not a
// number the mean could use).
func geoMean(xs []float64) float64 {
	for _, x := range xs {
		if !(x > 0) {
			return math.NaN()
		}
	}
	return stat.GeometricMean(xs, nil)
}

// Paper holds the averages the LeOPArd paper (ISCA 2022) reports over its baseline, for the
// reference line of the table. They are the paper's numbers, not lrpsim's.
type Paper struct {
	Speedup, EnergyReduction float64
	// AccuracyLoss is the bound on the accuracy loss, as a fraction (0.002 is 0.2%).
	AccuracyLoss float64
	Tasks        int
	Citation     string
}

// PaperFigures returns what the paper reports: 1.9x speedup and 3.9x energy reduction on average
// over its baseline, post-layout, on 43 tasks, with under 0.2% accuracy loss.
func PaperFigures() Paper {
	return Paper{Speedup: 1.9, EnergyReduction: 3.9, AccuracyLoss: 0.002, Tasks: 43,
		Citation: "LeOPArd paper (ISCA 2022)"}
}

// Simulate opens the trace name (a path, "bundled:NAME", or "" for the bundled default), runs cfg
// and its baselines on it with engine, prices the result with table and fills its trace
// information. It also returns the trace's meta.
func Simulate(cfg *sim.Config, name, engine string, table *energy.Table) (*sim.Result, traces.Meta, error) {
	r, err := data.Open(name)
	if err != nil {
		return nil, traces.Meta{}, err
	}
	defer r.Close()
	m := r.Meta()
	res, err := sim.Run(cfg, r, engine, sim.Options{})
	if err != nil {
		return nil, m, fmt.Errorf("%s: %w", r.Path(), err)
	}
	if err := res.Price(table); err != nil {
		return nil, m, fmt.Errorf("%s: %w", r.Path(), err)
	}
	res.Trace = sim.TraceInfo{Path: r.Path(), Model: m.Model, Task: m.Task, Source: m.Source, Synthetic: m.Synthetic,
		Heads: r.NumHeads(), Inputs: m.Inputs, Layers: m.Layers, HeadsPer: m.Heads}
	return res, m, nil
}

// RowOf makes the table row of a priced result whose baselines include dense. metric is the
// trace's meta.metric (nil or empty: none).
func RowOf(trace string, res *sim.Result, metric map[string]any) (Row, error) {
	if _, ok := res.Baselines[Dense]; !ok {
		return Row{}, fmt.Errorf("%s: the result has no %s baseline", trace, Dense)
	}
	if res.Energy == nil {
		return Row{}, fmt.Errorf("%s: the result is not priced", trace)
	}
	m, err := ParseMetric(metric)
	if err != nil {
		return Row{}, fmt.Errorf("%s: %w", trace, err)
	}
	// The row's numbers are the registry's metrics (sim/report), as in the other reports.
	design, _ := report.RunOf(res, report.DesignRun)
	dense, _ := report.RunOf(res, Dense)
	get := func(r report.Run, name string) report.Value {
		metric, _ := report.MetricByName(name)
		return metric.Of(r)
	}
	row := Row{
		Trace: trace, Model: res.Trace.Model, Task: res.Trace.Task, Synthetic: res.Trace.Synthetic,
		Pairs: get(design, "pairs").Int, PruningRate: get(design, "pruning_rate").Float,
		MeanSteps: get(design, "mean_steps_per_key").Float, MaxSteps: len(res.Design.StepHistogram),
		Speedup: get(dense, "speedup").Float, EnergyReduction: get(dense, "energy_reduction").Float, Metric: m,
		EnergyReductionOnChip: get(dense, "energy_reduction_onchip").Float,
	}
	if bd := res.Design.Bound; bd != nil {
		top := bd.Top()
		row.Bound, row.BoundShare = top.Short(), get(design, "bound_"+top.Name()).Float
		for _, c := range sim.Causes() {
			row.BoundShares = append(row.BoundShares, get(design, "bound_"+c.Name()).Float)
		}
	}
	return row, nil
}

// ParseMetric reads a trace's meta.metric: nil for an absent or empty object, else it must hold
// name (a string), dense and pruned (numbers).
func ParseMetric(m map[string]any) (*Metric, error) {
	if len(m) == 0 {
		return nil, nil
	}
	name, ok1 := m["name"].(string)
	dense, ok2 := m["dense"].(float64)
	pruned, ok3 := m["pruned"].(float64)
	if !ok1 || !ok2 || !ok3 || name == "" {
		return nil, fmt.Errorf(`meta.metric: expected {"name": string, "dense": number, "pruned": number}, got %v`, m)
	}
	return &Metric{Name: name, Dense: dense, Pruned: pruned}, nil
}

// Build simulates cfg against the dense baseline on every trace of traceNames (paths or
// "bundled:NAME"), at most jobs at a time (jobs < 1: one), and returns one row per trace in the
// order given. Only the dense baseline is simulated, whatever cfg's list. The first failing
// trace, in the order given, is the error.
func Build(cfg *sim.Config, traceNames []string, engine string, table *energy.Table, jobs int) ([]Row, error) {
	if len(traceNames) == 0 {
		return nil, fmt.Errorf("no traces to tabulate")
	}
	traceNames = resolveAll(traceNames)
	c := cfg.Clone()
	c.Baselines = []string{Dense}
	jobs = max(1, min(jobs, len(traceNames)))
	rows := make([]Row, len(traceNames))
	errs := make([]error, len(traceNames))
	next := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rows[i], errs[i] = buildRow(c, traceNames[i], engine, table)
			}
		}()
	}
	for i := range traceNames {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return rows, nil
}

func buildRow(cfg *sim.Config, name, engine string, table *energy.Table) (Row, error) {
	res, meta, err := Simulate(cfg, name, engine, table)
	if err != nil {
		return Row{}, err
	}
	return RowOf(name, res, meta.Metric)
}

// BundledNames lists the bundled traces exported from real models as "bundled:NAME", in name
// order; synthetic ones are left out (name one to include it).
func BundledNames() []string {
	var out []string
	for _, n := range data.Names() {
		name := data.BundledPrefix + n
		r, err := data.Open(name)
		if err != nil {
			continue
		}
		m := r.Meta()
		r.Close()
		// The paper's table is over real tasks (name a synthetic trace to include it); a dense
		// model's trace is the partner of its workload's (lrpsim compare).
		if !m.Synthetic && !m.DenseModel() {
			out = append(out, name)
		}
	}
	return out
}

// resolveAll returns the canonical names of traces (data.Resolve), so that bundled:X and
// bundled:X.npz make one row label.
func resolveAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = data.Resolve(n)
	}
	return out
}
