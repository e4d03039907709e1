package compare

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParseBudget(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		err  string
	}{
		{"0.2%", 0.002, ""},
		{"1%", 0.01, ""},
		{"0%", 0, ""},
		{"100%", 1, ""},
		{"2.50%", 0.025, ""},
		{"0.2", 0, "expected a percentage such as 0.2%"},
		{"-1%", 0, "expected a percentage"},
		{" 1%", 0, "expected a percentage"},
		{"1 %", 0, "expected a percentage"},
		{"1e1%", 0, "expected a percentage"},
		{"0x1p-2%", 0, "expected a percentage"},
		{".5%", 0, "expected a percentage"},
		{"NaN%", 0, "expected a percentage"},
		{"%", 0, "expected a percentage"},
		{"101%", 0, "from 0% to 100%"},
		{"0.2%%", 0, "expected a percentage"},
	} {
		got, err := ParseBudget(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "--budget") {
				t.Errorf("ParseBudget(%q) = %v, %v: want an error naming --budget and %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseBudget(%q) = %v, %v: want %v", c.in, got, err, c.want)
		}
	}
	// The budget compares with a loss made of question counts: 2 of 1000 is within 0.2%.
	b, _ := ParseBudget("0.2%")
	if Select([]Point{{ValidationLoss: 2.0 / 1000, Speedup: 2}}, b) == nil {
		t.Errorf("a loss of 2/1000 is not within 0.2%%")
	}
	if Select([]Point{{ValidationLoss: 3.0 / 1000, Speedup: 2}}, b) != nil {
		t.Errorf("a loss of 3/1000 is within 0.2%%")
	}
}

func TestFormatBudget(t *testing.T) {
	for _, s := range []string{"0.2%", "0.5%", "1%", "2%"} {
		b, err := ParseBudget(s)
		if err != nil || FormatBudget(b) != s {
			t.Errorf("FormatBudget(ParseBudget(%q)) = %q (%v)", s, FormatBudget(b), err)
		}
	}
}

// accuracyPair is an accuracy split's paired measurements from per-question differences
// (dense right minus point right: -1, 0 or 1).
func accuracyPair(diff ...int8) PairedLoss {
	l := PairedLoss{Metric: MetricAccuracy, Dense: make([]float64, len(diff)), Point: make([]float64, len(diff))}
	for i, d := range diff {
		switch d {
		case 1:
			l.Dense[i] = 1
		case -1:
			l.Point[i] = 1
		}
	}
	return l
}

// points of one design on one workload: the fastest has a validation loss over every budget
// below 2%, and the test split would rank them the other way round.
func selectionPoints() []Point {
	return []Point{
		{Workload: "w", Design: "d", Value: 1, ValidationLoss: 0, TestLoss: 0.05, Speedup: 1.1, test: accuracyPair(1, 0)},
		{Workload: "w", Design: "d", Value: 2, ValidationLoss: 0.004, TestLoss: 0.0, Speedup: 1.5, test: accuracyPair(0, 0)},
		{Workload: "w", Design: "d", Value: 3, ValidationLoss: 0.015, TestLoss: -0.01, Speedup: 2.0, test: accuracyPair(0, -1)},
		{Workload: "w", Design: "d", Value: 4, ValidationLoss: 0.004, TestLoss: 0.2, Speedup: 1.5, test: accuracyPair(1, 1)},
	}
}

func TestSelectFastestWithinBudget(t *testing.T) {
	pts := selectionPoints()
	for _, c := range []struct {
		budget float64
		want   float64 // the chosen value; 0 none
	}{
		{0.002, 1}, {0.005, 2}, {0.01, 2}, {0.02, 3}, {1, 3},
	} {
		got := Select(pts, c.budget)
		if got == nil || got.Value != c.want {
			t.Errorf("budget %v: chose %+v, want value %v", c.budget, got, c.want)
		}
	}
	if got := Select(pts[2:3], 0.01); got != nil {
		t.Errorf("no point within 1%%, chose %+v", got)
	}
}

// TestSelectionNeverSeesTest: the choice is the same whatever the test split says, and the
// view Select gets carries nothing of the test split.
func TestSelectionNeverSeesTest(t *testing.T) {
	pts := selectionPoints()
	other := selectionPoints()
	for i := range other {
		other[i].TestLoss = -other[i].TestLoss + 0.3*float64(i)
		other[i].TestMetric = float64(i)
		other[i].test = accuracyPair(int8(i%2), 1)
	}
	for _, b := range []float64{0.002, 0.005, 0.01, 0.02} {
		c1, _ := Budgets(pts, []string{"d"}, []float64{b})
		c2, _ := Budgets(other, []string{"d"}, []float64{b})
		if c1[0].Point.Value != c2[0].Point.Value {
			t.Errorf("budget %v: the choice moved with the test split: %v vs %v", b, c1[0].Point.Value, c2[0].Point.Value)
		}
	}
	for _, v := range validationView(pts) {
		if v.TestLoss != 0 || v.TestMetric != 0 || v.test.Len() != 0 || v.EnergyReduction != 0 {
			t.Errorf("the validation view carries the test split: %+v", v)
		}
	}
}

