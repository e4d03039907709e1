// Package traces reads, writes, validates and generates lrpsim attention traces (format v1, see
// FORMAT.md): integer Q, K and V per input, layer and head, with learned thresholds in real units
// and the quantization scales that map them onto the integer comparator.
package traces

import (
	"encoding/json"
	"math"
)

// FormatName and FormatVersion identify trace files this package reads and writes.
const (
	FormatName    = "lrpsim-trace"
	FormatVersion = 1
)

// Threshold clamps: T values that keep every pair or prune every pair.
const (
	KeepAll  int64 = -(1 << 62)
	PruneAll int64 = 1 << 62
)

// Meta is the JSON object stored in the archive's "meta" member.
type Meta struct {
	Format               string         `json:"format"`
	Version              int            `json:"version"`
	Model                string         `json:"model"`
	Task                 string         `json:"task"`
	Source               string         `json:"source"`
	Synthetic            bool           `json:"synthetic"`
	Inputs               int            `json:"inputs"`
	Layers               int            `json:"layers"`
	Heads                int            `json:"heads"`
	BitsQ                int            `json:"bits_q"`
	BitsK                int            `json:"bits_k"`
	BitsV                int            `json:"bits_v"`
	Causal               bool           `json:"causal"`
	EmptyRow             string         `json:"empty_row"`
	ThresholdGranularity string         `json:"threshold_granularity"`
	Metric               map[string]any `json:"metric,omitempty"`
	Generator            map[string]any `json:"generator,omitempty"`

	// Extra holds the meta fields this version does not define, verbatim, so that reading and
	// writing a trace keeps them (FORMAT.md: unknown fields are kept and ignored).
	Extra map[string]json.RawMessage `json:"-"`
}

// DenseModel reports whether the trace is a dense model's, exported without learned thresholds
// (meta.thresholds is "none", FORMAT.md): the partner trace that training-free pruning rules
// replay (lrpsim compare), not a workload of its own.
func (m Meta) DenseModel() bool {
	var s string
	return json.Unmarshal(m.Extra["thresholds"], &s) == nil && s == "none"
}

// Head is the work of one attention head on one input: integer Q [N x D], K [M x D] and
// V [M x DV], row-major, with its threshold and scales.
type Head struct {
	Input, Layer, Index int // b, l, h
	N, M, D, DV         int
	Q, K, V             []int32
	ValidQ, ValidK      int
	Threshold           float64 // real units, on s = q.k / sqrt(d)
	ScaleQ, ScaleK      float64
	ScaleV              float64
	BitsQ, BitsK, BitsV int
	Causal              bool
	// KeepMax: a query row that keeps no key keeps its largest score (meta.empty_row is
	// keep_max); otherwise such a row's output is zero.
	KeepMax bool
}

// IntThreshold maps a real threshold onto the integer comparator: keep iff q_int.k_int >= T.
// The evaluation order is fixed by FORMAT.md so that exporters reproduce it bit for bit.
func IntThreshold(th float64, d int, scaleQ, scaleK float64, bitsQ, bitsK int) int64 {
	if math.IsInf(th, -1) {
		return KeepAll
	}
	x := th * math.Sqrt(float64(d))
	x = x / (scaleQ * scaleK)
	maxDot := float64(d) * math.Ldexp(1, bitsQ-1) * math.Ldexp(1, bitsK-1)
	switch {
	case x <= -maxDot:
		return KeepAll
	case x > maxDot:
		return PruneAll
	}
	return int64(math.Ceil(x))
}

// IntThreshold is the head's integer threshold T (keep iff q.k >= T).
func (h *Head) IntThreshold() int64 {
	return IntThreshold(h.Threshold, h.D, h.ScaleQ, h.ScaleK, h.BitsQ, h.BitsK)
}

// ScaledIntThreshold is the integer threshold T the comparator uses when the head's real
// threshold is scaled by scale (a config's thresholds.scale): IntThreshold of Threshold*scale.
// A head without a threshold (-inf: a dense head) keeps every key whatever the scale, which
// -inf*scale would not say for a scale of 0 (NaN) or below.
func (h *Head) ScaledIntThreshold(scale float64) int64 {
	if math.IsInf(h.Threshold, -1) {
		return KeepAll
	}
	return IntThreshold(h.Threshold*scale, h.D, h.ScaleQ, h.ScaleK, h.BitsQ, h.BitsK)
}

// KeyAllowed reports whether query row i may see key j under the valid lengths and causal mask.
func (h *Head) KeyAllowed(i, j int) bool {
	if i >= h.ValidQ || j >= h.ValidK {
		return false
	}
	return !h.Causal || j <= i+(h.ValidK-h.ValidQ)
}
