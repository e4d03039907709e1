package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lrpsim/lrpsim/traces/data"
)

// TestEnginesAgreeDynamicDispatch holds the engines to each other when any free unit takes the
// next row task, with both memory models, so that the dynamic dispatcher's event form (tasks
// handed out as units free or tiles arrive) agrees with its per-cycle form.
func TestEnginesAgreeDynamicDispatch(t *testing.T) {
	agreeOnRandom(t, rand.New(rand.NewPCG(23, 5)), 300, []string{"rows spanning tiles", "several units", "pipelined memory"},
		func(r *rand.Rand) agreeCase {
			cfg := randConfig(r)
			cfg.Dispatch = DynamicDispatch
			if r.IntN(2) == 0 {
				randPipelined(r, cfg, 3, 32)
			}
			return agreeCase{cfg, randHeads(r, 5)}
		},
		func(c agreeCase, ref *Stats) []string {
			return covered(map[string]bool{"rows spanning tiles": ref.DRAM.Loads > int64(len(c.heads)),
				"several units": c.cfg.Units > 1, "pipelined memory": c.cfg.Memory.Model == PipelinedMemory})
		})
}

// TestDynamicDispatchSpreadsSingleQueryHeads: heads of one query row each (MemN2N's shape). With
// static dispatch every head's only row goes to unit 0, so 1 and 4 units take the same cycles;
// with dynamic dispatch and a memory that prefetches, the 4 units share them.
//
//	Six heads, each 1 query x 4 keys, d = dv = 2, 4-bit: 8 lane steps of work per head on one
//	lane. Pipelined memory, latency 0, 64 B per cycle, 8 buffers: every tile is usable at cycle
//	1 or 2, so with 4 units four heads run at once.
func TestDynamicDispatchSpreadsSingleQueryHeads(t *testing.T) {
	var heads Heads
	for i := 0; i < 6; i++ {
		h := head4([2]int32{2, -1}, [2]int32{-8, 5}, [2]int32{2, -1}, [2]int32{-8, 5})
		h.Layer = i
		heads = append(heads, h)
	}
	cycles := map[string]int64{}
	for _, dispatch := range []Dispatch{StaticDispatch, DynamicDispatch} {
		for _, units := range []int{1, 4} {
			cfg := tinyConfig(t, 1, 4, 2, 0, 0, 0, 1, 0, 64)
			cfg.Units, cfg.Dispatch = units, dispatch
			cfg.Memory.Model, cfg.Memory.KVBuffers, cfg.Memory.BurstBytes = PipelinedMemory, 8, 64
			var got int64
			for _, st := range bothEngines(t, cfg, heads) {
				got = st.Cycles
				if units == 4 && dispatch == DynamicDispatch {
					for u, fe := range st.FrontEnd {
						if fe.Tasks == 0 {
							t.Errorf("%s: dynamic dispatch left unit %d without a task: %+v", st.Engine, u, st.FrontEnd)
						}
					}
				}
			}
			cycles[fmt.Sprintf("%s/%d", dispatch, units)] = got
		}
	}
	t.Logf("cycles: %v", cycles)
	if cycles["static/1"] != cycles["static/4"] {
		t.Errorf("static dispatch: 1 unit %d cycles, 4 units %d: single-query heads all go to unit 0, want equal", cycles["static/1"], cycles["static/4"])
	}
	if 2*cycles["dynamic/4"] > cycles["dynamic/1"] {
		t.Errorf("dynamic dispatch: 4 units take %d cycles, 1 unit %d: want at most half", cycles["dynamic/4"], cycles["dynamic/1"])
	}
}

// TestDefaultUnitsShareSingleQueryHeads: on the default config, the real MemN2N trace (one query
// row per head, the case where units 1 and 8 once gave 5153 cycles both) runs faster
// with 8 units than with 1, because the dynamic dispatcher hands packed heads' rows to any free
// unit.
func TestDefaultUnitsShareSingleQueryHeads(t *testing.T) {
	tr, err := data.Open(data.BundledPrefix + "memn2n-babi-qa1.npz")
	if err != nil {
		t.Fatal(err)
	}
	cycles := map[int]int64{}
	for _, units := range []int{1, 8} {
		cfg, err := DefaultConfig()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Units = units
		st, err := Simulate(cfg, tr, EngineEvent, Options{})
		if err != nil {
			t.Fatal(err)
		}
		cycles[units] = st.Cycles
	}
	if cycles[8]*2 > cycles[1] {
		t.Errorf("memn2n-babi-qa1: %d cycles with 8 units, %d with 1; want 8 units at least twice as fast", cycles[8], cycles[1])
	}
}

// TestEnginesAgreeBackEndBound: back-end-bound units (slow multipliers, shallow FIFOs, rows of
// many keys) under dynamic dispatch, where the event engine runs a unit ahead of the clock
// between its pops and pushes; any of its tasks ending out of order would change which unit
// takes which row, so the reference engine must agree.
func TestEnginesAgreeBackEndBound(t *testing.T) {
	agreeOnRandom(t, rand.New(rand.NewPCG(31, 7)), 200, []string{"front end stalled", "several units", "pipelined memory"},
		func(r *rand.Rand) agreeCase {
			cfg := randConfig(r)
			cfg.Dispatch = DynamicDispatch
			cfg.Units = 2 + r.IntN(3)
			cfg.FrontEnd.Lanes = 2 + r.IntN(4)
			cfg.BackEnd.Macs = 1 + r.IntN(2)
			cfg.BackEnd.FIFODepth = 1 + r.IntN(3)
			cfg.BackEnd.Pruning = r.IntN(3) != 0
			if r.IntN(2) == 0 {
				randPipelined(r, cfg, 3, 32)
			}
			var hs Heads
			for i := 0; i < 1+r.IntN(4); i++ {
				hs = append(hs, randHeadKeys(r, i, 12, 48))
			}
			return agreeCase{cfg, hs}
		},
		func(c agreeCase, ref *Stats) []string {
			var stall int64
			for _, fe := range ref.FrontEnd {
				stall += fe.Stall
			}
			return covered(map[string]bool{"front end stalled": stall > 0, "several units": c.cfg.Units > 1,
				"pipelined memory": c.cfg.Memory.Model == PipelinedMemory})
		})
}
