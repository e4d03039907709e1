package diff

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/report"
	"github.com/lrpsim/lrpsim/sim/sweep"
)

// sweepHeader is a small sweep CSV's header: one swept key, two baselines' speedups, the
// design's cycles, a neutral pruning rate, a baseline's own cycles and an unchecked cost.
const sweepHeader = "point,trace,model,task,front_end.lanes,cycles,speedup_dense,speedup_et_only,pruning_rate,dram_bytes,cycles_dense\n"

// file parses text as the CSV called name.
func file(t *testing.T, name, text string) *File {
	t.Helper()
	f, err := parse(name, strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// opts is Options with the default tolerance and the given named ones.
func opts(t *testing.T, specs ...string) Options {
	t.Helper()
	tols, err := ParseTolerances(specs)
	if err != nil {
		t.Fatal(err)
	}
	return Options{Tolerances: tols, Default: DefaultTolerance()}
}

func TestParseTolerance(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Tolerance
		err  bool
	}{
		{"1%", Tolerance{0.01, true}, false},
		{"2.5%", Tolerance{0.025, true}, false},
		{"0.05", Tolerance{0.05, false}, false},
		{"0", Tolerance{0, false}, false},
		{"100", Tolerance{100, false}, false},
		{"-1%", Tolerance{}, true},
		{"abc", Tolerance{}, true},
		{"%", Tolerance{}, true},
		{"NaN", Tolerance{}, true},
		{"Inf", Tolerance{}, true},
	} {
		got, err := ParseTolerance(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseTolerance(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
		if err == nil {
			if back, _ := ParseTolerance(got.String()); back != got {
				t.Errorf("%q: String %q reads back as %v", tc.in, got.String(), back)
			}
		}
	}
	for _, bad := range [][]string{{"speedup"}, {"=1%"}, {"speedup=x"}, {"speedup=1%", "speedup=2%"}} {
		if _, err := ParseTolerances(bad); err == nil {
			t.Errorf("ParseTolerances(%q): no error", bad)
		}
	}
}

// TestCompareCell holds one cell's verdict to hand-worked cases: just within and just beyond a
// relative and an absolute tolerance in each direction, neutral and unchecked metrics, and
// empty, NaN and infinite cells.
func TestCompareCell(t *testing.T) {
	higher := Rule{Direction: HigherIsBetter, Checked: true}
	lower := Rule{Direction: LowerIsBetter, Checked: true}
	rel := Tolerance{0.01, true}
	abs := Tolerance{10, false}
	for _, tc := range []struct {
		name           string
		old, new       string
		tol            Tolerance
		rule           Rule
		checked, moved bool
		status         Status
		worse          bool
		change         string
	}{
		{"speedup down exactly 1%: within", "2", "1.98", rel, higher, true, false, Changed, false, ""},
		{"speedup down 1.05%: beyond", "2", "1.979", rel, higher, true, true, Regression, true, "-1.05%"},
		{"speedup up 1.5%: improvement", "2", "2.03", rel, higher, true, true, Improvement, false, "+1.50%"},
		{"speedup up exactly 1%: within", "3", "3.03", rel, higher, true, false, Changed, false, ""},
		{"cycles up exactly 1%: within", "30000", "30300", rel, lower, true, false, Changed, false, ""},
		{"cycles up 1.0033%: beyond", "30000", "30301", rel, lower, true, true, Regression, true, "+1.00%"},
		{"cycles down 2%: improvement", "100", "98", rel, lower, true, true, Improvement, false, "-2.00%"},
		{"cycles up 10 of absolute 10: within", "1000", "1010", abs, lower, true, false, Changed, false, ""},
		{"cycles up 11 of absolute 10: beyond", "1000", "1011", abs, lower, true, true, Regression, true, "+1.10%"},
		{"same number, other text", "1", "1.0", rel, lower, true, false, Changed, false, ""},
		{"zero old value, relative: any move", "0", "0.001", rel, lower, true, true, Regression, true, "+0.001"},
		{"unchecked cost up: reported worse", "100", "200", rel, Rule{Direction: LowerIsBetter}, false, true, Changed, true, "+100.00%"},
		{"unchecked cost down: reported better", "100", "50", rel, Rule{Direction: LowerIsBetter}, false, true, Changed, false, "-50.00%"},
		{"neutral: reported", "0.5", "0.6", rel, Rule{}, false, true, Changed, false, "+20.00%"},
		{"neutral named: any move fails", "0.5", "0.4", rel, Rule{}, true, true, Regression, false, "-20.00%"},
		{"neutral named, within", "0.5", "0.504", rel, Rule{}, true, false, Changed, false, ""},
		{"both empty", "", "", rel, higher, true, false, Changed, false, ""},
		{"both NaN", "NaN", "NaN", rel, higher, true, false, Changed, false, ""},
		{"value lost", "2", "", rel, higher, true, true, Regression, true, ""},
		{"value became NaN", "2", "NaN", rel, higher, true, true, Regression, true, ""},
		{"value became infinite", "2", "+Inf", rel, lower, true, true, Regression, true, ""},
		{"value appeared", "", "2", rel, higher, true, true, Changed, false, ""},
		{"NaN became a number", "NaN", "2", rel, lower, true, true, Changed, false, ""},
	} {
		f, moved := compareCell(tc.old, tc.new, tc.tol, tc.rule, tc.checked)
		if moved != tc.moved || f.Status != tc.status || f.Worse != tc.worse || f.Change != tc.change {
			t.Errorf("%s: %s -> %s: moved %v, status %v, worse %v, change %q; want %v, %v, %v, %q",
				tc.name, tc.old, tc.new, moved, f.Status, f.Worse, f.Change, tc.moved, tc.status, tc.worse, tc.change)
		}
	}
}

// TestDirections: the direction of each kind of metric, and every metric of the registry has a
// rule (a new metric needs a decision in rules).
func TestDirections(t *testing.T) {
	for _, m := range report.Metrics() {
		if _, ok := RuleOf(m.Name); !ok {
			t.Errorf("registry metric %s has no rule in sim/diff (rules): decide its direction", m.Name)
		}
		if r, _ := RuleOf(m.Name); m.Ratio && (r.Direction != HigherIsBetter || !r.Checked) {
			t.Errorf("ratio %s: rule %+v, want higher is better, checked", m.Name, r)
		}
	}
	for _, tc := range []struct {
		name string
		want Rule
	}{
		{"speedup", Rule{HigherIsBetter, true}},
		{"energy_reduction", Rule{HigherIsBetter, true}},
		{"edp_reduction", Rule{HigherIsBetter, true}},
		{"energy_reduction_onchip", Rule{HigherIsBetter, true}},
		{"cycles", Rule{LowerIsBetter, true}},
		{"energy_pj", Rule{LowerIsBetter, true}},
		{"edp_pj_s", Rule{LowerIsBetter, true}},
		{"area_um2", Rule{LowerIsBetter, true}},
		{"energy_onchip_pj", Rule{LowerIsBetter, false}},
		{"fe_stall", Rule{LowerIsBetter, false}},
		{"dram_bytes", Rule{LowerIsBetter, false}},
		{"mean_steps_per_key", Rule{LowerIsBetter, false}},
		{"pruning_rate", Rule{Neutral, false}},
		{"lane_util", Rule{Neutral, false}},
		{"bound_lanes", Rule{Neutral, false}},
		{"metric_change", Rule{Neutral, false}},
	} {
		if got, ok := RuleOf(tc.name); !ok || got != tc.want {
			t.Errorf("RuleOf(%s) = %+v, %v; want %+v", tc.name, got, ok, tc.want)
		}
	}
}

// TestClassify: the columns of a sweep's header: the swept keys identify a point with the
// trace, a ratio's columns follow the ratio's rule, a baseline's own value has no direction.
func TestClassify(t *testing.T) {
	f := file(t, "old.csv", sweepHeader)
	want := map[string]struct {
		role             role
		metric, baseline string
		rule             Rule
	}{
		"point":           {roleIgnored, "", "", Rule{}},
		"trace":           {roleIdentity, "", "", Rule{}},
		"model":           {roleText, "", "", Rule{}},
		"front_end.lanes": {roleIdentity, "front_end.lanes", "", Rule{}},
		"cycles":          {roleMetric, "cycles", "", Rule{LowerIsBetter, true}},
		"speedup_et_only": {roleMetric, "speedup", "et_only", Rule{HigherIsBetter, true}},
		"pruning_rate":    {roleMetric, "pruning_rate", "", Rule{}},
		"cycles_dense":    {roleMetric, "cycles", "dense", Rule{}},
	}
	for _, c := range f.cols {
		w, ok := want[c.name]
		if ok && (c.role != w.role || c.metric != w.metric || c.baseline != w.baseline || c.rule != w.rule) {
			t.Errorf("column %s: role %d, metric %q of %q, rule %+v; want %d, %q of %q, %+v", c.name, c.role, c.metric, c.baseline, c.rule,
				w.role, w.metric, w.baseline, w.rule)
		}
	}
}

// TestCompareSweep compares two hand-written sweeps: point 0 within tolerance, point 1 with a
// speedup just beyond it and cycles better, point 2 removed, point 3 added, and NaN and empty
// cells.
func TestCompareSweep(t *testing.T) {
	old := file(t, "old.csv", sweepHeader+
		"0,t.npz,m,k,8,1000,2,1.5,0.5,100,2000\n"+
		"1,t.npz,m,k,16,500,4,3,0.5,NaN,2000\n"+
		"2,t.npz,m,k,32,250,8,6,0.5,,2000\n")
	cur := file(t, "new.csv", sweepHeader+
		"0,t.npz,m,k,8,1010,1.98,1.5,0.5,100,2000\n"+
		"1,t.npz,m,k,16,400,3.9,3.03,0.5,NaN,2000\n"+
		"2,t.npz,m,k,64,125,16,12,0.9,,4000\n")
	rep, err := Compare(old, cur, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		point, column string
		status        Status
	}
	var got []row
	for _, f := range rep.Findings {
		got = append(got, row{f.Point, f.Column, f.Status})
	}
	// Point 0 moves exactly its tolerance (cycles +1%, speedup_dense -1%): no finding; point 1's
	// speedup_et_only too (+1%), and its dram_bytes stays NaN.
	p1 := "trace=t.npz front_end.lanes=16"
	want := []row{
		{p1, "cycles", Improvement},       // 500 -> 400
		{p1, "speedup_dense", Regression}, // 4 -> 3.9: -2.5%
		{"trace=t.npz front_end.lanes=32", "", Regression},
		{"trace=t.npz front_end.lanes=64", "", Changed},
	}
	if len(got) != len(want) {
		t.Fatalf("findings %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("finding %d: %v, want %v", i, got[i], want[i])
		}
	}
	if rep.Compared != 2 || len(rep.Added) != 1 || len(rep.Removed) != 1 || !rep.Failed() || rep.Count(Regression) != 2 {
		t.Errorf("compared %d, added %v, removed %v, regressions %d", rep.Compared, rep.Added, rep.Removed, rep.Count(Regression))
	}
	// Checks: the checked columns (cycles and two speedups) of the two matched points, and the
	// removed point's presence.
	if n := len(rep.Checks); n != 2*3+1 {
		t.Errorf("%d checks, want 7", n)
	}
	want0 := "FAIL: 2 regressions beyond tolerance; 2 points compared (1 added, 1 removed), 7 checks; 1 improvement, 1 other change"
	if s := rep.Summary(); s != want0 {
		t.Errorf("summary %q\nwant    %q", s, want0)
	}
	o := opts(t)
	o.AllowRemoved = true
	rep, _ = Compare(old, cur, o)
	if rep.Count(Regression) != 1 {
		t.Errorf("--allow-removed: %d regressions, want 1 (the speedup)", rep.Count(Regression))
	}
	// Naming a metric changes its tolerance (speedup 3% lets 4 -> 3.9 pass), and checks a
	// neutral one (pruning_rate has not moved in points 0 and 1) and an unchecked one
	// (dram_bytes: NaN stays NaN).
	rep, err = Compare(old, cur, opts(t, "speedup=3%", "pruning_rate=0", "dram_bytes=1%"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(Regression) != 1 || len(rep.Checks) != 2*5+1 {
		t.Errorf("speedup=3%%: %d regressions, %d checks; want 1 (the removed point), 11", rep.Count(Regression), len(rep.Checks))
	}
	// A column's tolerance beats its metric's.
	rep, _ = Compare(old, cur, opts(t, "speedup=3%", "speedup_dense=1%"))
	if rep.Count(Regression) != 2 {
		t.Errorf("speedup_dense=1%% over speedup=3%%: %d regressions, want 2", rep.Count(Regression))
	}
	// Naming cycles does not check the baselines' own cycles_dense.
	rep, _ = Compare(old, cur, opts(t, "cycles=0"))
	for _, c := range rep.Checks {
		if c.Name == "cycles_dense" {
			t.Errorf("cycles=0 checks cycles_dense")
		}
	}
	// Identical files pass with no finding.
	rep, _ = Compare(old, old, opts(t))
	if rep.Failed() || len(rep.Findings) != 0 || rep.Err() != nil {
		t.Errorf("identical files: %s", rep.Summary())
	}
}

// TestCompareKeepGoing: a point that fails in the new file (its error cell set, its metrics
// empty) is one regression, not one per metric.
func TestCompareKeepGoing(t *testing.T) {
	h := "point,trace,model,task,front_end.lanes,cycles,speedup_dense,error\n"
	old := file(t, "old.csv", h+"0,t.npz,m,k,8,1000,2,\n1,t.npz,m,k,16,500,4,\n")
	cur := file(t, "new.csv", h+"0,t.npz,m,k,8,1000,2,\n1,t.npz,m,k,16,,,SRAM too small\n")
	rep, err := Compare(old, cur, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(Regression) != 1 || rep.Findings[0].Column != "error" || !strings.Contains(rep.Findings[0].Describe(), "SRAM too small") {
		t.Errorf("findings %+v", rep.Findings)
	}
}

// TestCompareTable: table rows are matched by kind, model, task and trace; text columns are
// reported, the table's metrics follow the registry's directions.
func TestCompareTable(t *testing.T) {
	h := "kind,model,task,trace,synthetic,pairs,pruning_rate,speedup_dense,energy_reduction_dense,bound,note\n"
	old := file(t, "old.csv", h+
		"trace,m,t1,a.npz,false,10,0.5,1.5,1.2,lanes,\n"+
		"trace,m,t2,b.npz,false,10,0.5,1.5,1.2,lanes,\n"+
		"mean,,,,,,0.5,1.5,1.2,,geo\n")
	cur := file(t, "new.csv", h+
		"mean,,,,,,0.5,1.5,1.1,,geo\n"+
		"trace,m,t2,b.npz,false,10,0.5,1.5,1.2,back end,\n"+
		"trace,m,t1,a.npz,false,10,0.5,1.5,1.2,lanes,\n")
	rep, err := Compare(old, cur, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Compared != 3 || rep.Count(Regression) != 1 || rep.Count(Changed) != 1 {
		t.Fatalf("%s: %+v", rep.Summary(), rep.Findings)
	}
	for _, f := range rep.Findings {
		switch f.Column {
		case "energy_reduction_dense":
			if f.Point != "kind=mean" || f.Status != Regression {
				t.Errorf("energy reduction: %+v", f)
			}
		case "bound":
			if f.Point != "kind=trace model=m task=t2 trace=b.npz" || f.Status != Changed {
				t.Errorf("bound: %+v", f)
			}
		}
	}
}

// TestBadInput: every bad input is one error naming the file and, for a cell, its line and
// column.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"empty", "", []string{"x.csv", "empty"}},
		{"other layout", "run,config,cycles\n", []string{"x.csv", "line 1", "lrpsim sweep", "lrpsim table"}},
		{"not a number", sweepHeader + "0,t,m,k,8,1000,2,1,0.5,1,2\n1,t,m,k,16,fast,2,1,0.5,1,2\n", []string{"x.csv", "line 3", "column cycles", `"fast"`, "expected a number"}},
		{"duplicate point", sweepHeader + "0,t,m,k,8,1,2,1,0.5,1,2\n1,t,m,k,8,1,2,1,0.5,1,2\n", []string{"x.csv", "line 3", "front_end.lanes=8", "repeats line 2"}},
		{"short row", sweepHeader + "0,t,m,k,8\n", []string{"x.csv", "line 2", "wrong number of fields"}},
		{"repeated column", "kind,model,task,trace,pairs,pairs\n", []string{"x.csv", "column 6", `"pairs"`}},
	} {
		_, err := parse("x.csv", strings.NewReader(tc.text))
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.csv")); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: %v", err)
	}
	a := file(t, "a.csv", sweepHeader)
	for _, tc := range []struct {
		name string
		b    string
		opt  Options
		want []string
	}{
		{"other column", strings.Replace(sweepHeader, "pruning_rate", "lane_util", 1), opts(t), []string{"b.csv", "column 9", `"lane_util"`, "a.csv", `"pruning_rate"`}},
		{"missing column", strings.Replace(sweepHeader, ",cycles_dense", "", 1), opts(t), []string{"b.csv", "column 11", "missing"}},
		{"extra column", strings.Replace(sweepHeader, "\n", ",sram_bytes\n", 1), opts(t), []string{"b.csv", "column 12", "not in a.csv"}},
		{"other kind", "kind,model,task,trace,pairs\n", opts(t), []string{"a.csv", "sweep", "b.csv", "table"}},
		{"unknown metric", sweepHeader, opts(t, "spedup=1%"), []string{"spedup", "no such metric", "cycles, speedup, pruning_rate, dram_bytes, cycles_dense"}},
		{"not a metric", sweepHeader, opts(t, "model=1%"), []string{"model", "no such metric"}},
	} {
		_, err := Compare(a, file(t, "b.csv", tc.b), tc.opt)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
	}
}

// TestReports: the Markdown has the verdict and a table per status; the JUnit XML reads back
// with a test case per check and a failure per regression; both are deterministic.
func TestReports(t *testing.T) {
	old := file(t, "old.csv", sweepHeader+"0,t.npz,m,k,8,1000,2,1.5,0.5,100,2000\n1,t.npz,m,k,16,500,4,3,0.5,1,2000\n")
	cur := file(t, "new.csv", sweepHeader+"0,t.npz,m,k,8,900,1.5,1.5,0.5,300,2000\n1,t.npz,m,k,16,500,4,3,0.5,1,2000\n")
	rep, err := Compare(old, cur, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	var md, md2, x, x2 bytes.Buffer
	for _, err := range []error{rep.WriteMarkdown(&md), rep.WriteMarkdown(&md2), rep.WriteJUnit(&x), rep.WriteJUnit(&x2)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if md.String() != md2.String() || x.String() != x2.String() {
		t.Error("reports differ between two writes")
	}
	for _, want := range []string{"## lrpsim diff: FAIL", "### Regressions", "| trace=t.npz front_end.lanes=8 | speedup_dense | 2 | 1.5 | -25.00% | 1% | higher is better |",
		"### Improvements", "| trace=t.npz front_end.lanes=8 | cycles | 1000 | 900 | -10.00% | 1% | lower is better |",
		"<details>", "| trace=t.npz front_end.lanes=8 | dram_bytes | 100 | 300 | +200.00% | 1% | worse, not checked (lower is better) |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	var doc junitSuites
	if err := xml.Unmarshal(x.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 1 || doc.Suites[0].Tests != 6 || doc.Suites[0].Failures != 1 || doc.Failures != 1 {
		t.Fatalf("JUnit: %+v", doc)
	}
	for _, c := range doc.Suites[0].Cases {
		if (c.Failure != nil) != (c.Name == "speedup_dense" && c.Classname == "trace=t.npz front_end.lanes=8") {
			t.Errorf("test case %s %s: failure %+v", c.Classname, c.Name, c.Failure)
		}
	}
}

// TestCommittedFiles: each committed sweep and table CSV compared with itself passes with no
// finding, and a speedup seeded 5% lower in a copy fails.
func TestCommittedFiles(t *testing.T) {
	for _, path := range []string{"../../results/golden/ci-small.csv", "../../results/sweep-lanes-x-bpc.csv", "../../results/table.csv"} {
		f, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Compare(f, f, opts(t))
		if err != nil || rep.Failed() || len(rep.Findings) != 0 || len(rep.Checks) == 0 {
			t.Errorf("%s against itself: %v, %+v", path, err, rep)
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		g := file(t, "seeded.csv", string(b))
		col := -1
		for i, h := range g.Header {
			if h == "speedup_dense" {
				col = i
			}
		}
		x, _ := parseCell(g.Rows[0].Cells[col])
		g.Rows[0].Cells[col] = formatFloat(x.x * 0.95)
		rep, _ = Compare(f, g, opts(t))
		if rep.Count(Regression) != 1 || rep.Findings[0].Column != "speedup_dense" || rep.Err() == nil {
			t.Errorf("%s with a speedup 5%% lower: %s", path, rep.Summary())
		}
	}
}

// formatFloat writes x as the CSVs do.
func formatFloat(x float64) string { return report.Value{Float: x}.String() }

// TestREADMEDirections holds the directions table of README.md to rules: every rule once, with
// its direction and default, SCOPE and CAUSE standing for each energy scope and bound cause.
func TestREADMEDirections(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]Direction{"higher": HigherIsBetter, "lower": LowerIsBetter, "none": Neutral}
	row := regexp.MustCompile("(?m)^\\| `([a-z_A-Z0-9]+)`(?: \\(table\\))? \\| (higher|lower|none) \\| (yes|no) \\|$")
	got := map[string]Rule{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		names := []string{m[1]}
		switch {
		case strings.Contains(m[1], "SCOPE"):
			names = nil
			for _, s := range sim.EnergyScopes() {
				names = append(names, strings.Replace(m[1], "SCOPE", s, 1))
			}
		case strings.Contains(m[1], "CAUSE"):
			names = nil
			for _, c := range sim.Causes() {
				names = append(names, strings.Replace(m[1], "CAUSE", c.Name(), 1))
			}
		}
		for _, n := range names {
			if _, dup := got[n]; dup {
				t.Errorf("README.md lists %s twice", n)
			}
			got[n] = Rule{Direction: dirs[m[2]], Checked: m[3] == "yes"}
		}
	}
	want := rules()
	for n, r := range want {
		if g, ok := got[n]; !ok || g != r {
			t.Errorf("README.md: %s: %+v (listed %v); rules has %+v", n, g, ok, r)
		}
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			t.Errorf("README.md lists %s, which rules does not have", n)
		}
	}
}

// TestPointColumns: a sweep's point columns, found from its header, are the trace and the keys
// its manifest lists; a table's are kind, model, task and trace.
func TestPointColumns(t *testing.T) {
	for _, path := range []string{"../../results/sweep-lanes-x-bpc.csv", "../../results/golden/ci-small.csv"} {
		f, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		if m, err := sweep.ReadManifest(path + ".json"); err == nil {
			want = append([]string{"trace"}, m.Keys...)
		} else {
			want = []string{"trace", "front_end.lanes", "front_end.bits_per_cycle", "back_end.fifo_depth", "back_end.macs"} // configs/sweeps/ci-small.yaml
		}
		if got := f.PointColumns(); !slices.Equal(got, want) {
			t.Errorf("%s: point columns %v, want %v", path, got, want)
		}
	}
	f, err := Read("../../results/table.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.PointColumns(), []string{"kind", "model", "task", "trace"}; !slices.Equal(got, want) {
		t.Errorf("table: point columns %v, want %v", got, want)
	}
}
