package report

import (
	"strconv"

	"github.com/lrpsim/lrpsim/sim"
)

// Run is one simulated configuration of a [sim.Result]: the design or one of its baselines,
// the unit every metric is read from.
type Run struct {
	// Name is "design" or the baseline's name (dense, et_only, ...).
	Name string
	// Baseline is false for the design.
	Baseline bool
	// Stats are the run's counts.
	Stats *sim.Stats
	// Energy is the run's priced energy and area; nil when the result is not priced.
	Energy *sim.EnergySummary
	// Result is the invocation the run belongs to (its config, the design, the ratios).
	Result *sim.Result
}

// DesignRun is the name of the design's run in Run.Name and in the run column of `run --csv`.
const DesignRun = "design"

// Runs lists the runs of res: the design first, then the baselines in res.Order.
func Runs(res *sim.Result) []Run {
	energyOf := func(name string) *sim.EnergySummary {
		if res.Energy == nil {
			return nil
		}
		if name == DesignRun {
			return &res.Energy.Design
		}
		es, ok := res.Energy.Baselines[name]
		if !ok {
			return nil
		}
		return &es
	}
	runs := []Run{{Name: DesignRun, Stats: res.Design, Energy: energyOf(DesignRun), Result: res}}
	for _, name := range res.Order {
		runs = append(runs, Run{Name: name, Baseline: true, Stats: res.Baselines[name], Energy: energyOf(name), Result: res})
	}
	return runs
}

// RunOf returns the run of res named name ("design" or a baseline) and whether it exists.
func RunOf(res *sim.Result, name string) (Run, bool) {
	for _, r := range Runs(res) {
		if r.Name == name {
			return r, true
		}
	}
	return Run{}, false
}

// Value is one metric of one run: an integer count or a real number, or absent (an energy
// metric of an unpriced result).
type Value struct {
	// Int holds a count when IsInt; Float holds a real number otherwise.
	Int   int64
	Float float64
	IsInt bool
	// Absent is set when the run has no value for the metric.
	Absent bool
}

// count and number make Values.
func count(x int64) Value    { return Value{Int: x, IsInt: true} }
func number(x float64) Value { return Value{Float: x} }

// Float64 returns the value as a float64 (0 when absent).
func (v Value) Float64() float64 {
	if v.IsInt {
		return float64(v.Int)
	}
	return v.Float
}

// String is the value as both CSVs write it: a count in decimal, a real number in the shortest
// form that reads back to the same float64 (so the bytes are stable and nothing is rounded
// away), and the empty string when absent.
func (v Value) String() string {
	switch {
	case v.Absent:
		return ""
	case v.IsInt:
		return strconv.FormatInt(v.Int, 10)
	}
	return strconv.FormatFloat(v.Float, 'g', -1, 64)
}

// Metric is one quantity read from a run. Its Name is the CSV column of `lrpsim run --csv`; the
// sweep CSV uses the same name for the design's value and, for ratios and for metrics with
// PerBaseline set, Name + "_" + baseline for each baseline's.
type Metric struct {
	// Name is the column name (snake_case).
	Name string
	// Unit is the unit of the value, e.g. "cycles", "pJ", "fraction" or "x" for a ratio.
	Unit string
	// Description says what the value is, in one sentence.
	Description string
	// Ratio marks a comparison of a run with the design (baseline over design): 1 for the design
	// itself; the sweep CSV has one column per baseline and none for the design.
	Ratio bool
	// PerBaseline marks a metric the sweep CSV also lists for each baseline, after the design's
	// metrics.
	PerBaseline bool
	// Energy marks a metric that needs a priced result (absent otherwise).
	Energy bool

	value func(Run) Value
}

// Of reads the metric of run r.
func (m Metric) Of(r Run) Value {
	if m.Energy && r.Energy == nil {
		return Value{Absent: true}
	}
	return m.value(r)
}

// sramBytes is the bytes the run read from and wrote to the on-chip SRAMs.
func sramBytes(s *sim.Stats) int64 {
	a := s.Actions
	return (a.QSRAMReadBits + a.QSRAMWrBits + a.KSRAMReadBits + a.KSRAMWrBits + a.VSRAMReadBits + a.VSRAMWrBits) / 8
}

