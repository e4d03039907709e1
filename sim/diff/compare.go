package diff

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Tolerance is how far a metric may move before the move counts: a fraction of the old value
// (Relative) or an absolute amount.
type Tolerance struct {
	Value    float64
	Relative bool
}

// DefaultTolerance is the tolerance of every metric not named in Options.Tolerances: 1% of the
// old value.
func DefaultTolerance() Tolerance { return Tolerance{Value: 0.01, Relative: true} }

// ParseTolerance reads a tolerance: "1%" is 1% of the old value, "0.05" an absolute 0.05.
func ParseTolerance(s string) (Tolerance, error) {
	num, rel := strings.CutSuffix(strings.TrimSpace(s), "%")
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return Tolerance{}, fmt.Errorf("tolerance %q: expected a non-negative number, with %% for a share of the old value (1%%) or without for an absolute amount (0.05)", s)
	}
	if rel {
		x /= 100
	}
	return Tolerance{Value: x, Relative: rel}, nil
}

// String writes t as ParseTolerance reads it.
func (t Tolerance) String() string {
	if t.Relative {
		return strconv.FormatFloat(t.Value*100, 'g', -1, 64) + "%"
	}
	return strconv.FormatFloat(t.Value, 'g', -1, 64)
}

// beyond reports whether moving from old to new goes beyond t. A move of exactly the tolerance
// is within it, up to the rounding of the subtraction (1e-12 of the values); a relative
// tolerance of a zero old value allows no move.
func (t Tolerance) beyond(old, new float64) bool {
	allowed := t.Value
	if t.Relative {
		allowed *= math.Abs(old)
	}
	// float64(): no fused multiply-add, so the verdict is the same on every CPU (ci/cross-cpu.sh).
	return math.Abs(new-old) > allowed+float64(1e-12*math.Max(math.Abs(old), math.Abs(new)))
}

// ParseTolerances reads --tolerance NAME=X flags into a map by name. A name given twice is an
// error; whether a name is a metric of the files is checked by Compare.
func ParseTolerances(specs []string) (map[string]Tolerance, error) {
	out := map[string]Tolerance{}
	for _, spec := range specs {
		name, val, ok := strings.Cut(spec, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("--tolerance %q: expected NAME=X%% (a share of the old value) or NAME=X (an absolute amount), e.g. speedup=1%%", spec)
		}
		t, err := ParseTolerance(val)
		if err != nil {
			return nil, fmt.Errorf("--tolerance %s: %w", spec, err)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--tolerance %s: %s is given twice", spec, name)
		}
		out[name] = t
	}
	return out, nil
}

// Options are the settings of Compare.
type Options struct {
	// Tolerances are tolerances by metric (speedup: every speedup_BASELINE column) or by column
	// (speedup_dense), a column's before its metric's. Naming a metric checks it: a regression
	// beyond its tolerance fails, and for a metric with no direction any change beyond it does.
	Tolerances map[string]Tolerance
	// Default is the tolerance of the metrics not named; the zero Tolerance allows no change.
	Default Tolerance
	// AllowRemoved reports points of the old file missing from the new one without failing.
	AllowRemoved bool
}

// Status is what a finding means for the comparison.
type Status int

const (
	// Changed is a change beyond tolerance that does not fail: a metric with no direction, one
	// not checked, or a text column.
	Changed Status = iota
	// Improvement is a checked metric that moved beyond tolerance in its better direction.
	Improvement
	// Regression is a checked metric that moved beyond tolerance in its worse direction, a point
	// that failed (a --keep-going sweep's error) or a removed point: it fails the comparison.
	Regression
)

// Finding is one cell of a matched point that moved beyond tolerance, or a point added or
// removed.
type Finding struct {
	// Point is the point as people read it (name=value of its identifying columns).
	Point string
	// Column is the column that moved; empty for an added or removed point.
	Column string
	// Old and New are the cells as the files write them.
	Old, New string
	// Change is the move: a percentage of the old value, or the difference when the old value
	// is 0 (empty when either side is not a finite number).
	Change string
	// Tolerance is the column's tolerance; Rule its direction and whether it is checked.
	Tolerance Tolerance
	Rule      Rule
	// Status is what the finding means; Worse says, for a change with a direction, whether it
	// went the worse way.
	Status Status
	Worse  bool
	// Note says what happened in words ("point removed", "point failed", ...), when the numbers
	// do not.
	Note string
}

