package sim

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestEnginesAgreeTilingAndPacking holds the engines to each other with query tiling (a Q buffer
// smaller than a head's Q), head packing and the back end's overlapped normalization and skipped
// empty rows, under both dispatchers and both memory models.
func TestEnginesAgreeTilingAndPacking(t *testing.T) {
	agreeOnRandom(t, rand.New(rand.NewPCG(29, 7)), 300,
		[]string{"query blocks", "packed heads", "skipped empty rows", "overlapped normalization"},
		func(r *rand.Rand) agreeCase {
			cfg := randConfig(r)
			cfg.Memory.PackHeads = r.IntN(2) == 0
			cfg.BackEnd.NormOverlap, cfg.BackEnd.SkipEmptyRows = r.IntN(2) == 0, r.IntN(2) == 0
			if r.IntN(2) == 0 {
				cfg.Dispatch = DynamicDispatch
			}
			if r.IntN(2) == 0 {
				randPipelined(r, cfg, 3, 16)
			}
			heads := randHeads(r, 6)
			var qRow int64
			for _, h := range heads {
				need := int64(h.D*h.BitsK+h.DV*h.BitsV+7) / 8 * int64(cfg.Memory.KVBuffers)
				cfg.Memory.SRAMKVBytes = max(cfg.Memory.SRAMKVBytes, need)
				qRow = max(qRow, int64(h.D*h.BitsQ+7)/8)
			}
			cfg.Memory.SRAMQBytes = qRow * int64(1+r.IntN(6)) // a few query rows: heads are cut into query blocks
			if cfg.Memory.PackHeads && r.IntN(2) == 0 {
				// Room for several small heads per buffer and their Q.
				cfg.Memory.SRAMKVBytes *= int64(4 + r.IntN(12))
				cfg.Memory.SRAMQBytes *= int64(8 + r.IntN(24))
			}
			return agreeCase{cfg, heads}
		},
		func(c agreeCase, ref *Stats) []string {
			var qRows int
			var qRow int64
			for _, h := range c.heads {
				qRows += h.ValidQ
				qRow = max(qRow, int64(h.D*h.BitsQ+7)/8)
			}
			var skipped int64
			for _, b := range ref.BackEnd {
				skipped += b.SkippedRows
			}
			return covered(map[string]bool{
				"query blocks":             int64(qRows)*qRow > c.cfg.Memory.SRAMQBytes*int64(len(c.heads)),
				"packed heads":             ref.DRAM.Loads < int64(len(c.heads)),
				"skipped empty rows":       skipped > 0,
				"overlapped normalization": c.cfg.BackEnd.NormOverlap && c.cfg.BackEnd.NormLatency > 0})
		})
}

// TestQueryTiling: a head whose Q does not fit the Q buffer is cut into blocks of query rows,
// each streaming the head's K and V again.
//
//	Head: 3 query rows of q = (3, -2), 2 keys, d = dv = 2, 4-bit: a query row is 1 B, K and V
//	2 B each. Q buffer 2 B: blocks of rows {0, 1} and {2}. Loads: 2 B Q + 4 B K/V = 6 B, then
//	1 B + 4 B = 5 B; serial channel at 1 B per cycle, no latency: usable at 6, then at 6 + 5 = 11.
//	Rows 0 and 1 (one lane, k0 survives in 4 steps, k1 pruned at step 1): row 0 from 6 (keys
//	6..9, 10), marker at 10; row 1 11..15 but its block's tile is usable at 6: row 1 starts at
//	11, keys 11..14, 15, marker 15; the second block's tile became usable at 11, row 2 starts at
//	16, keys 16..19, 20, marker 20. Back end: survivor of row 2 pushed at 19, popped 20, 2 MAC
//	cycles 20..21; marker popped 21, normalization from 22 for 1 cycle: 23 cycles.
//	Without tiling the Q buffer must hold 3 B; with 2 B the earlier model refused the head.
func TestQueryTiling(t *testing.T) {
	h := head4([2]int32{2, -1}, [2]int32{-8, 5})
	h.N, h.ValidQ = 3, 3
	h.Q = []int32{3, -2, 3, -2, 3, -2}
	cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 0, 1)
	cfg.Memory.SRAMQBytes = 2
	for _, st := range bothEngines(t, cfg, Heads{h}) {
		if st.Cycles != 23 || st.DRAM.Loads != 2 || st.DRAM.Bytes != 11 {
			t.Errorf("%s: cycles %d, loads %d, bytes %d; want 23, 2, 11", st.Engine, st.Cycles, st.DRAM.Loads, st.DRAM.Bytes)
		}
		if st.Actions.QSRAMWrBits != 3*2*4 || st.Actions.KSRAMWrBits != 2*2*2*4 {
			t.Errorf("%s: Q written %d bits, K %d: want 24 (each row once) and 32 (K twice)", st.Engine,
				st.Actions.QSRAMWrBits, st.Actions.KSRAMWrBits)
		}
	}
	cfg.Memory.SRAMQBytes = 0
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "memory.sram_q_bytes") {
		t.Errorf("a Q buffer of 0 bytes: got %v, want an error naming memory.sram_q_bytes", err)
	}
}

