package traces

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/internal/fuzzseed"
)

// FuzzOpenTrace feeds arbitrary bytes to the trace reader as an .npz archive and reads every
// head: it must never panic or hang, and every problem must be one *FormatError naming the file.
func FuzzOpenTrace(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := OpenBytes("fuzz.npz", data)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		defer r.Close()
		for idx := range min(r.NumHeads(), 64) {
			if _, err := r.Head(idx); err != nil {
				checkFuzzError(t, err)
				return
			}
		}
	})
}

func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) || fe.File != "fuzz.npz" {
		t.Fatalf("error %v (%T) is not a *FormatError naming the file", err, err)
	}
}

// FuzzNpyMember feeds arbitrary bytes to the parser of one archive member (.npy header and
// data): it must not panic, and a header it accepts must describe data it can decode.
func FuzzNpyMember(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		hdr, err := readNpyHeader(r)
		if err != nil {
			return
		}
		_, nbytes, err := hdr.elems()
		if err != nil || nbytes > int64(len(data)) {
			return
		}
		raw, err := readNpyData(r, nbytes)
		if err != nil {
			return
		}
		switch {
		case hdr.dt.isInt():
			if got := decodeInts(raw, hdr); int64(len(got))*int64(hdr.dt.size) != nbytes {
				t.Fatalf("%d ints decoded from %d bytes of %s", len(got), nbytes, hdr.describe())
			}
		case hdr.dt.size == 8:
			decodeFloat64s(raw, hdr)
		}
	})
}

// FuzzTraceMeta feeds arbitrary JSON to the meta member's decoder: no panic, and a meta it
// accepts encodes and decodes again to the same fields.
func FuzzTraceMeta(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Meta
		if err := m.UnmarshalJSON(data); err != nil {
			return
		}
		b, err := m.MarshalJSON()
		if err != nil {
			return // a NaN or Inf in a float field: not JSON, refused on write
		}
		var again Meta
		if err := again.UnmarshalJSON(b); err != nil {
			t.Fatalf("meta re-encoded as %s does not decode: %v", b, err)
		}
	})
}

// TestFuzzSeeds keeps the committed seed corpora of the fuzz targets above: valid traces and
// members, and the bad files of the reader's error tests.
func TestFuzzSeeds(t *testing.T) {
	path, meta, _ := badBase(t)
	valid, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join(t.TempDir(), "gen.npz")
	spec := DefaultGenSpec()
	spec.Layers, spec.Heads, spec.SeqLen, spec.D, spec.DV = 1, 2, 8, 4, 4
	if err := Generate(gen, spec); err != nil {
		t.Fatal(err)
	}
	generated, err := os.ReadFile(gen)
	if err != nil {
		t.Fatal(err)
	}
	a := readArchive(t, path)
	a.set("K.l1.npy", npyBytes("<i4", false, []int{1, 2, 6, 8}, make([]byte, 10)))
	shortK := filepath.Join(t.TempDir(), "short.npz")
	a.write(t, shortK, 0)
	short, _ := os.ReadFile(shortK)
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/2] ^= 0xff
	fuzzseed.Check(t, "FuzzOpenTrace", map[string][]any{
		"valid":          {valid},
		"valid-synth":    {generated},
		"truncated":      {valid[:len(valid)/3]},
		"short-member":   {short},
		"flipped-byte":   {flipped},
		"empty":          {[]byte{}},
		"not-a-zip":      {[]byte("PK\x03\x04 not really a zip archive")},
		"end-of-archive": {[]byte("PK\x05\x06" + string(make([]byte, 18)))},
	})

	ints := npyBytes("<i2", false, []int{2, 3}, encodeAs("<i2", []int32{1, -2, 3, -4, 5, -32768}))
	fuzzseed.Check(t, "FuzzNpyMember", map[string][]any{
		"int16":           {ints},
		"int8-fortran":    {npyBytes("|i1", true, []int{2, 2}, []byte{1, 2, 3, 0xff})},
		"float64":         {npyBytes("<f8", false, []int{2}, float64Bytes(binary.LittleEndian, []float64{1.5, -2}))},
		"truncated-hdr":   {ints[:12]},
		"short-data":      {ints[:len(ints)-3]},
		"huge-shape":      {npyBytes("<i4", false, []int{1 << 30, 1 << 30}, nil)},
		"negative-shape":  {npyBytes("<i4", false, []int{-1}, nil)},
		"bad-descr":       {npyBytes("<U7", false, []int{1}, make([]byte, 28))},
		"not-npy":         {[]byte("\x93NUMPX\x01\x00")},
		"header-no-close": {[]byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<i4'")},
	})

	mb, err := meta.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	fuzzseed.Check(t, "FuzzTraceMeta", map[string][]any{
		"valid":      {mb},
		"extra":      {[]byte(`{"format":"lrpsim-trace","version":1,"inputs":1,"layers":1,"heads":1,"vendor_note":[1,2]}`)},
		"wrong-type": {[]byte(`{"inputs":"two"}`)},
		"not-object": {[]byte(`[1,2,3]`)},
		"truncated":  {mb[:len(mb)/2]},
	})
}

// TestNpyHeaderLengthBounded: a corrupt header length (4 bytes in .npy version 2) is refused
// before anything that size is allocated; the reader once allocated it first, ~1 GB here, which
// FuzzNpyMember found as a worker that hung and died.
func TestNpyHeaderLengthBounded(t *testing.T) {
	in := []byte("\x93NUMPY\x02\x03er': True, 'shape': (2, 2), }")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readNpyHeader(bytes.NewReader(in))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "header length 975663717") {
		t.Errorf("err %v; want the header length refused", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("reading a 45-byte header allocated %d bytes", got)
	}
}
