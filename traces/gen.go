package traces

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// genVersion numbers the generation algorithm; it is recorded in meta.generator and changes
// whenever the same spec would give different data.
const genVersion = 1

// Generate writes a synthetic trace for spec at path, atomically (through a Writer): on error
// nothing appears at path. The output is a deterministic function of the spec: the same spec
// gives the same bytes. The content does not depend on the platform either (the generator uses
// only PCG streams and correctly rounded float64 arithmetic, with no fused multiply-adds);
// the zip bytes also depend on the Go release's compress/flate.
//
// Each query row attends strongly to a few focus keys among those it may see and weakly to the
// rest; q, k and v are quantized symmetrically, scale = max|x| / (2^(bits-1) - 1) per layer or
// per head; the thresholds, in real units, sit where the integer comparator prunes
// spec.PruneRate of the allowed pairs of each layer or head (see README.md).
func Generate(path string, spec GenSpec) error {
	if err := spec.validate(); err != nil {
		return err
	}
	g := newGenerator(spec)
	g.placeScales()
	g.placeThresholds()
	meta, err := g.meta()
	if err != nil {
		return err
	}
	w, err := Create(path, meta)
	if err != nil {
		return err
	}
	defer w.Abort()
	for b := range spec.Inputs {
		for l := range spec.Layers {
			for h := range spec.Heads {
				if err := w.WriteHead(g.head(b, l, h, true)); err != nil {
					return err
				}
			}
		}
	}
	return w.Close()
}

// generator holds the per-input and per-(layer, head) quantities of a synthetic trace; the
// head data itself is regenerated from its own random stream whenever it is needed, so that
// memory stays bounded by one head (plus one threshold group's scores).
type generator struct {
	spec                              GenSpec
	valid                             []int     // [B]
	temp                              []float64 // [L, H]
	scaleQ, scaleK, scaleV, threshold []float64 // [L, H]
}

func newGenerator(spec GenSpec) *generator {
	L, H := spec.Layers, spec.Heads
	g := &generator{
		spec:   spec,
		valid:  make([]int, spec.Inputs),
		temp:   make([]float64, L*H),
		scaleQ: make([]float64, L*H), scaleK: make([]float64, L*H),
		scaleV: make([]float64, L*H), threshold: make([]float64, L*H),
	}
	n := spec.SeqLen
	lo := min(max(int(math.Ceil(spec.MinValid*float64(n))), 1), n)
	r := g.rng(1, 0, 0, 0)
	for b := range g.valid {
		g.valid[b] = lo + r.IntN(n-lo+1)
	}
	for l := range L {
		for h := range H {
			r := g.rng(2, uint64(l), uint64(h), 0)
			g.temp[l*H+h] = 1 + float64(spec.HeadSpread*(2*float64(r.Float64())-1)) // rounded: no fused multiply-add
		}
	}
	return g
}

// splitmix64 is the SplitMix64 finalizer, used to derive independent stream seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// rng returns the random stream named by kind and up to three indices.
func (g *generator) rng(kind, a, b, c uint64) *rand.Rand {
	s := splitmix64(g.spec.Seed)
	for _, v := range []uint64{kind, a, b, c} {
		s = splitmix64(s ^ v)
	}
	return rand.New(rand.NewPCG(s, splitmix64(s^0x6c727073696d)))
}

// normal is an approximately standard normal deviate (Irwin-Hall: the sum of 12 uniforms, less
// 6). It uses no transcendental functions, whose last bits may differ between platforms.
func normal(r *rand.Rand) float64 {
	var s float64
	for range 12 {
		// float64(): Float64 scales by 2^-53 with a multiply, which the add would otherwise fuse
		s += float64(r.Float64())
	}
	return s - 6
}

// realHead returns the real-valued q [n, d], k [n, d] and, if wantV, v [n, dv] of a head.
func (g *generator) realHead(b, l, h int, wantV bool) (q, k, v []float64) {
	sp := g.spec
	n, d := sp.SeqLen, sp.D
	r := g.rng(3, uint64(b), uint64(l), uint64(h))
	k = make([]float64, n*d)
	for i := range k {
		k[i] = normal(r)
	}
	q = make([]float64, n*d)
	vl := g.valid[b]
	gain := sp.FocusGain / math.Sqrt(float64(d))
	temp := g.temp[l*sp.Heads+h]
	focus := make([]int, 0, min(sp.FocusKeys, n))
	taken := make([]bool, n)
	for i := range n {
		row := q[i*d : (i+1)*d]
		for t := range row {
			row[t] = float64(sp.Noise * normal(r))
		}
		if i < vl {
			seen := vl // keys row i may see; valid_q = valid_k, so causal means j <= i
			if sp.Causal {
				seen = i + 1
			}
			focus = pickDistinct(r, focus[:0], taken, min(sp.FocusKeys, seen), seen)
			for _, j := range focus {
				c := float64(gain * (0.5 + float64(r.Float64())))
				key := k[j*d : (j+1)*d]
				for t := range row {
					row[t] += float64(c * key[t]) // explicit rounding: no fused multiply-add
				}
			}
		}
		for t := range row {
			row[t] *= temp
		}
	}
	if wantV {
		v = make([]float64, n*sp.DV)
		for i := range v {
			v[i] = normal(r)
		}
	}
	return q, k, v
}

