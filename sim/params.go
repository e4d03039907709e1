package sim

import (
	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/sim/internal/engine"
)

// engineParams resolves the configuration into the parameters the engines take.
func (c *Config) engineParams() *engine.Params {
	pol := c.FrontEnd.Scheduling
	ep := &engine.Params{
		Name:  c.Name,
		Units: c.Units,
		FrontEnd: arch.FrontEndParams{
			Lanes: c.FrontEnd.Lanes, BitsPerCycle: c.FrontEnd.BitsPerCycle, Scheduling: pol,
			EarlyTermination: c.FrontEnd.EarlyTermination, KeepAll: !c.BackEnd.Pruning,
			FillCycles: c.FrontEnd.FillCycles, DrainCycles: c.FrontEnd.DrainCycles,
		},
		BitParallel: c.bitParallel,
		BackEnd: arch.BackEndParams{Macs: c.BackEnd.Macs, ExpLatency: c.BackEnd.ExpLatency, NormLatency: c.BackEnd.NormLatency,
			NormOverlap: c.BackEnd.NormOverlap, SkipEmptyRows: c.BackEnd.SkipEmptyRows},
		FIFODepth:   c.BackEnd.FIFODepth,
		SRAMQBytes:  c.Memory.SRAMQBytes,
		SRAMKVBytes: c.Memory.SRAMKVBytes,
		KVBuffers:   c.Memory.KVBuffers,
		PackHeads:   c.Memory.PackHeads,
		Memory:      c.memoryVariant(),
		BitsQ:       c.Operands.BitsQ, BitsK: c.Operands.BitsK, BitsV: c.Operands.BitsV,
		Dispatch:        c.dispatchVariant(),
		LayerDependency: c.LayerDependency,
		VOnDemand:       c.Memory.VFetch == VOnDemand,
		KPlaneMajor:     c.Memory.KLayout == PlaneMajor,
		KBroadcast:      c.Memory.KReads == Broadcast,
		LayerThresholds: c.Thresholds.Granularity == PerLayer,
		ThresholdScale:  c.Thresholds.Scale,
	}
	// A validated config's rule builds (Validate checks it).
	ep.Policy, _ = c.PruningPolicy()
	return ep
}
