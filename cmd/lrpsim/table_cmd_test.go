package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTableFormats(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	for format, want := range map[string][]string{
		"md":    {"| model", "small.npz", "mean over 2 traces", "paper (ISCA 2022), reported"},
		"csv":   {"kind,model,task,trace", "trace,synthetic,synthetic," + tr, "\nmean,", "\npaper,"},
		"latex": {`\toprule`, `\midrule`, `\bottomrule`, `small.npz`, `$\times$`},
	} {
		out, err := lrpsim(t, "table", "--format", format, "--jobs", "2", tr, tr)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s output lacks %q:\n%s", format, w, out)
			}
		}
	}
	// With no traces: every bundled real trace, and no synthetic one.
	out, err := lrpsim(t, "table")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "use-lite.npz") || strings.Contains(out, "synthetic-default.npz") {
		t.Errorf("default table should hold the bundled real traces only:\n%s", out)
	}
}

func TestTableOut(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	out := filepath.Join(dir, "t.csv")
	if stdout, err := lrpsim(t, "table", "-f", "csv", "--out", out, tr); err != nil || stdout != "" {
		t.Fatalf("err %v, stdout %q", err, stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.HasPrefix(string(b), "kind,") {
		t.Errorf("%s: %v %q", out, err, b)
	}
}

func TestTableBadInput(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	out := filepath.Join(dir, "t.md")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "html", tr}, `unknown format "html"`},
		{[]string{filepath.Join(dir, "missing.npz")}, "missing.npz"},
		{[]string{"bundled:nope.npz"}, `no bundled trace "nope.npz"`},
		{[]string{"--jobs", "-1", tr}, "--jobs"},
		{[]string{"--config", filepath.Join(dir, "nope.yaml"), tr}, "nope.yaml"},
	} {
		got, err := lrpsim(t, append([]string{"table", "--out", out}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error with %q", c.args, err, c.want)
		}
		if got != "" {
			t.Errorf("%v: printed %q", c.args, got)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%v: %s exists after an error", c.args, out)
		}
	}
}