// Check is one checked comparison, a JUnit test case: a checked metric of a matched point, a
// point's presence in the new file, or a --keep-going sweep's error cell.
type Check struct {
	Point, Name string
	// Failure is the regression's finding; nil when the check passed.
	Failure *Finding
}

// Report is the outcome of Compare.
type Report struct {
	// Old and New are the files compared.
	Old, New *File
	// Compared is the number of points in both files; Added and Removed the points in only the
	// new or only the old one, in file order.
	Compared       int
	Added, Removed []string
	// Findings are the regressions, improvements and changes, in the old file's point order and
	// column order; added points last.
	Findings []Finding
	// Checks are the checked comparisons, in the same order.
	Checks []Check
}

// Count returns the number of findings with status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, f := range r.Findings {
		if f.Status == s {
			n++
		}
	}
	return n
}

// Failed reports whether the new file regressed beyond tolerance.
func (r *Report) Failed() bool { return r.Count(Regression) > 0 }

// Compare compares cur, the new file, with old: the points of both, cell by cell, with the
// tolerances of opt. Files of different columns, and tolerances for names that are no metric of
// theirs, are errors.
func Compare(old, cur *File, opt Options) (*Report, error) {
	if err := sameColumns(old, cur); err != nil {
		return nil, err
	}
	tols, err := resolve(old.cols, opt)
	if err != nil {
		return nil, err
	}
	checked := make([]bool, len(old.cols))
	for i, c := range old.cols {
		_, named := namedTolerance(c, opt.Tolerances)
		checked[i] = c.role == roleMetric && (c.rule.Checked || named)
	}
	rep := &Report{Old: old, New: cur}
	byKey := map[string]*Row{}
	for i := range cur.Rows {
		byKey[cur.Rows[i].key] = &cur.Rows[i]
	}
	inOld := map[string]bool{}
	for i := range old.Rows {
		o := &old.Rows[i]
		inOld[o.key] = true
		n, ok := byKey[o.key]
		if !ok {
			rep.Removed = append(rep.Removed, o.label)
			f := Finding{Point: o.label, Status: Regression, Note: "point removed: in " + old.Path + " (line " + strconv.Itoa(o.Line) + "), not in " + cur.Path}
			if opt.AllowRemoved {
				f.Status = Changed
			}
			rep.Findings = append(rep.Findings, f)
			rep.Checks = append(rep.Checks, check(o.label, "present", f))
			continue
		}
		rep.Compared++
		rep.comparePoint(o, n, tols, checked)
	}
	for _, n := range cur.Rows {
		if !inOld[n.key] {
			rep.Added = append(rep.Added, n.label)
			rep.Findings = append(rep.Findings, Finding{Point: n.label, Note: "point added: in " + cur.Path + " (line " + strconv.Itoa(n.Line) + "), not in " + old.Path})
		}
	}
	return rep, nil
}

// check is the Check of finding f under name.
func check(point, name string, f Finding) Check {
	c := Check{Point: point, Name: name}
	if f.Status == Regression {
		c.Failure = &f
	}
	return c
}

// comparePoint compares the cells of one point.
func (r *Report) comparePoint(o, n *Row, tols []Tolerance, checked []bool) {
	cols := r.Old.cols
	failed := false // a --keep-going error on either side: the metrics are empty there
	for i, c := range cols {
		if c.role != roleError {
			continue
		}
		oe, ne := o.Cells[i], n.Cells[i]
		failed = oe != "" || ne != ""
		f := Finding{Point: o.label, Column: c.name, Old: oe, New: ne, Status: Changed}
		switch {
		case oe == "" && ne != "":
			f.Status, f.Worse, f.Note = Regression, true, "point failed"
		case oe != "" && ne == "":
			f.Status, f.Note = Improvement, "point no longer fails"
		}
		if oe != ne {
			r.Findings = append(r.Findings, f)
		}
		r.Checks = append(r.Checks, check(o.label, c.name, f))
	}
	for i, c := range cols {
		switch {
		case c.role == roleText && o.Cells[i] != n.Cells[i]:
			r.Findings = append(r.Findings, Finding{Point: o.label, Column: c.name, Old: o.Cells[i], New: n.Cells[i], Status: Changed, Note: "text, not checked"})
		case c.role == roleMetric && !failed:
			f, moved := compareCell(o.Cells[i], n.Cells[i], tols[i], c.rule, checked[i])
			f.Point, f.Column = o.label, c.name
			if moved {
				r.Findings = append(r.Findings, f)
			}
			if checked[i] {
				r.Checks = append(r.Checks, check(o.label, c.name, f))
			}
		}
	}
}

