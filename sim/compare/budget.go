package compare

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/gonum/stat"
)

// budgetPattern is a budget as the command line writes it: a plain decimal percentage.
var budgetPattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)%$`)

// ParseBudget reads a metric-loss budget such as "0.2%" into the loss it allows in the metric's
// own unit (0.002): accuracy points over 100, 1 - cosine, or a relative perplexity rise.
func ParseBudget(s string) (float64, error) {
	m := budgetPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("--budget %q: expected a percentage such as 0.2%% (the metric loss allowed, in the metric's unit)", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || v > 100 {
		return 0, fmt.Errorf("--budget %q: expected a percentage from 0%% to 100%%", s)
	}
	return v / 100, nil
}

// lossTolerance absorbs the rounding of a loss made of question counts (2/1000 against 0.2/100).
const lossTolerance = 1e-12

// Choice is the operating point a budget selects for one design on one workload (Point nil: no
// point's validation loss is within the budget), with the paired bootstrap 95% interval of its
// test loss; Metric is the workload's metric, the unit of the losses and the budget.
type Choice struct {
	Budget                   float64
	Workload, Metric, Design string
	Point                    *Point
	TestLow, TestHi          float64
}

// Select returns, for one design on one workload, the fastest point whose validation loss is
// within budget (ties: the smaller validation loss, then the first in grid order), or nil. It
// reads only the validation loss and the speedup: the test split never decides.
func Select(pts []Point, budget float64) *Point {
	var best *Point
	for i := range pts {
		p := &pts[i]
		if p.ValidationLoss > budget+lossTolerance {
			continue
		}
		if best == nil || p.Speedup > best.Speedup || (p.Speedup == best.Speedup && p.ValidationLoss < best.ValidationLoss) {
			best = p
		}
	}
	return best
}

// validationView is what Select may see of a point: the test split removed, so that a test can
// check the choice does not depend on it.
func validationView(pts []Point) []Point {
	out := make([]Point, len(pts))
	for i, p := range pts {
		out[i] = Point{Workload: p.Workload, Design: p.Design, Knob: p.Knob, Value: p.Value,
			ValidationLoss: p.ValidationLoss, Speedup: p.Speedup}
	}
	return out
}

// BootstrapResamples and BootstrapSeed fix the bootstrap: the same inputs give the same interval.
const (
	BootstrapResamples = 2000
	BootstrapSeed      = 26
)

// PairedInterval is the 95% percentile bootstrap interval of a point's loss (PairedLoss.Loss):
// the inputs resampled with replacement, the dense model's and the point's measurements of an
// input kept together, seeded.
func PairedInterval(l PairedLoss, seed uint64) (lo, hi float64) {
	n := l.Len()
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	r := rand.New(rand.NewPCG(seed, 0x1f2e3d4c))
	losses := make([]float64, BootstrapResamples)
	idx := make([]int, n)
	for b := range losses {
		for i := range idx {
			idx[i] = r.IntN(n)
		}
		losses[b] = l.Loss(idx)
	}
	return percentiles(losses)
}

// percentiles sorts xs and returns its 2.5% and 97.5% empirical quantiles.
func percentiles(xs []float64) (float64, float64) {
	sort.Float64s(xs)
	return stat.Quantile(0.025, stat.Empirical, xs, nil), stat.Quantile(0.975, stat.Empirical, xs, nil)
}

// GeoInterval is a geometric mean and the 95% percentile bootstrap interval over the values
// (workloads resampled with replacement, seeded).
type GeoInterval struct{ Mean, Low, High float64 }

// GeomeanInterval: see GeoInterval; NaNs when xs is empty.
func GeomeanInterval(xs []float64, seed uint64) GeoInterval {
	n := len(xs)
	if n == 0 {
		return GeoInterval{math.NaN(), math.NaN(), math.NaN()}
	}
	logs := make([]float64, n)
	for i, x := range xs {
		logs[i] = math.Log(x)
	}
	r := rand.New(rand.NewPCG(seed, 0x5a5a5a5a))
	means := make([]float64, BootstrapResamples)
	for b := range means {
		s := 0.0
		for range n {
			s += logs[r.IntN(n)]
		}
		means[b] = math.Exp(s / float64(n))
	}
	lo, hi := percentiles(means)
	return GeoInterval{math.Exp(stat.Mean(logs, nil)), lo, hi}
}

// BudgetSummary is one design at one budget over the workloads: the geometric means of the
// chosen points' speedups and energy reductions with bootstrap intervals over the workloads
// that met the budget, the mean test loss of those points, and the workloads where no point did.
type BudgetSummary struct {
	Budget                                          float64
	Design                                          string
	Met                                             int
	Speedup, EnergyReduction, EnergyReductionOnChip GeoInterval
	// SpeedupDenseFallback is the geometric mean over every workload, one where no point met the
	// budget counted at 1x (it runs dense): the rank's key, fair to a design that misses some.
	SpeedupDenseFallback GeoInterval
	MeanTestLoss         float64
	Unmet                []string
}

// Budgets selects per design, workload and budget (Select over the validation view), computes
// each choice's test-loss interval, and summarizes per design and budget. designs gives the
// order; pts are every simulated point.
func Budgets(pts []Point, designs []string, budgets []float64) ([]Choice, []BudgetSummary) {
	var workloads []string
	group := map[[2]string][]Point{}
	for _, p := range pts {
		if !slices.Contains(workloads, p.Workload) {
			workloads = append(workloads, p.Workload)
		}
		k := [2]string{p.Workload, p.Design}
		group[k] = append(group[k], p)
	}
	var choices []Choice
	var sums []BudgetSummary
	for _, b := range budgets {
		for _, d := range designs {
			s := BudgetSummary{Budget: b, Design: d}
			var sp, er, eroc []float64
			var loss float64
			for _, w := range workloads {
				full := group[[2]string{w, d}]
				c := Choice{Budget: b, Workload: w, Design: d, TestLow: math.NaN(), TestHi: math.NaN()}
				if len(full) > 0 {
					c.Metric = full[0].Metric
				}
				if v := Select(validationView(full), b); v != nil {
					i := slices.IndexFunc(full, func(p Point) bool { return p.Value == v.Value })
					c.Point = &full[i]
					c.TestLow, c.TestHi = PairedInterval(c.Point.test, pointSeed(w, d))
					sp = append(sp, c.Point.Speedup)
					er = append(er, c.Point.EnergyReduction)
					eroc = append(eroc, c.Point.EnergyReductionOnChip)
					loss += c.Point.TestLoss
				} else {
					s.Unmet = append(s.Unmet, w)
				}
				choices = append(choices, c)
			}
			s.Met = len(sp)
			s.Speedup = GeomeanInterval(sp, BootstrapSeed)
			all := slices.Clone(sp)
			for range s.Unmet {
				all = append(all, 1)
			}
			s.SpeedupDenseFallback = GeomeanInterval(all, BootstrapSeed+3)
			s.EnergyReduction = GeomeanInterval(er, BootstrapSeed+1)
			s.EnergyReductionOnChip = GeomeanInterval(eroc, BootstrapSeed+2)
			s.MeanTestLoss = math.NaN()
			if s.Met > 0 {
				s.MeanTestLoss = loss / float64(s.Met)
			}
			sums = append(sums, s)
		}
	}
	return choices, sums
}

// pointSeed seeds a workload's and design's paired bootstrap from their names, so an interval
// does not change with the other workloads asked for.
func pointSeed(workload, design string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(workload + "/" + design))
	return BootstrapSeed ^ h.Sum64()
}
