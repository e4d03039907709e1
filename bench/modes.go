package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/traces"
)

// The re-executed modes (bench -mode ...): each runs in its own process, so that the parent
// measures its CPU time and peak RSS like any other program, and prints one JSON line.

// qkResult is what -mode qk prints.
type qkResult struct {
	Heads     int    `json:"heads"`
	Pairs     int64  `json:"pairs"`
	MACs      int64  `json:"macs"`
	Survivors int64  `json:"survivors"`
	Checksum  uint64 `json:"checksum"`
}

// kernelResult is what -mode kernel prints.
type kernelResult struct {
	Heads         int     `json:"heads"`
	Pairs         int64   `json:"pairs"`
	Survivors     int64   `json:"survivors"`
	StepHistogram []int64 `json:"step_histogram"` // [s-1]: pairs decided at step s
	BitsPerCycle  int     `json:"bits_per_cycle"`
}

// configResult is what -mode config prints.
type configResult struct {
	Config    string `json:"config"`
	Cycles    int64  `json:"cycles"`
	Pairs     int64  `json:"pairs"`
	Survivors int64  `json:"survivors"`
}

func runMode(mode string, args []string) error {
	var res any
	var err error
	switch mode {
	case "qk":
		if len(args) != 1 {
			return fmt.Errorf("-mode qk wants one trace file")
		}
		res, err = plainQK(args[0])
	case "kernel":
		if len(args) != 1 {
			return fmt.Errorf("-mode kernel wants one trace file")
		}
		res, err = planeKernel(args[0])
	case "config":
		if len(args) != 2 {
			return fmt.Errorf("-mode config wants a configuration (design or a baseline's name) and a trace file")
		}
		res, err = simulateOne(args[0], args[1])
	default:
		return fmt.Errorf("unknown -mode %q (want qk, kernel or config)", mode)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// rowLimit is the end of query row i's allowed keys [0, limit): the valid lengths and, if the
// trace is causal, the causal mask.
func rowLimit(h *traces.Head, i int) int {
	limit := h.ValidK
	if h.Causal {
		limit = min(limit, i+(h.ValidK-h.ValidQ)+1)
	}
	return max(limit, 0)
}

// plainQK opens the trace like lrpsim does and computes, for every head, the int64 dot product
// of every valid query row with every allowed key (valid lengths and, if the trace is causal,
// the causal mask): d multiply-adds each. It counts the pairs, the survivors (q·k >= T) and a
// checksum of every dot product, which it returns so that no work can be dropped.
func plainQK(path string) (*qkResult, error) {
	r, err := traces.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	res := &qkResult{Heads: r.NumHeads()}
	for idx := range r.NumHeads() {
		h, err := r.Head(idx)
		if err != nil {
			return nil, err
		}
		d, T := h.D, h.IntThreshold()
		for i := range h.ValidQ {
			limit := rowLimit(h, i)
			q := h.Q[i*d : (i+1)*d]
			for j := range limit {
				k := h.K[j*d : (j+1)*d]
				k = k[:len(q)]
				var s int64
				for t, x := range q {
					s += int64(x) * int64(k[t])
				}
				res.Checksum = res.Checksum*0x100000001b3 ^ uint64(s)
				if s >= T {
					res.Survivors++
				}
			}
			res.Pairs += int64(limit)
			res.MACs += int64(limit) * int64(d)
		}
	}
	return res, nil
}

// planeKernel runs only lrpsim's bit-plane kernel (arch.PlaneKernel) over every allowed pair of
// the trace, as the engine does before it times anything (sim/internal/engine/tables.go,
// policyTable): a kernel per head, SetQuery and TermRow (early termination on) per valid query
// row over its allowed keys (the AVX2 path where the CPU has it), with the default config's bits per cycle and threshold scale. It counts the
// pairs, the survivors and the termination steps, which must match the design's.
func planeKernel(path string) (*kernelResult, error) {
	cfg, err := sim.DefaultConfig()
	if err != nil {
		return nil, err
	}
	r, err := traces.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	bpc, scale := cfg.FrontEnd.BitsPerCycle, cfg.Thresholds.Scale
	res := &kernelResult{Heads: r.NumHeads(), BitsPerCycle: bpc}
	var hist [65]int64
	for idx := range r.NumHeads() {
		h, err := r.Head(idx)
		if err != nil {
			return nil, err
		}
		T, keys := h.ScaledIntThreshold(scale), h.ValidK // the engine's T (engine.HeadThreshold)
		pk := arch.NewPlaneKernel(h.K[:keys*h.D], keys, h.D, h.BitsK, bpc)
		dec := make([]uint8, keys)
		for i := range h.ValidQ {
			limit := rowLimit(h, i)
			pk.SetQuery(h.Q[i*h.D : (i+1)*h.D])
			pk.TermRow(T, true, dec[:limit])
			for _, d := range dec[:limit] {
				if d&arch.SurviveBit != 0 {
					res.Survivors++
				}
				hist[min(int(d&^arch.SurviveBit), len(hist)-1)]++
			}
			res.Pairs += int64(limit)
		}
	}
	if hist[0] != 0 {
		return nil, fmt.Errorf("the kernel reported %d pairs decided at step 0 (steps count from 1)", hist[0])
	}
	n := len(hist)
	for n > 1 && hist[n-1] == 0 {
		n--
	}
	res.StepHistogram = hist[1:n]
	return res, nil
}

// simulateOne simulates one configuration alone, in this process, with the public sim package:
// the default config (design) or one of its baselines, event engine, default options.
func simulateOne(name, path string) (*configResult, error) {
	cfg, err := sim.DefaultConfig()
	if err != nil {
		return nil, err
	}
	if name != "design" {
		if cfg, err = cfg.Baseline(name); err != nil {
			return nil, err
		}
	}
	r, err := traces.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	st, err := sim.Simulate(cfg, r, sim.EngineEvent, sim.Options{})
	if err != nil {
		return nil, err
	}
	return &configResult{Config: name, Cycles: st.Cycles, Pairs: st.Pairs, Survivors: st.Survivors}, nil
}
