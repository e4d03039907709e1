package compare

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lrpsim/lrpsim/sim/tabulate"
	"gonum.org/v1/gonum/stat"
)

// BudgetTable is lrpsim compare --budget's output: per budget and design the summary over the
// workloads, then per workload the chosen point.
type BudgetTable struct {
	Choices     []Choice
	Summaries   []BudgetSummary
	EnergyTable string
	IsoArea     bool
	Width       int
	// NotSwept names the suite's workloads that have no operating points (left out, said so).
	NotSwept []string
}

// FormatBudget prints a budget as the command line takes it (0.002 -> "0.2%").
func FormatBudget(b float64) string {
	return strconv.FormatFloat(b*100, 'f', -1, 64) + "%"
}

var budgetSummaryHeader = []string{"budget", "design", "workloads met", "speedup (geomean [95% CI])",
	"energy red. (geomean [95% CI])", "on-chip red. (geomean [95% CI])", "test loss (mean)", "no point within budget"}

func geo(g GeoInterval) string {
	if math.IsNaN(g.Mean) {
		return "n/a"
	}
	return fmt.Sprintf("%.3fx [%.3f, %.3f]", g.Mean, g.Low, g.High)
}

func budgetSummaryCells(s BudgetSummary) []string {
	unmet := "none"
	if len(s.Unmet) > 0 {
		unmet = fmt.Sprintf("%d: %s", len(s.Unmet), strings.Join(s.Unmet, " "))
	}
	return []string{FormatBudget(s.Budget), s.Design, fmt.Sprintf("%d of %d", s.Met, s.Met+len(s.Unmet)),
		geo(s.Speedup), geo(s.EnergyReduction), geo(s.EnergyReductionOnChip), lossCell(s.MeanTestLoss), unmet}
}

// choiceHeader: the metric column names each workload's metric, the unit of its losses.
var choiceHeader = []string{"budget", "workload", "metric", "design", "knob", "value", "validation loss", "test loss [95% CI]",
	"speedup", "energy red.", "on-chip red."}

func choiceCells(b float64, c Choice) []string {
	if c.Point == nil {
		return []string{FormatBudget(b), c.Workload, c.Metric, c.Design, "", "none within budget", "", "", "", "", ""}
	}
	p := c.Point
	return []string{FormatBudget(b), c.Workload, c.Metric, c.Design, p.Knob, strconv.FormatFloat(p.Value, 'g', -1, 64),
		lossCell(p.ValidationLoss), fmt.Sprintf("%s [%s, %s]", lossCell(p.TestLoss), lossCell(c.TestLow), lossCell(c.TestHi)),
		fmt.Sprintf("%.3fx", p.Speedup), fmt.Sprintf("%.3fx", p.EnergyReduction), fmt.Sprintf("%.3fx", p.EnergyReductionOnChip)}
}

func lossCell(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%+.4f", x)
}

func (t BudgetTable) choiceRows() [][]string {
	var rows [][]string
	for _, c := range t.Choices {
		rows = append(rows, choiceCells(c.Budget, c))
	}
	return rows
}

// metrics are the metrics of the table's workloads, in the order of Metrics.
func (t BudgetTable) metrics() []string {
	var out []string
	for _, m := range Metrics() {
		if slices.ContainsFunc(t.Choices, func(c Choice) bool { return c.Metric == m }) {
			out = append(out, m)
		}
	}
	return out
}

func (t BudgetTable) caption() string {
	s := "Designs at equal metric loss (lrpsim compare --budget): per workload and design, the fastest operating point " +
		"whose closed-loop metric loss on the validation split is within the budget; its loss on the disjoint test split " +
		"with a paired bootstrap 95% interval over the inputs (questions, sentences or sequences); per design and budget, " +
		"geometric means over the workloads that met the budget with bootstrap 95% intervals over those workloads (energy table " +
		t.EnergyTable + ")."
	if m := t.metrics(); len(m) > 1 {
		s += fmt.Sprintf(" A budget is a loss in each workload's own metric's unit (issue 26), so the geometric means and the mean "+
			"test loss pool workloads of different metrics (%s) by the budget, not by one scale of loss.", strings.Join(m, ", "))
	}
	if t.IsoArea {
		s += " Iso-area: each design's units are sized to the first design's area and every point is measured against the first design's dense baseline."
	}
	if len(t.NotSwept) > 0 {
		s += fmt.Sprintf(" Not swept, so not in this table: %d of the suite's workloads (%s).", len(t.NotSwept), strings.Join(t.NotSwept, ", "))
	}
	return s
}