// compareCell compares one metric cell and reports whether it moved beyond tolerance.
func compareCell(oldText, newText string, tol Tolerance, rule Rule, checked bool) (Finding, bool) {
	f := Finding{Old: oldText, New: newText, Tolerance: tol, Rule: rule, Status: Changed}
	oc, _ := parseCell(oldText) // Read checked them
	nc, _ := parseCell(newText)
	if oc.same(nc) {
		return f, false
	}
	better := false
	if oc.finite() && nc.finite() {
		if !tol.beyond(oc.x, nc.x) {
			return f, false
		}
		d := nc.x - oc.x
		f.Change = change(oc.x, d)
		f.Worse = rule.Direction == HigherIsBetter && d < 0 || rule.Direction == LowerIsBetter && d > 0
		better = rule.Direction != Neutral && !f.Worse
	} else {
		// A number appeared or vanished, or became NaN or infinite: losing a finite value is
		// worse, gaining one only a change.
		f.Worse = oc.finite()
		f.Note = "no finite value in the new file"
		if !f.Worse {
			f.Note = "no finite value in the old file"
		}
	}
	switch {
	case checked && (f.Worse || rule.Direction == Neutral && !better):
		f.Status = Regression
	case checked && better:
		f.Status = Improvement
	}
	return f, true
}

// change writes a move d from old: a percentage of old, or the difference when old is 0.
func change(old, d float64) string {
	sign := func(s string, x float64) string {
		if x >= 0 {
			return "+" + s
		}
		return s
	}
	if old == 0 {
		return sign(strconv.FormatFloat(d, 'g', 4, 64), d)
	}
	pct := 100 * d / math.Abs(old)
	return sign(strconv.FormatFloat(pct, 'f', 2, 64), pct) + "%"
}

// namedTolerance is the tolerance Options.Tolerances gives column c, by its name or its
// metric's, and whether there is one.
func namedTolerance(c column, tols map[string]Tolerance) (Tolerance, bool) {
	if t, ok := tols[c.name]; ok {
		return t, true
	}
	if c.byMetric {
		t, ok := tols[c.metric]
		return t, ok
	}
	return Tolerance{}, false
}

// resolve gives every column its tolerance, and checks that every name of opt.Tolerances is a
// metric or metric column of cols.
func resolve(cols []column, opt Options) ([]Tolerance, error) {
	names := map[string]bool{}
	var listed []string // the metrics, in column order
	for _, c := range cols {
		if c.role != roleMetric {
			continue
		}
		m := c.name
		if c.byMetric {
			m = c.metric
		}
		if !names[m] {
			listed = append(listed, m)
		}
		names[c.name], names[m] = true, true
	}
	var unknown []string
	for name := range opt.Tolerances {
		if !names[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("--tolerance: %s: no such metric in these CSVs; their metrics are %s (a tolerance of a ratio such as speedup holds for each of its columns speedup_BASELINE, which can also be named alone)",
			strings.Join(unknown, ", "), strings.Join(listed, ", "))
	}
	tols := make([]Tolerance, len(cols))
	for i, c := range cols {
		tols[i] = opt.Default
		if t, ok := namedTolerance(c, opt.Tolerances); ok {
			tols[i] = t
		}
	}
	return tols, nil
}

// sameColumns checks that a and b have the same header.
func sameColumns(a, b *File) error {
	if slices.Equal(a.Header, b.Header) {
		return nil
	}
	if a.Kind != b.Kind {
		return fmt.Errorf("%s is the CSV of a %s, %s of a %s; diff compares two sweeps or two tables", a.Path, a.Kind, b.Path, b.Kind)
	}
	for i := range max(len(a.Header), len(b.Header)) {
		switch {
		case i >= len(a.Header):
			return fmt.Errorf("%s: line 1: column %d, %q, is not in %s (%d columns); diff compares CSVs of the same columns: regenerate the old one with this lrpsim",
				b.Path, i+1, b.Header[i], a.Path, len(a.Header))
		case i >= len(b.Header):
			return fmt.Errorf("%s: line 1: column %d of %s, %q, is missing (%d columns); diff compares CSVs of the same columns: regenerate the old one with this lrpsim",
				b.Path, i+1, a.Path, a.Header[i], len(b.Header))
		case a.Header[i] != b.Header[i]:
			return fmt.Errorf("%s: line 1: column %d is %q where %s has %q; diff compares CSVs of the same columns: regenerate the old one with this lrpsim",
				b.Path, i+1, b.Header[i], a.Path, a.Header[i])
		}
	}
	return nil
}
