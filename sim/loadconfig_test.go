package sim

import (
	"slices"
	"strings"
	"testing"
)

// TestLoadConfigReferences: LoadConfig, the one config loader of the commands, reads "" as the
// default, bundled:NAME with or without .yaml, and refuses an unknown bundled name listing the
// bundled ones.
func TestLoadConfigReferences(t *testing.T) {
	for _, tc := range []struct{ ref, name string }{
		{"", "leopard"},
		{"bundled:leopard.yaml", "leopard"},
		{"bundled:policies/spatten", "spatten"},
		{"bundled:policies/sanger.yaml", "sanger"},
		{"../configs/policies/row-relative.yaml", "row-relative"},
	} {
		c, err := LoadConfig(tc.ref)
		if err != nil || c.Name != tc.name {
			t.Errorf("LoadConfig(%q): %v, %v; want %s", tc.ref, c, err, tc.name)
		}
	}
	if _, err := LoadConfig("bundled:nonesuch"); err == nil || !strings.Contains(err.Error(), "policies/spatten.yaml") {
		t.Errorf("LoadConfig(bundled:nonesuch): %v", err)
	}
	if names := BundledConfigNames(); !slices.Contains(names, "leopard.yaml") || !slices.Contains(names, "policies/spatten.yaml") {
		t.Errorf("BundledConfigNames() = %v", names)
	}
}