// footnote states each metric's loss unit, for the metrics of the table (accuracy when it has
// none), and the noise of bAbI's splits where accuracy is among them.
func (t BudgetTable) footnote() string {
	m := t.metrics()
	if len(m) == 0 {
		m = []string{MetricAccuracy}
	}
	var units []string
	for _, x := range m {
		switch x {
		case MetricAccuracy:
			units = append(units, "accuracy: dense accuracy - accuracy, a fraction, so 0.002 is 0.2 points")
		case MetricCosine:
			units = append(units, "cosine_to_dense: 1 - cosine, the mean over inputs of the dense model's cosine minus the point's, "+
				"so 0.002 is a mean cosine 0.002 below the dense model's")
		case MetricPerplexity:
			units = append(units, "perplexity: the relative perplexity rise, the point's perplexity over the dense model's - 1, "+
				"so 0.002 is 0.2%")
		}
	}
	s := "loss, in each workload's metric's unit (" + strings.Join(units, "; ") + "); a budget of 0.2% allows a loss of 0.002."
	if slices.Contains(m, MetricAccuracy) {
		s += " A bAbI validation split has 100 questions (one question is 1%), its test split 1000 (two questions are 0.2%): " +
			"at the 0.2% and 0.5% budgets a point is within budget only when it loses no validation question, and the test " +
			"intervals are as wide as a few questions, so those budgets are inside the noise of these splits."
	}
	return s
}

