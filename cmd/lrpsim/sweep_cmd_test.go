package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lrpsim/lrpsim/sim/sweep"
	"github.com/lrpsim/lrpsim/traces"
)

// helperEnv carries the arguments of a CLI run in a child process (TestSweepHelperProcess).
const helperEnv = "LRPSIM_SWEEP_HELPER_ARGS"

// TestSweepHelperProcess is not a test: TestSweepKill re-executes the test binary with it to run
// the CLI in a process that it can kill.
func TestSweepHelperProcess(t *testing.T) {
	raw := os.Getenv(helperEnv)
	if raw == "" {
		t.Skip("helper process of TestSweepKill")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintln(os.Stderr, "bad helper arguments:", err)
		os.Exit(2)
	}
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(os.Stdout)
	cmd.SetErr(os.Stderr)
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "lrpsim:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// TestSweepGolden runs configs/sweeps/ci-small.yaml and diffs its CSV with
// results/golden/ci-small.csv (.ci/run does the same with the binary); -update rewrites it.
func TestSweepGolden(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ci-small.csv")
	if _, err := lrpsim(t, "sweep", filepath.Join("..", "..", "configs", "sweeps", "ci-small.yaml"), "--out", out); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, out)
	golden := filepath.Join("..", "..", "results", "golden", "ci-small.csv")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/lrpsim -run SweepGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("CSV differs from %s (go test ./cmd/lrpsim -run SweepGolden -update regenerates it):\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

// TestSweepExamples plans every example sweep: their keys, values and traces are valid.
func TestSweepExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "configs", "sweeps", "*.yaml"))
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		s, err := sweep.Load(f)
		if err != nil {
			t.Error(err)
			continue
		}
		if _, err := s.Plan(version); err != nil {
			t.Error(err)
		}
	}
}

// smallSweep writes a small trace and a 12-point sweep over it.
func smallSweep(t *testing.T, dir string) string {
	t.Helper()
	smallTrace(t, dir)
	path := filepath.Join(dir, "small.yaml")
	body := "traces: [small.npz]\ngrid:\n  front_end.lanes: [4, 16]\n  back_end.fifo_depth: [1, 4, 32]\nzip:\n  front_end.scheduling: [dynamic, lockstep]\nbaselines: [dense]\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSweepJobsShardsMerge: the CLI writes the same bytes with --jobs 1 and --jobs 4, and merged
// shards equal the unsharded run.
func TestSweepJobsShardsMerge(t *testing.T) {
	dir := t.TempDir()
	sw := smallSweep(t, dir)
	one, four := filepath.Join(dir, "one.csv"), filepath.Join(dir, "four.csv")
	out, err := lrpsim(t, "sweep", sw, "--out", one, "--jobs", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "12 points: 12 computed, 0 from the journal") {
		t.Errorf("output %q", out)
	}
	if _, err := lrpsim(t, "sweep", sw, "--out", four, "--jobs", "4", "--manifest", filepath.Join(dir, "four.json")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, one), readFile(t, four)) {
		t.Error("CSV differs between --jobs 1 and --jobs 4")
	}
	if !bytes.Equal(readFile(t, one+".json"), readFile(t, filepath.Join(dir, "four.json"))) {
		t.Error("manifest differs between --jobs 1 and --jobs 4")
	}
	out, err = lrpsim(t, "sweep", sw, "--out", one)
	if err != nil || !strings.Contains(out, "0 computed, up to date") {
		t.Errorf("second run: %q, %v", out, err)
	}

	var shards []string
	for i := range 3 {
		s := filepath.Join(dir, fmt.Sprintf("shard%d.csv", i))
		out, err := lrpsim(t, "sweep", sw, "--out", s, "--shard", fmt.Sprintf("%d/3", i), "--jobs", "2")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, fmt.Sprintf("shard %d/3: 4 points: 4 computed", i)) {
			t.Errorf("shard %d output %q", i, out)
		}
		shards = append(shards, s)
	}
	all := filepath.Join(dir, "all.csv")
	if out, err := lrpsim(t, append([]string{"merge", "--out", all}, shards...)...); err != nil || !strings.Contains(out, "12 points from 3 shards") {
		t.Fatalf("merge: %q, %v", out, err)
	}
	if !bytes.Equal(readFile(t, all), readFile(t, one)) || !bytes.Equal(readFile(t, all+".json"), readFile(t, one+".json")) {
		t.Error("merged shards differ from the unsharded run")
	}
}

