package tabulate

import (
	"bytes"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/traces"
)

// genTrace writes a small synthetic trace; metric, when not nil, is set as its meta.metric and
// model and task are renamed.
func genTrace(t *testing.T, dir, name string, seed uint64, rate float64, metric map[string]any) string {
	t.Helper()
	spec := traces.DefaultGenSpec()
	spec.Seed, spec.PruneRate = seed, rate
	spec.Layers, spec.Heads, spec.SeqLen, spec.D, spec.DV = 2, 2, 32, 16, 16
	path := filepath.Join(dir, name)
	if metric == nil {
		if err := traces.Generate(path, spec); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tmp := filepath.Join(dir, "tmp-"+name)
	if err := traces.Generate(tmp, spec); err != nil {
		t.Fatal(err)
	}
	r, err := traces.Open(tmp)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	meta := r.Meta()
	meta.Model, meta.Task, meta.Metric = "bert_base", "sst-2", metric
	w, err := traces.Create(path, meta)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for i := range r.NumHeads() {
		h, err := r.Head(i)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteHead(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func setup(t *testing.T) (*sim.Config, *energy.Table) {
	t.Helper()
	cfg, err := sim.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	table, err := energy.DefaultTable("45nm")
	if err != nil {
		t.Fatal(err)
	}
	return cfg, table
}

// TestBuildMatchesRun recomputes every row from sim.Run directly: ratios of cycles and of priced
// energy against dense, the pruning rate from survivors over pairs, the mean steps from the
// step histogram, and the metric from the trace's meta.
func TestBuildMatchesRun(t *testing.T) {
	dir := t.TempDir()
	metric := map[string]any{"name": "accuracy", "dense": 0.92, "pruned": 0.9185}
	a := genTrace(t, dir, "a.npz", 1, 0.75, nil)
	b := genTrace(t, dir, "b.npz", 7, 0.9, metric)
	cfg, table := setup(t)
	names := []string{a, b, a}
	rows, err := Build(cfg, names, "", table, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(names) {
		t.Fatalf("%d rows for %d traces", len(rows), len(names))
	}
	for i, name := range names {
		r, err := traces.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		c := cfg.Clone()
		c.Baselines = []string{"dense"}
		res, err := sim.Run(c, r, sim.EngineEvent, sim.Options{})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Price(table); err != nil {
			t.Fatal(err)
		}
		d, dn := res.Design, res.Baselines["dense"]
		var steps int64
		for s, n := range d.StepHistogram {
			steps += int64(s+1) * n
		}
		want := Row{Trace: name, Model: "synthetic", Task: "synthetic", Synthetic: true, Pairs: d.Pairs,
			PruningRate:     1 - float64(d.Survivors)/float64(d.Pairs),
			MeanSteps:       float64(steps) / float64(d.Pairs),
			MaxSteps:        12,
			Speedup:         float64(dn.Cycles) / float64(d.Cycles),
			EnergyReduction: res.Energy.Baselines["dense"].TotalPJ / res.Energy.Design.TotalPJ}
		want.EnergyReductionOnChip = res.Energy.Baselines["dense"].Scopes["onchip"] / res.Energy.Design.Scopes["onchip"]
		top := d.Bound.Top()
		want.Bound, want.BoundShare = top.Short(), d.Bound.Share(top)
		for _, c := range sim.Causes() {
			want.BoundShares = append(want.BoundShares, d.Bound.Share(c))
		}
		if name == b {
			want.Model, want.Task, want.Metric = "bert_base", "sst-2", &Metric{Name: "accuracy", Dense: 0.92, Pruned: 0.9185}
		}
		got := rows[i]
		if got.Metric != nil && want.Metric != nil && *got.Metric == *want.Metric {
			got.Metric = want.Metric
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("row %d:\n got  %+v\n want %+v", i, got, want)
		}
	}
	if rows[0].Speedup <= 1 || rows[0].EnergyReduction <= 1 {
		t.Errorf("expected the design to beat dense on a pruned trace: %+v", rows[0])
	}
	// The number of jobs changes nothing.
	again, err := Build(cfg, names, "", table, 1)
	if err != nil {
		t.Fatal(err)
	}
	var x, y bytes.Buffer
	if err := (Table{Rows: rows}).Write(&x, "csv"); err != nil {
		t.Fatal(err)
	}
	if err := (Table{Rows: again}).Write(&y, "csv"); err != nil {
		t.Fatal(err)
	}
	if x.String() != y.String() {
		t.Errorf("jobs 2 and jobs 1 differ:\n%s\n%s", x.String(), y.String())
	}
	// The caller's config keeps its baselines.
	if len(cfg.Baselines) != 4 {
		t.Errorf("Build changed the caller's baselines: %v", cfg.Baselines)
	}
}

func TestBuildErrors(t *testing.T) {
	cfg, table := setup(t)
	dir := t.TempDir()
	a := genTrace(t, dir, "a.npz", 1, 0.75, nil)
	if _, err := Build(cfg, nil, "", table, 1); err == nil {
		t.Error("no traces: expected an error")
	}
	missing := filepath.Join(dir, "missing.npz")
	_, err := Build(cfg, []string{a, missing}, "", table, 2)
	if err == nil || !strings.Contains(err.Error(), "missing.npz") {
		t.Errorf("missing trace: got %v", err)
	}
	if _, err := Build(cfg, []string{"bundled:nope.npz"}, "", table, 1); err == nil || !strings.Contains(err.Error(), "nope.npz") {
		t.Errorf("missing bundled trace: got %v", err)
	}
}

func TestParseMetric(t *testing.T) {
	if m, err := ParseMetric(nil); m != nil || err != nil {
		t.Errorf("absent metric: %v, %v", m, err)
	}
	m, err := ParseMetric(map[string]any{"name": "perplexity", "dense": 10.0, "pruned": 10.5})
	if err != nil || m.Name != "perplexity" || m.Change() != 0.5 {
		t.Errorf("got %+v, %v", m, err)
	}
	for _, bad := range []map[string]any{
		{"name": "accuracy", "dense": 0.9},
		{"name": "accuracy", "dense": "0.9", "pruned": 0.8},
		{"dense": 0.9, "pruned": 0.8},
	} {
		if _, err := ParseMetric(bad); err == nil || !strings.Contains(err.Error(), "meta.metric") {
			t.Errorf("%v: got %v", bad, err)
		}
	}
}

// TestSummarize checks the geometric means against exp(mean(log)) computed here and the
// arithmetic means against sums.
func TestSummarize(t *testing.T) {
	rows := []Row{
		{Speedup: 1.5, EnergyReduction: 2, PruningRate: 0.5, MeanSteps: 6, Metric: &Metric{Name: "accuracy", Dense: 0.9, Pruned: 0.89}},
		{Speedup: 2.5, EnergyReduction: 4, PruningRate: 0.8, MeanSteps: 4},
		{Speedup: 0.8, EnergyReduction: 3.5, PruningRate: 0.9, MeanSteps: 3, Metric: &Metric{Name: "accuracy", Dense: 0.8, Pruned: 0.8}},
	}
	s := Summarize(rows)
	geo := func(xs ...float64) float64 {
		sum := 0.0
		for _, x := range xs {
			sum += math.Log(x)
		}
		return math.Exp(sum / float64(len(xs)))
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.15g, want %.15g", what, got, want)
		}
	}
	near("speedup geomean", s.Speedup, geo(1.5, 2.5, 0.8))
	near("energy geomean", s.EnergyReduction, geo(2, 4, 3.5))
	near("pruning mean", s.PruningRate, (0.5+0.8+0.9)/3)
	near("steps mean", s.MeanSteps, (6.0+4+3)/3)
	near("metric change mean", s.MetricChange, ((0.89-0.9)+0)/2)
	if s.Rows != 3 || s.MetricName != "accuracy" || s.MetricRows != 2 {
		t.Errorf("summary %+v", s)
	}
	rows[1].Metric = &Metric{Name: "f1", Dense: 1, Pruned: 1}
	if s := Summarize(rows); s.MetricName != "" {
		t.Errorf("mixed metrics: got a mean %q", s.MetricName)
	}
	rows[1].Speedup = 0
	if s := Summarize(rows); !math.IsNaN(s.Speedup) {
		t.Errorf("a zero speedup: geomean %v, want NaN", s.Speedup)
	}
	if s := Summarize(nil); s.Rows != 0 || s.Speedup != 0 {
		t.Errorf("no rows: %+v", s)
	}
}

// goldenTable has names with characters that Markdown and LaTeX treat specially.
func goldenTable() Table {
	return Table{Config: "leopard", EnergyTable: "horowitz-45nm", DRAMDevicePJPerBit: 3.45, DRAMInterfacePJPerBit: 0.3, Rows: []Row{
		{Trace: "bundled:bert_base-sst2.npz", Model: "bert_base", Task: "sst-2 & co", Pairs: 1000, PruningRate: 0.75,
			MeanSteps: 5.5, MaxSteps: 12, Speedup: 2, EnergyReduction: 4.5, EnergyReductionOnChip: 6.25, Bound: "DRAM latency", BoundShare: 0.934,
			Metric: &Metric{Name: "acc_%", Dense: 0.92, Pruned: 0.918}},
		{Trace: "/data/x/gpt#2.npz", Model: `a\b{c}$~^`, Task: "lm|wiki", Synthetic: true, Pairs: 20, PruningRate: 0.5,
			MeanSteps: 8, MaxSteps: 8, Speedup: 0.5, EnergyReduction: 2, EnergyReductionOnChip: 4},
	}}
}

func render(t *testing.T, tb Table, format string) string {
	t.Helper()
	var b bytes.Buffer
	if err := tb.Write(&b, format); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestMarkdownGolden(t *testing.T) {
	want := `| model                       | task       | trace              | data      | pairs | pruned | lane steps/key | speedup | energy reduction | on-chip | bound (design)   | metric: dense -> pruned (change) |
| --------------------------- | ---------- | ------------------ | --------- | ----: | -----: | -------------: | ------: | ---------------: | ------: | ---------------- | -------------------------------- |
| bert_base                   | sst-2 & co | bert_base-sst2.npz | real      |  1000 |  75.0% |     5.50 of 12 |   2.00x |            4.50x |   6.25x | DRAM latency 93% | acc_% 0.92 -> 0.918 (-0.002)     |
| a\b{c}$~^                   | lm\|wiki   | gpt#2.npz          | synthetic |    20 |  50.0% |      8.00 of 8 |   0.50x |            2.00x |   4.00x |                  | -                                |
| mean over 2 traces          |            |                    |           |       |  62.5% |           6.75 |   1.00x |            3.00x |   5.00x |                  | acc_% change -0.002 (1 trace)    |
| paper (ISCA 2022), reported | 43 tasks   |                    |           |       |        |                |    1.9x |                  |    3.9x |                  | accuracy loss < 0.2%             |

Speedup and energy reduction are over lrpsim's dense baseline on the same trace; the mean line gives
their geometric means and the arithmetic means of pruned pairs and lane steps per key.
Energy reduction counts all energy, DRAM included (device and interface, priced per bit read from
the config's memory section: 3.45 and 0.3 pJ/bit); on-chip leaves DRAM out (core and SRAM), the
scope the paper's energy figure most likely has, so the paper's figure stands in that column.
Simulated with config leopard, energy table horowitz-45nm.
The paper line is not an lrpsim result: it is what the paper reports over its own baseline,
post-layout, on 43 tasks (1.9x speedup, 3.9x energy reduction, under 0.2% accuracy loss).
`
	if got := render(t, goldenTable(), "md"); got != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", got, want)
	}
}

func TestCSVGolden(t *testing.T) {
	want := `kind,model,task,trace,synthetic,pairs,pruning_rate,mean_steps_per_key,max_steps,speedup_dense,energy_reduction_dense,energy_reduction_onchip_dense,bound,bound_share,metric,metric_dense,metric_pruned,metric_change,config,energy_table,note
trace,bert_base,sst-2 & co,bundled:bert_base-sst2.npz,false,1000,0.75,5.5,12,2,4.5,6.25,DRAM latency,0.934,acc_%,0.92,0.918,-0.002,leopard,horowitz-45nm,
trace,a\b{c}$~^,lm|wiki,/data/x/gpt#2.npz,true,20,0.5,8,8,0.5,2,4,,,,,,,leopard,horowitz-45nm,
mean,,,,,,0.625,6.75,,1,3,5,,,acc_%,,,-0.002,leopard,horowitz-45nm,"speedup and energy reduction: geometric mean over 2 traces; pruning rate, steps and metric change: arithmetic mean"
paper,,,,,,,,,1.9,,3.9,,,accuracy,,,-0.002,,,"reported by the LeOPArd paper (ISCA 2022) over its own baseline, post-layout, on 43 tasks; metric_change is the bound on the accuracy loss (under 0.2%); not an lrpsim result"
`
	if got := render(t, goldenTable(), "csv"); got != want {
		t.Errorf("csv:\n%s\nwant:\n%s", got, want)
	}
}

func TestLaTeXGolden(t *testing.T) {
	want := `% Generated by ` + "`lrpsim table --format latex`" + `; needs \usepackage{booktabs}.
% Speedup and energy reduction are over lrpsim's dense baseline on the same trace; the mean line gives their geometric means and the arithmetic means of pruned pairs and lane steps per key.
% Energy reduction counts all energy, DRAM included (device and interface, priced per bit read from the config's memory section: 3.45 and 0.3 pJ/bit); on-chip leaves DRAM out (core and SRAM), the scope the paper's energy figure most likely has, so the paper's figure stands in that column.
% Simulated with config leopard, energy table horowitz-45nm.
% The paper line is not an lrpsim result: it is what the paper reports over its own baseline, post-layout, on 43 tasks (1.9x speedup, 3.9x energy reduction, under 0.2% accuracy loss).
\begin{tabular}{llllrrrrrrll}
\toprule
model & task & trace & data & pairs & pruned & lane steps/key & speedup & energy reduction & on-chip & bound (design) & metric: dense $\to$ pruned (change) \\
\midrule
bert\_base & sst-2 \& co & bert\_base-sst2.npz & real & 1000 & 75.0\% & 5.50 of 12 & 2.00$\times$ & 4.50$\times$ & 6.25$\times$ & DRAM latency 93\% & acc\_\% 0.92 $\to$ 0.918 (-0.002) \\
a\textbackslash{}b\{c\}\$\textasciitilde{}\textasciicircum{} & lm\textbar{}wiki & gpt\#2.npz & synthetic & 20 & 50.0\% & 8.00 of 8 & 0.50$\times$ & 2.00$\times$ & 4.00$\times$ &  & --- \\
\midrule
mean over 2 traces &  &  &  &  & 62.5\% & 6.75 & 1.00$\times$ & 3.00$\times$ & 5.00$\times$ &  & acc\_\% change -0.002 (1 trace) \\
\emph{paper (ISCA 2022), reported} & 43 tasks &  &  &  &  &  & 1.9$\times$ &  & 3.9$\times$ &  & accuracy loss $<$ 0.2\% \\
\bottomrule
\end{tabular}
`
	if got := render(t, goldenTable(), "latex"); got != want {
		t.Errorf("latex:\n%s\nwant:\n%s", got, want)
	}
}

func TestEscapeLaTeX(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:       `plain`,
		`50% & $5_#`:  `50\% \& \$5\_\#`,
		`{a}\b`:       `\{a\}\textbackslash{}b`,
		`x~y^z`:       `x\textasciitilde{}y\textasciicircum{}z`,
		`a|b<c>d`:     `a\textbar{}b\textless{}c\textgreater{}d`,
		`über-model`:  `über-model`,
		`\textbf{no}`: `\textbackslash{}textbf\{no\}`,
	} {
		if got := EscapeLaTeX(in); got != want {
			t.Errorf("EscapeLaTeX(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var b bytes.Buffer
	err := goldenTable().Write(&b, "html")
	if err == nil || !strings.Contains(err.Error(), `"html"`) {
		t.Errorf("got %v", err)
	}
	if b.Len() != 0 {
		t.Errorf("wrote %d bytes on error", b.Len())
	}
}

func TestTraceLabel(t *testing.T) {
	for in, want := range map[string]string{
		"bundled:synthetic-default.npz": "synthetic-default.npz",
		"/a/b/c.npz":                    "c.npz",
		"c.npz":                         "c.npz",
	} {
		if got := (Row{Trace: in}).TraceLabel(); got != want {
			t.Errorf("TraceLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFamilies: the means of each model with two rows or more, in the order models appear, with
// the cause that bounds most of its traces; one model alone gets none.
func TestFamilies(t *testing.T) {
	rows := []Row{
		{Trace: "a1.npz", Model: "A", Speedup: 1, EnergyReduction: 2, EnergyReductionOnChip: 4, Bound: "DRAM latency", PruningRate: 0.5},
		{Trace: "b1.npz", Model: "B", Speedup: 3, EnergyReduction: 3, EnergyReductionOnChip: 3, Bound: "lanes"},
		{Trace: "a2.npz", Model: "A", Speedup: 2, EnergyReduction: 2, EnergyReductionOnChip: 1, Bound: "lanes", PruningRate: 0.7},
		{Trace: "a3.npz", Model: "A", Speedup: 4, EnergyReduction: 2, EnergyReductionOnChip: 2, Bound: "DRAM latency", PruningRate: 0.9},
	}
	fs := Families(rows)
	if len(fs) != 1 || fs[0].Model != "A" || fs[0].Rows != 3 {
		t.Fatalf("families %+v, want one: A with 3 rows", fs)
	}
	f := fs[0]
	// Geometric means: (1*2*4)^(1/3) = 2, 2, (4*1*2)^(1/3) = 2; arithmetic mean of pruning 0.7.
	if math.Abs(f.Speedup-2) > 1e-12 || math.Abs(f.EnergyReduction-2) > 1e-12 || math.Abs(f.EnergyReductionOnChip-2) > 1e-12 ||
		math.Abs(f.PruningRate-0.7) > 1e-12 {
		t.Errorf("family A: %+v", f.Summary)
	}
	if f.Bound != "DRAM latency" || f.BoundRows != 2 {
		t.Errorf("family A bound %q (%d rows), want DRAM latency (2)", f.Bound, f.BoundRows)
	}
	md := render(t, Table{Rows: rows}, "md")
	if !strings.Contains(md, "| A: mean of 3") || !strings.Contains(md, "DRAM latency (2 of 3)") {
		t.Errorf("markdown lacks the family line:\n%s", md)
	}
	if Families(rows[:1]) != nil {
		t.Errorf("one model alone has a family line")
	}
}
