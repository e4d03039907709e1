package sim

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/lrpsim/lrpsim/arch"
)

// Baseline names accepted in `baselines`.
var baselineNames = []string{"dense", "et_only", "prune_only", "bit_parallel"}

// Validate checks every value's range and returns the first problem, naming file, line and key.
func (c *Config) Validate() error {
	if errs := c.Problems(); len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// Problems checks every value's range and returns every problem, in key order of the checks,
// each naming file, line and key (config validate reports them all).
func (c *Config) Problems() []error {
	var errs []error
	type intRange struct {
		key    string
		v      int64
		lo, hi int64
	}
	ints := []intRange{
		{"units", int64(c.Units), 1, 4096},
		{"front_end.lanes", int64(c.FrontEnd.Lanes), 1, 4096},
		{"front_end.bits_per_cycle", int64(c.FrontEnd.BitsPerCycle), 1, 16},
		{"front_end.fill_cycles", int64(c.FrontEnd.FillCycles), 0, 1 << 20},
		{"front_end.drain_cycles", int64(c.FrontEnd.DrainCycles), 0, 1 << 20},
		{"back_end.fifo_depth", int64(c.BackEnd.FIFODepth), 1, 1 << 20},
		{"back_end.macs", int64(c.BackEnd.Macs), 1, 1 << 16},
		{"back_end.exp_latency", int64(c.BackEnd.ExpLatency), 0, 1 << 20},
		{"back_end.norm_latency", int64(c.BackEnd.NormLatency), 0, 1 << 20},
		{"memory.sram_q_bytes", c.Memory.SRAMQBytes, 1, 1 << 40},
		{"memory.sram_kv_bytes", c.Memory.SRAMKVBytes, 2, 1 << 40},
		{"memory.dram_bytes_per_cycle", int64(c.Memory.DRAMBytesPerCycle), 1, 1 << 20},
		{"memory.dram_latency", int64(c.Memory.DRAMLatency), 0, 1 << 30},
		{"memory.kv_buffers", int64(c.Memory.KVBuffers), 2, 1 << 16},
		{"memory.channels", int64(c.Memory.Channels), 1, 1024},
		{"memory.burst_bytes", int64(c.Memory.BurstBytes), 1, 1 << 20},
		{"memory.max_requests", int64(c.Memory.MaxRequests), 1, 1 << 16},
		{"operands.bits_q", int64(c.Operands.BitsQ), 2, 16},
		{"operands.bits_k", int64(c.Operands.BitsK), 2, 16},
		{"operands.bits_v", int64(c.Operands.BitsV), 2, 16},
	}
	for _, r := range ints {
		if r.v < r.lo || r.v > r.hi {
			errs = append(errs, c.errAt(r.key, fmt.Sprintf("an integer in [%d, %d]", r.lo, r.hi), r.v))
		}
	}
	if !(c.ClockGHz > 0) || math.IsInf(c.ClockGHz, 0) {
		errs = append(errs, c.errAt("clock_ghz", "a positive number of GHz", c.ClockGHz))
	}
	// A file's enums are checked as it is read; these catch a Config built in Go.
	if c.FrontEnd.Scheduling != arch.DynamicLanes && c.FrontEnd.Scheduling != arch.LockstepLanes {
		errs = append(errs, c.errAt("front_end.scheduling", kindName(reflect.TypeFor[arch.LaneSchedule]()), fmt.Sprintf("policy %d", c.FrontEnd.Scheduling)))
	}
	for _, err := range []error{
		enumProblem(c, "thresholds.granularity", c.Thresholds.Granularity),
		enumProblem(c, "dispatch", c.Dispatch),
		enumProblem(c, "memory.model", c.Memory.Model),
		enumProblem(c, "memory.v_fetch", c.Memory.VFetch),
		enumProblem(c, "memory.k_layout", c.Memory.KLayout),
		enumProblem(c, "memory.k_reads", c.Memory.KReads),
	} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.variantProblems()...)
	for _, p := range []struct {
		key string
		v   float64
	}{
		{"memory.dram_device_pj_per_bit", c.Memory.DRAMDevicePJPerBit},
		{"memory.dram_interface_pj_per_bit", c.Memory.DRAMInterfacePJPerBit},
	} {
		if !(p.v >= 0) || math.IsInf(p.v, 0) {
			errs = append(errs, c.errAt(p.key, "a finite number of pJ per bit, 0 or more", p.v))
		}
	}
	if !(c.Thresholds.Scale > 0) || math.IsInf(c.Thresholds.Scale, 0) {
		errs = append(errs, c.errAt("thresholds.scale", "a positive finite number", c.Thresholds.Scale))
	}
	if _, err := c.PruningPolicy(); err != nil {
		errs = append(errs, c.paramProblem(err))
	}
	errs = append(errs, c.baselineProblems()...)
	errs = append(errs, c.operatingPointProblems()...)
	if strings.TrimSpace(c.Name) == "" {
		errs = append(errs, c.errAt("name", "a non-empty name", `""`))
	}
	return errs
}

// baselineProblems checks the baselines' names, each once.
func (c *Config) baselineProblems() []error {
	var errs []error
	seen := map[string]bool{}
	for _, b := range c.Baselines {
		if !contains(baselineNames, b) {
			errs = append(errs, c.errAt("baselines", "a list of "+strings.Join(baselineNames, ", "), fmt.Sprintf("%q", b)))
			continue
		}
		if seen[b] {
			errs = append(errs, c.errAt("baselines", "each baseline once", fmt.Sprintf("%q twice", b)))
		}
		seen[b] = true
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Baseline derives a named baseline from the design config: the same substrate with early
// termination and back-end pruning switched as the name says.
func (c *Config) Baseline(name string) (*Config, error) {
	b := c.Clone()
	b.Name, b.Baselines = name, nil
	switch name {
	case "dense":
		b.FrontEnd.EarlyTermination, b.BackEnd.Pruning = false, false
	case "et_only":
		b.FrontEnd.EarlyTermination, b.BackEnd.Pruning = true, false
	case "prune_only":
		b.FrontEnd.EarlyTermination, b.BackEnd.Pruning = false, true
	case "bit_parallel":
		b.FrontEnd.EarlyTermination, b.BackEnd.Pruning = false, false
		b.bitParallel = true
	default:
		return nil, fmt.Errorf("unknown baseline %q (want one of %s)", name, strings.Join(baselineNames, ", "))
	}
	return b, nil
}
