package sim

import (
	"math/rand/v2"
	"testing"
)

// TestEnginesAgreePipelinedMemory holds the engines to each other with the pipelined memory
// model: several channels, bursts, windows of requests in flight and pools of buffers, so that
// the model's per-cycle Step and its NextEvent/Advance jumps are checked against each other.
func TestEnginesAgreePipelinedMemory(t *testing.T) {
	agreeOnRandom(t, rand.New(rand.NewPCG(19, 3)), 300,
		[]string{"several loads in flight", "a full request window", "a tile waiting for a buffer"},
		func(r *rand.Rand) agreeCase {
			cfg := randConfig(r)
			randPipelined(r, cfg, 4, 32)
			return agreeCase{cfg, randHeads(r, 5)}
		},
		func(c agreeCase, ref *Stats) []string {
			m := c.cfg.Memory
			// Request-cycles in flight above the run's cycles mean requests overlapped.
			return covered(map[string]bool{"several loads in flight": ref.DRAM.RequestCycles > ref.Cycles,
				"a full request window":       m.MaxRequests == 1 && ref.DRAM.Bytes > int64(2*m.BurstBytes),
				"a tile waiting for a buffer": ref.DRAM.WaitBuffer > 0})
		})
}

// TestPipelinedMemoryHandWorked: one head, one unit, one lane, a load cut into requests that
// overlap their latency on two channels.
//
//	Head: 1 query, 2 keys, d = dv = 2, 4-bit operands: K 2x2x4 bits = 2 B, V 2 B, Q 1 B: 5 B,
//	at 0x0 (Q), 0x40 (K) and 0x80 (V). Bursts of 2 B, aligned: r0 0x0 (channel 0), r1 0x40
//	(channel 1), r2 0x80 (channel 0), 6 B fetched for 5.
//	1 B per cycle per channel, latency 3, 4 requests in flight per channel, 2 buffers.
//	Cycle 0: the tile takes a buffer; channel 0 issues r0 (data 3..4), channel 1 issues r1
//	(data 3..4). Cycle 1: channel 0 issues r2; its data would start at 1+3 = 4, but the bus is
//	busy until 4, so it comes at 5..6. The tile is usable at 7 (serially: 3 + 6 = 9).
//	Keys: k0 = (2, -1) survives (q.k = 8 >= 0, 4 steps 7..10, pushed 10); k1 = (-8, 5) is pruned
//	at step 1 (cycle 11). Drain 0: the marker is pushed at 11.
//	Back end: survivor popped 11, exp 0, 2 MAC cycles 11..12; marker popped 12 (visible 12),
//	normalization from 13 (after the MACs) for 1 cycle: busy until 13; 14 cycles.
//	DRAM: 6 bytes, 1 load; data buses busy 2 cycles a burst, 6; request-cycles in flight r0
//	0..4 (5), r1 0..4 (5), r2 1..6 (6) = 16.
func TestPipelinedMemoryHandWorked(t *testing.T) {
	cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 3, 1)
	cfg.Memory.Model = PipelinedMemory
	cfg.Memory.Channels, cfg.Memory.BurstBytes, cfg.Memory.MaxRequests, cfg.Memory.KVBuffers = 2, 2, 4, 2
	h := head4([2]int32{2, -1}, [2]int32{-8, 5})
	for _, st := range bothEngines(t, cfg, Heads{h}) {
		if st.Cycles != 14 {
			t.Errorf("%s: cycles = %d, want 14", st.Engine, st.Cycles)
		}
		if st.FrontEnd[0].WaitMemory != 7 {
			t.Errorf("%s: front end waited %d cycles for memory, want 7", st.Engine, st.FrontEnd[0].WaitMemory)
		}
		want := DRAMStats{Bytes: 6, Loads: 1, Busy: 6, Requests: 3, RequestCycles: 16}
		if st.DRAM != want {
			t.Errorf("%s: DRAM %+v, want %+v", st.Engine, st.DRAM, want)
		}
	}
	// The same head with the serial model: one load of three 2-B lines (6 B) after the latency,
	// usable at 9.
	cfg.Memory.Model = SerialMemory
	for _, st := range bothEngines(t, cfg, Heads{h}) {
		if st.Cycles != 16 || st.FrontEnd[0].WaitMemory != 9 {
			t.Errorf("%s: serial: cycles %d, wait %d; want 16 and 9", st.Engine, st.Cycles, st.FrontEnd[0].WaitMemory)
		}
	}
}

// TestPipelinedMemoryBufferPool: more buffers let the memory fetch further ahead. Ten one-key
// heads on one unit whose work is slow: with a pool of 4 buffers the loads run further ahead
// than with 2, and the run is never longer.
func TestPipelinedMemoryBufferPool(t *testing.T) {
	var heads Heads
	for i := 0; i < 10; i++ {
		h := head4([2]int32{2, -1})
		h.Layer = i
		heads = append(heads, h)
	}
	cycles := map[int]int64{}
	for _, buffers := range []int{2, 4} {
		cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 20, 1)
		cfg.Memory.Model = PipelinedMemory
		cfg.Memory.Channels, cfg.Memory.BurstBytes, cfg.Memory.MaxRequests, cfg.Memory.KVBuffers = 1, 8, 8, buffers
		for _, st := range bothEngines(t, cfg, heads) {
			cycles[buffers] = st.Cycles
		}
	}
	if cycles[4] >= cycles[2] {
		t.Errorf("cycles with 4 buffers %d, with 2 buffers %d: want fewer with more prefetch", cycles[4], cycles[2])
	}
}