// Write prints the table: md (the default for files), text or csv (the choices only).
func (t BudgetTable) Write(w io.Writer, format string) error {
	var b strings.Builder
	switch format {
	case "md", "markdown":
		row := func(c []string) { b.WriteString("| " + strings.Join(c, " | ") + " |\n") }
		rule := func(n int) { b.WriteString("|" + strings.Repeat("---|", n) + "\n") }
		b.WriteString(t.caption() + "\n\n")
		row(budgetSummaryHeader)
		rule(len(budgetSummaryHeader))
		for _, s := range t.Summaries {
			row(budgetSummaryCells(s))
		}
		b.WriteString("\nPer workload:\n\n")
		row(choiceHeader)
		rule(len(choiceHeader))
		for _, c := range t.choiceRows() {
			row(c)
		}
		b.WriteString("\n" + t.footnote() + "\n")
	case "text":
		right := func(col int) bool { return col >= 2 }
		b.WriteString(tabulate.WrapText(t.caption(), t.Width) + "\n")
		var sums [][]string
		for _, s := range t.Summaries {
			sums = append(sums, budgetSummaryCells(s))
		}
		b.WriteString(tabulate.Columns{Header: budgetSummaryHeader, Rows: sums, Keys: 2, Width: t.Width, Right: right}.String())
		b.WriteString("\nPer workload:\n\n")
		b.WriteString(tabulate.Columns{Header: choiceHeader, Rows: t.choiceRows(), Keys: 4, Width: t.Width,
			Right: func(col int) bool { return col >= 5 }}.String())
		b.WriteString("\n" + tabulate.WrapText(t.footnote(), t.Width))
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(choiceHeader); err != nil {
			return err
		}
		for _, c := range t.choiceRows() {
			if err := cw.Write(c); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	default:
		return fmt.Errorf("--format %q with --budget: expected text, md or csv", format)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// PaperSpeedup and PaperEnergyReduction are LeOPArd's published gains (ISCA 2022: 1.9x speedup
// and 3.9x energy reduction at under 0.2% average accuracy loss over its 43 tasks).
const (
	PaperSpeedup         = 1.9
	PaperEnergyReduction = 3.9
	PaperBudget          = 0.002
)

// Summary writes the short Markdown the README quotes: per budget each design ranked by its
// geometric-mean speedup over the workloads, one where no point met the budget at 1x (it runs
// dense), and the reference design (the first) at the paper's budget beside the paper's gains;
// where the workloads have several metrics, a line saying the budget pools them.
func (t BudgetTable) Summary(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| budget | rank | design | workloads met | speedup, unmet at 1x (geomean [95% CI]) | speedup over those met | energy red. (those met) | on-chip red. (those met) |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|\n")
	var ref *BudgetSummary
	for i := 0; i < len(t.Summaries); {
		j := i
		for j < len(t.Summaries) && t.Summaries[j].Budget == t.Summaries[i].Budget {
			j++
		}
		group := slices.Clone(t.Summaries[i:j])
		if math.Abs(group[0].Budget-PaperBudget) < lossTolerance { // the reference design is the first of its budget
			r := group[0]
			ref = &r
		}
		slices.SortStableFunc(group, func(x, y BudgetSummary) int { return cmp.Compare(rankKey(y), rankKey(x)) })
		for k, s := range group {
			fmt.Fprintf(&b, "| %s | %d | %s | %d of %d | %s | %s | %s | %s |\n", FormatBudget(s.Budget), k+1, s.Design, s.Met,
				s.Met+len(s.Unmet), geo(s.SpeedupDenseFallback), geoShort(s.Speedup), geoShort(s.EnergyReduction), geoShort(s.EnergyReductionOnChip))
		}
		i = j
	}
	if ref != nil {
		fmt.Fprintf(&b, "\n%s at the paper's %s budget: %s speedup, %s energy reduction (%s on-chip) over the %d of %d workloads "+
			"where a point met it (%s with the others at 1x); the paper reports %.1fx and %.1fx at under 0.2%% average accuracy loss.\n",
			ref.Design, FormatBudget(PaperBudget), geoShort(ref.Speedup), geoShort(ref.EnergyReduction),
			geoShort(ref.EnergyReductionOnChip), ref.Met, ref.Met+len(ref.Unmet), geoShort(ref.SpeedupDenseFallback), PaperSpeedup, PaperEnergyReduction)
	}
	if m := t.metrics(); len(m) > 1 {
		fmt.Fprintf(&b, "\nThe workloads have different metrics (%s): each meets a budget in its own metric's unit (issue 26), "+
			"and the geometric means pool them by the budget.\n", strings.Join(m, ", "))
		if ref != nil {
			b.WriteString(t.byMetric(PaperBudget, m))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// byMetric is a table of each design at one budget, one column per metric: the geometric-mean
// speedup over that metric's workloads where a point met the budget, and how many did, so that a
// pooled mean does not hide a family where a design falls behind.
func (t BudgetTable) byMetric(budget float64, metrics []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nAt the %s budget, by metric (geomean speedup over the workloads where a point met it; met of all):\n\n| design |", FormatBudget(budget))
	for _, m := range metrics {
		b.WriteString(" " + m + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(metrics)) + "\n")
	var designs []string
	for _, s := range t.Summaries {
		if math.Abs(s.Budget-budget) < lossTolerance && !slices.Contains(designs, s.Design) {
			designs = append(designs, s.Design)
		}
	}
	for _, d := range designs {
		b.WriteString("| " + d + " |")
		for _, m := range metrics {
			var sp []float64
			all := 0
			for _, c := range t.Choices {
				if c.Design != d || c.Metric != m || math.Abs(c.Budget-budget) >= lossTolerance {
					continue
				}
				all++
				if c.Point != nil {
					sp = append(sp, c.Point.Speedup)
				}
			}
			g := GeoInterval{Mean: math.NaN()} // the mean alone: this table has no intervals
			if len(sp) > 0 {
				g.Mean = stat.GeometricMean(sp, nil)
			}
			fmt.Fprintf(&b, " %s (%d of %d) |", geoShort(g), len(sp), all)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// rankKey orders a budget's designs: the geometric-mean speedup with a workload no point met at 1x.
func rankKey(s BudgetSummary) float64 {
	return s.SpeedupDenseFallback.Mean
}

func geoShort(g GeoInterval) string {
	if math.IsNaN(g.Mean) {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", g.Mean)
}
