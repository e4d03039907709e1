package energy

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testERT is a small Accelergy ERT (version 0.3 and later layout) of a LeOPArd-like design.
const testERT = `ERT:
  version: '0.4'
  tables:
  - name: leopard.fe[0..3].lane[0..15]
    actions:
    - name: bit_product
      arguments: null
      energy: 0.05
    - name: accumulate
      arguments: {}
      energy: 0.2
    - name: leak
      arguments: null
      energy: 0.01
    - name: idle
      arguments: null
      energy: 0
  - name: leopard.fe[0..3].cmp[0..15]
    actions:
    - name: check
      arguments: null
      energy: 0.15
  - name: leopard.kbuf
    actions:
    - name: read
      arguments: {data_delta: 0}
      energy: 12.8
    - name: read
      arguments: {data_delta: 1}
      energy: 25.6
    - name: write
      arguments: null
      energy: 32
    - name: idle
      arguments: null
      energy: 0.5
  - name: leopard.noc
    actions:
    - name: transfer
      arguments: null
      energy: 3
  - name: leopard.fe_unit[0..3]
    actions:
    - name: busy_cycle
      arguments: null
      energy: 1
    - name: idle
      arguments: null
      energy: 0.1
`

const testART = `ART:
  version: 0.4
  tables:
  - name: leopard.fe[0..3].lane[0..15]
    area: 1500
  - name: leopard.kbuf
    area: 250000
  - name: leopard.noc
    area: 10
`

const testMapping = `components:
  - match: cmp
    component: comparator
    actions:
      check: {action: compare}
  - match: leopard.kbuf
    component: k_sram
    leakage: idle
    actions:
      read: {action: read_bit, per: 64, arguments: {data_delta: 1}}
      write: {action: write_bit, per: 64}
ignore: [noc]
`

