package traces

import (
	"fmt"
	"math"
	"strconv"
)

// GenSpec describes a synthetic trace for Generate. Every field is recorded in the trace's
// meta.generator under its JSON name. See README.md for what each knob does.
type GenSpec struct {
	// Seed selects the random streams; the same spec gives the same bytes.
	Seed uint64 `json:"seed"`
	// Inputs, Layers and Heads are the trace dimensions B, L and H.
	Inputs int `json:"inputs"`
	Layers int `json:"layers"`
	Heads  int `json:"heads"`
	// SeqLen is the sequence length n = m (rows of q, k and v, before padding is masked).
	SeqLen int `json:"seq_len"`
	// D is the head size of q and k; DV that of v.
	D  int `json:"d"`
	DV int `json:"dv"`
	// BitsQ, BitsK and BitsV are the integer widths, 2..16.
	BitsQ int `json:"bits_q"`
	BitsK int `json:"bits_k"`
	BitsV int `json:"bits_v"`
	// Causal applies a causal mask (query i sees keys j <= i).
	Causal bool `json:"causal"`
	// PruneRate is the target fraction of allowed (query, key) pairs that the thresholds
	// prune, in [0, 1]. 0 gives thresholds of -inf.
	PruneRate float64 `json:"prune_rate"`
	// Granularity is "layer" (one threshold per layer, placed over all its heads) or "head".
	Granularity string `json:"granularity"`
	// ScaleGranularity is "layer" (one quantization scale per layer for each of q, k and v,
	// as with per-tensor quantization) or "head".
	ScaleGranularity string `json:"scale_granularity"`
	// FocusKeys is the number of keys each query row attends to strongly.
	FocusKeys int `json:"focus_keys"`
	// FocusGain is the typical real score of a focus key (in units of the noise's spread):
	// focus scores are about FocusGain * U(0.5, 1.5).
	FocusGain float64 `json:"focus_gain"`
	// Noise is the standard deviation of the query noise, which gives the other scores a
	// spread of about Noise.
	Noise float64 `json:"noise"`
	// HeadSpread varies the score scale between heads: each (layer, head) multiplies its
	// queries by a factor drawn uniformly from [1-HeadSpread, 1+HeadSpread], in [0, 1).
	HeadSpread float64 `json:"head_spread"`
	// MinValid is the smallest valid length as a fraction of SeqLen, in (0, 1]: each input
	// draws its valid length uniformly from [ceil(MinValid*SeqLen), SeqLen]. 1 means no padding.
	MinValid float64 `json:"min_valid"`
	// EmptyRow is recorded as meta.empty_row: "zero" or "keep_max".
	EmptyRow string `json:"empty_row"`
}

// DefaultGenSpec returns the defaults of `lrpsim trace gen`: seed 1, one input, 2 layers of
// 4 heads, sequence length 128, head size 64, 12-bit q, k and v, no causal mask, 75% pruning
// with per-layer thresholds and scales, 4 focus keys per row with gain 4, noise 1, head
// spread 0.25, no padding, empty rows output zero.
func DefaultGenSpec() GenSpec {
	return GenSpec{
		Seed: 1, Inputs: 1, Layers: 2, Heads: 4, SeqLen: 128, D: 64, DV: 64,
		BitsQ: 12, BitsK: 12, BitsV: 12,
		PruneRate: 0.75, Granularity: GranularityLayer, ScaleGranularity: GranularityLayer,
		FocusKeys: 4, FocusGain: 4, Noise: 1, HeadSpread: 0.25, MinValid: 1,
		EmptyRow: EmptyRowZero,
	}
}

// maxGenPairs bounds the (query, key) pairs of one layer over all inputs. Memory does not grow
// with it (thresholds are placed from streamed scores), but time does, six passes over them.
const maxGenPairs = 1 << 31

// Bounds on the whole synthetic trace, checked before anything is allocated or computed.
const (
	// maxGenHeadElems bounds the q, k and v elements of one head, seq_len*(2*d+dv): the
	// generator holds one head's real values (8 bytes each) and integers at a time.
	maxGenHeadElems = 1 << 25
	// maxGenBytes bounds the q, k and v integers of the whole trace, as stored (1, 2 or 4 bytes
	// each by bits_q, bits_k and bits_v) before compression.
	maxGenBytes = 1 << 30
	// maxGenTotalPairs bounds the (query, key) pairs over all inputs, layers and heads: the
	// scores are computed several times each to place the thresholds.
	maxGenTotalPairs = 1 << 33
)

// sizeFields names the flags that set a synthetic trace's size, for the size errors.
const sizeFields = "inputs, layers, heads, seq_len, d, dv, bits_q, bits_k, bits_v"

// Validate checks the spec; its errors are *SpecError values.
func (s GenSpec) Validate() error {
	if err := s.validate(); err != nil {
		return err
	}
	return nil
}

