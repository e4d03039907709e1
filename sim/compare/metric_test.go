package compare

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPairedLossByMetric: each metric's loss worked by hand, over every input and over a
// resample of the inputs (an input may repeat).
func TestPairedLossByMetric(t *testing.T) {
	for _, c := range []struct {
		name string
		l    PairedLoss
		idx  []int
		want float64
	}{
		{"accuracy", PairedLoss{Metric: MetricAccuracy, Dense: []float64{1, 1, 1, 0}, Point: []float64{1, 0, 1, 1}}, nil, 0},
		{"accuracy one lost", PairedLoss{Metric: MetricAccuracy, Dense: []float64{1, 1, 1, 1}, Point: []float64{1, 0, 1, 1}}, nil, 0.25},
		{"accuracy resampled", PairedLoss{Metric: MetricAccuracy, Dense: []float64{1, 1, 1, 1}, Point: []float64{1, 0, 1, 1}}, []int{1, 1, 0}, 2.0 / 3},
		{"cosine", PairedLoss{Metric: MetricCosine, Dense: []float64{1, 1, 1}, Point: []float64{0.99, 1, 0.97}}, nil, 0.04 / 3},
		{"cosine resampled", PairedLoss{Metric: MetricCosine, Dense: []float64{1, 1, 1}, Point: []float64{0.99, 1, 0.97}}, []int{2, 2, 0}, 0.07 / 3},
		{"cosine better than dense", PairedLoss{Metric: MetricCosine, Dense: []float64{0.9999, 1}, Point: []float64{1, 1}}, nil, -0.0001 / 2},
		// dense perplexity exp(30/10) = exp(3); the point's exp(33/10): a rise of exp(0.3) - 1
		{"perplexity", PairedLoss{Metric: MetricPerplexity, Dense: []float64{10, 20}, Point: []float64{11, 22}, Tokens: []int{5, 5}}, nil, math.Exp(0.3) - 1},
		{"perplexity weighted", PairedLoss{Metric: MetricPerplexity, Dense: []float64{10, 20}, Point: []float64{11, 22}, Tokens: []int{2, 8}}, nil, math.Exp(0.3) - 1},
		{"perplexity resampled", PairedLoss{Metric: MetricPerplexity, Dense: []float64{10, 20}, Point: []float64{11, 22}, Tokens: []int{5, 5}}, []int{1, 1}, math.Exp(0.4) - 1},
		{"perplexity fall", PairedLoss{Metric: MetricPerplexity, Dense: []float64{10, 20}, Point: []float64{9, 20}, Tokens: []int{5, 5}}, nil, math.Exp(-0.1) - 1},
	} {
		if got := c.l.Loss(c.idx); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: loss %.15g, want %.15g", c.name, got, c.want)
		}
	}
	if got := (PairedLoss{Metric: MetricCosine}).Loss(nil); !math.IsNaN(got) {
		t.Errorf("no inputs: loss %v, want NaN", got)
	}
}

// TestPairedIntervalByMetric: each metric's bootstrap interval holds its loss, and is [0, 0]
// when the point measures as the dense model does on every input.
func TestPairedIntervalByMetric(t *testing.T) {
	n := 200
	lossy := map[string]PairedLoss{}
	for _, m := range Metrics() {
		l := PairedLoss{Metric: m, Dense: make([]float64, n), Point: make([]float64, n)}
		for i := range n {
			switch m {
			case MetricAccuracy:
				l.Dense[i], l.Point[i] = 1, float64(min(1, i%7))
			case MetricCosine:
				l.Dense[i], l.Point[i] = 1, 1-0.001*float64(i%5)
			case MetricPerplexity:
				l.Tokens = append(l.Tokens, 10+i%3)
				l.Dense[i] = 20 + float64(i%11)
				l.Point[i] = l.Dense[i] + 0.05*float64(i%4)
			}
		}
		lossy[m] = l
	}
	for m, l := range lossy {
		loss := l.Loss(nil)
		lo, hi := PairedInterval(l, 3)
		if !(lo < loss && loss < hi) || !(loss > 0) {
			t.Errorf("%s: interval [%v, %v] does not hold the loss %v strictly", m, lo, hi, loss)
		}
		same := l
		same.Point = same.Dense
		if lo, hi := PairedInterval(same, 3); lo != 0 || hi != 0 || same.Loss(nil) != 0 {
			t.Errorf("%s: dense == point: loss %v, interval [%v, %v]: want 0 and [0, 0]", m, same.Loss(nil), lo, hi)
		}
	}
}

