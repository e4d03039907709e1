package sweep

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/report"
	"github.com/lrpsim/lrpsim/traces"
)

// smallTrace writes a small deterministic synthetic trace into dir.
func smallTrace(t testing.TB, dir, name string, seed uint64) string {
	t.Helper()
	spec := traces.DefaultGenSpec()
	spec.Seed = seed
	spec.Layers, spec.Heads, spec.SeqLen, spec.D, spec.DV = 1, 2, 32, 16, 16
	path := filepath.Join(dir, name)
	if err := traces.Generate(path, spec); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeSweep writes a sweep file into dir and returns its path.
func writeSweep(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// testSweep is a sweep of 2 x 2 grid points, 2 zip rows and 2 traces: 16 points.
const testSweep = `name: test
traces: [a.npz, b.npz]
grid:
  front_end.lanes: [4, 8]
  back_end.fifo_depth: [2, 16]
zip:
  back_end.macs: [16, 64]
  thresholds.scale: [1, 1.25]
baselines: [dense, prune_only]
`

func setup(t *testing.T) (dir string, p *Plan) {
	t.Helper()
	dir = t.TempDir()
	smallTrace(t, dir, "a.npz", 1)
	smallTrace(t, dir, "b.npz", 2)
	s, err := Load(writeSweep(t, dir, "s.yaml", testSweep))
	if err != nil {
		t.Fatal(err)
	}
	p, err = s.Plan("test-version")
	if err != nil {
		t.Fatal(err)
	}
	return dir, p
}

func run(t *testing.T, p *Plan, opt Options) *Summary {
	t.Helper()
	if opt.Jobs == 0 {
		opt.Jobs = 2
	}
	sum, err := Run(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPointOrder(t *testing.T) {
	_, p := setup(t)
	if len(p.Points) != 16 {
		t.Fatalf("%d points, want 16", len(p.Points))
	}
	var got []string
	for _, pt := range p.Points {
		got = append(got, strings.Join(pt.Values, " ")+" "+p.Traces[pt.Trace].Name)
	}
	var want []string
	for _, lanes := range []string{"4", "8"} {
		for _, fifo := range []string{"2", "16"} {
			for _, z := range []string{"16 1", "64 1.25"} {
				for _, tr := range []string{"a.npz", "b.npz"} {
					want = append(want, lanes+" "+fifo+" "+z+" "+tr)
				}
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("points:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	pt := p.Points[11] // lanes 8, fifo 2, zip row 1, trace b
	if c := pt.Config; c.FrontEnd.Lanes != 8 || c.BackEnd.FIFODepth != 2 || c.BackEnd.Macs != 64 || c.Thresholds.Scale != 1.25 {
		t.Errorf("point 11 config: %+v %+v %+v", c.FrontEnd, c.BackEnd, c.Thresholds)
	}
	wantCols := []string{"point", "trace", "model", "task", "front_end.lanes", "back_end.fifo_depth", "back_end.macs",
		"thresholds.scale", "cycles", "speedup_dense", "speedup_prune_only"}
	if !slices.Equal(p.Columns[:len(wantCols)], wantCols) {
		t.Errorf("columns %v", p.Columns)
	}
	for _, c := range []string{"energy_pj", "energy_reduction_dense", "edp_reduction_prune_only", "area_um2", "lane_util",
		"be_busy", "fe_stall", "be_starved", "dram_bytes", "cycles_dense", "energy_pj_prune_only"} {
		if !slices.Contains(p.Columns, c) {
			t.Errorf("no column %s in %v", c, p.Columns)
		}
	}
}

// TestSameBytesWhateverJobs: the CSV and the manifest do not depend on --jobs.
func TestSameBytesWhateverJobs(t *testing.T) {
	dir, p := setup(t)
	var csvs, mans [][]byte
	for _, jobs := range []int{1, 4} {
		out := filepath.Join(dir, fmt.Sprintf("j%d.csv", jobs))
		sum := run(t, p, Options{Out: out, Jobs: jobs})
		if sum.Computed != 16 || sum.Resumed != 0 || sum.Points != 16 {
			t.Errorf("jobs %d: summary %+v", jobs, sum)
		}
		csvs = append(csvs, read(t, out))
		mans = append(mans, read(t, ManifestPath(out)))
		if _, err := os.Stat(JournalPath(out)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("journal left behind: %v", err)
		}
	}
	if !bytes.Equal(csvs[0], csvs[1]) {
		t.Errorf("CSV differs between --jobs 1 and --jobs 4:\n%s\n%s", csvs[0], csvs[1])
	}
	if !bytes.Equal(mans[0], mans[1]) {
		t.Errorf("manifest differs between --jobs 1 and --jobs 4")
	}
	if n := bytes.Count(csvs[0], []byte("\n")); n != 17 {
		t.Errorf("%d lines, want 17", n)
	}
}

// TestCSVMatchesRun: a row holds what sim.Run and Price give for its point.
func TestCSVMatchesRun(t *testing.T) {
	dir, p := setup(t)
	out := filepath.Join(dir, "o.csv")
	run(t, p, Options{Out: out})
	pt := &p.Points[5]
	r, err := traces.Open(filepath.Join(dir, p.Traces[pt.Trace].Name))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := sim.Run(pt.Config.Clone(), r, "", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Price(p.Table); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(read(t, out)), "\n")
	cols := strings.Split(lines[0], ",")
	row := strings.Split(lines[6], ",")
	get := func(name string) string { return row[slices.Index(cols, name)] }
	for name, want := range map[string]string{
		"point": "5", "cycles": fmt.Sprint(res.Design.Cycles), "cycles_dense": fmt.Sprint(res.Baselines["dense"].Cycles),
		"speedup_dense": fmt.Sprint(res.Speedup["dense"]), "energy_pj": fmt.Sprint(res.Energy.Design.TotalPJ),
		"survivors": fmt.Sprint(res.Design.Survivors), "model": r.Meta().Model,
	} {
		if got := get(name); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
}

// TestCSVMatchesRunCSV: the sweep CSV and `lrpsim run --csv` (report.WriteCSV) of the same
// result use the same column names and write every shared value with the same bytes: the design's
// metric X in column X of both, a baseline's in column X of its run row and X_baseline here.
func TestCSVMatchesRunCSV(t *testing.T) {
	dir, p := setup(t)
	out := filepath.Join(dir, "o.csv")
	run(t, p, Options{Out: out})
	pt := &p.Points[3]
	r, err := traces.Open(filepath.Join(dir, p.Traces[pt.Trace].Name))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := sim.Run(pt.Config.Clone(), r, "", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Price(p.Table); err != nil {
		t.Fatal(err)
	}
	var runCSV bytes.Buffer
	if err := report.WriteCSV(&runCSV, res); err != nil {
		t.Fatal(err)
	}
	runLines := strings.Split(strings.TrimSuffix(runCSV.String(), "\n"), "\n")
	runCols := strings.Split(runLines[0], ",")
	runRows := map[string][]string{}
	for _, l := range runLines[1:] {
		f := strings.Split(l, ",")
		runRows[f[0]] = f
	}
	lines := strings.Split(string(read(t, out)), "\n")
	cols := strings.Split(lines[0], ",")
	row := strings.Split(lines[4], ",")
	if row[0] != "3" {
		t.Fatalf("row %q is not point 3", lines[4])
	}
	checked := 0
	for i, col := range cols {
		run, metric := "design", col
		for _, b := range p.Baselines {
			if name, ok := strings.CutSuffix(col, "_"+b); ok {
				run, metric = b, name
			}
		}
		if _, ok := report.MetricByName(metric); !ok {
			continue // point, trace, model, task and the swept keys
		}
		j := slices.Index(runCols, metric)
		if got := runRows[run][j]; got != row[i] {
			t.Errorf("%s: run --csv has %q (run %s, column %s), the sweep CSV %q", col, got, run, metric, row[i])
		}
		checked++
	}
	// 41 metrics of the design (27, 7 energy scopes, 7 bound shares), 10 ratios for each of the
	// 2 baselines (speedup, energy and EDP reductions, and the energy reduction at each of the 7
	// scopes), and their cycles, energy, DRAM bytes and SRAM bytes.
	if want := 41 + 10*2 + 4*2; checked != want {
		t.Errorf("%d shared columns checked, want %d (columns %v)", checked, want, cols)
	}
}

// TestResumeFromJournal: finished points in the journal are not computed again; a torn last line,
// a corrupt line and a repeated line are ignored; the bytes are those of an uninterrupted run.
func TestResumeFromJournal(t *testing.T) {
	dir, p := setup(t)
	ref := filepath.Join(dir, "ref.csv")
	run(t, p, Options{Out: ref})
	refRows := strings.Split(strings.TrimSuffix(string(read(t, ref)), "\n"), "\n")[1:]

	out := filepath.Join(dir, "out.csv")
	var j bytes.Buffer
	line := func(pt int) []byte {
		row := strings.Split(refRows[pt], ",")
		b, err := encodeJournalLine(journalEntry{Sweep: p.Hash, Point: pt, Row: row})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	j.Write(line(3))
	j.Write(line(0))
	j.Write(line(3)) // recorded twice
	bad := line(7)
	bad[10] ^= 1 // a corrupt line: bad CRC
	j.Write(bad)
	j.Write(line(11))
	torn := line(12)
	j.Write(torn[:len(torn)/2]) // killed mid-write
	if err := os.WriteFile(JournalPath(out), j.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// A temporary file of an atomic write that a kill interrupted.
	stale := filepath.Join(dir, ".out.csv.tmp-12345")
	os.WriteFile(stale, []byte("partial"), 0o644)

	sum := run(t, p, Options{Out: out, Jobs: 3})
	if sum.Resumed != 3 || sum.Computed != 13 {
		t.Errorf("summary %+v, want 3 resumed (0, 3, 11) and 13 computed", sum)
	}
	if !bytes.Equal(read(t, out), read(t, ref)) {
		t.Error("resumed CSV differs from an uninterrupted run")
	}
	if !bytes.Equal(read(t, ManifestPath(out)), read(t, ManifestPath(ref))) {
		t.Error("resumed manifest differs from an uninterrupted run")
	}
	for _, f := range []string{JournalPath(out), stale} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind", f)
		}
	}

	// Killed after writing the CSV but before removing the journal: nothing to compute.
	var all bytes.Buffer
	for pt := range refRows {
		all.Write(line(pt))
	}
	os.WriteFile(JournalPath(out), all.Bytes(), 0o644)
	sum = run(t, p, Options{Out: out})
	if sum.Computed != 0 || sum.Resumed != 16 || !bytes.Equal(read(t, out), read(t, ref)) {
		t.Errorf("complete journal: summary %+v", sum)
	}

	// Finished outputs and no journal: up to date, nothing computed.
	sum = run(t, p, Options{Out: out})
	if !sum.UpToDate || sum.Computed != 0 {
		t.Errorf("finished outputs: summary %+v, want up to date", sum)
	}
	if _, err := os.Stat(JournalPath(out)); !errors.Is(err, os.ErrNotExist) {
		t.Error("an up-to-date run left a journal")
	}
	// A changed CSV is not up to date.
	os.WriteFile(out, []byte("point\n"), 0o644)
	sum = run(t, p, Options{Out: out})
	if sum.UpToDate || sum.Computed != 16 || !bytes.Equal(read(t, out), read(t, ref)) {
		t.Errorf("damaged CSV: summary %+v", sum)
	}
	// --force recomputes.
	sum = run(t, p, Options{Out: out, Force: true})
	if sum.Computed != 16 {
		t.Errorf("--force: summary %+v", sum)
	}
}

// TestForeignJournal: the journal of another sweep, or of another shard, is an error (no CSV),
// and --force starts over.
func TestForeignJournal(t *testing.T) {
	dir, p := setup(t)
	out := filepath.Join(dir, "out.csv")
	other, err := encodeJournalLine(journalEntry{Sweep: strings.Repeat("ab", 32), Point: 0, Row: []string{"0"}})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(JournalPath(out), other, 0o644)
	_, err = Run(p, Options{Out: out, Jobs: 2})
	if err == nil || !strings.Contains(err.Error(), "journal of another sweep") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("error %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("wrote a CSV")
	}
	if !bytes.Equal(read(t, JournalPath(out)), other) {
		t.Error("touched the other sweep's journal")
	}

	shardLine, _ := encodeJournalLine(journalEntry{Sweep: p.Hash, Shard: "1/2", Point: 1, Row: []string{"1"}})
	os.WriteFile(JournalPath(out), shardLine, 0o644)
	_, err = Run(p, Options{Out: out, Jobs: 2, Shard: Shard{0, 2}})
	if err == nil || !strings.Contains(err.Error(), "shard 1/2") {
		t.Errorf("error %v", err)
	}

	sum := run(t, p, Options{Out: out, Force: true})
	if sum.Computed != 16 {
		t.Errorf("--force: %+v", sum)
	}
}

// TestJournalLocked: two runs on one output at once is an error for the second.
func TestJournalLocked(t *testing.T) {
	dir, p := setup(t)
	out := filepath.Join(dir, "out.csv")
	j, _, err := openJournal(JournalPath(out), p, Shard{}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	if _, err := Run(p, Options{Out: out, Jobs: 1}); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("error %v, want locked", err)
	}
}

// TestShardsMerge: shards merged give the bytes of the unsharded run, for several shard counts
// (more shards than points included).
func TestShardsMerge(t *testing.T) {
	dir, p := setup(t)
	ref := filepath.Join(dir, "ref.csv")
	run(t, p, Options{Out: ref})
	for _, n := range []int{1, 3, 20} {
		var shards []string
		for i := n - 1; i >= 0; i-- { // any order
			out := filepath.Join(dir, fmt.Sprintf("s%d-%d.csv", n, i))
			sum := run(t, p, Options{Out: out, Shard: Shard{i, n}})
			want := 0
			for pt := range 16 {
				if pt%n == i {
					want++
				}
			}
			if sum.Points != want || sum.Computed != want {
				t.Errorf("shard %d/%d: %+v, want %d points", i, n, sum, want)
			}
			shards = append(shards, out)
		}
		all := filepath.Join(dir, fmt.Sprintf("all%d.csv", n))
		if _, err := Merge(all, "", shards); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(read(t, all), read(t, ref)) {
			t.Errorf("%d shards: merged CSV differs from the unsharded run", n)
		}
		if !bytes.Equal(read(t, ManifestPath(all)), read(t, ManifestPath(ref))) {
			t.Errorf("%d shards: merged manifest differs from the unsharded run:\n%s\n%s", n, read(t, ManifestPath(all)), read(t, ManifestPath(ref)))
		}
	}
}

func TestMergeErrors(t *testing.T) {
	dir, p := setup(t)
	shard := func(name string, p *Plan, i, n int) string {
		out := filepath.Join(dir, name)
		run(t, p, Options{Out: out, Shard: Shard{i, n}})
		return out
	}
	s0, s1, s2 := shard("s0.csv", p, 0, 3), shard("s1.csv", p, 1, 3), shard("s2.csv", p, 2, 3)
	h0 := shard("h0.csv", p, 0, 2)
	whole := filepath.Join(dir, "whole.csv")
	run(t, p, Options{Out: whole})

	s, err := Parse(filepath.Join(dir, "other.yaml"), []byte(strings.Replace(testSweep, "[4, 8]", "[4, 12]", 1)))
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Plan("test-version")
	if err != nil {
		t.Fatal(err)
	}
	o1 := shard("o1.csv", other, 1, 3)

	tampered := filepath.Join(dir, "t2.csv")
	os.WriteFile(tampered, bytes.Replace(read(t, s2), []byte(",2,"), []byte(",3,"), 1), 0o644)
	os.WriteFile(ManifestPath(tampered), read(t, ManifestPath(s2)), 0o644)

	noManifest := filepath.Join(dir, "nm.csv")
	os.WriteFile(noManifest, read(t, s1), 0o644)

	for _, tc := range []struct {
		name   string
		shards []string
		want   []string
	}{
		{"different sweeps", []string{s0, o1, s2}, []string{"s0.csv", "o1.csv", "different sweeps"}},
		{"missing shard", []string{s0, s2}, []string{"missing shard", "1/3"}},
		{"shard twice", []string{s0, s1, s1, s2}, []string{"both shard 1/3"}},
		{"different counts", []string{s0, s1, s2, h0}, []string{"h0.csv", "0/2"}},
		{"not a shard", []string{s0, s1, whole}, []string{"whole.csv", "not a shard"}},
		{"tampered", []string{s0, s1, tampered}, []string{"t2.csv", "does not match its manifest"}},
		{"no manifest", []string{s0, noManifest, s2}, []string{"nm.csv"}},
		{"nothing", nil, []string{"no shards"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "merged-"+strings.ReplaceAll(tc.name, " ", "-")+".csv")
			_, err := Merge(out, "", tc.shards)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, f := range []string{out, ManifestPath(out)} {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("wrote %s", f)
				}
			}
		})
	}
}

func TestParseShard(t *testing.T) {
	for spec, want := range map[string]Shard{"0/1": {0, 1}, "3/4": {3, 4}, " 1 / 2 ": {1, 2}} {
		got, err := ParseShard(spec)
		if err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v", spec, got, err)
		}
	}
	for spec, want := range map[string]string{
		"4/4":  "index 4 out of range: shards are numbered from 0, so with 4 shards the index is 0 to 3",
		"-1/4": "index -1 out of range", "0/0": "count 0 out of range", "1": "expected INDEX/COUNT",
		"a/4": "two integers", "1/2/3": "two integers", "": "expected INDEX/COUNT",
	} {
		_, err := ParseShard(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseShard(%q): error %v, want %q", spec, err, want)
		}
	}
}

var showErrors = flag.Bool("show-errors", false, "log the message of every bad sweep file")

// TestBadSweeps: every bad sweep file gives one error naming the file, the line and the key,
// before anything is written.
func TestBadSweeps(t *testing.T) {
	dir := t.TempDir()
	smallTrace(t, dir, "a.npz", 1)
	os.WriteFile(filepath.Join(dir, "bad-base.yaml"), []byte("front_end:\n  lanes: 0\n"), 0o644)
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"unknown top key", "grid:\n  units: [1]\ngird: {}\n", []string{"s.yaml:3", "gird", "unknown key", "grid"}},
		{"unknown config key", "traces: [a.npz]\ngrid:\n  front_end.lane: [1, 2]\n", []string{"s.yaml:3", "front_end.lane", "unknown config key", "lanes"}},
		{"unknown section", "grid:\n  frontend.lanes: [1]\n", []string{"s.yaml:2", "frontend.lanes", "unknown config key"}},
		{"section as key", "grid:\n  front_end: [1]\n", []string{"s.yaml:2", "front_end", "a section", "front_end.lanes"}},
		{"value under a value", "grid:\n  units.x: [1]\n", []string{"s.yaml:2", "units.x", "no sub-keys"}},
		{"no grid", "name: x\ntraces: [a.npz]\n", []string{"s.yaml", "empty grid"}},
		{"empty grid", "grid: {}\n", []string{"s.yaml:1", "empty grid"}},
		{"empty list", "grid:\n  units: []\n", []string{"s.yaml:2", "units", "empty grid"}},
		{"empty file", "", []string{"s.yaml", "empty sweep"}},
		{"not a list", "grid:\n  units: 4\n", []string{"s.yaml:2", "units", "expected a list"}},
		{"bad value", "traces: [a.npz]\ngrid:\n  units: [2, 0]\n", []string{"s.yaml:3", "units", "value 0", "point 1", "[1, 4096]"}},
		{"wrong type", "grid:\n  front_end.scheduling: [dynamic, 3]\n  units: [1]\n", []string{"s.yaml:2", "front_end.scheduling", "value 3", "dynamic or lockstep"}},
		{"float for int", "grid:\n  units: [1.5]\n", []string{"s.yaml:2", "units", "an integer"}},
		{"null value", "grid:\n  units: [1, ~]\n", []string{"s.yaml:2", "units", "null"}},
		{"duplicate value", "grid:\n  units: [1, 2, 1]\n", []string{"s.yaml:2", "units", "twice"}},
		{"duplicate key", "grid:\n  units: [1]\n  units: [2]\n", []string{"s.yaml:3", "grid units", "each key once", `a second "units" (the first is on line 2)`}},
		{"duplicate top key", "traces: [a.npz]\ngrid:\n  units: [1]\ntraces: [a.npz]\n", []string{"s.yaml:4", "traces", "each key once"}},
		{"duplicate energy key", "energy:\n  node: 45nm\n  node: 65nm\ngrid:\n  units: [1]\n", []string{"s.yaml:3", "energy.node", "each key once"}},
		{"duplicate zip key", "zip:\n  units: [1]\n  back_end.macs: [8]\n  units: [2]\n", []string{"s.yaml:4", "zip units", "each key once"}},
		{"grid and zip", "grid:\n  units: [1]\nzip:\n  units: [2]\n", []string{"s.yaml:4", "units", "twice"}},
		{"zip lengths", "zip:\n  units: [1, 2]\n  back_end.macs: [8]\n", []string{"s.yaml:3", "back_end.macs", "one length"}},
		{"zip row twice", "zip:\n  units: [1, 2, 1]\n  back_end.macs: [8, 8, 8]\n", []string{"s.yaml:2", "row 3 repeats row 1"}},
		{"missing trace", "traces: [nope.npz]\ngrid:\n  units: [1]\n", []string{"s.yaml:1", "traces", "nope.npz"}},
		{"trace twice", "traces: [a.npz, a.npz]\ngrid:\n  units: [1]\n", []string{"s.yaml:1", "traces", "twice"}},
		{"bad bundled", "traces: [bundled:nope.npz]\ngrid:\n  units: [1]\n", []string{"s.yaml:1", "nope.npz"}},
		{"bad engine", "engine: magic\ngrid:\n  units: [1]\n", []string{"s.yaml:1", "engine", "event or reference"}},
		{"bad node", "energy: {node: 7nm}\ngrid:\n  units: [1]\n", []string{"s.yaml:1", "energy.node", "7nm"}},
		{"node and table", "energy: {node: 45nm, table: x.yaml}\ngrid:\n  units: [1]\n", []string{"s.yaml:1", "energy", "not both"}},
		{"energy key", "energy: {nod: 45nm}\ngrid:\n  units: [1]\n", []string{"s.yaml:1", "energy.nod", "unknown key"}},
		{"bad baseline", "baselines: [dense, magic]\ngrid:\n  units: [1]\n", []string{"s.yaml:1", "baselines", "magic"}},
		{"missing base", "base: none.yaml\ngrid:\n  units: [1]\n", []string{"s.yaml:1", "base", "none.yaml"}},
		{"bad base", "base: bad-base.yaml\ngrid:\n  units: [1]\n", []string{"s.yaml:1", "base", "bad-base.yaml:2", "front_end.lanes"}},
		{"not a mapping", "- 1\n", []string{"s.yaml:1", "expected a mapping"}},
		{"bad YAML", "grid: [\n", []string{"s.yaml", "valid YAML"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(filepath.Join(dir, "s.yaml"), []byte(tc.body))
			if err == nil {
				_, err = s.Plan("v")
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if *showErrors {
				t.Log(err)
			}
		})
	}
}

// TestSimulationError: a point the simulator rejects stops the sweep with an error naming the
// point; no CSV is written and the points finished before are kept for a resume.
func TestSimulationError(t *testing.T) {
	dir := t.TempDir()
	smallTrace(t, dir, "a.npz", 1)
	s, err := Load(writeSweep(t, dir, "s.yaml", "traces: [a.npz]\ngrid:\n  memory.sram_q_bytes: [65536, 16]\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Plan("v")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "o.csv")
	_, err = Run(p, Options{Out: out, Jobs: 1})
	if err == nil || !strings.Contains(err.Error(), "point 1 (memory.sram_q_bytes=16, trace a.npz)") || !strings.Contains(err.Error(), "sram_q_bytes") {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("wrote a CSV")
	}
	if pts, err := JournalPoints(JournalPath(out)); err != nil || !slices.Equal(pts, []int{0}) {
		t.Errorf("journal points %v, %v; want [0]", pts, err)
	}
}
