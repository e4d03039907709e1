package waterfall

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/lrpsim/lrpsim/sim/tabulate"
)

// Formats lists the output formats of Write.
func Formats() []string { return []string{"md", "csv"} }

// Write prints w in format, "md" (Markdown) or "csv" (tidy: one line per step and group). It
// renders the whole table before writing, so an error leaves nothing half-written.
func (w *Waterfall) Write(out io.Writer, format string) error {
	var b bytes.Buffer
	switch format {
	case "md", "markdown":
		w.markdown(&b)
	case "csv":
		if err := w.csv(&b); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown waterfall table format %q (expected %s)", format, strings.Join(Formats(), ", "))
	}
	_, err := out.Write(b.Bytes())
	return err
}

// groupLabel names a group in headers: its model, or "suite".
func groupLabel(g Group) string {
	if g.Model == "" {
		return fmt.Sprintf("suite (%d)", g.Rows)
	}
	return fmt.Sprintf("%s (%d)", g.Model, g.Rows)
}

// times formats a ratio with two decimals and the times sign, "n/a" for NaN.
func times(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(x, 'f', 2, 64) + "x"
}

func (w *Waterfall) markdown(b *bytes.Buffer) {
	header := []string{"step", "config"}
	if len(w.Steps) > 0 {
		for _, g := range w.Steps[0].Groups() {
			header = append(header, groupLabel(g)+" speedup", groupLabel(g)+" on-chip")
		}
	}
	lines := [][]string{header}
	for i, s := range w.Steps {
		line := []string{strconv.Itoa(i+1) + ". " + s.Name, "`" + s.Config + "`"}
		for _, g := range s.Groups() {
			line = append(line, times(g.Speedup), times(g.EnergyReductionOnChip))
		}
		lines = append(lines, line)
	}
	p := tabulate.PaperFigures()
	paper := make([]string, len(header))
	paper[0] = "paper (ISCA 2022), reported"
	paper[1] = strconv.Itoa(p.Tasks) + " tasks"
	if len(paper) >= 4 {
		paper[len(paper)-2], paper[len(paper)-1] = strconv.FormatFloat(p.Speedup, 'f', 1, 64)+"x",
			strconv.FormatFloat(p.EnergyReduction, 'f', 1, 64)+"x"
	}
	lines = append(lines, paper)
	writeMarkdown(b, lines)
	b.WriteString("\n")
	for _, n := range w.notes() {
		b.WriteString(n + "\n")
	}
}

// writeMarkdown lays lines out as a Markdown table, the first line its header, every column but
// the first two right-aligned.
func writeMarkdown(b *bytes.Buffer, lines [][]string) {
	widths := make([]int, len(lines[0]))
	for _, l := range lines {
		for i, c := range l {
			widths[i] = max(widths[i], len([]rune(c)), 3)
		}
	}
	for li, l := range lines {
		b.WriteString("|")
		for i, c := range l {
			fill := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if i >= 2 {
				b.WriteString(" " + fill + c + " |")
			} else {
				b.WriteString(" " + c + fill + " |")
			}
		}
		b.WriteString("\n")
		if li > 0 {
			continue
		}
		b.WriteString("|")
		for i, wd := range widths {
			if i >= 2 {
				b.WriteString(" " + strings.Repeat("-", wd-1) + ": |")
			} else {
				b.WriteString(" " + strings.Repeat("-", wd) + " |")
			}
		}
		b.WriteString("\n")
	}
}

// notes are the sentences under the Markdown table.
func (w *Waterfall) notes() []string {
	p := tabulate.PaperFigures()
	return []string{
		"Each step adds one assumption to the step above it (configs/waterfall/README.md); the last is the default",
		"configuration. Speedup and on-chip energy reduction (core and SRAM, no DRAM) are over lrpsim's dense",
		"baseline under the same step's config, as geometric means over a family's traces (families of at least",
		"two traces) and over the suite; energy table " + w.EnergyTable + ".",
		fmt.Sprintf("The paper line is not an lrpsim result: the LeOPArd paper reports %.1fx speedup and %.1fx energy",
			p.Speedup, p.EnergyReduction),
		fmt.Sprintf("reduction over its own baseline, post-layout, on %d tasks.", p.Tasks),
	}
}

// csvHeader is the column list of the CSV format.
func csvHeader() []string {
	return []string{"step", "config", "name", "group", "traces", "speedup_dense", "energy_reduction_dense",
		"energy_reduction_onchip_dense", "energy_table"}
}

func (w *Waterfall) csv(b *bytes.Buffer) error {
	cw := csv.NewWriter(b)
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 10, 64) }
	if err := cw.Write(csvHeader()); err != nil {
		return err
	}
	for i, s := range w.Steps {
		for _, g := range s.Groups() {
			group := g.Model
			if group == "" {
				group = "suite"
			}
			line := []string{strconv.Itoa(i + 1), s.Config, s.Name, group, strconv.Itoa(g.Rows), f(g.Speedup),
				f(g.EnergyReduction), f(g.EnergyReductionOnChip), w.EnergyTable}
			if err := cw.Write(line); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
