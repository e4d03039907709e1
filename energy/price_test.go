package energy

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// handTable is a small table whose numbers are exact in binary floating point.
func handTable() *Table {
	return &Table{Name: "hand", Node: "test", Components: map[string]*ComponentEntry{
		Lane: {
			Actions: map[string]Quantity{BitProduct: {Value: 0.25}, Accumulate: {Value: 1.5}},
			Leakage: Leakage{Quantity: Quantity{Value: 0.125}, Unit: PJPerCycle},
			Area:    Quantity{Value: 100},
		},
		KSRAM: {
			Actions: map[string]Quantity{
				ReadBit:  {Curve: &Curve{Of: []string{AttrSizeBytes}, Points: []Point{{8192, 10}, {32768, 20}}}, Per: 64},
				WriteBit: {Value: 0.5},
			},
			Leakage: Leakage{Quantity: Quantity{Value: 2}, Unit: MilliWatt},
			Area:    Quantity{Value: 4, Times: []string{AttrSizeBytes}},
		},
		DRAM: {Actions: map[string]Quantity{ReadByte: {Value: 250}}},
	}}
}

// TestPriceHandComputed checks Price against sums worked out by hand.
func TestPriceHandComputed(t *testing.T) {
	tests := []struct {
		name                         string
		counts                       Counts
		total, dynamic, leakage, are float64
	}{
		{
			name: "lane only",
			counts: Counts{Cycles: 100, Components: map[string]ComponentCounts{
				Lane: {Instances: 4, Actions: map[string]int64{BitProduct: 1000, Accumulate: 10}},
			}},
			// 1000*0.25 + 10*1.5 = 265; leakage 4*0.125*100 = 50.
			total: 315, dynamic: 265, leakage: 50, are: 400,
		},
		{
			name: "sram at a reference capacity, leakage in mW",
			counts: Counts{Cycles: 1000, ClockHz: 500e6, Components: map[string]ComponentCounts{
				KSRAM: {Instances: 2, Attributes: map[string]float64{AttrSizeBytes: 32768},
					Actions: map[string]int64{ReadBit: 6400, WriteBit: 8}},
			}},
			// 6400*(20/64) + 8*0.5 = 2004; 2 mW at 500 MHz = 4 pJ/cycle, *2*1000 = 8000.
			total: 10004, dynamic: 2004, leakage: 8000, are: 2 * 4 * 32768,
		},
		{
			name: "dram and zero cycles",
			counts: Counts{Components: map[string]ComponentCounts{
				DRAM: {Instances: 1, Actions: map[string]int64{ReadByte: 4}},
			}},
			total: 1000, dynamic: 1000,
		},
		{
			name: "component with instances but no actions",
			counts: Counts{Cycles: 8, Components: map[string]ComponentCounts{
				Lane: {Instances: 2},
			}},
			total: 2, leakage: 2, are: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := handTable().Price(tt.counts)
			if err != nil {
				t.Fatal(err)
			}
			if r.TotalPJ != tt.total || r.DynamicPJ != tt.dynamic || r.LeakagePJ != tt.leakage || r.AreaUM2 != tt.are {
				t.Errorf("total %v dynamic %v leakage %v area %v, want %v %v %v %v",
					r.TotalPJ, r.DynamicPJ, r.LeakagePJ, r.AreaUM2, tt.total, tt.dynamic, tt.leakage, tt.are)
			}
			if r.Table != "hand" || r.Node != "test" || r.Cycles != tt.counts.Cycles {
				t.Errorf("report header %q %q %d", r.Table, r.Node, r.Cycles)
			}
		})
	}
}

