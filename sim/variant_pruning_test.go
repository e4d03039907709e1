package sim

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/lrpsim/lrpsim/arch"
)

// A pruning rule added through the registry alone: this file is all it takes. It keeps the
// top_keys keys of each row by exact q.k (reading them whole) and drops the others after one
// lane step; the rule is its own parameters.
type topKeys struct {
	K int `yaml:"top_keys"`
}

func init() {
	arch.RegisterPruningRule("top_keys", topKeys{K: 1}, func(p topKeys) error {
		if p.K < 1 {
			return &arch.PolicyParamError{Key: "top_keys", Expected: "an integer of 1 or more", Got: "below 1"}
		}
		return nil
	}, func(p topKeys) arch.PruningPolicy { return p })
}

func (topKeys) Name() string                 { return "top_keys" }
func (topKeys) UsesThreshold() bool          { return false }
func (topKeys) AddedUnits() []arch.AddedUnit { return nil }

func (p topKeys) ForHead(h *arch.PolicyHead) arch.HeadPolicy { return &topKeysHead{k: p.K, h: h} }

type topKeysHead struct {
	k int
	h *arch.PolicyHead
}

func (x *topKeysHead) DecideRow(r int, dec []uint8) {
	dots := make([]int64, len(dec))
	for j := range dots {
		for i := range x.h.D {
			dots[j] += int64(x.h.Q[r*x.h.D+i]) * int64(x.h.K[j*x.h.D+i])
		}
	}
	keep := make([]bool, len(dec))
	x.Oracle(r, dots, keep)
	for j := range dec {
		dec[j] = arch.SurviveStep(1, false)
		if keep[j] {
			dec[j] = arch.SurviveStep(x.h.Steps(), true)
		}
	}
}

// Oracle keeps the k largest dots, the first of equal ones.
func (x *topKeysHead) Oracle(_ int, dots []int64, keep []bool) {
	for range min(x.k, len(dots)) {
		best := -1
		for j, d := range dots {
			if !keep[j] && (best < 0 || d > dots[best]) {
				best = j
			}
		}
		keep[best] = true
	}
}

// TestRegisteredPruningRule: a config file selects the test rule by name with its own key; both
// engines agree on it, top_keys 1 leaves one survivor per query row (every row has a key), and
// top_keys 2 one or two. Its errors name its key.
func TestRegisteredPruningRule(t *testing.T) {
	r := rand.New(rand.NewPCG(24, 2))
	var heads Heads
	rows := int64(0)
	for i := range 6 {
		h := randHead(r, i)
		heads = append(heads, h)
		rows += int64(h.ValidQ)
	}
	for _, tc := range []struct {
		k        int
		min, max int64
	}{{1, rows, rows}, {2, rows + 1, 2 * rows}} {
		cfg, err := ParseConfig("top.yaml", []byte("pruning:\n  policy: top_keys\n  top_keys: "+string(rune('0'+tc.k))+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		st := bothEngines(t, cfg, heads)
		compareStats(t, cfg.Name, st[0], st[1])
		if s := st[0].Survivors; s < tc.min || s > tc.max {
			t.Errorf("top_keys %d: %d survivors of %d rows, want %d..%d", tc.k, s, rows, tc.min, tc.max)
		}
	}
	var ce *ConfigError
	if _, err := ParseConfig("bad.yaml", []byte("pruning:\n  policy: top_keys\n  top_keys: 0\n")); !errors.As(err, &ce) || ce.Key != "pruning.top_keys" || ce.Line != 3 {
		t.Errorf("top_keys 0: got %v, want an error at pruning.top_keys, line 3", err)
	}
}