// split is one split result of a closed-loop points document: accuracy's bits, or per-input
// values (and tokens for perplexity).
func split(metric string, values []float64, tokens []int) map[string]any {
	r := map[string]any{"questions": len(values), "metric": 0.5, "pruning_rate": 0.25}
	if metric == MetricAccuracy {
		var bits []byte
		for i, v := range values {
			if i%8 == 0 {
				bits = append(bits, 0)
			}
			if v == 1 {
				bits[i/8] |= 1 << (7 - i%8)
			}
		}
		r["correct"] = hex.EncodeToString(bits)
		return r
	}
	r["values"] = values
	if tokens != nil {
		r["tokens"] = tokens
	}
	return r
}

// metricDoc is a points document of metric: three inputs a split, one design of two points,
// the first measuring as the dense model does, the second lossy (accuracy: one question of
// three lost; cosine: 0.99, 1, 0.97; perplexity: 11, 22, 30 nats against 10, 20, 30 over 5
// tokens each).
func metricDoc(metric string) map[string]any {
	dense, lossy := []float64{1, 1, 1}, []float64{1, 0, 1}
	var tokens []int
	switch metric {
	case MetricCosine:
		lossy = []float64{0.99, 1, 0.97}
	case MetricPerplexity:
		dense, lossy, tokens = []float64{10, 20, 30}, []float64{11, 22, 30}, []int{5, 5, 5}
	}
	doc := map[string]any{
		"schema": PointsSchema, "workload": "w-" + metric, "metric": metric, "higher_is_better": metric != MetricPerplexity,
		"dense_trace": "bundled:memn2n-babi-qa1-dense",
		"splits": map[string]any{
			Validation: map[string]any{"file": "train", "first": 0, "count": 3},
			Test:       map[string]any{"file": "test", "first": 0, "count": 3},
		},
		"dense": map[string]any{Validation: split(metric, dense, tokens), Test: split(metric, dense, tokens)},
		"designs": []any{map[string]any{"name": "sanger", "policy": "sanger", "knob": "pruning.theta", "model": "dense", "points": []any{
			map[string]any{"value": 0.01, "trace": "t", Validation: split(metric, dense, tokens), Test: split(metric, dense, tokens)},
			map[string]any{"value": 0.1, "trace": "t", Validation: split(metric, lossy, tokens), Test: split(metric, lossy, tokens)},
		}}},
	}
	return doc
}

// pointSplit is point j's split s of a metricDoc.
func pointSplit(doc map[string]any, j int, s string) map[string]any {
	d := doc["designs"].([]any)[0].(map[string]any)
	return d["points"].([]any)[j].(map[string]any)[s].(map[string]any)
}

// readAndPair writes raw to dir/F.json and reads it as readPointsFile does, then pairs every
// point with the dense model as Frontier does.
func readAndPair(t *testing.T, raw []byte) ([]Point, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "F.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := readPointsFile(path)
	if err != nil {
		return nil, err
	}
	var pts []Point
	for i, d := range f.Designs {
		for j, e := range d.Points {
			p, err := closedLoopPoint(f, d, e, fmt.Sprintf("%s: designs[%d].points[%d]", path, i, j))
			if err != nil {
				return nil, err
			}
			pts = append(pts, p)
		}
	}
	return pts, nil
}

