package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestOutputPaths: the commands' output flags write through devices and FIFOs instead of
// replacing them, keep symbolic links, refuse --out and --actions naming one file, and a plot
// with several --out files writes none when one fails.
func TestOutputPaths(t *testing.T) {
	dir := t.TempDir()
	t.Run("same file", func(t *testing.T) {
		p := filepath.Join(dir, "same.txt")
		os.Symlink("same.txt", filepath.Join(dir, "alias.txt"))
		for _, args := range [][]string{
			{"run", "--out", p, "--actions", p},
			{"run", "--out", p, "--actions", filepath.Join(dir, ".", "same.txt")},
			{"run", "--out", "-", "--actions", "-"},
		} {
			_, err := lrpsim(t, args...)
			if err == nil || !strings.Contains(err.Error(), "name the same file") {
				t.Errorf("%v: %v", args, err)
			}
		}
		if exists(p) {
			t.Error("wrote the file anyway")
		}
	})
	t.Run("device", func(t *testing.T) {
		full := filepath.Join(dir, "full")
		if err := syscall.Mknod(full, syscall.S_IFCHR|0o666, 1<<8|7); err != nil {
			t.Skipf("SKIPPED: cannot make a device node (needs root): %v", err)
		}
		for _, args := range [][]string{
			{"run", "--out", full},
			{"run", "--actions", full, "--out", filepath.Join(dir, "report.txt")},
			{"table", "bundled:synthetic-default.npz", "-o", full},
		} {
			_, err := lrpsim(t, args...)
			if err == nil || !strings.Contains(err.Error(), "no space left on device") {
				t.Errorf("%v: %v; want the device's write error", args, err)
			}
			if st, _ := os.Lstat(full); st.Mode()&os.ModeCharDevice == 0 {
				t.Fatalf("%v replaced the device node", args)
			}
		}
		if exists(filepath.Join(dir, "report.txt")) {
			t.Error("--out written although --actions failed")
		}
	})
	t.Run("symlink", func(t *testing.T) {
		target := filepath.Join(dir, "real.txt")
		link := filepath.Join(dir, "link.txt")
		os.Symlink("real.txt", link)
		if _, err := lrpsim(t, "run", "--out", link); err != nil {
			t.Fatal(err)
		}
		st, err := os.Lstat(link)
		if err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Error("the symbolic link was replaced")
		}
		if b, _ := os.ReadFile(target); !strings.Contains(string(b), "speedup") {
			t.Errorf("the link's target holds %q", b)
		}
	})
	t.Run("plot all or nothing", func(t *testing.T) {
		first := filepath.Join(dir, "first.png")
		_, err := lrpsim(t, "plot", "bars", "bundled:synthetic-default.npz", "--out", first, "--out", filepath.Join(dir, "missing", "second.svg"))
		if err == nil || !strings.Contains(err.Error(), "second.svg") {
			t.Fatalf("err %v", err)
		}
		if exists(first) {
			t.Error("plot wrote the first --out although the second failed")
		}
	})
}

// TestBaselinesFlagBlamed: a bad --baselines value names the flag, not the built-in config file.
func TestBaselinesFlagBlamed(t *testing.T) {
	_, err := lrpsim(t, "run", "--baselines", "foo")
	if err == nil || !strings.Contains(err.Error(), "--baselines") || !strings.Contains(err.Error(), `got "foo"`) ||
		strings.Contains(err.Error(), "leopard.yaml") {
		t.Errorf("run --baselines foo: %v", err)
	}
}

