package sim

import (
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/traces"
)

// Hand-worked cases for the three modelling fixes of issue 10 (norm_latency 0, the bit-parallel
// baseline's planes per step, empty_row keep_max). Every number asserted is derived in the
// comment above it from arch/README.md's rules.

// wantRun is what a hand-worked case asserts of one unit's run.
type wantRun struct {
	cycles                       int64
	feBusy, feWait, laneSteps    int64
	beBusy, beStarved            int64
	beSurvivors, keptMax, beRows int64
	macCycles                    int64
}

func checkRun(t *testing.T, st *Stats, w wantRun) {
	t.Helper()
	fe, be := st.FrontEnd[0], st.BackEnd[0]
	got := wantRun{cycles: st.Cycles, feBusy: fe.Busy, feWait: fe.WaitMemory, laneSteps: fe.LaneSteps,
		beBusy: be.Busy, beStarved: be.Starved, beSurvivors: be.Survivors, keptMax: be.KeptMax, beRows: be.Rows,
		macCycles: be.MacCycles}
	if got != w {
		t.Errorf("%s: run\n got %+v\nwant %+v", st.Engine, got, w)
	}
	if fe.Idle != st.Cycles-fe.Busy-fe.WaitMemory || fe.Idle < 0 {
		t.Errorf("%s: front end idle %d, want cycles - busy - wait = %d", st.Engine, fe.Idle, st.Cycles-fe.Busy-fe.WaitMemory)
	}
}

func checkRecords(t *testing.T, st *Stats, want []PairRecord) {
	t.Helper()
	got := sortedRecords(st.Record)
	if len(got) != len(want) {
		t.Fatalf("%s: %d decisions recorded, want %d: %+v", st.Engine, len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: decision %d = %+v, want %+v", st.Engine, i, got[i], want[i])
		}
	}
}

// TestHandWorkedNormZeroMarkerOnly: norm_latency 0 and a row that keeps nothing. The marker,
// popped at c with no multiply pending, occupies the back end in its pop cycle: busy
// [c, max(n0+N, c+1)) = [c, c+1), so the run ends at c+1 and that cycle is counted busy.
//
//	load: K 1x2x4 bits = 1 B, V 1 B, Q 1 B = 3 B at 1 B/cycle, latency 0: usable at 3
//	(front end waits 0..2 = 3 cycles).
//	k0 = (-8, 5): step 1 gives P = -8*3 = -24, bound 7*Q+ = 21, -3 < 0: pruned, decides at 3.
//	z = 3, drain 0: the marker is pushed at 3 and the task ends (front end busy 1, 1 lane step).
//	back end: marker visible 4, popped 4; no multiply ever ran, so n0 = max(4, 0) = 4,
//	end = max(4+0, 4+1) = 5: busy {4} = 1, starved 0..3 = 4, run 5 cycles.
func TestHandWorkedNormZeroMarkerOnly(t *testing.T) {
	cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 0, 0, 1)
	h := head4([2]int32{-8, 5})
	for _, st := range bothEngines(t, cfg, Heads{h}) {
		checkRun(t, st, wantRun{cycles: 5, feBusy: 1, feWait: 3, laneSteps: 1, beBusy: 1, beStarved: 4, beRows: 1})
		checkRecords(t, st, []PairRecord{{Key: 0, Step: 1, Decide: 3, Push: -1}})
		// 1 plane x d = 2 bit products; the marker divides dv = 2 outputs; no exp, no MAC.
		want := Actions{BitProducts: 2, Accumulates: 1, Compares: 1, QSRAMReadBits: 8, KSRAMReadBits: 2,
			QSRAMWrBits: 8, KSRAMWrBits: 8, VSRAMWrBits: 8, DRAMBytes: 3, FIFOPushes: 1, FIFOPops: 1, Divides: 2}
		if st.Actions != want {
			t.Errorf("%s: actions %+v, want %+v", st.Engine, st.Actions, want)
		}
	}
}

