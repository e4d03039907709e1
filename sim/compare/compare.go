// Package compare replays several designs' runtime pruning rules (arch/POLICIES.md) on the same
// substrate and traces and tabulates them side by side against one dense baseline: speedup,
// energy by scope, pruning rate, the drops checked against exact scores, and the closed-loop
// task metric where the exporter measured it (lrpsim compare).
package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/internal/safeio"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/report"
	"github.com/lrpsim/lrpsim/sim/tabulate"
	"github.com/lrpsim/lrpsim/traces/data"
)

// Row is one design (a configuration and its pruning rule) on one workload.
type Row struct {
	Workload string // the learned-threshold trace's name
	Config   string // the configuration's name
	Policy   string // its pruning rule
	Trace    string // the trace replayed: the learned-threshold one, or the dense model's
	Model    string // "learned", or "dense" for the dense model's trace
	Units    int    // processing units (iso-area mode resizes them)
	AreaMM2  float64
	// Against the dense baseline of the same substrate on the same trace.
	Speedup, EnergyReduction, EnergyReductionOnChip float64
	Fidelity                                        sim.Fidelity
	// Metric is the closed-loop task metric with the rule inside the model's forward pass
	// (NaN when not measured); DenseMetric the model's without pruning.
	MetricName          string
	Metric, DenseMetric float64
	// LowerIsBetter: the metric falls as the model improves (perplexity); the closed-loop file's
	// higher_is_better false. Absent, a metric is higher-is-better (accuracy, cosine).
	LowerIsBetter bool

	// The run's cycles and energy (total, on-chip) and its dense baseline's, for iso-area mode,
	// which rebases every design on the reference design's dense baseline.
	cycles, denseCycles int64
	pj, densePJ         [2]float64
}

// Options choose what Build does.
type Options struct {
	Engine string
	Table  *energy.Table
	Jobs   int
	// ClosedLoop is the folder of the exporter's closed-loop results (WORKLOAD.json); "" none.
	ClosedLoop string
	// IsoArea resizes each configuration's units so that its area does not exceed the first
	// configuration's.
	IsoArea bool
}

// DenseTraceName is the name of the dense model's trace beside a learned-threshold trace
// ("bundled:X" -> "bundled:X-dense", "dir/x.npz" -> "dir/x-dense.npz").
func DenseTraceName(name string) string {
	if strings.HasSuffix(name, ".npz") {
		return strings.TrimSuffix(name, ".npz") + "-dense.npz"
	}
	return name + "-dense"
}

// traceFor is the trace a configuration replays for a workload: the dense model's when its rule
// is training-free and such a trace exists, else the workload's own.
func traceFor(cfg *sim.Config, workload string) (string, string, error) {
	pol, err := cfg.PruningPolicy()
	if err != nil {
		return "", "", err
	}
	if pol.UsesThreshold() {
		return workload, "learned", nil
	}
	dense := DenseTraceName(workload)
	if r, err := data.Open(dense); err == nil {
		r.Close()
		return dense, "dense", nil
	}
	return workload, "learned", nil
}

// Build runs every configuration on every workload (at most opts.Jobs at once) and returns the
// rows workload by workload, configurations in the order given.
func Build(cfgs []*sim.Config, workloads []string, opts Options) ([]Row, error) {
	if len(cfgs) == 0 || len(workloads) == 0 {
		return nil, fmt.Errorf("compare: no configurations or no traces")
	}
	resolved := make([]string, len(workloads))
	for i, w := range workloads {
		resolved[i] = data.Resolve(w) // bundled:X and bundled:X.npz are one workload
	}
	workloads = resolved
	run := make([]*sim.Config, len(cfgs))
	for i, c := range cfgs {
		run[i] = c.Clone()
		run[i].Baselines = []string{tabulate.Dense}
	}
	if opts.IsoArea {
		if err := isoArea(run, workloads[0], opts); err != nil {
			return nil, err
		}
	}
	rows := make([]Row, len(cfgs)*len(workloads))
	errs := make([]error, len(rows))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(opts.Jobs, len(rows))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rows[i], errs[i] = buildRow(run[i%len(cfgs)], workloads[i/len(cfgs)], opts)
			}
		}()
	}
	for i := range rows {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first, in the order of the rows
		}
	}
	if opts.IsoArea {
		// Every design against the same dense baseline: the reference design's, at its size.
		for i := range rows {
			ref := rows[i-i%len(cfgs)]
			r := &rows[i]
			r.Speedup = float64(ref.denseCycles) / float64(r.cycles)
			r.EnergyReduction = ref.densePJ[0] / r.pj[0]
			r.EnergyReductionOnChip = ref.densePJ[1] / r.pj[1]
		}
	}
	return rows, nil
}

