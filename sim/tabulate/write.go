package tabulate

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Formats lists the output formats of Write.
func Formats() []string { return []string{"text", "md", "csv", "latex"} }

// Table is what the writers print: the rows and, for the notes under the table, the names of the
// configuration and the energy table they were simulated with ("" leaves a name out).
type Table struct {
	Rows        []Row
	Config      string
	EnergyTable string
	// DRAMDevicePJPerBit and DRAMInterfacePJPerBit are the config's DRAM prices
	// (memory.dram_device_pj_per_bit, memory.dram_interface_pj_per_bit), which the notes state.
	DRAMDevicePJPerBit, DRAMInterfacePJPerBit float64
	// Width is the line width of the text format (0: DefaultWidth).
	Width int
}

// Write prints t in format: "text" (aligned columns for a terminal, within t.Width), "md"
// (Markdown, also "markdown"), "csv", or "latex" (also "tex"). It renders the whole table before
// writing, so an error leaves nothing half-written.
func (t Table) Write(w io.Writer, format string) error {
	var b bytes.Buffer
	switch format {
	case "text":
		t.text(&b)
	case "md", "markdown":
		t.markdown(&b)
	case "csv":
		if err := t.csv(&b); err != nil {
			return err
		}
	case "latex", "tex":
		t.latex(&b)
	default:
		return fmt.Errorf("unknown table format %q (expected %s)", format, strings.Join(Formats(), ", "))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// cells are the display texts of one table line, shared by Markdown and LaTeX.
type cells struct {
	model, task, trace, data, pairs, pruned, steps, speedup, energy, onchip, bound, metric string
}

func (c cells) list() []string {
	return []string{c.model, c.task, c.trace, c.data, c.pairs, c.pruned, c.steps, c.speedup, c.energy, c.onchip, c.bound, c.metric}
}

// headers are the column titles; rightAligned marks the numeric columns.
func headers() []string {
	return []string{"model", "task", "trace", "data", "pairs", "pruned", "lane steps/key", "speedup", "energy reduction",
		"on-chip", "bound (design)", "metric: dense -> pruned (change)"}
}

func rightAligned(col int) bool { return col >= 4 && col <= 9 }

// num formats a value with a fixed number of decimals, "n/a" for NaN.
func num(x float64, decimals int, suffix string) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(x, 'f', decimals, 64) + suffix
}

// sig formats a metric value with 4 significant digits.
func sig(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }

func dataKind(synthetic bool) string {
	if synthetic {
		return "synthetic"
	}
	return "real"
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// lines returns the display cells of the rows, the mean line and the paper line, with arrow
// standing for "->" and the "x" suffix for the times sign; the caller escapes the cells.
func (t Table) lines(times, percent, arrow, less string) (rows, means []cells, paper cells) {
	for _, r := range t.Rows {
		c := cells{model: r.Model, task: r.Task, trace: r.TraceLabel(), data: dataKind(r.Synthetic),
			pairs: strconv.FormatInt(r.Pairs, 10), pruned: num(100*r.PruningRate, 1, percent),
			steps:   num(r.MeanSteps, 2, "") + " of " + strconv.Itoa(r.MaxSteps),
			speedup: num(r.Speedup, 2, times), energy: num(r.EnergyReduction, 2, times),
			onchip: num(r.EnergyReductionOnChip, 2, times), metric: "-"}
		if r.Bound != "" {
			c.bound = r.Bound + " " + num(100*r.BoundShare, 0, percent)
		}
		if m := r.Metric; m != nil {
			c.metric = fmt.Sprintf("%s %s %s %s (%s)", m.Name, sig(m.Dense), arrow, sig(m.Pruned), sig(m.Change()))
		}
		rows = append(rows, c)
	}
	for _, f := range Families(t.Rows) {
		c := cells{model: f.Model + ": mean of " + strconv.Itoa(f.Rows), pruned: num(100*f.PruningRate, 1, percent),
			steps: num(f.MeanSteps, 2, ""), speedup: num(f.Speedup, 2, times), energy: num(f.EnergyReduction, 2, times),
			onchip: num(f.EnergyReductionOnChip, 2, times)}
		if f.Bound != "" {
			c.bound = fmt.Sprintf("%s (%d of %d)", f.Bound, f.BoundRows, f.Rows)
		}
		means = append(means, c)
	}
	s := Summarize(t.Rows)
	mean := cells{model: "mean over " + plural(s.Rows, "trace"), pruned: num(100*s.PruningRate, 1, percent),
		steps: num(s.MeanSteps, 2, ""), speedup: num(s.Speedup, 2, times), energy: num(s.EnergyReduction, 2, times),
		onchip: num(s.EnergyReductionOnChip, 2, times)}
	if s.MetricName != "" {
		mean.metric = fmt.Sprintf("%s change %s (%s)", s.MetricName, sig(s.MetricChange), plural(s.MetricRows, "trace"))
	}
	p := PaperFigures()
	paper = cells{model: "paper (ISCA 2022), reported", task: strconv.Itoa(p.Tasks) + " tasks",
		speedup: num(p.Speedup, 1, times), onchip: num(p.EnergyReduction, 1, times),
		metric: fmt.Sprintf("accuracy loss %s %s", less, num(100*p.AccuracyLoss, 1, percent))}
	return rows, append(means, mean), paper
}

// notes are the sentences printed under the Markdown table and as LaTeX comments.
func (t Table) notes() []string {
	p := PaperFigures()
	var run []string
	if t.Config != "" {
		run = append(run, "config "+t.Config)
	}
	if t.EnergyTable != "" {
		run = append(run, "energy table "+t.EnergyTable)
	}
	out := []string{"Speedup and energy reduction are over lrpsim's dense baseline on the same trace; the mean line gives " +
		"their geometric means and the arithmetic means of pruned pairs and lane steps per key.",
		fmt.Sprintf("Energy reduction counts all energy, DRAM included (device and interface, priced per bit read from the config's "+
			"memory section: %.4g and %.4g pJ/bit); on-chip leaves DRAM out (core and SRAM), the scope the paper's "+
			"energy figure most likely has, so the paper's figure stands in that column.", t.DRAMDevicePJPerBit, t.DRAMInterfacePJPerBit)}
	if len(run) > 0 {
		out = append(out, "Simulated with "+strings.Join(run, ", ")+".")
	}
	out = append(out, fmt.Sprintf("The paper line is not an lrpsim result: it is what the paper reports over its own baseline, "+
		"post-layout, on %d tasks (%.1fx speedup, %.1fx energy reduction, under %.1f%% accuracy loss).",
		p.Tasks, p.Speedup, p.EnergyReduction, 100*p.AccuracyLoss))
	return out
}

func (t Table) markdown(b *bytes.Buffer) {
	rows, means, paper := t.lines("x", "%", "->", "<")
	mdEscape := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	all := [][]string{headers()}
	for _, c := range append(append(rows, means...), paper) {
		all = append(all, c.list())
	}
	widths := make([]int, len(all[0]))
	for _, line := range all {
		for i, cell := range line {
			line[i] = mdEscape(cell)
			widths[i] = max(widths[i], utf8.RuneCountInString(line[i]), 3)
		}
	}
	pad := func(s string, col int) string {
		fill := strings.Repeat(" ", widths[col]-utf8.RuneCountInString(s))
		if rightAligned(col) {
			return fill + s
		}
		return s + fill
	}
	for li, line := range all {
		b.WriteString("|")
		for i, cell := range line {
			b.WriteString(" " + pad(cell, i) + " |")
		}
		b.WriteString("\n")
		if li == 0 {
			b.WriteString("|")
			for i, w := range widths {
				if rightAligned(i) {
					b.WriteString(" " + strings.Repeat("-", w-1) + ": |")
				} else {
					b.WriteString(" " + strings.Repeat("-", w) + " |")
				}
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\n")
	for _, n := range t.notes() {
		b.WriteString(wrap(n, 100))
	}
}

// text lays the table out for a terminal: the trace (or the mean line's label) first and in
// every panel, then the results, then what the trace is.
func (t Table) text(b *bytes.Buffer) {
	rows, means, paper := t.lines("x", "%", "->", "<")
	line := func(c cells, key string) []string {
		return []string{key, c.pruned, c.steps, c.speedup, c.energy, c.onchip, c.bound, c.metric, c.model, c.task, c.data, c.pairs}
	}
	var all [][]string
	for _, c := range rows {
		all = append(all, line(c, c.trace))
	}
	all = append(all, nil)
	for _, c := range append(means, paper) {
		key := c.model
		c.model = "" // the mean lines' label is their key
		all = append(all, line(c, key))
	}
	cols := Columns{Header: []string{"trace", "pruned", "lane steps/key", "speedup", "energy reduction", "on-chip",
		"bound (design)", "metric: dense -> pruned (change)", "model", "task", "data", "pairs"},
		Rows: all, Keys: 1, Width: t.Width,
		Right: func(col int) bool { return (col >= 1 && col <= 5) || col == 11 }}
	b.WriteString(cols.String())
	b.WriteString("\n")
	for _, n := range t.notes() {
		b.WriteString(WrapText(n, t.Width))
	}
}

// wrap breaks text into lines of at most width bytes at spaces, each ending in a newline.
func wrap(text string, width int) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(text) {
		if i > 0 && line+1+len(word) > width {
			b.WriteString("\n")
			line = 0
		} else if i > 0 {
			b.WriteString(" ")
			line++
		}
		b.WriteString(word)
		line += len(word)
	}
	b.WriteString("\n")
	return b.String()
}

// csvHeader is the column list of the CSV format.
func csvHeader() []string {
	return []string{"kind", "model", "task", "trace", "synthetic", "pairs", "pruning_rate", "mean_steps_per_key",
		"max_steps", "speedup_dense", "energy_reduction_dense", "energy_reduction_onchip_dense", "bound", "bound_share",
		"metric", "metric_dense", "metric_pruned",
		"metric_change", "config", "energy_table", "note"}
}

func (t Table) csv(b *bytes.Buffer) error {
	cw := csv.NewWriter(b)
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 10, 64) }
	if err := cw.Write(csvHeader()); err != nil {
		return err
	}
	for _, r := range t.Rows {
		line := []string{"trace", r.Model, r.Task, r.Trace, strconv.FormatBool(r.Synthetic), strconv.FormatInt(r.Pairs, 10),
			f(r.PruningRate), f(r.MeanSteps), strconv.Itoa(r.MaxSteps), f(r.Speedup), f(r.EnergyReduction),
			f(r.EnergyReductionOnChip), r.Bound, ""}
		if r.Bound != "" {
			line[len(line)-1] = f(r.BoundShare)
		}
		if m := r.Metric; m != nil {
			line = append(line, m.Name, f(m.Dense), f(m.Pruned), f(m.Change()))
		} else {
			line = append(line, "", "", "", "")
		}
		if err := cw.Write(append(line, t.Config, t.EnergyTable, "")); err != nil {
			return err
		}
	}
	for _, fm := range Families(t.Rows) {
		line := []string{"family", fm.Model, "", "", "", "", f(fm.PruningRate), f(fm.MeanSteps), "", f(fm.Speedup),
			f(fm.EnergyReduction), f(fm.EnergyReductionOnChip), fm.Bound, "", "", "", "", "", t.Config, t.EnergyTable,
			fmt.Sprintf("means over the %d traces of %s (geometric for the ratios); bound: the top cause of %d of them", fm.Rows, fm.Model, fm.BoundRows)}
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	s := Summarize(t.Rows)
	mean := []string{"mean", "", "", "", "", "", f(s.PruningRate), f(s.MeanSteps), "", f(s.Speedup), f(s.EnergyReduction),
		f(s.EnergyReductionOnChip), "", ""}
	if s.MetricName != "" {
		mean = append(mean, s.MetricName, "", "", f(s.MetricChange))
	} else {
		mean = append(mean, "", "", "", "")
	}
	mean = append(mean, t.Config, t.EnergyTable, fmt.Sprintf("speedup and energy reduction: geometric mean over %s; "+
		"pruning rate, steps and metric change: arithmetic mean", plural(s.Rows, "trace")))
	if err := cw.Write(mean); err != nil {
		return err
	}
	p := PaperFigures()
	paper := []string{"paper", "", "", "", "", "", "", "", "", f(p.Speedup), "", f(p.EnergyReduction), "", "", "accuracy", "", "",
		f(-p.AccuracyLoss), "", "", fmt.Sprintf("reported by the %s over its own baseline, post-layout, on %d tasks; "+
			"metric_change is the bound on the accuracy loss (under %.1f%%); not an lrpsim result",
			p.Citation, p.Tasks, 100*p.AccuracyLoss)}
	if err := cw.Write(paper); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// EscapeLaTeX escapes the characters LaTeX treats specially in text, \ & % $ # _ { } ~ ^, and
// | < >, which the default font encoding would print as other glyphs.
func EscapeLaTeX(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\textbackslash{}`)
		case '&', '%', '$', '#', '_', '{', '}':
			b.WriteString(`\` + string(r))
		case '~':
			b.WriteString(`\textasciitilde{}`)
		case '^':
			b.WriteString(`\textasciicircum{}`)
		case '|':
			b.WriteString(`\textbar{}`)
		case '<':
			b.WriteString(`\textless{}`)
		case '>':
			b.WriteString(`\textgreater{}`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (t Table) latex(b *bytes.Buffer) {
	// The cells hold placeholders for the LaTeX markup, so that escaping the text leaves it alone.
	const times, percent, arrow, less = "\x00times\x00", "\x00percent\x00", "\x00arrow\x00", "\x00less\x00"
	markup := strings.NewReplacer(times, `$\times$`, percent, `\%`, arrow, `$\to$`, less, `$<$`)
	tex := func(s string) string {
		if s == "-" {
			return "---"
		}
		return markup.Replace(EscapeLaTeX(s))
	}
	rows, means, paper := t.lines(times, percent, arrow, less)
	b.WriteString("% Generated by `lrpsim table --format latex`; needs \\usepackage{booktabs}.\n")
	for _, n := range t.notes() {
		b.WriteString("% " + n + "\n")
	}
	b.WriteString("\\begin{tabular}{llll")
	for i := 4; i < len(headers()); i++ {
		if rightAligned(i) {
			b.WriteString("r")
		} else {
			b.WriteString("l")
		}
	}
	b.WriteString("}\n\\toprule\n")
	hs := headers()
	hs[len(hs)-1] = "metric: dense " + arrow + " pruned (change)"
	line := func(cs []string) {
		for i, c := range cs {
			cs[i] = tex(c)
		}
		b.WriteString(strings.Join(cs, " & ") + " \\\\\n")
	}
	line(hs)
	b.WriteString("\\midrule\n")
	for _, c := range rows {
		line(c.list())
	}
	b.WriteString("\\midrule\n")
	for _, m := range means {
		line(m.list())
	}
	p := paper.list()
	for i, c := range p {
		p[i] = tex(c)
	}
	p[0] = `\emph{` + p[0] + "}"
	b.WriteString(strings.Join(p, " & ") + " \\\\\n")
	b.WriteString("\\bottomrule\n\\end{tabular}\n")
}
