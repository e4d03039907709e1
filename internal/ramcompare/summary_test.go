package ramcompare

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// comparisonCSV is a hand-written comparison CSV: the header of WriteCSV and, per row, the
// columns the summary reads (trace, preset, ramulator_requests, lrpsim_bytes, ramulator_bytes,
// lrpsim_active_ns, ramulator_flood_ns, unloaded_lat_mean_ns), the others zero.
func comparisonCSV(rows [][8]string) string {
	var b strings.Builder
	b.WriteString(strings.Join(csvHeader, ",") + "\n")
	read := []string{"trace", "preset", "ramulator_requests", "lrpsim_bytes", "ramulator_bytes",
		"lrpsim_active_ns", "ramulator_flood_ns", "unloaded_lat_mean_ns"}
	for _, r := range rows {
		f := make([]string, len(csvHeader))
		for i, h := range csvHeader {
			f[i] = "0"
			if j := slices.Index(read, h); j >= 0 {
				f[i] = r[j]
			}
		}
		b.WriteString(strings.Join(f, ",") + "\n")
	}
	return b.String()
}

// suiteCSV is a small suite under two presets: under hbm2, "edge-hi" lies at 1.1 (within), "over"
// at 1.2, "edge-lo" at 0.9 (within), "under" at 0.5, and "long" (4 x the others' requests) at 1.
var suiteCSV = comparisonCSV([][8]string{
	{"edge-hi", "hbm2", "100", "3200", "3200", "110.000", "100.000", "12.000"},
	{"edge-hi", "ddr4", "50", "3200", "3200", "500.000", "500.000", "18.000"},
	{"over", "hbm2", "99", "3200", "3168", "120.000", "100.000", "14.000"},
	{"edge-lo", "hbm2", "100", "3200", "3200", "90.000", "100.000", "13.000"},
	{"under", "hbm2", "100", "3200", "3200", "50.000", "100.000", "15.000"},
	{"long", "hbm2", "400", "12800", "12800", "100.000", "200.000", "20.000"},
})

func TestReadComparisonAndFit(t *testing.T) {
	rows, err := ReadComparison(strings.NewReader(suiteCSV))
	if err != nil {
		t.Fatal(err)
	}
	hbm := OfPreset(rows, "hbm2")
	if len(rows) != 6 || len(hbm) != 5 || hbm[1].Trace != "over" || hbm[1].RamulatorBytes != 3168 {
		t.Fatalf("read %d rows, %d hbm2, %+v", len(rows), len(hbm), hbm)
	}
	f := FitOf(hbm, Today(hbm))
	wantMisses := []Miss{{"over", 1.2}, {"under", 0.5}, {"long", 0.5}}
	if f.Within != 2 || f.Total != 5 || !slices.Equal(f.Misses, wantMisses) {
		t.Errorf("fit = %d of %d, misses %v; want 2 of 5, misses %v", f.Within, f.Total, f.Misses, wantMisses)
	}
	if f.MinRatio != 0.5 || f.MaxRatio != 1.2 || math.Abs(f.Worst-math.Log(2)) > 1e-12 {
		t.Errorf("ratios %g-%g, worst %g; want 0.5-1.2, ln 2", f.MinRatio, f.MaxRatio, f.Worst)
	}
	if _, err := ReadComparison(strings.NewReader("trace,preset\nx,hbm2\n")); err == nil {
		t.Error("a CSV without the comparison's header was read")
	}
}

func TestWithin10(t *testing.T) {
	for _, tc := range []struct {
		lrpsim, ramulator float64
		want              bool
	}{
		{110, 100, true}, {90, 100, true}, {100, 100, true}, {110.001, 100, false}, {89.999, 100, false},
		{237, 292, false}, {687, 763, true}, {2382, 2241, true},
	} {
		if got := Within10(tc.lrpsim, tc.ramulator); got != tc.want {
			t.Errorf("Within10(%g, %g) = %v, want %v", tc.lrpsim, tc.ramulator, got, tc.want)
		}
	}
}

func TestInFlight(t *testing.T) {
	for _, tc := range []struct {
		perCycle          float64
		latency, transfer int
		want              int
	}{
		{0.5, 13, 1, 7},     // exactly 7: not rounded up to 8
		{0.1 * 5, 13, 1, 7}, // 0.1 x 5 is not exactly 0.5 in binary
		{0.498, 13, 1, 7},   // 6.97
		{0.25, 18, 3, 6},    // 5.25 rounds up
		{0.5001, 13, 1, 8},  // 7.0014: more than 7 needs 8
		{0, 50, 1, 1},       // at least one request
	} {
		if got := InFlight(tc.perCycle, tc.latency, tc.transfer); got != tc.want {
			t.Errorf("InFlight(%g, %d, %d) = %d, want %d", tc.perCycle, tc.latency, tc.transfer, got, tc.want)
		}
	}
}