// TestHandWorkedNormZeroMACsPending: norm_latency 0 with the row's multiplies still running
// when the marker is popped (n0 > c): the normalization waits for them and, taking no cycle,
// ends at n0; the pop cycle is inside the survivor's busy span already.
//
//	load: 3 B: usable at 3. k1 = (2, -1): q.k = 6+2 = 8 >= 0, 4 steps 3..6, pushed at 6; the
//	marker follows in the same cycle (FIFO depth 2). Front end busy 3..6 = 4, 4 lane steps.
//	back end (X = 3, macs 1, dv 2: M = 2): survivor visible 7, popped 7: exp 7..9, MACs 10..11,
//	ready at 7+M = 9. Marker popped at 9: n0 = max(9, 12) = 12, end = max(12+0, 10) = 12.
//	Busy 7..11 = 5, starved 0..6 = 7 (8, 10, 11 are not ready), run 12 cycles.
func TestHandWorkedNormZeroMACsPending(t *testing.T) {
	cfg := tinyConfig(t, 1, 2, 1, 0, 0, 3, 0, 0, 1)
	h := head4([2]int32{2, -1})
	for _, st := range bothEngines(t, cfg, Heads{h}) {
		checkRun(t, st, wantRun{cycles: 12, feBusy: 4, feWait: 3, laneSteps: 4, beBusy: 5, beStarved: 7,
			beSurvivors: 1, beRows: 1, macCycles: 2})
		checkRecords(t, st, []PairRecord{{Key: 0, Step: 4, Decide: 6, Push: 6}})
	}
}

// TestHandWorkedBitParallelTraceWidth: the bit-parallel baseline consumes all planes of the
// trace's keys (6 bits here) in one step, whatever operands.bits_k says (16, 8 or 6 give the
// same run), and counts 6 planes of lane work per key.
//
//	head: 1 row, q = (3, -2) (4 bits), keys (-32, 5), (20, -1), (31, 31) of 6 bits, dv 2 (4 bits).
//	load: K 3x2x6 = 36 bits = 5 B, V 3x2x4 = 24 bits = 3 B, Q 1 B: 9 B, usable at 9.
//	bit_parallel = dense (no early termination, no pruning): every key 1 step and pushed:
//	k0 decides and is pushed at 9, k1 at 10, k2 at 11; the marker follows k2 at 11.
//	back end (X = 0, macs 2: M = 1, N = 1): k0 popped 10, k1 11, k2 12, marker visible 12 but
//	ready 13: popped 13, n0 = 13, normalization 13: run 14 cycles, busy 10..13 = 4, starved 0..9.
//	Actions per key: 6 planes: 6 accumulates, 6*d = 12 bit products, 12 K bits read, 1 compare.
func TestHandWorkedBitParallelTraceWidth(t *testing.T) {
	h := &traces.Head{N: 1, M: 3, D: 2, DV: 2, ValidQ: 1, ValidK: 3, BitsQ: 4, BitsK: 6, BitsV: 4,
		ScaleQ: 1, ScaleK: 1, ScaleV: 1, Threshold: 0,
		Q: []int32{3, -2}, K: []int32{-32, 5, 20, -1, 31, 31}, V: []int32{1, 1, 1, 1, 1, 1}}
	for _, bitsK := range []int{16, 8, 6} {
		design := tinyConfig(t, 1, 2, 2, 0, 0, 0, 1, 0, 1)
		design.Operands.BitsK = bitsK
		cfg, err := design.Baseline("bit_parallel")
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range bothEngines(t, cfg, Heads{h}) {
			checkRun(t, st, wantRun{cycles: 14, feBusy: 3, feWait: 9, laneSteps: 3, beBusy: 4, beStarved: 10,
				beSurvivors: 3, beRows: 1, macCycles: 3})
			checkRecords(t, st, []PairRecord{
				{Key: 0, Step: 1, Decide: 9, Push: 9},
				{Key: 1, Step: 1, Decide: 10, Push: 10},
				{Key: 2, Step: 1, Decide: 11, Push: 11},
			})
			if st.PlanesPerStep != 6 {
				t.Errorf("bits_k %d %s: planes per step %d, want the trace's 6", bitsK, st.Engine, st.PlanesPerStep)
			}
			if !equalInts(st.StepHistogram, []int64{3}) || st.Pairs != 3 || st.Survivors != 2 || st.Pushed != 3 {
				t.Errorf("bits_k %d %s: steps %v, pairs/survivors/pushed %d/%d/%d, want [3], 3/2/3 (-106 < 0 <= 62, 31)",
					bitsK, st.Engine, st.StepHistogram, st.Pairs, st.Survivors, st.Pushed)
			}
			// 3 keys x 6 planes; 3 exps, 3 x dv MACs and V rows (8 bits each); one
			// normalization of dv = 2; 4 FIFO entries; the load writes Q 8, K 36, V 24 bits.
			want := Actions{BitProducts: 36, Accumulates: 18, Compares: 3, QSRAMReadBits: 8, KSRAMReadBits: 36,
				VSRAMReadBits: 24, QSRAMWrBits: 8, KSRAMWrBits: 36, VSRAMWrBits: 24, DRAMBytes: 9,
				FIFOPushes: 4, FIFOPops: 4, Exps: 3, MACs: 6, Divides: 2}
			if st.Actions != want {
				t.Errorf("bits_k %d %s: actions\n got %+v\nwant %+v", bitsK, st.Engine, st.Actions, want)
			}
		}
	}
	// 4-bit keys: 4 planes a step. load 2 + 2 + 1 = 5 B, usable at 5; k0 pushed 5, k1 6, marker
	// 6; back end pops k0 6, k1 7, the marker 8 (ready 8), normalization 8: 9 cycles.
	bp, err := tinyConfig(t, 1, 2, 2, 0, 0, 0, 1, 0, 1).Baseline("bit_parallel")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range bothEngines(t, bp, Heads{head4([2]int32{-8, 5}, [2]int32{2, -1})}) {
		a := st.Actions
		if st.Cycles != 9 || st.PlanesPerStep != 4 || a.Accumulates != 8 || a.BitProducts != 16 || a.KSRAMReadBits != 16 || a.Compares != 2 {
			t.Errorf("4-bit keys %s: %d cycles, planes per step %d, actions %+v; want 9, 4, 8 accumulates, 16 bit products and K bits, 2 compares",
				st.Engine, st.Cycles, st.PlanesPerStep, a)
		}
	}
	// Through sim.Run the baseline reports the same planes per step beside a bit-serial design.
	design := tinyConfig(t, 1, 2, 2, 0, 0, 0, 1, 0, 1)
	design.Baselines = []string{"bit_parallel"}
	for _, eng := range []string{EngineEvent, EngineReference} {
		res, err := Run(design, Heads{h}, eng, Options{})
		if err != nil {
			t.Fatalf("%s: %v", eng, err)
		}
		if bp := res.Baselines["bit_parallel"]; bp == nil || bp.PlanesPerStep != 6 || bp.Cycles != 14 {
			t.Errorf("%s: run's bit_parallel baseline %+v, want planes per step 6, 14 cycles", eng, bp)
		}
		if res.Design.PlanesPerStep != 1 {
			t.Errorf("%s: bit-serial design planes per step %d, want 1", eng, res.Design.PlanesPerStep)
		}
	}
}

