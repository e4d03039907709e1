package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/traces"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// lrpsim runs the CLI in-process and returns its standard output and error.
func lrpsim(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// smallTrace writes a small deterministic synthetic trace.
func smallTrace(t *testing.T, dir string) string {
	t.Helper()
	spec := traces.DefaultGenSpec()
	spec.Layers, spec.Heads, spec.SeqLen, spec.D, spec.DV = 2, 2, 32, 16, 16
	spec.Causal = true
	path := filepath.Join(dir, "small.npz")
	if err := traces.Generate(path, spec); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunDefault(t *testing.T) {
	out, err := lrpsim(t, "run")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"bundled:", "(real trace)", "design (leopard)", "dense", "speedup", "energy (table horowitz-45nm", "pruning rate by layer"} {
		if !strings.Contains(out, want) {
			t.Errorf("default report lacks %q:\n%s", want, out)
		}
	}
}

func TestRunJSONFields(t *testing.T) {
	out, err := lrpsim(t, "run", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	get := func(path string) any {
		var cur any = v
		for _, k := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		}
		return cur
	}
	for _, path := range []string{"engine", "design.cycles", "baselines.dense.cycles", "speedup.dense", "pruning_rate",
		"energy.design.total_pj", "energy.baselines.dense.total_pj", "energy_reduction.dense", "energy.design.breakdown.lane.pj"} {
		if get(path) == nil {
			t.Errorf("JSON lacks %s", path)
		}
	}
	d, b := get("design.cycles").(float64), get("baselines.dense.cycles").(float64)
	if s := get("speedup.dense").(float64); s != b/d {
		t.Errorf("speedup.dense = %v, want %v / %v", s, b, d)
	}
}

// TestRunGolden diffs the CSV report of a small trace against testdata/run_small.csv, for both
// engines (they must agree on every number; only the engine column differs).
func TestRunGolden(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	golden := filepath.Join("testdata", "run_small.csv")
	for _, eng := range []string{"event", "reference"} {
		out := filepath.Join(dir, eng+".csv")
		if _, err := lrpsim(t, "run", "--trace", tr, "--engine", eng, "--csv", "--out", out); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		got = bytes.ReplaceAll(got, []byte(tr), []byte("small.npz"))
		got = bytes.ReplaceAll(got, []byte(","+eng+","), []byte(",ENGINE,"))
		if *update && eng == "event" {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./cmd/lrpsim -run Golden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s engine: CSV differs from %s:\ngot:\n%s\nwant:\n%s", eng, golden, got, want)
		}
	}
}

// TestBadInput: each bad input gives one error naming the file and what was expected, and no
// output file.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := smallTrace(t, dir)
	data, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.npz")
	os.WriteFile(truncated, data[:len(data)/2], 0o644)
	notZip := filepath.Join(dir, "text.npz")
	os.WriteFile(notZip, []byte("hello"), 0o644)
	badCfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badCfg, []byte("front_end:\n  lanes: -3\n"), 0o644)
	unknownKey := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknownKey, []byte("front_end:\n  lane: 3\n"), 0o644)
	tinySRAM := filepath.Join(dir, "tiny.yaml")
	os.WriteFile(tinySRAM, []byte("memory:\n  sram_kv_bytes: 8\n"), 0o644)
	narrow := filepath.Join(dir, "narrow.yaml")
	os.WriteFile(narrow, []byte("operands:\n  bits_k: 8\n"), 0o644)
	badTable := filepath.Join(dir, "table.yaml")
	os.WriteFile(badTable, []byte("name: x\nnode: 45nm\ncomponents:\n  lane:\n    actions:\n      bit_product: abc\n"), 0o644)

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"missing trace", []string{"run", "--trace", filepath.Join(dir, "nope.npz")}, []string{"nope.npz", "no such file"}},
		{"truncated trace", []string{"run", "--trace", truncated}, []string{"truncated.npz", "archive"}},
		{"not a zip", []string{"run", "--trace", notZip}, []string{"text.npz", "archive"}},
		{"impossible value", []string{"run", "--trace", good, "--config", badCfg}, []string{"bad.yaml:2", "front_end.lanes", "[1, 4096]"}},
		{"unknown key", []string{"run", "--trace", good, "--config", unknownKey}, []string{"unknown.yaml:2", "front_end.lane", "a key among", `unknown key "lane"`}},
		{"missing config", []string{"run", "--config", filepath.Join(dir, "none.yaml")}, []string{"none.yaml"}},
		{"SRAM too small", []string{"run", "--trace", good, "--config", tinySRAM}, []string{"small.npz", "sram_kv_bytes"}},
		{"operands too narrow", []string{"run", "--trace", good, "--config", narrow}, []string{"small.npz", "operands.bits_q/bits_k/bits_v"}},
		{"unknown engine", []string{"run", "--trace", good, "--engine", "magic"}, []string{"magic", "event or reference"}},
		{"bad energy table", []string{"run", "--trace", good, "--energy", badTable}, []string{"table.yaml:6", "bit_product"}},
		{"bad node", []string{"run", "--trace", good, "--node", "7nm"}, []string{"7nm"}},
		{"config validate", []string{"config", "validate", badCfg}, []string{"bad.yaml:2", "front_end.lanes"}},
		{"trace validate", []string{"trace", "validate", truncated}, []string{"truncated.npz"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-")+".txt")
			args := tc.args
			if args[0] == "run" {
				args = append(append([]string(nil), args...), "--out", out, "--actions", out+".actions.csv")
			}
			_, err := lrpsim(t, args...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error spans several lines: %q", err)
			}
			for _, f := range []string{out, out + ".actions.csv"} {
				if _, statErr := os.Stat(f); statErr == nil {
					t.Errorf("left an output file %s behind", f)
				}
			}
			entries, _ := filepath.Glob(filepath.Join(dir, ".out-*"))
			if len(entries) > 0 {
				t.Errorf("left temporary files %v", entries)
			}
		})
	}
}

func TestConfigValidateBundled(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "configs", "*.yaml"))
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	out, err := lrpsim(t, append([]string{"config", "validate"}, files...)...)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, ": ok") != len(files) {
		t.Errorf("output %q", out)
	}
}

func TestVersion(t *testing.T) {
	out, err := lrpsim(t, "--version")
	if err != nil || !strings.Contains(out, version) {
		t.Errorf("--version: %q %v", out, err)
	}
}
