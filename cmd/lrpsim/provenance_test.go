package main

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/sim/provenance"
)

// TestResultsAreFresh is the staleness gate of results/: every generated file under results/
// has a record in results/PROVENANCE.json, and every record still holds in today's tree: the
// file's bytes, each input's bytes (configs, energy tables, traces, scripts, other results) and
// the simulator's model version (what it computes on a fixed probe). A failure names the file,
// what it was made from that has changed, and the script that regenerates it.
func TestResultsAreFresh(t *testing.T) {
	root, err := provenance.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	model, err := provenance.ModelVersion()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := provenance.CheckResults(root, model)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if len(problems) > 0 {
		t.Log("a result made from other inputs than today's is stale: run the regen command named (results/regen.sh remakes them all), and commit the results with results/PROVENANCE.json")
	}
}

// copyRepoFile copies a file of this repository into the same place under root.
func copyRepoFile(t *testing.T, root, rel string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestProvenanceRecordsWhatCommandsRead runs lrpsim with $LRPSIM_PROVENANCE set in a small
// repository: a table records the default config, the built-in table's file and its trace; a
// run written outside the repository leaves a sidecar that provenance record turns into the
// inputs of a file made from it; and editing the config makes both stale.
func TestProvenanceRecordsWhatCommandsRead(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inputs := []string{"configs/leopard.yaml", "energy/tables/45nm.yaml", "traces/data/memn2n-babi-qa1.npz"}
	for _, f := range inputs {
		copyRepoFile(t, root, f)
	}
	if err := os.MkdirAll(filepath.Join(root, "results"), 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(root, "results", "PROVENANCE.json")
	t.Setenv(provenance.EnvManifest, manifest)
	t.Setenv(provenance.EnvRegen, "results/regen.sh")
	table := filepath.Join(root, "results", "table.md")
	if out, err := lrpsim(t, "table", "--jobs", "1", "--out", table, "bundled:memn2n-babi-qa1.npz"); err != nil {
		t.Fatalf("table: %v\n%s", err, out)
	}
	run := filepath.Join(outside, "run.json")
	if out, err := lrpsim(t, "run", "--trace", "bundled:memn2n-babi-qa1.npz", "--json", "--out", run); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	derived := filepath.Join(root, "results", "derived.md")
	if err := os.WriteFile(derived, []byte("made from run.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := lrpsim(t, "provenance", "record", "--out", derived, "--from", run, "--command", "python3 x.py"); err != nil {
		t.Fatalf("provenance record: %v\n%s", err, out)
	}

	m, err := provenance.Read(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for f := range m.Files {
		files = append(files, f)
	}
	sort.Strings(files)
	if want := []string{"results/derived.md", "results/table.md"}; !reflect.DeepEqual(files, want) {
		t.Fatalf("recorded %q, want %q", files, want)
	}
	for _, f := range files {
		e := m.Files[f]
		var names []string
		for n := range e.Inputs {
			names = append(names, n)
		}
		sort.Strings(names)
		if !reflect.DeepEqual(names, inputs) {
			t.Errorf("%s: inputs %q, want %q", f, names, inputs)
		}
		if e.Model == "" || e.Regen != "results/regen.sh" {
			t.Errorf("%s: model %q, regen %q", f, e.Model, e.Regen)
		}
	}
	if c := m.Files["results/table.md"].Command; !strings.HasPrefix(c, "lrpsim table --jobs 1 --out ") || !strings.HasSuffix(c, " bundled:memn2n-babi-qa1.npz") {
		t.Errorf("table's command %q", c)
	}
	model := m.Files["results/table.md"].Model
	files, err = provenance.GeneratedResults(root)
	if err != nil {
		t.Fatal(err)
	}
	if p := provenance.Check(root, m, model, files); len(p) != 0 {
		t.Fatalf("fresh: %v", p)
	}
	if err := os.WriteFile(filepath.Join(root, "configs", "leopard.yaml"), []byte("name: edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range provenance.Check(root, m, model, files) {
		got = append(got, p.String())
	}
	want := []string{
		"results/derived.md was made from another configs/leopard.yaml; regenerate with results/regen.sh",
		"results/table.md was made from another configs/leopard.yaml; regenerate with results/regen.sh",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after editing the config:\n%q\nwant\n%q", got, want)
	}
}