// runCounts are counts of a plausible run over every component, with the SRAM and FIFO sizes
// at the reference capacities of the default curves.
func runCounts() Counts {
	var c Counts
	c.Cycles = 987654
	c.ClockHz = 1e9
	set := func(comp string, inst int64, acts map[string]int64) {
		c.SetInstances(comp, inst)
		for a, n := range acts {
			c.Add(comp, a, n)
		}
	}
	set(Lane, 64, map[string]int64{BitProduct: 123456789, Accumulate: 1929012})
	set(Comparator, 64, map[string]int64{Compare: 1929013})
	set(QSRAM, 1, map[string]int64{ReadBit: 2097152, WriteBit: 2097152})
	set(KSRAM, 1, map[string]int64{ReadBit: 123456789, WriteBit: 33554432})
	set(VSRAM, 1, map[string]int64{ReadBit: 7777777, WriteBit: 33554432})
	set(DRAM, 1, map[string]int64{ReadByte: 8388608})
	set(FIFO, 4, map[string]int64{Push: 31337, Pop: 31337})
	set(ExpUnit, 4, map[string]int64{Exp: 31337})
	set(MACArray, 64, map[string]int64{MAC: 31337 * 64})
	set(Normalizer, 4, map[string]int64{Divide: 4096 * 64})
	set(FEUnit, 4, map[string]int64{BusyCycle: 3900000, IdleCycle: 50616})
	set(BEUnit, 4, map[string]int64{BusyCycle: 900000, IdleCycle: 3050616})
	c.SetAttribute(QSRAM, AttrSizeBytes, 8192)
	c.SetAttribute(KSRAM, AttrSizeBytes, 1048576)
	c.SetAttribute(VSRAM, AttrSizeBytes, 32768)
	c.SetAttribute(FIFO, AttrDepth, 1024)
	c.SetAttribute(FIFO, AttrWidthBits, 64) // 1024*64/8 = 8192 bytes
	for _, comp := range []string{Lane, Comparator} {
		c.SetAttribute(comp, AttrBitsQ, 16)
		c.SetAttribute(comp, AttrPlanesPerStep, 2)
		c.SetAttribute(comp, AttrPsumBits, 38) // 16 + 16 + log2 64
	}
	return c
}

// entryPrice recomputes the energy of one action of the default table from the entry itself:
// the constant, or, at a reference capacity, the curve point / per * times.
func entryPrice(t *testing.T, q Quantity, attrs map[string]float64) float64 {
	t.Helper()
	v := q.Value
	if q.Curve != nil {
		x := q.Curve.Scale
		if x == 0 {
			x = 1
		}
		for _, a := range q.Curve.Of {
			x *= attrs[a]
		}
		found := false
		for _, p := range q.Curve.Points {
			if p.X == x {
				v, found = p.Y, true
			}
		}
		if !found {
			t.Fatalf("x = %v is not a reference point", x)
		}
	}
	if q.Per != 0 {
		v /= q.Per
	}
	for _, a := range q.Times {
		v *= attrs[a]
	}
	return v
}

// TestPriceTotalExact recomputes the totals from the counts and the table entries, in the
// documented order, and requires equality to the last bit.
func TestPriceTotalExact(t *testing.T) {
	for _, node := range DefaultNodes() {
		t.Run(node, func(t *testing.T) {
			tb, err := DefaultTable(node)
			if err != nil {
				t.Fatal(err)
			}
			c := runCounts()
			r, err := tb.Price(c)
			if err != nil {
				t.Fatal(err)
			}
			var total, dyn, leak, area float64
			for _, comp := range sortedKeys(c.Components) {
				cc := c.Components[comp]
				e := tb.Components[comp]
				for _, a := range sortedKeys(cc.Actions) {
					term := float64(cc.Actions[a]) * entryPrice(t, e.Actions[a], cc.Attributes)
					total += term
					dyn += term
				}
				var perCycle float64
				if !e.Leakage.isZero() {
					perCycle = entryPrice(t, e.Leakage.Quantity, cc.Attributes)
				}
				lterm := float64(cc.Instances) * perCycle * float64(c.Cycles)
				total += lterm
				leak += lterm
				var a float64
				if !e.Area.isZero() {
					a = entryPrice(t, e.Area, cc.Attributes)
				}
				area += float64(cc.Instances) * a
			}
			if r.TotalPJ != total || r.DynamicPJ != dyn || r.LeakagePJ != leak || r.AreaUM2 != area {
				t.Errorf("report total %v dynamic %v leakage %v area %v; recomputed %v %v %v %v",
					r.TotalPJ, r.DynamicPJ, r.LeakagePJ, r.AreaUM2, total, dyn, leak, area)
			}
			// The per-action lines add up too, in order.
			var sum float64
			for _, cr := range r.Components {
				var ct float64
				for _, ar := range cr.Actions {
					if ar.PJ != float64(ar.Count)*ar.PJPerAction {
						t.Errorf("%s.%s: pj %v != count*each", cr.Name, ar.Name, ar.PJ)
					}
					sum += ar.PJ
					ct += ar.PJ
				}
				sum += cr.LeakagePJ
				ct += cr.LeakagePJ
				if ct != cr.TotalPJ {
					t.Errorf("%s: total %v, lines sum to %v", cr.Name, cr.TotalPJ, ct)
				}
			}
			if sum != r.TotalPJ {
				t.Errorf("lines sum to %v, total %v", sum, r.TotalPJ)
			}
		})
	}
}

