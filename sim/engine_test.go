package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/sim/internal/engine"
	"github.com/lrpsim/lrpsim/traces"
)

// randHead builds a random head with extremes of two's complement mixed in, a threshold near
// the middle of its scores, and optionally a causal mask and short valid lengths.
func randHead(r *rand.Rand, idx int) *traces.Head { return randHeadKeys(r, idx, 1, 24) }

// randHeadKeys is randHead with minKeys..maxKeys keys. With minKeys above 1 the head is never
// causal: a causal head has as many keys as queries, at most 20.
func randHeadKeys(r *rand.Rand, idx, minKeys, maxKeys int) *traces.Head {
	bitsQ, bitsK, bitsV := 2+r.IntN(15), 2+r.IntN(15), 2+r.IntN(15)
	n, m := 1+r.IntN(20), minKeys+r.IntN(maxKeys-minKeys+1)
	d, dv := 1+r.IntN(20), 1+r.IntN(20)
	causal := r.IntN(3) == 0 && minKeys == 1
	if causal {
		m = n
	}
	h := &traces.Head{Layer: idx, N: n, M: m, D: d, DV: dv, BitsQ: bitsQ, BitsK: bitsK, BitsV: bitsV,
		ScaleQ: 1, ScaleK: 1, ScaleV: 1, Causal: causal, ValidQ: n, ValidK: m}
	if r.IntN(3) == 0 {
		h.ValidQ = 1 + r.IntN(n)
		h.ValidK = 1 + r.IntN(m)
		if causal {
			h.ValidK = h.ValidQ
		}
	}
	fill := func(k, bits int) []int32 {
		out := make([]int32, k)
		lo, hi := -(int32(1) << (bits - 1)), (int32(1)<<(bits-1))-1
		for i := range out {
			switch r.IntN(8) {
			case 0:
				out[i] = lo
			case 1:
				out[i] = hi
			default:
				out[i] = lo + r.Int32N(hi-lo+1)
			}
		}
		return out
	}
	h.Q, h.K, h.V = fill(n*d, bitsQ), fill(m*d, bitsK), fill(m*dv, bitsV)
	// A threshold between the scores, so that some keys survive and some are pruned.
	var dots []int64
	for i := 0; i < h.ValidQ; i++ {
		for j := 0; j < h.ValidK; j++ {
			if h.KeyAllowed(i, j) {
				var s int64
				for x := 0; x < d; x++ {
					s += int64(h.Q[i*d+x]) * int64(h.K[j*d+x])
				}
				dots = append(dots, s)
			}
		}
	}
	sort.Slice(dots, func(a, b int) bool { return dots[a] < dots[b] })
	if len(dots) > 0 {
		// T on the integer grid: th = T / sqrt(d) with unit scales maps back to T.
		T := dots[r.IntN(len(dots))]
		h.Threshold = float64(T) / math.Sqrt(float64(d))
	}
	return h
}

// randConfig draws a configuration: sometimes more than 64 lanes (a lane set of several
// words), often norm_latency 0, and now and then the bit-parallel baseline of the draw.
func randConfig(r *rand.Rand) *Config {
	c, err := DefaultConfig()
	if err != nil {
		panic(err)
	}
	serialBaseline(c)
	c.Units = 1 + r.IntN(4)
	c.FrontEnd.Lanes = 1 + r.IntN(6)
	if r.IntN(10) == 0 {
		c.FrontEnd.Lanes = 65 + r.IntN(66)
	}
	c.FrontEnd.BitsPerCycle = 1 + r.IntN(4)
	c.FrontEnd.Scheduling = []arch.LaneSchedule{arch.DynamicLanes, arch.LockstepLanes}[r.IntN(2)]
	c.FrontEnd.EarlyTermination = r.IntN(4) != 0
	c.FrontEnd.FillCycles = r.IntN(3)
	c.FrontEnd.DrainCycles = r.IntN(3)
	c.BackEnd.Pruning = r.IntN(4) != 0
	c.BackEnd.FIFODepth = 1 + r.IntN(4)
	c.BackEnd.Macs = 1 + r.IntN(8)
	c.BackEnd.ExpLatency = r.IntN(4)
	c.BackEnd.NormLatency = r.IntN(4)
	if r.IntN(3) == 0 {
		c.BackEnd.NormLatency = 0
	}
	c.Memory.SRAMKVBytes = int64(40 + r.IntN(400)) // small: heads get tiled
	c.Memory.DRAMBytesPerCycle = 1 + r.IntN(16)
	c.Memory.DRAMLatency = r.IntN(20)
	if r.IntN(6) == 0 {
		bp, err := c.Baseline("bit_parallel")
		if err != nil {
			panic(err)
		}
		return bp
	}
	return c
}

func sortedRecords(rs []PairRecord) []PairRecord {
	out := append([]PairRecord(nil), rs...)
	sort.Slice(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if x.Head != y.Head {
			return x.Head < y.Head
		}
		if x.Row != y.Row {
			return x.Row < y.Row
		}
		return x.Key < y.Key
	})
	return out
}

