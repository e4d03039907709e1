package sim

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/sim/internal/engine"
)

// HeadKeep is what a pruning rule keeps of one head: per head, in the terms of SpAtten's
// published workload files (key_fetch_num, value_fetch_num, if_requant), the keys each query row
// reads, the keys that survive (whose V is fetched) and the rows that read every bit-plane of
// every key (for the spatten rule, the rows that fetched their low bits). The Last fields are the
// head's last valid query row alone, the row that sees the whole context: in a causal head, what
// one generation step of a decoder does.
type HeadKeep struct {
	Input, Layer, Head int
	Rows               int64 // query rows with at least one allowed key
	Keys               int64 // allowed (query, key) pairs
	Survivors          int64 // pairs that survive
	FullRows           int64 // rows whose every allowed key is decided at the last step
	LastKeys           int64 // allowed keys of the last valid row
	LastSurvivors      int64
	LastFull           bool // the last valid row read every plane of every key
}

// MeasureHeads decides every pair of src with cfg's pruning rule, as the simulation and
// MeasureFidelity do, and counts per head what the rule keeps.
func MeasureHeads(cfg *Config, src HeadSource) ([]HeadKeep, error) {
	pol, err := cfg.PruningPolicy()
	if err != nil {
		return nil, err
	}
	out := make([]HeadKeep, 0, src.NumHeads())
	for i := range src.NumHeads() {
		th, err := src.Head(i)
		if err != nil {
			return nil, err
		}
		ph := engine.PolicyHead(th, engine.HeadThreshold(th, cfg.Thresholds.Scale), cfg.FrontEnd.BitsPerCycle)
		hp := pol.ForHead(ph)
		last := uint8(ph.Steps())
		hk := HeadKeep{Input: th.Input, Layer: th.Layer, Head: th.Index}
		dec := make([]uint8, th.ValidK)
		for r, limit := range engine.RowLimits(th) {
			if limit == 0 {
				continue
			}
			hp.DecideRow(r, dec[:limit])
			var survivors int64
			full := true
			for _, d := range dec[:limit] {
				if d&arch.SurviveBit != 0 {
					survivors++
				}
				full = full && d&^arch.SurviveBit == last
			}
			hk.Rows++
			hk.Keys += int64(limit)
			hk.Survivors += survivors
			if full {
				hk.FullRows++
			}
			// Rows come in order, so the last one seen is the last valid row.
			hk.LastKeys, hk.LastSurvivors, hk.LastFull = int64(limit), survivors, full
		}
		out = append(out, hk)
	}
	return out, nil
}

// headKeepHeader is the header of WriteHeadKeepCSV after the policy column.
var headKeepHeader = []string{"input", "layer", "head", "rows", "keys", "survivors", "full_rows",
	"last_keys", "last_survivors", "last_full"}

// WriteHeadKeepCSV writes one line per head, with the policy's name in the first column.
func WriteHeadKeepCSV(w io.Writer, policy string, heads []HeadKeep) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(append([]string{"policy"}, headKeepHeader...)); err != nil {
		return err
	}
	i := func(x int64) string { return strconv.FormatInt(x, 10) }
	for _, h := range heads {
		rec := []string{policy, strconv.Itoa(h.Input), strconv.Itoa(h.Layer), strconv.Itoa(h.Head),
			i(h.Rows), i(h.Keys), i(h.Survivors), i(h.FullRows), i(h.LastKeys), i(h.LastSurvivors),
			strconv.FormatBool(h.LastFull)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("per-head CSV: %w", err)
	}
	return nil
}
