package arch

import (
	"fmt"
	"math"
	"slices"
)

// PruningPolicy is a design's runtime attention-pruning rule, as arch/POLICIES.md defines it. A
// policy only decides: for each allowed key of a query row, the lane step after which the lanes
// stop reading the key's K bit-planes, and whether the key survives to the back end. The
// simulator charges what the decisions cost through the units, and through the units the policy
// adds (AddedUnits).
type PruningPolicy interface {
	// Name is the policy's config spelling (pruning.policy).
	Name() string
	// ForHead prepares the policy for one head; the returned HeadPolicy decides its rows.
	ForHead(h *PolicyHead) HeadPolicy
	// AddedUnits are the units the policy adds to each processing unit, beside the lanes.
	AddedUnits() []AddedUnit
	// UsesThreshold reports whether the policy decides with the trace's learned threshold
	// (training-free policies ignore it).
	UsesThreshold() bool
}

// HeadPolicy decides the query rows of one head.
type HeadPolicy interface {
	// DecideRow fills dec[j], for the allowed keys j < len(dec) of query row r, with the step
	// (1..G) after which the lanes stop reading key j, and SurviveBit when it survives.
	DecideRow(r int, dec []uint8)
	// Oracle fills keep[j] with what the rule would keep of row r with the exact dot products
	// dots[j] = q.k_j (len(keep) = len(dots) = the row's allowed keys): a dropped key that the
	// oracle keeps is a false drop.
	Oracle(r int, dots []int64, keep []bool)
}

// PolicyHead is what a policy sees of one head: the integer operands of its valid rows and keys
// and the numbers that give them meaning.
type PolicyHead struct {
	Q, K         []int32 // valid query rows [Rows x D] and valid keys [Keys x D], row-major
	Rows, Keys   int
	D            int
	BitsK        int
	BitsPerCycle int     // K bit-planes per lane step
	T            int64   // the learned integer threshold (FORMAT.md)
	ScaleQ       float64 // real value = scale * integer
	ScaleK       float64
}

// Steps is G, the lane steps of a key read whole.
func (h *PolicyHead) Steps() int { return Steps(h.BitsK, h.BitsPerCycle) }

// ScoreScale is c, the real score per unit of q.k: scale_q * scale_k / sqrt(d).
func (h *PolicyHead) ScoreScale() float64 { return h.ScaleQ * h.ScaleK / math.Sqrt(float64(h.D)) }

func (h *PolicyHead) q(r int) []int32 { return h.Q[r*h.D : (r+1)*h.D] }
func (h *PolicyHead) k(j int) []int32 { return h.K[j*h.D : (j+1)*h.D] }

// AddedUnit is a unit a policy adds to each processing unit: its instances per processing unit,
// the action it performs, how many per allowed (query, key) pair and per lane step, and the
// energy-table component whose price of that action it takes (the units a policy adds are built
// of the table's primitives: an exp unit, a comparator, an adder).
type AddedUnit struct {
	Name        string // component name in reports, e.g. "sanger.predictor_exp"
	PricedAs    string // energy-table component, e.g. "exp_unit"
	Action      string // its action, e.g. "exp"
	PerLane     bool   // one instance per lane
	PerUnit     int    // instances per processing unit, when not PerLane
	PerPair     int64  // actions per allowed pair
	PerLaneStep int64  // actions per lane step
	Source      string // why the unit is there and why this size
}

// SurviveStep is a decision byte: step, and SurviveBit when the key survives.
func SurviveStep(step int, survive bool) uint8 {
	d := uint8(step)
	if survive {
		d |= SurviveBit
	}
	return d
}

// Softmax writes softmax(x) into p, as arch/POLICIES.md fixes the order: m = max, e =
// exp(x - m), S = the sequential sum, p = e / S. It returns S (the largest p is 1 / S).
func Softmax(x, p []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	var s float64
	for j, v := range x {
		p[j] = math.Exp(v - m)
		s += p[j]
	}
	for j := range p {
		p[j] /= s
	}
	return s
}

// rowProbs is the exact softmax of a row's real scores c * dots.
func rowProbs(c float64, dots []int64) []float64 {
	x := make([]float64, len(dots))
	for j, d := range dots {
		x[j] = c * float64(d)
	}
	Softmax(x, x)
	return x
}

// topK marks in keep the k largest of score (ties: the smaller index first).
func topK(score []int64, k int, keep []bool) {
	idx := make([]int, len(score))
	for j := range idx {
		idx[j] = j
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return 0
	})
	for j := range keep {
		keep[j] = false
	}
	for _, j := range idx[:min(k, len(idx))] {
		keep[j] = true
	}
}

// NewPruningPolicy builds a policy from its config spelling (pruning.policy) and parameters,
// checking the parameters the policy uses (the registered rule's, PruningRules).
func NewPruningPolicy(name string, p PolicyParams) (PruningPolicy, error) {
	return NewPruningRule(Variant{Name: name, Params: PruningRules.Params(name, FieldsByKey(p))})
}

// PolicyParams are the built-in pruning rules' parameters as a config gives them, by their keys
// (configs/leopard.yaml holds the defaults); each policy reads its own.
type PolicyParams struct {
	Epsilon          float64 `yaml:"epsilon"`           // row_relative
	Margin           float64 `yaml:"margin"`            // row_relative
	Theta            float64 `yaml:"theta"`             // sanger
	PredBits         int     `yaml:"pred_bits"`         // sanger
	MSBBits          int     `yaml:"msb_bits"`          // spatten
	RequantThreshold float64 `yaml:"requant_threshold"` // spatten
	KeepFraction     float64 `yaml:"keep_fraction"`     // spatten
}

// PolicyParamError is a pruning parameter out of its range: the config key, what was expected
// and what was found.
type PolicyParamError struct{ Key, Expected, Got string }

func (e *PolicyParamError) Error() string {
	return fmt.Sprintf("%s = %s: expected %s", e.Key, e.Got, e.Expected)
}