// Metrics returns the registry: every metric lrpsim reports, in the order of the CSV columns.
// A metric added here appears in `lrpsim run --csv` and in the sweep CSV, with one name and one
// number format.
func Metrics() []Metric {
	u := func(r Run) Utilization { return UtilizationOf(r.Stats, r.Result.Config) }
	metrics := []Metric{
		counted("cycles", "cycles", "cycles from the first DRAM request to the last normalization",
			func(r Run) int64 { return r.Stats.Cycles }).alsoPerBaseline(),
		{Name: "speedup", Unit: "x", Description: "the design's speedup over the run: the run's cycles over the design's",
			Ratio: true, value: func(r Run) Value {
				return ratioOf(r, r.Result.Speedup, func(Run) float64 { return ratio(r.Stats.Cycles, r.Result.Design.Cycles) })
			}},
		measured("pruning_rate", "fraction", "fraction of the allowed (query, key) pairs below the threshold",
			func(r Run) float64 { return pruningRate(r.Stats) }),
		measured("mean_steps_per_key", "steps", "mean number of lane steps per key", func(r Run) float64 { return meanSteps(r.Stats) }),
		counted("survivors", "pairs", "pairs with a score at or above the threshold", func(r Run) int64 { return r.Stats.Survivors }),
		counted("pairs", "pairs", "allowed (query, key) pairs decided", func(r Run) int64 { return r.Stats.Pairs }),
		counted("pushed", "pairs", "keys pushed to the back end (all keys without back-end pruning)",
			func(r Run) int64 { return r.Stats.Pushed }),
		measured("energy_pj", "pJ", "total energy, dynamic and leakage", func(r Run) float64 { return r.Energy.TotalPJ }).priced().alsoPerBaseline(),
		measured("dynamic_pj", "pJ", "dynamic energy: action counts times energy per action",
			func(r Run) float64 { return r.Energy.DynamicPJ }).priced(),
		measured("leakage_pj", "pJ", "leakage energy over the run's cycles", func(r Run) float64 { return r.Energy.LeakagePJ }).priced(),
		measured("edp_pj_s", "pJ s", "energy-delay product", func(r Run) float64 { return r.Energy.EDP }).priced(),
		{Name: "energy_reduction", Unit: "x", Description: "the design's energy reduction over the run: the run's energy over the design's",
			Ratio: true, Energy: true, value: func(r Run) Value {
				return ratioOf(r, r.Result.EnergyReduction, func(Run) float64 { return r.Energy.TotalPJ / r.Result.Energy.Design.TotalPJ })
			}},
		{Name: "edp_reduction", Unit: "x", Description: "the design's energy-delay product reduction over the run",
			Ratio: true, Energy: true, value: func(r Run) Value {
				return ratioOf(r, r.Result.EDPReduction, func(Run) float64 { return r.Energy.EDP / r.Result.Energy.Design.EDP })
			}},
		measured("area_um2", "um^2", "area of the run's configuration", func(r Run) float64 { return r.Energy.AreaUM2 }).priced(),
		measured("lane_util", "fraction", "lane-cycles stepping bit-planes over lane-cycles available",
			func(r Run) float64 { return u(r).LaneUtil }),
		measured("fe_busy", "fraction", "front-end units' busy fraction", func(r Run) float64 { return u(r).FEBusy }),
		measured("be_busy", "fraction", "back-end units' busy fraction", func(r Run) float64 { return u(r).BEBusy }),
		counted("fe_stall", "unit-cycles", "front-end unit-cycles in which a full survivor FIFO refused a push",
			func(r Run) int64 { return u(r).FEStall }),
		counted("lane_stalls", "lane-cycles", "lane-cycles holding a refused survivor", func(r Run) int64 { return u(r).LaneStalls }),
		counted("fe_wait_memory", "unit-cycles", "front-end unit-cycles waiting for DRAM", func(r Run) int64 { return u(r).FEWaitMem }),
		counted("be_starved", "unit-cycles", "back-end unit-cycles ready with an empty FIFO", func(r Run) int64 { return u(r).BEStarved }),
		counted("dram_bytes", "bytes", "bytes loaded from DRAM (V rows fetched on demand included)",
			func(r Run) int64 { return r.Stats.DRAM.Bytes }).alsoPerBaseline(),
		counted("dram_v_bytes", "bytes", "bytes of V rows fetched on demand (memory.v_fetch on_demand), in whole bursts",
			func(r Run) int64 { return r.Stats.DRAM.VBytes }),
		counted("sram_bytes", "bytes", "bytes read from and written to the Q, K and V SRAMs",
			func(r Run) int64 { return sramBytes(r.Stats) }).alsoPerBaseline(),
		counted("dram_loads", "loads", "DRAM loads (tiles)", func(r Run) int64 { return r.Stats.DRAM.Loads }),
		counted("dram_busy", "cycles", "data-bus occupancy: cycles in which a DRAM channel's data bus transferred, summed over the channels",
			func(r Run) int64 { return r.Stats.DRAM.Busy }),
		counted("dram_requests", "requests", "DRAM requests (whole aligned bursts)", func(r Run) int64 { return r.Stats.DRAM.Requests }),
		counted("dram_request_cycles", "cycles", "cycles from each DRAM request's issue to its last data cycle, summed over the requests (latency included)",
			func(r Run) int64 { return r.Stats.DRAM.RequestCycles }),
		counted("dram_wait_buffer", "cycles", "cycles a DRAM load waited for a free SRAM buffer",
			func(r Run) int64 { return r.Stats.DRAM.WaitBuffer }),
		counted("dram_wait_dependency", "cycles", "cycles a DRAM load, a buffer free, waited for the previous layer of its inputs (layer_dependency)",
			func(r Run) int64 { return r.Stats.DRAM.WaitDependency }),
	}
	return append(append(metrics, scopeMetrics()...), boundMetrics()...)
}