// keepMaxHead is head4 with empty_row keep_max over keys that all fall below T = 0, pruned by
// early termination at steps 1, 2 and 3 (q = (3, -2), Q+ = 3; bounds 21, 9, 3 after steps 1..3):
//
//	k0 = (-8, 5) = (1000, 0101): step 1, P = -8*3 = -24, -24+21 < 0.
//	k1 = (-7, -3) = (1001, 1101): step 1, P = -8*(3-2) = -8, -8+21 >= 0; step 2 (plane 2:
//	     0, 1), P = -8 + 4*(-2) = -16, -16+9 < 0. q.k = -21+6 = -15.
//	k2 = (1, 2) = (0001, 0010): steps 1, 2: P = 0; step 3 (plane 1: 0, 1), P = 2*(-2) = -4,
//	     -4+3 < 0. q.k = 3-4 = -1, the row's maximum.
func keepMaxHead() *traces.Head {
	h := head4([2]int32{-8, 5}, [2]int32{-7, -3}, [2]int32{1, 2})
	h.KeepMax = true
	return h
}

// TestHandWorkedKeepMaxSecondPass: early termination and pruning on; the row keeps no key, so
// the lane makes a second pass over its keys with early termination off, pushing nothing, and
// the end-of-row marker carries the row's maximum to the back end as one survivor.
//
//	load: K 3 B, V 3 B, Q 1 B = 7 B: usable at 7 (wait 0..6).
//	first pass: k0 7 (1 step), k1 8..9, k2 10..12: decides at 7, 9, 12; nothing kept.
//	second pass from 13, G = 4 steps each, lane 0: k0 13..16, k1 17..20, k2 21..24.
//	z = 24, drain 0: the keep-max marker is pushed at 24; front end busy 7..24 = 18,
//	lane steps 1+2+3 + 3*4 = 18.
//	back end (X = 1, macs 1, dv 2: M = 2; N = 2): marker visible 25, popped 25 as a survivor:
//	exp 25, MACs 26..27 (ready 27), then the normalization from the multiply's end:
//	n0 = max(25, 28) = 28, 28..29, end 30. Busy 25..29 = 5, starved 0..24 = 25, run 30 cycles.
//	Actions: lane work 18 planes (36 bit products, 18 accumulates, 18 compares, 36 K bits);
//	one exp, dv = 2 MACs, one V row (8 bits), dv = 2 divides; one FIFO entry.
//	Record: only the first pass's three decisions.
func TestHandWorkedKeepMaxSecondPass(t *testing.T) {
	cfg := tinyConfig(t, 1, 2, 1, 0, 0, 1, 2, 0, 1)
	for _, st := range bothEngines(t, cfg, Heads{keepMaxHead()}) {
		checkRun(t, st, wantRun{cycles: 30, feBusy: 18, feWait: 7, laneSteps: 18, beBusy: 5, beStarved: 25,
			keptMax: 1, beRows: 1, macCycles: 2})
		checkRecords(t, st, []PairRecord{
			{Key: 0, Step: 1, Decide: 7, Push: -1},
			{Key: 1, Step: 2, Decide: 9, Push: -1},
			{Key: 2, Step: 3, Decide: 12, Push: -1},
		})
		if st.MaxPassRows != 1 || st.MaxPassKeys != 3 {
			t.Errorf("%s: max-pass rows/keys %d/%d, want 1/3", st.Engine, st.MaxPassRows, st.MaxPassKeys)
		}
		if !equalInts(st.StepHistogram, []int64{1, 1, 1}) || !equalInts(st.PrunedStepHistogram, []int64{1, 1, 1}) ||
			st.Pairs != 3 || st.Survivors != 0 || st.Pushed != 0 {
			t.Errorf("%s: histograms %v %v, pairs/survivors/pushed %d/%d/%d: the second pass must not count as decisions",
				st.Engine, st.StepHistogram, st.PrunedStepHistogram, st.Pairs, st.Survivors, st.Pushed)
		}
		want := Actions{BitProducts: 36, Accumulates: 18, Compares: 18, QSRAMReadBits: 8, KSRAMReadBits: 36,
			VSRAMReadBits: 8, QSRAMWrBits: 8, KSRAMWrBits: 24, VSRAMWrBits: 24, DRAMBytes: 7,
			FIFOPushes: 1, FIFOPops: 1, Exps: 1, MACs: 2, Divides: 2}
		if st.Actions != want {
			t.Errorf("%s: actions\n got %+v\nwant %+v", st.Engine, st.Actions, want)
		}
	}
}

