package sim

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/bits"
	"sort"
	"strconv"

	"github.com/lrpsim/lrpsim/energy"
)

// fifoEntryBits is the width of a survivor FIFO entry: key index (16 bits), query row (16 bits)
// and the 22-bit partial sum that is the score, rounded up to a 64-bit word (assumption).
const fifoEntryBits = 64

// laneElements is the number of q elements a lane's adder tree sums, the nominal d = 64 of the
// energy tables (energy/README.md, R3): the configuration does not name the lane's width in
// elements, and a trace of smaller d leaves part of the tree idle.
const laneElements = 64

// setLaneAttributes sets the attributes by which a table scales the lane and the comparator
// (energy/README.md, R6): the q width the datapath holds, the K bit-planes consumed per step
// and the partial-sum width.
func setLaneAttributes(c *energy.Counts, cfg *Config, s *Stats) {
	planes := min(cfg.FrontEnd.BitsPerCycle, cfg.Operands.BitsK)
	if s.PlanesPerStep > 0 {
		// What the run's lanes consumed per step: the bit-parallel baseline takes every plane
		// of the trace's keys, whatever bits_per_cycle says.
		planes = s.PlanesPerStep
	}
	psum := cfg.Operands.BitsQ + cfg.Operands.BitsK + bits.Len(laneElements-1)
	for _, comp := range []string{energy.Lane, energy.Comparator} {
		c.SetAttribute(comp, energy.AttrBitsQ, float64(cfg.Operands.BitsQ))
		c.SetAttribute(comp, energy.AttrPlanesPerStep, float64(planes))
		c.SetAttribute(comp, energy.AttrPsumBits, float64(psum))
	}
}

// EnergyCounts turns a simulation's action counts into the energy package's counts: what each
// component of the configured machine did, how many instances it has (energy.MachineCounts,
// from the machine the engines simulated), and its attributes. DRAM traffic is counted as
// dram.read_byte, so that the counts (run --actions) can be priced with any table;
// Result.Price prices that component from the config's memory section instead of the table
// (DRAMEnergy).
func EnergyCounts(s *Stats, cfg *Config) energy.Counts {
	c := energy.MachineCounts(machineOf(cfg))
	c.Cycles, c.ClockHz = s.Cycles, cfg.ClockGHz*1e9
	units := int64(cfg.Units)
	a := s.Actions

	setLaneAttributes(&c, cfg, s)
	c.Add(energy.Lane, energy.BitProduct, a.BitProducts)
	c.Add(energy.Lane, energy.Accumulate, a.Accumulates)
	c.Add(energy.Comparator, energy.Compare, a.Compares)
	for _, sram := range []struct {
		component   string
		read, write int64
	}{
		{energy.QSRAM, a.QSRAMReadBits, a.QSRAMWrBits},
		{energy.KSRAM, a.KSRAMReadBits, a.KSRAMWrBits},
		{energy.VSRAM, a.VSRAMReadBits, a.VSRAMWrBits},
	} {
		c.Add(sram.component, energy.ReadBit, sram.read)
		c.Add(sram.component, energy.WriteBit, sram.write)
	}
	c.Add(energy.DRAM, energy.ReadByte, a.DRAMBytes)
	c.Add(energy.FIFO, energy.Push, a.FIFOPushes)
	c.Add(energy.FIFO, energy.Pop, a.FIFOPops)
	c.Add(energy.ExpUnit, energy.Exp, a.Exps)
	c.Add(energy.MACArray, energy.MAC, a.MACs)
	c.Add(energy.Normalizer, energy.Divide, a.Divides)

	var feBusy, beBusy int64
	for _, f := range s.FrontEnd {
		feBusy += f.Busy
	}
	for _, b := range s.BackEnd {
		beBusy += b.Busy
	}
	addPolicyUnits(&c, cfg, s)
	c.Add(energy.FEUnit, energy.BusyCycle, feBusy)
	c.Add(energy.FEUnit, energy.IdleCycle, units*s.Cycles-feBusy)
	c.Add(energy.BEUnit, energy.BusyCycle, beBusy)
	c.Add(energy.BEUnit, energy.IdleCycle, units*s.Cycles-beBusy)
	return c
}

// machineOf is the description of the machine a configuration simulates, as the energy tables
// price it: the engines' resolved parameters.
func machineOf(cfg *Config) energy.Machine {
	p := cfg.engineParams()
	return energy.Machine{Units: p.Units, Lanes: p.FrontEnd.Lanes, MACs: p.BackEnd.Macs, FIFODepth: p.FIFODepth,
		FIFOWidthBits: fifoEntryBits, SRAMQBytes: p.SRAMQBytes, SRAMKVBytes: p.SRAMKVBytes, KVBuffers: p.KVBuffers}
}