// bitsInterval is the accuracy bootstrap as it was before PairedLoss: the mean of resampled
// per-question differences, summed as integers. PairedInterval must give the same bytes.
func bitsInterval(diff []int8, seed uint64) (lo, hi float64) {
	n := len(diff)
	r := rand.New(rand.NewPCG(seed, 0x1f2e3d4c))
	means := make([]float64, BootstrapResamples)
	for b := range means {
		s := 0
		for range n {
			s += int(diff[r.IntN(n)])
		}
		means[b] = float64(s) / float64(n)
	}
	return percentiles(means)
}

func TestBootstrapDeterministic(t *testing.T) {
	diff := make([]int8, 1000)
	for i := range diff {
		switch i % 97 {
		case 0, 13, 50:
			diff[i] = 1
		case 7:
			diff[i] = -1
		}
	}
	l := accuracyPair(diff...)
	lo1, hi1 := PairedInterval(l, 7)
	lo2, hi2 := PairedInterval(l, 7)
	if lo1 != lo2 || hi1 != hi2 {
		t.Fatalf("the same seed gave [%v, %v] and [%v, %v]", lo1, hi1, lo2, hi2)
	}
	m := l.Loss(nil)
	// 1000 questions: 11 of each residue mod 97 below 30, 10 of the others: residues 0, 13 and 50
	// lose, 7 gains
	if want := float64(11+11+10-11) / 1000; math.Abs(m-want) > 1e-15 {
		t.Errorf("loss %v, want %v", m, want)
	}
	if !(lo1 <= m && m <= hi1) || !(lo1 < hi1) {
		t.Errorf("interval [%v, %v] does not hold the mean %v", lo1, hi1, m)
	}
	if lo, hi := bitsInterval(diff, 7); lo != lo1 || hi != hi1 {
		t.Errorf("interval [%v, %v], the per-question bits' bootstrap [%v, %v]: expected the same", lo1, hi1, lo, hi)
	}
	// all questions equal: no spread
	if lo, hi := PairedInterval(accuracyPair(make([]int8, 50)...), 1); lo != 0 || hi != 0 {
		t.Errorf("all-zero differences: [%v, %v], want [0, 0]", lo, hi)
	}
	if lo, hi := PairedInterval(PairedLoss{Metric: MetricAccuracy}, 1); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("no questions: [%v, %v], want NaN", lo, hi)
	}
	g1 := GeomeanInterval([]float64{1.1, 1.2, 1.5, 2.0}, 3)
	g2 := GeomeanInterval([]float64{1.1, 1.2, 1.5, 2.0}, 3)
	if g1 != g2 {
		t.Errorf("geomean interval not deterministic: %+v vs %+v", g1, g2)
	}
	want := math.Pow(1.1*1.2*1.5*2.0, 0.25)
	if math.Abs(g1.Mean-want) > 1e-12 || !(g1.Low <= g1.Mean && g1.Mean <= g1.High) || g1.Low < 1.1 || g1.High > 2.0 {
		t.Errorf("geomean %+v, want mean %v inside [1.1, 2.0]", g1, want)
	}
	if g := GeomeanInterval(nil, 1); !math.IsNaN(g.Mean) {
		t.Errorf("no workloads: %+v, want NaN", g)
	}
}

func TestBudgetsListUnmet(t *testing.T) {
	pts := append(selectionPoints(), Point{Workload: "v", Design: "d", Value: 1, ValidationLoss: 0.05, Speedup: 3, test: accuracyPair(1)})
	_, sums := Budgets(pts, []string{"d"}, []float64{0.01})
	s := sums[0]
	if s.Met != 1 || len(s.Unmet) != 1 || s.Unmet[0] != "v" || s.Speedup.Mean != 1.5 {
		t.Errorf("summary %+v: want w met at 1.5x and v listed unmet", s)
	}
}

func TestSplitsDisjoint(t *testing.T) {
	ok := map[string]SplitSource{Validation: {File: "train.txt", First: 900, Count: 100}, Test: {File: "test.txt", Count: 1000}}
	if err := checkDisjoint(ok); err != nil {
		t.Errorf("different files: %v", err)
	}
	same := map[string]SplitSource{Validation: {File: "test.txt", First: 0, Count: 500}, Test: {File: "test.txt", First: 500, Count: 500}}
	if err := checkDisjoint(same); err != nil {
		t.Errorf("adjacent ranges of one file: %v", err)
	}
	overlap := map[string]SplitSource{Validation: {File: "test.txt", First: 0, Count: 501}, Test: {File: "test.txt", First: 500, Count: 500}}
	if err := checkDisjoint(overlap); err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("overlapping ranges: %v, want an error", err)
	}
}

func TestUnpackBits(t *testing.T) {
	b, err := unpackBits("a0", 3) // 1010 0000
	if err != nil || b[0] != 1 || b[1] != 0 || b[2] != 1 {
		t.Errorf("unpackBits(a0, 3) = %v, %v", b, err)
	}
	if _, err := unpackBits("a0ff", 3); err == nil {
		t.Errorf("too many bytes accepted")
	}
	if _, err := unpackBits("zz", 3); err == nil {
		t.Errorf("bad hex accepted")
	}
}

func TestNaturalLess(t *testing.T) {
	if !naturalLess("memn2n-babi-qa2", "memn2n-babi-qa10") || naturalLess("memn2n-babi-qa10", "memn2n-babi-qa2") {
		t.Errorf("qa2 should sort before qa10")
	}
}
