package sim

import (
	"fmt"
	"math"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/sim/internal/engine"
	"github.com/lrpsim/lrpsim/traces"
)

// Fidelity is what a pruning rule's drops cost the attention it approximates, checked against
// the trace's exact scores (arch/POLICIES.md, "What is measured"): the dropped pairs, the drops
// the rule's own oracle would not make, the softmax mass the drops remove from each row, and each
// head's output error.
type Fidelity struct {
	Policy     string `json:"policy"`
	Pairs      int64  `json:"pairs"`       // allowed (query, key) pairs
	Dropped    int64  `json:"dropped"`     // pairs that do not survive
	FalseDrops int64  `json:"false_drops"` // dropped pairs the rule's oracle keeps
	Rows       int64  `json:"rows"`        // query rows with at least one allowed key
	Heads      int64  `json:"heads"`
	// MeanDroppedMass and MaxDroppedMass: per row, the dense softmax mass of the dropped keys.
	MeanDroppedMass float64 `json:"mean_dropped_mass"`
	MaxDroppedMass  float64 `json:"max_dropped_mass"`
	// MeanOutputError and MaxOutputError: per head, ||O_policy - O_dense||_F / ||O_dense||_F.
	MeanOutputError float64 `json:"mean_output_error"`
	MaxOutputError  float64 `json:"max_output_error"`
}

// PruningRate is the share of allowed pairs dropped.
func (f *Fidelity) PruningRate() float64 {
	if f.Pairs == 0 {
		return 0
	}
	return float64(f.Dropped) / float64(f.Pairs)
}

// MeasureFidelity decides every pair of src with cfg's pruning rule, exactly as the simulation
// does (the same arch.PruningPolicy with the same threshold and planes per step), and compares
// the decisions with the exact scores.
func MeasureFidelity(cfg *Config, src HeadSource) (*Fidelity, error) {
	pol, err := cfg.PruningPolicy()
	if err != nil {
		return nil, err
	}
	f := &Fidelity{Policy: pol.Name()}
	var massSum, errSum float64
	for i := range src.NumHeads() {
		th, err := src.Head(i)
		if err != nil {
			return nil, err
		}
		hf := headFidelity(pol, th, cfg)
		f.Pairs += hf.pairs
		f.Dropped += hf.dropped
		f.FalseDrops += hf.falseDrops
		f.Rows += hf.rows
		massSum += hf.massSum
		f.MaxDroppedMass = max(f.MaxDroppedMass, hf.massMax)
		f.Heads++
		errSum += hf.outErr
		f.MaxOutputError = max(f.MaxOutputError, hf.outErr)
	}
	if f.Rows > 0 {
		f.MeanDroppedMass = massSum / float64(f.Rows)
	}
	if f.Heads > 0 {
		f.MeanOutputError = errSum / float64(f.Heads)
	}
	if math.IsNaN(f.MeanOutputError) || math.IsNaN(f.MeanDroppedMass) {
		return nil, fmt.Errorf("fidelity of %s: a score overflowed float64", pol.Name())
	}
	return f, nil
}

type headFid struct {
	pairs, dropped, falseDrops, rows int64
	massSum, massMax, outErr         float64
}

// headFidelity measures one head.
func headFidelity(pol arch.PruningPolicy, th *traces.Head, cfg *Config) headFid {
	ph := engine.PolicyHead(th, engine.HeadThreshold(th, cfg.Thresholds.Scale), cfg.FrontEnd.BitsPerCycle)
	hp := pol.ForHead(ph)
	c := ph.ScoreScale()
	var hf headFid
	var diff2, dense2 float64
	dec := make([]uint8, th.ValidK)
	dots := make([]int64, th.ValidK)
	keep := make([]bool, th.ValidK)
	prob := make([]float64, th.ValidK)
	kept := make([]float64, th.ValidK)
	oDense := make([]float64, th.DV)
	oPol := make([]float64, th.DV)
	for r, limit := range engine.RowLimits(th) {
		if limit == 0 {
			continue
		}
		hf.rows++
		hf.pairs += int64(limit)
		q := th.Q[r*th.D : (r+1)*th.D]
		for j := range limit {
			dots[j] = arch.Dot(q, th.K[j*th.D:(j+1)*th.D])
			prob[j] = c * float64(dots[j])
		}
		arch.Softmax(prob[:limit], prob[:limit])
		hp.DecideRow(r, dec[:limit])
		hp.Oracle(r, dots[:limit], keep[:limit])
		var mass float64
		best, survivors := 0, 0
		for j := range limit {
			if dots[j] > dots[best] {
				best = j
			}
			if dec[j]&arch.SurviveBit != 0 {
				survivors++
				kept[j] = c * float64(dots[j])
				continue
			}
			kept[j] = math.Inf(-1)
			hf.dropped++
			mass += prob[j]
			if keep[j] {
				hf.falseDrops++
			}
		}
		hf.massSum += mass
		hf.massMax = max(hf.massMax, mass)
		// The row's output with the kept keys, renormalized; an empty row follows empty_row.
		switch {
		case survivors > 0:
			arch.Softmax(kept[:limit], kept[:limit]) // the dropped keys are -Inf: 0
		case th.KeepMax:
			for j := range limit {
				kept[j] = 0
			}
			kept[best] = 1
		default:
			for j := range limit {
				kept[j] = 0
			}
		}
		clear(oDense)
		clear(oPol)
		for j := range limit {
			v := th.V[j*th.DV : (j+1)*th.DV]
			for i, x := range v {
				val := th.ScaleV * float64(x)
				// float64() rounds each product: no fused multiply-add (README, "Reproducibility")
				oDense[i] += float64(prob[j] * val)
				oPol[i] += float64(kept[j] * val)
			}
		}
		for i := range oDense {
			diff2 += float64((oPol[i] - oDense[i]) * (oPol[i] - oDense[i]))
			dense2 += float64(oDense[i] * oDense[i])
		}
	}
	if dense2 > 0 {
		hf.outErr = math.Sqrt(diff2 / dense2)
	} else if diff2 > 0 {
		hf.outErr = math.Inf(1)
	}
	return hf
}
