package energy

import (
	"strings"
	"testing"
)

// TestChoice: each way of picking a table, and the provenance of an ERT over its base.
func TestChoice(t *testing.T) {
	paths := writeFiles(t, map[string]string{"ERT.yaml": testERT, "ART.yaml": testART, "map.yaml": testMapping})
	for _, tc := range []struct {
		name       string
		c          Choice
		table      string // the table's name; "" for an error
		provenance []string
		err        string
	}{
		{"node", Choice{Node: "45nm"}, "horowitz-45nm", nil, ""},
		{"ERT over a node", Choice{Node: "45nm", ERT: paths["ERT.yaml"], ART: paths["ART.yaml"], Mapping: paths["map.yaml"]},
			"accelergy:ERT.yaml", []string{"energy table: from ERT.yaml: comparator, fe_unit, k_sram, lane; from horowitz-45nm: be_unit, dram, exp_unit, fifo, mac_array, normalizer, q_sram, v_sram"}, ""},
		{"ERT without mapping", Choice{Node: "45nm", ERT: paths["ERT.yaml"]}, "", nil, "cmp"},
		{"ART without ERT", Choice{Node: "45nm", ART: paths["ART.yaml"]}, "", nil, "goes with an ERT"},
		{"mapping without ERT", Choice{Node: "45nm", Mapping: paths["map.yaml"]}, "", nil, "goes with an ERT"},
		{"unknown node", Choice{Node: "7nm"}, "", nil, "7nm"},
		{"table file missing", Choice{Table: paths["ERT.yaml"] + ".none", Node: "45nm"}, "", nil, "load table"},
	} {
		tb, prov, err := tc.c.Load()
		if tc.table == "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tb.Name != tc.table {
			t.Errorf("%s: table %q, want %q", tc.name, tb.Name, tc.table)
		}
		if tc.provenance == nil && prov != "" {
			t.Errorf("%s: provenance %q without an ERT", tc.name, prov)
		}
		for _, want := range tc.provenance {
			if !strings.Contains(prov, want) {
				t.Errorf("%s: provenance %q lacks %q", tc.name, prov, want)
			}
		}
	}
}