// TestHandWorkedKeepMaxSecondPassTwoLanes: the same row on two lanes; the second pass starts the
// cycle after the first pass's last decision, lowest lane first.
//
//	load 7 B: usable at 7. 7: lane 0 takes k0 (decides 7), lane 1 k1 (7..8, decides 8);
//	8: lane 0 takes k2 (8..10, decides 10). Second pass from 11: lanes 0 and 1 take k0 and k1
//	(11..14), lane 0 then k2 (15..18). The keep-max marker at 18: front end busy 7..18 = 12,
//	lane steps 1+2+3 + 3*4 = 18.
//	back end: popped 19, exp 19, MACs 20..21, normalization 22..23: busy 5, starved 0..18 = 19,
//	run 24 cycles.
func TestHandWorkedKeepMaxSecondPassTwoLanes(t *testing.T) {
	cfg := tinyConfig(t, 2, 2, 1, 0, 0, 1, 2, 0, 1)
	for _, st := range bothEngines(t, cfg, Heads{keepMaxHead()}) {
		checkRun(t, st, wantRun{cycles: 24, feBusy: 12, feWait: 7, laneSteps: 18, beBusy: 5, beStarved: 19,
			keptMax: 1, beRows: 1, macCycles: 2})
		checkRecords(t, st, []PairRecord{
			{Key: 0, Step: 1, Decide: 7, Push: -1},
			{Key: 1, Step: 2, Decide: 8, Push: -1},
			{Key: 2, Step: 3, Decide: 10, Push: -1},
		})
		if st.MaxPassRows != 1 || st.MaxPassKeys != 3 {
			t.Errorf("%s: max-pass rows/keys %d/%d, want 1/3", st.Engine, st.MaxPassRows, st.MaxPassKeys)
		}
	}
}

