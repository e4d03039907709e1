package llama2

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The checkpoint lives in the project's shared folder beside the repository (see
// ../shared/models/PROVENANCE.md); $LRPSIM_STORIES260K overrides the path.
func modelPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("LRPSIM_STORIES260K")
	if p == "" {
		p = filepath.Join("..", "..", "..", "..", "shared", "models", "stories260K.bin")
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("stories260K.bin not found at %s (set LRPSIM_STORIES260K): skipping", p)
	}
	return p
}

func TestStories260KIsTrained(t *testing.T) {
	m, err := Load(modelPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if m.Dim != 64 || m.Layers != 5 || m.Heads != 8 || m.KVHeads != 4 || m.Vocab != 512 {
		t.Fatalf("unexpected config %+v", m.Config)
	}
	// Greedy continuation from BOS: a trained model is confident about its own text.
	toks := []int{1}
	for len(toks) < 64 {
		logits, err := m.Logits(toks)
		if err != nil {
			t.Fatal(err)
		}
		last := logits[len(logits)-1]
		best := 0
		for i, v := range last {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("logit %d at position %d is %v", i, len(toks)-1, v)
			}
			if v > last[best] {
				best = i
			}
		}
		toks = append(toks, best)
	}
	logits, _ := m.Logits(toks)
	var meanTop float64
	for _, row := range logits {
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v - mx))
		}
		meanTop += 1 / z
	}
	meanTop /= float64(len(logits))
	if meanTop < 0.3 {
		t.Fatalf("mean top next-token probability on its own greedy text is %.3f; a trained model is well above 0.3", meanTop)
	}
	t.Logf("mean top next-token probability on 64 greedy tokens: %.3f", meanTop)
}

// Logits of a prefix must not depend on what comes after it (causality of the cache loop).
func TestPrefixConsistency(t *testing.T) {
	m, err := Load(modelPath(t))
	if err != nil {
		t.Fatal(err)
	}
	long, err := m.Logits([]int{1, 403, 407, 261, 378})
	if err != nil {
		t.Fatal(err)
	}
	short, _ := m.Logits([]int{1, 403, 407})
	for p := range short {
		for i := range short[p] {
			if short[p][i] != long[p][i] {
				t.Fatalf("position %d logit %d: %v alone, %v with a longer input", p, i, short[p][i], long[p][i])
			}
		}
	}
}

func TestTruncatedFile(t *testing.T) {
	raw, err := os.ReadFile(modelPath(t))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "cut.bin")
	if err := os.WriteFile(p, raw[:len(raw)-4], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil {
		t.Fatal("a truncated checkpoint loaded without error")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.bin")); err == nil {
		t.Fatal("a missing checkpoint loaded without error")
	}
}

func TestBadToken(t *testing.T) {
	m, err := Load(modelPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Logits([]int{1, 512}); err == nil {
		t.Fatal("token 512 of a 512-token vocabulary was accepted")
	}
}
