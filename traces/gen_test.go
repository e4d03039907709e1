package traces

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// pruneTolerance is the largest allowed distance between the pruning rate the generator
// reaches in a threshold group (a layer, or a head over all inputs) and the target. The
// threshold sits at the exact quantile, so the distance comes only from ties between scores
// and is far smaller in practice; README.md states the same bound.
const pruneTolerance = 0.005

func TestGeneratePruneRate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*GenSpec)
	}{
		{"defaults", func(*GenSpec) {}},
		{"causal, per-head thresholds, padding", func(s *GenSpec) {
			s.Causal, s.Granularity, s.MinValid, s.Inputs, s.PruneRate = true, GranularityHead, 0.4, 3, 0.9
		}},
		{"causal, per-layer thresholds, per-head scales", func(s *GenSpec) {
			s.Causal, s.ScaleGranularity, s.PruneRate, s.SeqLen = true, GranularityHead, 0.6, 96
		}},
		{"narrow bits, many heads, low rate", func(s *GenSpec) {
			s.BitsQ, s.BitsK, s.BitsV, s.Heads, s.Layers, s.PruneRate, s.SeqLen, s.D, s.DV = 6, 6, 4, 8, 1, 0.3, 64, 32, 16
		}},
		{"one focus key, strong gain, high rate", func(s *GenSpec) {
			s.FocusKeys, s.FocusGain, s.PruneRate, s.Seed = 1, 8, 0.97, 42
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := DefaultGenSpec()
			tc.edit(&spec)
			path := tempPath(t, "gen.npz")
			if err := Generate(path, spec); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			s, err := Summarize(r)
			if err != nil {
				t.Fatal(err)
			}
			for _, ls := range s.Layers {
				groups := []Counts{ls.Counts}
				if spec.Granularity == GranularityHead {
					groups = groups[:0]
					for _, hs := range ls.Heads {
						groups = append(groups, hs.Counts)
					}
				}
				for g, c := range groups {
					got := 1 - c.SurvivorRate()
					if math.Abs(got-spec.PruneRate) > pruneTolerance {
						t.Errorf("layer %d group %d: pruned %.4f of %d pairs, target %.4f (tolerance %.3f)",
							ls.Layer, g, got, c.Allowed, spec.PruneRate, pruneTolerance)
					}
				}
			}
			if err := Validate(path); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestGenerateExtremeRates(t *testing.T) {
	for _, rate := range []float64{0, 1} {
		spec := DefaultGenSpec()
		spec.PruneRate, spec.Layers, spec.Heads, spec.SeqLen = rate, 1, 2, 32
		path := tempPath(t, "gen.npz")
		if err := Generate(path, spec); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Summarize(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := 1 - s.Total.SurvivorRate(); got != rate {
			t.Errorf("rate %v: pruned %v", rate, got)
		}
		if rate == 0 && !math.IsInf(s.Layers[0].Heads[0].Threshold, -1) {
			t.Errorf("rate 0: threshold %v, want -inf", s.Layers[0].Heads[0].Threshold)
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	spec := DefaultGenSpec()
	spec.Causal, spec.MinValid, spec.Inputs, spec.SeqLen = true, 0.5, 2, 48
	dir := t.TempDir()
	gen := func(name string, s GenSpec) []byte {
		path := filepath.Join(dir, name)
		if err := Generate(path, s); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := gen("a.npz", spec), gen("b.npz", spec)
	if !bytes.Equal(a, b) {
		t.Error("two generations with the same spec differ")
	}
	spec.Seed++
	if c := gen("c.npz", spec); bytes.Equal(a, c) {
		t.Error("generations with different seeds are identical")
	}
}

// TestGenerateContent checks the meta, the valid lengths and the quantization of a generated
// trace, and that its scores look like attention: a few large scores per row, most low.
// goldenGenHash is the content hash of the trace TestGenerateGolden generates. It pins the
// generation algorithm (not the zip bytes, which depend on the Go release's compress/flate).
// When a change to gen.go alters it on purpose, bump genVersion and update the hash.
const goldenGenHash = "278ae3a1123d9d66e5c9c10c7ab919b31036a6ff048f32517b28b33f2dad1653"

func TestGenerateGolden(t *testing.T) {
	spec := DefaultGenSpec()
	spec.Causal, spec.Inputs, spec.SeqLen, spec.D, spec.DV, spec.MinValid, spec.Seed = true, 2, 24, 16, 8, 0.5, 2022
	path := tempPath(t, "gen.npz")
	if err := Generate(path, spec); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	hash := sha256.New()
	hash.Write(r.rawMeta)
	for idx := range r.NumHeads() {
		h, err := r.Head(idx)
		if err != nil {
			t.Fatal(err)
		}
		binary.Write(hash, binary.LittleEndian, h.Q)
		binary.Write(hash, binary.LittleEndian, h.K)
		binary.Write(hash, binary.LittleEndian, h.V)
		binary.Write(hash, binary.LittleEndian, []int64{int64(h.ValidQ), int64(h.ValidK)})
		binary.Write(hash, binary.LittleEndian, []float64{h.Threshold, h.ScaleQ, h.ScaleK, h.ScaleV})
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != goldenGenHash {
		t.Errorf("generated content hash %s, want %s: the generator's output changed (bump genVersion if on purpose)", got, goldenGenHash)
	}
}

func TestGenerateContent(t *testing.T) {
	spec := DefaultGenSpec()
	spec.Seed, spec.Inputs, spec.MinValid, spec.ScaleGranularity = 1<<63+12345, 4, 0.5, GranularityHead
	path := tempPath(t, "gen.npz")
	if err := Generate(path, spec); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := r.Meta()
	if !m.Synthetic || m.Model != "synthetic" || m.Causal != spec.Causal || m.ThresholdGranularity != spec.Granularity ||
		m.BitsQ != spec.BitsQ || m.Inputs != spec.Inputs || m.EmptyRow != spec.EmptyRow {
		t.Errorf("meta = %+v", m)
	}
	if m.Generator["command"] != "lrpsim trace gen" || m.Generator["prune_rate"] != spec.PruneRate {
		t.Errorf("generator = %v", m.Generator)
	}
	// The seed is recorded exactly, even above 2^53.
	var raw struct {
		Generator struct {
			Seed json.Number `json:"seed"`
		} `json:"generator"`
	}
	if err := json.Unmarshal(r.rawMeta, &raw); err != nil || raw.Generator.Seed.String() != "9223372036854788153" {
		t.Errorf("recorded seed %q (%v), want 9223372036854788153", raw.Generator.Seed, err)
	}

	lo := int(math.Ceil(spec.MinValid * float64(spec.SeqLen)))
	qmax := make([]int32, m.Layers*m.Heads) // max |q| per (layer, head)
	var rows, peaked int
	for idx := range r.NumHeads() {
		h, err := r.Head(idx)
		if err != nil {
			t.Fatal(err)
		}
		if h.ValidQ < lo || h.ValidQ > spec.SeqLen || h.ValidK != h.ValidQ {
			t.Errorf("%s: valid lengths %d, %d outside [%d, %d]", h.Name(), h.ValidQ, h.ValidK, lo, spec.SeqLen)
		}
		lh := h.Layer*m.Heads + h.Index
		for _, x := range h.Q {
			qmax[lh] = max(qmax[lh], x, -x)
		}
		// Real attention: the top score of a row stands well above its median.
		for i := range h.ValidQ {
			scores := make([]float64, 0, h.ValidK)
			for j := range h.ValidK {
				scores = append(scores, float64(h.Dot(i, j))*h.ScaleQ*h.ScaleK/math.Sqrt(float64(h.D)))
			}
			slices.Sort(scores)
			rows++
			if scores[len(scores)-1]-scores[len(scores)/2] > 2 {
				peaked++
			}
		}
	}
	// Symmetric quantization per head: the largest |q| of each head maps to 2^(bits-1) - 1.
	for lh, x := range qmax {
		if x != 1<<(spec.BitsQ-1)-1 {
			t.Errorf("(layer, head) %d: max |q| = %d, want %d", lh, x, 1<<(spec.BitsQ-1)-1)
		}
	}
	if float64(peaked) < 0.95*float64(rows) {
		t.Errorf("only %d of %d rows have a top score more than 2 above their median", peaked, rows)
	}
}

func TestGenerateRejectsBadSpec(t *testing.T) {
	tests := []struct {
		edit  func(*GenSpec)
		field string
	}{
		{func(s *GenSpec) { s.Layers = 0 }, "layers"},
		{func(s *GenSpec) { s.SeqLen = -1 }, "seq_len"},
		{func(s *GenSpec) { s.SeqLen = 1 << 14; s.Inputs = 8 }, "seq_len"},
		{func(s *GenSpec) { s.BitsK = 17 }, "bits_k"},
		{func(s *GenSpec) { s.PruneRate = 1.5 }, "prune_rate"},
		{func(s *GenSpec) { s.PruneRate = math.NaN() }, "prune_rate"},
		{func(s *GenSpec) { s.Granularity = "row" }, "granularity"},
		{func(s *GenSpec) { s.ScaleGranularity = "" }, "scale_granularity"},
		{func(s *GenSpec) { s.FocusKeys = -1 }, "focus_keys"},
		{func(s *GenSpec) { s.FocusGain = math.Inf(1) }, "focus_gain"},
		{func(s *GenSpec) { s.Noise = -1 }, "noise"},
		{func(s *GenSpec) { s.HeadSpread = 1 }, "head_spread"},
		{func(s *GenSpec) { s.MinValid = 0 }, "min_valid"},
		{func(s *GenSpec) { s.EmptyRow = "skip" }, "empty_row"},
		// The whole trace is bounded before anything is allocated (issue 23, item 4.3).
		{func(s *GenSpec) { s.SeqLen, s.D, s.DV = 4096, 1<<16, 1<<16 }, "seq_len, d, dv"},
		{func(s *GenSpec) { s.Layers, s.SeqLen = 1000000, 128 }, sizeFields},
		{func(s *GenSpec) { s.Layers, s.Heads, s.SeqLen, s.D, s.DV = 64, 64, 2048, 1, 1 }, "inputs, layers, heads, seq_len"},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			spec := DefaultGenSpec()
			tc.edit(&spec)
			dir := t.TempDir()
			path := filepath.Join(dir, "old.npz")
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := Generate(path, spec)
			var se *SpecError
			if !errors.As(err, &se) || se.Field != tc.field {
				t.Fatalf("Generate: %v, want a *SpecError for %s", err, tc.field)
			}
			if !strings.HasPrefix(err.Error(), "synthetic trace spec: "+tc.field+": expected ") {
				t.Errorf("message %q", err)
			}
			if b, _ := os.ReadFile(path); string(b) != "old" || !reflect.DeepEqual(dirNames(t, dir), []string{"old.npz"}) {
				t.Errorf("Generate with a bad spec touched the directory")
			}
		})
	}
}

func TestInfoText(t *testing.T) {
	meta := testMeta(2, 2, 2)
	meta.Metric = map[string]any{"name": "accuracy", "dense": 0.98, "pruned": 0.978}
	meta.Extra = map[string]json.RawMessage{"tokenizer": json.RawMessage(`"wordpiece"`)}
	heads := testHeads(meta, variedShape, 21)
	path := tempPath(t, "t.npz")
	writeTestTrace(t, path, meta, heads)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out bytes.Buffer
	if err := InfoText(&out, r); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"model       unit-test", "synthetic   no", "metric      dense: 0.98\n            name: accuracy\n            pruned: 0.978\n",
		"other meta  tokenizer", "bits        q 12, k 12, v 8", "thresholds  per head",
		"layer 0: survivors", "layer 1: survivors", "keep all", "-inf", "valid q",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("InfoText lacks %q:\n%s", want, text)
		}
	}

	// The summary's counts agree with a brute-force count.
	s, err := Summarize(r)
	if err != nil {
		t.Fatal(err)
	}
	var total Counts
	for _, h := range heads {
		thr := h.IntThreshold()
		for i := range h.ValidQ {
			kept := 0
			for j := range h.ValidK {
				if h.KeyAllowed(i, j) {
					total.Allowed++
					if h.Dot(i, j) >= thr {
						kept++
					}
				}
			}
			total.Kept += int64(kept)
			total.Rows++
			if kept == 0 {
				total.EmptyRows++
			}
		}
	}
	if s.Total != total {
		t.Errorf("Summary total %+v, brute force %+v", s.Total, total)
	}
}