func marshal(t *testing.T, doc map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestClosedLoopPointByMetric: a file of each metric read and paired: the equal point loses
// nothing, the lossy point's validation and test losses are the hand-worked ones, and its
// bootstrap interval holds its loss.
func TestClosedLoopPointByMetric(t *testing.T) {
	for _, c := range []struct {
		metric string
		want   float64
	}{
		{MetricAccuracy, 1.0 / 3},
		{MetricCosine, 0.04 / 3},
		{MetricPerplexity, math.Exp(3.0/15) - 1},
	} {
		pts, err := readAndPair(t, marshal(t, metricDoc(c.metric)))
		if err != nil {
			t.Fatalf("%s: %v", c.metric, err)
		}
		if len(pts) != 2 || pts[0].Metric != c.metric || pts[0].ValidationLoss != 0 || pts[0].TestLoss != 0 {
			t.Errorf("%s: the dense-equal point %+v: want metric %s and no loss", c.metric, pts[0], c.metric)
		}
		p := pts[1]
		if math.Abs(p.ValidationLoss-c.want) > 1e-12 || math.Abs(p.TestLoss-c.want) > 1e-12 {
			t.Errorf("%s: losses %v (validation), %v (test), want %v", c.metric, p.ValidationLoss, p.TestLoss, c.want)
		}
		if lo, hi := PairedInterval(p.test, 5); !(lo <= p.TestLoss && p.TestLoss <= hi) {
			t.Errorf("%s: interval [%v, %v] does not hold the test loss %v", c.metric, lo, hi, p.TestLoss)
		}
		if lo, hi := PairedInterval(pts[0].test, 5); lo != 0 || hi != 0 {
			t.Errorf("%s: the dense-equal point's interval [%v, %v], want [0, 0]", c.metric, lo, hi)
		}
	}
}

// TestPointsFileMetricErrors: every refusal of a metric's file names the file, the field's
// JSON path and what was expected.
func TestPointsFileMetricErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		metric string
		mut    func(doc map[string]any)
		raw    func(b []byte) []byte
		want   string
	}{
		{name: "unknown metric", metric: MetricCosine, mut: func(d map[string]any) { d["metric"] = "bleu" },
			want: `F.json: metric "bleu": expected accuracy, cosine_to_dense, perplexity`},
		{name: "no metric", metric: MetricAccuracy, mut: func(d map[string]any) { delete(d, "metric") },
			want: `F.json: metric "": expected accuracy`},
		{name: "perplexity higher is better", metric: MetricPerplexity, mut: func(d map[string]any) { d["higher_is_better"] = true },
			want: `F.json: higher_is_better: true for metric "perplexity": expected false`},
		{name: "perplexity without higher_is_better", metric: MetricPerplexity, mut: func(d map[string]any) { delete(d, "higher_is_better") },
			want: `F.json: higher_is_better: absent (true) for metric "perplexity": expected false`},
		{name: "cosine lower is better", metric: MetricCosine, mut: func(d map[string]any) { d["higher_is_better"] = false },
			want: `F.json: higher_is_better: false for metric "cosine_to_dense": expected true or absent`},
		{name: "accuracy lower is better", metric: MetricAccuracy, mut: func(d map[string]any) { d["higher_is_better"] = false },
			want: `higher_is_better: false for metric "accuracy": expected true or absent`},
		{name: "values short", metric: MetricCosine, mut: func(d map[string]any) { pointSplit(d, 1, Test)["values"] = []float64{1, 1} },
			want: "F.json: designs[0].points[1].test.values: 2 values, expected 3 (questions)"},
		{name: "values missing", metric: MetricPerplexity, mut: func(d map[string]any) { delete(pointSplit(d, 0, Validation), "values") },
			want: "F.json: designs[0].points[0].validation.values: 0 values, expected 3 (questions)"},
		{name: "dense values long", metric: MetricCosine,
			mut: func(d map[string]any) {
				d["dense"].(map[string]any)[Test].(map[string]any)["values"] = []float64{1, 1, 1, 1}
			},
			want: "F.json: dense.test.values: 4 values, expected 3 (questions)"},
		{name: "no questions", metric: MetricCosine, mut: func(d map[string]any) {
			pointSplit(d, 1, Test)["questions"] = 0
			pointSplit(d, 1, Test)["values"] = []float64{}
		}, want: "F.json: designs[0].points[1].test.questions: 0: expected at least one input"},
		{name: "null value", metric: MetricCosine, mut: func(d map[string]any) { pointSplit(d, 1, Validation)["values"] = []any{1, nil, 1} },
			want: "F.json: designs[0].points[1].validation.values[1]: NaN: expected a finite number"},
		{name: "overflowing value", metric: MetricPerplexity, raw: func(b []byte) []byte { return bytes.Replace(b, []byte("[11,22,30]"), []byte("[11,1e999,30]"), 1) },
			want: "F.json: designs[0].points[1].test.values[1]: +Inf: expected a finite number"}, // JSON's keys sorted: test first
		{name: "bare NaN", metric: MetricCosine, raw: func(b []byte) []byte { return bytes.Replace(b, []byte("0.97"), []byte("NaN"), 1) },
			want: "F.json: line 1: a non-finite number (NaN or Infinity, which JSON has not): expected finite values"},
		{name: "bare -Infinity", metric: MetricCosine, raw: func(b []byte) []byte { return bytes.Replace(b, []byte("0.97"), []byte("-Infinity"), 1) },
			want: "a non-finite number (NaN or Infinity"},
		{name: "quoted value", metric: MetricCosine, mut: func(d map[string]any) { pointSplit(d, 1, Test)["values"] = []any{1, "NaN", 1} },
			want: `cannot unmarshal "NaN" into Go struct field SplitResult.designs.points.test.values.1 of type float64`},
		{name: "tokens short", metric: MetricPerplexity, mut: func(d map[string]any) { pointSplit(d, 1, Test)["tokens"] = []int{5, 5} },
			want: "F.json: designs[0].points[1].test.tokens: 2 counts, expected 3 (questions)"},
		{name: "zero tokens", metric: MetricPerplexity, mut: func(d map[string]any) {
			d["dense"].(map[string]any)[Validation].(map[string]any)["tokens"] = []int{5, 0, 5}
		}, want: "F.json: dense.validation.tokens[1]: 0: expected a positive count of predicted tokens"},
		{name: "tokens mismatch", metric: MetricPerplexity, mut: func(d map[string]any) { pointSplit(d, 1, Test)["tokens"] = []int{5, 6, 5} },
			want: "F.json: designs[0].points[1].test.tokens[1]: 6 tokens, the dense model's 5: expected the same inputs"},
		{name: "questions mismatch", metric: MetricCosine, mut: func(d map[string]any) {
			pointSplit(d, 0, Test)["questions"] = 4
			pointSplit(d, 0, Test)["values"] = []float64{1, 1, 1, 1}
		}, want: "F.json: designs[0].points[0].test: 4 questions, the dense model's 3: expected the same inputs"},
		// accuracy keeps its messages
		{name: "accuracy bits", metric: MetricAccuracy, mut: func(d map[string]any) { pointSplit(d, 1, Test)["correct"] = "a0ff" },
			want: "F.json: designs[0].points[1].test: correct: expected 2 hex digits (one bit per question of 3), got 4"},
		{name: "accuracy questions", metric: MetricAccuracy, mut: func(d map[string]any) {
			pointSplit(d, 1, Validation)["questions"] = 9
			pointSplit(d, 1, Validation)["correct"] = "ffff"
		},
			want: "F.json: designs[0].points[1].validation: 9 questions, the dense model's 3: expected the same questions"},
	} {
		doc := metricDoc(c.metric)
		if c.mut != nil {
			c.mut(doc)
		}
		raw := marshal(t, doc)
		if c.raw != nil {
			if raw = c.raw(raw); bytes.Equal(raw, marshal(t, doc)) {
				t.Fatalf("%s: the replacement changed nothing", c.name)
			}
		}
		_, err := readAndPair(t, raw)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
}

