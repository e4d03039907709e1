package sim

import (
	"testing"

	"github.com/lrpsim/lrpsim/sim/internal/engine"
)

// TestBoundHandWorked: the early-termination case of handworked_test.go, whose cycles are
// worked there: one unit, 15 cycles.
//
//	0..6: the front end waits for the 7-byte load, data moving (1 B per cycle, no latency):
//	      7 memory-bandwidth cycles.
//	7..12: the row task (no stall): 6 lane cycles.
//	13..14: no task left; the back end works until 14 (marker popped 14, normalization 14):
//	      2 back-end (drain) cycles.
//
// With a latency of 10 the load's first data comes at 10: 10 latency cycles, then 7 of
// bandwidth; the rest shifts by 10.
func TestBoundHandWorked(t *testing.T) {
	h := head4([2]int32{-8, 5}, [2]int32{2, -1}, [2]int32{-8, 5})
	for _, tc := range []struct {
		latency int
		want    map[engine.Cause]int64
		verdict string
	}{
		{0, map[engine.Cause]int64{engine.DRAMBandwidth: 7, engine.Lanes: 6, engine.BackEnd: 2}, "memory-bandwidth bound: 47% of unit-cycles"},
		{10, map[engine.Cause]int64{engine.DRAMLatency: 10, engine.DRAMBandwidth: 7, engine.Lanes: 6, engine.BackEnd: 2}, "memory-latency bound: 40% of unit-cycles"},
	} {
		cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, tc.latency, 1)
		for _, st := range bothEngines(t, cfg, Heads{h}) {
			for _, c := range engine.Causes() {
				if st.Bound.Cycles[c] != tc.want[c] {
					t.Errorf("%s latency %d: %s %d unit-cycles, want %d", st.Engine, tc.latency, c.Name(), st.Bound.Cycles[c], tc.want[c])
				}
			}
			if v := st.Bound.Verdict(); v != tc.verdict {
				t.Errorf("%s latency %d: verdict %q, want %q", st.Engine, tc.latency, v, tc.verdict)
			}
		}
	}
}

// TestBoundIdleUnits: with static dispatch a single-query head leaves 3 of 4 units without a
// task the whole run; their unit-cycles are idle except while memory is loading (the dispatcher
// counts a unit without a task as waiting while a tile is not yet usable).
func TestBoundIdleUnits(t *testing.T) {
	h := head4([2]int32{-8, 5}, [2]int32{2, -1}, [2]int32{-8, 5})
	cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 0, 1)
	cfg.Units = 4
	for _, st := range bothEngines(t, cfg, Heads{h}) {
		// 15 cycles x 4 units = 60; unit 0 as above (7 + 6 + 2); units 1..3 wait 7 cycles each
		// for the tile (bandwidth) and are idle for the other 8.
		if st.Bound.Cycles[engine.Idle] != 24 || st.Bound.Cycles[engine.DRAMBandwidth] != 28 {
			t.Errorf("%s: idle %d, bandwidth %d; want 24 and 28", st.Engine, st.Bound.Cycles[engine.Idle], st.Bound.Cycles[engine.DRAMBandwidth])
		}
	}
}
