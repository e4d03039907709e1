package sim

import (
	"math"
	"testing"

	"github.com/lrpsim/lrpsim/energy"
)

// TestPriceMatchesCounts: the design's energy is the sum over its counts of count x table
// entry (plus leakage), with DRAM's bits x the config's prices, recomputed here from the exported
// counts, and both engines give the same energy to the last digit.
func TestPriceMatchesCounts(t *testing.T) {
	cfg := tinyConfig(t, 2, 2, 1, 1, 1, 1, 1, 5, 4)
	cfg.Baselines = []string{"dense"}
	h := head4([2]int32{-8, 5}, [2]int32{2, -1}, [2]int32{-8, 5}, [2]int32{2, -1})
	table, err := energy.DefaultTable("45nm")
	if err != nil {
		t.Fatal(err)
	}
	var totals []float64
	for _, eng := range []string{EngineReference, EngineEvent} {
		res, err := Run(cfg, Heads{h}, eng, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Price(table); err != nil {
			t.Fatal(err)
		}
		counts := EnergyCounts(res.Design, cfg)
		var dyn float64
		for _, comp := range res.Energy.Design.Report.Components {
			cc := counts.Components[comp.Name]
			for _, a := range comp.Actions {
				if a.Count != cc.Actions[a.Name] {
					t.Errorf("%s: %s.%s priced %d times, counted %d", eng, comp.Name, a.Name, a.Count, cc.Actions[a.Name])
				}
				dyn += float64(a.Count) * a.PJPerAction
			}
		}
		// DRAM is priced from the config, outside the table: bits read x pJ per bit, per part.
		bits := float64(8 * res.Design.Actions.DRAMBytes)
		dyn += bits*cfg.Memory.DRAMDevicePJPerBit + bits*cfg.Memory.DRAMInterfacePJPerBit
		if math.Abs(dyn-res.Energy.Design.DynamicPJ) > 1e-9*dyn {
			t.Errorf("%s: dynamic energy %v, sum of counts x entries %v", eng, res.Energy.Design.DynamicPJ, dyn)
		}
		if res.EnergyReduction["dense"] <= 1 {
			t.Errorf("%s: energy reduction vs dense %v, want > 1 on a trace that prunes", eng, res.EnergyReduction["dense"])
		}
		totals = append(totals, res.Energy.Design.TotalPJ)
	}
	if totals[0] != totals[1] {
		t.Errorf("engines price differently: reference %v, event %v", totals[0], totals[1])
	}
}

// TestLaneScalesWithPlanesAndWidths: lane and comparator area and energy per action follow the
// rule R6 of energy/README.md under the 45 nm table (nominal lane: bits_q = 8, one plane per
// step, partial sum 22 bits; 3215 um^2, 0.03966 pJ per bit_product, 0.1429 pJ per accumulate,
// comparator 190.9 um^2 and 0.1444 pJ per compare). The bit-parallel baseline consumes all
// bits_k planes in one step, so its lane holds bits_k AND arrays and adder trees.
func TestLaneScalesWithPlanesAndWidths(t *testing.T) {
	table, err := energy.DefaultTable("45nm")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                       string
		bitsQ, bitsK, bitsPerCycle int
		laneArea, bitProduct       float64 // um^2 per lane, pJ
		accumulate, cmpArea        float64 // pJ, um^2 per comparator
	}{
		// 8-bit operands, 1 plane per step: the nominal lane, W = 8 + 8 + 6 = 22.
		{"nominal", 8, 8, 1, 3215.0 / 8 * 1 * 8, 0.03966 / 8 * 8, 0.1429 / 22 * 22, 190.9 / 22 * 22},
		// The default config: 16-bit operands, W = 16 + 16 + 6 = 38; area 3215 * 16/8 = 6430.
		{"bit-serial 16-bit", 16, 16, 1, 3215.0 / 8 * 1 * 16, 0.03966 / 8 * 16, 0.1429 / 22 * 38, 190.9 / 22 * 38},
		// 2 planes per step of 8-bit operands: twice the nominal area, 6430 um^2.
		{"2 planes per step", 8, 8, 2, 3215.0 / 8 * 2 * 8, 0.03966 / 8 * 8, 0.1429 / 22 * 22, 190.9 / 22 * 22},
		// bits_per_cycle above bits_k consumes bits_k planes: 3215 * 16 * 16/8 = 102880 um^2.
		{"bit-parallel 16-bit", 16, 16, 32, 3215.0 / 8 * 16 * 16, 0.03966 / 8 * 16, 0.1429 / 22 * 38, 190.9 / 22 * 38},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tinyConfig(t, 2, 2, 1, 1, 1, 1, 1, 5, 4)
			cfg.Operands.BitsQ, cfg.Operands.BitsK, cfg.FrontEnd.BitsPerCycle = tt.bitsQ, tt.bitsK, tt.bitsPerCycle
			rep, err := table.Price(EnergyCounts(&Stats{Cycles: 10, Actions: Actions{BitProducts: 1, Accumulates: 1, Compares: 1}}, cfg))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for _, c := range rep.Components {
				got[c.Name+" area"] = c.AreaUM2PerInstance
				for _, a := range c.Actions {
					got[c.Name+"."+a.Name] = a.PJPerAction
				}
			}
			want := map[string]float64{"lane area": tt.laneArea, "lane.bit_product": tt.bitProduct,
				"lane.accumulate": tt.accumulate, "comparator area": tt.cmpArea}
			for k, w := range want {
				if math.Abs(got[k]-w) > 1e-12*w {
					t.Errorf("%s = %v, want %v", k, got[k], w)
				}
			}
		})
	}

	// The design and its bit-parallel baseline differ in lane area by the planes per step: the
	// bit-parallel lane consumes all 4 planes of the trace's 4-bit keys in one step (issue 10,
	// item 6: the trace's K width, not operands.bits_k = 16).
	cfg := tinyConfig(t, 2, 2, 1, 1, 1, 1, 1, 5, 4)
	cfg.Baselines = []string{"bit_parallel"}
	h := head4([2]int32{-8, 5}, [2]int32{2, -1})
	res, err := Run(cfg, Heads{h}, EngineEvent, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Price(table); err != nil {
		t.Fatal(err)
	}
	design, parallel := res.Energy.Design.Breakdown[energy.Lane].AreaUM2, res.Energy.Baselines["bit_parallel"].Breakdown[energy.Lane].AreaUM2
	if want := float64(h.BitsK); parallel != want*design {
		t.Errorf("bit_parallel lane area %v, design %v: want %v times the design's", parallel, design, want)
	}
}

