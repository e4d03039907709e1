package energy

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

// Horowitz, ISSCC 2014, 45 nm 0.9 V: the sourced numbers of the default table.
const (
	hAdd8, hAdd32     = 0.03, 0.1 // pJ
	hFAdd16, hFMul16  = 0.4, 1.1
	hFAdd32, hFMul32  = 0.9, 3.7
	hAAdd8, hAAdd32   = 36.0, 137.0 // um^2
	hAFAdd16, hAFMul1 = 1360.0, 1640.0
	hAFAdd32, hAFMul3 = 4184.0, 7700.0
)

// derived recomputes every derived number of tables/45nm.yaml from the sourced numbers and the
// rules R1-R5 stated in the file and in README.md.
func derived() map[string]float64 {
	// R1: adders of other widths by a power law through the 8- and 32-bit adds.
	alpha := math.Log(hAdd32/hAdd8) / math.Log(4)
	beta := math.Log(hAAdd32/hAAdd8) / math.Log(4)
	eAdd := func(w float64) float64 { return hAdd8 * math.Pow(w/8, alpha) }
	aAdd := func(w float64) float64 { return hAAdd8 * math.Pow(w/8, beta) }
	// R2: gates by transistor count against a 28-transistor full adder bit.
	eFA, aFA := hAdd8/8, hAAdd8/8
	eAND, aAND := 6.0/28*eFA, 6.0/28*aFA
	eFF, aFF := 24.0/28*eFA, 24.0/28*aFA
	eClk := 8.0 / 28 * eFA
	// R3: nominal datapath.
	const d, dv, bq, bk, p, counters, counterBits = 64.0, 64.0, 8.0, 8.0, 1.0, 4.0, 16.0
	W := bq + bk + math.Log2(d)
	// R4: leakage fraction.
	const leak = 0.1

	bitProduct := bq*eAND + eAdd(bq+1)
	accumulate := eAdd(W) + W*eFF
	compare := 2 * eAdd(W)
	exp := 4*hFMul16 + 4*hFAdd16 + hAdd8 + hFAdd32
	mac := hFMul16 + hFAdd32 + 32*eFF
	divide := 5*hFMul32 + 2*hFAdd32
	sFE := d*bq + (bq + math.Log2(d)) + W + counters*counterBits
	sBE := dv*32 + 32 + counters*counterBits
	feBusy := sFE*eClk + counters*eAdd(counterBits)
	beBusy := sBE*eClk + counters*eAdd(counterBits)
	return map[string]float64{
		"lane.bit_product":       bitProduct,
		"lane.accumulate":        accumulate,
		"lane.leakage":           leak * (d*p*bitProduct + p*accumulate),
		"lane.area":              d*bq*aAND + (d-1)*aAdd(bq+1) + aAdd(W) + W*aFF,
		"comparator.compare":     compare,
		"comparator.leakage":     leak * compare,
		"comparator.area":        2 * aAdd(W),
		"sram.area":              8 * 0.346 / 0.7,
		"dram.read_byte":         (1300.0 + 2600.0) / 2 / 8,
		"fifo.area":              aFF,
		"exp_unit.exp":           exp,
		"exp_unit.leakage":       leak * exp,
		"exp_unit.area":          4*hAFMul1 + 4*hAFAdd16 + hAAdd8 + hAFAdd32,
		"mac_array.mac":          mac,
		"mac_array.leakage":      leak * mac,
		"mac_array.area":         hAFMul1 + hAFAdd32,
		"normalizer.divide":      divide,
		"normalizer.leakage":     leak * divide,
		"normalizer.area":        hAFMul3 + hAFAdd32 + 3*32*aFF,
		"fe_unit.busy_cycle":     feBusy,
		"fe_unit.idle_cycle":     leak * sFE * eClk,
		"fe_unit.leakage":        leak * feBusy,
		"fe_unit.area":           sFE*aFF + counters*aAdd(counterBits),
		"be_unit.busy_cycle":     beBusy,
		"be_unit.idle_cycle":     leak * sBE * eClk,
		"be_unit.leakage":        leak * beBusy,
		"be_unit.area":           sBE*aFF + counters*aAdd(counterBits),
		"sram.points.8KB":        10,
		"sram.points.32KB":       20,
		"sram.points.1MB":        100,
		"sram.leakage.points.8K": leak * 10,
		"fifo.leakage.points.8K": leak * 2 * 10,
	}
}