// counted is a metric whose value is a count read from the run.
func counted(name, unit, description string, of func(Run) int64) Metric {
	return Metric{Name: name, Unit: unit, Description: description, value: func(r Run) Value { return count(of(r)) }}
}

// measured is a metric whose value is a real number read from the run.
func measured(name, unit, description string, of func(Run) float64) Metric {
	return Metric{Name: name, Unit: unit, Description: description, value: func(r Run) Value { return number(of(r)) }}
}

// priced marks m as needing a priced result.
func (m Metric) priced() Metric { m.Energy = true; return m }

// alsoPerBaseline marks m as listed for each baseline too in the sweep CSV.
func (m Metric) alsoPerBaseline() Metric { m.PerBaseline = true; return m }

// scopeMetrics are the energy of each scope (sim.EnergyScopes) and the design's reduction there.
func scopeMetrics() []Metric {
	var metrics []Metric
	for _, scope := range sim.EnergyScopes() {
		metrics = append(metrics, Metric{Name: "energy_" + scope + "_pj", Unit: "pJ", Energy: true,
			Description: "energy of the " + scopeText[scope] + " (README.md, Energy by scope)",
			value:       func(r Run) Value { return number(r.Energy.Scopes[scope]) }})
	}
	for _, scope := range sim.EnergyScopes() {
		desc := "the design's energy reduction over the run at the " + scope + " scope (" + scopeText[scope] +
			"): the run's energy there over the design's; 0 when the design's is 0"
		if scope == sim.ScopeOnChip {
			desc = "the design's on-chip energy reduction over the run (core and SRAM, DRAM left out): the scope the paper's 3.9x most likely has"
		}
		metrics = append(metrics, Metric{Name: "energy_reduction_" + scope, Unit: "x", Ratio: true, Energy: true,
			Description: desc,
			value: func(r Run) Value {
				d := r.Result.Energy.Design.Scopes[scope]
				if d == 0 {
					return number(0)
				}
				return number(r.Energy.Scopes[scope] / d)
			}})
	}
	return metrics
}

// boundMetrics are the shares of the run's unit-cycles that went to each cause (sim.Causes).
func boundMetrics() []Metric {
	var metrics []Metric
	for _, c := range sim.Causes() {
		metrics = append(metrics, Metric{Name: "bound_" + c.Name(), Unit: "fraction",
			Description: "share of the run's unit-cycles (units x cycles) that went to " + c.Short() + " (what bounds the run; arch/README.md)",
			value:       func(r Run) Value { return number(r.Stats.Bound.Share(c)) }})
	}
	return metrics
}