// pickDistinct appends f distinct integers from [0, n) to dst (Floyd's algorithm). taken
// must have n false entries; it is left that way.
func pickDistinct(r *rand.Rand, dst []int, taken []bool, f, n int) []int {
	start := len(dst)
	for j := n - f; j < n; j++ {
		t := r.IntN(j + 1)
		if taken[t] {
			t = j
		}
		taken[t] = true
		dst = append(dst, t)
	}
	for _, t := range dst[start:] {
		taken[t] = false
	}
	return dst
}

// placeScales sets the quantization scales from max|x| per (layer, head) over all inputs,
// and then per layer if ScaleGranularity is "layer".
func (g *generator) placeScales() {
	sp := g.spec
	H := sp.Heads
	mq, mk, mv := make([]float64, len(g.temp)), make([]float64, len(g.temp)), make([]float64, len(g.temp))
	for b := range sp.Inputs {
		for l := range sp.Layers {
			for h := range H {
				q, k, v := g.realHead(b, l, h, true)
				lh := l*H + h
				mq[lh], mk[lh], mv[lh] = max(mq[lh], maxAbs(q)), max(mk[lh], maxAbs(k)), max(mv[lh], maxAbs(v))
			}
		}
	}
	if sp.ScaleGranularity == GranularityLayer {
		for l := range sp.Layers {
			for _, m := range [][]float64{mq, mk, mv} {
				layerMax := slices.Max(m[l*H : (l+1)*H])
				for h := range H {
					m[l*H+h] = layerMax
				}
			}
		}
	}
	for i := range mq {
		g.scaleQ[i], g.scaleK[i], g.scaleV[i] = symScale(mq[i], sp.BitsQ), symScale(mk[i], sp.BitsK), symScale(mv[i], sp.BitsV)
	}
}

// placeThresholds sets each threshold group's threshold from the scores of its allowed pairs,
// with memory bounded by one head: the scores are never held, only streamed (thresholdOf).
func (g *generator) placeThresholds() {
	sp := g.spec
	H := sp.Heads
	for l := range sp.Layers {
		if sp.Granularity == GranularityLayer {
			th := thresholdOf(func(fn func(float64)) { g.eachScore(l, 0, H, fn) }, sp.PruneRate)
			for h := range H {
				g.threshold[l*H+h] = th
			}
			continue
		}
		for h := range H {
			g.threshold[l*H+h] = thresholdOf(func(fn func(float64)) { g.eachScore(l, h, h+1, fn) }, sp.PruneRate)
		}
	}
}

// eachScore calls fn with the real score s = scale_q*scale_k*(q_int.k_int)/sqrt(d) of every
// allowed pair of heads h0..h1-1 of layer l on every input, regenerating each head.
func (g *generator) eachScore(l, h0, h1 int, fn func(float64)) {
	for h := h0; h < h1; h++ {
		lh := l*g.spec.Heads + h
		c := float64(g.scaleQ[lh]*g.scaleK[lh]) / math.Sqrt(float64(g.spec.D))
		for b := range g.spec.Inputs {
			hd := g.head(b, l, h, false)
			for i := range hd.ValidQ {
				for j := range hd.ValidK {
					if hd.KeyAllowed(i, j) {
						fn(float64(hd.Dot(i, j)) * c)
					}
				}
			}
		}
	}
}

