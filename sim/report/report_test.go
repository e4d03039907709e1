package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/sim"
)

// TestRegistryWellFormed: every metric has a unique snake_case name, a unit, a description and
// a reader; ratios are never also listed per baseline.
func TestRegistryWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Metrics() {
		if m.Name == "" || strings.ToLower(m.Name) != m.Name || strings.ContainsAny(m.Name, " ,-") {
			t.Errorf("metric name %q is not snake_case", m.Name)
		}
		if seen[m.Name] {
			t.Errorf("metric %q twice", m.Name)
		}
		seen[m.Name] = true
		if m.Unit == "" || m.Description == "" || m.value == nil {
			t.Errorf("metric %q: unit %q, description %q, reader set %v", m.Name, m.Unit, m.Description, m.value != nil)
		}
		if m.Ratio && m.PerBaseline {
			t.Errorf("metric %q is a ratio and per baseline", m.Name)
		}
	}
	for _, cols := range [][]textColumn{cyclesColumns(&sim.Config{ClockGHz: 1}), energyColumns()} {
		if len(cols) == 0 {
			t.Error("empty text table")
		}
	}
}

// TestValueString: the one number format of both CSVs.
func TestValueString(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{count(773), "773"},
		{count(-2), "-2"},
		{number(1), "1"},
		{number(0.75), "0.75"},
		{number(1.0 / 3), "0.3333333333333333"},
		{number(2646978.386404865), "2.646978386404865e+06"},
		{number(144467.6056197142), "144467.6056197142"},
		{Value{Absent: true, Float: 3}, ""},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.v, got, tc.want)
		}
	}
}

// handResult is a result with counts chosen by hand: 2 units of 4 lanes over 100 cycles.
func handResult() *sim.Result {
	cfg := &sim.Config{Name: "hand", ClockGHz: 1, FrontEnd: sim.FrontEnd{Lanes: 4}}
	design := &sim.Stats{Config: "hand", Cycles: 100, Pairs: 40, Survivors: 10, Pushed: 10,
		StepHistogram: []int64{20, 10, 0, 10}, // 20*1 + 10*2 + 10*4 = 80 steps over 40 keys
		FrontEnd: []sim.FrontEndStats{{Busy: 90, Stall: 3, WaitMemory: 5, LaneSteps: 200, LaneStalls: 7},
			{Busy: 70, Stall: 1, WaitMemory: 2, LaneSteps: 120, LaneStalls: 2}},
		BackEnd: []sim.BackEndStats{{Busy: 50, Starved: 4}, {Busy: 30, Starved: 6}},
		DRAM:    sim.DRAMStats{Bytes: 4096, Loads: 2, Busy: 60, WaitBuffer: 9}}
	dense := &sim.Stats{Config: "dense", Cycles: 250, Pairs: 40, Survivors: 10, Pushed: 40,
		StepHistogram: []int64{0, 0, 0, 40}, FrontEnd: []sim.FrontEndStats{{}, {}}, BackEnd: []sim.BackEndStats{{}, {}}}
	return &sim.Result{Engine: "event", Config: cfg, Design: design, Baselines: map[string]*sim.Stats{"dense": dense},
		Order: []string{"dense"}, Speedup: map[string]float64{"dense": 2.5}}
}

// TestMetricsOfHandResult: each metric's value on hand-picked counts, the arithmetic written
// here.
func TestMetricsOfHandResult(t *testing.T) {
	res := handResult()
	design, _ := RunOf(res, DesignRun)
	dense, ok := RunOf(res, "dense")
	if !ok {
		t.Fatal("no dense run")
	}
	for _, tc := range []struct {
		run    Run
		metric string
		want   string
	}{
		{design, "cycles", "100"},
		{dense, "cycles", "250"},
		{design, "speedup", "1"},
		{dense, "speedup", "2.5"},
		{design, "pruning_rate", "0.75"},    // 1 - 10/40
		{design, "mean_steps_per_key", "2"}, // 80 steps / 40 keys
		{dense, "mean_steps_per_key", "4"},  // 160 / 40
		{design, "lane_util", "0.4"},        // (200+120) / (100 cycles * 2 units * 4 lanes)
		{design, "fe_busy", "0.8"},          // (90+70) / (100*2)
		{design, "be_busy", "0.4"},          // (50+30) / (100*2)
		{design, "fe_stall", "4"},           // 3+1
		{design, "lane_stalls", "9"},        // 7+2
		{design, "fe_wait_memory", "7"},     // 5+2
		{design, "be_starved", "10"},        // 4+6
		{design, "dram_wait_buffer", "9"},
		{design, "dram_bytes", "4096"},
		{design, "energy_pj", ""}, // not priced
		{dense, "energy_reduction", ""},
	} {
		m, ok := MetricByName(tc.metric)
		if !ok {
			t.Fatalf("no metric %q", tc.metric)
		}
		if got := m.Of(tc.run).String(); got != tc.want {
			t.Errorf("%s of %s = %q, want %q", tc.metric, tc.run.Name, got, tc.want)
		}
	}
}