// TestHandWorkedKeepMaxPruneOnly: early termination off (prune_only): every score is whole after
// the first pass, so no second pass is made, but the marker still carries the maximum.
//
//	load 7 B: usable at 7. Each key G = 4 steps: k0 7..10, k1 11..14, k2 15..18; nothing kept.
//	The keep-max marker is pushed at 18; front end busy 7..18 = 12, 12 lane steps.
//	back end: popped 19: exp 19, MACs 20..21 (ready 21), n0 = max(19, 22) = 22, 22..23, end 24.
//	Busy 19..23 = 5, starved 0..18 = 19, run 24 cycles.
//	Actions: 12 planes of lane work (24 bit products, 12 accumulates, 12 compares, 24 K bits).
func TestHandWorkedKeepMaxPruneOnly(t *testing.T) {
	design := tinyConfig(t, 1, 2, 1, 0, 0, 1, 2, 0, 1)
	cfg, err := design.Baseline("prune_only")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range bothEngines(t, cfg, Heads{keepMaxHead()}) {
		checkRun(t, st, wantRun{cycles: 24, feBusy: 12, feWait: 7, laneSteps: 12, beBusy: 5, beStarved: 19,
			keptMax: 1, beRows: 1, macCycles: 2})
		checkRecords(t, st, []PairRecord{
			{Key: 0, Step: 4, Decide: 10, Push: -1},
			{Key: 1, Step: 4, Decide: 14, Push: -1},
			{Key: 2, Step: 4, Decide: 18, Push: -1},
		})
		if st.MaxPassKeys != 0 || st.MaxPassRows != 0 {
			t.Errorf("%s: max-pass keys %d, rows %d, want 0 (no second pass with early termination off)", st.Engine, st.MaxPassKeys, st.MaxPassRows)
		}
		want := Actions{BitProducts: 24, Accumulates: 12, Compares: 12, QSRAMReadBits: 8, KSRAMReadBits: 24,
			VSRAMReadBits: 8, QSRAMWrBits: 8, KSRAMWrBits: 24, VSRAMWrBits: 24, DRAMBytes: 7,
			FIFOPushes: 1, FIFOPops: 1, Exps: 1, MACs: 2, Divides: 2}
		if st.Actions != want {
			t.Errorf("%s: actions\n got %+v\nwant %+v", st.Engine, st.Actions, want)
		}
	}
}

// TestHandWorkedKeepMaxRowKeepsAKey: a keep-max row that keeps a key needs no pass and no
// maximum: the run is TestHandWorkedEarlyTermination's exactly (15 cycles; k0 pruned at 7, k1
// pushed at 11, k2 pruned at 12, marker at 12; back end busy 12..14, starved 0..11 = 12 (13 is
// not ready)).
func TestHandWorkedKeepMaxRowKeepsAKey(t *testing.T) {
	cfg := tinyConfig(t, 1, 2, 1, 0, 0, 0, 1, 0, 1)
	h := head4([2]int32{-8, 5}, [2]int32{2, -1}, [2]int32{-8, 5})
	h.KeepMax = true
	for _, st := range bothEngines(t, cfg, Heads{h}) {
		checkRun(t, st, wantRun{cycles: 15, feBusy: 6, feWait: 7, laneSteps: 6, beBusy: 3, beStarved: 12,
			beSurvivors: 1, beRows: 1, macCycles: 2})
		if st.MaxPassRows != 0 || st.MaxPassKeys != 0 {
			t.Errorf("%s: max-pass rows/keys %d/%d, want 0/0", st.Engine, st.MaxPassRows, st.MaxPassKeys)
		}
	}
}

