package engine

import (
	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/traces"
)

// blockTable is the pair table of head h's query rows [q0, q1): shared with the configurations
// simulated beside this one when they decide alike (Params.sharesTables), computed here
// otherwise.
func (w *workload) blockTable(h *head, q0, q1 int) *pairTable {
	p, th := w.p, h.src
	bpc := p.planesPerStep(th.BitsK)
	switch {
	case w.lanesDecide():
		return dotTable(h, q0, q1)
	case w.shared != nil && p.sharesTables(w.shared.policy, w.sharedBPC):
		sbpc := w.sharedBPC
		return w.shared.table(h.srcIdx, q0, int64(q1-q0)*int64(th.ValidK), func() *pairTable {
			t := policyTable(w.shared.policy, th, h.T, h.limit, q0, q1, sbpc)
			t.shared = true
			return t
		})
	default:
		return policyTable(p.policy(), th, h.T, h.limit, q0, q1, bpc)
	}
}

// lanesDecide reports whether the lanes make the decisions themselves, bit-serially from their
// operands (the reference engine with LeOPArd's rule, the lanes' own); otherwise every task
// carries its decisions, computed ahead by the policy.
func (w *workload) lanesDecide() bool {
	return w.method == bitSerial && w.p.policy() == arch.PruningPolicy(arch.LeOPArd{})
}

// readPlanes is the K bit-planes a task's lanes read of keys whose early-termination steps are
// dec: all of them when the lanes do not stop early (no early termination, or a keep-max
// row's second pass), else the deepest step's.
func readPlanes(p *Params, th *traces.Head, dec []uint8, maxPass bool, bpc int) int {
	if !p.FrontEnd.EarlyTermination || maxPass {
		return th.BitsK
	}
	deepest := 0
	for _, d := range dec {
		deepest = max(deepest, int(d&^arch.SurviveBit))
	}
	return min(deepest*bpc, th.BitsK)
}

// maxKey is the key of row r's largest score among its first limit keys (the first on a tie).
func maxKey(th *traces.Head, r, limit int) int {
	q := th.Q[r*th.D : (r+1)*th.D]
	best, at := int64(0), -1
	for j := range limit {
		if s := arch.Dot(q, th.K[j*th.D:(j+1)*th.D]); at < 0 || s > best {
			best, at = s, j
		}
	}
	return at
}

// HeadThreshold is the integer threshold of a head with its real threshold scaled
// (traces.Head.ScaledIntThreshold, which bench/ uses too).
func HeadThreshold(th *traces.Head, scale float64) int64 {
	return th.ScaledIntThreshold(scale)
}

// RowLimits gives, per valid query row, the end of its allowed keys [0, limit).
func RowLimits(th *traces.Head) []int {
	limit := make([]int, th.ValidQ)
	for r := range limit {
		lim := th.ValidK
		if th.Causal {
			lim = min(lim, r+th.ValidK-th.ValidQ+1)
		}
		limit[r] = max(lim, 0)
	}
	return limit
}

// policyTable decides query rows [q0, q1) of a head with pruning rule pol (LeOPArd's runs the
// bit-plane kernel with early termination on, at integer threshold T): each allowed pair's
// decision, the step histogram and the survivors of each row.
func policyTable(pol arch.PruningPolicy, th *traces.Head, T int64, limit []int, q0, q1, bitsPerCycle int) *pairTable {
	keys := th.ValidK
	t := &pairTable{dec: make([]uint8, (q1-q0)*keys),
		hist: make([]int64, arch.Steps(th.BitsK, bitsPerCycle)), rowKept: make([]int32, q1-q0)}
	t.pruned = make([]int64, len(t.hist))
	hp := pol.ForHead(PolicyHead(th, T, bitsPerCycle))
	for r := q0; r < q1; r++ {
		row := t.dec[(r-q0)*keys : (r-q0)*keys+limit[r]]
		hp.DecideRow(r, row)
		var kept int32
		for _, d := range row {
			t.hist[d&^arch.SurviveBit-1]++
			if d&arch.SurviveBit != 0 {
				kept++
			} else {
				t.pruned[d-1]++
			}
		}
		t.rowKept[r-q0] = kept
	}
	return t
}

// PolicyHead is what a pruning rule sees of a trace head.
func PolicyHead(th *traces.Head, T int64, bitsPerCycle int) *arch.PolicyHead {
	return &arch.PolicyHead{Q: th.Q[:th.ValidQ*th.D], K: th.K[:th.ValidK*th.D], Rows: th.ValidQ, Keys: th.ValidK,
		D: th.D, BitsK: th.BitsK, BitsPerCycle: bitsPerCycle, T: T, ScaleQ: th.ScaleQ, ScaleK: th.ScaleK}
}

// dotTable finds the survivors of query rows [q0, q1) from plain integer dot products,
// independently of any lane (the reference engine's lanes make their own decisions as they
// step, and count them): only rowKept is set.
func dotTable(h *head, q0, q1 int) *pairTable {
	th := h.src
	t := &pairTable{rowKept: make([]int32, q1-q0)}
	for r := q0; r < q1; r++ {
		q := th.Q[r*th.D : (r+1)*th.D]
		for j := 0; j < h.limit[r]; j++ {
			if arch.Dot(q, th.K[j*th.D:(j+1)*th.D]) >= h.T {
				t.rowKept[r-q0]++
			}
		}
	}
	return t
}
