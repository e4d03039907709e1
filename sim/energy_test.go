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
