package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// waterfallSteps are the default steps, named from this package's folder.
func waterfallSteps(t *testing.T) []string {
	t.Helper()
	steps, err := filepath.Glob("../../configs/waterfall/*.yaml")
	if err != nil || len(steps) == 0 {
		t.Fatalf("no waterfall steps: %v", err)
	}
	var args []string
	for _, s := range append(steps, "../../configs/leopard.yaml") {
		args = append(args, "--step", s)
	}
	return args
}

func TestPlotWaterfall(t *testing.T) {
	dir := t.TempDir()
	steps := waterfallSteps(t)
	outs := []string{"w.md", "w.csv", "w.svg", "w.png"}
	for _, c := range []struct {
		name  string
		args  []string
		want  string // "" for success
		wrote bool
	}{
		{"every format", nil, "", true},
		{"bad extension", []string{"--out", filepath.Join(dir, "w.pdf")}, ".md, .csv, .png or .svg", false},
		{"missing step", []string{"--step", filepath.Join(dir, "absent.yaml")}, "absent.yaml", false},
		{"missing trace", []string{"bundled:no-such-trace"}, "no-such-trace", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sub := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
			args := append([]string{"plot", "waterfall", "-j", "2"}, steps...)
			for _, o := range outs {
				args = append(args, "--out", filepath.Join(sub, o))
			}
			args = append(args, c.args...)
			if !strings.Contains(strings.Join(c.args, " "), "bundled:") {
				args = append(args, "bundled:memn2n-babi-qa1", "bundled:memn2n-babi-qa2")
			}
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			_, err := lrpsim(t, args...)
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
			for _, o := range outs {
				b, err := os.ReadFile(filepath.Join(sub, o))
				if c.wrote && (err != nil || len(b) == 0) {
					t.Errorf("%s not written: %v", o, err)
				}
				if !c.wrote && err == nil {
					t.Errorf("%s written despite the error", o)
				}
			}
			if c.wrote {
				md, _ := os.ReadFile(filepath.Join(sub, "w.md"))
				if n := strings.Count(string(md), "`../../configs/"); n != 5 {
					t.Errorf("w.md names %d configs, want the 5 steps:\n%s", n, md)
				}
				// the figure gives each group's speedup and its on-chip energy reduction
				svg, _ := os.ReadFile(filepath.Join(sub, "w.svg"))
				for _, want := range []string{"suite (2 traces): speedup", "suite (2 traces): on-chip energy"} {
					if !strings.Contains(string(svg), want) {
						t.Errorf("w.svg lacks the legend entry %q", want)
					}
				}
			}
		})
	}
}

// readmeWaterfall matches README.md's quote of the waterfall table.
var readmeWaterfall = regexp.MustCompile("(?s)<!-- waterfall: results/waterfall.md -->\n(.*?)<!-- /waterfall -->")

// TestREADMEWaterfall: README.md quotes results/waterfall.md's table as it is (TestResultsAreFresh
// keeps that file fresh), so the README's waterfall is never typed by hand.
func TestREADMEWaterfall(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := readmeWaterfall.FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no <!-- waterfall: results/waterfall.md --> quote")
	}
	md, err := os.ReadFile("../../results/waterfall.md")
	if err != nil {
		t.Fatal(err)
	}
	table, _, _ := strings.Cut(string(md), "\n\n")
	if got, want := string(m[1]), table+"\n"; got != want {
		t.Errorf("README.md's waterfall table is not results/waterfall.md's; copy it:\n%s", want)
	}
}
