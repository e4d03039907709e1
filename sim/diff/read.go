package diff

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lrpsim/lrpsim/internal/safeio"
)

// Kind is the layout of a CSV: a sweep's or a table's.
type Kind int

const (
	// Sweep is the CSV of `lrpsim sweep` (and `lrpsim merge`).
	Sweep Kind = iota
	// Table is the CSV of `lrpsim table --format csv`.
	Table
)

// String names the kind as the reports do.
func (k Kind) String() string {
	if k == Table {
		return "table"
	}
	return "sweep"
}

// sweepHead is the first columns of a sweep's CSV; its swept keys follow them.
func sweepHead() []string { return []string{"point", "trace", "model", "task"} }

// tableHead is the first columns of a table's CSV, which identify its rows.
func tableHead() []string { return []string{"kind", "model", "task", "trace"} }

// tableText are the columns of `lrpsim table` that hold text, not numbers.
func tableText() []string {
	return []string{"synthetic", "bound", "metric", "config", "energy_table", "note"}
}

// errorColumn is the last column of a `lrpsim sweep --keep-going` CSV: why a point has no
// metrics, empty when it has them.
const errorColumn = "error"

// role is what a column is to the comparison.
type role int

const (
	roleIgnored  role = iota // the sweep's point number: it changes when the grid does
	roleIdentity             // part of a row's point
	roleText                 // compared as text, reported, never checked
	roleError                // a --keep-going sweep's error column
	roleMetric               // a number compared with a tolerance
)

// column is one column of a CSV and how it is compared.
type column struct {
	name string
	role role
	// metric is the registry or table metric the column holds (speedup for speedup_dense), and
	// baseline the baseline's name when the column is one of a metric's per-baseline columns.
	metric, baseline string
	// rule is how the column is compared before Options.Tolerances are applied.
	rule Rule
	// byMetric is set when a tolerance given for metric applies to this column: the design's
	// column of a metric, and every baseline's column of a ratio (not the baselines' own values).
	byMetric bool
}

// Row is one row of a CSV.
type Row struct {
	// Line is the row's line in the file (the header is line 1).
	Line int
	// Cells are the row's cells, one per column.
	Cells []string
	// key identifies the row's point; label is it for people.
	key, label string
}

// File is one CSV read by Read.
type File struct {
	// Path is the file as given.
	Path string
	// Kind is its layout.
	Kind Kind
	// Header is its first line.
	Header []string
	// Rows are its rows in file order.
	Rows []Row

	cols []column
}

// Read reads and checks the CSV at path: its layout (a sweep's or a table's), one row per
// point, and a number (or an empty cell, NaN or ±Inf) in every metric cell. Every error names
// the file and, for a cell, its line and column.
func Read(path string) (*File, error) {
	data, err := safeio.ReadFile(path, "a sweep or table CSV", safeio.MaxData)
	if err != nil {
		return nil, err
	}
	return parse(path, bytes.NewReader(data))
}

// parse is Read of r, whose name is path.
func parse(path string, r io.Reader) (*File, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file; expected a CSV of lrpsim sweep or lrpsim table --format csv", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	file := &File{Path: path, Header: header}
	switch {
	case hasPrefix(header, sweepHead()):
		file.Kind = Sweep
	case hasPrefix(header, tableHead()):
		file.Kind = Table
	default:
		return nil, fmt.Errorf("%s: line 1: header starts %q; expected a CSV of lrpsim sweep (%s, the swept keys, the metrics) or of lrpsim table --format csv (%s, ...)",
			path, strings.Join(header[:min(len(header), 4)], ","), strings.Join(sweepHead(), ","), strings.Join(tableHead(), ","))
	}
	if i := firstRepeat(header); i >= 0 {
		return nil, fmt.Errorf("%s: line 1: column %d, %q, repeats an earlier column", path, i+1, header[i])
	}
	file.cols = classify(file.Kind, header)
	seen := map[string]int{}
	for {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		row := Row{Line: line, Cells: cells}
		if err := file.check(&row); err != nil {
			return nil, err
		}
		if first, ok := seen[row.key]; ok {
			return nil, fmt.Errorf("%s: line %d: point %s repeats line %d; each point must have one row", path, line, row.label, first)
		}
		seen[row.key] = line
		file.Rows = append(file.Rows, row)
	}
	return file, nil
}

// PointColumns are the columns that identify a row's point: for a sweep the trace and the swept
// keys, for a table kind, model, task and trace.
func (f *File) PointColumns() []string {
	var names []string
	for _, c := range f.cols {
		if c.role == roleIdentity {
			names = append(names, c.name)
		}
	}
	return names
}

