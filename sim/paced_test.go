package sim

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/lrpsim/lrpsim/sim/internal/engine"
)

// pacedCase draws a mostly back-end-bound case: every key reaches the back end (pruning mostly
// off), slow multipliers against wide V rows (and now and then not so slow), shallow FIFOs, rows of many keys, often the bit-parallel
// lanes; dispatch and the memory model vary.
func pacedCase(r *rand.Rand) agreeCase {
	cfg := randConfig(r)
	cfg.Units = 1 + r.IntN(3)
	cfg.FrontEnd.Lanes = 2 + r.IntN(8)
	cfg.BackEnd.Pruning = r.IntN(3) == 0
	cfg.BackEnd.Macs = 1 + r.IntN(6)
	cfg.BackEnd.FIFODepth = 1 + r.IntN(4)
	if r.IntN(2) == 0 {
		cfg.Dispatch = DynamicDispatch
	}
	if r.IntN(2) == 0 {
		randPipelined(r, cfg, 3, 32)
	}
	var hs Heads
	for i := 0; i < 1+r.IntN(3); i++ {
		hs = append(hs, randHeadKeys(r, i, 24, 64))
	}
	return agreeCase{cfg, hs}
}

// TestEnginesAgreePaced: back-end-bound units, which the event engine advances over whole paced
// runs at once (arch.FrontEndUnit.RunPaced), agree with the reference engine, both with every
// decision recorded (each push told as it happens) and without (the run's pushes counted in
// bulk); and the paced runs happen (counted by a probe on the runs without a record, where the
// closed form applies).
func TestEnginesAgreePaced(t *testing.T) {
	t.Parallel()
	var fp engine.FastPaths
	agreeOnRandom(t, rand.New(rand.NewPCG(41, 3)), 200, []string{"front end stalled", "several units"},
		func(r *rand.Rand) agreeCase { return pacedCase(r) },
		func(c agreeCase, ref *Stats) []string {
			ev, err := Simulate(c.cfg, c.heads, EngineEvent, Options{FastPaths: &fp})
			if err != nil {
				t.Fatalf("event engine without a record: %v", err)
			}
			ref.Record = nil
			compareStats(t, fmt.Sprintf("without a record: %+v", c.cfg.BackEnd), ref, ev)
			var stall int64
			for _, fe := range ref.FrontEnd {
				stall += fe.Stall
			}
			return covered(map[string]bool{"front end stalled": stall > 0, "several units": c.cfg.Units > 1})
		})
	t.Logf("without a record: %d paced runs, %d pops in closed form", fp.PacedRuns, fp.PacedSkipped)
	runs, skipped := int64(100), int64(1000)
	if testing.Short() { // agreeOnRandom runs a sixth of the cases
		runs, skipped = runs/6, skipped/6
	}
	if n := fp.PacedRuns; n < runs {
		t.Errorf("%d paced runs in the random cases, want at least %d: the paced runs are not exercised", n, runs)
	}
	if n := fp.PacedSkipped; n < skipped {
		t.Errorf("%d pops in closed form in the random cases, want at least %d: the closed form is not exercised", n, skipped)
	}
}

// TestPacedUncheckedDisagrees weakens the closed form's conditions (engine.FastPaths.Unchecked: a
// paced run goes on after a pop that no push refilled, as if the FIFO stayed full, and skips
// stretches in closed form without proving that the lanes keep it full) and shows that the
// engines then disagree on back-end-bound cases, with a record (the paced run's steps) and
// without (its closed-form stretches too): the conditions are what make the closed form exact,
// and the agreement tests would catch it allowed where it does not apply.
func TestPacedUncheckedDisagrees(t *testing.T) {
	t.Parallel()
	for _, record := range []bool{true, false} {
		r := rand.New(rand.NewPCG(41, 3))
		differ := 0
		for it := 0; it < 400 && differ < 3; it++ {
			c := pacedCase(r)
			// Balanced units: few lanes and wide back ends, so that the front end now and then
			// fails to refill the FIFO in a pop's cycle.
			c.cfg.FrontEnd.Lanes = 1 + r.IntN(3)
			c.cfg.BackEnd.Macs = 1 + r.IntN(12)
			if !record && r.IntN(2) == 0 {
				c.cfg.FrontEnd.Lanes = 2 + r.IntN(8)
			}
			if pacedDisagree(t, c, record) {
				differ++
				t.Logf("record %v, iter %d: weakened condition: the engines disagree", record, it)
			}
		}
		if differ == 0 {
			t.Errorf("record %v: with the closed form's conditions weakened the engines still agree on 400 back-end-bound cases: the test cannot tell a wrong closed form", record)
		}
	}
}

