package energy

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestParseTableValid checks a table in every form the format allows.
func TestParseTableValid(t *testing.T) {
	src := `name: mine
node: 22nm
source: my own numbers
components:
  lane:
    source: lane numbers
    actions:
      bit_product: 0.05
      accumulate: {value: 150, unit: fJ, source: synthesis}
    leakage: {value: 2, unit: uW}
    area_um2: {value: 0.001, unit: mm2}
  k_sram:
    actions:
      read_bit:
        curve:
          of: [size_bytes]
          points: [[1024, 2], [65536, 16]]
          outside: clamp
        per: 32
        source: my SRAM compiler
      write_bit: &w {value: 1, unit: nJ}
    leakage: {curve: {of: [size_bytes], scale: 8, points: [[8, 1]]}, unit: pJ/cycle}
    area_um2: {value: 2, times: [size_bytes]}
  v_sram:
    actions:
      write_bit: *w
`
	tb, err := ParseTable([]byte(src), "mine.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Table{Name: "mine", Node: "22nm", Source: "my own numbers", Components: map[string]*ComponentEntry{
		Lane: {
			Source: "lane numbers",
			Actions: map[string]Quantity{
				BitProduct: {Value: 0.05},
				Accumulate: {Value: 150 * 1e-3, Source: "synthesis"},
			},
			Leakage: Leakage{Quantity: Quantity{Value: 2 * 1e-3}, Unit: MilliWatt},
			Area:    Quantity{Value: 0.001 * 1e6},
		},
		KSRAM: {
			Actions: map[string]Quantity{
				ReadBit: {Curve: &Curve{Of: []string{AttrSizeBytes}, Points: []Point{{1024, 2}, {65536, 16}}, Clamp: true},
					Per: 32, Source: "my SRAM compiler"},
				WriteBit: {Value: 1e3},
			},
			Leakage: Leakage{Quantity: Quantity{Curve: &Curve{Of: []string{AttrSizeBytes}, Scale: 8, Points: []Point{{8, 1}}}},
				Unit: PJPerCycle},
			Area: Quantity{Value: 2, Times: []string{AttrSizeBytes}},
		},
		VSRAM: {Actions: map[string]Quantity{WriteBit: {Value: 1e3}}},
	}}
	if !reflect.DeepEqual(tb, want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", tb, want)
	}
	if err := tb.Validate(); err != nil {
		t.Error(err)
	}
}

