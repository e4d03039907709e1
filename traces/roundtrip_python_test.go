package traces_test

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/traces"
)

// The Go <-> Python round trip of trace files: lrpsim_export (traces/python) writes a trace that
// this package reads, and this package writes one that lrpsim_export reads, each side checking
// the other's integers, thresholds and pruning pair for pair. The Python side is
// traces/python/tests/roundtrip_helper.py; it needs a Python with torch and numpy.

// torchPython finds a Python with torch and numpy: $LRPSIM_PYTHON if it has them, else
// /usr/bin/python3 (Debian: apt-get install python3-torch python3-numpy).
func torchPython(t *testing.T) string {
	t.Helper()
	cands := []string{"/usr/bin/python3"}
	if p := os.Getenv("LRPSIM_PYTHON"); p != "" {
		cands = append([]string{p}, cands...)
	}
	for _, p := range cands {
		if exec.Command(p, "-c", "import torch, numpy").Run() == nil {
			return p
		}
	}
	t.Skip("no Python with torch and numpy (set LRPSIM_PYTHON, or apt-get install python3-torch python3-numpy): skipping the Python round trip")
	return ""
}

func runHelper(t *testing.T, py string, args ...string) {
	t.Helper()
	cmd := exec.Command(py, append([]string{filepath.Join("python", "tests", "roundtrip_helper.py")}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join("python"), "OMP_NUM_THREADS=1")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("roundtrip_helper.py %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

type headDesc struct {
	B       int   `json:"b"`
	L       int   `json:"l"`
	H       int   `json:"h"`
	Kept    int64 `json:"kept"`
	Allowed int64 `json:"allowed"`
	T       int64 `json:"T"`
	N       int   `json:"n"`
	M       int   `json:"m"`
	D       int   `json:"d"`
	DV      int   `json:"dv"`
	SumQ    int64 `json:"sum_q"`
	SumK    int64 `json:"sum_k"`
	SumV    int64 `json:"sum_v"`
	SqQ     int64 `json:"sq_q"`
}

// describe computes in Go what roundtrip_helper.py's describe computes in Python.
func describe(t *testing.T, r *traces.Reader) []headDesc {
	t.Helper()
	var out []headDesc
	for idx := range r.NumHeads() {
		h, err := r.Head(idx)
		if err != nil {
			t.Fatal(err)
		}
		d := headDesc{B: h.Input, L: h.Layer, H: h.Index, T: h.IntThreshold(), N: h.N, M: h.M, D: h.D, DV: h.DV}
		for i := range h.N {
			for j := range h.M {
				if h.KeyAllowed(i, j) {
					d.Allowed++
					if h.Dot(i, j) >= d.T {
						d.Kept++
					}
				}
			}
		}
		for _, x := range h.Q {
			d.SumQ += int64(x)
			d.SqQ += int64(x) * int64(x)
		}
		for _, x := range h.K {
			d.SumK += int64(x)
		}
		for _, x := range h.V {
			d.SumV += int64(x)
		}
		out = append(out, d)
	}
	return out
}

func TestRoundTripPythonToGo(t *testing.T) {
	py := torchPython(t)
	dir := t.TempDir()
	npz, js := filepath.Join(dir, "py.npz"), filepath.Join(dir, "py.json")
	runHelper(t, py, "write", npz, js)
	if err := traces.Validate(npz); err != nil {
		t.Fatalf("Go rejects the trace Python wrote: %v", err)
	}
	r, err := traces.Open(npz)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := r.Meta()
	if m.Model != "roundtrip-tiny-mha" || m.Inputs != 3 || m.Layers != 2 || m.Heads != 4 || !m.Causal ||
		m.BitsQ != 10 || m.BitsK != 9 || m.BitsV != 7 || m.EmptyRow != "zero" || m.ThresholdGranularity != "head" || m.Synthetic {
		t.Fatalf("meta read back wrong: %+v", m)
	}
	raw, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Heads []headDesc }
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	got := describe(t, r)
	if len(got) != len(want.Heads) {
		t.Fatalf("Go reads %d heads, Python wrote %d", len(got), len(want.Heads))
	}
	var kept, allowed int64
	for i := range got {
		if got[i] != want.Heads[i] {
			t.Errorf("head %d: Go reads %+v, Python wrote %+v", i, got[i], want.Heads[i])
		}
		kept += got[i].Kept
		allowed += got[i].Allowed
	}
	if kept == 0 || kept == allowed {
		t.Errorf("the test trace should prune some pairs and keep some: kept %d of %d", kept, allowed)
	}
}

func TestRoundTripGoToPython(t *testing.T) {
	py := torchPython(t)
	dir := t.TempDir()
	npz, js := filepath.Join(dir, "go.npz"), filepath.Join(dir, "go.json")
	spec := traces.DefaultGenSpec()
	spec.Inputs, spec.Layers, spec.Heads, spec.SeqLen, spec.D, spec.DV = 2, 2, 3, 24, 16, 8
	spec.BitsQ, spec.BitsK, spec.BitsV = 11, 6, 16
	spec.Causal, spec.MinValid, spec.Granularity, spec.ScaleGranularity = true, 0.5, "head", "head"
	if err := traces.Generate(npz, spec); err != nil {
		t.Fatal(err)
	}
	r, err := traces.Open(npz)
	if err != nil {
		t.Fatal(err)
	}
	desc := describe(t, r)
	m := r.Meta()
	r.Close()
	raw, err := json.Marshal(map[string]any{
		"meta": map[string]any{"format": m.Format, "version": m.Version, "inputs": m.Inputs, "layers": m.Layers,
			"heads": m.Heads, "bits_q": m.BitsQ, "bits_k": m.BitsK, "bits_v": m.BitsV, "causal": m.Causal,
			"synthetic": m.Synthetic, "threshold_granularity": m.ThresholdGranularity},
		"heads": desc,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(js, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	runHelper(t, py, "check", npz, js)
}

// TestIntThresholdMatchesPython holds Go's and lrpsim_export's integer threshold rule to the same
// answers on 2,000 cases: ordinary, on integer boundaries, beyond the reachable range, and -inf.
func TestIntThresholdMatchesPython(t *testing.T) {
	py := torchPython(t)
	js := filepath.Join(t.TempDir(), "th.json")
	runHelper(t, py, "thresholds", js)
	raw, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Th     any
		D      int
		Sq, Sk float64
		Bq, Bk int
		T      int64
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		th := math.Inf(-1)
		if f, ok := c.Th.(float64); ok {
			th = f
		}
		if got := traces.IntThreshold(th, c.D, c.Sq, c.Sk, c.Bq, c.Bk); got != c.T {
			t.Fatalf("case %d %+v: Go gives T=%d, Python %d", i, c, got, c.T)
		}
	}
}
