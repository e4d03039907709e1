package sim

import (
	"testing"

	"github.com/lrpsim/lrpsim/traces"
)

// tinyConfig is one unit with everything set explicitly for hand-worked cases.
func tinyConfig(t *testing.T, lanes, fifo, macs, fill, drain, exp, norm, lat, bw int) *Config {
	t.Helper()
	c, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	serialBaseline(c)
	c.Units = 1
	c.FrontEnd.Lanes, c.FrontEnd.BitsPerCycle = lanes, 1
	c.FrontEnd.FillCycles, c.FrontEnd.DrainCycles = fill, drain
	c.BackEnd.FIFODepth, c.BackEnd.Macs = fifo, macs
	c.BackEnd.ExpLatency, c.BackEnd.NormLatency = exp, norm
	c.Memory.DRAMLatency, c.Memory.DRAMBytesPerCycle = lat, bw
	// Byte bursts: the cases count the bytes of their tiny heads, not the lines around them.
	c.Memory.BurstBytes = 1
	return c
}

// serialBaseline sets c to the first system model (configs/serial-memory.yaml), which the
// hand-worked cases and the random draws start from: a serial memory, static dispatch, no
// packing, independent layers, a back end without its overlapped normalizer.
func serialBaseline(c *Config) {
	c.Memory.Model, c.Memory.KVBuffers, c.Memory.PackHeads = SerialMemory, 2, false
	c.Memory.DRAMLatency, c.Memory.DRAMBytesPerCycle = 100, 32
	c.Memory.Channels, c.Memory.BurstBytes, c.Memory.MaxRequests = 1, 64, 16
	c.Dispatch, c.LayerDependency = StaticDispatch, false
	c.BackEnd.NormOverlap, c.BackEnd.SkipEmptyRows = false, false
}

// head4 is a one-row head of 4-bit operands q = (3, -2) against the given keys, T = 0 (unit
// scales make th * sqrt(d) / (1 * 1) = T).
func head4(keys ...[2]int32) *traces.Head {
	h := &traces.Head{N: 1, M: len(keys), D: 2, DV: 2, ValidQ: 1, ValidK: len(keys),
		BitsQ: 4, BitsK: 4, BitsV: 4, ScaleQ: 1, ScaleK: 1, ScaleV: 1, Threshold: 0}
	h.Q = []int32{3, -2}
	for _, k := range keys {
		h.K = append(h.K, k[0], k[1])
		h.V = append(h.V, 1, 1)
	}
	return h
}

func bothEngines(t *testing.T, cfg *Config, heads Heads) []*Stats {
	t.Helper()
	var out []*Stats
	for _, eng := range []string{EngineReference, EngineEvent} {
		st, err := Simulate(cfg, heads, eng, Options{Record: true})
		if err != nil {
			t.Fatalf("%s: %v", eng, err)
		}
		out = append(out, st)
	}
	return out
}

// TestHandWorkedEarlyTermination: one lane, keys pruned at step 1, a survivor, pruned at step 1.
//
//	load: K 3x2x4 bits = 3 B, V 3 B, Q 1 B = 7 B at 1 B/cycle, latency 0: usable at cycle 7.
//	k0 = (-8, 5): step 1 gives P = 3*(-8) = -24, bound 7*Q+ = 21, -3 < 0: pruned, decides at 7.
//	k1 = (2, -1): q.k = 8 >= 0: runs 4 steps (8..11), pushed at 11.
//	k2 = k0: starts 12, pruned at 12. Last lane activity z = 12, drain 0: marker pushed at 12.
//	back end: survivor visible 12, popped 12, exp 0, 2 MAC cycles (dv 2, 1 mac) 12..13, ready 14;
//	marker visible 13, popped 14, normalization 14 (1 cycle). Last busy cycle 14: 15 cycles.
func TestHandWorkedEarlyTermination(t *testing.T) {
	cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 0, 1)
	h := head4([2]int32{-8, 5}, [2]int32{2, -1}, [2]int32{-8, 5})
	for _, st := range bothEngines(t, cfg, Heads{h}) {
		if st.Cycles != 15 {
			t.Errorf("%s: cycles = %d, want 15", st.Engine, st.Cycles)
		}
		want := []PairRecord{
			{Key: 0, Step: 1, Decide: 7, Push: -1},
			{Key: 1, Step: 4, Decide: 11, Push: 11},
			{Key: 2, Step: 1, Decide: 12, Push: -1},
		}
		got := sortedRecords(st.Record)
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: decision %d = %+v, want %+v", st.Engine, i, got[i], want[i])
			}
		}
		if st.FrontEnd[0].Busy != 6 || st.FrontEnd[0].WaitMemory != 7 || st.FrontEnd[0].LaneSteps != 6 {
			t.Errorf("%s: front end %+v, want busy 6 (7..12), wait 7, lane steps 1+4+1", st.Engine, st.FrontEnd[0])
		}
		if got, want := st.PrunedStepHistogram, []int64{2, 0, 0, 0}; !equalInts(got, want) {
			t.Errorf("%s: pruned step histogram %v, want %v", st.Engine, got, want)
		}
		// Actions: 1+4+1 = 6 bit-planes stepped (d = 2 bit products each), 6 compares, K read
		// 6 planes x 2 bits; one survivor reads its 2x4-bit V row, 1 exp, 2 MACs; the row's
		// normalization divides dv = 2 outputs; 2 FIFO entries (survivor, marker); q read once
		// (2 x 4 bits); the load writes Q 8 bits, K 24, V 24 and reads 7 DRAM bytes.
		wantActs := Actions{BitProducts: 12, Accumulates: 6, Compares: 6, QSRAMReadBits: 8, KSRAMReadBits: 12,
			VSRAMReadBits: 8, QSRAMWrBits: 8, KSRAMWrBits: 24, VSRAMWrBits: 24, DRAMBytes: 7,
			FIFOPushes: 2, FIFOPops: 2, Exps: 1, MACs: 2, Divides: 2}
		if st.Actions != wantActs {
			t.Errorf("%s: actions %+v, want %+v", st.Engine, st.Actions, wantActs)
		}
	}
}

