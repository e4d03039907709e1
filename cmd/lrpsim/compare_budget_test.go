package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pointsFixture writes a closed-loop points file for bundled:memn2n-babi-qa1 with two LeOPArd
// lambdas (both replaying the bundled learned trace) and two Sanger thresholds, validation 8
// questions and test 16; splits is the document's splits block.
func pointsFixture(t *testing.T, dir string, splits map[string]any) string {
	t.Helper()
	split := func(hex string, n int, metric float64) map[string]any {
		return map[string]any{"metric": metric, "questions": n, "correct": hex, "pruning_rate": 0.5}
	}
	doc := map[string]any{
		"schema": "lrpsim-frontier-closed-loop/1", "workload": "memn2n-babi-qa1", "metric": "accuracy",
		"higher_is_better": true, "dense_trace": "bundled:memn2n-babi-qa1-dense", "splits": splits,
		"dense": map[string]any{"validation": split("ff", 8, 1), "test": split("ffff", 16, 1)},
		"designs": []any{
			map[string]any{"name": "leopard", "policy": "leopard", "knob": "lambda", "model": "learned", "points": []any{
				map[string]any{"value": 0.05, "trace": "bundled:memn2n-babi-qa1", "validation": split("ff", 8, 1), "test": split("fffe", 16, 15.0/16)},
				map[string]any{"value": 0.2, "trace": "bundled:memn2n-babi-qa1", "validation": split("fe", 8, 7.0/8), "test": split("ffff", 16, 1)},
			}},
			map[string]any{"name": "sanger", "policy": "sanger", "knob": "pruning.theta", "model": "dense", "points": []any{
				map[string]any{"value": 0.002, "trace": "bundled:memn2n-babi-qa1-dense", "validation": split("ff", 8, 1), "test": split("ffff", 16, 1)},
				map[string]any{"value": 0.02, "trace": "bundled:memn2n-babi-qa1-dense", "validation": split("7f", 8, 7.0/8), "test": split("ffff", 16, 1)},
			}},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "memn2n-babi-qa1.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var disjointSplits = map[string]any{
	"validation": map[string]any{"file": "qa1_train.txt", "first": 900, "count": 8},
	"test":       map[string]any{"file": "qa1_test.txt", "first": 0, "count": 16},
}

func TestCompareBudget(t *testing.T) {
	dir := t.TempDir()
	pointsFixture(t, filepath.Join(dir, "cl"), disjointSplits)
	pts := filepath.Join(dir, "pts")
	md := filepath.Join(dir, "b.md")
	args := []string{"compare", "-c", "bundled:leopard.yaml", "-c", "bundled:policies/sanger.yaml", "--frontier", filepath.Join(dir, "cl"),
		"--budget", "0.2%", "--budget", "20%", "--points-out", pts, "--format", "md", "--out", md}
	if _, err := lrpsim(t, args...); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	// 0.2%: leopard keeps lambda 0.05 (0.2 loses a validation question), sanger 0.002; at 20%
	// both larger values are allowed, and the choice is the faster.
	for _, w := range []string{"| 0.2% | memn2n-babi-qa1 | leopard | lambda | 0.05 | +0.0000 | +0.0625 [",
		"| 0.2% | memn2n-babi-qa1 | sanger | pruning.theta | 0.002 | +0.0000 |", "| 0.2% | leopard | 1 of 1 |",
		"| 20% | memn2n-babi-qa1 | sanger | pruning.theta | 0.02 | +0.1250 |"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if _, err := os.Stat(filepath.Join(pts, "memn2n-babi-qa1.json")); err != nil {
		t.Errorf("--points-out: %v", err)
	}
	svg := filepath.Join(dir, "f.svg")
	if _, err := lrpsim(t, "plot", "frontier", "--frontier", pts, "--budget", "1%", "--y", "onchip", "--out", svg); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(svg); err != nil || !strings.Contains(string(b), "frontier") {
		t.Errorf("%s: %v", svg, err)
	}
	// --workloads keeps one family: the fixture's workload by its prefix, and an error naming a
	// prefix that no workload has, with nothing written
	if _, err := lrpsim(t, "plot", "frontier", "--frontier", pts, "--workloads", "memn2n-", "--out", svg); err != nil {
		t.Errorf("--workloads memn2n-: %v", err)
	}
	svg2 := filepath.Join(dir, "g.svg")
	if _, err := lrpsim(t, "plot", "frontier", "--frontier", pts, "--workloads", "minilm-", "--out", svg2); err == nil ||
		!strings.Contains(err.Error(), `--workloads "minilm-": no workload of --frontier`) {
		t.Errorf("--workloads minilm-: got %v, want an error naming the prefix", err)
	}
	if _, err := os.Stat(svg2); err == nil {
		t.Errorf("%s written after an error", svg2)
	}
	// the same inputs give the same bytes (the bootstrap is seeded)
	md2 := filepath.Join(dir, "b2.md")
	if _, err := lrpsim(t, append(args[:len(args)-1], md2)...); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(md2); string(b2) != out {
		t.Errorf("a second run differs")
	}
}

func TestCompareBudgetBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	pointsFixture(t, good, disjointSplits)
	overlap := filepath.Join(dir, "overlap")
	pointsFixture(t, overlap, map[string]any{
		"validation": map[string]any{"file": "qa1_test.txt", "first": 0, "count": 8},
		"test":       map[string]any{"file": "qa1_test.txt", "first": 4, "count": 16},
	})
	out := filepath.Join(dir, "o.md")
	base := []string{"compare", "-c", "bundled:leopard.yaml", "-c", "bundled:policies/sanger.yaml", "--out", out}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--frontier", good, "--budget", "0.2"}, `--budget "0.2": expected a percentage`},
		{[]string{"--frontier", good, "--budget", "1%", "--budget", "1.0%"}, "given twice"},
		{[]string{"--frontier", good, "--points-out", dir}, "--points-out and --summary-out: expected --budget"},
		{[]string{"--frontier", overlap, "--budget", "1%"}, "overlap: expected disjoint splits"},
		{[]string{"--frontier", filepath.Join(dir, "none"), "--budget", "1%"}, "no operating points"},
		{[]string{"--frontier", good, "--budget", "1%", "-c", "bundled:policies/spatten.yaml"}, `no operating points of design "spatten"`},
	} {
		_, err := lrpsim(t, append(base, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed compare left %s", out)
	}
}
