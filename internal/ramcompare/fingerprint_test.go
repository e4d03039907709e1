package ramcompare

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/dramtrace"
	"github.com/lrpsim/lrpsim/traces/data"
)

// root is the repository root, seen from this package.
const root = "../.."

// dramTraces are what `lrpsim run -c configs/<preset>.yaml -t bundled:<trace> --no-baselines
// --dram-trace F [--dram-trace-format csv]` writes to F (results/ramulator/regen.sh's
// commands): the ramulator2 trace and the CSV.
func dramTraces(t *testing.T, trace, preset string) (lt, csv []byte) {
	t.Helper()
	cfg, err := sim.OpenConfig(filepath.Join(root, "configs", preset+".yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Baselines = nil
	r, err := data.Open(data.BundledPrefix + trace)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec := dramtrace.NewRecorder()
	if _, err := sim.Run(cfg, r, "event", sim.Options{Observer: rec}); err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := rec.Write(&a, "ramulator2"); err != nil {
		t.Fatal(err)
	}
	if err := rec.Write(&b, "csv"); err != nil {
		t.Fatal(err)
	}
	return a.Bytes(), b.Bytes()
}

// TestComparisonIsFromTodaysDRAMTraces checks that results/ramulator/comparison.csv was made
// from the DRAM traces today's lrpsim writes: Ramulator is not at hand in CI, so a change of
// the requests lrpsim issues would otherwise leave the comparison stale without a word.
func TestComparisonIsFromTodaysDRAMTraces(t *testing.T) {
	f, err := os.Open(filepath.Join(root, "results", "ramulator", "comparison.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fps, err := ReadFingerprints(f)
	if err != nil {
		t.Fatalf("results/ramulator/comparison.csv: %v", err)
	}
	if len(fps) == 0 {
		t.Fatal("results/ramulator/comparison.csv compares no trace")
	}
	for _, fp := range fps {
		t.Run(fp.Trace+"/"+fp.Preset, func(t *testing.T) {
			lt, csv := dramTraces(t, fp.Trace, fp.Preset)
			for _, f := range []struct{ format, was, now string }{
				{"ramulator2", fp.SHA256, Fingerprint(lt)}, {"csv", fp.CSVSHA256, Fingerprint(csv)},
			} {
				if f.now != f.was {
					t.Errorf("results/ramulator/comparison.csv is stale for %s under %s: it was made from a %s DRAM trace "+
						"of sha256 %s, today's lrpsim writes %s (lrpsim run -c configs/%s.yaml -t bundled:%s --no-baselines "+
						"--dram-trace F --dram-trace-format %s); regenerate it with "+
						"results/ramulator/regen.sh RAMULATOR2_CHECKOUT DEPS (results/ramulator/README.md)",
						fp.Trace, fp.Preset, f.format, f.was, f.now, fp.Preset, fp.Trace, f.format)
				}
			}
		})
	}
}
