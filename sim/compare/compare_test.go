package compare

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/tabulate"
	"github.com/lrpsim/lrpsim/traces/data"
)

const trace = "bundled:use-lite.npz"

func designs(t *testing.T) []*sim.Config {
	t.Helper()
	var out []*sim.Config
	for _, n := range []string{"leopard.yaml", "policies/row-relative.yaml", "policies/sanger.yaml", "policies/spatten.yaml"} {
		c, err := sim.BundledConfig(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func table(t *testing.T) *energy.Table {
	t.Helper()
	tb, err := energy.DefaultTable("45nm")
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestLeOPArdRowIsTheTable: the LeOPArd design of a comparison is today's `lrpsim table` row,
// number for number, and its exact rule has no false drop.
func TestLeOPArdRowIsTheTable(t *testing.T) {
	cfgs := designs(t)
	rows, err := Build(cfgs, []string{trace}, Options{Table: table(t), Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	want, err := tabulate.Build(cfgs[0], []string{trace}, "", table(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	got := rows[0]
	if got.Speedup != want[0].Speedup || got.EnergyReduction != want[0].EnergyReduction ||
		got.Fidelity.PruningRate() != want[0].PruningRate || got.Fidelity.FalseDrops != 0 {
		t.Errorf("leopard row %+v; table row %+v", got, want[0])
	}
	for _, r := range rows[1:] {
		if r.Policy == "leopard" || r.Speedup <= 0 || r.Fidelity.Pairs != got.Fidelity.Pairs {
			t.Errorf("%s: %+v", r.Config, r)
		}
	}
}

// TestIsoArea: every resized design fits the first one's area, and one unit more would not.
func TestIsoArea(t *testing.T) {
	cfgs := designs(t)
	rows, err := Build(cfgs, []string{trace}, Options{Table: table(t), Jobs: 2, IsoArea: true})
	if err != nil {
		t.Fatal(err)
	}
	ref := rows[0].AreaMM2
	for _, r := range rows {
		if want := float64(rows[0].denseCycles) / float64(r.cycles); r.Speedup != want {
			t.Errorf("%s: speedup %g, want the reference's dense cycles over its cycles, %g", r.Config, r.Speedup, want)
		}
	}
	for _, r := range rows[1:] {
		if r.AreaMM2 > ref*(1+1e-9) {
			t.Errorf("%s: %d units take %.4f mm^2, over the reference's %.4f", r.Config, r.Units, r.AreaMM2, ref)
		}
		bigger := cfgs[indexOf(rows, r.Config)].Clone()
		bigger.Units = r.Units + 1
		more, err := Build([]*sim.Config{bigger}, []string{trace}, Options{Table: table(t), Jobs: 1})
		if err != nil {
			t.Fatal(err)
		}
		if more[0].AreaMM2 <= ref {
			t.Errorf("%s: %d units (%.4f mm^2) would still fit %.4f", r.Config, r.Units+1, more[0].AreaMM2, ref)
		}
	}
}

func indexOf(rows []Row, config string) int {
	for i, r := range rows {
		if r.Config == config {
			return i
		}
	}
	return -1
}

func TestClosedLoopFile(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "use-lite.json"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"schema": "lrpsim-closed-loop/1", "metric": "accuracy", "dense": 0.9, "policies": {"sanger": {"metric": 0.85}}}`)
	r := Row{Workload: trace, Config: "sanger", Metric: math.NaN(), DenseMetric: math.NaN()}
	if err := r.closedLoop(dir); err != nil || r.Metric != 0.85 || r.DenseMetric != 0.9 || r.MetricName != "accuracy" {
		t.Errorf("%+v %v", r, err)
	}
	if r.LowerIsBetter {
		t.Error("no higher_is_better: higher is better")
	}
	write(`{"schema": "lrpsim-closed-loop/1", "metric": "perplexity", "higher_is_better": false, "dense": 10, "policies": {"sanger": {"metric": 12}}}`)
	if err := r.closedLoop(dir); err != nil || !r.LowerIsBetter || MetricLoss(r) != 0.2 {
		t.Errorf("perplexity: %+v %v, loss %g", r, err, MetricLoss(r))
	}
	write(`{"schema": "other"}`)
	if err := r.closedLoop(dir); err == nil || !strings.Contains(err.Error(), "use-lite.json") {
		t.Errorf("bad schema: %v", err)
	}
	r2 := Row{Workload: "bundled:stories260K.npz", Metric: math.NaN()}
	if err := r2.closedLoop(dir); err != nil || !math.IsNaN(r2.Metric) {
		t.Errorf("no file: %+v %v", r2, err)
	}
}

func TestWriteFormats(t *testing.T) {
	rows := []Row{{Workload: "bundled:a.npz", Config: "x", Policy: "leopard", Speedup: 2, EnergyReduction: 4,
		EnergyReductionOnChip: 1, Metric: math.NaN(), DenseMetric: math.NaN()},
		{Workload: "bundled:b.npz", Config: "x", Policy: "leopard", Speedup: 8, EnergyReduction: 1,
			EnergyReductionOnChip: 1, Metric: 0.5, DenseMetric: 0.75}}
	s := Summarize(rows)
	if len(s) != 1 || s[0].Speedup != 4 || s[0].EnergyReduction != 2 || s[0].MetricDrop != 0.25 || s[0].Measured != 1 {
		t.Errorf("summary %+v", s)
	}
	// a perplexity that rises from 10 to 11 is a loss of 0.1 (relative), averaged with the 0.25
	ppl := append(rows, Row{Workload: "bundled:c.npz", Config: "x", Policy: "leopard", Speedup: 1, EnergyReduction: 1,
		EnergyReductionOnChip: 1, Metric: 11, DenseMetric: 10, LowerIsBetter: true})
	if s := Summarize(ppl); math.Abs(s[0].MetricDrop-0.175) > 1e-12 || s[0].Measured != 2 {
		t.Errorf("summary with a lower-is-better metric %+v", s)
	}
	var b bytes.Buffer
	if err := (Table{Rows: rows}).Write(&b, "csv"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) != 3 || recs[1][0] != "a" || recs[2][16] != "0.7500" {
		t.Errorf("csv %v %v", recs, err)
	}
	for _, f := range []string{"md", "latex"} {
		b.Reset()
		if err := (Table{Rows: rows}).Write(&b, f); err != nil || !strings.Contains(b.String(), "8.00x") {
			t.Errorf("%s: %v\n%s", f, err, b.String())
		}
	}
	if err := (Table{Rows: rows}).Write(&b, "html"); err == nil {
		t.Error("html: no error")
	}
}

func TestDenseTraceName(t *testing.T) {
	for in, want := range map[string]string{"bundled:x.npz": "bundled:x-dense.npz", "d/y.npz": "d/y-dense.npz", "bundled:z": "bundled:z-dense"} {
		if got := DenseTraceName(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// TestCompareReadsCommittedClosedLoopFiles: every closed-loop result in results/closed-loop reads as
// ClosedLoopFile, names its workload after its file, has a finite metric per design, and where a
// design ran on the dense model, the dense-model trace that lrpsim compare replays for it is bundled.
func TestCompareReadsCommittedClosedLoopFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "results", "closed-loop", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no closed-loop results: %v", err)
	}
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var f ClosedLoopFile
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		if f.Schema != "lrpsim-closed-loop/1" || f.Workload != name || f.Metric == "" || len(f.Policies) == 0 {
			t.Errorf("%s: schema %q, workload %q, metric %q, %d policies", path, f.Schema, f.Workload, f.Metric, len(f.Policies))
		}
		for cfg, p := range f.Policies {
			if math.IsNaN(p.Metric) || math.IsInf(p.Metric, 0) || p.PruningRate < 0 || p.PruningRate >= 1 {
				t.Errorf("%s: %s: metric %g, pruning rate %g", path, cfg, p.Metric, p.PruningRate)
			}
			switch p.Model {
			case "learned":
			case "dense":
				r, err := data.Open(DenseTraceName(data.BundledPrefix + name + ".npz"))
				if err != nil {
					t.Errorf("%s: %s ran on the dense model, but its trace is not bundled: %v", path, cfg, err)
					continue
				}
				if !r.Meta().DenseModel() {
					t.Errorf("%s: %s-dense.npz is not a dense-model trace (meta.thresholds)", path, name)
				}
				r.Close()
			default:
				t.Errorf("%s: %s: model %q, expected learned or dense", path, cfg, p.Model)
			}
		}
	}
}
