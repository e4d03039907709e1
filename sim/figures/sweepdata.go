package figures

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot/plotter"

	"github.com/lrpsim/lrpsim/traces/data"
)

// SweepData is a sweep CSV read for plotting: its header and its records.
type SweepData struct {
	Name    string
	Header  []string
	Records [][]string
}

// ReadSweepCSV reads a tidy CSV with a header line (name is for error messages).
func ReadSweepCSV(r io.Reader, name string) (*SweepData, error) {
	cr := csv.NewReader(r)
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: empty CSV; expected a header line and rows", name)
	}
	if len(recs) == 1 {
		return nil, fmt.Errorf("%s: the CSV has a header but no rows", name)
	}
	return &SweepData{Name: name, Header: recs[0], Records: recs[1:]}, nil
}

// Column returns the index of a column by name, or an error listing the columns.
func (s *SweepData) Column(name string) (int, error) {
	if i := slices.Index(s.Header, name); i >= 0 {
		return i, nil
	}
	return -1, fmt.Errorf("%s: unknown column %q (columns: %s)", s.Name, name, strings.Join(s.Header, ", "))
}

// sweepLine is one group's points in a sweep figure.
type sweepLine struct {
	label string
	xys   plotter.XYs
}

// sweepGroup is the group columns of a sweep figure: their names, their indices, and the
// positions in both of those that vary (legends name only those).
type sweepGroup struct {
	names       []string
	cols, shown []int
}

// groupColumns finds the group columns and those of them that vary.
func (s *SweepData) groupColumns(group []string) (sweepGroup, error) {
	g := sweepGroup{names: group, cols: make([]int, len(group))}
	for i, name := range group {
		var err error
		if g.cols[i], err = s.Column(name); err != nil {
			return g, err
		}
	}
	for i := range group {
		if s.distinct(g.cols[i]) > 1 {
			g.shown = append(g.shown, i)
		}
	}
	return g, nil
}

// sweepX is the x axis of a sweep figure: each row's x, numeric when every value parses, else
// the index of its category (categories in order of first appearance).
type sweepX struct {
	numeric bool
	xs      []float64
	cats    []string
}

// xAxis reads column xi of every row as the x axis.
func (s *SweepData) xAxis(xi int, opt SweepOptions) (sweepX, error) {
	ax := sweepX{numeric: true, xs: make([]float64, len(s.Records))}
	for r, rec := range s.Records {
		if len(rec) != len(s.Header) {
			return ax, fmt.Errorf("%s: row %d has %d fields, the header %d", s.Name, r+2, len(rec), len(s.Header))
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[xi]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			ax.numeric = false
		}
		ax.xs[r] = v
		if !slices.Contains(ax.cats, rec[xi]) {
			ax.cats = append(ax.cats, rec[xi])
		}
	}
	if !ax.numeric {
		if opt.LogX {
			return ax, fmt.Errorf("%s: --logx needs numeric values in column %q", s.Name, opt.X)
		}
		for r, rec := range s.Records {
			ax.xs[r] = float64(slices.Index(ax.cats, rec[xi]))
		}
	}
	if opt.LogX {
		for r, x := range ax.xs {
			if x <= 0 {
				return ax, fmt.Errorf("%s: row %d: %s = %v; a log x axis needs positive values", s.Name, r+2, opt.X, x)
			}
		}
	}
	return ax, nil
}

// lines gathers the rows into one line per group value, in order of first appearance.
func (s *SweepData) lines(xs []float64, xi, yi int, g sweepGroup, opt SweepOptions) ([]*sweepLine, error) {
	// Energy in pJ is drawn in µJ, whose numbers are readable.
	yscale := 1.0
	if opt.Y == "energy_pj" {
		yscale = 1e-6
	}
	var lines []*sweepLine
	byLabel := map[string]*sweepLine{}
	seen := map[string]int{}
	for r, rec := range s.Records {
		y, err := strconv.ParseFloat(strings.TrimSpace(rec[yi]), 64)
		if err != nil || math.IsNaN(y) || math.IsInf(y, 0) {
			return nil, fmt.Errorf("%s: row %d: column %q is %q; expected a number", s.Name, r+2, opt.Y, rec[yi])
		}
		label := groupLabel(g.names, g.cols, g.shown, rec)
		key := label + "\x00" + strconv.FormatFloat(xs[r], 'g', -1, 64)
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s: rows %d and %d fall on the same line (grouped by %s) at %s = %s; "+
				"group by the other swept columns too (--group %s)", s.Name, prev+2, r+2,
				groupDesc(g.names), opt.X, rec[xi], strings.Join(append(slices.Clone(g.names), "COLUMN"), ","))
		}
		seen[key] = r
		l := byLabel[label]
		if l == nil {
			l = &sweepLine{label: label}
			byLabel[label] = l
			lines = append(lines, l)
		}
		l.xys = append(l.xys, plotter.XY{X: xs[r], Y: y * yscale})
	}
	return lines, nil
}

// groupLabel is a line's legend text: the values of the shown group columns, each as
// column=value with the column's last dotted component ("lanes=16") unless two group columns
// share it; a lone trace column shows just the trace's file name. With no column shown it is the
// trace's file name when the group has the trace, else "".
func groupLabel(group []string, gi, shown []int, rec []string) string {
	short := func(col string) string {
		last := col[strings.LastIndex(col, ".")+1:]
		for _, g := range group {
			if g != col && g[strings.LastIndex(g, ".")+1:] == last {
				return col
			}
		}
		return last
	}
	traceName := func(v string) string { return filepath.Base(strings.TrimPrefix(v, data.BundledPrefix)) }
	if len(shown) == 0 {
		if i := slices.Index(group, "trace"); i >= 0 {
			return traceName(rec[gi[i]])
		}
		return ""
	}
	parts := make([]string, len(shown))
	for j, i := range shown {
		g, v := group[i], rec[gi[i]]
		if g == "trace" {
			v = traceName(v)
			if len(shown) == 1 {
				return v
			}
		}
		parts[j] = short(g) + "=" + v
	}
	return strings.Join(parts, ", ")
}

// distinct counts the distinct values of column c.
func (s *SweepData) distinct(c int) int {
	seen := map[string]bool{}
	for _, r := range s.Records {
		seen[r[c]] = true
	}
	return len(seen)
}

// determines reports whether every value of column a goes with a single value of column b.
func (s *SweepData) determines(a, b int) bool {
	of := map[string]string{}
	for _, r := range s.Records {
		if v, ok := of[r[a]]; ok && v != r[b] {
			return false
		}
		of[r[a]] = r[b]
	}
	return true
}

// defaultGroup is the trace column, when there is one, and each key of keys in the header that
// column x does not determine.
func (s *SweepData) defaultGroup(x int, keys []string) []string {
	var group []string
	if slices.Contains(s.Header, "trace") {
		group = append(group, "trace")
	}
	for _, k := range keys {
		if c := slices.Index(s.Header, k); c >= 0 && c != x && !s.determines(x, c) {
			group = append(group, k)
		}
	}
	return group
}

func groupDesc(group []string) string {
	if len(group) == 0 {
		return "nothing"
	}
	return strings.Join(group, ",")
}
