package sweep

import (
	"testing"

	"github.com/lrpsim/lrpsim/arch"
)

// sweepRule is a pruning rule registered only in this test, with a key of its own.
type sweepRule struct {
	arch.LeOPArd
	K int `yaml:"sweep_test_k"`
}

func init() {
	arch.RegisterPruningRule("sweep_test", sweepRule{K: 1}, nil, func(p sweepRule) arch.PruningPolicy { return p.LeOPArd })
}

// TestSweepAxisOnVariantKey: a registered variant's own key is a sweep axis like any config key;
// an unknown one is still refused.
func TestSweepAxisOnVariantKey(t *testing.T) {
	if expected, got := checkKey("pruning.sweep_test_k"); expected != "" {
		t.Errorf("pruning.sweep_test_k: expected %s, got %s", expected, got)
	}
	if expected, _ := checkKey("pruning.sweep_test_j"); expected == "" {
		t.Error("pruning.sweep_test_j accepted")
	}
}