// thresholdOf returns a threshold that prunes (s < th) the fraction rate of the scores that
// each streams, as closely as ties allow. It sits halfway between two distinct neighbouring
// scores, so that the integer comparator's rounding cannot move a score across it. This is the
// threshold that sorting the scores would give, found without holding them: a radix selection
// over the scores' order-preserving 64-bit keys, 16 bits a pass (4 passes), finds the score at
// the target rank and how many scores lie below it and tie with it; one more pass finds its
// neighbour. Memory: a 65536-entry histogram.
func thresholdOf(each func(fn func(float64)), rate float64) float64 {
	n := 0
	top := math.Inf(-1)
	each(func(s float64) {
		n++
		top = max(top, s)
	})
	if rate <= 0 || n == 0 {
		return math.Inf(-1)
	}
	want := int(math.Round(rate * float64(n)))
	switch want {
	case 0:
		return math.Inf(-1)
	case n:
		return top + max(1, math.Abs(top))
	}
	// v is the score of rank want (0-based) in ascending order; below counts the scores < v.
	const digit = 16
	var hist [1 << digit]int
	var prefix uint64
	below, rank, equal := 0, want, 0
	for shift := 64 - digit; shift >= 0; shift -= digit {
		clear(hist[:])
		high := shift + digit // the bits above this digit must match prefix
		each(func(s float64) {
			k := floatKey(s)
			if high == 64 || k>>high == prefix>>high {
				hist[(k>>shift)&(1<<digit-1)]++
			}
		})
		for dg, c := range hist {
			if rank < c {
				prefix |= uint64(dg) << shift
				equal = c
				break
			}
			rank -= c
			below += c
		}
	}
	v := keyFloat(prefix)
	lo, hi := below, below+equal // the cuts around rank want: scores[lo-1] < v = scores[lo..hi-1] < scores[hi]
	if want-lo <= hi-want {
		if lo == 0 {
			return math.Inf(-1)
		}
		pred := math.Inf(-1)
		each(func(s float64) {
			if s < v {
				pred = max(pred, s)
			}
		})
		return pred + float64((v-pred)/2)
	}
	if hi == n {
		return v + max(1, math.Abs(v))
	}
	succ := math.Inf(1)
	each(func(s float64) {
		if s > v {
			succ = min(succ, s)
		}
	})
	return v + float64((succ-v)/2)
}

// floatKey maps a float64 to a uint64 in the same order (negative numbers below positive ones).
func floatKey(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// keyFloat inverts floatKey.
func keyFloat(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// head returns the quantized head (b, l, h); v is generated only if wantV.
func (g *generator) head(b, l, h int, wantV bool) *Head {
	sp := g.spec
	lh := l*sp.Heads + h
	q, k, v := g.realHead(b, l, h, wantV)
	hd := &Head{
		Input: b, Layer: l, Index: h,
		N: sp.SeqLen, M: sp.SeqLen, D: sp.D, DV: sp.DV,
		Q: quantize(q, g.scaleQ[lh], sp.BitsQ), K: quantize(k, g.scaleK[lh], sp.BitsK),
		ValidQ: g.valid[b], ValidK: g.valid[b],
		Threshold: g.threshold[lh],
		ScaleQ:    g.scaleQ[lh], ScaleK: g.scaleK[lh], ScaleV: g.scaleV[lh],
		BitsQ: sp.BitsQ, BitsK: sp.BitsK, BitsV: sp.BitsV,
		Causal: sp.Causal,
	}
	if wantV {
		hd.V = quantize(v, g.scaleV[lh], sp.BitsV)
	}
	return hd
}

// meta is the trace meta, with the spec recorded in Generator.
func (g *generator) meta() (Meta, error) {
	sp := g.spec
	raw, err := json.Marshal(sp)
	if err != nil {
		return Meta{}, fmt.Errorf("traces: recording the spec: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keeps a 64-bit seed exact
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil {
		return Meta{}, fmt.Errorf("traces: recording the spec: %w", err)
	}
	rec["command"] = "lrpsim trace gen"
	rec["generator_version"] = genVersion
	return Meta{
		Format: FormatName, Version: FormatVersion,
		Model: "synthetic", Task: "synthetic",
		Source:    fmt.Sprintf("lrpsim trace gen, seed %d: %d focus keys per row, gain %g, noise %g", sp.Seed, sp.FocusKeys, sp.FocusGain, sp.Noise),
		Synthetic: true,
		Inputs:    sp.Inputs, Layers: sp.Layers, Heads: sp.Heads,
		BitsQ: sp.BitsQ, BitsK: sp.BitsK, BitsV: sp.BitsV,
		Causal:               sp.Causal,
		EmptyRow:             sp.EmptyRow,
		ThresholdGranularity: sp.Granularity,
		Generator:            rec,
	}, nil
}

// maxAbs returns max |x|.
func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

// symScale is the symmetric quantization step for values up to maxAbs: maxAbs / (2^(bits-1)-1),
// or 1 when every value is zero.
func symScale(maxAbs float64, bits int) float64 {
	if maxAbs == 0 {
		return 1
	}
	return maxAbs / float64(int(1)<<(bits-1)-1)
}

// quantize rounds x/scale to the nearest integer (halves away from zero), clamped to
// ±(2^(bits-1)-1).
func quantize(x []float64, scale float64, bits int) []int32 {
	lim := float64(int(1)<<(bits-1) - 1)
	out := make([]int32, len(x))
	for i, v := range x {
		out[i] = int32(min(max(math.Round(v/scale), -lim), lim))
	}
	return out
}
