package sim

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestVOnDemandHandWorked: TestPipelinedMemoryHandWorked's head with V fetched on demand.
//
//	The load is Q 1 B at 0x0 + K 2 B at 0x40, two aligned 2-B bursts: r0 (channel 0) and r1
//	(channel 1) issue at 0, data 3..4 each: the tile is usable at 5. k0 steps 5..8 and is pushed at 8; k1 is pruned
//	at 9, when the marker is pushed (drain 0).
//	k0's V row (dv 2 x 4 bits = 1 B, read as one 2 B burst) is requested at 8 and may issue
//	from 9 on channel 0 (the run's third request): data 12..13, usable at 14.
//	Back end: the survivor is popped at 14 (visible then, not at 9), MACs 14..15; the marker
//	(visible at 10, behind it) is popped at 16, normalization 16: 17 cycles.
//	DRAM: 4 + 2 = 6 bytes, one V row of 2 B; data bus busy 2 cycles a burst, 6; request-cycles
//	r0 0..4 (5), r1 0..4 (5) and the V row 9..13 (5) = 15.
func TestVOnDemandHandWorked(t *testing.T) {
	cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 3, 1)
	cfg.Memory.Model = PipelinedMemory
	cfg.Memory.Channels, cfg.Memory.BurstBytes, cfg.Memory.MaxRequests, cfg.Memory.KVBuffers = 2, 2, 4, 2
	cfg.Memory.VFetch = VOnDemand
	h := head4([2]int32{2, -1}, [2]int32{-8, 5})
	for _, st := range bothEngines(t, cfg, Heads{h}) {
		want := DRAMStats{Bytes: 6, Loads: 1, Busy: 6, Requests: 3, RequestCycles: 15, VRows: 1, VBytes: 2}
		if st.Cycles != 17 || st.DRAM != want {
			t.Errorf("%s: cycles %d, DRAM %+v; want 17, %+v", st.Engine, st.Cycles, st.DRAM, want)
		}
		// V SRAM: one 8-bit row written, read once by the survivor.
		if st.Actions.VSRAMWrBits != 8 || st.Actions.VSRAMReadBits != 8 || st.Actions.DRAMBytes != 6 {
			t.Errorf("%s: V SRAM writes %d, reads %d, DRAM bytes %d; want 8, 8, 6", st.Engine,
				st.Actions.VSRAMWrBits, st.Actions.VSRAMReadBits, st.Actions.DRAMBytes)
		}
	}
}

// TestPlaneMajorKHandWorked: with K stored plane-major, a tile's load brings only the planes its
// lanes read.
//
//	Head: 1 query q = (3, -2), keys k0 = (-8, 5) (pruned at step 1) and k1 = (-7, -3) (pruned
//	at step 2), 4-bit operands: K is 2 keys x 2 x 4 bits = 2 B, of which the deepest step reads
//	2 planes: 1 B. Load Q 1 B + K 1 B + V 2 B = 4 B (word-major: 5 B) at 1 B per cycle, no
//	latency: usable at 4 (5). k0 decided at 4, k1 steps 5..6, the (empty) row's marker at 6,
//	popped at 7, normalization 7: 8 cycles (word-major: 9). K SRAM writes 8 bits (16).
func TestPlaneMajorKHandWorked(t *testing.T) {
	for _, tc := range []struct {
		layout        KLayout
		cycles, bytes int64
		kBits         int64
	}{{WordMajor, 9, 5, 16}, {PlaneMajor, 8, 4, 8}} {
		cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 0, 1)
		cfg.Memory.KLayout = tc.layout
		h := head4([2]int32{-8, 5}, [2]int32{-7, -3})
		for _, st := range bothEngines(t, cfg, Heads{h}) {
			if st.Cycles != tc.cycles || st.DRAM.Bytes != tc.bytes || st.Actions.KSRAMWrBits != tc.kBits {
				t.Errorf("%s, %s: cycles %d, DRAM bytes %d, K SRAM writes %d; want %d, %d, %d", tc.layout, st.Engine,
					st.Cycles, st.DRAM.Bytes, st.Actions.KSRAMWrBits, tc.cycles, tc.bytes, tc.kBits)
			}
		}
	}
}

