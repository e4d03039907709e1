package arch

import "math"

// The built-in rules, in the order messages list them; each rule is its own parameters.
func init() {
	RegisterPruningRule("leopard", LeOPArd{}, nil, func(p LeOPArd) PruningPolicy { return p })
	RegisterPruningRule("row_relative", RowRelative{Epsilon: 1e-3, Margin: 1}, RowRelative.check,
		func(p RowRelative) PruningPolicy { return p })
	RegisterPruningRule("sanger", Sanger{Theta: 2e-3, PredBits: 4}, Sanger.check, func(p Sanger) PruningPolicy { return p })
	RegisterPruningRule("spatten", SpAtten{MSBBits: 6, RequantThreshold: 0.05, KeepFraction: 0.2}, SpAtten.check,
		func(p SpAtten) PruningPolicy { return p })
}

// check checks the rule's parameters.
func (p RowRelative) check() error {
	if !(p.Epsilon > 0 && p.Epsilon < 1) {
		return paramErr("epsilon", "a softmax-mass tolerance in (0, 1)", p.Epsilon)
	}
	if !(p.Margin > 0 && p.Margin <= 1) {
		return paramErr("margin", "a share of the certified margin in (0, 1] (1 is certified)", p.Margin)
	}
	return nil
}

// check checks the rule's parameters.
func (p Sanger) check() error {
	if !(p.Theta > 0 && p.Theta < 1) {
		return paramErr("theta", "a probability threshold in (0, 1)", p.Theta)
	}
	if p.PredBits < 2 || p.PredBits > 16 {
		return paramErr("pred_bits", "an integer in [2, 16]", p.PredBits)
	}
	return nil
}

// check checks the rule's parameters.
func (p SpAtten) check() error {
	if p.MSBBits < 1 || p.MSBBits > 16 {
		return paramErr("msb_bits", "an integer in [1, 16]", p.MSBBits)
	}
	if !(p.RequantThreshold >= 0 && p.RequantThreshold <= 1) {
		return paramErr("requant_threshold", "a probability in [0, 1]", p.RequantThreshold)
	}
	if !(p.KeepFraction > 0 && p.KeepFraction <= 1) {
		return paramErr("keep_fraction", "a share of the keys in (0, 1]", p.KeepFraction)
	}
	return nil
}

// The four rules of arch/POLICIES.md. Each is a value type holding its parameters; ForHead
// does the per-head work once (a plane kernel, Sanger's quantized operands) and DecideRow the
// per-row work.

// LeOPArd is the learned-threshold rule with the exact early-termination bound (Li et al., ISCA
// 2022): the lanes' own rule, computed by the plane kernel.
type LeOPArd struct{}

// Name implements PruningPolicy.
func (LeOPArd) Name() string { return "leopard" }

// UsesThreshold implements PruningPolicy: LeOPArd prunes with the learned threshold.
func (LeOPArd) UsesThreshold() bool { return true }

// AddedUnits implements PruningPolicy: the lanes' comparators are all LeOPArd needs.
func (LeOPArd) AddedUnits() []AddedUnit { return nil }

// ForHead implements PruningPolicy.
func (LeOPArd) ForHead(h *PolicyHead) HeadPolicy {
	return &leopardHead{h: h, pk: NewPlaneKernel(h.K[:h.Keys*h.D], h.Keys, h.D, h.BitsK, h.BitsPerCycle)}
}

type leopardHead struct {
	h  *PolicyHead
	pk *PlaneKernel
}

func (l *leopardHead) DecideRow(r int, dec []uint8) {
	l.pk.SetQuery(l.h.q(r))
	l.pk.TermRow(l.h.T, true, dec)
}

func (l *leopardHead) Oracle(_ int, dots []int64, keep []bool) {
	for j, d := range dots {
		keep[j] = d >= l.h.T
	}
}

