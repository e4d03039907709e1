package diff

import (
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/report"
)

// Direction says which way a metric improves.
type Direction int

const (
	// Neutral marks a metric that describes a run rather than rates it (a pruning rate, a
	// utilization, a bound share): a change is reported, and fails only a metric named in
	// Options.Tolerances, in either direction.
	Neutral Direction = iota
	// HigherIsBetter marks the ratios: speedup, energy and EDP reductions.
	HigherIsBetter
	// LowerIsBetter marks costs: cycles, energy, area, stalls, traffic.
	LowerIsBetter
)

// String is the direction as the reports write it.
func (d Direction) String() string {
	switch d {
	case HigherIsBetter:
		return "higher is better"
	case LowerIsBetter:
		return "lower is better"
	}
	return "no direction"
}

// Rule is how a metric is compared: its direction, and whether a regression beyond tolerance
// fails the comparison by default (Checked) or is only reported.
type Rule struct {
	Direction Direction
	Checked   bool
}

// rules is the table of every metric lrpsim writes: each metric of the registry of sim/report
// (report.Metrics, by name; a ratio's rule holds for each of its NAME_BASELINE columns) and the
// columns only `lrpsim table` has. TestDirections holds it to the registry, so that a new metric
// needs a decision here, and TestREADMEDirections holds README.md's table to it.
func rules() map[string]Rule {
	checkedHigher := Rule{Direction: HigherIsBetter, Checked: true}
	checkedLower := Rule{Direction: LowerIsBetter, Checked: true}
	lower := Rule{Direction: LowerIsBetter}
	neutral := Rule{Direction: Neutral}
	r := map[string]Rule{
		"cycles":               checkedLower,
		"speedup":              checkedHigher,
		"pruning_rate":         neutral, // the thresholds' doing, not the hardware's; faster but maybe less accurate
		"mean_steps_per_key":   lower,
		"survivors":            neutral,
		"pairs":                neutral,
		"pushed":               neutral,
		"energy_pj":            checkedLower,
		"dynamic_pj":           lower,
		"leakage_pj":           lower,
		"edp_pj_s":             checkedLower,
		"energy_reduction":     checkedHigher,
		"edp_reduction":        checkedHigher,
		"area_um2":             checkedLower,
		"lane_util":            neutral, // busier is not better when the work shrinks
		"fe_busy":              neutral,
		"be_busy":              neutral,
		"fe_stall":             lower,
		"lane_stalls":          lower,
		"fe_wait_memory":       lower,
		"be_starved":           lower,
		"dram_bytes":           lower,
		"dram_v_bytes":         lower,
		"sram_bytes":           lower,
		"dram_loads":           neutral,
		"dram_busy":            lower,
		"dram_requests":        lower,
		"dram_request_cycles":  lower,
		"dram_wait_buffer":     lower,
		"dram_wait_dependency": lower,
		// Only in `lrpsim table`: the accuracy columns compare the model's task metric, whose
		// direction depends on the metric (accuracy or perplexity), so they are reported only.
		"max_steps":     neutral,
		"bound_share":   neutral,
		"metric_dense":  neutral,
		"metric_pruned": neutral,
		"metric_change": neutral,
	}
	for _, scope := range sim.EnergyScopes() {
		r["energy_"+scope+"_pj"] = lower
		r["energy_reduction_"+scope] = checkedHigher
	}
	for _, c := range sim.Causes() {
		r["bound_"+c.Name()] = neutral
	}
	return r
}

// RuleOf returns the rule of the metric called name (a registry metric of sim/report or a
// column of `lrpsim table`) and whether there is one. A column the table does not know is
// compared as Neutral.
func RuleOf(name string) (Rule, bool) {
	r, ok := rules()[name]
	return r, ok
}

// isRatio reports whether name is a ratio of the registry (one column per baseline).
func isRatio(name string) bool {
	m, ok := report.MetricByName(name)
	return ok && m.Ratio
}

// isPerBaseline reports whether name is a registry metric with one column per baseline beside
// the design's (cycles_dense, energy_pj_dense, ...).
func isPerBaseline(name string) bool {
	m, ok := report.MetricByName(name)
	return ok && m.PerBaseline
}
