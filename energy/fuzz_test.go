package energy

import (
	"os"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/internal/fuzzseed"
)

// FuzzParseTable feeds arbitrary YAML to the energy table parser: no panic, and an error names
// the file.
func FuzzParseTable(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParseTable(data, "fuzz.yaml"); err != nil && !strings.Contains(err.Error(), "fuzz.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

// FuzzParseERT feeds an arbitrary Accelergy ERT and ART, with the mapping of the ERT tests and
// a base table, to the importer: no panic, and an error names one of the files.
func FuzzParseERT(f *testing.F) {
	m, err := ParseERTMapping([]byte(testMapping), "map.yaml")
	if err != nil {
		f.Fatal(err)
	}
	base, err := DefaultTable("45nm")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ert, art []byte) {
		if len(art) == 0 {
			art = nil
		}
		_, err := ParseERT(ert, "ERT.yaml", art, "ART.yaml", ERTOptions{Mapping: m, Base: base})
		if err != nil && !strings.Contains(err.Error(), "ERT.yaml") && !strings.Contains(err.Error(), "ART.yaml") {
			t.Fatalf("error names neither file: %v", err)
		}
	})
}

// FuzzParseERTMapping feeds arbitrary YAML to the ERT mapping parser: no panic, and an error
// names the file.
func FuzzParseERTMapping(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParseERTMapping(data, "map.yaml"); err != nil && !strings.Contains(err.Error(), "map.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

// TestFuzzSeeds keeps the committed seeds of the fuzz targets above.
func TestFuzzSeeds(t *testing.T) {
	table, err := os.ReadFile("tables/45nm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fuzzseed.Check(t, "FuzzParseTable", map[string][]any{
		"45nm":           {table},
		"unknown-action": {[]byte("name: x\ncomponents:\n  lane:\n    actions:\n      fly: 1\n")},
		"bad-unit":       {[]byte("name: x\ncomponents:\n  lane:\n    actions:\n      bit_product: {value: 1, unit: kWh}\n")},
		"curve":          {[]byte("name: x\ncomponents:\n  k_sram:\n    actions:\n      read_bit:\n        curve:\n          of: [size_bytes]\n          points: [[1024, 2], [65536, 16]]\n")},
		"negative":       {[]byte("name: x\ncomponents:\n  lane:\n    actions:\n      bit_product: -1\n")},
		"not-yaml":       {[]byte(":\n  - [")},
	})
	fuzzseed.Check(t, "FuzzParseERT", map[string][]any{
		"valid":        {[]byte(testERT), []byte(testART)},
		"no-art":       {[]byte(testERT), []byte{}},
		"partial":      {[]byte("ERT:\n  version: 0.3\n  tables:\n    - name: leopard.lane\n      actions:\n        - name: bit_product\n          energy: 0.02\n"), []byte{}},
		"no-tables":    {[]byte("ERT:\n  version: 0.3\n"), []byte{}},
		"bad-energy":   {[]byte("ERT:\n  version: 0.3\n  tables:\n    - name: leopard.lane\n      actions:\n        - name: bit_product\n          energy: lots\n"), []byte{}},
		"bad-art":      {[]byte(testERT), []byte("ART:\n  tables: 3\n")},
		"empty":        {[]byte{}, []byte{}},
		"flow-mapping": {[]byte("{ERT: {version: 0.3, tables: [{name: lane, actions: [{name: idle, energy: 0}]}]}}"), []byte{}},
	})
	fuzzseed.Check(t, "FuzzParseERTMapping", map[string][]any{
		"valid":       {[]byte(testMapping)},
		"unknown-key": {[]byte("components:\n  - match: x\n    colour: red\n")},
		"not-list":    {[]byte("components: 7\n")},
		"empty":       {[]byte{}},
	})
}
