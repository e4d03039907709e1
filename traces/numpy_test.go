package traces

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// numpyPythonForTest finds a Python with numpy: $LRPSIM_PYTHON if set (used as is), else
// /usr/bin/python3 if it imports numpy, else python3 on PATH if it imports numpy.
func numpyPythonForTest() (string, bool) {
	if p := os.Getenv("LRPSIM_PYTHON"); p != "" {
		return p, true
	}
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import numpy").Run() == nil {
			return p, true
		}
	}
	return "", false
}

// numpyCheckScript loads a trace with numpy and the standard library only, checks meta, the
// dtypes and shapes of every member, and prints one dot product and its integer threshold
// computed by FORMAT.md's rule, for the Go side to compare.
const numpyCheckScript = `
import json, math, sys
import numpy as np

path, b, l, h, i, j = sys.argv[1], *map(int, sys.argv[2:7])
z = np.load(path)
meta = json.loads(z["meta"].tobytes())
assert meta["format"] == "lrpsim-trace" and meta["version"] == 1, meta
B, L, H = meta["inputs"], meta["layers"], meta["heads"]
for name in ("threshold", "scale_q", "scale_k", "scale_v"):
    assert z[name].dtype == np.float64 and z[name].shape == (L, H), (name, z[name].dtype, z[name].shape)
for name in ("valid_q", "valid_k"):
    assert z[name].dtype == np.int32 and z[name].shape == (B, L, H), (name, z[name].dtype, z[name].shape)
def itype(bits):
    return np.int8 if bits <= 8 else np.int16
for bb in range(B):
    for ll in range(L):
        for hh in range(H):
            p = "b%d.l%d.h%d." % (bb, ll, hh)
            q, k, v = z[p + "q"], z[p + "k"], z[p + "v"]
            assert q.dtype == itype(meta["bits_q"]) and k.dtype == itype(meta["bits_k"]) and v.dtype == itype(meta["bits_v"])
            assert q.ndim == k.ndim == v.ndim == 2 and q.shape[1] == k.shape[1] and k.shape[0] == v.shape[0], (q.shape, k.shape, v.shape)
            assert 1 <= z["valid_q"][bb, ll, hh] <= q.shape[0] and 1 <= z["valid_k"][bb, ll, hh] <= k.shape[0]
p = "b%d.l%d.h%d." % (b, l, h)
q, k = z[p + "q"], z[p + "k"]
dot = int(q[i].astype(np.int64) @ k[j].astype(np.int64))
d = q.shape[1]
x = float(z["threshold"][l, h]) * math.sqrt(d)
x = x / (float(z["scale_q"][l, h]) * float(z["scale_k"][l, h]))
print(json.dumps({"dot": dot, "T": math.ceil(x), "seed": meta["generator"]["seed"], "synthetic": meta["synthetic"]}))
`

// TestNumpyReadsTrace checks that numpy, with no project code, reads a generated trace.
func TestNumpyReadsTrace(t *testing.T) {
	py, ok := numpyPythonForTest()
	if !ok {
		t.Skip("no python with numpy: set LRPSIM_PYTHON, or install numpy for /usr/bin/python3 or python3 on PATH (Debian: apt-get install python3-numpy)")
	}
	spec := DefaultGenSpec()
	spec.Causal, spec.Inputs, spec.Layers, spec.Heads, spec.SeqLen, spec.BitsV, spec.MinValid = true, 2, 2, 3, 40, 7, 0.5
	path := tempPath(t, "gen.npz")
	if err := Generate(path, spec); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, l, hh, i, j := 1, 1, 2, 17, 9
	h, err := r.Head(r.HeadIndex(b, l, hh))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", numpyCheckScript, path, fmt.Sprint(b), fmt.Sprint(l), fmt.Sprint(hh), fmt.Sprint(i), fmt.Sprint(j))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s", py, err, out)
	}
	var got struct {
		Dot       int64  `json:"dot"`
		T         int64  `json:"T"`
		Seed      uint64 `json:"seed"`
		Synthetic bool   `json:"synthetic"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(out))), &got); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	if got.Dot != h.Dot(i, j) || got.T != h.IntThreshold() || got.Seed != spec.Seed || !got.Synthetic {
		t.Errorf("numpy read dot %d, T %d, seed %d, synthetic %v; Go has dot %d, T %d, seed %d",
			got.Dot, got.T, got.Seed, got.Synthetic, h.Dot(i, j), h.IntThreshold(), spec.Seed)
	}
}