// TestBroadcastKReadsHandWorked: two units on two rows of the same keys share each plane read.
//
//	Head: 2 identical query rows q = (3, -2), keys k0 = (2, -1) (survives: 4 planes) and
//	k1 = (-8, 5) (pruned at step 1: 1 plane), d = 2. Per row: each row reads 4 + 1 planes of 2
//	bits, 10 bits, 20 for both. Broadcast, 2 units: rows 0 and 1 are one wave, 10 bits.
func TestBroadcastKReadsHandWorked(t *testing.T) {
	for _, tc := range []struct {
		reads KReads
		bits  int64
	}{{PerRow, 20}, {Broadcast, 10}} {
		cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 0, 1)
		cfg.Units = 2
		cfg.Memory.KReads = tc.reads
		h := head4([2]int32{2, -1}, [2]int32{-8, 5})
		h.N, h.ValidQ, h.Q = 2, 2, []int32{3, -2, 3, -2}
		for _, st := range bothEngines(t, cfg, Heads{h}) {
			if st.Actions.KSRAMReadBits != tc.bits {
				t.Errorf("%s, %s: K SRAM reads %d bits, want %d", tc.reads, st.Engine, st.Actions.KSRAMReadBits, tc.bits)
			}
		}
	}
}

// TestEnginesAgreeTraffic holds the engines to each other with the traffic options drawn at
// random: V on demand, plane-major K and broadcast K reads, over both memory models (V on
// demand with the pipelined one), both dispatchers and packing.
func TestEnginesAgreeTraffic(t *testing.T) {
	agreeOnRandom(t, rand.New(rand.NewPCG(43, 11)), 300,
		[]string{"V rows on demand", "a V row shared by several survivors", "plane-major K"},
		func(r *rand.Rand) agreeCase {
			cfg := randConfig(r)
			if r.IntN(4) != 0 {
				randPipelined(r, cfg, 3, 16)
				cfg.Memory.VFetch = VOnDemand // on demand needs the pipelined model
			}
			cfg.Memory.KLayout = []KLayout{WordMajor, PlaneMajor}[r.IntN(2)]
			cfg.Memory.KReads = []KReads{PerRow, Broadcast}[r.IntN(2)]
			cfg.Memory.PackHeads = r.IntN(2) == 0
			if r.IntN(2) == 0 {
				cfg.Dispatch = DynamicDispatch
			}
			return agreeCase{cfg, randHeads(r, 5)}
		},
		func(c agreeCase, ref *Stats) []string {
			var used int64
			for _, b := range ref.BackEnd {
				used += b.Survivors + b.KeptMax
			}
			return covered(map[string]bool{
				"V rows on demand":                    ref.DRAM.VRows > 0,
				"a V row shared by several survivors": used > ref.DRAM.VRows && ref.DRAM.VRows > 0,
				"plane-major K":                       c.cfg.Memory.KLayout == PlaneMajor})
		})
}

// TestVOnDemandNeedsRowFetcher: the config refuses V on demand over the serial memory, naming
// the key, and an engine given such parameters anyway says why instead of failing later.
func TestVOnDemandNeedsRowFetcher(t *testing.T) {
	cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 0, 1)
	cfg.Memory.VFetch = VOnDemand
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "memory.v_fetch") {
		t.Errorf("Validate: %v, want an error naming memory.v_fetch", err)
	}
	for _, eng := range []string{EngineReference, EngineEvent} {
		_, err := Simulate(cfg, Heads{head4([2]int32{2, -1})}, eng, Options{})
		if err == nil || !strings.Contains(err.Error(), "memory.model pipelined") {
			t.Errorf("%s: %v, want an error naming memory.model pipelined", eng, err)
		}
	}
}
