package provenance

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// tree makes a small repository: go.mod, a config, a trace and one result recorded as made
// from both, and returns its root and manifest.
func tree(t *testing.T) (string, *Manifest) {
	t.Helper()
	root := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example\n")
	write("configs/leopard.yaml", "front_end: {lanes: 8}\n")
	write("traces/data/a.npz", "trace bytes")
	write("results/table.md", "| speedup | 1.30x |\n")
	write("results/README.md", "hand-written\n")
	write("results/regen.sh", "#!/bin/sh\n")
	in := NewInputs(root)
	for _, f := range []string{"configs/leopard.yaml", "traces/data/a.npz"} {
		if err := in.AddRepoFile(f); err != nil {
			t.Fatal(err)
		}
	}
	h, err := HashFile(filepath.Join(root, "results", "table.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Schema: Schema, Files: map[string]Entry{"results/table.md": {Regen: "results/regen.sh",
		Command: "lrpsim table --out results/table.md", Inputs: in.Map(), Model: "m1", SHA256: h}}}
	return root, m
}

func check(t *testing.T, root string, m *Manifest, model string) []string {
	t.Helper()
	files, err := GeneratedResults(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range Check(root, m, model, files) {
		out = append(out, p.String())
	}
	return out
}

func TestCheckFreshTree(t *testing.T) {
	root, m := tree(t)
	if got := check(t, root, m, "m1"); len(got) != 0 {
		t.Fatalf("fresh tree: problems %q", got)
	}
}

// TestFingerprintChangesWithAConfigByte edits one byte of a recorded config: the input's
// fingerprint changes and the result is reported stale, with the config and the regen command.
func TestFingerprintChangesWithAConfigByte(t *testing.T) {
	root, m := tree(t)
	cfg := filepath.Join(root, "configs", "leopard.yaml")
	before, err := HashFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("front_end: {lanes: 9}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	after, err := HashFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if before == after {
		t.Fatal("a config byte changed and its fingerprint did not")
	}
	want := []string{"results/table.md was made from another configs/leopard.yaml; regenerate with results/regen.sh"}
	if got := check(t, root, m, "m1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("problems\n%q\nwant\n%q", got, want)
	}
}

func TestCheckReportsEachKindOfStaleness(t *testing.T) {
	root, m := tree(t)
	if err := os.WriteFile(filepath.Join(root, "results", "table.md"), []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "traces", "data", "a.npz")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "results", "new.csv"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m.Files["results/gone.svg"] = Entry{Command: "lrpsim plot", SHA256: "00"}
	got := strings.Join(check(t, root, m, "m2"), "\n")
	for _, want := range []string{
		"results/new.csv is generated but has no record in results/PROVENANCE.json; regenerate with results/regen.sh",
		"results/gone.svg is recorded in results/PROVENANCE.json but does not exist; regenerate with lrpsim plot",
		"results/table.md was edited or rewritten after it was recorded",
		"results/table.md was made by another simulator model version",
		"results/table.md was made from traces/data/a.npz, which no longer exists",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems\n%s\nlack %q", got, want)
		}
	}
}

func TestManifestRoundTripIsDeterministic(t *testing.T) {
	root, m := tree(t)
	path := filepath.Join(root, "results", "PROVENANCE.json")
	if err := Update(path, m.Files); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Update(path, m.Files); err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(second) {
		t.Fatalf("rewriting the same manifest changed its bytes:\n%s\n%s", first, second)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Fatalf("read back %+v, want %+v", back, m)
	}
}

func TestHandWritten(t *testing.T) {
	for rel, want := range map[string]bool{
		"results/README.md": true, "results/regen.sh": true, "results/energy-tables/side_by_side.py": true,
		"results/energy-tables/sweep-planes-hwc.yaml": true, "results/BENCHMARKS.md": true, "results/synth.md": true,
		"results/fuzz-campaign.md": true, "results/golden/ci-small.csv": true, "results/PROVENANCE.json": true,
		"results/ramulator/loadstore-wait.patch": true, "results/ramulator/comparison.csv": false,
		"results/table.md": false, "results/closed-loop/SUMMARY.md": false, "results/sweep-lanes-x-bpc.csv.json": false,
		"results/spatten/keep-counts.md": false,
	} {
		if got := HandWritten(rel); got != want {
			t.Errorf("HandWritten(%q) = %v, want %v", rel, got, want)
		}
	}
}
