package sim

import "testing"

// TestNormalizationOverlap: two rows, each with one survivor, on one unit; the second row's
// survivor need not wait for the first row's normalization when the normalizer overlaps.
//
//	Head: 2 query rows q = (3, -2), one key k = (2, -1) (q.k = 8 >= 0, 4 steps), d = dv = 2,
//	4-bit; 1 lane, fill and drain 0, exp latency 1, 1 MAC (2 cycles per survivor),
//	normalization 5. Load: Q 2 B + K 1 B + V 1 B = 4 B at 1 B per cycle: usable at 4.
//	Row 0: key 4..7, pushed 7; marker due 7: pushed 7 after the survivor; task ends 7.
//	Row 1: starts 8, key 8..11, pushed 11, marker 11.
//	Back end: row 0's survivor popped 8 (exp 8, MACs 9..10), ready 10; marker popped 10,
//	normalization from 11 (after the MACs) for 5 cycles, 11..15.
//	- Serial (no overlap): ready again at 16: row 1's survivor (visible 12) popped 16, exp 16,
//	  MACs 17..18; marker popped 18, normalization 19..23: 24 cycles.
//	- Overlap: ready at 11; row 1's survivor popped 12, exp 12, MACs 13..14; its marker popped
//	  14 (visible 12), normalization from max(15, normalizer free at 16) = 16..20: 21 cycles.
func TestNormalizationOverlap(t *testing.T) {
	h := head4([2]int32{2, -1})
	h.N, h.ValidQ = 2, 2
	h.Q = []int32{3, -2, 3, -2}
	for _, tc := range []struct {
		overlap bool
		cycles  int64
	}{{false, 24}, {true, 21}} {
		cfg := tinyConfig(t, 1, 4, 1, 0, 0, 1, 5, 0, 1)
		cfg.BackEnd.NormOverlap = tc.overlap
		for _, st := range bothEngines(t, cfg, Heads{h}) {
			if st.Cycles != tc.cycles {
				t.Errorf("%s overlap %t: cycles %d, want %d", st.Engine, tc.overlap, st.Cycles, tc.cycles)
			}
		}
	}
}

// TestSkipEmptyRows: a row whose keys are all pruned sends the back end only its marker; with
// skip_empty_rows the marker costs its pop cycle and no normalization or divides.
//
//	Head: 1 query row q = (3, -2), one key k = (-8, 5) pruned at step 1; d = dv = 2, 4-bit;
//	1 lane, no fill or drain, normalization 5. Load 1 + 1 + 1 = 3 B: usable at 3. The key
//	decides at 3, the marker is pushed at 3 and popped at 4.
//	- Normalized (default): normalization 4..8: 9 cycles, dv = 2 divides.
//	- Skipped: the pop cycle 4 only: 5 cycles, no divides, one skipped row.
func TestSkipEmptyRows(t *testing.T) {
	h := head4([2]int32{-8, 5})
	for _, tc := range []struct {
		skip            bool
		cycles, divides int64
	}{{false, 9, 2}, {true, 5, 0}} {
		cfg := tinyConfig(t, 1, 4, 1, 0, 0, 0, 5, 0, 1)
		cfg.BackEnd.SkipEmptyRows = tc.skip
		for _, st := range bothEngines(t, cfg, Heads{h}) {
			if st.Cycles != tc.cycles || st.Actions.Divides != tc.divides {
				t.Errorf("%s skip %t: cycles %d, divides %d; want %d, %d", st.Engine, tc.skip, st.Cycles, st.Actions.Divides, tc.cycles, tc.divides)
			}
			if tc.skip && st.BackEnd[0].SkippedRows != 1 {
				t.Errorf("%s: skipped rows %d, want 1", st.Engine, st.BackEnd[0].SkippedRows)
			}
		}
	}
}