// TestDRAMEnergyHandWorked: DRAM energy by scope from known bytes and known prices, worked here
// by arithmetic. The design reads 1000 bytes from DRAM and 64 bits from a 32 KiB K SRAM; the
// dense baseline the same 1000 bytes and 128 bits. Prices: DRAM device 2.5 pJ/bit, interface
// 0.75 pJ/bit (config); K SRAM at 32 KiB 20 pJ per 64-bit access (Horowitz, the 45 nm table's
// point), so 0.3125 pJ a bit. No cycles, so no leakage and no per-cycle unit energy.
//
//	DRAM device    = 1000 x 8 x 2.5  = 20000 pJ (both runs)
//	DRAM interface = 1000 x 8 x 0.75 =  6000 pJ (both runs)
//	SRAM           = 64 x 0.3125 = 20 pJ (design), 128 x 0.3125 = 40 pJ (dense)
//	total          = 20 + 20000 + 6000 = 26020 pJ (design), 26040 pJ (dense)
//
// The energy table's own dram entry (here 1e6 pJ a byte) must not count: the config is the one
// source of DRAM prices.
func TestDRAMEnergyHandWorked(t *testing.T) {
	cfg, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Baselines = []string{"dense"}
	cfg.Memory.SRAMKVBytes = 2 * 4 * 32768 // k_sram: kv_buffers (4) arrays of sram_kv_bytes / kv_buffers / 2
	cfg.Memory.DRAMDevicePJPerBit, cfg.Memory.DRAMInterfacePJPerBit = 2.5, 0.75
	table, err := energy.ParseTable([]byte("name: pricey-dram\nbase: 45nm\ncomponents:\n  dram:\n    actions:\n      read_byte: 1000000\n"), "pricey.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := &Result{Config: cfg, Order: []string{"dense"},
		Design:    &Stats{Config: "leopard", Actions: Actions{DRAMBytes: 1000, KSRAMReadBits: 64}},
		Baselines: map[string]*Stats{"dense": {Config: "dense", Actions: Actions{DRAMBytes: 1000, KSRAMReadBits: 128}}}}
	if err := res.Price(table); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]float64{
		"design": {ScopeCoreDynamic: 0, ScopeCoreLeakage: 0, ScopeSRAM: 20, ScopeOnChip: 20,
			ScopeDRAMDevice: 20000, ScopeDRAMInterface: 6000, ScopeDRAM: 26000},
		"dense": {ScopeCoreDynamic: 0, ScopeCoreLeakage: 0, ScopeSRAM: 40, ScopeOnChip: 40,
			ScopeDRAMDevice: 20000, ScopeDRAMInterface: 6000, ScopeDRAM: 26000},
	}
	totals := map[string]float64{"design": 26020, "dense": 26040}
	for run, es := range map[string]EnergySummary{"design": res.Energy.Design, "dense": res.Energy.Baselines["dense"]} {
		if len(es.Scopes) != len(EnergyScopes()) {
			t.Errorf("%s: scopes %v, want exactly %v", run, es.Scopes, EnergyScopes())
		}
		for scope, w := range want[run] {
			if got := es.Scopes[scope]; got != w {
				t.Errorf("%s: scope %s = %v pJ, want %v", run, scope, got, w)
			}
		}
		if es.TotalPJ != totals[run] || es.DynamicPJ != totals[run] || es.LeakagePJ != 0 {
			t.Errorf("%s: total %v, dynamic %v, leakage %v; want %v, %v, 0", run, es.TotalPJ, es.DynamicPJ, es.LeakagePJ, totals[run], totals[run])
		}
		if es.Breakdown[ScopeDRAMDevice].PJ != 20000 || es.Breakdown[ScopeDRAMInterface].PJ != 6000 {
			t.Errorf("%s: breakdown %v, want dram_device 20000 and dram_interface 6000", run, es.Breakdown)
		}
		if _, ok := es.Breakdown[energy.DRAM]; ok {
			t.Errorf("%s: the table's dram component was priced: %v", run, es.Breakdown[energy.DRAM])
		}
	}
	if got, w := res.EnergyReduction["dense"], 26040.0/26020; got != w {
		t.Errorf("energy reduction vs dense %v, want %v", got, w)
	}
	if e := res.Energy; e.DRAMDevicePJPerBit != 2.5 || e.DRAMInterfacePJPerBit != 0.75 {
		t.Errorf("result states DRAM prices %v and %v, want 2.5 and 0.75", e.DRAMDevicePJPerBit, e.DRAMInterfacePJPerBit)
	}
	// The counts still carry the DRAM traffic, for pricing with a table of one's own.
	if got := EnergyCounts(res.Design, cfg).Components[energy.DRAM].Actions[energy.ReadByte]; got != 1000 {
		t.Errorf("counts carry %d DRAM bytes, want 1000", got)
	}
}