// TestSweepBadInput: each bad input gives one clear error, and no CSV, manifest, journal or
// temporary file.
func TestSweepBadInput(t *testing.T) {
	dir := t.TempDir()
	sw := smallSweep(t, dir)
	bad := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknown := bad("unknown.yaml", "traces: [small.npz]\ngrid:\n  front_end.lane: [4, 8]\n")
	empty := bad("empty.yaml", "traces: [small.npz]\ngrid:\n  front_end.lanes: []\n")
	noGrid := bad("nogrid.yaml", "traces: [small.npz]\n")
	other := bad("other.yaml", "traces: [small.npz]\ngrid:\n  front_end.lanes: [4, 8]\n")
	// Two shards of different sweeps, for merge.
	s0, o1 := filepath.Join(dir, "s0.csv"), filepath.Join(dir, "o1.csv")
	if _, err := lrpsim(t, "sweep", sw, "--out", s0, "--shard", "0/2"); err != nil {
		t.Fatal(err)
	}
	if _, err := lrpsim(t, "sweep", other, "--out", o1, "--shard", "1/2"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown key", []string{"sweep", unknown}, []string{"unknown.yaml:3", "front_end.lane", "unknown config key"}},
		{"empty grid", []string{"sweep", empty}, []string{"empty.yaml:3", "front_end.lanes", "empty grid"}},
		{"no grid", []string{"sweep", noGrid}, []string{"nogrid.yaml", "empty grid"}},
		{"missing sweep", []string{"sweep", filepath.Join(dir, "none.yaml")}, []string{"none.yaml"}},
		{"shard out of range", []string{"sweep", sw, "--shard", "3/3"}, []string{"--shard", "3/3", "out of range", "0 to 2"}},
		{"shard count", []string{"sweep", sw, "--shard", "0/0"}, []string{"--shard", "0/0"}},
		{"shard syntax", []string{"sweep", sw, "--shard", "1"}, []string{"--shard", "INDEX/COUNT"}},
		{"jobs", []string{"sweep", sw, "--jobs", "-1"}, []string{"--jobs"}},
		{"merge different sweeps", []string{"merge", s0, o1}, []string{"s0.csv", "o1.csv", "different sweeps"}},
		{"merge missing shard", []string{"merge", s0}, []string{"missing shard", "1/2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-")+".csv")
			_, err := lrpsim(t, append(tc.args, "--out", out)...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
			for _, f := range []string{out, out + ".json", sweep.JournalPath(out)} {
				if exists(f) {
					t.Errorf("left %s behind", f)
				}
			}
			if tmps, _ := filepath.Glob(filepath.Join(dir, ".out-*")); len(tmps) > 0 {
				t.Errorf("left temporary files %v", tmps)
			}
		})
	}
}