// TestBudgetTableMetrics: the table names each workload's metric, the footnote each metric's
// loss unit (only the table's metrics), and the caption says the budget pools metrics only when
// the workloads have several.
func TestBudgetTableMetrics(t *testing.T) {
	choice := func(w, metric string, loss float64) Choice {
		return Choice{Budget: 0.002, Workload: w, Metric: metric, Design: "sanger", TestLow: loss, TestHi: loss,
			Point: &Point{Workload: w, Metric: metric, Design: "sanger", Knob: "pruning.theta", Value: 0.01, ValidationLoss: loss,
				TestLoss: loss, Speedup: 1.2, EnergyReduction: 1.1, EnergyReductionOnChip: 1.3}}
	}
	unmet := Choice{Budget: 0.002, Workload: "use-lite", Metric: MetricCosine, Design: "sanger", TestLow: math.NaN(), TestHi: math.NaN()}
	for _, c := range []struct {
		name    string
		choices []Choice
		want    []string
		not     []string
	}{
		{"accuracy", []Choice{choice("memn2n-babi-qa1", MetricAccuracy, 0.001)},
			[]string{"| 0.2% | memn2n-babi-qa1 | accuracy | sanger | pruning.theta | 0.01 | +0.0010 |", "so 0.002 is 0.2 points", "inside the noise"},
			[]string{"pool workloads", "cosine", "perplexity"}},
		{"mixed", []Choice{choice("stories260K", MetricPerplexity, 0.001), choice("minilm-embed", MetricCosine, 0.0015), unmet},
			[]string{"| 0.2% | stories260K | perplexity | sanger |", "| 0.2% | use-lite | cosine_to_dense | sanger |  | none within budget |",
				"pool workloads of different metrics (cosine_to_dense, perplexity) by the budget",
				"cosine_to_dense: 1 - cosine", "perplexity: the relative perplexity rise", "so 0.002 is 0.2%)"},
			[]string{"accuracy:", "bAbI"}},
	} {
		var b strings.Builder
		if err := (BudgetTable{Choices: c.choices, EnergyTable: "e"}).Write(&b, "md"); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: table lacks %q:\n%s", c.name, w, b.String())
			}
		}
		for _, w := range c.not {
			if strings.Contains(b.String(), w) {
				t.Errorf("%s: table says %q:\n%s", c.name, w, b.String())
			}
		}
		var sum strings.Builder
		if err := (BudgetTable{Choices: c.choices}).Summary(&sum); err != nil {
			t.Fatal(err)
		}
		if pooled := strings.Contains(sum.String(), "each meets a budget in its own metric's unit"); pooled != (c.name == "mixed") {
			t.Errorf("%s: the summary says the budget pools metrics: %v, want %v:\n%s", c.name, pooled, c.name == "mixed", sum.String())
		}
		var text strings.Builder
		if err := (BudgetTable{Choices: c.choices, EnergyTable: "e", Width: 100}).Write(&text, "text"); err != nil ||
			!strings.Contains(text.String(), "metric") || !strings.Contains(text.String(), c.choices[0].Metric) {
			t.Errorf("%s: text table without the metric column (%v):\n%s", c.name, err, text.String())
		}
	}
}