// TestParseTableBase checks a table that overrides a built-in one.
func TestParseTableBase(t *testing.T) {
	src := `name: cheap-dram
base: 45nm
components:
  dram:
    actions:
      read_byte: {value: 20, source: HBM-class estimate}
  lane:
    area_um2: 1000
`
	tb, err := ParseTable([]byte(src), "cheap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	def, err := DefaultTable("45nm")
	if err != nil {
		t.Fatal(err)
	}
	if tb.Name != "cheap-dram" || tb.Node != "45nm" {
		t.Errorf("name %q node %q", tb.Name, tb.Node)
	}
	if q := tb.Components[DRAM].Actions[ReadByte]; q.Value != 20 || q.Source != "HBM-class estimate" {
		t.Errorf("dram read_byte %+v", q)
	}
	if a := tb.Components[Lane].Area; a.Value != 1000 || a.Source != "" {
		t.Errorf("lane area %+v", a)
	}
	// Everything else is the base's.
	if !reflect.DeepEqual(tb.Components[Lane].Actions, def.Components[Lane].Actions) ||
		!reflect.DeepEqual(tb.Components[KSRAM], def.Components[KSRAM]) {
		t.Error("base entries not kept")
	}
}

// TestParseTableErrors checks that each malformed table gives one *TableError with the right
// file, line, key and expectation.
func TestParseTableErrors(t *testing.T) {
	const head = "name: t\nnode: 45nm\ncomponents:\n" // lines 1-3
	tests := []struct {
		name     string
		src      string
		line     int
		key      string
		expected string // substring of Expected
		got      string // substring of Got
	}{
		{"non-numeric energy", head + "  k_sram:\n    actions:\n      read_bit: abc\n",
			6, "components.k_sram.actions.read_bit", "a non-negative number of pJ", `"abc"`},
		{"negative energy", head + "  lane:\n    actions:\n      bit_product: -0.5\n",
			6, "components.lane.actions.bit_product", "non-negative number of pJ", `"-0.5"`},
		{"quoted number", head + "  lane:\n    actions:\n      bit_product: \"0.5\"\n",
			6, "components.lane.actions.bit_product", "non-negative number", `"0.5"`},
		{"NaN", head + "  lane:\n    actions:\n      bit_product: .nan\n",
			6, "components.lane.actions.bit_product", "non-negative number", `".nan"`},
		{"infinity", head + "  lane:\n    actions:\n      bit_product: .inf\n",
			6, "components.lane.actions.bit_product", "non-negative number", `".inf"`},
		{"null energy", head + "  lane:\n    actions:\n      bit_product:\n",
			6, "components.lane.actions.bit_product", "non-negative number", "null"},
		{"negative value in mapping", head + "  lane:\n    actions:\n      accumulate: {value: -1, unit: fJ}\n",
			6, "components.lane.actions.accumulate.value", "non-negative number of fJ", `"-1"`},
		{"unknown top-level key", "name: t\nnode: 45nm\nnodes: 2\ncomponents: {}\n",
			3, "nodes", "a key among name, node, source, base, components", `unknown key "nodes"`},
		{"unknown component key", head + "  lane:\n    energy: 1\n",
			5, "components.lane.energy", "a key among source, area_um2, leakage, actions", `unknown key "energy"`},
		{"unknown component", head + "  systolic_array:\n    area_um2: 1\n",
			4, "components.systolic_array", "a component among be_unit, comparator", `unknown component "systolic_array"`},
		{"unknown action", head + "  k_sram:\n    actions:\n      read: 1\n",
			6, "components.k_sram.actions.read", "an action of k_sram among read_bit, write_bit", `unknown action "read"`},
		{"action of another component", head + "  lane:\n    actions:\n      compare: 1\n",
			6, "components.lane.actions.compare", "an action of lane", `unknown action "compare"`},
		{"actions is a list", head + "  lane:\n    actions:\n      - bit_product\n",
			6, "components.lane.actions", "a mapping from action name to energy", "a list"},
		{"components is a string", "name: t\nnode: 45nm\ncomponents: lane\n",
			3, "components", "a mapping from component name", `"lane"`},
		{"unknown energy unit", head + "  lane:\n    actions:\n      bit_product: {value: 1, unit: mJ}\n",
			6, "components.lane.actions.bit_product.unit", "a unit among fJ, nJ, pJ", `"mJ"`},
		{"unknown leakage unit", head + "  lane:\n    leakage:\n      value: 1\n      unit: pJ\n",
			7, "components.lane.leakage.unit", "a unit among W, mW, nW, pJ/cycle, uW", `"pJ"`},
		{"leakage without unit", head + "  lane:\n    leakage:\n      value: 1\n",
			6, "components.lane.leakage.unit", "required", `no key "unit"`},
		{"leakage as a number", head + "  lane:\n    leakage: 0.1\n",
			5, "components.lane.leakage", "a leakage mapping", `"0.1"`},
		{"unknown area unit", head + "  lane:\n    area_um2: {value: 1, unit: cm2}\n",
			5, "components.lane.area_um2.unit", "a unit among mm2", `"cm2"`},
		{"value and curve", head + "  lane:\n    actions:\n      bit_product: {value: 1, curve: {of: [x], points: [[1, 1]]}}\n",
			6, "components.lane.actions.bit_product", "exactly one of value and curve", "both"},
		{"neither value nor curve", head + "  lane:\n    actions:\n      bit_product: {per: 2}\n",
			6, "components.lane.actions.bit_product", "exactly one of value and curve", "neither"},
		{"zero per", head + "  lane:\n    actions:\n      bit_product: {value: 1, per: 0}\n",
			6, "components.lane.actions.bit_product.per", "a positive number", `"0"`},
		{"unknown key in quantity", head + "  lane:\n    actions:\n      bit_product: {value: 1, comment: x}\n",
			6, "components.lane.actions.bit_product.comment", "a key among value, curve", `unknown key "comment"`},
		{"curve without points", head + "  k_sram:\n    actions:\n      read_bit:\n        curve: {of: [size_bytes]}\n",
			7, "components.k_sram.actions.read_bit.curve.points", "required", `no key "points"`},
		{"curve points decreasing", head + "  k_sram:\n    actions:\n      read_bit:\n        curve:\n          of: [size_bytes]\n          points: [[32768, 20], [8192, 10]]\n",
			9, "components.k_sram.actions.read_bit.curve.points[1][0]", "an abscissa above the previous one (32768)", `"8192"`},
		{"curve zero y", head + "  k_sram:\n    actions:\n      read_bit:\n        curve:\n          of: [size_bytes]\n          points: [[1, 0], [2, 1]]\n",
			9, "components.k_sram.actions.read_bit.curve.points[0][1]", "a positive value in pJ", `"0"`},
		{"curve point not a pair", head + "  k_sram:\n    actions:\n      read_bit:\n        curve:\n          of: [size_bytes]\n          points: [[1, 2, 3]]\n",
			9, "components.k_sram.actions.read_bit.curve.points[0]", "an [x, y] pair", "a list"},
		{"curve empty points", head + "  k_sram:\n    actions:\n      read_bit:\n        curve:\n          of: [size_bytes]\n          points: []\n",
			9, "components.k_sram.actions.read_bit.curve.points", "at least one", "an empty list"},
		{"curve bad outside", head + "  k_sram:\n    actions:\n      read_bit:\n        curve: {of: [size_bytes], points: [[1, 1]], outside: wrap}\n",
			7, "components.k_sram.actions.read_bit.curve.outside", "extrapolate or clamp", `"wrap"`},
		{"curve of is a string", head + "  k_sram:\n    actions:\n      read_bit:\n        curve: {of: size_bytes, points: [[1, 1]]}\n",
			7, "components.k_sram.actions.read_bit.curve.of", "a list of attribute names", `"size_bytes"`},
		{"bad attribute name", head + "  k_sram:\n    area_um2: {value: 1, times: [size bytes]}\n",
			5, "components.k_sram.area_um2.times[0]", "a list of attribute names", `"size bytes"`},
		{"duplicate key", head + "  lane:\n    area_um2: 1\n  lane:\n    area_um2: 2\n",
			6, "components.lane", "each key once", `a second "lane"`},
		{"duplicate action", head + "  lane:\n    actions:\n      bit_product: 1\n      bit_product: 2\n",
			7, "components.lane.actions.bit_product", "each key once", `a second "bit_product" (the first is on line 6)`},
		{"duplicate top-level key", "name: t\nnode: 45nm\nname: u\ncomponents: {}\n",
			3, "name", "each key once", `a second "name" (the first is on line 1)`},
		{"missing name", "node: 45nm\ncomponents: {}\n",
			1, "name", "required", `no key "name"`},
		{"missing node", "name: t\ncomponents: {}\n",
			1, "node", "required unless base", `no key "node"`},
		{"name is a number", "name: 12\nnode: 45nm\ncomponents: {}\n",
			1, "name", "a table name", `"12"`},
		{"unknown base", "name: t\nbase: 3nm\n",
			2, "base", "a built-in table: 28nm, 45nm, 65nm", `"3nm"`},
		{"top level is a list", "- name: t\n",
			1, "", "a table mapping", "a list"},
		{"empty file", "",
			1, "", "a YAML mapping", "an empty file"},
		{"two documents", head + "  lane: {area_um2: 1}\n---\nname: u\n",
			5, "", "a single YAML document", "a second document"},
		{"unclosed flow list", "name: t\nnode: [45nm\n",
			2, "", "valid YAML", "did not find expected ',' or ']'"},
		{"bad indentation", "name: t\ncomponents:\n  lane:\n    area_um2: 1\n   actions: {}\n",
			3, "", "valid YAML", "did not find expected key"},
		{"tab", "name: t\n\tnode: 45nm\n",
			2, "", "valid YAML", "found a tab character that violates indentation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := ParseTable([]byte(tt.src), "tables/my.yaml")
			if err == nil {
				t.Fatalf("no error; parsed %+v", tb)
			}
			var te *TableError
			if !errors.As(err, &te) {
				t.Fatalf("error %v (%T) is not a *TableError", err, err)
			}
			if te.File != "tables/my.yaml" || te.Line != tt.line || te.Key != tt.key ||
				!strings.Contains(te.Expected, tt.expected) || !strings.Contains(te.Got, tt.got) {
				t.Errorf("got  %#v\nwant line %d key %q expected ~%q got ~%q", te, tt.line, tt.key, tt.expected, tt.got)
			}
			if !strings.HasPrefix(err.Error(), "tables/my.yaml:") {
				t.Errorf("message %q does not start with the file", err)
			}
		})
	}
}

