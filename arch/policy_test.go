package arch

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// tinyHead is one query row against keys of one element each (d = 1, scales 1, so the real
// score is q.k and the hand-worked bounds below are easy to follow).
func tinyHead(q []int32, keys []int32, d, bitsK, bpc int) *PolicyHead {
	return &PolicyHead{Q: q, K: keys, Rows: len(q) / d, Keys: len(keys) / d, D: d, BitsK: bitsK,
		BitsPerCycle: bpc, ScaleQ: 1, ScaleK: 1}
}

func decide(p PruningPolicy, h *PolicyHead, r int) []uint8 {
	dec := make([]uint8, h.Keys)
	p.ForHead(h).DecideRow(r, dec)
	return dec
}

func S(step int) uint8 { return SurviveStep(step, true) }

func TestPolicyHandWorked(t *testing.T) {
	// q = [1] (Q+ = 1, Q- = 0), 4-bit keys 7, -8, 3, 5, one plane per step (G = 4).
	keys := []int32{7, -8, 3, 5}
	tests := []struct {
		name string
		p    PruningPolicy
		keys []int32
		want []uint8
	}{
		// epsilon 0.1: D = ceil(2.3026) = 3. Step 1 (t=3): P = 0,-8,0,0, M = 0, UB = 7,-1,7,7:
		// none below -3. Step 2 (t=2): P = 4,-8,0,4, M = 4, UB = 7,-5,3,7: key 1 (-5 < 1) drops.
		// Step 3 (t=1): P = 6,2,4, M = 6, UB = 7,3,5: none below 3. Step 4: scores 7,3,5, M = 7:
		// key 2 (3 < 4) drops; keys 0 and 3 survive.
		{"row_relative certified", RowRelative{Epsilon: 0.1, Margin: 1}, keys, []uint8{S(4), 2, 4, S(4)}},
		// margin 0.5: D = ceil(1.1513) = 2. Step 2: key 1 drops (-5 < 2); step 3: key 2 drops
		// (UB 3 < 6 - 2); step 4: key 3 (5) is not below 7 - 2 and survives.
		{"row_relative speculative", RowRelative{Epsilon: 0.1, Margin: 0.5}, keys, []uint8{S(4), 2, 3, S(4)}},
		// msb_bits 2: s1 = 2, MSB scores 4,-8,0,4; the largest probability is 1/(2+e^-12+e^-4)
		// = 0.4955 >= 0.05: no requantization; top-2 of the MSB scores: keys 0 and 3 (tie at 4).
		{"spatten msb", SpAtten{MSBBits: 2, RequantThreshold: 0.05, KeepFraction: 0.5}, keys, []uint8{S(2), 2, 2, S(2)}},
		// requant_threshold 0.6 > 0.4955: the row fetches its low bits (step 4), top-2 of 7,-8,3,5.
		{"spatten requant", SpAtten{MSBBits: 2, RequantThreshold: 0.6, KeepFraction: 0.5}, keys, []uint8{S(4), 4, 4, S(4)}},
		// keys 4 and 7 look alike on their top 2 planes (4, 4): the tie keeps key 0 (a false drop
		// of key 1, the exact top-1).
		{"spatten tie", SpAtten{MSBBits: 2, RequantThreshold: 0.05, KeepFraction: 0.5}, []int32{4, 7}, []uint8{S(2), 2}},
		// LeOPArd with T = 5: key 0 (7) survives at step 4; key 1 (-8) prunes at step 1 (UB = -1);
		// key 2 (3): step 2 UB = 0 + 3 = 3 < 5; key 3 (5) survives.
		{"leopard", LeOPArd{}, keys, []uint8{S(4), 1, 2, S(4)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tinyHead([]int32{1}, tc.keys, 1, 4, 1)
			h.T = 5
			if got := decide(tc.p, h, 0); !slices.Equal(got, tc.want) {
				t.Errorf("decisions %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSangerHandWorked(t *testing.T) {
	// d = 2, pred_bits 2 (L = 1). q = (3,4): norm 5, unit (0.6, 0.8); Q_max 0.8, sq = 1.25,
	// q^ = (round 0.75, round 1) = (1, 1). Keys (1,0), (0,2), (-3,-4): units (1,0), (0,1),
	// (-0.6,-0.8), K_max 1, k^ = (1,0), (0,1), (-1,-1). pred = dot/1.25 * 5 * nk / sqrt 2 =
	// 2.828, 5.657, -28.28; softmax 0.0559, 0.944, ~0: theta 0.002 keeps keys 0 and 1 (step G = 4),
	// key 2 stops after the predictor's 2 planes.
	h := tinyHead([]int32{3, 4}, []int32{1, 0, 0, 2, -3, -4}, 2, 4, 1)
	p := Sanger{Theta: 0.002, PredBits: 2}
	if got, want := decide(p, h, 0), []uint8{S(4), S(4), 2}; !slices.Equal(got, want) {
		t.Errorf("theta 0.002: %v, want %v", got, want)
	}
	p.Theta = 0.06 // 0.0559 is no longer above theta
	if got, want := decide(p, h, 0), []uint8{2, S(4), 2}; !slices.Equal(got, want) {
		t.Errorf("theta 0.06: %v, want %v", got, want)
	}
}

// randomHead is a head of random integers with random scales.
func randomHead(rng *rand.Rand, rows, keys, d, bitsK, bpc int) *PolicyHead {
	lo, hi := -(1 << (bitsK - 1)), 1<<(bitsK-1)
	h := &PolicyHead{Q: make([]int32, rows*d), K: make([]int32, keys*d), Rows: rows, Keys: keys, D: d,
		BitsK: bitsK, BitsPerCycle: bpc, ScaleQ: 0.01 + rng.Float64()/8, ScaleK: 0.01 + rng.Float64()/8}
	for i := range h.Q {
		h.Q[i] = int32(lo + rng.IntN(hi-lo))
	}
	for i := range h.K {
		h.K[i] = int32(lo + rng.IntN(hi-lo))
	}
	h.T = int64(rng.IntN(d*hi*hi/4+1)) - int64(d*hi*hi/16)
	return h
}

// naiveRowRelative is arch/POLICIES.md's row-relative rule word for word: the best lower bound
// over every allowed key, dropped or not.
func naiveRowRelative(h *PolicyHead, p RowRelative, r int) []uint8 {
	q := h.Q[r*h.D : (r+1)*h.D]
	var qp, qm int64
	for _, x := range q {
		qp += int64(max(x, 0))
		qm += int64(min(x, 0))
	}
	D := p.MarginInt(h)
	G := Steps(h.BitsK, h.BitsPerCycle)
	dec := make([]uint8, h.Keys)
	for s := 1; s <= G; s++ {
		t := max(h.BitsK-s*h.BitsPerCycle, 0)
		w := int64(1)<<t - 1
		P := make([]int64, h.Keys)
		best := int64(math.MinInt64)
		for j := range h.Keys {
			for i, x := range q {
				// (k >> t) << t, written as k minus its low t bits
				k := int64(h.K[j*h.D+i])
				P[j] += int64(x) * (k - (k & w))
			}
			best = max(best, P[j]+w*qm)
		}
		for j := range h.Keys {
			if dec[j] == 0 && P[j]+w*qp < best-D {
				dec[j] = uint8(s)
			}
		}
	}
	for j := range dec {
		if dec[j] == 0 {
			dec[j] = uint8(G) | SurviveBit
		}
	}
	return dec
}

func TestRowRelativeMatchesSpec(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for c := range 300 {
		bitsK, bpc := 2+rng.IntN(11), 1+rng.IntN(3)
		h := randomHead(rng, 3, 1+rng.IntN(40), 1+rng.IntN(9), bitsK, bpc)
		p := RowRelative{Epsilon: math.Pow(10, -1-4*rng.Float64()), Margin: 0.2 + 0.8*rng.Float64()}
		if rng.IntN(2) == 0 {
			p.Margin = 1
		}
		hp := p.ForHead(h)
		for r := range h.Rows {
			dec := make([]uint8, h.Keys)
			hp.DecideRow(r, dec)
			if want := naiveRowRelative(h, p, r); !slices.Equal(dec, want) {
				t.Fatalf("case %d row %d (B=%d p=%d %+v): %v, want %v", c, r, bitsK, bpc, p, dec, want)
			}
			// Certified: every dropped key's exact probability is below epsilon.
			if p.Margin == 1 {
				dots := make([]int64, h.Keys)
				for j := range dots {
					dots[j] = Dot(h.Q[r*h.D:(r+1)*h.D], h.K[j*h.D:(j+1)*h.D])
				}
				for j, pr := range rowProbs(h.ScoreScale(), dots) {
					if dec[j]&SurviveBit == 0 && pr >= p.Epsilon {
						t.Fatalf("case %d row %d: certified drop of key %d with probability %g >= %g", c, r, j, pr, p.Epsilon)
					}
				}
			}
		}
	}
}

func TestLeOPArdPolicyIsTheLaneRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100 {
		bitsK, bpc := 2+rng.IntN(15), 1+rng.IntN(4)
		h := randomHead(rng, 4, 1+rng.IntN(30), 1+rng.IntN(20), bitsK, bpc)
		hp := LeOPArd{}.ForHead(h)
		for r := range h.Rows {
			dec := make([]uint8, h.Keys)
			hp.DecideRow(r, dec)
			for j := range h.Keys {
				step, surv := TermStep(h.Q[r*h.D:(r+1)*h.D], h.K[j*h.D:(j+1)*h.D], h.T, bitsK, bpc, true)
				if dec[j] != SurviveStep(step, surv) {
					t.Fatalf("key %d: %#x, lane rule step %d survive %v", j, dec[j], step, surv)
				}
			}
		}
	}
}

// TestPolicyStepsInRange: every policy decides every key at a step in 1..G, on random heads.
func TestPolicyStepsInRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	policies := []PruningPolicy{LeOPArd{}, RowRelative{Epsilon: 1e-3, Margin: 1}, Sanger{Theta: 2e-3, PredBits: 4},
		SpAtten{MSBBits: 6, RequantThreshold: 0.05, KeepFraction: 0.2}}
	for range 50 {
		h := randomHead(rng, 3, 1+rng.IntN(50), 1+rng.IntN(16), 2+rng.IntN(15), 1+rng.IntN(3))
		for _, p := range policies {
			hp := p.ForHead(h)
			for r := range h.Rows {
				dec := make([]uint8, h.Keys)
				hp.DecideRow(r, dec)
				for _, d := range dec {
					if s := int(d &^ SurviveBit); s < 1 || s > h.Steps() {
						t.Fatalf("%s: step %d outside 1..%d", p.Name(), s, h.Steps())
					}
				}
			}
		}
	}
}

func TestSpAttenKeepCount(t *testing.T) {
	p := SpAtten{KeepFraction: 0.2}
	for _, c := range []struct{ limit, want int }{{0, 0}, {1, 1}, {5, 1}, {6, 2}, {10, 2}, {993, 199}} {
		if got := p.KeepCount(c.limit); got != c.want {
			t.Errorf("KeepCount(%d) = %d, want %d", c.limit, got, c.want)
		}
	}
}

func TestNewPruningPolicyErrors(t *testing.T) {
	good := PolicyParams{Epsilon: 1e-3, Margin: 1, Theta: 2e-3, PredBits: 4, MSBBits: 6, RequantThreshold: 0.05, KeepFraction: 0.2}
	set := func(f func(*PolicyParams)) PolicyParams { p := good; f(&p); return p }
	tests := []struct {
		name   string
		params PolicyParams
		want   string
	}{
		{"bogus", good, "pruning.policy = \"bogus\""},
		{"row_relative", set(func(p *PolicyParams) { p.Epsilon = 1 }), "pruning.epsilon = 1"},
		{"row_relative", set(func(p *PolicyParams) { p.Margin = 0 }), "pruning.margin = 0"},
		{"sanger", set(func(p *PolicyParams) { p.Theta = -1 }), "pruning.theta = -1"},
		{"sanger", set(func(p *PolicyParams) { p.PredBits = 1 }), "pruning.pred_bits = 1"},
		{"spatten", set(func(p *PolicyParams) { p.MSBBits = 0 }), "pruning.msb_bits = 0"},
		{"spatten", set(func(p *PolicyParams) { p.KeepFraction = 1.5 }), "pruning.keep_fraction = 1.5"},
		{"spatten", set(func(p *PolicyParams) { p.RequantThreshold = 2 }), "pruning.requant_threshold = 2"},
	}
	for _, tc := range tests {
		if _, err := NewPruningPolicy(tc.name, tc.params); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %+v: error %v, want one starting %s", tc.name, tc.params, err, tc.want)
		}
	}
	for _, name := range []string{"leopard", "row_relative", "sanger", "spatten"} {
		if p, err := NewPruningPolicy(name, good); err != nil || p.Name() != name {
			t.Errorf("%s: %v, %v", name, p, err)
		}
	}
	// A policy checks only its own parameters.
	if _, err := NewPruningPolicy("leopard", PolicyParams{}); err != nil {
		t.Errorf("leopard with zero parameters: %v", err)
	}
}