// scopeText says what each energy scope (sim.EnergyScopes) holds, for the metrics' descriptions.
var scopeText = map[string]string{
	sim.ScopeCoreDynamic:   "core's dynamic energy (lanes, comparators, FIFOs, units, exp, MACs, normalizer)",
	sim.ScopeCoreLeakage:   "core's leakage energy",
	sim.ScopeSRAM:          "on-chip Q, K and V SRAMs, dynamic and leakage",
	sim.ScopeOnChip:        "chip: core dynamic, core leakage and SRAM",
	sim.ScopeDRAMDevice:    "DRAM device: DRAM bits read x memory.dram_device_pj_per_bit",
	sim.ScopeDRAMInterface: "DRAM interface: DRAM bits read x memory.dram_interface_pj_per_bit",
	sim.ScopeDRAM:          "DRAM: device and interface",
}

// MetricByName returns the registry's metric called name.
func MetricByName(name string) (Metric, bool) {
	for _, m := range Metrics() {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// ratioOf is a ratio metric of r: 1 for the design, the result's ratio for a baseline it holds,
// else computed by fallback.
func ratioOf(r Run, m map[string]float64, fallback func(Run) float64) Value {
	if !r.Baseline {
		return number(1)
	}
	if v, ok := m[r.Name]; ok {
		return number(v)
	}
	return number(fallback(r))
}

// ratio is a / b, 0 when b is 0 (as sim computes speedups).
func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// pruningRate is the fraction of s's allowed pairs below the threshold, as sim.Run computes
// Result.PruningRate for the design.
func pruningRate(s *sim.Stats) float64 {
	if s.Pairs == 0 {
		return 0
	}
	return 1 - float64(s.Survivors)/float64(s.Pairs)
}

// meanSteps is the mean number of lane steps per key of s, as sim.Run computes Result.MeanSteps
// for the design.
func meanSteps(s *sim.Stats) float64 {
	if s.Pairs == 0 {
		return 0
	}
	var steps int64
	for i, n := range s.StepHistogram {
		steps += int64(i+1) * n
	}
	return float64(steps) / float64(s.Pairs)
}

// Utilization summarizes one simulation's units: front-end lane utilization (lane-cycles
// stepping bit-planes over lane-cycles available), the front ends' and back ends' busy fractions,
// and the unit-cycles lost by cause.
type Utilization struct {
	LaneUtil float64 // lane-cycles stepping over lane-cycles available
	FEBusy   float64 // front-end busy fraction
	BEBusy   float64 // back-end busy fraction

	FEStall    int64 // unit-cycles in which a full survivor FIFO refused a push
	FEWaitMem  int64 // unit-cycles the front ends waited for DRAM
	LaneStalls int64 // lane-cycles holding a refused survivor
	BEStarved  int64 // unit-cycles a ready back end found its FIFO empty
	DRAMWait   int64 // cycles a DRAM load waited for a free SRAM buffer
}

// UtilizationOf computes the utilization of s, a simulation of cfg (whose lane count gives the
// lane-cycles available).
func UtilizationOf(s *sim.Stats, cfg *sim.Config) Utilization {
	var u Utilization
	var laneSteps, feBusy, beBusy int64
	for _, f := range s.FrontEnd {
		laneSteps += f.LaneSteps
		feBusy += f.Busy
		u.FEStall += f.Stall
		u.FEWaitMem += f.WaitMemory
		u.LaneStalls += f.LaneStalls
	}
	for _, b := range s.BackEnd {
		beBusy += b.Busy
		u.BEStarved += b.Starved
	}
	u.DRAMWait = s.DRAM.WaitBuffer
	units := int64(len(s.FrontEnd))
	if s.Cycles > 0 && units > 0 {
		u.LaneUtil = float64(laneSteps) / float64(s.Cycles*units*int64(cfg.FrontEnd.Lanes))
		u.FEBusy = float64(feBusy) / float64(s.Cycles*units)
		u.BEBusy = float64(beBusy) / float64(s.Cycles*units)
	}
	return u
}
