package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	fig := filepath.Join(dir, "cmp.svg")
	out, err := lrpsim(t, "compare", "--format", "md", "--jobs", "2", "--figure", fig, tr)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"| small | leopard | leopard | learned |", "| small | sanger | sanger |", "| small | spatten | spatten |",
		"| small | row-relative-spec | row_relative |", "Per design over the workloads"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if b, err := os.ReadFile(fig); err != nil || !strings.Contains(string(b), "<svg") {
		t.Errorf("figure %s: %v", fig, err)
	}
	csvOut := filepath.Join(dir, "c.csv")
	if _, err := lrpsim(t, "compare", "-f", "csv", "--iso-area", "--out", csvOut, "-c", "bundled:leopard.yaml", "-c", "bundled:policies/sanger.yaml", tr); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(csvOut); err != nil || strings.Count(string(b), "\n") != 3 {
		t.Errorf("%s: %v\n%s", csvOut, err, b)
	}
}

func TestCompareBadInput(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("pruning:\n  policy: sanger\n  theta: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "o.md")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "html", tr}, `unknown format "html"`},
		{[]string{"-c", bad, tr}, "pruning.theta"},
		{[]string{"-c", "bundled:leopard.yaml", "-c", "bundled:leopard.yaml", tr}, `both named "leopard"`},
		{[]string{"--out", out, filepath.Join(dir, "missing.npz")}, "missing.npz"},
	} {
		_, err := lrpsim(t, append([]string{"compare"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed compare left %s", out)
	}
}

// TestRunReportNamesTheRule: the run report says which rule dropped the pairs.
func TestRunReportNamesTheRule(t *testing.T) {
	tr := smallTrace(t, t.TempDir())
	for cfg, want := range map[string]string{
		"":                                    "query-key pairs below threshold (",
		"../../configs/policies/sanger.yaml":  "query-key pairs dropped by the sanger rule (",
		"../../configs/policies/spatten.yaml": "query-key pairs dropped by the spatten rule (",
	} {
		args := []string{"run", "--trace", tr, "--no-baselines"}
		if cfg != "" {
			args = append(args, "--config", cfg)
		}
		out, err := lrpsim(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, want) {
			t.Errorf("config %q: report lacks %q:\n%s", cfg, want, out)
		}
	}
}