// TestTableErrorMessage checks the full message of the brief's example.
func TestTableErrorMessage(t *testing.T) {
	src := "name: t\nnode: 45nm\ncomponents:\n  k_sram:\n    actions:\n      read_bit: abc\n"
	_, err := ParseTable([]byte(src), "tables/my.yaml")
	want := `tables/my.yaml:6: components.k_sram.actions.read_bit: expected a non-negative number of pJ, got "abc"`
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant  %s", err, want)
	}
}

// TestLoadTable checks loading from a file and the error for a missing one.
func TestLoadTable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.yaml")
	if err := os.WriteFile(path, []byte("name: t\nnode: 45nm\ncomponents:\n  dram: {actions: {read_byte: 100}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tb, err := LoadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Components[DRAM].Actions[ReadByte].Value != 100 {
		t.Errorf("dram %+v", tb.Components[DRAM])
	}
	if _, err := LoadTable(filepath.Join(dir, "missing.yaml")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestValidate checks Validate on tables built in Go.
func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		tb   *Table
		want string
	}{
		{"unknown component", &Table{Name: "x", Components: map[string]*ComponentEntry{"gpu": {}}}, `unknown component "gpu"`},
		{"unknown action", &Table{Name: "x", Components: map[string]*ComponentEntry{
			Lane: {Actions: map[string]Quantity{"fly": {}}}}}, `unknown action "fly"`},
		{"negative", &Table{Name: "x", Components: map[string]*ComponentEntry{
			Lane: {Actions: map[string]Quantity{BitProduct: {Value: -1}}}}}, "lane.bit_product"},
		{"bad curve", &Table{Name: "x", Components: map[string]*ComponentEntry{
			Lane: {Area: Quantity{Curve: &Curve{Points: []Point{{2, 1}, {1, 1}}}}}}}, "increasing"},
		{"nil entry", &Table{Name: "x", Components: map[string]*ComponentEntry{Lane: nil}}, "nil entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.tb.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
