package diff

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Summary is the report in one line: PASS or FAIL, the regressions, the points and the checks.
func (r *Report) Summary() string {
	verdict := "PASS: no regression beyond tolerance"
	if n := r.Count(Regression); n > 0 {
		verdict = "FAIL: " + plural(n, "regression") + " beyond tolerance"
	}
	return fmt.Sprintf("%s; %s compared (%d added, %d removed), %s; %s, %s",
		verdict, plural(r.Compared, "point"), len(r.Added), len(r.Removed), plural(len(r.Checks), "check"),
		plural(r.Count(Improvement), "improvement"), plural(r.Count(Changed), "other change"))
}

// plural is n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Describe says what a finding is, in one sentence.
func (f Finding) Describe() string {
	switch {
	case f.Column == "":
		return f.Note
	case f.Note == "point failed":
		return "point failed in the new file: " + f.New
	case f.Change == "":
		return fmt.Sprintf("%s went from %q to %q: %s", f.Column, f.Old, f.New, f.Note)
	}
	return fmt.Sprintf("%s went from %s to %s (%s), beyond the tolerance %s (%s)", f.Column, f.Old, f.New, f.Change, f.Tolerance, f.Rule.Direction)
}

// WriteMarkdown writes the report as Markdown for a pull request or a CI job summary: a title
// with the verdict, the summary and the counts, then tables of the regressions, the improvements
// and (folded) the other changes beyond tolerance.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	verdict := "PASS"
	if r.Failed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "## lrpsim diff: %s\n\n%s.\n\n", verdict, r.Summary())
	fmt.Fprintf(&b, "Old: `%s` (%s, %s); new: `%s` (%s, %s).\n\n", r.Old.Path, r.Old.Kind, plural(len(r.Old.Rows), "row"),
		r.New.Path, r.New.Kind, plural(len(r.New.Rows), "row"))
	b.WriteString("| | count |\n|---|---:|\n")
	for _, c := range []struct {
		what string
		n    int
	}{
		{"points compared", r.Compared}, {"points added", len(r.Added)}, {"points removed", len(r.Removed)},
		{"checks", len(r.Checks)}, {"regressions", r.Count(Regression)}, {"improvements", r.Count(Improvement)},
		{"other changes beyond tolerance", r.Count(Changed)},
	} {
		fmt.Fprintf(&b, "| %s | %d |\n", c.what, c.n)
	}
	section := func(title string, s Status, fold bool) {
		var rows []Finding
		for _, f := range r.Findings {
			if f.Status == s {
				rows = append(rows, f)
			}
		}
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n### %s\n\n", title)
		if fold {
			fmt.Fprintf(&b, "<details><summary>%s (reported, not checked)</summary>\n\n", plural(len(rows), "change"))
		}
		b.WriteString("| point | column | old | new | change | tolerance | note |\n|---|---|---:|---:|---:|---:|---|\n")
		for _, f := range rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdCell(f.Point), mdCell(f.Column), mdCell(f.Old), mdCell(f.New),
				mdCell(f.Change), mdCell(toleranceOf(f)), mdCell(noteOf(f)))
		}
		if fold {
			b.WriteString("\n</details>\n")
		}
	}
	section("Regressions", Regression, false)
	section("Improvements", Improvement, false)
	section("Other changes beyond tolerance", Changed, true)
	_, err := io.WriteString(w, b.String())
	return err
}

// toleranceOf is the tolerance column of a finding: empty unless a number moved.
func toleranceOf(f Finding) string {
	if f.Change == "" {
		return ""
	}
	return f.Tolerance.String()
}

// noteOf is the note column of a finding: what happened, or the metric's direction and, for an
// unchecked change, which way it went.
func noteOf(f Finding) string {
	if f.Note != "" {
		return f.Note
	}
	if f.Rule.Direction == Neutral {
		return f.Rule.Direction.String()
	}
	note := f.Rule.Direction.String()
	if f.Status == Changed {
		way := "better"
		if f.Worse {
			way = "worse"
		}
		note = way + ", not checked (" + note + ")"
	}
	return note
}

// mdCell escapes s for a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " ")
}

// The JUnit XML elements WriteJUnit writes.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Classname string        `xml:"classname,attr"`
		Name      string        `xml:"name,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitFailure `xml:"failure,omitempty"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// WriteJUnit writes the report as JUnit XML, the format CI systems read: one test suite, one
// test case per check (classname the point, name the metric, "present" for a point's presence,
// "error" for a --keep-going sweep's error cell), a failure for each regression. Times are 0, so
// that the bytes depend only on the files compared.
func (r *Report) WriteJUnit(w io.Writer) error {
	suite := junitSuite{
		Name: "lrpsim diff", Time: "0",
		Properties: []junitProperty{{Name: "old", Value: r.Old.Path}, {Name: "new", Value: r.New.Path}, {Name: "kind", Value: r.Old.Kind.String()}},
	}
	for _, c := range r.Checks {
		tc := junitCase{Classname: c.Point, Name: c.Name, Time: "0"}
		if f := c.Failure; f != nil {
			suite.Failures++
			tc.Failure = &junitFailure{Message: f.Describe(), Type: "regression",
				Text: fmt.Sprintf("point: %s\ncolumn: %s\nold: %s\nnew: %s\n", f.Point, c.Name, f.Old, f.New)}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{Name: "lrpsim diff", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("JUnit XML: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// RegressionError is the error of a comparison that found regressions beyond tolerance.
type RegressionError struct {
	// Regressions is their number; Summary the report's summary line.
	Regressions int
	Summary     string
}

// Error implements error.
func (e *RegressionError) Error() string { return "diff: " + e.Summary }

// Err is nil when the report passed, and a *RegressionError when it failed.
func (r *Report) Err() error {
	if !r.Failed() {
		return nil
	}
	return &RegressionError{Regressions: r.Count(Regression), Summary: r.Summary()}
}