// addPolicyUnits counts the units the configured pruning rule adds (arch.AddedUnit), each
// priced as the table primitive it is built of, with that primitive's attributes. A
// configuration that prunes nothing (the dense and bit-parallel baselines) has none.
func addPolicyUnits(c *energy.Counts, cfg *Config, s *Stats) {
	if !cfg.FrontEnd.EarlyTermination && !cfg.BackEnd.Pruning {
		return
	}
	pol, err := cfg.PruningPolicy()
	if err != nil {
		return // a validated config's rule builds
	}
	var laneSteps int64
	for _, f := range s.FrontEnd {
		laneSteps += f.LaneSteps
	}
	for _, u := range pol.AddedUnits() {
		per := int64(u.PerUnit)
		if u.PerLane {
			per = int64(cfg.FrontEnd.Lanes)
		}
		c.SetInstances(u.Name, int64(cfg.Units)*per)
		c.SetPricedAs(u.Name, u.PricedAs)
		for k, v := range c.Components[u.PricedAs].Attributes {
			c.SetAttribute(u.Name, k, v)
		}
		c.Add(u.Name, u.Action, u.PerPair*s.Pairs+u.PerLaneStep*laneSteps)
	}
}

// DRAMEnergy is the energy of a run's DRAM reads in pJ, priced from the config's memory
// section: bits = 8 x bytes read, device = bits x memory.dram_device_pj_per_bit, interface =
// bits x memory.dram_interface_pj_per_bit (each one float64 product).
func DRAMEnergy(s *Stats, cfg *Config) (device, iface float64) {
	bits := float64(8 * s.Actions.DRAMBytes)
	// float64() rounds each product: callers add them, and a fused multiply-add would move the
	// last digits on CPUs that have one (README, "Reproducibility").
	return float64(bits * cfg.Memory.DRAMDevicePJPerBit), float64(bits * cfg.Memory.DRAMInterfacePJPerBit)
}

// EnergySummary is the energy of one simulated configuration.
type EnergySummary struct {
	TotalPJ   float64 `json:"total_pj"`
	DynamicPJ float64 `json:"dynamic_pj"`
	LeakagePJ float64 `json:"leakage_pj"`
	AreaUM2   float64 `json:"area_um2"`
	EDP       float64 `json:"edp_pj_s"` // energy-delay product, pJ x seconds
	// Scopes splits the total by scope (EnergyScopes): the core's dynamic and leakage energy,
	// the on-chip SRAMs' energy, their sum, and DRAM's device and interface energy and their sum.
	Scopes map[string]float64 `json:"scopes_pj"`
	// Breakdown is the energy and area by component: the table's components, and dram_device
	// and dram_interface (no area).
	Breakdown map[string]Share `json:"breakdown"`
	// Report is the table's pricing of the chip (every component but DRAM).
	Report *energy.Report `json:"-"`
}

// Energy scopes, the parts of a run's energy reported separately (README.md, "Energy by
// scope"): the paper's 3.9x is most likely an on-chip figure, so the comparison is made there,
// with the all-inclusive total beside it.
const (
	ScopeCoreDynamic   = "core_dynamic"   // dynamic energy of the lanes, comparators, units, exp, MACs, normalizer, FIFOs
	ScopeCoreLeakage   = "core_leakage"   // their leakage
	ScopeSRAM          = "sram"           // the Q, K and V SRAMs, dynamic and leakage
	ScopeOnChip        = "onchip"         // core dynamic + core leakage + SRAM
	ScopeDRAMDevice    = "dram_device"    // DRAM reads, the device's part (memory.dram_device_pj_per_bit)
	ScopeDRAMInterface = "dram_interface" // DRAM reads, the interface's part (memory.dram_interface_pj_per_bit)
	ScopeDRAM          = "dram"           // DRAM device + DRAM interface
	// ScopeCore groups the core components (for scopeOf).
	ScopeCore = "core"
)

// EnergyScopes lists the scopes in report order.
func EnergyScopes() []string {
	return []string{ScopeCoreDynamic, ScopeCoreLeakage, ScopeSRAM, ScopeOnChip, ScopeDRAMDevice, ScopeDRAMInterface, ScopeDRAM}
}

// scopeOf is the scope of a component the table prices (DRAM is not one).
func scopeOf(component string) string {
	switch component {
	case energy.QSRAM, energy.KSRAM, energy.VSRAM:
		return ScopeSRAM
	}
	return ScopeCore
}

// Share is one component's energy and area.
type Share struct {
	PJ      float64 `json:"pj"`
	AreaUM2 float64 `json:"area_um2"`
}

// EnergyResult is the energy side of a Result.
type EnergyResult struct {
	Table     string                   `json:"table"`
	Node      string                   `json:"node"`
	Source    string                   `json:"table_source"` // where the table's numbers come from
	Design    EnergySummary            `json:"design"`
	Baselines map[string]EnergySummary `json:"baselines"`
	// DRAMDevicePJPerBit and DRAMInterfacePJPerBit are the config's DRAM prices, which every run
	// of the result shares (baselines are configurations of the same config).
	DRAMDevicePJPerBit    float64 `json:"dram_device_pj_per_bit"`
	DRAMInterfacePJPerBit float64 `json:"dram_interface_pj_per_bit"`
}

