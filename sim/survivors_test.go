package sim

import (
	"math/rand/v2"
	"testing"
)

// TestSurvivorsArePlainThreshold: the keys that reach the back end are exactly the pairs with
// q.k >= T of a plain integer Q.K^T under the causal mask and valid lengths, whatever the lane
// configuration, and every pruned pair stopped at a step no later than G.
func TestSurvivorsArePlainThreshold(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for it := 0; it < 200; it++ {
		cfg := randConfig(r)
		cfg.BackEnd.Pruning = true
		cfg.Memory.SRAMKVBytes = 1 << 20
		h := randHead(r, 0)
		want := map[[2]int]bool{}
		intT := h.IntThreshold()
		for i := 0; i < h.ValidQ; i++ {
			for j := 0; j < h.ValidK; j++ {
				if !h.KeyAllowed(i, j) {
					continue
				}
				var dot int64
				for x := 0; x < h.D; x++ {
					dot += int64(h.Q[i*h.D+x]) * int64(h.K[j*h.D+x])
				}
				if dot >= intT {
					want[[2]int{i, j}] = true
				}
			}
		}
		for _, eng := range []string{EngineEvent, EngineReference} {
			st, err := Simulate(cfg, Heads{h}, eng, Options{Record: true})
			if err != nil {
				t.Fatal(err)
			}
			got := map[[2]int]bool{}
			g := (h.BitsK + cfg.FrontEnd.BitsPerCycle - 1) / cfg.FrontEnd.BitsPerCycle
			for _, rec := range st.Record {
				if rec.Push >= 0 {
					got[[2]int{int(rec.Row), int(rec.Key)}] = true
				}
				if int(rec.Step) < 1 || int(rec.Step) > g {
					t.Fatalf("%s: step %d outside 1..%d", eng, rec.Step, g)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("iter %d %s: %d survivors, plain Q.K^T has %d", it, eng, len(got), len(want))
			}
			for k := range want {
				if !got[k] {
					t.Fatalf("iter %d %s: pair %v has q.k >= T but did not survive", it, eng, k)
				}
			}
			if st.Survivors != int64(len(want)) {
				t.Fatalf("%s: Stats.Survivors %d, want %d", eng, st.Survivors, len(want))
			}
		}
	}
}
