package waterfall

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/traces/data"
)

// root is the repository root seen from this package's folder.
const root = "../.."

// smallSuite is two traces of one family and one of another: families and the suite.
var smallSuite = []string{"bundled:memn2n-babi-qa1", "bundled:memn2n-babi-qa2", "bundled:vit-mnist"}

func defaultTable(t *testing.T) *energy.Table {
	t.Helper()
	table, err := energy.DefaultTable("45nm")
	if err != nil {
		t.Fatal(err)
	}
	return table
}

func TestDefaultStepsEndAtTheDefault(t *testing.T) {
	steps, err := DefaultSteps(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1-compute.yaml", "2-backend.yaml", "3-latency.yaml", "4-bandwidth.yaml", "leopard.yaml"}
	if len(steps) != len(want) {
		t.Fatalf("steps %v, want %d", steps, len(want))
	}
	for i, s := range steps {
		if filepath.Base(s) != want[i] {
			t.Errorf("step %d is %s, want %s", i+1, s, want[i])
		}
	}
	if _, err := DefaultSteps(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no step configs") {
		t.Errorf("a folder without steps: got %v, want a 'no step configs' error", err)
	}
}

// TestWaterfallTable runs the default steps on a small suite: one table line per step in
// order, the last step equal to a plain sim.Run of the default config, the same bytes
// whatever the number of workers.
func TestWaterfallTable(t *testing.T) {
	steps, err := DefaultSteps(root)
	if err != nil {
		t.Fatal(err)
	}
	table := defaultTable(t)
	var outs [2][]byte
	var w *Waterfall
	for i, jobs := range []int{1, 3} {
		if w, err = Run(steps, smallSuite, sim.EngineEvent, table, jobs); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := w.Write(&b, "csv"); err != nil {
			t.Fatal(err)
		}
		outs[i] = b.Bytes()
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Errorf("the CSV with 1 worker differs from the CSV with 3:\n%s\n%s", outs[0], outs[1])
	}
	recs, err := csv.NewReader(bytes.NewReader(outs[0])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Per step: memn2n (two traces) and the suite; vit-mnist alone makes no family.
	if got, want := len(recs)-1, 2*len(steps); got != want {
		t.Fatalf("%d CSV lines, want %d (memn2n and suite per step)", got, want)
	}
	for i, rec := range recs[1:] {
		if rec[1] != steps[i/2] {
			t.Errorf("CSV line %d is step %s, want %s", i+1, rec[1], steps[i/2])
		}
	}
	var md bytes.Buffer
	if err := w.Write(&md, "md"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(md.String(), "\n")
	for i, s := range steps {
		if line := lines[2+i]; !strings.Contains(line, "`"+s+"`") {
			t.Errorf("table line %d is %q, want step %s", i+1, line, s)
		}
	}
	last := w.Steps[len(w.Steps)-1]
	for i, name := range smallSuite {
		speedup, reduction := plainDefault(t, name, table)
		if r := last.Rows[i]; r.Speedup != speedup || r.EnergyReduction != reduction {
			t.Errorf("%s: last step %v / %v, plain sim.Run of the default %v / %v", name, r.Speedup, r.EnergyReduction,
				speedup, reduction)
		}
	}
}

// plainDefault is the default config's speedup and energy reduction over dense on one trace,
// from sim.Run.
func plainDefault(t *testing.T, name string, table *energy.Table) (speedup, reduction float64) {
	t.Helper()
	cfg, err := sim.OpenConfig("", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Baselines = []string{"dense"}
	r, err := data.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := sim.Run(cfg, r, sim.EngineEvent, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Price(table); err != nil {
		t.Fatal(err)
	}
	return res.Speedup["dense"], res.EnergyReduction["dense"]
}

func TestWaterfallErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("back_end:\n  fifo_depth: 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unknown := filepath.Join(dir, "unknown.yaml")
	if err := os.WriteFile(unknown, []byte("back_end:\n  fifo_deep: 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(root, DefaultLast)
	table := defaultTable(t)
	for _, tc := range []struct {
		name   string
		steps  []string
		traces []string
		want   []string
	}{
		{"missing trace", []string{good}, []string{"bundled:memn2n-babi-qa1", "bundled:no-such-trace"},
			[]string{"no-such-trace"}},
		{"missing config", []string{good, filepath.Join(dir, "absent.yaml")}, smallSuite[:1],
			[]string{"step 2", "absent.yaml"}},
		{"config out of range", []string{bad, good}, smallSuite[:1], []string{"step 1", "fifo_depth"}},
		{"unknown key", []string{good, unknown}, smallSuite[:1], []string{"step 2", "fifo_deep"}},
		{"no steps", nil, smallSuite[:1], []string{"no steps"}},
		{"no traces", []string{good}, nil, []string{"no traces"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := Run(tc.steps, tc.traces, sim.EngineEvent, table, 2)
			if err == nil {
				t.Fatalf("got a waterfall of %d steps, want an error", len(w.Steps))
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}