// TestEnginesAgree holds the event engine to the reference engine on seeded random traces and
// configurations: total cycles, every unit's busy, stall, wait and idle cycles, the action
// counts, and every decision (pair, termination step, decision cycle, push cycle).
func TestEnginesAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	iters := 800
	if testing.Short() {
		iters = 120
	}
	covered := map[string]int{"back-pressure": 0, "waiting for DRAM": 0, "DRAM waiting for a buffer": 0,
		"tiled heads": 0, "lockstep": 0, "early-terminated keys": 0, "keep-max pass": 0, "keep-max marker": 0,
		"lanes > 64 at work": 0, "bit-parallel": 0, "norm_latency 0": 0, "keep-max row across tiles refused": 0}
	for it := 0; it < iters; it++ {
		cfg := randConfig(r)
		var heads Heads
		for i := 0; i < 1+r.IntN(4); i++ {
			h := randHead(r, i)
			h.KeepMax = r.IntN(3) == 0 // empty_row keep_max in about a third of the heads
			heads = append(heads, h)
		}
		var wide *traces.Head
		if cfg.FrontEnd.Lanes > 64 {
			// A head of 65..150 keys, mostly in one tile, so that lanes above 64 take keys.
			wide = randHeadKeys(r, len(heads), 65, 150)
			wide.KeepMax = r.IntN(3) == 0
			heads = append(heads, wide)
			if r.IntN(3) != 0 {
				cfg.Memory.SRAMKVBytes = max(cfg.Memory.SRAMKVBytes, 2*int64(wide.M*(wide.D*wide.BitsK+wide.DV*wide.BitsV)+7)/8)
			}
		}
		// The SRAM must hold at least one key row of every head and Q.
		for _, h := range heads {
			need := int64(h.D*h.BitsK+h.DV*h.BitsV+7) / 8 * 2
			cfg.Memory.SRAMKVBytes = max(cfg.Memory.SRAMKVBytes, need)
		}
		wideLanes := false
		if wide != nil {
			perTile := cfg.Memory.SRAMKVBytes * 8 / 2 / int64(wide.D*wide.BitsK+wide.DV*wide.BitsV)
			wideLanes = min(perTile, int64(wide.ValidK)) > 64
		}
		name := fmt.Sprintf("iter %d: %+v", it, *cfg)
		ref, rerr := Simulate(cfg, heads, EngineReference, Options{Record: true})
		ev, eerr := Simulate(cfg, heads, EngineEvent, Options{Record: true})
		if rerr != nil || eerr != nil {
			// The one error a valid draw may meet: a keep-max row that kept nothing spread
			// over several tiles, which both engines must refuse alike.
			if rerr == nil || eerr == nil || rerr.Error() != eerr.Error() || !strings.Contains(rerr.Error(), "keep_max") {
				t.Fatalf("%s: reference error %v, event error %v", name, rerr, eerr)
			}
			covered["keep-max row across tiles refused"]++
			continue
		}
		compareStats(t, name, ref, ev)
		if ref.MaxPassRows != ev.MaxPassRows || ref.MaxPassKeys != ev.MaxPassKeys || ref.PlanesPerStep != ev.PlanesPerStep {
			t.Fatalf("%s: max-pass rows/keys, planes per step: reference %d/%d/%d, event %d/%d/%d", name,
				ref.MaxPassRows, ref.MaxPassKeys, ref.PlanesPerStep, ev.MaxPassRows, ev.MaxPassKeys, ev.PlanesPerStep)
		}
		checkPlanesPerStep(t, name, cfg, heads, ref)
		if int64(len(ref.Record)) != ref.Pairs {
			t.Fatalf("%s: %d decisions recorded for %d pairs: a keep-max pass must not be recorded", name, len(ref.Record), ref.Pairs)
		}
		var stall, waitMem int64
		for _, f := range ref.FrontEnd {
			stall += f.Stall
			waitMem += f.WaitMemory
		}
		covered["back-pressure"] += b2i(stall > 0)
		covered["waiting for DRAM"] += b2i(waitMem > 0)
		covered["DRAM waiting for a buffer"] += b2i(ref.DRAM.WaitBuffer > 0)
		covered["tiled heads"] += b2i(ref.DRAM.Loads > int64(len(heads)))
		covered["lockstep"] += b2i(cfg.FrontEnd.Scheduling == arch.LockstepLanes)
		covered["early-terminated keys"] += b2i(sum(ref.PrunedStepHistogram[:max(len(ref.PrunedStepHistogram)-1, 0)]) > 0)
		covered["keep-max pass"] += b2i(ref.MaxPassKeys > 0)
		var keptMax int64
		for _, b := range ref.BackEnd {
			keptMax += b.KeptMax
		}
		covered["keep-max marker"] += b2i(keptMax > 0)
		covered["lanes > 64 at work"] += b2i(wideLanes)
		covered["bit-parallel"] += b2i(cfg.bitParallel)
		covered["norm_latency 0"] += b2i(cfg.BackEnd.NormLatency == 0)
	}
	t.Logf("cases exercising each mechanism, of %d: %v", iters, covered)
	// The generator must keep exercising every mechanism, or agreement proves little.
	// The keep-max cases and wide lane sets are drawn rarely (to keep the test fast), so they
	// need half the share of the others.
	rare := map[string]bool{"keep-max pass": true, "keep-max marker": true, "lanes > 64 at work": true,
		"keep-max row across tiles refused": true}
	for what, n := range covered {
		need := iters / 20
		if rare[what] {
			need = iters / 40
		}
		if n < need {
			t.Errorf("only %d of %d random cases exercised %s", n, iters, what)
		}
	}
}

