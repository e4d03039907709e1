package sweep

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// setsSweep is a sweep of 2 points over one trace; units is not swept, so --set may change it.
const setsSweep = "name: over-units\ntraces: [a.npz]\ngrid:\n  front_end.lanes: [4, 8]\nbaselines: [dense]\n"

// setsPlan plans setsSweep in dir (writing its trace once) with sets.
func setsPlan(t *testing.T, dir string, sets ...string) (*Plan, error) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "a.npz")); err != nil {
		smallTrace(t, dir, "a.npz", 1)
	}
	s, err := Parse(filepath.Join(dir, "sets.yaml"), []byte(setsSweep))
	if err != nil {
		t.Fatal(err)
	}
	s.Sets = sets
	return s.Plan("test-version")
}

// column returns the named column of a CSV's rows.
func column(t *testing.T, rows [][]string, name string) []string {
	t.Helper()
	i := slices.Index(rows[0], name)
	if i < 0 {
		t.Fatalf("no column %q in %v", name, rows[0])
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

// TestSetsChangeThePoints: --set changes the base of every point as the same key in the base
// file would, enters the manifest and the sweep's hash, and without --set the manifest has no
// "sets" at all.
func TestSetsChangeThePoints(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "units4.yaml"), []byte("units: 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain, err := setsPlan(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	plainOut := filepath.Join(dir, "plain.csv")
	run(t, plain, Options{Out: plainOut})
	if m := read(t, ManifestPath(plainOut)); bytes.Contains(m, []byte(`"sets"`)) {
		t.Errorf("a sweep without --set has sets in its manifest:\n%s", m)
	}
	plainCycles := column(t, readCSV(t, plainOut), "cycles")

	for _, tc := range []struct {
		name string
		sets []string
	}{
		{"units", []string{"units=4"}},
		{"units twice, the last wins", []string{"units=2", "units=4"}},
		{"units and channels", []string{"units=4", "memory.channels=16"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := setsPlan(t, dir, tc.sets...)
			if err != nil {
				t.Fatal(err)
			}
			if p.Hash == plain.Hash {
				t.Error("--set leaves the sweep's hash unchanged")
			}
			if p.Base.Units != 4 {
				t.Errorf("base units %d, want 4", p.Base.Units)
			}
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".csv")
			run(t, p, Options{Out: out})
			cycles := column(t, readCSV(t, out), "cycles")
			for i := range cycles {
				if cycles[i] == plainCycles[i] {
					t.Errorf("point %d: %s cycles with %v and without", i, cycles[i], tc.sets)
				}
			}
			m, err := ReadManifest(ManifestPath(out))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Sets, tc.sets) || m.SweepHash != p.Hash {
				t.Errorf("manifest sets %v hash %.12s, want %v %.12s", m.Sets, m.SweepHash, tc.sets, p.Hash)
			}
		})
	}
}

// TestSetsRefused: a bad --set, or one of a swept key, fails the plan with one line naming the
// flag, before anything is simulated or written.
func TestSetsRefused(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{[]string{"units=x"}, `--set units=x: units: expected an integer, got "x"`},
		{[]string{"units=0"}, "--set units=0: units: expected"},
		{[]string{"memory.chanels=4"}, "--set memory.chanels=4: memory.chanels: expected a config key"},
		{[]string{"units"}, "--set units: expected KEY=VALUE"},
		{[]string{"units=4", "units=x"}, "--set units=x:"},
		{[]string{"front_end.lanes=16"}, "--set front_end.lanes=16: front_end.lanes is swept by grid (" + filepath.Join(dir, "sets.yaml") + " line 4)"},
		{[]string{" front_end.lanes =16"}, "--set  front_end.lanes =16: front_end.lanes is swept"},
	} {
		_, err := setsPlan(t, dir, tc.sets...)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error starting %q", tc.sets, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: more than one line of error: %v", tc.sets, err)
		}
	}
}

// TestSetsResumeAndMerge: a journal or a shard made with other --set assignments is refused with
// an error that names both; the journal is left as it was.
func TestSetsResumeAndMerge(t *testing.T) {
	dir := t.TempDir()
	plans := map[string]*Plan{}
	for name, sets := range map[string][]string{"none": nil, "units4": {"units=4"}, "units2": {"units=2"}} {
		p, err := setsPlan(t, dir, sets...)
		if err != nil {
			t.Fatal(err)
		}
		plans[name] = p
	}
	for _, tc := range []struct{ journal, resume, want string }{
		{"units4", "none", "run with --set units=4, not no --set"},
		{"none", "units4", "run with no --set, not --set units=4"},
		{"units4", "units2", "run with --set units=4, not --set units=2"},
	} {
		out := filepath.Join(dir, "resume-"+tc.journal+"-"+tc.resume+".csv")
		j, _, err := openJournal(JournalPath(out), plans[tc.journal], Shard{}, false)
		if err != nil {
			t.Fatal(err)
		}
		row := append([]string{"0"}, make([]string, len(plans[tc.journal].Columns)-1)...)
		if err := j.append(0, row); err != nil {
			t.Fatal(err)
		}
		j.close()
		before := read(t, JournalPath(out))
		_, err = Run(plans[tc.resume], Options{Out: out, Jobs: 1})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--force") {
			t.Errorf("resume %s's journal with %s: error %v, want %q", tc.journal, tc.resume, err, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("resume %s's journal with %s: wrote a CSV", tc.journal, tc.resume)
		}
		if !bytes.Equal(read(t, JournalPath(out)), before) {
			t.Errorf("resume %s's journal with %s: touched the journal", tc.journal, tc.resume)
		}
	}

	shard := func(name string, i int) string {
		out := filepath.Join(dir, name+"-"+string(rune('0'+i))+".csv")
		run(t, plans[name], Options{Out: out, Shard: Shard{i, 2}})
		return out
	}
	for _, tc := range []struct {
		shards []string
		want   string
	}{
		{[]string{shard("units4", 0), shard("none", 1)}, "different --set assignments (--set units=4; no --set)"},
		{[]string{shard("units4", 0), shard("units2", 1)}, "different --set assignments (--set units=4; --set units=2)"},
	} {
		out := filepath.Join(dir, "merged.csv")
		if _, err := Merge(out, "", tc.shards); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("merge %v: error %v, want %q", tc.shards, err, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("merge %v: wrote %s", tc.shards, out)
		}
	}
	all := filepath.Join(dir, "all.csv")
	if _, err := Merge(all, "", []string{shard("units4", 0), shard("units4", 1)}); err != nil {
		t.Errorf("merging the shards of one --set: %v", err)
	}
	whole := filepath.Join(dir, "whole.csv")
	run(t, plans["units4"], Options{Out: whole})
	if !bytes.Equal(read(t, all), read(t, whole)) || !bytes.Equal(read(t, ManifestPath(all)), read(t, ManifestPath(whole))) {
		t.Error("merged shards with --set differ from the unsharded run with it")
	}
}