// TestPriceDeterministic prices the same counts many times (Go randomizes map order) and through
// a JSON round trip of the counts, and requires identical reports.
func TestPriceDeterministic(t *testing.T) {
	tb, err := DefaultTable("45nm")
	if err != nil {
		t.Fatal(err)
	}
	first, err := tb.Price(runCounts())
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(runCounts())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		var c Counts
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatal(err)
		}
		r, err := tb.Price(c)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r, first) {
			t.Fatalf("run %d differs", i)
		}
	}
	var a, b bytes.Buffer
	if err := first.WriteText(&a); err != nil {
		t.Fatal(err)
	}
	if err := first.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() || !strings.Contains(a.String(), "k_sram") || !strings.Contains(a.String(), "total area") {
		t.Errorf("text report:\n%s", a.String())
	}
}

// TestPriceErrors checks that bad counts are rejected with a message naming what is wrong.
func TestPriceErrors(t *testing.T) {
	tests := []struct {
		name   string
		counts Counts
		want   []string
	}{
		{"component not in table", Counts{Components: map[string]ComponentCounts{
			FIFO: {Instances: 1, Actions: map[string]int64{Push: 1}}}},
			[]string{`component "fifo"`, `table "hand"`}},
		{"action not in table", Counts{Components: map[string]ComponentCounts{
			DRAM: {Instances: 1, Actions: map[string]int64{"write_byte": 0}}}},
			[]string{`action "write_byte"`, `component "dram"`, `table "hand"`}},
		{"negative count", Counts{Components: map[string]ComponentCounts{
			Lane: {Instances: 1, Actions: map[string]int64{BitProduct: -1}}}},
			[]string{`"lane"`, `"bit_product"`, "count = -1"}},
		{"negative instances", Counts{Components: map[string]ComponentCounts{
			Lane: {Instances: -2}}},
			[]string{`"lane"`, "instances = -2"}},
		{"negative cycles", Counts{Cycles: -1}, []string{"cycles = -1"}},
		{"missing attribute", Counts{Components: map[string]ComponentCounts{
			KSRAM: {Instances: 1, Actions: map[string]int64{ReadBit: 1}}}},
			[]string{`"k_sram"`, `"read_bit"`, `attribute "size_bytes" not set`}},
		{"zero capacity", Counts{Components: map[string]ComponentCounts{
			KSRAM: {Instances: 1, Attributes: map[string]float64{AttrSizeBytes: 0}, Actions: map[string]int64{ReadBit: 1}}}},
			[]string{`"k_sram"`, "size_bytes = 0", "positive"}},
		{"NaN attribute", Counts{ClockHz: 1e9, Components: map[string]ComponentCounts{
			KSRAM: {Instances: 1, Attributes: map[string]float64{AttrSizeBytes: math.NaN()}}}},
			[]string{`"k_sram"`, `"size_bytes"`}},
		{"mW leakage without clock", Counts{Cycles: 10, Components: map[string]ComponentCounts{
			KSRAM: {Instances: 1, Attributes: map[string]float64{AttrSizeBytes: 8192}}}},
			[]string{`"k_sram"`, "leakage", "clock_hz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := handTable().Price(tt.counts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestCountsHelpers checks Add, SetInstances and SetAttribute.
func TestCountsHelpers(t *testing.T) {
	var c Counts
	c.Add(Lane, BitProduct, 3)
	c.Add(Lane, BitProduct, 4)
	c.SetInstances(Lane, 8)
	c.SetAttribute(KSRAM, AttrSizeBytes, 4096)
	want := map[string]ComponentCounts{
		Lane:  {Instances: 8, Actions: map[string]int64{BitProduct: 7}},
		KSRAM: {Attributes: map[string]float64{AttrSizeBytes: 4096}},
	}
	if !reflect.DeepEqual(c.Components, want) {
		t.Errorf("counts %+v, want %+v", c.Components, want)
	}
}

// TestCurve checks interpolation at, between and beyond the reference points.
func TestCurve(t *testing.T) {
	sram := &Curve{Of: []string{AttrSizeBytes}, Points: []Point{{8192, 10}, {32768, 20}, {1048576, 100}}}
	clamped := *sram
	clamped.Clamp = true
	s1 := math.Log2(2) / math.Log2(4)  // exponent between 8 KB and 32 KB: 0.5
	s2 := math.Log2(5) / math.Log2(32) // between 32 KB and 1 MB
	tests := []struct {
		name  string
		c     *Curve
		x     float64
		want  float64
		exact bool
	}{
		{"8 KB", sram, 8192, 10, true},
		{"32 KB", sram, 32768, 20, true},
		{"1 MB", sram, 1048576, 100, true},
		{"16 KB, geometric mean", sram, 16384, math.Sqrt(200), false},
		{"256 KB", sram, 262144, 20 * math.Pow(8, s2), false},
		{"4 KB extrapolated", sram, 4096, 10 * math.Pow(0.5, s1), false},
		{"128 B extrapolated", sram, 128, 10 * math.Pow(128.0/8192, s1), false},
		{"4 MB extrapolated", sram, 4 << 20, 100 * math.Pow(4, s2), false},
		{"4 KB clamped", &clamped, 4096, 10, true},
		{"4 MB clamped", &clamped, 4 << 20, 100, true},
		{"16 KB clamped interpolates", &clamped, 16384, math.Sqrt(200), false},
		{"one point", &Curve{Points: []Point{{5, 7}}}, 1e9, 7, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.c.At(tt.x)
			if tt.exact && got != tt.want {
				t.Errorf("At(%v) = %v, want exactly %v", tt.x, got, tt.want)
			}
			if rel := math.Abs(got-tt.want) / tt.want; rel > 1e-13 {
				t.Errorf("At(%v) = %v, want %v", tt.x, got, tt.want)
			}
		})
	}
}

// TestQuantityEval checks the abscissa, per and times steps and their order.
func TestQuantityEval(t *testing.T) {
	fifo := Quantity{Curve: &Curve{Of: []string{AttrDepth, AttrWidthBits}, Scale: 0.125,
		Points: []Point{{8192, 10}, {32768, 20}}}, Per: 64, Times: []string{AttrWidthBits}}
	attrs := map[string]float64{AttrDepth: 4096, AttrWidthBits: 16} // 8192 bytes
	got, err := fifo.Eval(attrs)
	if err != nil {
		t.Fatal(err)
	}
	if want := 10.0 / 64 * 16; got != want {
		t.Errorf("fifo push = %v, want %v", got, want)
	}
	attrs[AttrDepth] = 16 // 32 bytes: extrapolated by the sqrt law
	got, err = fifo.Eval(attrs)
	if err != nil {
		t.Fatal(err)
	}
	if want := 10 * math.Sqrt(32.0/8192) / 64 * 16; math.Abs(got-want) > 1e-15 {
		t.Errorf("small fifo push = %v, want %v", got, want)
	}
	area := Quantity{Value: 3, Times: []string{AttrDepth, AttrWidthBits}}
	if got, _ := area.Eval(attrs); got != 3*16*16 {
		t.Errorf("area = %v", got)
	}
	if _, err := area.Eval(map[string]float64{AttrDepth: 1}); err == nil || !strings.Contains(err.Error(), "width_bits") {
		t.Errorf("missing attribute: %v", err)
	}
}
