package sim

import (
	eng "github.com/lrpsim/lrpsim/sim/internal/engine"
	"sort"
)

// TraceInfo says what was replayed.
type TraceInfo struct {
	Path      string `json:"path"`
	Model     string `json:"model"`
	Task      string `json:"task"`
	Source    string `json:"source"`
	Synthetic bool   `json:"synthetic"`
	Heads     int    `json:"heads"`
	Inputs    int    `json:"inputs"`
	Layers    int    `json:"layers"`
	HeadsPer  int    `json:"heads_per_layer"`
}

// Result is one `lrpsim run`: the design and its baselines, simulated on the same trace with
// the same engine in one invocation, and the ratios between them.
type Result struct {
	Version   string             `json:"lrpsim_version"`
	Engine    string             `json:"engine"`
	Trace     TraceInfo          `json:"trace"`
	Config    *Config            `json:"-"`
	Design    *Stats             `json:"design"`
	Baselines map[string]*Stats  `json:"baselines"`
	Order     []string           `json:"baseline_order"`
	Speedup   map[string]float64 `json:"speedup"`
	// PruningRate is the fraction of allowed (query, key) pairs below the threshold.
	PruningRate float64 `json:"pruning_rate"`
	// MeanSteps is the mean number of lane steps per key in the design.
	MeanSteps float64 `json:"mean_steps_per_key"`

	// Energy is set by Price.
	Energy          *EnergyResult      `json:"energy,omitempty"`
	EnergyReduction map[string]float64 `json:"energy_reduction,omitempty"`
	EDPReduction    map[string]float64 `json:"edp_reduction,omitempty"`
}

// Run simulates the design configuration and each of its baselines on src with one engine. With
// the event engine the configurations run side by side, one goroutine each, sharing each head's
// bit-plane kernel pass; every simulation is deterministic on its own, so the result does not
// depend on how they interleave. The reference engine runs them one after the other and shares
// nothing, as a reference should.
func Run(cfg *Config, src HeadSource, engine string, opts Options) (*Result, error) {
	res := &Result{Engine: engineName(engine), Config: cfg, Baselines: map[string]*Stats{}, Speedup: map[string]float64{}}
	cfgs := []*Config{cfg}
	for _, name := range cfg.Baselines {
		bc, err := cfg.Baseline(name)
		if err != nil {
			return nil, err
		}
		cfgs = append(cfgs, bc)
	}
	ps := make([]*eng.Params, len(cfgs))
	for i, c := range cfgs {
		ps[i] = c.engineParams()
	}
	stats, err := eng.RunAll(ps, src, res.Engine, opts)
	if err != nil {
		return nil, err
	}
	design := stats[0]
	res.Design = design
	for i, name := range cfg.Baselines {
		st := stats[i+1]
		res.Baselines[name] = st
		res.Order = append(res.Order, name)
		res.Speedup[name] = ratio(st.Cycles, design.Cycles)
	}
	if design.Pairs > 0 {
		res.PruningRate = 1 - float64(design.Survivors)/float64(design.Pairs)
		var steps int64
		for i, n := range design.StepHistogram {
			steps += int64(i+1) * n
		}
		res.MeanSteps = float64(steps) / float64(design.Pairs)
	}
	return res, nil
}

func engineName(e string) string {
	if e == "" {
		return EngineEvent
	}
	return e
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// LayerPruning is the pruning rate of one layer and of each of its heads.
type LayerPruning struct {
	Layer int       `json:"layer"`
	Rate  float64   `json:"rate"`
	Heads []float64 `json:"heads"`
}

// PruningByLayer aggregates the per-head counts of s over inputs, by layer and head.
func PruningByLayer(s *Stats) []LayerPruning {
	type key struct{ l, h int }
	pairs, surv := map[key]int64{}, map[key]int64{}
	layers := map[int]bool{}
	maxHead := map[int]int{}
	for _, h := range s.Heads {
		k := key{h.Layer, h.Head}
		pairs[k] += h.Pairs
		surv[k] += h.Survivors
		layers[h.Layer] = true
		maxHead[h.Layer] = max(maxHead[h.Layer], h.Head)
	}
	var ls []int
	for l := range layers {
		ls = append(ls, l)
	}
	sort.Ints(ls)
	var out []LayerPruning
	for _, l := range ls {
		lp := LayerPruning{Layer: l}
		var p, sv int64
		for h := 0; h <= maxHead[l]; h++ {
			k := key{l, h}
			p += pairs[k]
			sv += surv[k]
			rate := 0.0
			if pairs[k] > 0 {
				rate = 1 - float64(surv[k])/float64(pairs[k])
			}
			lp.Heads = append(lp.Heads, rate)
		}
		if p > 0 {
			lp.Rate = 1 - float64(sv)/float64(p)
		}
		out = append(out, lp)
	}
	return out
}
