package traces

import (
	"fmt"
	"math"
	"strconv"
)

// Name is the member prefix of the head in a trace archive, e.g. "b0.l11.h3".
func (h *Head) Name() string { return headName(h.Input, h.Layer, h.Index) }

// Dot is the integer score of query row i and key row j: q_int[i] . k_int[j].
func (h *Head) Dot(i, j int) int64 {
	q := h.Q[i*h.D : (i+1)*h.D]
	k := h.K[j*h.D : (j+1)*h.D]
	var s int64
	for t, x := range q {
		s += int64(x) * int64(k[t])
	}
	return s
}

// Validate checks the head against the format: non-empty shapes matching the slice lengths,
// bits in 2..16, every value inside its bits, valid lengths in [1, N] and [1, M], finite
// positive scales and a threshold that is finite or -inf. Its errors are *FormatError values
// with an empty File, whose Field names the member the value is stored in.
func (h *Head) Validate() error {
	if err := h.validate(); err != nil {
		return err
	}
	return nil
}

func (h *Head) validate() *FormatError {
	name := h.Name()
	type matrix struct {
		suffix     string
		rows, cols int
		data       []int32
		shape      string
		bitsName   string
		bits       int
	}
	mats := []matrix{
		{".q", h.N, h.D, h.Q, "[n, d]", "bits_q", h.BitsQ},
		{".k", h.M, h.D, h.K, "[m, d]", "bits_k", h.BitsK},
		{".v", h.M, h.DV, h.V, "[m, dv]", "bits_v", h.BitsV},
	}
	for _, mt := range mats {
		field := memberField(name + mt.suffix)
		if mt.rows < 1 || mt.cols < 1 {
			return &FormatError{Field: field, Expected: "a non-empty array of shape " + mt.shape,
				Got: fmt.Sprintf("[%d %d]", mt.rows, mt.cols)}
		}
		if len(mt.data) != mt.rows*mt.cols {
			return &FormatError{Field: field, Expected: fmt.Sprintf("%d*%d = %d values", mt.rows, mt.cols, mt.rows*mt.cols),
				Got: fmt.Sprintf("%d values", len(mt.data))}
		}
		if mt.bits < 2 || mt.bits > 16 {
			return &FormatError{Field: "meta." + mt.bitsName, Expected: "an integer in 2..16", Got: strconv.Itoa(mt.bits)}
		}
	}
	if h.ValidQ < 1 || h.ValidQ > h.N {
		return &FormatError{Field: elemField("valid_q", h.Input, h.Layer, h.Index),
			Expected: fmt.Sprintf("an integer in 1..%d (the rows of %s.q)", h.N, name), Got: strconv.Itoa(h.ValidQ)}
	}
	if h.ValidK < 1 || h.ValidK > h.M {
		return &FormatError{Field: elemField("valid_k", h.Input, h.Layer, h.Index),
			Expected: fmt.Sprintf("an integer in 1..%d (the rows of %s.k)", h.M, name), Got: strconv.Itoa(h.ValidK)}
	}
	for _, s := range []struct {
		member string
		v      float64
	}{{"scale_q", h.ScaleQ}, {"scale_k", h.ScaleK}, {"scale_v", h.ScaleV}} {
		if err := checkScale(s.member, h.Layer, h.Index, s.v); err != nil {
			return err
		}
	}
	if err := checkThreshold(h.Layer, h.Index, h.Threshold); err != nil {
		return err
	}
	for _, mt := range mats {
		if err := checkBits(memberField(name+mt.suffix), mt.data, mt.cols, mt.bitsName, mt.bits); err != nil {
			return err
		}
	}
	return nil
}

// checkBits reports the first value of a row-major matrix that does not fit bits-bit two's
// complement.
func checkBits(field string, data []int32, cols int, bitsName string, bits int) *FormatError {
	lo, hi := -(int32(1) << (bits - 1)), int32(1)<<(bits-1)-1
	for i, x := range data {
		if x < lo || x > hi {
			return &FormatError{Field: field,
				Expected: fmt.Sprintf("values in [%d, %d] (%s = %d)", lo, hi, bitsName, bits),
				Got:      fmt.Sprintf("%d at [%d, %d]", x, i/cols, i%cols)}
		}
	}
	return nil
}

// checkScale checks one quantization scale: finite and > 0.
func checkScale(member string, l, h int, v float64) *FormatError {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return &FormatError{Field: elemField(member, l, h), Expected: "a finite value > 0", Got: formatFloat(v)}
	}
	return nil
}

// checkThreshold checks one threshold: finite or -inf (prune nothing).
func checkThreshold(l, h int, v float64) *FormatError {
	if math.IsNaN(v) || math.IsInf(v, 1) {
		return &FormatError{Field: elemField("threshold", l, h), Expected: "a finite value or -inf", Got: formatFloat(v)}
	}
	return nil
}

// formatFloat prints a float64 exactly (shortest round-trip form), with NaN and infinities as
// numpy prints them.
func formatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