// TestBundledNamesEverywhere: trace validate and dump-rows accept bundled:NAME as run and table
// do, trace list names every bundled trace, and shell completion offers bundled names, config
// files, engines and nodes.
func TestBundledNamesEverywhere(t *testing.T) {
	list, err := lrpsim(t, "trace", "list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "bundled:use-lite.npz\t") || !strings.Contains(list, "bundled:memn2n-babi-qa1.npz\t") {
		t.Errorf("trace list:\n%s", list)
	}
	if out, err := lrpsim(t, "trace", "validate", "bundled:use-lite.npz", "bundled:synthetic-default.npz"); err != nil ||
		!strings.Contains(out, "bundled:use-lite.npz: ok") {
		t.Errorf("trace validate bundled: %v: %s", err, out)
	}
	if out, err := lrpsim(t, "trace", "dump-rows", "bundled:use-lite.npz", "--layer", "0", "--head", "0", "--rows", "0"); err != nil ||
		!strings.HasPrefix(out, "lrpsim-rtl-rows 1\n") {
		t.Errorf("trace dump-rows bundled: %v: %.80s", err, out)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mine.yaml"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644)
	for _, tc := range []struct {
		args      []string
		want, not []string
	}{
		{[]string{"run", "--trace", "bundled:memn2n-babi-qa1"}, []string{"bundled:memn2n-babi-qa1.npz", "bundled:memn2n-babi-qa10.npz"}, []string{"use-lite"}},
		{[]string{"table", "bundled:use"}, []string{"bundled:use-lite.npz"}, nil},
		{[]string{"trace", "validate", "bundled:syn"}, []string{"bundled:synthetic-default.npz"}, nil},
		{[]string{"run", "--engine", ""}, []string{"event", "reference"}, nil},
		{[]string{"run", "--node", ""}, []string{"45nm"}, nil},
		{[]string{"run", "--config", dir + "/"}, []string{filepath.Join(dir, "mine.yaml")}, []string{"notes.txt"}},
		{[]string{"config", "validate", dir + "/"}, []string{filepath.Join(dir, "mine.yaml")}, []string{"notes.txt"}},
	} {
		out, err := lrpsim(t, append([]string{"__complete"}, tc.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w+"\n") {
				t.Errorf("completing %v: %q missing from\n%s", tc.args, w, out)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(out, n) {
				t.Errorf("completing %v: %q offered", tc.args, n)
			}
		}
	}
}

// TestConfigValidateEveryError: config validate reports every problem of every file, not the
// first of the first.
func TestConfigValidateEveryError(t *testing.T) {
	dir := t.TempDir()
	two := filepath.Join(dir, "two.yaml")
	os.WriteFile(two, []byte("front_end:\n  lanes: 0\nback_end:\n  macs: 0\n"), 0o644)
	syntax := filepath.Join(dir, "syntax.yaml")
	os.WriteFile(syntax, []byte("front_end:\n  lane: 4\n"), 0o644)
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("front_end:\n  lanes: 8\n"), 0o644)
	out, err := lrpsim(t, "config", "validate", two, syntax, good)
	if err == nil || !strings.Contains(err.Error(), "3 problems in 2 of 3 config files") {
		t.Fatalf("err %v", err)
	}
	for _, w := range []string{"two.yaml:2: front_end.lanes", "two.yaml:4: back_end.macs", "syntax.yaml:2: front_end.lane", good + ": ok"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// TestPartialERT: an Accelergy ERT that names only some components prices over the base table
// (the built-in node, or --energy), and standard error says which entries came from where.
func TestPartialERT(t *testing.T) {
	dir := t.TempDir()
	ert := filepath.Join(dir, "ERT.yaml")
	os.WriteFile(ert, []byte(`ERT:
  version: '0.4'
  tables:
  - name: leopard.fe[0..3].lane[0..15]
    actions:
    - name: bit_product
      arguments: null
      energy: 0.05
`), 0o644)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	out, err := lrpsim(t, "run", "--ert", ert, "--no-baselines", "--json")
	os.Stderr = old
	w.Close()
	note := make([]byte, 4096)
	n, _ := r.Read(note)
	if err != nil {
		t.Fatalf("run --ert with a partial ERT: %v", err)
	}
	if !strings.Contains(out, `"energy_pj"`) && !strings.Contains(out, "energy") {
		t.Errorf("no energy in the report: %.200s", out)
	}
	msg := string(note[:n])
	for _, want := range []string{"from ERT.yaml: lane (bit_product)", "from horowitz-45nm: ", "lane (accumulate"} {
		if !strings.Contains(msg, want) {
			t.Errorf("provenance %q lacks %q", msg, want)
		}
	}
}

// TestPlotTracesNaturalOrder: plot bars draws the bundled traces in natural order.
func TestPlotTracesNaturalOrder(t *testing.T) {
	names := plotTraces()
	at := func(s string) int { return slices.Index(names, "bundled:memn2n-babi-qa"+s+".npz") }
	if at("2") < 0 || at("10") < 0 || at("2") > at("10") || at("9") > at("10") {
		t.Errorf("plot bars order %v", names)
	}
}

// TestREADMENewUserNotes: the README says how to get an lrpsim command, how the 21 workload
// traces are regenerated and which traces CI regenerates, and how to run on a cluster, naming
// files that exist.
func TestREADMENewUserNotes(t *testing.T) {
	readme := string(readFile(t, "../../README.md"))
	for _, want := range []string{"go install ./cmd/lrpsim", "traces/workloads.sh", "CI regenerates use-lite and stories260K",
		"## Running on a cluster", "cluster/slurm/submit.sh", "--shard auto", "cluster/kubernetes/sweep-job.yaml"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md lacks %q", want)
		}
	}
	for _, f := range []string{"traces/workloads.sh", "cluster/slurm/submit.sh", "cluster/slurm/sweep-array.sbatch",
		"cluster/slurm/sweep-merge.sbatch", "cluster/kubernetes/sweep-job.yaml", "cluster/kubernetes/merge-job.yaml",
		"ci/slurm-test.sh", "ci/install-slurm.sh", "ci/fuzz.sh", "results/fuzz-campaign.sh", "results/fuzz-campaign.md"} {
		if !exists(filepath.Join("../..", f)) {
			t.Errorf("%s is missing", f)
		}
	}
}