// check sets row's point and checks its metric cells.
func (f *File) check(row *Row) error {
	var key, label []string
	for i, c := range f.cols {
		cell := row.Cells[i]
		switch c.role {
		case roleIdentity:
			key = append(key, cell)
			if cell != "" {
				label = append(label, c.name+"="+cell)
			}
		case roleMetric:
			if _, err := parseCell(cell); err != nil {
				return fmt.Errorf("%s: line %d, column %s: %q is not a number; expected a number, NaN, Inf or an empty cell",
					f.Path, row.Line, c.name, cell)
			}
		}
	}
	row.key = strings.Join(key, "\x00")
	row.label = strings.Join(label, " ")
	if row.label == "" {
		row.label = "(empty)"
	}
	return nil
}

// cell is one metric cell: absent when empty.
type cell struct {
	x      float64
	absent bool
}

// finite reports whether the cell holds a finite number.
func (c cell) finite() bool { return !c.absent && !math.IsNaN(c.x) && !math.IsInf(c.x, 0) }

// same reports whether a and b hold the same value (NaN is NaN, absent is absent).
func (c cell) same(d cell) bool {
	switch {
	case c.absent || d.absent:
		return c.absent == d.absent
	case math.IsNaN(c.x) || math.IsNaN(d.x):
		return math.IsNaN(c.x) == math.IsNaN(d.x)
	}
	return c.x == d.x
}

// parseCell reads a metric cell.
func parseCell(s string) (cell, error) {
	if s == "" {
		return cell{absent: true}, nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return cell{}, err
	}
	return cell{x: x}, nil
}

// classify says what each column of a header of kind k is.
func classify(k Kind, header []string) []column {
	cols := make([]column, len(header))
	baselines := baselinesOf(header)
	text := tableText()
	keys := true // a sweep's swept keys run from its fifth column to its first metric
	for i, name := range header {
		c := column{name: name, role: roleMetric}
		switch {
		case k == Sweep && i == 0:
			c.role = roleIgnored
		case k == Sweep && i == 1:
			c.role = roleIdentity
		case k == Sweep && i < len(sweepHead()):
			c.role = roleText
		case k == Table && i < len(tableHead()):
			c.role = roleIdentity
		case k == Table && slices.Contains(text, name):
			c.role = roleText
		case k == Sweep && name == errorColumn:
			c.role = roleError
		}
		if c.role == roleMetric {
			c.metric, c.baseline = splitMetric(name, baselines)
			if _, known := RuleOf(c.metric); k == Sweep && keys && !known {
				c.role = roleIdentity
			} else {
				keys = false
				c.rule, c.byMetric = ruleFor(c.metric, c.baseline)
			}
		}
		cols[i] = c
	}
	return cols
}

// ruleFor is the rule of a column of metric, of baseline's when baseline is not empty, and
// whether a tolerance for the metric applies to it.
func ruleFor(metric, baseline string) (Rule, bool) {
	r, ok := RuleOf(metric)
	switch {
	case !ok:
		return Rule{Direction: Neutral}, true
	case baseline != "" && !isRatio(metric):
		return Rule{Direction: Neutral}, false // a baseline's own value (cycles_dense)
	}
	return r, true
}

// baselinesOf lists the baselines of a header: the suffixes of its speedup columns.
func baselinesOf(header []string) []string {
	var bs []string
	for _, name := range header {
		if b, ok := strings.CutPrefix(name, "speedup_"); ok && b != "" {
			bs = append(bs, b)
		}
	}
	// Longest first, so that a baseline whose name ends another's is tried first.
	slices.SortStableFunc(bs, func(a, b string) int { return len(b) - len(a) })
	return bs
}

// splitMetric splits a column into its metric and baseline: speedup_dense is speedup of dense,
// energy_reduction_onchip_dense energy_reduction_onchip of dense, cycles the design's cycles.
// A column of no known metric is its own metric.
func splitMetric(name string, baselines []string) (metric, baseline string) {
	if _, ok := RuleOf(name); ok {
		return name, ""
	}
	for _, b := range baselines {
		m, ok := strings.CutSuffix(name, "_"+b)
		if ok && (isRatio(m) || isPerBaseline(m)) {
			return m, b
		}
	}
	return name, ""
}

// hasPrefix reports whether s starts with prefix.
func hasPrefix(s, prefix []string) bool {
	return len(s) >= len(prefix) && slices.Equal(s[:len(prefix)], prefix)
}

// firstRepeat is the index of the first name of s that an earlier one repeats, or -1.
func firstRepeat(s []string) int {
	seen := map[string]bool{}
	for i, x := range s {
		if seen[x] {
			return i
		}
		seen[x] = true
	}
	return -1
}
