package compare

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lrpsim/lrpsim/sim/tabulate"
	"github.com/lrpsim/lrpsim/traces/data"
)

// Summary is one configuration over every workload: geometric means of the speedups and energy
// reductions, arithmetic means of the rates, the false drops summed, and the worst output
// error.
type Summary struct {
	Config, Policy                                  string
	Workloads                                       int
	Speedup, EnergyReduction, EnergyReductionOnChip float64
	PruningRate, MeanDroppedMass, MeanOutputError   float64
	MaxOutputError                                  float64
	FalseDrops, Pairs                               int64
	// MetricDrop is the mean closed-loop metric loss against the dense model over the workloads
	// that have one (NaN: none), over Measured of them: dense - metric, or for a lower-is-better
	// metric (perplexity) the relative rise (metric - dense) / dense, as lrpsim_export's metric
	// loss (tasks.py); positive when the rule makes the model worse.
	MetricDrop float64
	Measured   int
}

// Summarize groups rows by configuration, in the order they first appear.
func Summarize(rows []Row) []Summary {
	var out []Summary
	idx := map[string]int{}
	for _, r := range rows {
		i, ok := idx[r.Config]
		if !ok {
			i = len(out)
			idx[r.Config] = i
			out = append(out, Summary{Config: r.Config, Policy: r.Policy, Speedup: 0, MetricDrop: 0})
		}
		s := &out[i]
		s.Workloads++
		s.Speedup += math.Log(r.Speedup)
		s.EnergyReduction += math.Log(r.EnergyReduction)
		s.EnergyReductionOnChip += math.Log(r.EnergyReductionOnChip)
		s.PruningRate += r.Fidelity.PruningRate()
		s.MeanDroppedMass += r.Fidelity.MeanDroppedMass
		s.MeanOutputError += r.Fidelity.MeanOutputError
		s.MaxOutputError = max(s.MaxOutputError, r.Fidelity.MaxOutputError)
		s.FalseDrops += r.Fidelity.FalseDrops
		s.Pairs += r.Fidelity.Pairs
		if !math.IsNaN(r.Metric) && !math.IsNaN(r.DenseMetric) {
			s.MetricDrop += MetricLoss(r)
			s.Measured++
		}
	}
	for i := range out {
		s := &out[i]
		n := float64(s.Workloads)
		s.Speedup, s.EnergyReduction, s.EnergyReductionOnChip = math.Exp(s.Speedup/n), math.Exp(s.EnergyReduction/n), math.Exp(s.EnergyReductionOnChip/n)
		s.PruningRate /= n
		s.MeanDroppedMass /= n
		s.MeanOutputError /= n
		if s.Measured > 0 {
			s.MetricDrop /= float64(s.Measured)
		} else {
			s.MetricDrop = math.NaN()
		}
	}
	return out
}

// MetricLoss is how much worse the row's closed-loop metric is than its dense model's, >= 0 when
// worse: dense - metric, or (metric - dense) / dense for a lower-is-better metric.
func MetricLoss(r Row) float64 {
	if r.LowerIsBetter {
		return (r.Metric - r.DenseMetric) / r.DenseMetric
	}
	return r.DenseMetric - r.Metric
}

// Table is a comparison to print.
type Table struct {
	Rows        []Row
	EnergyTable string
	IsoArea     bool
	// Width is the line width of the text format (0: tabulate.DefaultWidth).
	Width int
}

// header and cells: one definition of the columns for every format.
var header = []string{"workload", "design", "policy", "model", "units", "area (mm^2)", "pruned", "speedup",
	"energy red.", "on-chip red.", "false drops", "dropped mass (mean)", "dropped mass (max)",
	"output error (mean)", "output error (max)", "metric", "dense metric"}

func cells(r Row) []string {
	f := r.Fidelity
	return []string{workloadLabel(r.Workload), r.Config, r.Policy, r.Model, strconv.Itoa(r.Units), fmt.Sprintf("%.3f", r.AreaMM2),
		pct(f.PruningRate()), fmt.Sprintf("%.2fx", r.Speedup), fmt.Sprintf("%.2fx", r.EnergyReduction),
		fmt.Sprintf("%.2fx", r.EnergyReductionOnChip), strconv.FormatInt(f.FalseDrops, 10),
		fmt.Sprintf("%.4f", f.MeanDroppedMass), fmt.Sprintf("%.4f", f.MaxDroppedMass),
		fmt.Sprintf("%.4f", f.MeanOutputError), fmt.Sprintf("%.4f", f.MaxOutputError), num(r.Metric), num(r.DenseMetric)}
}

var summaryHeader = []string{"design", "policy", "workloads", "pruned (mean)", "speedup (geomean)", "energy red. (geomean)",
	"on-chip red. (geomean)", "false drops", "dropped mass (mean)", "output error (mean)", "output error (max)", "metric loss (mean)"}

