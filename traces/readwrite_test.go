package traces

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"sync"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		meta  func() Meta
		shape shapeFunc
	}{
		{"fixed shapes, head thresholds", func() Meta { return testMeta(1, 2, 2) }, fixedShape},
		{"varied shapes, layer thresholds, causal", func() Meta {
			m := testMeta(2, 2, 3)
			m.ThresholdGranularity = GranularityLayer
			m.Causal = true
			m.EmptyRow = EmptyRowKeepMax
			return m
		}, variedShape},
		{"narrow and wide bits, provenance", func() Meta {
			m := testMeta(2, 1, 2)
			m.BitsQ, m.BitsK, m.BitsV = 2, 16, 9
			m.Synthetic = true
			m.Metric = map[string]any{"name": "accuracy", "dense": 0.98, "pruned": 0.978}
			m.Generator = map[string]any{"command": "test", "seed": 7.0}
			m.Extra = map[string]json.RawMessage{"future_field": json.RawMessage(`{"a":[1,2]}`)}
			return m
		}, variedShape},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			meta := tc.meta()
			heads := testHeads(meta, tc.shape, 1)
			path := tempPath(t, "trace.npz")
			writeTestTrace(t, path, meta, heads)

			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := r.Meta(); !reflect.DeepEqual(got, meta) {
				t.Errorf("Meta:\n got %#v\nwant %#v", got, meta)
			}
			if r.NumHeads() != len(heads) {
				t.Fatalf("NumHeads = %d, want %d", r.NumHeads(), len(heads))
			}
			for idx, want := range heads {
				b, l, h := r.HeadID(idx)
				if b != want.Input || l != want.Layer || h != want.Index || r.HeadIndex(b, l, h) != idx {
					t.Errorf("HeadID(%d) = %d, %d, %d; want %s", idx, b, l, h, want.Name())
				}
				got, err := r.Head(idx)
				if err != nil {
					t.Fatalf("Head(%d): %v", idx, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Head(%d) differs:\n got %+v\nwant %+v", idx, got, want)
				}
			}
			if _, err := r.Head(len(heads)); err == nil {
				t.Error("Head(NumHeads()) succeeded")
			}
			if err := Validate(path); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

// TestWriterDtypes checks that integers are stored in the smallest dtype holding their bits.
func TestWriterDtypes(t *testing.T) {
	for _, tc := range []struct {
		bits  int
		descr string
	}{{2, "|i1"}, {8, "|i1"}, {9, "<i2"}, {16, "<i2"}} {
		meta := testMeta(1, 1, 1)
		meta.BitsQ, meta.BitsK, meta.BitsV = tc.bits, tc.bits, tc.bits
		path := tempPath(t, "t.npz")
		writeTestTrace(t, path, meta, testHeads(meta, fixedShape, 3))
		a := readArchive(t, path)
		for _, m := range []string{"b0.l0.h0.q", "b0.l0.h0.k", "b0.l0.h0.v"} {
			if h, _ := a.member(t, m); h.dt.descr != tc.descr {
				t.Errorf("bits %d: %s stored as %s, want %s", tc.bits, m, h.dt.descr, tc.descr)
			}
		}
	}
}

// TestWriterDeterministic checks that the same heads give the same bytes.
func TestWriterDeterministic(t *testing.T) {
	meta := testMeta(2, 2, 2)
	dir := t.TempDir()
	var files [2][]byte
	for i := range files {
		path := dir + "/t.npz"
		writeTestTrace(t, path, meta, testHeads(meta, variedShape, 5))
		var err error
		if files[i], err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two writes of the same trace differ")
	}
}

// TestReaderAccepts checks the variants FORMAT.md allows or numpy produces: int8, int16 and
// int32 of any byte order, Fortran order, stored (np.savez) rather than deflated members,
// entries without the ".npy" suffix, and unknown members.
func TestReaderAccepts(t *testing.T) {
	meta := testMeta(1, 2, 2)
	meta.BitsV = 7
	heads := testHeads(meta, fixedShape, 2)
	base := tempPath(t, "base.npz")
	writeTestTrace(t, base, meta, heads)

	tests := []struct {
		name   string
		method uint16
		mutate func(t *testing.T, a *archive)
	}{
		{"stored members", zip.Store, func(*testing.T, *archive) {}},
		{"int32 q", zip.Deflate, func(t *testing.T, a *archive) {
			v, sh := a.ints(t, "b0.l0.h1.q")
			a.set("b0.l0.h1.q", npyBytes("<i4", false, sh, encodeAs("<i4", v)))
		}},
		{"int8 v, int32 k big-endian", zip.Deflate, func(t *testing.T, a *archive) {
			v, sh := a.ints(t, "b0.l1.h0.v")
			a.set("b0.l1.h0.v", npyBytes("|i1", false, sh, encodeAs("|i1", v)))
			k, ksh := a.ints(t, "b0.l1.h0.k")
			a.set("b0.l1.h0.k", npyBytes(">i4", false, ksh, encodeAs(">i4", k)))
		}},
		{"big-endian int16 and float64", zip.Deflate, func(t *testing.T, a *archive) {
			q, sh := a.ints(t, "b0.l0.h0.q")
			a.set("b0.l0.h0.q", npyBytes(">i2", false, sh, encodeAs(">i2", q)))
			th, tsh := a.floats(t, "threshold")
			a.set("threshold", npyBytes(">f8", false, tsh, float64Bytes(binary.BigEndian, th)))
		}},
		{"Fortran order", zip.Deflate, func(t *testing.T, a *archive) {
			q, sh := a.ints(t, "b0.l1.h1.q")
			a.set("b0.l1.h1.q", npyBytes("<i2", true, sh, encodeAs("<i2", transposeToFortran(q, sh))))
			vq, vsh := a.ints(t, "valid_q")
			a.set("valid_q", npyBytes("<i4", true, vsh, encodeAs("<i4", transposeToFortran(vq, vsh))))
			sk, ssh := a.floats(t, "scale_k")
			a.set("scale_k", npyBytes("<f8", true, ssh, float64Bytes(binary.LittleEndian, transposeToFortran(sk, ssh))))
		}},
		{"entries without .npy", zip.Deflate, func(t *testing.T, a *archive) {
			for i, name := range a.names {
				data := a.data[name]
				delete(a.data, name)
				name = name[:len(name)-len(".npy")]
				a.names[i] = name
				a.data[name] = data
			}
		}},
		{"unknown member", zip.Deflate, func(t *testing.T, a *archive) {
			a.set("attention_mask", npyBytes("|b1", false, []int{3}, []byte{1, 0, 1}))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := readArchive(t, base)
			tc.mutate(t, a)
			path := tempPath(t, "variant.npz")
			a.write(t, path, tc.method)
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for idx, want := range heads {
				got, err := r.Head(idx)
				if err != nil {
					t.Fatalf("Head(%d): %v", idx, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Head(%d) differs:\n got %+v\nwant %+v", idx, got, want)
				}
			}
		})
	}
}

// TestReaderConcurrentHeads reads every head from several goroutines at once.
func TestReaderConcurrentHeads(t *testing.T) {
	meta := testMeta(2, 2, 3)
	heads := testHeads(meta, variedShape, 4)
	path := tempPath(t, "t.npz")
	writeTestTrace(t, path, meta, heads)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idx, want := range heads {
				got, err := r.Head(idx)
				if err == nil && !reflect.DeepEqual(got, want) {
					err = &FormatError{Field: want.Name(), Expected: "equal", Got: "different"}
				}
				if err != nil {
					errs[g] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestMetaJSONKeepsUnknownFields(t *testing.T) {
	in := `{"format":"lrpsim-trace","version":1,"zeta":[1,2],"model":"m","alpha":{"x":1}}`
	var m Meta
	if err := json.Unmarshal([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Extra) != 2 || string(m.Extra["zeta"]) != "[1,2]" || string(m.Extra["alpha"]) != `{"x":1}` {
		t.Fatalf("Extra = %v", m.Extra)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Meta
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Errorf("round trip:\n got %#v\nwant %#v", back, m)
	}
	if !bytes.HasSuffix(out, []byte(`,"alpha":{"x":1},"zeta":[1,2]}`)) {
		t.Errorf("extra fields not appended in key order: %s", out)
	}
}

func TestIntThreshold(t *testing.T) {
	// maxDot for d=1, 2-bit q and k: 1 * 2 * 2 = 4.
	tests := []struct {
		name           string
		th             float64
		d              int
		scaleQ, scaleK float64
		bitsQ, bitsK   int
		want           int64
	}{
		{"exact integer boundary", 0.375, 16, 0.25, 0.5, 12, 12, 12}, // x = 0.375*4/0.125 = 12
		{"just above the boundary", math.Nextafter(0.375, 1), 16, 0.25, 0.5, 12, 12, 13},
		{"just below the boundary", math.Nextafter(0.375, 0), 16, 0.25, 0.5, 12, 12, 12},
		{"negative fraction rounds up", -1.5, 1, 1, 1, 8, 8, -1},
		{"zero", 0, 64, 0.01, 0.02, 12, 12, 0},
		{"-inf keeps all", math.Inf(-1), 64, 0.01, 0.02, 12, 12, KeepAll},
		{"+inf prunes all", math.Inf(1), 64, 0.01, 0.02, 12, 12, PruneAll},
		{"at the largest dot product", 4, 1, 1, 1, 2, 2, 4},
		{"above the largest dot product", 4.5, 1, 1, 1, 2, 2, PruneAll},
		{"at minus the largest dot product", -4, 1, 1, 1, 2, 2, KeepAll},
		{"just above minus the largest", -3.5, 1, 1, 1, 2, 2, -3},
		{"far below", -1e300, 64, 0.01, 0.02, 16, 16, KeepAll},
		{"far above", 1e300, 64, 0.01, 0.02, 16, 16, PruneAll},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := IntThreshold(tc.th, tc.d, tc.scaleQ, tc.scaleK, tc.bitsQ, tc.bitsK)
			if got != tc.want {
				t.Errorf("IntThreshold(%v, %d, %v, %v, %d, %d) = %d, want %d", tc.th, tc.d, tc.scaleQ, tc.scaleK, tc.bitsQ, tc.bitsK, got, tc.want)
			}
			h := &Head{Threshold: tc.th, D: tc.d, ScaleQ: tc.scaleQ, ScaleK: tc.scaleK, BitsQ: tc.bitsQ, BitsK: tc.bitsK}
			if m := h.IntThreshold(); m != got {
				t.Errorf("Head.IntThreshold = %d, IntThreshold = %d", m, got)
			}
		})
	}
}

func TestKeyAllowedAndCountHead(t *testing.T) {
	// Causal with valid_k - valid_q = 1: row i sees keys j <= i+1 below valid_k.
	h := &Head{N: 3, M: 4, D: 1, ValidQ: 2, ValidK: 3, Causal: true,
		Q: []int32{1, 2, 3}, K: []int32{1, -1, 2, 5}, Threshold: 1, ScaleQ: 1, ScaleK: 1, BitsQ: 8, BitsK: 8}
	want := [][]bool{{true, true, false, false}, {true, true, true, false}, {false, false, false, false}}
	for i := range 3 {
		for j := range 4 {
			if got := h.KeyAllowed(i, j); got != want[i][j] {
				t.Errorf("KeyAllowed(%d, %d) = %v, want %v", i, j, got, want[i][j])
			}
		}
	}
	// T = 1. Row 0: dots 1, -1 -> 1 kept. Row 1: dots 2, -2, 4 -> 2 kept.
	c := CountHead(h)
	if c != (Counts{Allowed: 5, Kept: 3, Rows: 2, EmptyRows: 0}) {
		t.Errorf("CountHead = %+v", c)
	}
	h.Threshold = 3 // row 0 keeps nothing; row 1 keeps the dot 4
	if c := CountHead(h); c != (Counts{Allowed: 5, Kept: 1, Rows: 2, EmptyRows: 1}) {
		t.Errorf("CountHead with T=3 = %+v", c)
	}
}