// TestHandWorkedKeepMaxDense: without pruning (dense) every key reaches the back end, so a
// keep-max row needs neither a pass nor a maximum; the marker is a plain one.
//
//	load 7 B: usable at 7. G = 4 steps each, every key pushed: k0 7..10 (pushed 10), k1 11..14
//	(14), k2 15..18 (18); the marker follows at 18. Front end busy 12.
//	back end (X 1, M 2, N 2): k0 popped 11 (MACs 12..13, ready 13), k1 15 (16..17, ready 17),
//	k2 19 (20..21, ready 21); marker visible 19, popped 21: n0 = max(21, 22) = 22, 22..23.
//	Busy [11,14) + [15,18) + [19,24) = 11; starved 0..10, 13..14, 17..18 = 15; run 24 cycles.
func TestHandWorkedKeepMaxDense(t *testing.T) {
	design := tinyConfig(t, 1, 2, 1, 0, 0, 1, 2, 0, 1)
	cfg, err := design.Baseline("dense")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range bothEngines(t, cfg, Heads{keepMaxHead()}) {
		checkRun(t, st, wantRun{cycles: 24, feBusy: 12, feWait: 7, laneSteps: 12, beBusy: 11, beStarved: 15,
			beSurvivors: 3, beRows: 1, macCycles: 6})
		checkRecords(t, st, []PairRecord{
			{Key: 0, Step: 4, Decide: 10, Push: 10},
			{Key: 1, Step: 4, Decide: 14, Push: 14},
			{Key: 2, Step: 4, Decide: 18, Push: 18},
		})
		if st.MaxPassRows != 0 || st.MaxPassKeys != 0 {
			t.Errorf("%s: max-pass rows/keys %d/%d, want 0/0", st.Engine, st.MaxPassRows, st.MaxPassKeys)
		}
	}
}

// TestKeepMaxAcrossTilesRejected: a keep-max row that keeps nothing and whose keys span two K/V
// tiles is refused, naming the row and the fix. One key and value row is 2x4 + 2x4 = 16 bits;
// sram_kv_bytes 8 gives buffers of 32 bits = 2 keys, so the row's 3 keys span 2 tiles; the fix
// is 2 buffers of ceil(3*16/8) = 6 bytes = 12 bytes, which then runs.
func TestKeepMaxAcrossTilesRejected(t *testing.T) {
	cfg := tinyConfig(t, 1, 2, 1, 0, 0, 1, 2, 0, 1)
	cfg.Memory.SRAMKVBytes = 8
	for _, eng := range []string{EngineReference, EngineEvent} {
		_, err := Simulate(cfg, Heads{keepMaxHead()}, eng, Options{})
		if err == nil {
			t.Fatalf("%s: a keep-max row spanning 2 tiles was accepted", eng)
		}
		for _, want := range []string{"head 0", "query row 0", "keep_max", "3 keys span 2 K/V tiles of 2 keys",
			"memory.sram_kv_bytes 8", "at least 12", "empty_row zero"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not say %q", eng, err, want)
			}
		}
	}
	cfg.Memory.SRAMKVBytes = 12
	for _, st := range bothEngines(t, cfg, Heads{keepMaxHead()}) {
		if st.Cycles != 30 || st.MaxPassKeys != 3 {
			t.Errorf("%s: with the fix: %d cycles, %d max-pass keys, want TestHandWorkedKeepMaxSecondPass's 30, 3",
				st.Engine, st.Cycles, st.MaxPassKeys)
		}
	}
	// Without early termination no second pass is needed, so tiling is fine.
	cfg.Memory.SRAMKVBytes = 8
	po, err := cfg.Baseline("prune_only")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range bothEngines(t, po, Heads{keepMaxHead()}) {
		if st.BackEnd[0].KeptMax != 1 || st.MaxPassKeys != 0 || st.MaxPassRows != 0 {
			t.Errorf("%s: prune_only over 2 tiles: kept max %d, max-pass keys %d, want 1, 0", st.Engine, st.BackEnd[0].KeptMax, st.MaxPassKeys)
		}
	}
}