func TestCalibrate(t *testing.T) {
	rows, err := ReadComparison(strings.NewReader(suiteCSV))
	if err != nil {
		t.Fatal(err)
	}
	m := Memory{ClockGHz: 1, Channels: 2, BurstBytes: 32, BytesPerCycle: 25, Latency: 50, MaxRequests: 32}
	c := Calibrate(OfPreset(rows, "hbm2"), m)
	// long: 4 x 100 >= 400 and 400, not "over" (4 x 99 < 400); bytes over time summed over them
	if want := []string{"edge-hi", "edge-lo", "under", "long"}; !slices.Equal(c.Long, want) {
		t.Errorf("long traces %v, want %v", c.Long, want)
	}
	if want := (3*3200.0 + 12800) / (110 + 90 + 50 + 100); math.Abs(c.LrpsimGBs-want) > 1e-12 {
		t.Errorf("lrpsim GB/s %g, want %g", c.LrpsimGBs, want)
	}
	if want := 22400.0 / 500; c.RamulatorGBs != want || c.BurstsPerNs != want/32/2 {
		t.Errorf("Ramulator GB/s %g, X %g; want %g, %g", c.RamulatorGBs, c.BurstsPerNs, want, want/32/2)
	}
	// median of 12, 13, 14, 15, 20 (ddr4's 18 left out); t = ceil(32 / 25) = 2;
	// N = ceil(0.7 x (14 + 2)) = ceil(11.2) = 12
	if c.L0ns != 14 || c.Latency != 14 || c.TransferCycles != 2 || c.InFlight != 12 {
		t.Errorf("L0 %g ns, latency %d, t %d, N %d; want 14, 14, 2, 12", c.L0ns, c.Latency, c.TransferCycles, c.InFlight)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median of an even count = %g, want 2.5", got)
	}
	if got := Calibrate(OfPreset(rows, "hbm2"), Memory{ClockGHz: 1.6, Channels: 1, BurstBytes: 64, BytesPerCycle: 25}); got.Latency != 22 {
		t.Errorf("14 ns at 1.6 GHz = %d cycles, want 22 (22.4 rounded)", got.Latency)
	}
}

func TestGridAndBest(t *testing.T) {
	g := Grid(Pair{50, 32}, Calibration{Latency: 20, InFlight: 16})
	// L0 20 is a grid latency and 2N 32 today's in-flight count: each pair once
	want := []Pair{{20, 16}, {20, 32}, {30, 16}, {30, 32}, {40, 16}, {40, 32}, {50, 16}, {50, 32}}
	if !slices.Equal(g, want) {
		t.Errorf("grid %v, want %v", g, want)
	}
	g = Grid(Pair{60, 24}, Calibration{Latency: 13, InFlight: 7})
	want = []Pair{{13, 7}, {13, 14}, {13, 24}, {20, 7}, {20, 14}, {20, 24}, {30, 7}, {30, 14}, {30, 24},
		{40, 7}, {40, 14}, {40, 24}, {60, 7}, {60, 14}, {60, 24}}
	if !slices.Equal(g, want) {
		t.Errorf("grid %v, want %v", g, want)
	}
	trials := []Trial{
		{Pair: Pair{13, 7}, Fit: Fit{Within: 3, Worst: 0.5}},
		{Pair: Pair{30, 14}, Fit: Fit{Within: 5, Worst: 0.4}},
		{Pair: Pair{30, 32}, Fit: Fit{Within: 5, Worst: 0.2}},
		{Pair: Pair{50, 32}, Fit: Fit{Within: 5, Worst: 0.2}},
	}
	if got := Best(trials).Pair; got != (Pair{30, 32}) {
		t.Errorf("best %v, want {30 32}: most within, then nearest worst, then first", got)
	}
}

