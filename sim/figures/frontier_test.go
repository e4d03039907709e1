package figures

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/sim/compare"
)

func TestParetoFront(t *testing.T) {
	pts := []frontierPoint{
		{"a", 1, 0, 1.1}, {"a", 2, 0.5, 1.3}, {"b", 1, 0.2, 1.05}, {"b", 2, 0.1, 1.2}, {"b", 3, 1, 1.25},
	}
	front := paretoFront(pts)
	want := [][2]float64{{0, 1.1}, {0.1, 1.2}, {0.5, 1.3}}
	if len(front) != len(want) {
		t.Fatalf("front %v, want %v", front, want)
	}
	for i, w := range want {
		if front[i].X != w[0] || front[i].Y != w[1] {
			t.Errorf("front[%d] = %v, want %v", i, front[i], w)
		}
	}
}

func TestFrontierFigure(t *testing.T) {
	file := func(w string, values ...float64) compare.FrontierFile {
		f := compare.FrontierFile{Schema: compare.FrontierSchema, Workload: w, Metric: compare.MetricAccuracy}
		for _, v := range values {
			f.Points = append(f.Points, compare.Point{Workload: w, Design: "d", Knob: "pruning.theta", Value: v,
				TestLoss: v / 10, Speedup: 1 + v, EnergyReduction: 1, EnergyReductionOnChip: 1 + v/2})
		}
		return f
	}
	fig, err := Frontier([]compare.FrontierFile{file("w1", 0.01, 0.02), file("w2", 0.01, 0.02)}, "onchip", "fam", []float64{0.002, 0.01})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := fig.Render("svg")
	if err != nil || !strings.Contains(string(svg), "budgets 0.2%, 1%") || !strings.Contains(string(svg), "fam: operating points") {
		t.Errorf("svg lacks the budgets' legend or the title (%v)", err)
	}
	if got := fig.Plot.X.Label.Text; got != "mean test loss (accuracy points, log scale)" {
		t.Errorf("x axis %q: want the loss in accuracy points", got)
	}
	for _, c := range []struct {
		files []compare.FrontierFile
		y     string
		want  string
	}{
		{[]compare.FrontierFile{file("w1", 0.01, 0.02), file("w2", 0.01)}, "speedup", "on 1 of 2 workloads"},
		{[]compare.FrontierFile{file("w1", 0.01)}, "energy", `--y "energy"`},
		{nil, "speedup", "no workloads"},
	} {
		if _, err := Frontier(c.files, c.y, "fam", nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one naming %q", err, c.want)
		}
	}
}

func TestLossScale(t *testing.T) {
	s := lossScale{linear: 0.1}
	if got := s.Normalize(-1, 4, -1); got != 0 {
		t.Errorf("Normalize(min) = %g, want 0", got)
	}
	if got := s.Normalize(-1, 4, 4); got != 1 {
		t.Errorf("Normalize(max) = %g, want 1", got)
	}
	prev := math.Inf(-1)
	for _, x := range []float64{-1, -0.2, -0.01, 0, 0.01, 0.05, 0.2, 0.5, 1, 2, 4} {
		n := s.Normalize(-1, 4, x)
		if !(n > prev) {
			t.Errorf("Normalize(%g) = %g, not above the value before (%g): expected a monotone scale", x, n, prev)
		}
		prev = n
		if back := s.inverse(s.f(x)); math.Abs(back-x) > 1e-12 {
			t.Errorf("inverse(f(%g)) = %g", x, back)
		}
	}
	// Near zero the scale spreads the points: 0 to 0.1% takes more of the axis than 2% to 4%,
	// which a linear axis would make twenty times narrower.
	if near, far := s.Normalize(0, 4, 0.1), s.Normalize(0, 4, 4)-s.Normalize(0, 4, 2); near <= far {
		t.Errorf("0-0.1%% spans %g of the axis, 2-4%% %g: expected the low losses spread out", near, far)
	}
}

func TestLossTicks(t *testing.T) {
	ticks := lossTicks{lossScale{linear: 0.1}}.Ticks(-0.05, 4.2)
	labels := map[string]bool{}
	var values []float64
	for _, tk := range ticks {
		values = append(values, tk.Value)
		if tk.Label != "" {
			labels[tk.Label] = true
		}
	}
	// The budgets 0.2, 0.5, 1 and 2% are labelled; 0.01 is a tick too close to 0 to carry a label,
	// and nothing finer is ticked.
	for _, want := range []string{"0", "0.2", "0.5", "1", "2"} {
		if !labels[want] {
			t.Errorf("no label %q among %v", want, labels)
		}
	}
	if labels["0.01"] || !slices.Contains(values, 0.01) || slices.Contains(values, 0.005) {
		t.Errorf("ticks %v, labels %v: expected 0.01 ticked without a label and nothing finer", values, labels)
	}
	if slices.Contains(values, 5.0) || slices.Contains(values, -0.1) {
		t.Errorf("ticks %v outside [-0.05, 4.2]", values)
	}
}

// TestFrontierMetrics: the loss axis names the workloads' metric's unit, and workloads of
// different metrics are refused, each named with its metric.
func TestFrontierMetrics(t *testing.T) {
	file := func(w, metric string) compare.FrontierFile {
		return compare.FrontierFile{Schema: compare.FrontierSchema, Workload: w, Metric: metric, Points: []compare.Point{
			{Workload: w, Metric: metric, Design: "d", Knob: "pruning.theta", Value: 0.01, TestLoss: 0.001, Speedup: 1.2, EnergyReductionOnChip: 1.1},
			{Workload: w, Metric: metric, Design: "d", Knob: "pruning.theta", Value: 0.1, TestLoss: 0.02, Speedup: 1.5, EnergyReductionOnChip: 1.3},
		}}
	}
	for _, c := range []struct {
		files []compare.FrontierFile
		label string // the x axis; "" an error
		err   string
	}{
		{[]compare.FrontierFile{file("use-lite", compare.MetricCosine), file("minilm-embed", compare.MetricCosine)},
			"mean test loss (1 - cosine, in %, log scale)", ""},
		{[]compare.FrontierFile{file("stories260K", compare.MetricPerplexity)}, "mean test loss (relative perplexity rise, in %, log scale)", ""},
		{[]compare.FrontierFile{file("memn2n-babi-qa1", compare.MetricAccuracy)}, "mean test loss (accuracy points, log scale)", ""},
		{[]compare.FrontierFile{file("memn2n-babi-qa1", compare.MetricAccuracy), file("minilm-embed", compare.MetricCosine),
			file("memn2n-babi-qa2", compare.MetricAccuracy), file("stories260K", compare.MetricPerplexity)}, "",
			"the workloads mix metrics (accuracy: memn2n-babi-qa1, memn2n-babi-qa2; cosine_to_dense: minilm-embed; perplexity: stories260K)"},
		{[]compare.FrontierFile{file("w", "bleu")}, "", `frontier: w: metric "bleu": expected accuracy, cosine_to_dense, perplexity`},
	} {
		fig, err := Frontier(c.files, "speedup", "fam", []float64{0.002})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("error %v, want one naming %q", err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.label, err)
			continue
		}
		if got := fig.Plot.X.Label.Text; got != c.label {
			t.Errorf("x axis %q, want %q", got, c.label)
		}
		if _, ok := fig.Plot.X.Scale.(lossScale); !ok {
			t.Errorf("%s: x scale %T, want the log-beyond-0.1%% lossScale", c.label, fig.Plot.X.Scale)
		}
	}
}