// checkPlanesPerStep: the run's planes per step is the most planes any head's lanes took in a
// step: the head's whole key width in the bit-parallel baseline, else min(bits_per_cycle, width).
func checkPlanesPerStep(t *testing.T, name string, cfg *Config, heads Heads, st *Stats) {
	t.Helper()
	want := 0
	for _, h := range heads {
		if cfg.bitParallel {
			want = max(want, h.BitsK)
		} else {
			want = max(want, min(cfg.FrontEnd.BitsPerCycle, h.BitsK))
		}
	}
	if st.PlanesPerStep != want {
		t.Fatalf("%s: planes per step %d, want %d", name, st.PlanesPerStep, want)
	}
	if cfg.bitParallel && len(st.StepHistogram) > 1 {
		t.Fatalf("%s: bit-parallel keys took up to %d steps, want 1", name, len(st.StepHistogram))
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sum(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

func compareStats(t *testing.T, name string, ref, ev *Stats) {
	t.Helper()
	if ref.Cycles != ev.Cycles {
		t.Fatalf("%s: cycles: reference %d, event %d", name, ref.Cycles, ev.Cycles)
	}
	rr, er := sortedRecords(ref.Record), sortedRecords(ev.Record)
	if len(rr) != len(er) {
		t.Fatalf("%s: %d decisions in the reference, %d in the event engine", name, len(rr), len(er))
	}
	for i := range rr {
		if rr[i] != er[i] {
			t.Fatalf("%s: first differing decision: reference %+v, event %+v", name, rr[i], er[i])
		}
	}
	checks := []struct {
		what     string
		ref, got any
	}{
		{"front end", ref.FrontEnd, ev.FrontEnd},
		{"back end", ref.BackEnd, ev.BackEnd},
		{"dram", ref.DRAM, ev.DRAM},
		{"actions", ref.Actions, ev.Actions},
		{"step histogram", ref.StepHistogram, ev.StepHistogram},
		{"pruned step histogram", ref.PrunedStepHistogram, ev.PrunedStepHistogram},
		{"heads", ref.Heads, ev.Heads},
		{"bound", ref.Bound, ev.Bound},
		{"pairs/survivors/pushed", [3]int64{ref.Pairs, ref.Survivors, ref.Pushed}, [3]int64{ev.Pairs, ev.Survivors, ev.Pushed}},
	}
	checkBound(t, name, ref)
	for _, c := range checks {
		if !reflect.DeepEqual(c.ref, c.got) {
			t.Fatalf("%s: %s differ:\nreference %+v\nevent     %+v", name, c.what, c.ref, c.got)
		}
	}
}

// checkBound holds a run's bound to its statistics: every unit-cycle goes to one cause; the
// front ends' busy cycles are the lane and stall cycles; their waits are the memory causes.
func checkBound(t *testing.T, name string, st *Stats) {
	t.Helper()
	b := st.Bound
	if b == nil {
		t.Fatalf("%s: no bound", name)
	}
	var sum, busy, stall, wait int64
	for _, c := range b.Cycles {
		sum += c
	}
	for _, f := range st.FrontEnd {
		busy += f.Busy
		stall += f.Stall
		wait += f.WaitMemory
	}
	if sum != b.UnitCycles || b.UnitCycles != st.Cycles*int64(len(st.FrontEnd)) {
		t.Fatalf("%s: bound attributes %d unit-cycles of %d (%d cycles x %d units)", name, sum, b.UnitCycles, st.Cycles, len(st.FrontEnd))
	}
	lanes := b.Cycles[engine.Lanes]
	memory := b.Cycles[engine.DRAMBandwidth] + b.Cycles[engine.DRAMLatency] + b.Cycles[engine.Buffers] + b.Cycles[engine.Dependencies]
	if lanes != busy-stall || memory != wait {
		t.Fatalf("%s: bound lanes %d, memory %d; want busy - stall = %d and waits %d", name, lanes, memory, busy-stall, wait)
	}
	var perLayer int64
	for _, l := range b.Layers {
		for c := 0; c < 5; c++ {
			perLayer += l.Cycles[c]
		}
	}
	if perLayer > sum-b.Cycles[5] {
		t.Fatalf("%s: layers hold %d unit-cycles, more than the %d not idle", name, perLayer, sum-b.Cycles[5])
	}
}
