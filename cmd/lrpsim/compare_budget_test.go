package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pointsFixture writes a closed-loop points file for bundled:memn2n-babi-qa1 with two LeOPArd
// lambdas (both replaying the bundled learned trace) and two Sanger thresholds, validation 8
// questions and test 16; splits is the document's splits block.
func pointsFixture(t *testing.T, dir string, splits map[string]any) string {
	t.Helper()
	split := func(hex string, n int, metric float64) map[string]any {
		return map[string]any{"metric": metric, "questions": n, "correct": hex, "pruning_rate": 0.5}
	}
	doc := map[string]any{
		"schema": "lrpsim-frontier-closed-loop/1", "workload": "memn2n-babi-qa1", "metric": "accuracy",
		"higher_is_better": true, "dense_trace": "bundled:memn2n-babi-qa1-dense", "splits": splits,
		"dense": map[string]any{"validation": split("ff", 8, 1), "test": split("ffff", 16, 1)},
		"designs": []any{
			map[string]any{"name": "leopard", "policy": "leopard", "knob": "lambda", "model": "learned", "points": []any{
				map[string]any{"value": 0.05, "trace": "bundled:memn2n-babi-qa1", "validation": split("ff", 8, 1), "test": split("fffe", 16, 15.0/16)},
				map[string]any{"value": 0.2, "trace": "bundled:memn2n-babi-qa1", "validation": split("fe", 8, 7.0/8), "test": split("ffff", 16, 1)},
			}},
			map[string]any{"name": "sanger", "policy": "sanger", "knob": "pruning.theta", "model": "dense", "points": []any{
				map[string]any{"value": 0.002, "trace": "bundled:memn2n-babi-qa1-dense", "validation": split("ff", 8, 1), "test": split("ffff", 16, 1)},
				map[string]any{"value": 0.02, "trace": "bundled:memn2n-babi-qa1-dense", "validation": split("7f", 8, 7.0/8), "test": split("ffff", 16, 1)},
			}},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "memn2n-babi-qa1.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var disjointSplits = map[string]any{
	"validation": map[string]any{"file": "qa1_train.txt", "first": 900, "count": 8},
	"test":       map[string]any{"file": "qa1_test.txt", "first": 0, "count": 16},
}

func TestCompareBudget(t *testing.T) {
	dir := t.TempDir()
	pointsFixture(t, filepath.Join(dir, "cl"), disjointSplits)
	pts := filepath.Join(dir, "pts")
	md := filepath.Join(dir, "b.md")
	args := []string{"compare", "-c", "bundled:leopard.yaml", "-c", "bundled:policies/sanger.yaml", "--frontier", filepath.Join(dir, "cl"),
		"--budget", "0.2%", "--budget", "20%", "--points-out", pts, "--format", "md", "--out", md}
	if _, err := lrpsim(t, args...); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	// 0.2%: leopard keeps lambda 0.05 (0.2 loses a validation question), sanger 0.002; at 20%
	// both larger values are allowed, and the choice is the faster.
	for _, w := range []string{"| 0.2% | memn2n-babi-qa1 | accuracy | leopard | lambda | 0.05 | +0.0000 | +0.0625 [",
		"| 0.2% | memn2n-babi-qa1 | accuracy | sanger | pruning.theta | 0.002 | +0.0000 |", "| 0.2% | leopard | 1 of 1 |",
		"| 20% | memn2n-babi-qa1 | accuracy | sanger | pruning.theta | 0.02 | +0.1250 |"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if _, err := os.Stat(filepath.Join(pts, "memn2n-babi-qa1.json")); err != nil {
		t.Errorf("--points-out: %v", err)
	}
	svg := filepath.Join(dir, "f.svg")
	if _, err := lrpsim(t, "plot", "frontier", "--frontier", pts, "--budget", "1%", "--y", "onchip", "--out", svg); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(svg); err != nil || !strings.Contains(string(b), "frontier") {
		t.Errorf("%s: %v", svg, err)
	}
	// --workloads keeps one family: the fixture's workload by its prefix, and an error naming a
	// prefix that no workload has, with nothing written
	if _, err := lrpsim(t, "plot", "frontier", "--frontier", pts, "--workloads", "memn2n-", "--out", svg); err != nil {
		t.Errorf("--workloads memn2n-: %v", err)
	}
	svg2 := filepath.Join(dir, "g.svg")
	if _, err := lrpsim(t, "plot", "frontier", "--frontier", pts, "--workloads", "minilm-", "--out", svg2); err == nil ||
		!strings.Contains(err.Error(), `--workloads "minilm-": no workload of --frontier`) {
		t.Errorf("--workloads minilm-: got %v, want an error naming the prefix", err)
	}
	if _, err := os.Stat(svg2); err == nil {
		t.Errorf("%s written after an error", svg2)
	}
	// the same inputs give the same bytes (the bootstrap is seeded)
	md2 := filepath.Join(dir, "b2.md")
	if _, err := lrpsim(t, append(args[:len(args)-1], md2)...); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(md2); string(b2) != out {
		t.Errorf("a second run differs")
	}
}

func TestCompareBudgetBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	pointsFixture(t, good, disjointSplits)
	overlap := filepath.Join(dir, "overlap")
	pointsFixture(t, overlap, map[string]any{
		"validation": map[string]any{"file": "qa1_test.txt", "first": 0, "count": 8},
		"test":       map[string]any{"file": "qa1_test.txt", "first": 4, "count": 16},
	})
	out := filepath.Join(dir, "o.md")
	base := []string{"compare", "-c", "bundled:leopard.yaml", "-c", "bundled:policies/sanger.yaml", "--out", out}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--frontier", good, "--budget", "0.2"}, `--budget "0.2": expected a percentage`},
		{[]string{"--frontier", good, "--budget", "1%", "--budget", "1.0%"}, "given twice"},
		{[]string{"--frontier", good, "--points-out", dir}, "--points-out and --summary-out: expected --budget"},
		{[]string{"--frontier", overlap, "--budget", "1%"}, "overlap: expected disjoint splits"},
		{[]string{"--frontier", filepath.Join(dir, "none"), "--budget", "1%"}, "no operating points"},
		{[]string{"--frontier", good, "--budget", "1%", "-c", "bundled:policies/spatten.yaml"}, `no operating points of design "spatten"`},
	} {
		_, err := lrpsim(t, append(base, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed compare left %s", out)
	}
}

// metricPointsFixture writes dir/WORKLOAD.json, a closed-loop points file of a metric measured
// per input (cosine_to_dense or perplexity; tokens nil for cosine) with LeOPArd's two lambdas
// and Sanger's two thresholds, replaying the bundled MemN2N traces (the simulation does not read
// the metric); dense is the dense model's values on both splits, points each point's, in the
// order leopard 0.05, leopard 0.2, sanger 0.002, sanger 0.02, the same on both splits.
func metricPointsFixture(t *testing.T, dir, workload, metric string, tokens []int, dense []float64, points [4][]float64) {
	t.Helper()
	split := func(values []float64) map[string]any {
		r := map[string]any{"metric": 0.5, "questions": len(values), "values": values, "pruning_rate": 0.5}
		if tokens != nil {
			r["tokens"] = tokens
		}
		return r
	}
	point := func(value float64, trace string, values []float64) map[string]any {
		return map[string]any{"value": value, "trace": trace, "validation": split(values), "test": split(values)}
	}
	doc := map[string]any{
		"schema": "lrpsim-frontier-closed-loop/1", "workload": workload, "metric": metric,
		"higher_is_better": metric != "perplexity", "dense_trace": "bundled:memn2n-babi-qa1-dense",
		"splits": map[string]any{
			"validation": map[string]any{"file": workload + "-validation", "first": 0, "count": len(dense)},
			"test":       map[string]any{"file": workload + "-test", "first": 0, "count": len(dense)},
		},
		"dense": map[string]any{"validation": split(dense), "test": split(dense)},
		"designs": []any{
			map[string]any{"name": "leopard", "policy": "leopard", "knob": "lambda", "model": "learned", "points": []any{
				point(0.05, "bundled:memn2n-babi-qa1", points[0]), point(0.2, "bundled:memn2n-babi-qa1", points[1]),
			}},
			map[string]any{"name": "sanger", "policy": "sanger", "knob": "pruning.theta", "model": "dense", "points": []any{
				point(0.002, "bundled:memn2n-babi-qa1-dense", points[2]), point(0.02, "bundled:memn2n-babi-qa1-dense", points[3]),
			}},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, workload+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCompareBudgetMetrics: a perplexity and two cosine workloads beside an accuracy one: each
// budget chooses per workload by the workload's own loss (a relative perplexity rise, 1 - cosine,
// accuracy), a workload whose points all exceed a budget is listed unmet, the table names each
// workload's metric and unit, and plot frontier draws one metric's workloads (--workloads
// repeated) and refuses a mix.
func TestCompareBudgetMetrics(t *testing.T) {
	dir := t.TempDir()
	cl := filepath.Join(dir, "cl")
	pointsFixture(t, cl, disjointSplits)
	// 250 tokens, 500 nats: perplexity e^2. A point 0.25 nats above it rises by exp(0.001) - 1,
	// 2.5 nats by exp(0.01) - 1, 25 by exp(0.1) - 1.
	tokens := []int{50, 100, 75, 25}
	dense := []float64{100, 200, 150, 50}
	metricPointsFixture(t, cl, "stories260K", "perplexity", tokens, dense, [4][]float64{
		{100, 200, 150, 50}, {125, 200, 150, 50}, {100.25, 200, 150, 50}, {100, 202.5, 150, 50}})
	// cosine: leopard 0.05 loses 0.001, sanger 0.002 0.00375 (over 0.2%), sanger 0.02 0.015
	one := []float64{1, 1, 1, 1}
	for _, w := range []string{"minilm-embed", "use-lite"} {
		metricPointsFixture(t, cl, w, "cosine_to_dense", nil, one, [4][]float64{
			{1, 1, 1, 0.996}, {0.9, 0.9, 0.9, 0.9}, {0.99, 0.995, 1, 1}, {0.98, 0.98, 0.99, 0.99}})
	}
	pts := filepath.Join(dir, "pts")
	md := filepath.Join(dir, "b.md")
	if _, err := lrpsim(t, "compare", "-c", "bundled:leopard.yaml", "-c", "bundled:policies/sanger.yaml", "--frontier", cl,
		"--budget", "0.2%", "--budget", "2%", "--points-out", pts, "--format", "md", "--out", md); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, w := range []string{
		// perplexity: sanger's 0.002 rises 0.1% (within 0.2%), its 0.02 1.005% (within 2%, faster)
		"| 0.2% | stories260K | perplexity | leopard | lambda | 0.05 | +0.0000 | +0.0000 [+0.0000, +0.0000] |",
		"| 0.2% | stories260K | perplexity | sanger | pruning.theta | 0.002 | +0.0010 | +0.0010 [",
		"| 2% | stories260K | perplexity | sanger | pruning.theta | 0.02 | +0.0101 | +0.0101 [",
		// cosine: no sanger point within 0.2%, its 0.02 within 2%
		"| 0.2% | minilm-embed | cosine_to_dense | leopard | lambda | 0.05 | +0.0010 | +0.0010 [",
		"| 0.2% | minilm-embed | cosine_to_dense | sanger |  | none within budget |",
		"| 0.2% | use-lite | cosine_to_dense | sanger |  | none within budget |",
		"| 2% | minilm-embed | cosine_to_dense | sanger | pruning.theta | 0.02 | +0.0150 | +0.0150 [",
		// accuracy as before
		"| 0.2% | memn2n-babi-qa1 | accuracy | sanger | pruning.theta | 0.002 | +0.0000 |",
		"| 2% | memn2n-babi-qa1 | accuracy | sanger | pruning.theta | 0.002 | +0.0000 |",
		// the summaries: sanger's unmet workloads at 0.2%, none at 2%
		"| 0.2% | sanger | 2 of 4 |", "| 2: minilm-embed use-lite |", "| 0.2% | leopard | 4 of 4 |", "| 2% | sanger | 4 of 4 |",
		"pool workloads of different metrics (accuracy, cosine_to_dense, perplexity) by the budget",
		"cosine_to_dense: 1 - cosine", "perplexity: the relative perplexity rise", "accuracy: dense accuracy - accuracy, a fraction",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	for w, metric := range map[string]string{"stories260K": "perplexity", "minilm-embed": "cosine_to_dense", "memn2n-babi-qa1": "accuracy"} {
		b, err := os.ReadFile(filepath.Join(pts, w+".json"))
		var doc struct{ Metric string }
		if err != nil || json.Unmarshal(b, &doc) != nil || doc.Metric != metric {
			t.Errorf("--points-out %s.json: metric %q (%v), want %q", w, doc.Metric, err, metric)
		}
	}
	// plot frontier: --workloads repeated draws the cosine family in 1 - cosine; a mix is refused
	svg := filepath.Join(dir, "embed.svg")
	if _, err := lrpsim(t, "plot", "frontier", "--frontier", pts, "--workloads", "use-lite", "--workloads", "minilm-embed",
		"--family", "sentence embeddings", "--budget", "0.2%", "--out", svg); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(svg); err != nil || !strings.Contains(string(b), "1 - cosine, in %, log scale") ||
		!strings.Contains(string(b), "(2 workloads)") {
		t.Errorf("%s: want the two cosine workloads against 1 - cosine (%v)", svg, err)
	}
	ppl := filepath.Join(dir, "ppl.svg")
	if _, err := lrpsim(t, "plot", "frontier", "--frontier", pts, "--workloads", "stories", "--out", ppl); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(ppl); err != nil || !strings.Contains(string(b), "relative perplexity rise, in %") {
		t.Errorf("%s: want the loss as a relative perplexity rise (%v)", ppl, err)
	}
	mixed := filepath.Join(dir, "mixed.svg")
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "the workloads mix metrics (accuracy: memn2n-babi-qa1; cosine_to_dense: minilm-embed, use-lite; perplexity: stories260K)"},
		{[]string{"--workloads", "minilm-embed", "--workloads", "stories"}, "the workloads mix metrics (cosine_to_dense: minilm-embed; perplexity: stories260K)"},
		{[]string{"--workloads", "minilm-embed", "--workloads", "vit-"}, `--workloads "vit-": no workload of --frontier`},
	} {
		args := append([]string{"plot", "frontier", "--frontier", pts, "--out", mixed}, c.args...)
		if _, err := lrpsim(t, args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(mixed); err == nil {
		t.Errorf("%s written after an error", mixed)
	}
}
