package sim

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/sim/internal/engine"
	"github.com/lrpsim/lrpsim/traces"
)

// TestMeasureHeadsHandWorked: SpAtten's rule with msb_bits 2 of 4, requant_threshold 0.3 and
// keep_fraction 0.5, one plane a step, on keys -8, 4, 5, 7 (d = 1, scales 1):
//
//	MSB keys (k >> 2 << 2): -8, 4, 4, 4
//	row 0, q = 1: MSB scores -8, 4, 4, 4; largest probability 1/(2 + e^-12 + 1) > 1/3 > 0.3:
//	  no low bits (step 2); top-2 of the MSB scores: keys 1 and 2 (ties: smaller index first)
//	row 1, q = 0: every score 0, largest probability 0.25 < 0.3: low bits (step 4); keys 0 and 1
//
// So 2 rows, 8 keys read, 4 survivors, 1 row that read every plane, and that row is the last.
func TestMeasureHeadsHandWorked(t *testing.T) {
	h := &traces.Head{N: 2, M: 4, D: 1, DV: 1, Q: []int32{1, 0}, K: []int32{-8, 4, 5, 7}, V: make([]int32, 4),
		ValidQ: 2, ValidK: 4, ScaleQ: 1, ScaleK: 1, ScaleV: 1, BitsQ: 4, BitsK: 4, BitsV: 4, Threshold: math.Inf(-1)}
	cfg, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.FrontEnd.BitsPerCycle = 1
	cfg.Pruning = Pruning{Policy: "spatten", MSBBits: 2, RequantThreshold: 0.3, KeepFraction: 0.5}
	got, err := MeasureHeads(cfg, Heads{h})
	if err != nil {
		t.Fatal(err)
	}
	want := HeadKeep{Rows: 2, Keys: 8, Survivors: 4, FullRows: 1, LastKeys: 4, LastSurvivors: 2, LastFull: true}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v, want [%+v]", got, want)
	}
	// With the threshold at 0.2 neither row is flat enough: no row reads its low bits.
	cfg.Pruning.RequantThreshold = 0.2
	if got, err = MeasureHeads(cfg, Heads{h}); err != nil {
		t.Fatal(err)
	}
	if got[0].FullRows != 0 || got[0].LastFull {
		t.Errorf("threshold 0.2: %+v, want no full rows", got[0])
	}
	var buf bytes.Buffer
	if err := WriteHeadKeepCSV(&buf, "spatten", got); err != nil {
		t.Fatal(err)
	}
	wantCSV := "policy,input,layer,head,rows,keys,survivors,full_rows,last_keys,last_survivors,last_full\n" +
		"spatten,0,0,0,2,8,4,0,4,2,false\n"
	if buf.String() != wantCSV {
		t.Errorf("CSV:\n%s\nwant:\n%s", buf.String(), wantCSV)
	}
}

// TestMeasureHeadsMatchesFidelity: over random heads and rules, the per-head counts add up to
// what MeasureFidelity finds, and a SpAtten head keeps k_row keys of every row.
func TestMeasureHeadsMatchesFidelity(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	for it := range 80 {
		cfg := randConfig(r)
		setPolicy(r, cfg)
		hs := randHeads(r, 3)
		pol, err := cfg.PruningPolicy()
		if err != nil {
			t.Fatal(err)
		}
		heads, err := MeasureHeads(cfg, hs)
		if err != nil {
			t.Fatal(err)
		}
		f, err := MeasureFidelity(cfg, hs)
		if err != nil {
			t.Fatal(err)
		}
		var rows, keys, surv int64
		for i, hk := range heads {
			rows, keys, surv = rows+hk.Rows, keys+hk.Keys, surv+hk.Survivors
			if hk.FullRows > hk.Rows || hk.Survivors > hk.Keys || hk.LastSurvivors > hk.LastKeys {
				t.Fatalf("case %d head %d: impossible counts %+v", it, i, hk)
			}
			if sp, ok := pol.(arch.SpAtten); ok {
				var want int64
				for _, limit := range engine.RowLimits(hs[i]) {
					want += int64(sp.KeepCount(limit))
				}
				if hk.Survivors != want {
					t.Fatalf("case %d head %d: spatten keeps %d, want sum of k_row %d", it, i, hk.Survivors, want)
				}
			}
			if hs[i].Layer != hk.Layer || hs[i].Index != hk.Head || hs[i].Input != hk.Input {
				t.Fatalf("case %d head %d: labelled %d/%d/%d", it, i, hk.Input, hk.Layer, hk.Head)
			}
		}
		if rows != f.Rows || keys != f.Pairs || surv != f.Pairs-f.Dropped {
			t.Fatalf("case %d (%s): heads %d rows %d keys %d survivors, fidelity %d rows %d pairs %d survivors",
				it, cfg.Pruning.Policy, rows, keys, surv, f.Rows, f.Pairs, f.Pairs-f.Dropped)
		}
	}
}

func TestWriteHeadKeepCSVHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHeadKeepCSV(&buf, "leopard", nil); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "policy,input,layer,head,rows,keys,survivors,full_rows,") {
		t.Errorf("header %q", buf.String())
	}
}
