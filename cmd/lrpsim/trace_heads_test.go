package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTraceHeadsResults: results/spatten/WORKLOAD.csv is what `lrpsim trace heads` prints today
// (results/spatten/regen.sh made it), byte for byte.
func TestTraceHeadsResults(t *testing.T) {
	files, err := filepath.Glob("../../results/spatten/*.csv")
	if err != nil || len(files) == 0 {
		t.Fatalf("results/spatten/*.csv: %v (none found)", err)
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".csv")
		got, err := lrpsim(t, "trace", "heads", "--config", "bundled:policies/spatten.yaml", "bundled:"+name+".npz")
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s differs from lrpsim trace heads on bundled:%s.npz: run results/spatten/regen.sh", f, name)
		}
	}
}

func TestTraceHeadsBadInput(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("pruning:\n  policy: spatten\n  keep_fraction: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "h.csv")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-c", bad, "--out", out, tr}, "pruning.keep_fraction"},
		{[]string{"--out", out, filepath.Join(dir, "missing.npz")}, "missing.npz"},
		{[]string{"-c", "bundled:policies/none.yaml", "--out", out, tr}, "none.yaml"},
	} {
		_, err := lrpsim(t, append([]string{"trace", "heads"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed trace heads left %s", out)
	}
	if _, err := lrpsim(t, "trace", "heads", "-c", "bundled:policies/spatten.yaml", "--out", out, tr); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.HasPrefix(string(b), "policy,input,layer,head,") {
		t.Errorf("%s: %v\n%s", out, err, b)
	}
}