// TestCSVHeaderAndRows: run --csv has the run columns, every registry metric, energy_table, and
// one row per run with as many fields.
func TestCSVHeaderAndRows(t *testing.T) {
	res := handResult()
	var b bytes.Buffer
	if err := WriteCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want a header and 2 runs:\n%s", len(lines), b.String())
	}
	header := strings.Split(lines[0], ",")
	if want := len(runColumns()) + len(Metrics()) + 1; len(header) != want {
		t.Errorf("%d columns, want %d", len(header), want)
	}
	if header[len(runColumns())] != "cycles" || header[len(header)-1] != "energy_table" {
		t.Errorf("header %v", header)
	}
	for _, l := range lines[1:] {
		if n := len(strings.Split(l, ",")); n != len(header) {
			t.Errorf("row %q has %d fields, want %d", l, n, len(header))
		}
	}
	if !strings.HasPrefix(lines[2], "dense,dense,event,") {
		t.Errorf("second row %q, want the dense run", lines[2])
	}
}

// TestTextNamesRegistryMetrics: the text report's tables read registry metrics only, so a
// renamed metric cannot silently print zeros.
func TestTextNamesRegistryMetrics(t *testing.T) {
	res := handResult()
	calls := map[string]bool{}
	for _, cols := range [][]textColumn{cyclesColumns(res.Config), energyColumns()} {
		for _, c := range cols {
			c.cell(func(name string) Value {
				if _, ok := MetricByName(name); !ok {
					t.Errorf("column %q reads unknown metric %q", c.header, name)
				}
				calls[name] = true
				return number(1)
			})
		}
	}
	if len(calls) < 10 {
		t.Errorf("text tables read %d metrics, want at least 10", len(calls))
	}
}

// TestJSONMetricsAreTheRegistry: --json carries every registry metric of every run, with the
// same numbers as run --csv.
func TestJSONMetricsAreTheRegistry(t *testing.T) {
	res := handResult()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Metrics map[string]map[string]json.RawMessage `json:"metrics"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	runs := Runs(res)
	if len(got.Metrics) != len(runs) {
		t.Fatalf("metrics for %d runs, want %d", len(got.Metrics), len(runs))
	}
	for _, r := range runs {
		for _, m := range Metrics() {
			want := m.Of(r).String()
			if want == "" {
				want = "null"
			}
			if g := string(got.Metrics[r.Name][m.Name]); g != want {
				t.Errorf("run %s metric %s: JSON %s, registry %s", r.Name, m.Name, g, want)
			}
		}
	}
}

// TestScopeMetricsByHand: every energy scope has its energy and its reduction metric; on a
// result priced by hand, a reduction is the baseline's energy at the scope over the design's
// (0 when the design's is 0), and every scope is described.
func TestScopeMetricsByHand(t *testing.T) {
	res := handResult()
	scopes := func(dev, ifc, sram float64) map[string]float64 {
		return map[string]float64{sim.ScopeCoreDynamic: 0, sim.ScopeCoreLeakage: 1, sim.ScopeSRAM: sram,
			sim.ScopeOnChip: 1 + sram, sim.ScopeDRAMDevice: dev, sim.ScopeDRAMInterface: ifc, sim.ScopeDRAM: dev + ifc}
	}
	res.Energy = &sim.EnergyResult{Design: sim.EnergySummary{TotalPJ: 1, Scopes: scopes(300, 100, 20)},
		Baselines: map[string]sim.EnergySummary{"dense": {TotalPJ: 2, Scopes: scopes(300, 100, 50)}}}
	design, _ := RunOf(res, DesignRun)
	dense, _ := RunOf(res, "dense")
	for _, tc := range []struct {
		run    Run
		metric string
		want   string
	}{
		{design, "energy_dram_device_pj", "300"},
		{design, "energy_dram_interface_pj", "100"},
		{design, "energy_dram_pj", "400"},
		{dense, "energy_reduction_dram_device", "1"},             // 300 / 300
		{dense, "energy_reduction_dram_interface", "1"},          // 100 / 100
		{dense, "energy_reduction_sram", "2.5"},                  // 50 / 20
		{dense, "energy_reduction_onchip", "2.4285714285714284"}, // 51 / 21
		{dense, "energy_reduction_core_dynamic", "0"},            // the design's is 0
		{design, "energy_reduction_sram", "1"},
	} {
		m, ok := MetricByName(tc.metric)
		if !ok {
			t.Fatalf("no metric %q", tc.metric)
		}
		if got := m.Of(tc.run).String(); got != tc.want {
			t.Errorf("%s of %s = %q, want %q", tc.metric, tc.run.Name, got, tc.want)
		}
	}
	for _, scope := range sim.EnergyScopes() {
		if scopeText[scope] == "" {
			t.Errorf("scope %s has no description", scope)
		}
		for _, name := range []string{"energy_" + scope + "_pj", "energy_reduction_" + scope} {
			if m, ok := MetricByName(name); !ok || !m.Energy {
				t.Errorf("no energy metric %s", name)
			}
		}
	}
}