func TestWriteSummary(t *testing.T) {
	rows, err := ReadComparison(strings.NewReader(suiteCSV))
	if err != nil {
		t.Fatal(err)
	}
	hbm := OfPreset(rows, "hbm2")
	m := Memory{ClockGHz: 1, Channels: 2, BurstBytes: 32, BytesPerCycle: 32, Latency: 50, MaxRequests: 32}
	today := []string{
		"**2 of 5** traces; lrpsim / Ramulator 0.50-1.20",
		"Misses (lrpsim / Ramulator): over 1.200, under 0.500, long 0.500.\n  - over (1.200): at 0.495 bursts a ns a channel, within",
		"\n  - under (0.500): Ramulator sustained 0.500 bursts a ns a channel, below the pair's cap of 0.627",
		"= ceil(0.700 x (14 + 1)) = **11** requests",
		"latency 14, 11 in flight: 4 of 5** within 10% (1.00-1.20); misses: over 1.200.",
		"| 14 | 11 | L0 and X, best | 4 of 5 | 1.00-1.20 |",
		"| 50 | 32 | today | 2 of 5 | 0.50-1.20 |",
	}
	for _, tc := range []struct {
		name   string
		banked string
		// bankedNs are the banked twin's times of hbm's rows (edge-hi, over, edge-lo, under, long).
		bankedNs []float64
		want     []string
		lacks    string
	}{
		{name: "no banked twin", want: today, lacks: "Banked model"},
		{name: "banked twin", banked: "configs/hbm2-banked.yaml", bankedNs: []float64{105, 100, 89, 100, 230},
			want: append(slices.Clone(today), "latency shows.\n- Banked model (`configs/hbm2-banked.yaml`: each burst to the "+
				"channel, bank and row of its address, with row hits, misses and conflicts): **3 of 5** within 10% "+
				"(0.89-1.15); misses: edge-lo 0.890, long 1.150.\n- Sustained")},
		{name: "banked twin, no miss", banked: "configs/b.yaml", bankedNs: []float64{100, 100, 100, 100, 200},
			want: []string{"(`configs/b.yaml`: each burst", "**5 of 5** within 10% (1.00-1.00); misses: none.\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := PresetSummary{Preset: "hbm2", Config: "configs/hbm2.yaml", Memory: m, Today: Pair{50, 32}, Rows: hbm,
				Fit: FitOf(hbm, Today(hbm)), Cal: Calibrate(hbm, m), BankedConfig: tc.banked}
			if tc.bankedNs != nil {
				s.Banked = FitOf(hbm, tc.bankedNs)
			}
			s.Trials = []Trial{{Pair: Pair{14, 11}, Fit: FitOf(hbm, []float64{100, 120, 100, 100, 200})}, {Pair: s.Today, Fit: s.Fit}}
			var b strings.Builder
			if err := WriteSummary(&b, []PresetSummary{s}); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.want {
				if !strings.Contains(b.String(), want) {
					t.Errorf("summary lacks %q:\n%s", want, b.String())
				}
			}
			if tc.lacks != "" && strings.Contains(b.String(), tc.lacks) {
				t.Errorf("summary has %q:\n%s", tc.lacks, b.String())
			}
		})
	}
}

func TestFitConfigChecksTheRequests(t *testing.T) {
	f, err := os.Open(filepath.Join(root, "results", "ramulator", "comparison.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ReadComparison(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	// the smallest trace: the banked twin issues the requests Ramulator replayed (the same bursts)
	i := slices.IndexFunc(rows, func(r Compared) bool { return r.Trace == "memn2n-babi-qa4" && r.Preset == "hbm2" })
	if i < 0 {
		t.Fatal("comparison.csv has no row memn2n-babi-qa4, hbm2")
	}
	config := filepath.Join(root, "configs", "hbm2-banked.yaml")
	one := rows[i : i+1]
	fit, err := FitConfig(config, one)
	if err != nil || fit.Total != 1 || fit.MinRatio <= 0 {
		t.Fatalf("FitConfig = %+v, %v; want a fit of one trace", fit, err)
	}
	for _, tc := range []struct {
		name string
		off  func(r *Compared)
	}{
		{"one request more", func(r *Compared) { r.Replayed++ }},
		{"a burst's bytes more", func(r *Compared) { r.RamulatorBytes += 32 }},
	} {
		r := one[0]
		tc.off(&r)
		if _, err := FitConfig(config, []Compared{r}); err == nil || !strings.Contains(err.Error(), "Ramulator replayed") {
			t.Errorf("%s: FitConfig err = %v, want the requests named", tc.name, err)
		}
	}
}

func TestWhy(t *testing.T) {
	// two channels of 32-B bursts, one cycle each on the bus: the pair 30 / 14 sustains at most
	// 14 / 31 = 0.452 bursts a cycle (a ns at 1 GHz) a channel
	m := Memory{ClockGHz: 1, Channels: 2, BurstBytes: 32, BytesPerCycle: 32}
	p := Pair{Latency: 30, MaxRequests: 14}
	for _, tc := range []struct {
		name string
		r    Compared // 100 bursts of 32 B in each
		want string
	}{
		{"slower, Ramulator above the cap", Compared{RamulatorBytes: 3200, LrpsimNs: 120, FloodNs: 100, FloodLatNs: 20, UnloadedLatNs: 12},
			"Ramulator streamed 0.500 bursts a ns a channel, above the pair's cap of 0.452 (14 / (30 + 1) a cycle); " +
				"its reads averaged 20.0 ns under the flood, and unloaded 12.0 ns"},
		{"slower, within the cap", Compared{RamulatorBytes: 3200, LrpsimNs: 240, FloodNs: 200, FloodLatNs: 18, UnloadedLatNs: 13},
			"at 0.250 bursts a ns a channel, within the pair's cap of 0.452, lrpsim issues its loads as the run frees " +
				"buffers and layers, each paying the fixed 30 cycles, above Ramulator's unloaded 13.0 ns, where the " +
				"flood has every request queued at once (its reads averaged 18.0 ns)"},
		{"faster", Compared{RamulatorBytes: 3200, LrpsimNs: 100, FloodNs: 200, FloodLatNs: 70, UnloadedLatNs: 13},
			"Ramulator sustained 0.250 bursts a ns a channel, below the pair's cap of 0.452: its reads averaged " +
				"70.0 ns under the flood (unloaded 13.0 ns) against lrpsim's fixed 30 cycles, a queueing cost no fixed " +
				"latency shows"},
	} {
		if got := Why(tc.r, m, p); got != tc.want {
			t.Errorf("%s: Why = %q, want %q", tc.name, got, tc.want)
		}
	}
}