// TestFrontierFileMetric: WriteFrontier writes each workload's metric, ReadFrontier gives it
// to every point, and refuses a metric it does not know.
func TestFrontierFileMetric(t *testing.T) {
	dir := t.TempDir()
	pts := []Point{
		{Workload: "stories260K", Metric: MetricPerplexity, Design: "d", Value: 1, Speedup: 1.1},
		{Workload: "use-lite", Metric: MetricCosine, Design: "d", Value: 1, Speedup: 1.2},
	}
	if err := WriteFrontier(dir, pts, "e", false); err != nil {
		t.Fatal(err)
	}
	files, err := ReadFrontier(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		if f.Workload != pts[i].Workload || f.Metric != pts[i].Metric || f.Points[0].Metric != pts[i].Metric {
			t.Errorf("%s: metric %q, its point's %q: want %q", f.Workload, f.Metric, f.Points[0].Metric, pts[i].Metric)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "use-lite.json"))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(raw, []byte(`"metric": "cosine_to_dense"`), []byte(`"metric": "bleu"`), 1)
	if bytes.Equal(bad, raw) {
		t.Fatalf("use-lite.json has no metric field:\n%s", raw)
	}
	if err := os.WriteFile(filepath.Join(dir, "use-lite.json"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFrontier(dir); err == nil || !strings.Contains(err.Error(), `use-lite.json: metric "bleu": expected accuracy`) {
		t.Errorf("an unknown metric: error %v", err)
	}
}

// TestSummaryByMetric: with workloads of several metrics, the summary adds a table of each
// design at the paper's budget per metric, whose geomeans and counts are worked here by hand.
func TestSummaryByMetric(t *testing.T) {
	met := func(d, w, metric string, speedup float64) Choice {
		return Choice{Budget: PaperBudget, Workload: w, Metric: metric, Design: d,
			Point: &Point{Workload: w, Metric: metric, Design: d, Speedup: speedup}}
	}
	unmet := func(d, w, metric string) Choice {
		return Choice{Budget: PaperBudget, Workload: w, Metric: metric, Design: d}
	}
	tab := BudgetTable{
		Summaries: []BudgetSummary{{Budget: PaperBudget, Design: "leopard"}, {Budget: PaperBudget, Design: "sanger"},
			{Budget: 0.01, Design: "leopard"}},
		Choices: []Choice{
			met("leopard", "w1", MetricAccuracy, 1.2), met("leopard", "w2", MetricAccuracy, 1.8), unmet("leopard", "w3", MetricCosine),
			met("sanger", "w1", MetricAccuracy, 1.0), unmet("sanger", "w2", MetricAccuracy), met("sanger", "w3", MetricCosine, 2.0),
			// another budget's choice never counts at the paper's
			met("leopard", "w3", MetricCosine, 3.0),
		},
	}
	tab.Choices[len(tab.Choices)-1].Budget = 0.01
	var b strings.Builder
	if err := tab.Summary(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| design | accuracy | cosine_to_dense |",
		"| leopard | 1.47x (2 of 2) | n/a (0 of 1) |", // sqrt(1.2 * 1.8) = 1.4697
		"| sanger | 1.00x (1 of 2) | 2.00x (1 of 1) |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