// RowRelative drops a key once its upper bound falls below the row's best lower bound minus a
// margin derived from a softmax-mass tolerance (BitStopper, arXiv 2512.06457; PADE, arXiv
// 2512.14322). Margin 1 is certified: a dropped key's probability is below Epsilon.
type RowRelative struct {
	Epsilon float64 `yaml:"epsilon"` // softmax-mass tolerance
	Margin  float64 `yaml:"margin"`  // share of the certified margin used (0, 1]
}

// Name implements PruningPolicy.
func (RowRelative) Name() string { return "row_relative" }

// UsesThreshold implements PruningPolicy: no learned threshold.
func (RowRelative) UsesThreshold() bool { return false }

// AddedUnits implements PruningPolicy.
func (RowRelative) AddedUnits() []AddedUnit {
	return []AddedUnit{
		{Name: "row_relative.lb_adder", PricedAs: "lane", Action: "accumulate", PerLane: true, PerLaneStep: 1,
			Source: "the lower bound P + (2^t - 1) Q- beside the lane's upper bound: one more partial-sum-wide add per step"},
		{Name: "row_relative.max_compare", PricedAs: "comparator", Action: "compare", PerLane: true, PerLaneStep: 1,
			Source: "the row's running best lower bound: one comparison per lane step into the unit's max register"},
	}
}

// MarginInt is D, the integer margin of a head (arch/POLICIES.md), clamped to 2^62.
func (p RowRelative) MarginInt(h *PolicyHead) int64 {
	x := -math.Log(p.Epsilon) * p.Margin
	x = x * math.Sqrt(float64(h.D))
	x = x / (h.ScaleQ * h.ScaleK)
	if x >= 1<<62 {
		return 1 << 62
	}
	return int64(math.Ceil(x))
}

// ForHead implements PruningPolicy.
func (p RowRelative) ForHead(h *PolicyHead) HeadPolicy {
	return &rowRelativeHead{p: p, h: h, margin: p.MarginInt(h)}
}

type rowRelativeHead struct {
	p      RowRelative
	h      *PolicyHead
	margin int64
	alive  []int
	part   []int64
}

// DecideRow steps the row's keys plane-synchronously. The best lower bound is taken over the
// keys still alive entering the step, which equals the maximum over all keys: a dropped key's
// bound stays below the alive key that dropped it (arch/POLICIES.md).
func (x *rowRelativeHead) DecideRow(r int, dec []uint8) {
	h := x.h
	q := h.q(r)
	qp, qm := QPlus(q), qMinus(q)
	G := h.Steps()
	x.alive = x.alive[:0]
	for j := range dec {
		x.alive = append(x.alive, j)
	}
	if cap(x.part) < len(dec) {
		x.part = make([]int64, len(dec))
	}
	part := x.part[:len(dec)]
	for s := 1; s <= G; s++ {
		t := max(h.BitsK-s*h.BitsPerCycle, 0)
		w := int64(1)<<t - 1
		best := int64(math.MinInt64)
		for _, j := range x.alive {
			part[j] = dotShifted(q, h.k(j), t)
			best = max(best, part[j]+w*qm)
		}
		kept := x.alive[:0]
		for _, j := range x.alive {
			if part[j]+w*qp < best-x.margin {
				dec[j] = SurviveStep(s, false)
				continue
			}
			kept = append(kept, j)
		}
		x.alive = kept
	}
	for _, j := range x.alive {
		dec[j] = SurviveStep(G, true)
	}
}

func (x *rowRelativeHead) Oracle(_ int, dots []int64, keep []bool) {
	for j, p := range rowProbs(x.h.ScoreScale(), dots) {
		keep[j] = p >= x.p.Epsilon
	}
}

// Sanger predicts the scores from normalized, pred_bits-bit Q and K and keeps the pairs whose
// predicted probability exceeds Theta (Lu et al., MICRO 2021; hatsu3/Sanger's quant_qk_matmul).
// On the substrate the prediction is the lanes' pass over the top PredBits planes of every key;
// kept keys continue to full precision.
type Sanger struct {
	Theta    float64 `yaml:"theta"`
	PredBits int     `yaml:"pred_bits"`
}

