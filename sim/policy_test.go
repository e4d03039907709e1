package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lrpsim/lrpsim/traces"
)

// setPolicy gives cfg a random pruning rule of arch/POLICIES.md with random parameters.
func setPolicy(r *rand.Rand, cfg *Config) {
	p := &cfg.Pruning
	switch r.IntN(4) {
	case 0:
		p.Policy, p.Epsilon, p.Margin = "row_relative", math.Pow(10, -1-3*r.Float64()), 1
		if r.IntN(2) == 0 {
			p.Margin = 0.2 + 0.8*r.Float64()
		}
	case 1:
		p.Policy, p.Theta, p.PredBits = "sanger", math.Pow(10, -1-2*r.Float64()), 2+r.IntN(5)
	case 2:
		p.Policy, p.MSBBits, p.RequantThreshold, p.KeepFraction = "spatten", 1+r.IntN(8), r.Float64()/2, 0.05+0.9*r.Float64()
	default:
		p.Policy = "leopard"
	}
}

// TestEnginesAgreePolicies: every pruning rule's decisions reach both engines (the reference
// engine's tasks then carry them, as its lanes implement LeOPArd's rule only), and the engines
// agree on every cycle, decision and count, with the design and its baselines.
func TestEnginesAgreePolicies(t *testing.T) {
	agreeOnRandom(t, rand.New(rand.NewPCG(13, 17)), 240, []string{"row_relative", "sanger", "spatten", "leopard"},
		func(r *rand.Rand) agreeCase {
			cfg := randConfig(r)
			if r.IntN(2) == 0 {
				randPipelined(r, cfg, 3, 32)
			}
			setPolicy(r, cfg)
			hs := randHeads(r, 4)
			for _, h := range hs {
				h.ScaleQ, h.ScaleK = 0.002+r.Float64()/20, 0.002+r.Float64()/20
			}
			return agreeCase{cfg, hs}
		},
		func(c agreeCase, ref *Stats) []string {
			return []string{c.cfg.Pruning.Policy}
		})
}

// TestPolicyStatsMatchDecisions: a simulation's survivors and step histogram are the rule's own
// decisions, as MeasureFidelity finds them independently of any engine.
func TestPolicyStatsMatchDecisions(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 9))
	for it := range 60 {
		cfg := randConfig(r)
		cfg.FrontEnd.EarlyTermination, cfg.BackEnd.Pruning = true, true
		setPolicy(r, cfg)
		hs := randHeads(r, 3)
		for _, h := range hs {
			need := int64(h.D*h.BitsK+h.DV*h.BitsV+7) / 8 * int64(cfg.Memory.KVBuffers)
			cfg.Memory.SRAMKVBytes = max(cfg.Memory.SRAMKVBytes, need)
		}
		st, err := Simulate(cfg, hs, EngineEvent, Options{})
		if err != nil {
			t.Fatal(err)
		}
		f, err := MeasureFidelity(cfg, hs)
		if err != nil {
			t.Fatal(err)
		}
		if st.Pairs != f.Pairs || st.Survivors != f.Pairs-f.Dropped {
			t.Fatalf("case %d (%s): simulation pairs %d survivors %d, decisions pairs %d survivors %d",
				it, cfg.Pruning.Policy, st.Pairs, st.Survivors, f.Pairs, f.Pairs-f.Dropped)
		}
		if cfg.Pruning.Policy == "leopard" && f.FalseDrops != 0 {
			t.Fatalf("case %d: LeOPArd's exact rule has %d false drops", it, f.FalseDrops)
		}
	}
}

// TestFidelityHandWorked: q = [1] against keys 7, -8, 3, 5 (d = 1, scales 1, so the scores are
// the dot products) and V rows 1, 0, 0, 0. The certified row-relative rule with epsilon 0.1
// drops keys 1 and 2 (arch's TestPolicyHandWorked works the steps out).
//
//	dense softmax: Z = e^7 + e^-8 + e^3 + e^5, p = (e^7, e^-8, e^3, e^5) / Z
//	dropped mass = (e^-8 + e^3) / Z; every dropped probability is below 0.1: no false drop
//	O_dense = p_0 * 1 = e^7 / Z; O_policy = e^7 / (e^7 + e^5); error = |O_policy - O_dense| / O_dense
func TestFidelityHandWorked(t *testing.T) {
	h := &traces.Head{N: 1, M: 4, D: 1, DV: 1, Q: []int32{1}, K: []int32{7, -8, 3, 5}, V: []int32{1, 0, 0, 0},
		ValidQ: 1, ValidK: 4, ScaleQ: 1, ScaleK: 1, ScaleV: 1, BitsQ: 4, BitsK: 4, BitsV: 4, Threshold: math.Inf(-1)}
	cfg, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Pruning.Policy, cfg.Pruning.Epsilon, cfg.Pruning.Margin = "row_relative", 0.1, 1
	f, err := MeasureFidelity(cfg, Heads{h})
	if err != nil {
		t.Fatal(err)
	}
	e := math.Exp
	Z := e(7) + e(-8) + e(3) + e(5)
	dense, pol := e(7)/Z, e(7)/(e(7)+e(5))
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Abs(b) }
	if f.Pairs != 4 || f.Dropped != 2 || f.FalseDrops != 0 || !near(f.MaxDroppedMass, (e(-8)+e(3))/Z) ||
		!near(f.MeanOutputError, math.Abs(pol-dense)/dense) {
		t.Errorf("got %+v; want 4 pairs, 2 dropped, 0 false, mass %g, error %g", f, (e(-8)+e(3))/Z, math.Abs(pol-dense)/dense)
	}
	// SpAtten keeping one key of two whose top two planes tie (4 and 7 at msb_bits 2) keeps the
	// first, not the exact top-1: one false drop, of mass e^7 / (e^4 + e^7).
	cfg.Pruning = Pruning{Policy: "spatten", MSBBits: 2, RequantThreshold: 0.05, KeepFraction: 0.5}
	h2 := &traces.Head{N: 1, M: 2, D: 1, DV: 1, Q: []int32{1}, K: []int32{4, 7}, V: []int32{0, 1},
		ValidQ: 1, ValidK: 2, ScaleQ: 1, ScaleK: 1, ScaleV: 1, BitsQ: 4, BitsK: 4, BitsV: 4, Threshold: math.Inf(-1)}
	if f, err = MeasureFidelity(cfg, Heads{h2}); err != nil {
		t.Fatal(err)
	}
	if f.FalseDrops != 1 || f.Dropped != 1 || !near(f.MaxDroppedMass, e(7)/(e(4)+e(7))) {
		t.Errorf("spatten tie: %+v; want one false drop of mass %g", f, e(7)/(e(4)+e(7)))
	}
	// The kept key 0 has V 0 where the dense output is e^7/(e^4+e^7): error 1.
	if !near(f.MeanOutputError, 1) {
		t.Errorf("spatten tie: output error %g, want 1", f.MeanOutputError)
	}
}
