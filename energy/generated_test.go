package energy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestGeneratedTables checks the tables that energy/gen/gen_table.py wrote: each selector loads,
// has its node, prices every component and action of the vocabulary, every quantity names the
// library model (Aladdin or CACTI through hwcomponents, or a DRAM preset) that produced it or says
// it is an assumption, the package versions in its source are those of MANIFEST.yaml, and the
// quantities move with the design as the models say (lane area with the planes per step, SRAM
// energy per bit and area with the capacity).
func TestGeneratedTables(t *testing.T) {
	manifest, err := os.ReadFile("tables/hwc/MANIFEST.yaml")
	if err != nil {
		t.Fatal(err)
	}
	models := regexp.MustCompile(`Aladdin\w+\(tech_node=|hwcomponents_cacti\.\w+\(|assumption`)
	for _, sel := range sortedKeys(generatedNodes()) {
		t.Run(sel, func(t *testing.T) {
			tb, err := DefaultTable(sel)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSuffix(sel, GeneratedSuffix); tb.Node != want || !strings.HasSuffix(tb.Name, want) {
				t.Errorf("name %q node %q, want node %q", tb.Name, tb.Node, want)
			}
			for _, pkg := range []string{"hwcomponents-cacti", "hwcomponents-library"} {
				v := regexp.MustCompile(pkg + `: (\S+)`).FindStringSubmatch(string(manifest))
				if v == nil || !strings.Contains(tb.Source, pkg+" "+v[1]) {
					t.Errorf("table source %q does not name %s at the manifest's version %v", tb.Source, pkg, v)
				}
			}
			for comp, acts := range Vocabulary() {
				e := tb.Components[comp]
				if e == nil {
					t.Fatalf("component %s missing", comp)
				}
				check := func(what string, q Quantity) {
					if !models.MatchString(q.Source) {
						t.Errorf("%s.%s: source %q names no model", comp, what, q.Source)
					}
				}
				for _, a := range acts {
					q, ok := e.Actions[a]
					if !ok {
						t.Errorf("%s.%s missing", comp, a)
					}
					check(a, q)
				}
				if comp != DRAM {
					check("leakage", e.Leakage.Quantity)
					check("area", e.Area)
				}
			}
			lane := tb.Components[Lane].Area
			var prev float64
			for p := 1.0; p <= 16; p *= 2 {
				a, err := lane.Eval(map[string]float64{AttrPlanesPerStep: p})
				if err != nil {
					t.Fatal(err)
				}
				if a <= prev {
					t.Errorf("lane area %v um^2 at %v planes per step, not above %v at fewer", a, p, prev)
				}
				prev = a
			}
			for _, q := range []Quantity{tb.Components[KSRAM].Actions[ReadBit], tb.Components[KSRAM].Area} {
				small, err1 := q.Eval(map[string]float64{AttrSizeBytes: 8192})
				large, err2 := q.Eval(map[string]float64{AttrSizeBytes: 1 << 20})
				if err1 != nil || err2 != nil || !(large > small) {
					t.Errorf("k_sram %q: %v at 8 KiB, %v at 1 MiB (%v, %v): want growth with capacity", q.Source, small, large, err1, err2)
				}
			}
		})
	}
}