// TestHandWorkedBackPressure: two lanes, two survivors deciding together into a 1-deep FIFO.
//
//	load: K 2 B, V 2 B, Q 1 B = 5 B: usable at 5. Both lanes step 5..8 and decide at 8.
//	8: lane 0 pushes, lane 1 refused (stall). 9: back end pops lane 0's (visible 9), ready at 11
//	(2 MAC cycles); lane 1 pushes at 9; all keys done at 9, drain 0, so the marker is due at 9:
//	refused (full) at 9 and 10. 11: back end pops lane 1's; the marker goes in at 11 (task ends,
//	front end busy 5..11 = 7, stalled 8, 9, 10 = 3). 13: back end pops the marker, MACs ended at
//	13, normalization at 13. Run: 14 cycles. Back end starved 0..8 (9 cycles), busy 9..13 (5).
func TestHandWorkedBackPressure(t *testing.T) {
	cfg := tinyConfig(t, 2, 1, 1, 0, 0, 0, 1, 0, 1)
	h := head4([2]int32{2, -1}, [2]int32{2, -1})
	for _, st := range bothEngines(t, cfg, Heads{h}) {
		fe, be := st.FrontEnd[0], st.BackEnd[0]
		if st.Cycles != 14 {
			t.Errorf("%s: cycles = %d, want 14", st.Engine, st.Cycles)
		}
		if fe.Busy != 7 || fe.Stall != 3 || fe.LaneStalls != 1 {
			t.Errorf("%s: front end %+v, want busy 7, stall 3, lane stalls 1", st.Engine, fe)
		}
		if be.Starved != 9 || be.Busy != 5 {
			t.Errorf("%s: back end %+v, want starved 9, busy 5", st.Engine, be)
		}
	}
}

// TestDenseClosedForm checks the dense baseline against a closed form where the back end keeps
// up: one unit, 2 lanes, 8-bit keys (G = 8 steps), one multiply cycle per survivor (macs >= dv).
//
//	load = latency + ceil((m*d + m*dv + n*d) bytes / bw)
//	row task = F + (m/2)*G + D cycles, rows back to back: row i starts at load + i*(F + (m/2)*G + D)
//	last lane activity of the last row z = start + F + (m/2)*G - 1; its two survivors are popped
//	at z+1, z+2 (MACs end z+3+X); the marker (pushed at z+D <= z+2) is popped at z+3 and
//	normalizes from z+3+X for N cycles: cycles = z + 3 + X + N.
func TestDenseClosedForm(t *testing.T) {
	for _, tc := range []struct{ n, m, fill, drain, exp, norm, lat, bw int }{
		{3, 4, 2, 1, 2, 3, 10, 8},
		{5, 6, 0, 0, 0, 1, 0, 1},
		{2, 10, 3, 2, 5, 7, 100, 32},
	} {
		d, g := 4, int64(8)
		cfg := tinyConfig(t, 2, 4, 64, tc.fill, tc.drain, tc.exp, tc.norm, tc.lat, tc.bw)
		cfg.FrontEnd.EarlyTermination, cfg.BackEnd.Pruning = false, false
		h := &traces.Head{N: tc.n, M: tc.m, D: d, DV: d, ValidQ: tc.n, ValidK: tc.m, BitsQ: 8, BitsK: 8, BitsV: 8,
			ScaleQ: 1, ScaleK: 1, ScaleV: 1, Threshold: 1e9}
		h.Q, h.K, h.V = make([]int32, tc.n*d), make([]int32, tc.m*d), make([]int32, tc.m*d)
		for i := range h.K {
			h.K[i] = int32(i%200) - 100
		}
		bytes := int64(tc.m*d + tc.m*d + tc.n*d)
		load := int64(tc.lat) + (bytes+int64(tc.bw)-1)/int64(tc.bw)
		row := int64(tc.fill) + int64(tc.m/2)*g + int64(tc.drain)
		z := load + int64(tc.n-1)*row + int64(tc.fill) + int64(tc.m/2)*g - 1
		want := z + 3 + int64(tc.exp) + int64(tc.norm)
		for _, st := range bothEngines(t, cfg, Heads{h}) {
			if st.Cycles != want {
				t.Errorf("%+v %s: cycles = %d, want %d", tc, st.Engine, st.Cycles, want)
			}
			if st.FrontEnd[0].Busy != int64(tc.n)*row || st.FrontEnd[0].Stall != 0 {
				t.Errorf("%+v %s: front end %+v, want busy %d, no stall", tc, st.Engine, st.FrontEnd[0], int64(tc.n)*row)
			}
		}
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