// Name implements PruningPolicy.
func (Sanger) Name() string { return "sanger" }

// UsesThreshold implements PruningPolicy: no learned threshold.
func (Sanger) UsesThreshold() bool { return false }

// AddedUnits implements PruningPolicy.
func (Sanger) AddedUnits() []AddedUnit {
	src := "Sanger's predictor softmax: the predicted probability of every pair is thresholded, so every pair takes "
	return []AddedUnit{
		{Name: "sanger.predictor_exp", PricedAs: "exp_unit", Action: "exp", PerLane: true, PerPair: 1,
			Source: src + "an exponential (one exp unit per lane keeps pace with the lanes)"},
		{Name: "sanger.predictor_sum", PricedAs: "mac_array", Action: "mac", PerLane: true, PerPair: 1,
			Source: src + "an add into the row's sum (priced as a MAC)"},
		{Name: "sanger.predictor_compare", PricedAs: "comparator", Action: "compare", PerLane: true, PerPair: 1,
			Source: src + "a comparison with theta times the sum"},
	}
}

// ForHead implements PruningPolicy: it normalizes and quantizes the head's Q and K once.
func (p Sanger) ForHead(h *PolicyHead) HeadPolicy {
	x := &sangerHead{p: p, h: h}
	x.nq, x.qhat, x.sq = sangerQuantize(h.Q, h.Rows, h.D, h.ScaleQ, p.PredBits)
	x.nk, x.khat, x.sk = sangerQuantize(h.K, h.Keys, h.D, h.ScaleK, p.PredBits)
	return x
}

// sangerQuantize normalizes each of the n rows of v (dequantized with scale) to unit L2 norm and
// quantizes them symmetrically to bits bits with the largest magnitude over all rows: the norms,
// the integers and the quantization scale.
func sangerQuantize(v []int32, n, d int, scale float64, bits int) (norm []float64, hat []int32, s float64) {
	norm = make([]float64, n)
	unit := make([]float64, n*d)
	var big float64
	for r := range n {
		var ss float64
		for i := range d {
			x := scale * float64(v[r*d+i])
			unit[r*d+i] = x
			ss += float64(x * x) // rounded: no fused multiply-add (README, "Reproducibility")
		}
		norm[r] = math.Sqrt(ss)
		for i := range d {
			if norm[r] != 0 {
				unit[r*d+i] /= norm[r]
			}
			big = max(big, math.Abs(unit[r*d+i]))
		}
	}
	L := float64(int(1)<<(bits-1) - 1)
	s = 1.0
	if big != 0 {
		s = L / big
	}
	hat = make([]int32, n*d)
	for i, x := range unit {
		hat[i] = int32(max(-L, min(L, math.RoundToEven(x*s))))
	}
	return norm, hat, s
}

type sangerHead struct {
	p          Sanger
	h          *PolicyHead
	nq, nk     []float64
	qhat, khat []int32
	sq, sk     float64
	x          []float64
}

func (x *sangerHead) DecideRow(r int, dec []uint8) {
	h, d := x.h, x.h.D
	if cap(x.x) < len(dec) {
		x.x = make([]float64, len(dec))
	}
	pred := x.x[:len(dec)]
	sqrtD := math.Sqrt(float64(d))
	q := x.qhat[r*d : (r+1)*d]
	for j := range pred {
		pred[j] = float64(Dot(q, x.khat[j*d:(j+1)*d])) / (x.sq * x.sk) * x.nq[r] * x.nk[j] / sqrtD
	}
	Softmax(pred, pred)
	G := h.Steps()
	sp := min(ceilDivInt(x.p.PredBits, h.BitsPerCycle), G)
	for j, p := range pred {
		if p > x.p.Theta {
			dec[j] = SurviveStep(G, true)
		} else {
			dec[j] = SurviveStep(sp, false)
		}
	}
}

