package sim

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"codeberg.org/sbinet/npyio/npz"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/sim/internal/engine"
	"github.com/lrpsim/lrpsim/traces/data"
)

// TestPolicyMasksMatchPython holds lrpsim's pruning rules to the Python implementation of
// arch/POLICIES.md (traces/python/lrpsim_export/policies.py, written from the text alone), decision
// for decision: sim/testdata/policy-masks holds that implementation's decision bytes for every head
// of two bundled traces under the five designs of lrpsim compare (its README has the commands).
func TestPolicyMasksMatchPython(t *testing.T) {
	files := map[string]string{"leopard": "leopard.yaml", "row-relative": "policies/row-relative.yaml",
		"row-relative-spec": "policies/row-relative-spec.yaml", "sanger": "policies/sanger.yaml", "spatten": "policies/spatten.yaml"}
	for _, trace := range []string{"memn2n-babi-qa1", "stories260K"} {
		path := filepath.Join("testdata", "policy-masks", trace+".npz")
		z, err := npz.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var raw []uint8
		if err := z.Read("meta.npy", &raw); err != nil {
			t.Fatalf("%s: meta: %v", path, err)
		}
		var meta struct {
			Inputs  int `json:"inputs"` // the first inputs of the trace covered
			Configs []struct {
				Name string `json:"name"`
			} `json:"configs"`
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			t.Fatalf("%s: meta: %v", path, err)
		}
		r, err := data.Open("bundled:" + trace + ".npz")
		if err != nil {
			t.Fatal(err)
		}
		if len(meta.Configs) != len(files) {
			t.Fatalf("%s: %d configs, want the %d designs of lrpsim compare", path, len(meta.Configs), len(files))
		}
		for _, c := range meta.Configs {
			cfg, err := BundledConfig(files[c.Name])
			if err != nil {
				t.Fatalf("%s: config %q: %v", path, c.Name, err)
			}
			pol, err := cfg.PruningPolicy()
			if err != nil {
				t.Fatal(err)
			}
			var heads, pairs int
			for i := range r.NumHeads() {
				th, err := r.Head(i)
				if err != nil {
					t.Fatal(err)
				}
				if th.Input >= meta.Inputs {
					continue
				}
				name := fmt.Sprintf("%s.b%d.l%d.h%d", c.Name, th.Input, th.Layer, th.Index)
				var want []uint8
				if err := z.Read(name+".npy", &want); err != nil {
					t.Fatalf("%s: %s: %v", path, name, err)
				}
				if len(want) != th.ValidQ*th.ValidK {
					t.Fatalf("%s: %s has %d bytes, want %d x %d", path, name, len(want), th.ValidQ, th.ValidK)
				}
				hp := pol.ForHead(engine.PolicyHead(th, th.IntThreshold(), cfg.FrontEnd.BitsPerCycle))
				got := make([]uint8, th.ValidK)
				for q, limit := range engine.RowLimits(th) {
					clear(got)
					hp.DecideRow(q, got[:limit])
					row := want[q*th.ValidK : (q+1)*th.ValidK]
					for j := range got {
						if got[j] != row[j] {
							t.Fatalf("%s: %s row %d key %d: lrpsim %#x, Python %#x", path, name, q, j, got[j], row[j])
						}
					}
					pairs += limit
				}
				heads++
			}
			if heads == 0 || pairs == 0 {
				t.Fatalf("%s: %s: no head compared", path, c.Name)
			}
			t.Logf("%s %s: %d heads, %d pairs, every decision equal", trace, c.Name, heads, pairs)
		}
		r.Close()
		z.Close()
	}
}

// TestSangerMatchesSangersCode: lrpsim's sanger rule keeps exactly the pairs that hatsu3/Sanger's
// own quantize-and-threshold code keeps on the same tensors (sim/testdata/policy-masks/README.md
// has the command that ran it once; nothing of Sanger is in this repository).
func TestSangerMatchesSangersCode(t *testing.T) {
	path := filepath.Join("testdata", "policy-masks", "sanger-reference-memn2n-babi-qa1.npz")
	z, err := npz.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	cfg, err := BundledConfig("policies/sanger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pol, _ := cfg.PruningPolicy()
	r, err := data.Open("bundled:memn2n-babi-qa1.npz")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var compared int
	for i := range r.NumHeads() {
		th, _ := r.Head(i)
		name := fmt.Sprintf("keep.b%d.l%d.h%d", th.Input, th.Layer, th.Index)
		if !slices.Contains(z.Keys(), name+".npy") {
			continue
		}
		var keep []uint8
		if err := z.Read(name+".npy", &keep); err != nil {
			t.Fatalf("%s: %s: %v", path, name, err)
		}
		hp := pol.ForHead(engine.PolicyHead(th, th.IntThreshold(), 1))
		dec := make([]uint8, th.ValidK)
		for q := range th.ValidQ {
			hp.DecideRow(q, dec)
			for j, d := range dec {
				if (d&arch.SurviveBit != 0) != (keep[q*th.ValidK+j] != 0) {
					t.Fatalf("%s row %d key %d: lrpsim keeps %v, Sanger's code %v", name, q, j, d&arch.SurviveBit != 0, keep[q*th.ValidK+j] != 0)
				}
				compared++
			}
		}
	}
	if compared == 0 {
		t.Fatalf("%s: no pair compared (members %v)", path, z.Keys())
	}
	t.Logf("%d pairs: lrpsim's sanger rule equals Sanger's own code on every one", compared)
}