func buildRow(cfg *sim.Config, workload string, opts Options) (Row, error) {
	trace, model, err := traceFor(cfg, workload)
	if err != nil {
		return Row{}, err
	}
	res, _, err := tabulate.Simulate(cfg, trace, opts.Engine, opts.Table)
	if err != nil {
		return Row{}, err
	}
	pol, _ := cfg.PruningPolicy()
	row := Row{Workload: workload, Config: cfg.Name, Policy: pol.Name(), Trace: trace, Model: model, Units: cfg.Units,
		AreaMM2: res.Energy.Design.AreaUM2 / 1e6, Metric: math.NaN(), DenseMetric: math.NaN()}
	dense, _ := report.RunOf(res, tabulate.Dense)
	get := func(name string) float64 {
		m, _ := report.MetricByName(name)
		return m.Of(dense).Float
	}
	row.Speedup, row.EnergyReduction, row.EnergyReductionOnChip = get("speedup"), get("energy_reduction"), get("energy_reduction_onchip")
	row.cycles, row.denseCycles = res.Design.Cycles, res.Baselines[tabulate.Dense].Cycles
	de, be := res.Energy.Design, res.Energy.Baselines[tabulate.Dense]
	row.pj = [2]float64{de.TotalPJ, de.Scopes[sim.ScopeOnChip]}
	row.densePJ = [2]float64{be.TotalPJ, be.Scopes[sim.ScopeOnChip]}
	r, err := data.Open(trace)
	if err != nil {
		return Row{}, err
	}
	defer r.Close()
	f, err := sim.MeasureFidelity(cfg, r)
	if err != nil {
		return Row{}, fmt.Errorf("%s: %w", trace, err)
	}
	row.Fidelity = *f
	if opts.ClosedLoop != "" {
		if err := row.closedLoop(opts.ClosedLoop); err != nil {
			return Row{}, err
		}
	}
	return row, nil
}

// ClosedLoopFile is the exporter's closed-loop result of one workload (schema
// lrpsim-closed-loop/1; traces/python/README.md).
type ClosedLoopFile struct {
	Schema   string `json:"schema"`
	Workload string `json:"workload"`
	Metric   string `json:"metric"`
	// HigherIsBetter is optional (absent: true); perplexity has false.
	HigherIsBetter *bool   `json:"higher_is_better"`
	Dense          float64 `json:"dense"`
	Policies       map[string]struct {
		Metric      float64 `json:"metric"`
		PruningRate float64 `json:"pruning_rate"`
		Model       string  `json:"model"`
	} `json:"policies"`
}

// closedLoop fills the row's metric from dir/WORKLOAD.json when that file exists.
func (r *Row) closedLoop(dir string) error {
	base := strings.TrimSuffix(filepath.Base(strings.TrimPrefix(r.Workload, data.BundledPrefix)), ".npz")
	path := filepath.Join(dir, base+".json")
	raw, err := safeio.ReadFile(path, "a closed-loop result (JSON)", safeio.MaxText)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var f ClosedLoopFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if f.Schema != "lrpsim-closed-loop/1" {
		return fmt.Errorf("%s: schema %q: expected lrpsim-closed-loop/1", path, f.Schema)
	}
	r.MetricName, r.DenseMetric = f.Metric, f.Dense
	r.LowerIsBetter = f.HigherIsBetter != nil && !*f.HigherIsBetter
	if p, ok := f.Policies[r.Config]; ok {
		r.Metric = p.Metric
	}
	return nil
}

// isoArea resizes cfgs[1:] so that each takes no more area than cfgs[0]: the SRAMs stay as they
// are, and the rest of the area, which grows with the units, buys as many units as fit.
func isoArea(cfgs []*sim.Config, workload string, opts Options) error {
	type split struct{ fixed, perUnit float64 }
	areaOf := func(cfg *sim.Config) (split, error) {
		trace, _, err := traceFor(cfg, workload)
		if err != nil {
			return split{}, err
		}
		res, _, err := tabulate.Simulate(cfg, trace, opts.Engine, opts.Table)
		if err != nil {
			return split{}, err
		}
		d := res.Energy.Design
		var fixed float64
		for _, c := range []string{energy.QSRAM, energy.KSRAM, energy.VSRAM} {
			fixed += d.Breakdown[c].AreaUM2
		}
		return split{fixed, (d.AreaUM2 - fixed) / float64(cfg.Units)}, nil
	}
	ref, err := areaOf(cfgs[0])
	if err != nil {
		return err
	}
	budget := ref.fixed + float64(ref.perUnit*float64(cfgs[0].Units)) // rounded: no fused multiply-add
	for _, c := range cfgs[1:] {
		s, err := areaOf(c)
		if err != nil {
			return err
		}
		c.Units = max(1, int(math.Floor((budget-s.fixed)/s.perUnit*(1+1e-12))))
	}
	return nil
}
