package main

import (
	"encoding/csv"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/sim/sweep"
)

// sweepCycles reads the cycles column of a sweep's CSV.
func sweepCycles(t *testing.T, path string) []string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(string(readFile(t, path)))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.Index(rows[0], "cycles")
	if i < 0 {
		t.Fatalf("%s: no cycles column in %v", path, rows[0])
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

// TestSweepSet: lrpsim sweep --set changes every point's base, is recorded in the manifest, makes
// finished outputs of other assignments stale, and reaches every shard.
func TestSweepSet(t *testing.T) {
	dir := t.TempDir()
	sw := smallSweep(t, dir)
	plain, units4 := filepath.Join(dir, "plain.csv"), filepath.Join(dir, "units4.csv")
	for _, tc := range []struct {
		out  string
		args []string
		want string
	}{
		{plain, nil, "12 points: 12 computed"},
		{units4, []string{"--set", "units=4"}, "12 points: 12 computed"},
		{units4, []string{"--set", "units=4"}, "0 computed, up to date"},
		{units4, []string{"--set", "units=2", "--set", "units=4"}, "12 points: 12 computed"}, // other assignments, other sweep
		{units4, []string{"--set", "units=4"}, "12 points: 12 computed"},
	} {
		out, err := lrpsim(t, append([]string{"sweep", sw, "--out", tc.out}, tc.args...)...)
		if err != nil || !strings.Contains(out, tc.want) {
			t.Errorf("sweep %v: %q, %v; want %q", tc.args, out, err, tc.want)
		}
	}
	p, u := sweepCycles(t, plain), sweepCycles(t, units4)
	for i := range p {
		if p[i] == u[i] {
			t.Errorf("point %d: %s cycles with --set units=4 and without", i, p[i])
		}
	}
	for _, tc := range []struct {
		csv  string
		sets []string
	}{{plain, nil}, {units4, []string{"units=4"}}} {
		m, err := sweep.ReadManifest(sweep.ManifestPath(tc.csv))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Sets, tc.sets) {
			t.Errorf("%s: manifest sets %q, want %q", tc.csv, m.Sets, tc.sets)
		}
	}

	var shards []string
	for i := range 2 {
		s := filepath.Join(dir, "shard"+string(rune('0'+i))+".csv")
		if _, err := lrpsim(t, "sweep", sw, "--out", s, "--shard", string(rune('0'+i))+"/2", "--set", "units=4"); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, s)
	}
	all := filepath.Join(dir, "all.csv")
	if _, err := lrpsim(t, append([]string{"merge", "--out", all}, shards...)...); err != nil {
		t.Fatal(err)
	}
	if string(readFile(t, all)) != string(readFile(t, units4)) || string(readFile(t, all+".json")) != string(readFile(t, units4+".json")) {
		t.Error("merged shards run with --set units=4 differ from the unsharded run with it")
	}
}

// TestSweepSetRefused: a bad --set, a --set of a swept key, and a merge of shards run with other
// assignments each fail with one line naming the flag, and write no CSV, manifest or journal.
func TestSweepSetRefused(t *testing.T) {
	dir := t.TempDir()
	sw := smallSweep(t, dir)
	s0, o1 := filepath.Join(dir, "s0.csv"), filepath.Join(dir, "o1.csv")
	if _, err := lrpsim(t, "sweep", sw, "--out", s0, "--shard", "0/2", "--set", "units=4"); err != nil {
		t.Fatal(err)
	}
	if _, err := lrpsim(t, "sweep", sw, "--out", o1, "--shard", "1/2"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad value", []string{"sweep", sw, "--set", "units=x"}, `--set units=x: units: expected an integer, got "x"`},
		{"out of range", []string{"sweep", sw, "--set", "units=0"}, "--set units=0: units: expected"},
		{"unknown key", []string{"sweep", sw, "--set", "memory.chanels=4"}, "--set memory.chanels=4: memory.chanels: expected a config key"},
		{"no value", []string{"sweep", sw, "--set", "units"}, "--set units: expected KEY=VALUE"},
		{"swept key", []string{"sweep", sw, "--set", "back_end.fifo_depth=8"}, "--set back_end.fifo_depth=8: back_end.fifo_depth is swept by grid"},
		{"zipped key", []string{"sweep", sw, "--set", "front_end.scheduling=lockstep"}, "--set front_end.scheduling=lockstep: front_end.scheduling is swept by zip"},
		{"merge", []string{"merge", s0, o1}, "s0.csv and " + o1 + " are shards of small run with different --set assignments (--set units=4; no --set)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-")+".csv")
			_, err := lrpsim(t, append(tc.args, "--out", out)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("more than one line of error: %v", err)
			}
			for _, f := range []string{out, sweep.ManifestPath(out), sweep.JournalPath(out)} {
				if exists(f) {
					t.Errorf("left %s behind", f)
				}
			}
		})
	}
}
