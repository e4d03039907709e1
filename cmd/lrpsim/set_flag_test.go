package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// designCycles runs lrpsim run --json --no-baselines with args on a small trace and returns the
// design's cycles.
func designCycles(t *testing.T, trace string, args ...string) float64 {
	t.Helper()
	out, err := lrpsim(t, append([]string{"run", "--json", "--no-baselines", "--trace", trace}, args...)...)
	if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	var v struct {
		Design struct{ Cycles float64 } `json:"design"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("run %v: not JSON: %v", args, err)
	}
	return v.Design.Cycles
}

// TestSetChangesTheRun: --set changes the simulated machine as the same key in the file does.
func TestSetChangesTheRun(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	units4 := filepath.Join(dir, "units4.yaml")
	if err := os.WriteFile(units4, []byte("units: 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := designCycles(t, tr)
	for _, tc := range []struct {
		name string
		args []string
		same []string // a run that must give the same cycles; nil: only differ from the default
	}{
		{"units", []string{"--set", "units=4"}, []string{"-c", units4}},
		{"units over a file", []string{"-c", units4, "--set", "units=8"}, []string{}},
		{"channels and units", []string{"--set", "memory.channels=16", "--set", "units=4"}, nil},
		{"serial memory", []string{"--set", "memory.kv_buffers=2", "--set", "memory.model=serial"}, nil},
		{"bundled", []string{"-c", "bundled:leopard", "--set", "units=2"}, nil},
	} {
		got := designCycles(t, tr, tc.args...)
		switch {
		case tc.same == nil && got == base:
			t.Errorf("%s: %v gives the default's %v cycles", tc.name, tc.args, got)
		case len(tc.same) > 0:
			if want := designCycles(t, tr, tc.same...); got != want {
				t.Errorf("%s: %v gives %v cycles, %v gives %v", tc.name, tc.args, got, tc.same, want)
			}
		case tc.same != nil:
			if got != base {
				t.Errorf("%s: %v gives %v cycles, want the default's %v", tc.name, tc.args, got, base)
			}
		}
	}
}

// TestSetRefused: a bad --set fails every command that takes a config with one error naming the
// flag and the key, and writes no file.
func TestSetRefused(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "-t", tr, "-o", out, "--set", "memory.channels=x"}, `--set memory.channels=x: memory.channels: expected an integer, got "x"`},
		{[]string{"run", "-t", tr, "-o", out, "--set", "units=0"}, "--set units=0: units: expected"},
		{[]string{"run", "-t", tr, "-o", out, "--set", "memory.chanels=4"}, "--set memory.chanels=4: memory.chanels: expected a config key"},
		{[]string{"run", "-t", tr, "-o", out, "--set", "dispatch=sometimes"}, "--set dispatch=sometimes: dispatch: expected"},
		{[]string{"run", "-t", tr, "-o", out, "--set", "units"}, "--set units: expected KEY=VALUE"},
		{[]string{"table", "-o", out, tr, "--set", "units=x"}, `--set units=x: units: expected an integer, got "x"`},
		{[]string{"compare", "-o", out, tr, "--set", "units=x"}, `--set units=x: units: expected an integer, got "x"`},
		{[]string{"plot", "bars", "-o", out + ".png", tr, "--set", "units=x"}, `--set units=x: units: expected an integer, got "x"`},
		{[]string{"trace", "heads", "-o", out, tr, "--set", "units=x"}, `--set units=x: units: expected an integer, got "x"`},
		{[]string{"trace", "dump-rows", "-o", out, tr, "--set", "front_end.lanes=x"}, `--set front_end.lanes=x: front_end.lanes: expected an integer, got "x"`},
		{[]string{"config", "show", "--set", "units=x"}, `--set units=x: units: expected an integer, got "x"`},
		{[]string{"config", "validate", "bundled:leopard", "--set", "units=x"}, `--set units=x: units: expected an integer, got "x"`},
	} {
		_, err := lrpsim(t, tc.args...)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error starting %q", tc.args, err, tc.want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: more than one line of error: %v", tc.args, err)
		}
		for _, f := range []string{out, out + ".png"} {
			if _, err := os.Stat(f); err == nil {
				t.Errorf("%v: wrote %s", tc.args, f)
			}
		}
	}
}

// TestSetOnOtherCommands: --set reaches every command that takes a config.
func TestSetOnOtherCommands(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"config", "show", "bundled:leopard", "--set", "units=3"}, "units: 3\n"},
		{[]string{"config", "validate", "bundled:policies/spatten", "--set", "units=3"}, "bundled:policies/spatten: ok"},
		{[]string{"trace", "dump-rows", tr, "--set", "front_end.lanes=4"}, "lanes 4"},
	} {
		out, err := lrpsim(t, tc.args...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if !strings.Contains(out, tc.want) {
			t.Errorf("%v: output lacks %q:\n%.400s", tc.args, tc.want, out)
		}
	}
}