// TestDefaultDerivations checks that every number of tables/45nm.yaml is its sourced value or
// its derivation, rounded to 4 significant digits.
func TestDefaultDerivations(t *testing.T) {
	tb, err := DefaultTable("45nm")
	if err != nil {
		t.Fatal(err)
	}
	c := tb.Components
	got := map[string]float64{
		"lane.bit_product":       c[Lane].Actions[BitProduct].Value,
		"lane.accumulate":        c[Lane].Actions[Accumulate].Value,
		"lane.leakage":           c[Lane].Leakage.Value,
		"lane.area":              c[Lane].Area.Value,
		"comparator.compare":     c[Comparator].Actions[Compare].Value,
		"comparator.leakage":     c[Comparator].Leakage.Value,
		"comparator.area":        c[Comparator].Area.Value,
		"sram.area":              c[KSRAM].Area.Value,
		"dram.read_byte":         c[DRAM].Actions[ReadByte].Value,
		"fifo.area":              c[FIFO].Area.Value,
		"exp_unit.exp":           c[ExpUnit].Actions[Exp].Value,
		"exp_unit.leakage":       c[ExpUnit].Leakage.Value,
		"exp_unit.area":          c[ExpUnit].Area.Value,
		"mac_array.mac":          c[MACArray].Actions[MAC].Value,
		"mac_array.leakage":      c[MACArray].Leakage.Value,
		"mac_array.area":         c[MACArray].Area.Value,
		"normalizer.divide":      c[Normalizer].Actions[Divide].Value,
		"normalizer.leakage":     c[Normalizer].Leakage.Value,
		"normalizer.area":        c[Normalizer].Area.Value,
		"fe_unit.busy_cycle":     c[FEUnit].Actions[BusyCycle].Value,
		"fe_unit.idle_cycle":     c[FEUnit].Actions[IdleCycle].Value,
		"fe_unit.leakage":        c[FEUnit].Leakage.Value,
		"fe_unit.area":           c[FEUnit].Area.Value,
		"be_unit.busy_cycle":     c[BEUnit].Actions[BusyCycle].Value,
		"be_unit.idle_cycle":     c[BEUnit].Actions[IdleCycle].Value,
		"be_unit.leakage":        c[BEUnit].Leakage.Value,
		"be_unit.area":           c[BEUnit].Area.Value,
		"sram.points.8KB":        c[KSRAM].Actions[ReadBit].Curve.Points[0].Y,
		"sram.points.32KB":       c[KSRAM].Actions[ReadBit].Curve.Points[1].Y,
		"sram.points.1MB":        c[KSRAM].Actions[ReadBit].Curve.Points[2].Y,
		"sram.leakage.points.8K": c[KSRAM].Leakage.Curve.Points[0].Y,
		"fifo.leakage.points.8K": c[FIFO].Leakage.Curve.Points[0].Y,
	}
	want := derived()
	for _, k := range sortedKeys(want) {
		w, g := want[k], got[k]
		if rel := math.Abs(g-w) / w; rel > 5.01e-4 {
			t.Errorf("%s = %v in tables/45nm.yaml, derivation gives %.6g (relative error %.2g)", k, g, w, rel)
		}
	}
}

// TestDefaultCurves checks the capacity curves and the attributes they use.
func TestDefaultCurves(t *testing.T) {
	tb, err := DefaultTable("45nm")
	if err != nil {
		t.Fatal(err)
	}
	wantPoints := []Point{{8192, 10}, {32768, 20}, {1048576, 100}}
	for _, comp := range []string{QSRAM, KSRAM, VSRAM} {
		for _, act := range []string{ReadBit, WriteBit} {
			q := tb.Components[comp].Actions[act]
			if q.Curve == nil || !reflect.DeepEqual(q.Curve.Points, wantPoints) || q.Per != 64 ||
				!reflect.DeepEqual(q.Curve.Of, []string{AttrSizeBytes}) || q.Curve.Clamp {
				t.Errorf("%s.%s = %+v, curve %+v: want Horowitz's SRAM points per 64 bits over size_bytes", comp, act, q, q.Curve)
			}
		}
	}
	for _, act := range []string{Push, Pop} {
		q := tb.Components[FIFO].Actions[act]
		if q.Curve == nil || !reflect.DeepEqual(q.Curve.Points, wantPoints) || q.Per != 64 || q.Curve.Scale != 0.125 ||
			!reflect.DeepEqual(q.Curve.Of, []string{AttrDepth, AttrWidthBits}) || !reflect.DeepEqual(q.Times, []string{AttrWidthBits}) {
			t.Errorf("fifo.%s = %+v, curve %+v", act, q, q.Curve)
		}
	}
}

// TestDefaultComplete checks that the default tables price every component and action of the
// vocabulary and that every entry says where it comes from.
func TestDefaultComplete(t *testing.T) {
	for _, node := range DefaultNodes() {
		tb, err := DefaultTable(node)
		if err != nil {
			t.Fatal(err)
		}
		if err := tb.Validate(); err != nil {
			t.Errorf("%s: %v", node, err)
		}
		for comp, acts := range Vocabulary() {
			e := tb.Components[comp]
			if e == nil {
				t.Errorf("%s: component %s missing", node, comp)
				continue
			}
			if e.Source == "" {
				t.Errorf("%s: %s has no source", node, comp)
			}
			for _, a := range acts {
				q, ok := e.Actions[a]
				if !ok || q.Source == "" {
					t.Errorf("%s: %s.%s missing or without source", node, comp, a)
				}
			}
			if !e.Leakage.isZero() && e.Leakage.Source == "" {
				t.Errorf("%s: %s leakage without source", node, comp)
			}
			if !e.Area.isZero() && e.Area.Source == "" {
				t.Errorf("%s: %s area without source", node, comp)
			}
			if comp != DRAM && (e.Leakage.isZero() || e.Area.isZero()) {
				t.Errorf("%s: %s has no leakage or no area", node, comp)
			}
		}
	}
}