// pacedDisagree reports whether the engines disagree on case c (or the event engine fails)
// when the event engine's closed form runs with its conditions weakened.
func pacedDisagree(t *testing.T, c agreeCase, record bool) bool {
	for _, h := range c.heads {
		need := int64(h.D*h.BitsK+h.DV*h.BitsV+7) / 8 * int64(c.cfg.Memory.KVBuffers)
		c.cfg.Memory.SRAMKVBytes = max(c.cfg.Memory.SRAMKVBytes, need)
	}
	ref, err := Simulate(c.cfg, c.heads, EngineReference, Options{Record: record})
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	ev, err := Simulate(c.cfg, c.heads, EngineEvent, Options{Record: record, FastPaths: &engine.FastPaths{Unchecked: true}})
	return err != nil || ev.Cycles != ref.Cycles || !reflect.DeepEqual(ev.FrontEnd, ref.FrontEnd) ||
		!reflect.DeepEqual(ev.BackEnd, ref.BackEnd) || !reflect.DeepEqual(ev.Bound, ref.Bound) ||
		!reflect.DeepEqual(ev.Actions, ref.Actions) ||
		!reflect.DeepEqual(sortedRecords(ev.Record), sortedRecords(ref.Record))
}

// TestEnginesAgreeFree: units whose front ends run free (arch.FrontEndUnit.RunFree: no push
// refused, each lane taking the next key in the cycle after its decision), which the event
// engine advances a stretch at a time when decisions are not recorded, agree with the
// reference engine; and the free runs happen.
func TestEnginesAgreeFree(t *testing.T) {
	t.Parallel()
	var fp engine.FastPaths
	r := rand.New(rand.NewPCG(43, 5))
	iters := 200
	if testing.Short() {
		iters /= 6
	}
	for it := range iters {
		c := agreeCase{randConfig(r), randHeads(r, 3)}
		if r.IntN(2) == 0 {
			c.cfg.Dispatch = DynamicDispatch
		}
		if r.IntN(2) == 0 {
			randPipelined(r, c.cfg, 3, 32)
		}
		for _, h := range c.heads {
			need := int64(h.D*h.BitsK+h.DV*h.BitsV+7) / 8 * int64(c.cfg.Memory.KVBuffers)
			c.cfg.Memory.SRAMKVBytes = max(c.cfg.Memory.SRAMKVBytes, need)
		}
		ref, err := Simulate(c.cfg, c.heads, EngineReference, Options{})
		if err != nil {
			t.Fatalf("iter %d: reference: %v", it, err)
		}
		ev, err := Simulate(c.cfg, c.heads, EngineEvent, Options{FastPaths: &fp})
		if err != nil {
			t.Fatalf("iter %d: event: %v", it, err)
		}
		compareStats(t, fmt.Sprintf("iter %d: %+v, %+v", it, c.cfg.FrontEnd, c.cfg.BackEnd), ref, ev)
	}
	t.Logf("free runs: %d front-end cycles", fp.FreeCycles)
	if n := fp.FreeCycles; n < 1000 {
		t.Errorf("free runs ran %d front-end cycles in the random cases, want at least 1000", n)
	}
}
