package traces

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testMeta returns a valid meta for hand-built test traces.
func testMeta(inputs, layers, heads int) Meta {
	return Meta{
		Format: FormatName, Version: FormatVersion,
		Model: "unit-test", Task: "round trip", Source: "helpers_test.go",
		Inputs: inputs, Layers: layers, Heads: heads,
		BitsQ: 12, BitsK: 12, BitsV: 8,
		EmptyRow: EmptyRowZero, ThresholdGranularity: GranularityHead,
	}
}

// shapeFunc gives the n, m, d, dv of head (b, l, h).
type shapeFunc func(b, l, h int) (n, m, d, dv int)

// fixedShape is the shape of every head of the base trace of the error tests.
func fixedShape(int, int, int) (n, m, d, dv int) { return 5, 6, 8, 4 }

// variedShape varies n and m over inputs and heads and d over layers.
func variedShape(b, l, h int) (n, m, d, dv int) {
	return 3 + (b+h)%4, 2 + (b+2*h)%5, 4 + 4*l, 3 + l
}

// testHeads builds every head of meta in file order with random values that include the
// extremes of each bit width. Thresholds and scales depend only on (l, h); thresholds are
// shared by the heads of a layer under layer granularity, and layer 0 of the head-granularity
// traces gets a -inf threshold on head 0.
func testHeads(meta Meta, shape shapeFunc, seed uint64) []*Head {
	r := rand.New(rand.NewPCG(seed, 99))
	L, H := meta.Layers, meta.Heads
	th := make([]float64, L*H)
	sc := make([][3]float64, L*H)
	for l := range L {
		for h := range H {
			th[l*H+h] = float64(r.IntN(200)-50) / 16
			if meta.ThresholdGranularity == GranularityLayer {
				th[l*H+h] = th[l*H]
			}
			sc[l*H+h] = [3]float64{0.001 * (1 + r.Float64()), 0.002 * (1 + r.Float64()), 0.01 * (1 + r.Float64())}
		}
	}
	if meta.ThresholdGranularity == GranularityHead {
		th[0] = math.Inf(-1)
	}
	fill := func(n, bits int) []int32 {
		lo, hi := -(1 << (bits - 1)), 1<<(bits-1)-1
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(lo + r.IntN(hi-lo+1))
		}
		v[0], v[n-1] = int32(lo), int32(hi)
		return v
	}
	var heads []*Head
	for b := range meta.Inputs {
		for l := range L {
			for h := range H {
				n, m, d, dv := shape(b, l, h)
				heads = append(heads, &Head{
					Input: b, Layer: l, Index: h, N: n, M: m, D: d, DV: dv,
					Q: fill(n*d, meta.BitsQ), K: fill(m*d, meta.BitsK), V: fill(m*dv, meta.BitsV),
					ValidQ: 1 + r.IntN(n), ValidK: 1 + r.IntN(m),
					Threshold: th[l*H+h],
					ScaleQ:    sc[l*H+h][0], ScaleK: sc[l*H+h][1], ScaleV: sc[l*H+h][2],
					BitsQ: meta.BitsQ, BitsK: meta.BitsK, BitsV: meta.BitsV,
					Causal: meta.Causal, KeepMax: meta.EmptyRow == EmptyRowKeepMax,
				})
			}
		}
	}
	return heads
}