func (x *sangerHead) Oracle(_ int, dots []int64, keep []bool) {
	for j, p := range rowProbs(x.h.ScoreScale(), dots) {
		keep[j] = p > x.p.Theta
	}
}

// SpAtten reads the top MSBBits planes of every key first, fetches the low bits of a row whose
// largest MSB probability is below RequantThreshold, and keeps the KeepFraction of keys with the
// largest scores by top-k (Wang et al., HPCA 2021; mit-han-lab/spatten).
type SpAtten struct {
	MSBBits          int     `yaml:"msb_bits"`
	RequantThreshold float64 `yaml:"requant_threshold"`
	KeepFraction     float64 `yaml:"keep_fraction"`
}

// Name implements PruningPolicy.
func (SpAtten) Name() string { return "spatten" }

// UsesThreshold implements PruningPolicy: no learned threshold.
func (SpAtten) UsesThreshold() bool { return false }

// AddedUnits implements PruningPolicy.
func (SpAtten) AddedUnits() []AddedUnit {
	return []AddedUnit{
		{Name: "spatten.msb_exp", PricedAs: "exp_unit", Action: "exp", PerLane: true, PerPair: 1,
			Source: "progressive quantization: the MSB scores' softmax decides whether a row fetches its low bits (one exp per pair)"},
		{Name: "spatten.topk", PricedAs: "comparator", Action: "compare", PerUnit: 16, PerPair: 2,
			Source: "top-k engine: quick-select with 16 comparators (spatten's default topk_parallelism); about 2 comparisons per key, the expected cost of quick-select"},
	}
}

// ForHead implements PruningPolicy.
func (p SpAtten) ForHead(h *PolicyHead) HeadPolicy { return &spattenHead{p: p, h: h} }

// KeepCount is k_row, the keys a row of limit allowed keys keeps.
func (p SpAtten) KeepCount(limit int) int {
	if limit == 0 {
		return 0
	}
	return min(limit, max(1, int(math.Ceil(float64(p.KeepFraction*float64(limit))-1e-9))))
}

type spattenHead struct {
	p    SpAtten
	h    *PolicyHead
	e    []int64
	x    []float64
	keep []bool
}

func (x *spattenHead) DecideRow(r int, dec []uint8) {
	h, n := x.h, len(dec)
	if n == 0 {
		return
	}
	q := h.q(r)
	G := h.Steps()
	s1 := min(ceilDivInt(x.p.MSBBits, h.BitsPerCycle), G)
	t1 := max(h.BitsK-s1*h.BitsPerCycle, 0)
	if cap(x.e) < n {
		x.e, x.x, x.keep = make([]int64, n), make([]float64, n), make([]bool, n)
	}
	e, xs, keep := x.e[:n], x.x[:n], x.keep[:n]
	c := h.ScoreScale()
	for j := range e {
		e[j] = dotShifted(q, h.k(j), t1)
		xs[j] = c * float64(e[j])
	}
	step := s1
	if 1/Softmax(xs, xs) < x.p.RequantThreshold {
		step = G
		for j := range e {
			e[j] = Dot(q, h.k(j))
		}
	}
	topK(e, x.p.KeepCount(n), keep)
	for j := range dec {
		dec[j] = SurviveStep(step, keep[j])
	}
}

func (x *spattenHead) Oracle(_ int, dots []int64, keep []bool) {
	topK(dots, x.p.KeepCount(len(dots)), keep)
}

// dotShifted is P(s) of arch/POLICIES.md: q . ((k >> t) << t), the planes above t only.
func dotShifted(q, k []int32, t int) int64 {
	var s int64
	for i, x := range q {
		s += int64(x) * int64(k[i]>>t<<t)
	}
	return s
}

// qMinus is Q-, the sum of the negative elements of q.
func qMinus(q []int32) int64 {
	var s int64
	for _, x := range q {
		s += int64(min(x, 0))
	}
	return s
}

func ceilDivInt(a, b int) int { return (a + b - 1) / b }
