package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/sim/sweep"
	"github.com/lrpsim/lrpsim/traces"
)

// k8sJob is the part of a batch/v1 Job that the shard mapping depends on.
type k8sJob struct {
	Kind string `yaml:"kind"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Template       struct {
			Spec struct {
				Containers []struct {
					Command []string `yaml:"command"`
					Args    []string `yaml:"args"`
					Env     []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func loadJob(t *testing.T, path string) k8sJob {
	t.Helper()
	var j k8sJob
	if err := yaml.Unmarshal(readFile(t, path), &j); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if j.Kind != "Job" || len(j.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: expected a Job with one container", path)
	}
	return j
}

// fakeLrpsim puts on PATH an lrpsim that records its arguments, one per line, in a file, and
// returns a function that reads them back.
func fakeLrpsim(t *testing.T) (bin string, args func() []string) {
	t.Helper()
	dir := t.TempDir()
	rec := filepath.Join(dir, "args")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + rec + "\n"
	if err := os.WriteFile(filepath.Join(dir, "lrpsim"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, func() []string {
		return strings.Split(strings.TrimSuffix(string(readFile(t, rec)), "\n"), "\n")
	}
}

// TestKubernetesIndexedJob runs the shell commands of cluster/kubernetes/*.yaml as the pods of
// the Indexed Job would (an lrpsim that records its arguments stands in for the image's), checks
// that pod I gets shard I of spec.completions from --shard auto, then runs the recorded commands
// for real on a small sweep (the Job's paths mapped to a temporary directory): the merge of
// the pods' shards is the bytes of an unsharded run.
func TestKubernetesIndexedJob(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("SKIPPED: no sh to run the Job's commands")
	}
	run := loadJob(t, "../../cluster/kubernetes/sweep-job.yaml")
	merge := loadJob(t, "../../cluster/kubernetes/merge-job.yaml")
	if run.Spec.CompletionMode != "Indexed" || run.Spec.Completions < 2 {
		t.Fatalf("sweep-job.yaml: completionMode %q, completions %d: expected an Indexed Job of several completions",
			run.Spec.CompletionMode, run.Spec.Completions)
	}
	n := run.Spec.Completions
	work := t.TempDir()
	sw := smallSweep(t, work)
	results := filepath.Join(work, "results")
	if err := os.Mkdir(results, 0o755); err != nil {
		t.Fatal(err)
	}
	// replay runs a container's command under env, then the recorded lrpsim arguments for real.
	replay := func(job k8sJob, name string, env map[string]string) {
		t.Helper()
		c := job.Spec.Template.Spec.Containers[0]
		if len(c.Command) != 2 || c.Command[0] != "sh" || c.Command[1] != "-c" || len(c.Args) != 1 {
			t.Fatalf("%s: expected command [sh, -c] and one argument", name)
		}
		bin, recorded := fakeLrpsim(t)
		cmd := exec.Command("sh", "-c", c.Args[0])
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
		for _, e := range c.Env {
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
			t.Setenv(e.Name, e.Value)
		}
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
			t.Setenv(k, v)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", name, err, out)
		}
		args := recorded()
		for i, a := range args {
			a = strings.Replace(a, "/results/", results+"/", 1)
			if strings.HasPrefix(a, "configs/sweeps/") {
				a = sw
			}
			args[i] = a
		}
		if out, err := lrpsim(t, args...); err != nil {
			t.Fatalf("%s: lrpsim %v: %v: %s", name, args, err, out)
		}
	}
	for i := range n {
		env := map[string]string{sweep.K8sIndexEnv: strconv.Itoa(i)}
		replay(run, "sweep-job.yaml pod "+strconv.Itoa(i), env)
		m, err := sweep.ReadManifest(filepath.Join(results, "shard-"+strconv.Itoa(i)+".csv.json"))
		if err != nil {
			t.Fatalf("pod %d: %v", i, err)
		}
		if m.Shard == nil || *m.Shard != (sweep.Shard{Index: i, Count: n}) {
			t.Fatalf("pod %d of %d ran shard %v", i, n, m.Shard)
		}
		os.Unsetenv(sweep.K8sIndexEnv)
	}
	replay(merge, "merge-job.yaml", nil)
	ref := filepath.Join(work, "ref.csv")
	if _, err := lrpsim(t, "sweep", sw, "--out", ref); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"", ".json"} {
		if !bytes.Equal(readFile(t, filepath.Join(results, "sweep.csv"+f)), readFile(t, ref+f)) {
			t.Errorf("merged sweep.csv%s differs from the unsharded run's", f)
		}
	}
}

// TestSweepShardAuto runs every task of a Slurm array numbered from 1 with --shard auto and
// merges them: the bytes of an unsharded run. Without a scheduler, --shard auto is an error.
func TestSweepShardAuto(t *testing.T) {
	dir := t.TempDir()
	sw := smallSweep(t, dir)
	ref := filepath.Join(dir, "ref.csv")
	if _, err := lrpsim(t, "sweep", sw, "--out", ref); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{sweep.SlurmTaskIDEnv, sweep.SlurmTaskMinEnv, sweep.SlurmTaskCountEnv, sweep.K8sIndexEnv} {
		t.Setenv(k, "")
	}
	out := filepath.Join(dir, "none.csv")
	if _, err := lrpsim(t, "sweep", sw, "--shard", "auto", "--out", out); err == nil ||
		!strings.Contains(err.Error(), "neither SLURM_ARRAY_TASK_ID") {
		t.Errorf("--shard auto outside a scheduler: %v", err)
	}
	if exists(out) || exists(sweep.JournalPath(out)) {
		t.Error("--shard auto without a scheduler wrote files")
	}
	var shards []string
	t.Setenv(sweep.SlurmTaskMinEnv, "1")
	t.Setenv(sweep.SlurmTaskCountEnv, "3")
	for id := 1; id <= 3; id++ {
		t.Setenv(sweep.SlurmTaskIDEnv, strconv.Itoa(id))
		s := filepath.Join(dir, "task"+strconv.Itoa(id)+".csv")
		out, err := lrpsim(t, "sweep", sw, "--shard", "auto", "--out", s)
		if err != nil {
			t.Fatal(err)
		}
		if want := "shard " + strconv.Itoa(id-1) + "/3"; !strings.Contains(out, want) {
			t.Errorf("task %d printed %q, want %q", id, out, want)
		}
		shards = append(shards, s)
	}
	merged := filepath.Join(dir, "merged.csv")
	if _, err := lrpsim(t, append([]string{"merge", "--out", merged}, shards...)...); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"", ".json"} {
		if !bytes.Equal(readFile(t, merged+f), readFile(t, ref+f)) {
			t.Errorf("merged%s differs from the unsharded run", f)
		}
	}
}

// TestSweepJobsZero: --jobs 0 means one per CPU, as in table and plot; a negative count is an
// error naming the flag.
func TestSweepJobsZero(t *testing.T) {
	dir := t.TempDir()
	sw := smallSweep(t, dir)
	out, err := lrpsim(t, "sweep", sw, "--jobs", "0", "--out", filepath.Join(dir, "z.csv"))
	if err != nil || !strings.Contains(out, "12 computed") {
		t.Fatalf("--jobs 0: %v: %s", err, out)
	}
	for _, c := range [][]string{{"sweep", sw}, {"table"}, {"plot", "bars"}} {
		_, err := lrpsim(t, append(c, "--jobs", "-1", "--out", filepath.Join(dir, "n.png"))...)
		if err == nil || !strings.Contains(err.Error(), "--jobs: expected 0 (one per CPU) or more, got -1") {
			t.Errorf("%v --jobs -1: %v", c, err)
		}
	}
}

// TestSweepOutChecked: an --out that cannot be written (a directory, a missing directory) is an
// error before any point is computed or any journal written.
func TestSweepOutChecked(t *testing.T) {
	dir := t.TempDir()
	sw := smallSweep(t, dir)
	for _, tc := range []struct{ out, want string }{
		{dir, "is a directory"},
		{filepath.Join(dir, "missing", "x.csv"), "the directory " + filepath.Join(dir, "missing") + " does not exist"},
	} {
		start := time.Now()
		_, err := lrpsim(t, "sweep", sw, "--out", tc.out)
		if err == nil || !strings.Contains(err.Error(), "--out "+tc.out+": "+tc.want) {
			t.Errorf("--out %s: %v", tc.out, err)
		}
		if exists(sweep.JournalPath(tc.out)) {
			t.Errorf("--out %s: left a journal", tc.out)
		}
		t.Logf("--out %s failed after %v", tc.out, time.Since(start))
	}
}

// TestSweepInterrupt sends SIGINT to a sweep once its journal holds a point: it exits non-zero
// with one line saying where the finished points are and how to resume, keeps the journal, and
// the same command run again finishes with the bytes of an uninterrupted run.
func TestSweepInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	sw := slowSweep(t, dir)
	ref := filepath.Join(dir, "ref.csv")
	if _, err := lrpsim(t, "sweep", sw, "--out", ref, "--jobs", "2"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.csv")
	journal := sweep.JournalPath(out)
	args, _ := json.Marshal([]string{"sweep", sw, "--out", out, "--jobs", "1"})
	c := exec.Command(os.Args[0], "-test.run=^TestSweepHelperProcess$")
	c.Env = append(os.Environ(), helperEnv+"="+string(args))
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if pts, err := sweep.JournalPoints(journal); err == nil && len(pts) > 0 {
			break
		}
		if time.Now().After(deadline) {
			c.Process.Kill()
			t.Fatal("no point finished within a minute")
		}
	}
	if err := c.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := c.Wait()
	if err == nil {
		t.Fatalf("interrupted sweep exited 0: %s", stdout.String())
	}
	msg := strings.TrimSuffix(stderr.String(), "\n")
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "points kept in the journal "+journal) ||
		!strings.Contains(msg, "run the same command again to resume") {
		t.Errorf("stderr %q: expected one line naming the journal and how to resume", stderr.String())
	}
	if !exists(journal) || exists(out) {
		t.Fatal("after SIGINT the journal should be kept and no CSV written")
	}
	if _, err := lrpsim(t, "sweep", sw, "--out", out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, out), readFile(t, ref)) || !bytes.Equal(readFile(t, out+".json"), readFile(t, ref+".json")) {
		t.Error("resumed run differs from an uninterrupted run")
	}
}

// slowSweep writes a sweep of 24 points that take long enough to kill or interrupt between.
func slowSweep(t *testing.T, dir string) string {
	t.Helper()
	spec := traces.DefaultGenSpec()
	spec.Layers, spec.Heads, spec.SeqLen, spec.D, spec.DV = 2, 2, 160, 32, 32
	if err := traces.Generate(filepath.Join(dir, "mid.npz"), spec); err != nil {
		t.Fatal(err)
	}
	sw := filepath.Join(dir, "slow.yaml")
	body := "traces: [mid.npz]\ngrid:\n  front_end.lanes: [2, 4, 8, 16]\n  back_end.fifo_depth: [1, 2, 4, 8, 16, 32]\nbaselines: [dense]\n"
	if err := os.WriteFile(sw, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return sw
}

// TestSweepKillSoak kills a sweep with SIGKILL at 20 random moments in a row (each run started
// again on the journal the previous one left), then lets it finish: the CSV and manifest are the
// bytes of an uninterrupted run, no point was recorded twice, and nothing is left behind. The
// seed is logged; LRPSIM_SOAK_SEED replays one.
func TestSweepKillSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("LRPSIM_SOAK_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seed = v
	}
	t.Logf("seed %d (LRPSIM_SOAK_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 14))
	dir := t.TempDir()
	sw := slowSweep(t, dir)
	ref := filepath.Join(dir, "ref.csv")
	if _, err := lrpsim(t, "sweep", sw, "--out", ref, "--jobs", "2"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.csv")
	journal := sweep.JournalPath(out)
	args, _ := json.Marshal([]string{"sweep", sw, "--out", out, "--jobs", "2"})
	start := func() (*exec.Cmd, *bytes.Buffer, chan error) {
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
	prev := 0
	kills := 0
	for kills < 20 {
		c, buf, done := start()
		delay := time.Duration(rng.IntN(400)) * time.Millisecond
		select {
		case err := <-done:
			// Finished before its kill: start over from scratch so that 20 kills land.
			if err != nil {
				t.Fatalf("run ended on its own with %v: %s", err, buf)
			}
			t.Logf("run finished within %v; starting the sweep again", delay)
			for _, f := range []string{out, out + ".json"} {
				os.Remove(f)
			}
			prev = 0
			continue
		case <-time.After(delay):
		}
		// The run may end between the timer and the signal (ErrProcessDone once Wait reaped
		// it): the check below then finds its outputs whole, as for a kill after the end.
		if err := c.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Fatal(err)
		}
		<-done
		kills++
		if !exists(journal) && exists(out+".json") {
			// It had finished (outputs written, journal removed) when the kill came: the
			// outputs must be whole. Start the sweep over for the remaining kills.
			for _, f := range []string{"", ".json"} {
				if !bytes.Equal(readFile(t, out+f), readFile(t, ref+f)) {
					t.Fatalf("kill %d, after the run finished: out.csv%s differs from an uninterrupted run", kills, f)
				}
				os.Remove(out + f)
			}
			t.Logf("kill %d after %v: the run had finished; starting the sweep again", kills, delay)
			prev = 0
			continue
		}
		pts, err := sweep.JournalPoints(journal)
		if err != nil && exists(journal) {
			t.Fatalf("kill %d: %v", kills, err)
		}
		seen := map[int]bool{}
		for _, p := range pts {
			if seen[p] {
				t.Fatalf("kill %d: point %d recorded twice: computed again after it finished", kills, p)
			}
			seen[p] = true
		}
		if len(seen) < prev {
			t.Fatalf("kill %d: the journal lost points: %d after %d", kills, len(seen), prev)
		}
		if exists(out) && len(seen) > 0 && len(seen) < 24 {
			// (With all 24 points the kill came between writing the outputs and removing the
			// journal: the next run takes every point from it.)
			t.Fatalf("kill %d: a CSV exists beside a journal of only %d points", kills, len(seen))
		}
		prev = len(seen)
		t.Logf("kill %d after %v: the journal holds %d points", kills, delay, prev)
	}
	if _, buf, done := start(); <-done != nil {
		t.Fatalf("final run failed: %s", buf)
	}
	for _, f := range []string{"", ".json"} {
		if !bytes.Equal(readFile(t, out+f), readFile(t, ref+f)) {
			t.Errorf("out.csv%s after 20 kills differs from an uninterrupted run", f)
		}
	}
	if exists(journal) {
		t.Error("journal left behind")
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".out.csv*")); len(tmps) > 0 {
		t.Errorf("temporary files left behind: %v", tmps)
	}
}
