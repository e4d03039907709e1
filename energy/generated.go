package energy

import (
	"embed"
	"fmt"
	"strings"
)

// generatedTables holds the tables that energy/gen/gen_table.py wrote from the hwcomponents
// models (CACTI, Aladdin, DRAM presets) for configs/leopard.yaml. (go:embed needs a
// package-level variable; it is never written.)
//
//go:embed tables/hwc/*.yaml
var generatedTables embed.FS

// GeneratedSuffix marks a node name that selects a generated table: "28nm" + GeneratedSuffix is
// energy/tables/hwc/leopard-28nm.yaml.
const GeneratedSuffix = "-hwc"

// generatedNodes maps each selector, e.g. "28nm-hwc", to its embedded file.
func generatedNodes() map[string]string {
	return map[string]string{
		"28nm" + GeneratedSuffix: "tables/hwc/leopard-28nm.yaml",
		"45nm" + GeneratedSuffix: "tables/hwc/leopard-45nm.yaml",
		"65nm" + GeneratedSuffix: "tables/hwc/leopard-65nm.yaml",
	}
}

// generatedTable parses the embedded generated table of selector (e.g. "28nm-hwc"); ok is false
// when selector names no generated table.
func generatedTable(selector string) (t *Table, ok bool, err error) {
	path, ok := generatedNodes()[selector]
	if !ok {
		return nil, false, nil
	}
	data, err := generatedTables.ReadFile(path)
	if err != nil {
		return nil, true, fmt.Errorf("energy: generated table %s: %w", path, err)
	}
	t, err = ParseTable(data, "energy/"+path)
	if err != nil {
		return nil, true, fmt.Errorf("energy: generated table: %w", err)
	}
	if want := strings.TrimSuffix(selector, GeneratedSuffix); t.Node != want {
		return nil, true, fmt.Errorf("energy: generated table energy/%s: node %q, want %q", path, t.Node, want)
	}
	return t, true, nil
}