// writeFiles writes name -> content into a temporary directory and returns the paths.
func writeFiles(t *testing.T, files map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := make(map[string]string)
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

// TestLoadERT imports the test ERT and ART with a mapping file and prices counts with the result.
func TestLoadERT(t *testing.T) {
	paths := writeFiles(t, map[string]string{"ERT.yaml": testERT, "ART.yaml": testART, "map.yaml": testMapping})
	m, err := LoadERTMapping(paths["map.yaml"])
	if err != nil {
		t.Fatal(err)
	}
	tb, err := LoadERT(paths["ERT.yaml"], ERTOptions{ART: paths["ART.yaml"], Mapping: m, Node: "45nm"})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Name != "accelergy:ERT.yaml" || tb.Node != "45nm" {
		t.Errorf("name %q node %q", tb.Name, tb.Node)
	}
	if got := sortedKeys(tb.Components); strings.Join(got, ",") != "comparator,fe_unit,k_sram,lane" {
		t.Errorf("components %v", got)
	}
	c := tb.Components
	checks := []struct {
		what string
		q    Quantity
		want float64
	}{
		{"lane.bit_product", c[Lane].Actions[BitProduct], 0.05},
		{"lane.accumulate", c[Lane].Actions[Accumulate], 0.2},
		{"lane leakage", c[Lane].Leakage.Quantity, 0.01},
		{"lane area", c[Lane].Area, 1500},
		{"comparator.compare", c[Comparator].Actions[Compare], 0.15},
		{"k_sram.read_bit", c[KSRAM].Actions[ReadBit], 25.6 / 64},
		{"k_sram.write_bit", c[KSRAM].Actions[WriteBit], 0.5},
		{"k_sram leakage (idle)", c[KSRAM].Leakage.Quantity, 0.5},
		{"k_sram area", c[KSRAM].Area, 250000},
		{"fe_unit.busy_cycle", c[FEUnit].Actions[BusyCycle], 1},
		{"fe_unit.idle_cycle", c[FEUnit].Actions[IdleCycle], 0.1},
	}
	for _, ck := range checks {
		got, err := ck.q.Eval(nil)
		if err != nil {
			t.Errorf("%s: %v", ck.what, err)
			continue
		}
		if got != ck.want {
			t.Errorf("%s = %v, want %v", ck.what, got, ck.want)
		}
		if ck.q.Source == "" {
			t.Errorf("%s has no source", ck.what)
		}
	}
	if len(c[Lane].Actions) != 2 {
		t.Errorf("lane actions %v: the zero idle should be dropped", c[Lane].Actions)
	}
	if src := c[KSRAM].Actions[ReadBit].Source; !strings.Contains(src, "data_delta=1") || !strings.Contains(src, "divided by 64") {
		t.Errorf("k_sram.read_bit source %q", src)
	}

	var counts Counts
	counts.Cycles = 100
	counts.SetInstances(Lane, 64)
	counts.Add(Lane, BitProduct, 1000)
	counts.SetInstances(KSRAM, 1)
	counts.Add(KSRAM, ReadBit, 640)
	r, err := tb.Price(counts)
	if err != nil {
		t.Fatal(err)
	}
	// Order: k_sram (read_bit, leakage), lane (bit_product, leakage).
	want := 0.0
	want += 640 * (25.6 / 64)
	want += 1 * 0.5 * 100
	want += 1000 * 0.05
	want += 64 * 0.01 * 100
	if r.TotalPJ != want || r.AreaUM2 != 250000+64*1500 {
		t.Errorf("total %v area %v, want %v %v", r.TotalPJ, r.AreaUM2, want, 250000+64*1500.0)
	}
}

// TestLoadERTBase checks that an import over a base table keeps the base's other entries.
func TestLoadERTBase(t *testing.T) {
	base, err := DefaultTable("45nm")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseERTMapping([]byte(testMapping), "map.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := ParseERT([]byte(testERT), "ERT.yaml", nil, "", ERTOptions{Mapping: m, Base: base, Name: "mixed"})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Name != "mixed" || tb.Node != "45nm" {
		t.Errorf("name %q node %q", tb.Name, tb.Node)
	}
	if tb.Components[Lane].Actions[BitProduct].Value != 0.05 {
		t.Error("ERT entry not imported")
	}
	if !reflect.DeepEqual(tb.Components[Lane].Area, base.Components[Lane].Area) {
		t.Error("base area of lane lost")
	}
	if !reflect.DeepEqual(tb.Components[DRAM], base.Components[DRAM]) {
		t.Error("base dram lost")
	}
	if base.Components[Lane].Actions[BitProduct].Value == 0.05 {
		t.Error("base table modified")
	}
	// A table that prices everything the simulator counts: the default vocabulary.
	for comp, acts := range Vocabulary() {
		for _, a := range acts {
			if _, ok := tb.Components[comp].Actions[a]; !ok {
				t.Errorf("%s.%s missing", comp, a)
			}
		}
	}
}

// TestERTErrors checks the errors of ERT, ART and mapping files.
func TestERTErrors(t *testing.T) {
	mapping, err := ParseERTMapping([]byte(testMapping), "map.yaml")
	if err != nil {
		t.Fatal(err)
	}
	noArgs := &ERTMapping{Components: []ERTComponentMap{
		{Match: "cmp", Component: Comparator, Actions: map[string]ERTActionMap{"check": {Action: Compare}}},
		{Match: "kbuf", Component: KSRAM, Actions: map[string]ERTActionMap{"read": {Action: ReadBit, Per: 64}}},
	}, Ignore: []string{"leopard.noc"}}
	tests := []struct {
		name    string
		ert     string
		art     string
		mapping *ERTMapping
		file    string
		line    int
		key     string
		want    string // substring of the message
	}{
		{"default rules, unknown component", testERT, "", nil,
			"ERT.yaml", 18, "ERT.tables[1].name", `an lrpsim component`},
		{"argument combinations", testERT, "", noArgs,
			"ERT.yaml", 25, "ERT.tables[2].actions[0]", "several argument combinations"},
		{"nonzero idle without mapping", strings.Replace(testERT, "energy: 0\n", "energy: 0.3\n", 1), "", mapping,
			"ERT.yaml", 15, "ERT.tables[0].actions[3].name", `"idle"`},
		{"two Accelergy components onto one", testERT + "  - name: other.lane\n    actions: []\n", "", mapping,
			"ERT.yaml", 50, "ERT.tables[5].name", "already comes from"},
		{"energy not a number", strings.Replace(testERT, "energy: 0.05", "energy: abc", 1), "", mapping,
			"ERT.yaml", 8, "ERT.tables[0].actions[0].energy", `a non-negative energy in pJ, got "abc"`},
		{"negative energy", strings.Replace(testERT, "energy: 0.05", "energy: -1", 1), "", mapping,
			"ERT.yaml", 8, "ERT.tables[0].actions[0].energy", "non-negative"},
		{"no ERT key", "ART:\n  tables: []\n", "", mapping,
			"ERT.yaml", 1, "ERT", `no key "ERT"`},
		{"version 0.2 layout", "ERT:\n  version: 0.2\n  tables:\n    simple.glb:\n      idle: {energy: 0}\n", "", mapping,
			"ERT.yaml", 4, "ERT.tables", "version 0.3 or later"},
		{"action missing energy", "ERT:\n  tables:\n  - name: x.lane\n    actions:\n    - name: accumulate\n", "", nil,
			"ERT.yaml", 5, "ERT.tables[0].actions[0].energy", "required"},
		{"mapped action not in ERT", strings.Replace(testERT, "name: write\n", "name: store\n", 1), "", mapping,
			"ERT.yaml", 23, "ERT.tables[2].actions", `an action "write"`},
		{"ART unknown component", testERT, strings.Replace(testART, "leopard.noc", "leopard.router", 1), mapping,
			"ART.yaml", 8, "ART.tables[2].name", `"leopard.router"`},
		{"ART area not a number", testERT, strings.Replace(testART, "area: 1500", "area: big", 1), mapping,
			"ART.yaml", 5, "ART.tables[0].area", `"big"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var art []byte
			if tt.art != "" {
				art = []byte(tt.art)
			}
			_, err := ParseERT([]byte(tt.ert), "ERT.yaml", art, "ART.yaml", ERTOptions{Mapping: tt.mapping})
			var te *TableError
			if !errors.As(err, &te) {
				t.Fatalf("error %v is not a *TableError", err)
			}
			if te.File != tt.file || te.Line != tt.line || te.Key != tt.key || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v (%#v)\nwant %s:%d %s ~%q", err, te, tt.file, tt.line, tt.key, tt.want)
			}
		})
	}
}

// TestERTMappingErrors checks the errors of mapping files and of mappings built in Go.
func TestERTMappingErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line int
		key  string
		want string
	}{
		{"unknown key", "components: []\nrename: {}\n", 2, "rename", `unknown key "rename"`},
		{"unknown component", "components:\n  - match: x\n    component: gpu\n", 3, "components[0].component", `"gpu"`},
		{"action of another component", "components:\n  - match: x\n    component: lane\n    actions:\n      read: {action: read_bit}\n",
			5, "components[0].actions.read.action", "an action of lane"},
		{"missing component", "components:\n  - match: x\n", 2, "components[0].component", "required"},
		{"bad per", "components:\n  - match: x\n    component: k_sram\n    actions:\n      read: {action: read_bit, per: 0}\n",
			5, "components[0].actions.read.per", "positive"},
		{"unknown action key", "components:\n  - match: x\n    component: k_sram\n    actions:\n      read: {action: read_bit, scale: 2}\n",
			5, "components[0].actions.read.scale", `unknown key "scale"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseERTMapping([]byte(tt.src), "map.yaml")
			var te *TableError
			if !errors.As(err, &te) {
				t.Fatalf("error %v is not a *TableError", err)
			}
			if te.File != "map.yaml" || te.Line != tt.line || te.Key != tt.key || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v (%#v)\nwant line %d key %s ~%q", err, te, tt.line, tt.key, tt.want)
			}
		})
	}
	bad := &ERTMapping{Components: []ERTComponentMap{{Match: "x", Component: Lane,
		Actions: map[string]ERTActionMap{"y": {Action: ReadBit}}}}}
	if _, err := ParseERT([]byte(testERT), "ERT.yaml", nil, "", ERTOptions{Mapping: bad}); err == nil ||
		!strings.Contains(err.Error(), `unknown action "read_bit" of lane`) {
		t.Errorf("Go mapping with a wrong action: %v", err)
	}
	if _, err := LoadERT(filepath.Join(t.TempDir(), "none.yaml"), ERTOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing ERT: %v", err)
	}
}

// TestAccelergyName checks the name normalization of the default rule.
func TestAccelergyName(t *testing.T) {
	tests := []struct{ in, full, last string }{
		{"leopard.fe[0..3].lane[0..15]", "leopard.fe.lane", "lane"},
		{"lane", "lane", "lane"},
		{"a.b[1..2][0..3].k_sram", "a.b.k_sram", "k_sram"},
	}
	for _, tt := range tests {
		full, last := accelergyName(tt.in)
		if full != tt.full || last != tt.last {
			t.Errorf("accelergyName(%q) = %q, %q; want %q, %q", tt.in, full, last, tt.full, tt.last)
		}
	}
}
