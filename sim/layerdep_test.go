package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/lrpsim/lrpsim/sim/internal/engine"
	"github.com/lrpsim/lrpsim/traces"
)

// metaHeads is a head source that knows its shape (inputs, layers, heads), as a trace does, so
// the engines may run it in layer-major order.
type metaHeads struct {
	Heads
	meta traces.Meta
}

func (m metaHeads) Meta() traces.Meta { return m.meta }

// depHead is head4's one-row head (k0 survives, k1 is pruned at step 1) of the given input and
// layer.
func depHead(input, layer int) *traces.Head {
	h := head4([2]int32{2, -1}, [2]int32{-8, 5})
	h.Input, h.Layer = input, layer
	return h
}

// TestLayerDependencyHandWorked: layer 1 of an input waits for layer 0 of that input to end.
//
//	Each head: 1 query, keys k0 (survives in 4 steps) and k1 (pruned at step 1), 5 B per load
//	at 1 B per cycle, no latency; one unit, one lane, fill and drain 0, exp 0, 1 MAC, norm 1.
//	A head whose tile is usable at U: keys U..U+3, k1 and the marker at U+4, survivor popped
//	U+4, MACs U+4..U+5, marker popped U+5, normalization U+6: its work ends at U+6, its
//	buffer is free at U+7, and a run ending with it has U+7 cycles.
//	Without the dependency: tile 0 usable at 5, tile 1's load starts at 5 and is usable at 10;
//	head 1 runs at U = 10: 17 cycles.
//	With it: tile 1's load waits for head 0's work to end (free at 12): loaded 12..16, usable
//	at 17: 24 cycles, and the channel waited 7 cycles (5..11) for the dependency. The unit
//	waited for memory over 10..16: 10..11 on the dependency, 12..16 on data (bandwidth).
func TestLayerDependencyHandWorked(t *testing.T) {
	for _, tc := range []struct {
		dep                  bool
		cycles, wait, depCyc int64
	}{{false, 17, 0, 0}, {true, 24, 7, 2}} {
		cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 0, 1)
		cfg.LayerDependency = tc.dep
		for _, st := range bothEngines(t, cfg, Heads{depHead(0, 0), depHead(0, 1)}) {
			if st.Cycles != tc.cycles || st.DRAM.WaitDependency != tc.wait || st.Bound.Cycles[engine.Dependencies] != tc.depCyc {
				t.Errorf("dependency %v, %s: cycles %d, dependency wait %d, bound dependencies %d; want %d, %d, %d",
					tc.dep, st.Engine, st.Cycles, st.DRAM.WaitDependency, st.Bound.Cycles[engine.Dependencies],
					tc.cycles, tc.wait, tc.depCyc)
			}
		}
	}
}

// TestLayerMajorOrder: with two inputs of two layers, layer-major order lets input 1's layer 0
// fill input 0's wait.
//
//	Heads and timing as in TestLayerDependencyHandWorked. Layer-major: tiles (b0,l0) usable 5,
//	(b1,l0) 10; (b0,l1) waits for tile 0 (free 12): usable 17; (b1,l1) waits for tile 1, whose
//	head ran at U = 10 (free 17), and for tile 1's buffer (free 17): usable 22, so 29 cycles.
//	Input-major (a source without its shape): (b0,l1) usable 17; (b1,l0) loads 17..21, usable
//	22; (b1,l1) waits for it (free 29): usable 34, 41 cycles.
func TestLayerMajorOrder(t *testing.T) {
	hs := Heads{depHead(0, 0), depHead(0, 1), depHead(1, 0), depHead(1, 1)}
	shaped := metaHeads{hs, traces.Meta{Inputs: 2, Layers: 2, Heads: 1}}
	cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 0, 1)
	cfg.LayerDependency = true
	for _, tc := range []struct {
		name   string
		src    HeadSource
		cycles int64
	}{{"layer-major", shaped, 29}, {"input-major", hs, 41}} {
		for _, eng := range []string{EngineReference, EngineEvent} {
			st, err := Simulate(cfg, tc.src, eng, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if st.Cycles != tc.cycles {
				t.Errorf("%s, %s: %d cycles, want %d", tc.name, eng, st.Cycles, tc.cycles)
			}
		}
	}
}

// TestEnginesAgreeLayerDependency holds the engines to each other with layers waiting for each
// other, over several inputs, both memory models, both dispatchers and packed heads.
func TestEnginesAgreeLayerDependency(t *testing.T) {
	agreeOnRandom(t, rand.New(rand.NewPCG(41, 9)), 200,
		[]string{"a load waiting for the previous layer", "a buffer and a dependency wait in one run"},
		func(r *rand.Rand) agreeCase {
			cfg := randConfig(r)
			cfg.LayerDependency = true
			cfg.Memory.PackHeads = r.IntN(2) == 0
			if r.IntN(2) == 0 {
				cfg.Dispatch = DynamicDispatch
			}
			if r.IntN(2) == 0 {
				randPipelined(r, cfg, 3, 16)
			}
			inputs, layers, heads := 1+r.IntN(2), 1+r.IntN(3), 1+r.IntN(2)
			var hs Heads
			for b := range inputs {
				for l := range layers {
					for range heads {
						h := randHead(r, l)
						h.Input = b
						hs = append(hs, h)
					}
				}
			}
			return agreeCase{cfg, hs}
		},
		func(c agreeCase, ref *Stats) []string {
			return covered(map[string]bool{
				"a load waiting for the previous layer":     ref.DRAM.WaitDependency > 0,
				"a buffer and a dependency wait in one run": ref.DRAM.WaitDependency > 0 && ref.DRAM.WaitBuffer > 0})
		})
}