// TestNodeScaling checks the 28 nm and 65 nm tables against the 45 nm one and the rule.
func TestNodeScaling(t *testing.T) {
	base, err := DefaultTable("45nm")
	if err != nil {
		t.Fatal(err)
	}
	// Supply voltages of the scaling rule: 0.9 V at 45 and 28 nm, 1.0 V at 65 nm.
	vdd45, vdd28 := 0.9, 0.9
	tests := []struct {
		node         string
		energy, area float64
	}{
		{"45nm", 1, 1},
		{"28nm", (28.0 / 45) * (vdd28 / vdd45) * (vdd28 / vdd45), (28.0 / 45) * (28.0 / 45)},
		{"65nm", (65.0 / 45) * (1.0 / 0.9) * (1.0 / 0.9), (65.0 / 45) * (65.0 / 45)},
	}
	for _, tt := range tests {
		t.Run(tt.node, func(t *testing.T) {
			s, err := NodeScaling("45nm", tt.node)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(s.Energy-tt.energy) > 1e-15 || math.Abs(s.Area-tt.area) > 1e-15 {
				t.Fatalf("scaling %+v, want energy %v area %v", s, tt.energy, tt.area)
			}
			tb, err := DefaultTable(tt.node)
			if err != nil {
				t.Fatal(err)
			}
			if tb.Node != tt.node {
				t.Errorf("node %q, want %q", tb.Node, tt.node)
			}
			for comp, e := range base.Components {
				ke, ka := s.Energy, s.Area
				if comp == DRAM {
					ke, ka = 1, 1
				}
				se := tb.Components[comp]
				for a, q := range e.Actions {
					checkScaled(t, comp+"."+a, q, se.Actions[a], ke)
				}
				checkScaled(t, comp+" leakage", e.Leakage.Quantity, se.Leakage.Quantity, ke)
				checkScaled(t, comp+" area", e.Area, se.Area, ka)
				if se.Leakage.Unit != e.Leakage.Unit {
					t.Errorf("%s leakage unit changed", comp)
				}
			}
		})
	}
	if _, err := DefaultTable("7nm"); err == nil || !strings.Contains(err.Error(), "28nm, 45nm, 65nm") {
		t.Errorf("DefaultTable(7nm): %v, want an error listing the nodes", err)
	}
	if _, err := NodeScaling("45nm", "3nm"); err == nil {
		t.Error("NodeScaling to 3nm: no error")
	}
}

// checkScaled checks that got is want with every value multiplied by k.
func checkScaled(t *testing.T, what string, want, got Quantity, k float64) {
	t.Helper()
	if got.Value != want.Value*k || got.Per != want.Per || !reflect.DeepEqual(got.Times, want.Times) {
		t.Errorf("%s: %+v, want %+v scaled by %v", what, got, want, k)
	}
	if (want.Curve == nil) != (got.Curve == nil) {
		t.Fatalf("%s: curve presence differs", what)
	}
	if want.Curve != nil {
		for i, p := range want.Curve.Points {
			g := got.Curve.Points[i]
			if g.X != p.X || g.Y != p.Y*k {
				t.Errorf("%s point %d: %v, want (%v, %v)", what, i, g, p.X, p.Y*k)
			}
		}
	}
}

// TestWriteYAMLRoundTrip checks that WriteYAML's output parses back to an equal table.
func TestWriteYAMLRoundTrip(t *testing.T) {
	tables := map[string]*Table{}
	for _, node := range DefaultNodes() {
		tb, err := DefaultTable(node)
		if err != nil {
			t.Fatal(err)
		}
		tables[node] = tb
	}
	tables["mW and clamp"] = &Table{Name: "x", Node: "7nm", Components: map[string]*ComponentEntry{
		Lane: {Leakage: Leakage{Quantity: Quantity{Value: 1e-7}, Unit: MilliWatt},
			Actions: map[string]Quantity{BitProduct: {Value: 1.5e22}, Accumulate: {Curve: &Curve{Of: []string{"x"},
				Points: []Point{{1, 2}, {4, 3}}, Clamp: true}}}},
	}}
	for _, name := range sortedKeys(tables) {
		tb := tables[name]
		var buf bytes.Buffer
		if err := tb.WriteYAML(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ParseTable(buf.Bytes(), name+".yaml")
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, buf.String())
		}
		if !reflect.DeepEqual(back, tb) {
			t.Errorf("%s: round trip differs:\n%s", name, buf.String())
		}
	}
}