func (s GenSpec) validate() *SpecError {
	intRange := func(field string, v, lo, hi int) *SpecError {
		if v < lo || v > hi {
			return &SpecError{Field: field, Expected: fmt.Sprintf("an integer in %d..%d", lo, hi), Got: strconv.Itoa(v)}
		}
		return nil
	}
	for _, c := range []struct {
		field     string
		v, lo, hi int
	}{
		{"inputs", s.Inputs, 1, maxDim}, {"layers", s.Layers, 1, maxDim}, {"heads", s.Heads, 1, maxDim},
		{"seq_len", s.SeqLen, 1, 1 << 16}, {"d", s.D, 1, 1 << 16}, {"dv", s.DV, 1, 1 << 16},
		{"bits_q", s.BitsQ, 2, 16}, {"bits_k", s.BitsK, 2, 16}, {"bits_v", s.BitsV, 2, 16},
		{"focus_keys", s.FocusKeys, 0, 1 << 16},
	} {
		if err := intRange(c.field, c.v, c.lo, c.hi); err != nil {
			return err
		}
	}
	if n := int64(s.Inputs) * int64(s.Layers) * int64(s.Heads); n > maxHeads {
		return &SpecError{Field: "inputs", Expected: fmt.Sprintf("inputs*layers*heads at most %d", maxHeads), Got: strconv.FormatInt(n, 10)}
	}
	if p := int64(s.Inputs) * int64(s.Heads) * int64(s.SeqLen) * int64(s.SeqLen); p > maxGenPairs {
		return &SpecError{Field: "seq_len", Expected: fmt.Sprintf("inputs*heads*seq_len^2 at most %d (the scores of a layer are computed 6 times to place thresholds)", maxGenPairs),
			Got: fmt.Sprintf("%d*%d*%d^2 = %d", s.Inputs, s.Heads, s.SeqLen, p)}
	}
	if err := s.validateSize(); err != nil {
		return err
	}
	if s.FocusKeys > s.SeqLen {
		return &SpecError{Field: "focus_keys", Expected: fmt.Sprintf("at most seq_len (%d): a row has only seq_len keys", s.SeqLen),
			Got: strconv.Itoa(s.FocusKeys)}
	}
	floatRange := func(field string, v float64, ok bool, want string) *SpecError {
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			return &SpecError{Field: field, Expected: want, Got: formatFloat(v)}
		}
		return nil
	}
	for _, c := range []struct {
		field string
		v     float64
		ok    bool
		want  string
	}{
		{"prune_rate", s.PruneRate, s.PruneRate >= 0 && s.PruneRate <= 1, "a number in [0, 1]"},
		{"focus_gain", s.FocusGain, s.FocusGain >= 0, "a finite number >= 0"},
		{"noise", s.Noise, s.Noise >= 0, "a finite number >= 0"},
		{"head_spread", s.HeadSpread, s.HeadSpread >= 0 && s.HeadSpread < 1, "a number in [0, 1)"},
		{"min_valid", s.MinValid, s.MinValid > 0 && s.MinValid <= 1, "a number in (0, 1]"},
	} {
		if err := floatRange(c.field, c.v, c.ok, c.want); err != nil {
			return err
		}
	}
	for _, c := range []struct{ field, v, a, b string }{
		{"granularity", s.Granularity, GranularityLayer, GranularityHead},
		{"scale_granularity", s.ScaleGranularity, GranularityLayer, GranularityHead},
		{"empty_row", s.EmptyRow, EmptyRowZero, EmptyRowKeepMax},
	} {
		if c.v != c.a && c.v != c.b {
			return &SpecError{Field: c.field, Expected: fmt.Sprintf("%q or %q", c.a, c.b), Got: strconv.Quote(c.v)}
		}
	}
	return nil
}

// validateSize bounds the whole trace (one head's elements, every head's q, k and v bytes, and
// every head's pairs), so that a large spec fails at once rather than running out of memory or
// running for hours. The dimensions are already in range, so no product overflows.
func (s GenSpec) validateSize() *SpecError {
	n, d, dv := int64(s.SeqLen), int64(s.D), int64(s.DV)
	if e := n * (2*d + dv); e > maxGenHeadElems {
		return &SpecError{Field: "seq_len, d, dv",
			Expected: fmt.Sprintf("at most %d q, k and v elements in one head, seq_len*(2*d+dv)", maxGenHeadElems),
			Got:      fmt.Sprintf("%d*(2*%d+%d) = %d", n, d, dv, e)}
	}
	_, bq := intDescr(s.BitsQ)
	_, bk := intDescr(s.BitsK)
	_, bv := intDescr(s.BitsV)
	heads := int64(s.Inputs) * int64(s.Layers) * int64(s.Heads)
	if b := heads * n * (d*int64(bq) + d*int64(bk) + dv*int64(bv)); b > maxGenBytes {
		return &SpecError{Field: sizeFields,
			Expected: fmt.Sprintf("a trace whose q, k and v take at most %d bytes before compression, inputs*layers*heads*seq_len*(d*bytes_q + d*bytes_k + dv*bytes_v)", maxGenBytes),
			Got:      fmt.Sprintf("%d*%d*%d*%d*(%d*%d + %d*%d + %d*%d) = %d bytes", s.Inputs, s.Layers, s.Heads, n, d, bq, d, bk, dv, bv, b)}
	}
	if p := heads * n * n; p > maxGenTotalPairs {
		return &SpecError{Field: "inputs, layers, heads, seq_len",
			Expected: fmt.Sprintf("at most %d (query, key) pairs in the whole trace, inputs*layers*heads*seq_len^2 (each score is computed several times to place the thresholds)", int64(maxGenTotalPairs)),
			Got:      fmt.Sprintf("%d*%d*%d*%d^2 = %d", s.Inputs, s.Layers, s.Heads, n, p)}
	}
	return nil
}