// writeTestTrace writes heads with a Writer and fails the test on any error.
func writeTestTrace(t *testing.T, path string, meta Meta, heads []*Head) {
	t.Helper()
	w, err := Create(path, meta)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer w.Abort()
	for _, h := range heads {
		if err := w.WriteHead(h); err != nil {
			t.Fatalf("WriteHead(%s): %v", h.Name(), err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// archive is the raw content of an .npz file: zip entry names in order and their bytes.
type archive struct {
	names []string
	data  map[string][]byte
}

func readArchive(t *testing.T, path string) *archive {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	a := &archive{data: make(map[string][]byte)}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		a.names = append(a.names, f.Name)
		a.data[f.Name] = b
	}
	return a
}

// write stores the archive at path with the given zip method (zip.Store or zip.Deflate).
func (a *archive) write(t *testing.T, path string, method uint16) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range a.names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(a.data[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// set replaces (or adds) member name (without ".npy").
func (a *archive) set(name string, npyBytes []byte) {
	entry := name + ".npy"
	if _, ok := a.data[entry]; !ok {
		a.names = append(a.names, entry)
	}
	a.data[entry] = npyBytes
}

// remove deletes member name (without ".npy").
func (a *archive) remove(name string) {
	entry := name + ".npy"
	delete(a.data, entry)
	a.names = slices.DeleteFunc(a.names, func(s string) bool { return s == entry })
}

// member decodes member name: its header and data bytes.
func (a *archive) member(t *testing.T, name string) (npyHeader, []byte) {
	t.Helper()
	r := bytes.NewReader(a.data[name+".npy"])
	h, err := readNpyHeader(r)
	if err != nil {
		t.Fatalf("member %s: %v", name, err)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return h, data
}

// ints decodes an integer member to int32 with its shape.
func (a *archive) ints(t *testing.T, name string) ([]int32, []int) {
	h, data := a.member(t, name)
	return decodeInts(data, h), h.shape
}

// floats decodes a float64 member.
func (a *archive) floats(t *testing.T, name string) ([]float64, []int) {
	h, data := a.member(t, name)
	return decodeFloat64s(data, h), h.shape
}

// metaObject decodes the meta member into a generic JSON object.
func (a *archive) metaObject(t *testing.T) map[string]any {
	_, data := a.member(t, "meta")
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// setMetaObject stores obj as the meta member.
func (a *archive) setMetaObject(t *testing.T, obj map[string]any) {
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	a.set("meta", npyBytes("|u1", false, []int{len(raw)}, raw))
}

// npyBytes builds an .npy file independently of writeNpy, with any descr and order.
func npyBytes(descr string, fortran bool, shape []int, data []byte) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	st := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		st = "(" + dims[0] + ",)"
	}
	order := "False"
	if fortran {
		order = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, order, st)
	for (10+len(dict)+1)%64 != 0 {
		dict += " "
	}
	dict += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	b.WriteString(dict)
	b.Write(data)
	return b.Bytes()
}

// encodeAs encodes integers in a numpy integer or float dtype ("|i1", ">i2", "<f4", "<i8", ...).
func encodeAs(descr string, v []int32) []byte {
	var order binary.ByteOrder = binary.LittleEndian
	if descr[0] == '>' {
		order = binary.BigEndian
	}
	var b bytes.Buffer
	for _, x := range v {
		switch descr[1:] {
		case "i1":
			binary.Write(&b, order, int8(x))
		case "i2":
			binary.Write(&b, order, int16(x))
		case "i4":
			binary.Write(&b, order, x)
		case "i8":
			binary.Write(&b, order, int64(x))
		case "f4":
			binary.Write(&b, order, float32(x))
		case "f8":
			binary.Write(&b, order, float64(x))
		default:
			panic("encodeAs: unsupported descr " + descr)
		}
	}
	return b.Bytes()
}

// float64Bytes encodes float64 values in the given byte order.
func float64Bytes(order binary.ByteOrder, v []float64) []byte {
	var b bytes.Buffer
	binary.Write(&b, order, v)
	return b.Bytes()
}

// transposeToFortran returns row-major data of shape in column-major order.
func transposeToFortran[T any](data []T, shape []int) []T {
	out := make([]T, len(data))
	idx := make([]int, len(shape))
	for c := range data {
		f, stride := 0, 1
		for a := range idx {
			f += idx[a] * stride
			stride *= shape[a]
		}
		out[f] = data[c]
		for a := len(idx) - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < shape[a] {
				break
			}
			idx[a] = 0
		}
	}
	return out
}

// dirNames lists a directory, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// tempPath returns a path in a fresh temporary directory.
func tempPath(t *testing.T, name string) string {
	return filepath.Join(t.TempDir(), name)
}