// TestHeadPacking: small heads that fit one K/V buffer together are loaded together, paying the
// DRAM latency once.
//
//	Three heads of 1 query x 1 key, d = dv = 2, 4-bit: each 1 B Q + 1 B K + 1 B V = 3 B.
//	Serial memory, latency 10, 1 B per cycle, 1-B bursts, K/V buffers of 64 B: unpacked, three
//	loads of 13 cycles, the last ending at 39; packed, one load of 10 + 9 = 19 cycles for all three.
func TestHeadPacking(t *testing.T) {
	var heads Heads
	for i := 0; i < 3; i++ {
		h := head4([2]int32{2, -1})
		h.Layer = i
		heads = append(heads, h)
	}
	for _, pack := range []bool{false, true} {
		cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 10, 1)
		cfg.Memory.SRAMKVBytes, cfg.Memory.PackHeads = 128, pack
		wantLoads, wantEnd := int64(3), int64(3*13)
		if pack {
			wantLoads, wantEnd = 1, 19
		}
		for _, st := range bothEngines(t, cfg, heads) {
			// The data bus moves the same 9 bytes either way; packing saves the latencies.
			if st.DRAM.Loads != wantLoads || st.DRAM.Busy != 9 || st.DRAM.Bytes != 9 || st.Cycles <= wantEnd {
				t.Errorf("%s pack %t: %d cycles, DRAM %+v, want %d loads, data bus busy 9 cycles, 9 bytes, the last load ending at %d",
					st.Engine, pack, st.Cycles, st.DRAM, wantLoads, wantEnd)
			}
		}
	}
}

// TestRunPackedHeadsSideBySide: the design and its baselines, run side by side on one shared
// window of heads, with many small heads packed into loads and a deep buffer pool; each
// simulation holds up to (buffers + 3) x 16 heads at once, and the window must leave room for
// that, or the simulations wait on each other for ever. (The guard is for liveness: a deadlock
// would otherwise hang the test binary; the run takes well under a second.)
func TestRunPackedHeadsSideBySide(t *testing.T) {
	var heads Heads
	for i := 0; i < 400; i++ {
		h := head4([2]int32{2, -1}, [2]int32{-8, 5})
		h.Layer = i
		heads = append(heads, h)
	}
	cfg := tinyConfig(t, 2, 2, 1, 0, 0, 0, 1, 5, 4)
	cfg.Units, cfg.Dispatch = 4, DynamicDispatch
	cfg.Memory.Model, cfg.Memory.KVBuffers, cfg.Memory.PackHeads = PipelinedMemory, 8, true
	cfg.Memory.SRAMKVBytes = 8 * 64
	done := make(chan error, 1)
	go func() {
		_, err := Run(cfg, heads, EngineEvent, Options{})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the side-by-side run did not finish: its simulations wait on each other for room in the shared window")
	}
}