func summaryCells(s Summary) []string {
	loss := "n/a"
	if s.Measured > 0 {
		loss = fmt.Sprintf("%.4f (%d)", s.MetricDrop, s.Measured)
	}
	return []string{s.Config, s.Policy, strconv.Itoa(s.Workloads), pct(s.PruningRate), fmt.Sprintf("%.2fx", s.Speedup),
		fmt.Sprintf("%.2fx", s.EnergyReduction), fmt.Sprintf("%.2fx", s.EnergyReductionOnChip),
		fmt.Sprintf("%d of %d", s.FalseDrops, s.Pairs), fmt.Sprintf("%.4f", s.MeanDroppedMass),
		fmt.Sprintf("%.4f", s.MeanOutputError), fmt.Sprintf("%.4f", s.MaxOutputError), loss}
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

func num(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", x)
}

func workloadLabel(w string) string {
	return strings.TrimSuffix(filepath.Base(strings.TrimPrefix(w, data.BundledPrefix)), ".npz")
}

// Write prints the table in format text (aligned columns for a terminal, within t.Width), md,
// csv or latex.
func (t Table) Write(w io.Writer, format string) error {
	switch format {
	case "text":
		return t.text(w)
	case "md", "markdown":
		return t.markdown(w)
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return err
		}
		for _, r := range t.Rows {
			if err := cw.Write(cells(r)); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case "latex", "tex":
		return t.latex(w)
	}
	return fmt.Errorf("unknown format %q (expected %s)", format, strings.Join(tabulate.Formats(), ", "))
}

func (t Table) caption() string {
	s := "Runtime pruning rules on the same substrate and traces, against its dense baseline (energy table " +
		t.EnergyTable + "). Training-free rules replay the dense model's trace where one exists (model: dense)."
	if t.IsoArea {
		s += " Iso-area: each design's units are sized so that its area does not exceed the first design's, and every design is measured against the first design's dense baseline."
	}
	return s
}

func (t Table) markdown(w io.Writer) error {
	var b strings.Builder
	row := func(c []string) { b.WriteString("| " + strings.Join(c, " | ") + " |\n") }
	rule := func(n int) { b.WriteString("|" + strings.Repeat("---|", n) + "\n") }
	b.WriteString(t.caption() + "\n\n")
	row(header)
	rule(len(header))
	for _, r := range t.Rows {
		row(cells(r))
	}
	b.WriteString("\nPer design over the workloads:\n\n")
	row(summaryHeader)
	rule(len(summaryHeader))
	for _, s := range Summarize(t.Rows) {
		row(summaryCells(s))
	}
	b.WriteString("\n" + footnote + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// footnote explains the columns, under the text and Markdown tables.
const footnote = "false drops: drops the rule's own oracle would not make with exact scores (arch/POLICIES.md); " +
	"dropped mass: the dense softmax mass of a row's dropped keys; output error: ||O - O_dense||_F / ||O_dense||_F per head; " +
	"metric: the closed-loop task metric with the rule inside the model's forward pass (traces/python); " +
	"metric loss: dense - metric, or for a lower-is-better metric (perplexity) (metric - dense) / dense."

// text lays the comparison out for a terminal: the workload and the design first and in every
// panel of columns, then one line per design over the workloads.
func (t Table) text(w io.Writer) error {
	var b strings.Builder
	right := func(from int) func(int) bool { return func(col int) bool { return col >= from } }
	b.WriteString(tabulate.WrapText(t.caption(), t.Width) + "\n")
	designs := len(Summarize(t.Rows))
	var rows [][]string
	for i, r := range t.Rows {
		if designs > 1 && i > 0 && r.Workload != t.Rows[i-1].Workload {
			rows = append(rows, nil) // a rule between workloads
		}
		rows = append(rows, cells(r))
	}
	b.WriteString(tabulate.Columns{Header: header, Rows: rows, Keys: 2, Width: t.Width, Right: right(4)}.String())
	b.WriteString("\nPer design over the workloads:\n\n")
	var sums [][]string
	for _, s := range Summarize(t.Rows) {
		sums = append(sums, summaryCells(s))
	}
	b.WriteString(tabulate.Columns{Header: summaryHeader, Rows: sums, Keys: 1, Width: t.Width, Right: right(2)}.String())
	b.WriteString("\n" + tabulate.WrapText(footnote, t.Width))
	_, err := io.WriteString(w, b.String())
	return err
}

func (t Table) latex(w io.Writer) error {
	var b strings.Builder
	esc := tabulate.EscapeLaTeX
	b.WriteString("% " + t.caption() + "\n")
	b.WriteString("\\begin{tabular}{" + strings.Repeat("l", 4) + strings.Repeat("r", len(header)-4) + "}\n\\toprule\n")
	line := func(c []string) {
		for i := range c {
			c[i] = esc(c[i])
		}
		b.WriteString(strings.Join(c, " & ") + " \\\\\n")
	}
	line(append([]string(nil), header...))
	b.WriteString("\\midrule\n")
	for _, r := range t.Rows {
		line(cells(r))
	}
	b.WriteString("\\bottomrule\n\\end{tabular}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