// Price prices the design and every baseline and fills the energy fields: the chip with table,
// DRAM with the config's memory prices (DRAMEnergy; the table's dram entry is not used). A run's
// total is the table's total plus the DRAM device energy plus the DRAM interface energy, in that
// order; its dynamic energy likewise (DRAM reads are dynamic energy), its leakage and area the
// table's.
func (r *Result) Price(table *energy.Table) error {
	price := func(s *Stats, cfg *Config) (EnergySummary, error) {
		chip := EnergyCounts(s, cfg)
		delete(chip.Components, energy.DRAM)
		rep, err := table.Price(chip)
		if err != nil {
			return EnergySummary{}, fmt.Errorf("pricing %s: %w", s.Config, err)
		}
		dev, ifc := DRAMEnergy(s, cfg)
		es := EnergySummary{TotalPJ: rep.TotalPJ + dev + ifc, DynamicPJ: rep.DynamicPJ + dev + ifc,
			LeakagePJ: rep.LeakagePJ, AreaUM2: rep.AreaUM2, Breakdown: map[string]Share{}, Report: &rep}
		es.EDP = es.TotalPJ * float64(s.Cycles) / (cfg.ClockGHz * 1e9)
		es.Scopes = map[string]float64{}
		for _, comp := range rep.Components {
			es.Breakdown[comp.Name] = Share{PJ: comp.TotalPJ, AreaUM2: comp.AreaUM2}
			switch scopeOf(comp.Name) {
			case ScopeCore:
				es.Scopes[ScopeCoreDynamic] += comp.DynamicPJ
				es.Scopes[ScopeCoreLeakage] += comp.LeakagePJ
			case ScopeSRAM:
				es.Scopes[ScopeSRAM] += comp.TotalPJ
			}
		}
		es.Scopes[ScopeOnChip] = es.Scopes[ScopeCoreDynamic] + es.Scopes[ScopeCoreLeakage] + es.Scopes[ScopeSRAM]
		es.Breakdown[ScopeDRAMDevice] = Share{PJ: dev}
		es.Breakdown[ScopeDRAMInterface] = Share{PJ: ifc}
		es.Scopes[ScopeDRAMDevice] = dev
		es.Scopes[ScopeDRAMInterface] = ifc
		es.Scopes[ScopeDRAM] = dev + ifc
		return es, nil
	}
	er := &EnergyResult{Table: table.Name, Node: table.Node, Source: table.Source, Baselines: map[string]EnergySummary{},
		DRAMDevicePJPerBit: r.Config.Memory.DRAMDevicePJPerBit, DRAMInterfacePJPerBit: r.Config.Memory.DRAMInterfacePJPerBit}
	var err error
	if er.Design, err = price(r.Design, r.Config); err != nil {
		return err
	}
	r.EnergyReduction, r.EDPReduction = map[string]float64{}, map[string]float64{}
	for _, name := range r.Order {
		bc, err := r.Config.Baseline(name)
		if err != nil {
			return err
		}
		es, err := price(r.Baselines[name], bc)
		if err != nil {
			return err
		}
		er.Baselines[name] = es
		if er.Design.TotalPJ > 0 {
			r.EnergyReduction[name] = es.TotalPJ / er.Design.TotalPJ
			r.EDPReduction[name] = es.EDP / er.Design.EDP
		}
	}
	r.Energy = er
	return nil
}

// WriteActionsCSV writes every action count of the design and the baselines as a tidy CSV
// (run, component, action, count, instances), so that anyone can price them with their own table.
func (r *Result) WriteActionsCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"run", "config", "cycles", "component", "action", "count", "instances"}); err != nil {
		return err
	}
	emit := func(run string, s *Stats, cfg *Config) error {
		c := EnergyCounts(s, cfg)
		names := make([]string, 0, len(c.Components))
		for n := range c.Components {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			cc := c.Components[n]
			acts := make([]string, 0, len(cc.Actions))
			for a := range cc.Actions {
				acts = append(acts, a)
			}
			sort.Strings(acts)
			for _, a := range acts {
				if err := cw.Write([]string{run, s.Config, strconv.FormatInt(s.Cycles, 10), n, a,
					strconv.FormatInt(cc.Actions[a], 10), strconv.FormatInt(cc.Instances, 10)}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := emit("design", r.Design, r.Config); err != nil {
		return err
	}
	for _, name := range r.Order {
		bc, err := r.Config.Baseline(name)
		if err != nil {
			return err
		}
		if err := emit(name, r.Baselines[name], bc); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