// TestSweepKill kills the sweep command with SIGKILL at several moments (at start, and after
// various numbers of finished points), tears the journal's last line as a kill in the middle of a
// write would, and reruns it to completion: the CSV and manifest are the bytes of an
// uninterrupted run, no finished point was ever computed twice, and the last run computed
// exactly the points the journal lacked.
func TestSweepKill(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL on Windows")
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	spec := traces.DefaultGenSpec()
	spec.Layers, spec.Heads, spec.SeqLen, spec.D, spec.DV = 2, 2, 160, 32, 32
	if err := traces.Generate(filepath.Join(dir, "mid.npz"), spec); err != nil {
		t.Fatal(err)
	}
	sw := filepath.Join(dir, "kill.yaml")
	body := "traces: [mid.npz]\ngrid:\n  front_end.lanes: [2, 4, 8, 16]\n  back_end.fifo_depth: [1, 2, 4, 8, 16, 32]\nbaselines: [dense]\n"
	if err := os.WriteFile(sw, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	const total = 24
	ref := filepath.Join(dir, "ref.csv")
	if _, err := lrpsim(t, "sweep", sw, "--out", ref, "--jobs", "1"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.csv")
	journal := sweep.JournalPath(out)

	start := func() (*exec.Cmd, *bytes.Buffer, chan error) {
		args, _ := json.Marshal([]string{"sweep", sw, "--out", out, "--jobs", "2"})
		c := exec.Command(os.Args[0], "-test.run=^TestSweepHelperProcess$")
		c.Env = append(os.Environ(), helperEnv+"="+string(args))
		var buf bytes.Buffer
		c.Stdout, c.Stderr = &buf, &buf
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		return c, &buf, done
	}
	// recorded returns the points the journal records (nil if there is none) and fails the
	// test if a point is recorded twice, i.e. was computed again after it had finished.
	recorded := func() map[int]bool {
		pts, err := sweep.JournalPoints(journal)
		if err != nil {
			return nil
		}
		seen := map[int]bool{}
		for _, p := range pts {
			if seen[p] {
				t.Fatalf("point %d recorded twice in the journal: computed again after it finished (%v)", p, pts)
			}
			seen[p] = true
		}
		return seen
	}
	prev := 0
	for _, atLeast := range []int{0, 2, 2, 5, 8} {
		c, buf, done := start()
		for len(recorded()) < atLeast {
			select {
			case err := <-done:
				t.Fatalf("the sweep ended before it was killed (%v): %s", err, buf)
			case <-time.After(time.Millisecond):
			}
		}
		if err := c.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-done
		if exists(out) {
			t.Fatalf("killed at %d points, yet the CSV exists", atLeast)
		}
		n := len(recorded())
		if n < prev {
			t.Fatalf("the journal lost points: %d after %d", n, prev)
		}
		if n == total {
			t.Fatalf("every point finished before the kill")
		}
		t.Logf("killed once the journal held %d points: it holds %d", atLeast, n)
		prev = n
		if atLeast == 2 && n > 0 {
			// Tear the last line, as a kill in the middle of its write would.
			b := readFile(t, journal)
			// The kill may itself have torn a line mid-write (not counted in n): tear the
			// last complete line instead.
			if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
				b = b[:i+1]
			}
			if err := os.WriteFile(journal, b[:len(b)-17], 0o644); err != nil {
				t.Fatal(err)
			}
			prev = len(recorded())
			if prev != n-1 {
				t.Fatalf("tearing the last line left %d points of %d", prev, n)
			}
		}
	}

	resumed := len(recorded())
	t.Logf("final run with %d of %d points in the journal", resumed, total)
	_, buf, done := start()
	if err := <-done; err != nil {
		t.Fatalf("final run: %v: %s", err, buf)
	}
	m := regexp.MustCompile(`(\d+) computed, (\d+) from the journal`).FindStringSubmatch(buf.String())
	if m == nil {
		t.Fatalf("final run printed %q", buf)
	}
	computed, fromJournal := atoi(t, m[1]), atoi(t, m[2])
	if fromJournal != resumed || computed != total-resumed {
		t.Errorf("final run computed %d and took %d from the journal; the journal held %d of %d points", computed, fromJournal, resumed, total)
	}
	if !bytes.Equal(readFile(t, out), readFile(t, ref)) {
		t.Error("CSV after kills differs from an uninterrupted run")
	}
	if !bytes.Equal(readFile(t, out+".json"), readFile(t, ref+".json")) {
		t.Error("manifest after kills differs from an uninterrupted run")
	}
	if exists(journal) {
		t.Error("journal left behind")
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".out.csv*")); len(tmps) > 0 {
		t.Errorf("temporary files left behind: %v", tmps)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
