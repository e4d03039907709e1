package sim

import (
	"math"
	"testing"

	"github.com/lrpsim/lrpsim/energy"
)

// TestPriceMatchesCounts: the design's energy is the sum over its counts of count x table
// entry (plus leakage), recomputed here from the exported counts, and both engines give the
// same energy to the last digit.
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
