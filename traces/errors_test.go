package traces

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// badBase writes the base trace of the bad-input tests: 1 input, 2 layers of 2 heads, q and k
// int16 [5, 8] and [6, 8], v int8 [6, 4], per-head thresholds.
func badBase(t *testing.T) (string, Meta, []*Head) {
	meta := testMeta(1, 2, 2)
	heads := testHeads(meta, fixedShape, 11)
	for _, h := range heads { // valid lengths below n and m, so that n and m themselves are valid
		h.ValidQ, h.ValidK = 4, 5
	}
	path := filepath.Join(t.TempDir(), "base.npz")
	writeTestTrace(t, path, meta, heads)
	return path, meta, heads
}

// TestReaderRejects covers every problem of FORMAT.md's Validation section: each bad file
// gives one *FormatError naming the file, the field, what was expected and what was found.
func TestReaderRejects(t *testing.T) {
	base, _, _ := badBase(t)
	baseBytes, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	setMeta := func(key string, v any) func(*testing.T, *archive) {
		return func(t *testing.T, a *archive) {
			obj := a.metaObject(t)
			if v == nil {
				delete(obj, key)
			} else {
				obj[key] = v
			}
			a.setMetaObject(t, obj)
		}
	}
	setFloat := func(member string, i int, v float64) func(*testing.T, *archive) {
		return func(t *testing.T, a *archive) {
			f, sh := a.floats(t, member)
			f[i] = v
			a.set(member, npyBytes("<f8", false, sh, float64Bytes(binary.LittleEndian, f)))
		}
	}
	setInt32 := func(member string, i int, v int32) func(*testing.T, *archive) {
		return func(t *testing.T, a *archive) {
			x, sh := a.ints(t, member)
			x[i] = v
			a.set(member, npyBytes("<i4", false, sh, encodeAs("<i4", x)))
		}
	}
	// reshape stores member with a new descr and shape, its values cut or zero-padded to fit.
	reshape := func(member, descr string, shape ...int) func(*testing.T, *archive) {
		return func(t *testing.T, a *archive) {
			x, _ := a.ints(t, member)
			n := 1
			for _, d := range shape {
				n *= d
			}
			x = append(x, make([]int32, max(0, n-len(x)))...)[:n]
			a.set(member, npyBytes(descr, false, shape, encodeAs(descr, x)))
		}
	}
	rawMeta := func(raw string) func(*testing.T, *archive) {
		return func(t *testing.T, a *archive) {
			a.set("meta", npyBytes("|u1", false, []int{len(raw)}, []byte(raw)))
		}
	}

	tests := []struct {
		name     string
		file     func(t *testing.T, path string) // writes the bad file; nil: mutate the base
		mutate   func(t *testing.T, a *archive)
		stored   bool   // write the mutated archive with stored (not deflated) members
		corrupt  string // zip entry whose last data byte is flipped in the written file (stored)
		field    string
		expected string // substring of Expected
		got      string // substring of Got
	}{
		// The file as a whole.
		{name: "missing file", file: func(*testing.T, string) {},
			expected: "an existing, readable trace file", got: "no such file or directory"},
		{name: "directory", file: func(t *testing.T, p string) { os.Mkdir(p, 0o755) },
			expected: "a trace file", got: "a directory"},
		{name: "not a zip", file: func(t *testing.T, p string) { os.WriteFile(p, []byte("hello, world\n"), 0o644) },
			expected: "an .npz (zip) archive", got: "a truncated or corrupt archive: zip: not a valid zip file"},
		{name: "truncated archive", file: func(t *testing.T, p string) { os.WriteFile(p, baseBytes[:len(baseBytes)/2], 0o644) },
			expected: "an .npz (zip) archive", got: "a truncated or corrupt archive"},
		{name: "empty file", file: func(t *testing.T, p string) { os.WriteFile(p, nil, 0o644) },
			expected: "an .npz (zip) archive", got: "a truncated or corrupt archive"},

		// Corrupt members.
		{name: "member fails its checksum", stored: true, mutate: func(*testing.T, *archive) {},
			corrupt: "b0.l0.h1.k.npy", field: `member "b0.l0.h1.k"`, expected: "a readable .npy array", got: "corrupt data: zip: checksum error"},
		{name: "member data truncated", mutate: func(t *testing.T, a *archive) {
			d := a.data["b0.l1.h0.q.npy"]
			a.data["b0.l1.h0.q.npy"] = d[:len(d)-10]
		}, field: `member "b0.l1.h0.q"`, expected: "a readable .npy array", got: "truncated data: 70 of 80 bytes"},
		{name: "member data too long", mutate: func(t *testing.T, a *archive) {
			a.data["b0.l1.h0.v.npy"] = append(a.data["b0.l1.h0.v.npy"], 1, 2, 3)
		}, field: `member "b0.l1.h0.v"`, expected: "a readable .npy array", got: "3 bytes after the 24 data bytes"},
		{name: "member not npy", mutate: func(t *testing.T, a *archive) {
			a.data["b0.l0.h0.q.npy"] = []byte("PK not an npy file at all")
		}, field: `member "b0.l0.h0.q"`, expected: "a readable .npy array", got: "malformed .npy header"},
		{name: "npy header cut short", mutate: func(t *testing.T, a *archive) {
			a.data["b0.l0.h0.q.npy"] = a.data["b0.l0.h0.q.npy"][:20]
		}, field: `member "b0.l0.h0.q"`, expected: "a readable .npy array", got: "truncated .npy header"},
		{name: "npy header without newline", mutate: func(t *testing.T, a *archive) {
			b := bytes.Clone(a.data["b0.l0.h0.q.npy"])
			b[10+int(binary.LittleEndian.Uint16(b[8:]))-1] = ' '
			a.data["b0.l0.h0.q.npy"] = b
		}, field: `member "b0.l0.h0.q"`, expected: "a readable .npy array", got: "malformed .npy header"},

		// Missing members.
		{name: "missing meta", mutate: func(t *testing.T, a *archive) { a.remove("meta") },
			field: `member "meta"`, expected: "uint8 of shape [bytes]", got: "no such member"},
		{name: "missing threshold", mutate: func(t *testing.T, a *archive) { a.remove("threshold") },
			field: `member "threshold"`, expected: "float64 of shape [2, 2]", got: "no such member"},
		{name: "missing valid_k", mutate: func(t *testing.T, a *archive) { a.remove("valid_k") },
			field: `member "valid_k"`, expected: "int32 of shape [1, 2, 2]", got: "no such member"},
		{name: "missing head member", mutate: func(t *testing.T, a *archive) { a.remove("b0.l1.h0.v") },
			field: `member "b0.l1.h0.v"`, expected: "int8, int16 or int32 of shape [m, dv]", got: "no such member"},

		// Wrong dtype, rank or shape.
		{name: "k float32", mutate: reshape("b0.l0.h1.k", "<f4", 6, 8),
			field: `member "b0.l0.h1.k"`, expected: "int8, int16 or int32 of shape [m, 8]", got: "float32 [6 8]"},
		{name: "q int64", mutate: reshape("b0.l0.h0.q", "<i8", 5, 8),
			field: `member "b0.l0.h0.q"`, expected: "int8, int16 or int32 of shape [n, d]", got: "int64 [5 8]"},
		{name: "q rank 1", mutate: reshape("b0.l0.h0.q", "<i2", 40),
			field: `member "b0.l0.h0.q"`, expected: "int8, int16 or int32 of shape [n, d]", got: "int16 [40]"},
		{name: "v rank 3", mutate: reshape("b0.l0.h0.v", "|i1", 6, 2, 2),
			field: `member "b0.l0.h0.v"`, expected: "int8, int16 or int32 of shape [6, dv]", got: "int8 [6 2 2]"},
		{name: "d of q and k differ", mutate: reshape("b0.l0.h1.k", "<i2", 6, 4),
			field: `member "b0.l0.h1.k"`, expected: "int8, int16 or int32 of shape [m, 8]", got: "int16 [6 4]"},
		{name: "m of k and v differ", mutate: reshape("b0.l1.h1.v", "|i1", 5, 4),
			field: `member "b0.l1.h1.v"`, expected: "int8, int16 or int32 of shape [6, dv]", got: "int8 [5 4]"},
		{name: "meta not uint8", mutate: func(t *testing.T, a *archive) {
			a.set("meta", npyBytes("<f8", false, []int{2}, float64Bytes(binary.LittleEndian, []float64{1, 2})))
		}, field: `member "meta"`, expected: "uint8 of shape [bytes]", got: "float64 [2]"},
		{name: "threshold wrong shape", mutate: func(t *testing.T, a *archive) {
			a.set("threshold", npyBytes("<f8", false, []int{4}, float64Bytes(binary.LittleEndian, []float64{1, 2, 3, 4})))
		}, field: `member "threshold"`, expected: "float64 of shape [2, 2]", got: "float64 [4]"},
		{name: "scale_v float32", mutate: reshape("scale_v", "<f4", 2, 2),
			field: `member "scale_v"`, expected: "float64 of shape [2, 2]", got: "float32 [2 2]"},
		{name: "valid_q int64", mutate: reshape("valid_q", "<i8", 1, 2, 2),
			field: `member "valid_q"`, expected: "int32 of shape [1, 2, 2]", got: "int64 [1 2 2]"},

		// Empty heads.
		{name: "empty q", mutate: reshape("b0.l0.h0.q", "<i2", 0, 8),
			field: `member "b0.l0.h0.q"`, expected: "[n, d] with n, d >= 1", got: "int16 [0 8]"},
		{name: "empty d", mutate: reshape("b0.l0.h0.q", "<i2", 5, 0),
			field: `member "b0.l0.h0.q"`, expected: "[n, d] with n, d >= 1", got: "int16 [5 0]"},
		{name: "empty k", mutate: reshape("b0.l0.h1.k", "<i2", 0, 8),
			field: `member "b0.l0.h1.k"`, expected: "[m, 8] with m >= 1", got: "int16 [0 8]"},
		{name: "empty v", mutate: reshape("b0.l1.h0.v", "|i1", 6, 0),
			field: `member "b0.l1.h0.v"`, expected: "[6, dv] with dv >= 1", got: "int8 [6 0]"},
		{name: "valid_q zero", mutate: setInt32("valid_q", 2, 0),
			field: `member "valid_q" at [0, 1, 0]`, expected: "an integer >= 1", got: "0"},

		// Valid lengths out of range.
		{name: "valid_q above n", mutate: setInt32("valid_q", 1, 6),
			field: `member "valid_q" at [0, 0, 1]`, expected: "an integer in 1..5 (the rows of b0.l0.h1.q)", got: "6"},
		{name: "valid_k above m", mutate: setInt32("valid_k", 3, 7),
			field: `member "valid_k" at [0, 1, 1]`, expected: "an integer in 1..6 (the rows of b0.l1.h1.k)", got: "7"},
		{name: "valid_k negative", mutate: setInt32("valid_k", 0, -3),
			field: `member "valid_k" at [0, 0, 0]`, expected: "an integer >= 1", got: "-3"},

		// Values outside their bits.
		{name: "q value above bits", mutate: func(t *testing.T, a *archive) {
			x, sh := a.ints(t, "b0.l1.h1.q")
			x[1*8+2] = 2048
			a.set("b0.l1.h1.q", npyBytes("<i2", false, sh, encodeAs("<i2", x)))
		}, field: `member "b0.l1.h1.q"`, expected: "values in [-2048, 2047] (bits_q = 12)", got: "2048 at [1, 2]"},
		{name: "v value below bits", mutate: func(t *testing.T, a *archive) {
			x, sh := a.ints(t, "b0.l0.h0.v")
			x[5*4+3] = -129
			a.set("b0.l0.h0.v", npyBytes("<i2", false, sh, encodeAs("<i2", x)))
		}, field: `member "b0.l0.h0.v"`, expected: "values in [-128, 127] (bits_v = 8)", got: "-129 at [5, 3]"},
		{name: "declared bits too narrow", mutate: setMeta("bits_k", 4),
			field: `member "b0.l0.h0.k"`, expected: "values in [-8, 7] (bits_k = 4)", got: "at [0, 0]"},

		// Bits outside 2..16.
		{name: "bits_q 1", mutate: setMeta("bits_q", 1), field: "meta.bits_q", expected: "an integer in 2..16", got: "1"},
		{name: "bits_v 17", mutate: setMeta("bits_v", 17), field: "meta.bits_v", expected: "an integer in 2..16", got: "17"},

		// Scales.
		{name: "scale NaN", mutate: setFloat("scale_q", 1, math.NaN()),
			field: `member "scale_q" at [0, 1]`, expected: "a finite value > 0", got: "nan"},
		{name: "scale +inf", mutate: setFloat("scale_k", 2, math.Inf(1)),
			field: `member "scale_k" at [1, 0]`, expected: "a finite value > 0", got: "inf"},
		{name: "scale -inf", mutate: setFloat("scale_k", 2, math.Inf(-1)),
			field: `member "scale_k" at [1, 0]`, expected: "a finite value > 0", got: "-inf"},
		{name: "scale zero", mutate: setFloat("scale_v", 3, 0),
			field: `member "scale_v" at [1, 1]`, expected: "a finite value > 0", got: "0"},
		{name: "scale negative", mutate: setFloat("scale_q", 0, -0.5),
			field: `member "scale_q" at [0, 0]`, expected: "a finite value > 0", got: "-0.5"},

		// Thresholds.
		{name: "threshold NaN", mutate: setFloat("threshold", 1, math.NaN()),
			field: `member "threshold" at [0, 1]`, expected: "a finite value or -inf", got: "nan"},
		{name: "threshold +inf", mutate: setFloat("threshold", 3, math.Inf(1)),
			field: `member "threshold" at [1, 1]`, expected: "a finite value or -inf", got: "inf"},
		{name: "layer threshold differs between heads", mutate: func(t *testing.T, a *archive) {
			setMeta("threshold_granularity", "layer")(t, a)
			for i, th := range []float64{1, 1, 1.5, 2.5} {
				setFloat("threshold", i, th)(t, a)
			}
		}, field: `member "threshold" at [1, 1]`, expected: `1.5, the threshold of head 0 of layer 1 (threshold_granularity "layer")`, got: "2.5"},

		// Meta.
		{name: "meta not JSON", mutate: rawMeta(`{"format": "lrpsim-trace",`),
			field: `member "meta"`, expected: "a UTF-8 JSON object", got: "invalid JSON: unexpected end of JSON input"},
		{name: "meta JSON array", mutate: rawMeta(`[1, 2]`),
			field: `member "meta"`, expected: "a UTF-8 JSON object", got: "a JSON array"},
		{name: "meta JSON null", mutate: rawMeta(`null`),
			field: `member "meta"`, expected: "a UTF-8 JSON object", got: "null"},
		{name: "meta not UTF-8", mutate: rawMeta("{\"format\": \"\xff\"}"),
			field: `member "meta"`, expected: "a UTF-8 JSON object", got: "invalid UTF-8"},
		{name: "wrong format", mutate: setMeta("format", "lrpsim-trace-2"),
			field: "meta.format", expected: `"lrpsim-trace"`, got: `"lrpsim-trace-2"`},
		{name: "format missing", mutate: setMeta("format", nil),
			field: "meta.format", expected: `"lrpsim-trace"`, got: "missing"},
		{name: "wrong version", mutate: setMeta("version", 2),
			field: "meta.version", expected: "1", got: "2"},
		{name: "version as string", mutate: setMeta("version", "1"),
			field: "meta.version", expected: "1", got: `"1"`},
		{name: "bad empty_row", mutate: setMeta("empty_row", "drop"),
			field: "meta.empty_row", expected: `"zero" or "keep_max"`, got: `"drop"`},
		{name: "bad threshold_granularity", mutate: setMeta("threshold_granularity", "token"),
			field: "meta.threshold_granularity", expected: `"layer" or "head"`, got: `"token"`},
		{name: "field of wrong type", mutate: setMeta("inputs", "1"),
			field: "meta.inputs", expected: "an integer", got: `"1"`},
		{name: "fractional count", mutate: setMeta("heads", 2.5),
			field: "meta.heads", expected: "an integer", got: "2.5"},
		{name: "bool of wrong type", mutate: setMeta("causal", "no"),
			field: "meta.causal", expected: "a boolean", got: `"no"`},
		{name: "required field missing", mutate: setMeta("causal", nil),
			field: "meta.causal", expected: "a boolean", got: "missing"},
		{name: "zero layers", mutate: setMeta("layers", 0),
			field: "meta.layers", expected: "an integer in 1..", got: "0"},
		{name: "dimensions disagree with arrays", mutate: setMeta("heads", 3),
			field: `member "threshold"`, expected: "float64 of shape [2, 3]", got: "float64 [2 2]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "bad.npz")
			if tc.file != nil {
				tc.file(t, path)
			} else {
				a := readArchive(t, base)
				tc.mutate(t, a)
				method := zip.Deflate
				if tc.stored {
					method = zip.Store
				}
				a.write(t, path, method)
				if tc.corrupt != "" {
					corruptStoredMember(t, path, tc.corrupt)
				}
			}
			before := dirNames(t, dir)
			err := Validate(path)
			t.Log(err)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate: got %v (%T), want a *FormatError", err, err)
			}
			if fe.File != path || fe.Field != tc.field || !strings.Contains(fe.Expected, tc.expected) || !strings.Contains(fe.Got, tc.got) {
				t.Errorf("Validate error\n got File=%q Field=%q Expected=%q Got=%q\nwant File=%q Field=%q Expected~%q Got~%q",
					fe.File, fe.Field, fe.Expected, fe.Got, path, tc.field, tc.expected, tc.got)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, path+": ") || !strings.Contains(msg, "expected ") || strings.Contains(msg, "\n") {
				t.Errorf("message %q is not one line of the form FILE: ...: expected ..., got ...", msg)
			}
			if after := dirNames(t, dir); !reflect.DeepEqual(after, before) {
				t.Errorf("Validate changed the directory: %v -> %v", before, after)
			}
		})
	}
}

// corruptStoredMember flips the last data byte of a stored (uncompressed) member in place.
func corruptStoredMember(t *testing.T, path, entry string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	var off int64 = -1
	var size int64
	for _, f := range zr.File {
		if f.Name == entry {
			if off, err = f.DataOffset(); err != nil {
				t.Fatal(err)
			}
			size = int64(f.UncompressedSize64)
		}
	}
	zr.Close()
	if off < 0 {
		t.Fatalf("no entry %s", entry)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off+size-1] ^= 0x55
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMissingFileWrapsErrNotExist(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope.npz"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing file: %v does not wrap fs.ErrNotExist", err)
	}
}

// TestWriterRejects checks that bad heads and metas are refused with a *FormatError and that
// nothing, not even a temporary file, is left behind.
func TestWriterRejects(t *testing.T) {
	tests := []struct {
		name     string
		meta     func(*Meta)
		head     func(hs []*Head) *Head // the head to write after the first ones
		field    string
		expected string
		got      string
	}{
		{name: "bad meta", meta: func(m *Meta) { m.BitsK = 20 }, field: "meta.bits_k", expected: "2..16", got: "20"},
		{name: "bad meta format", meta: func(m *Meta) { m.Format = "other" }, field: "meta.format", expected: `"lrpsim-trace"`, got: `"other"`},
		{name: "bad meta empty_row", meta: func(m *Meta) { m.EmptyRow = "" }, field: "meta.empty_row", expected: `"zero" or "keep_max"`, got: `""`},
		{name: "out of order", head: func(hs []*Head) *Head { return hs[2] },
			field: "head b0.l1.h0", expected: "head b0.l0.h1 next", got: "b0.l1.h0"},
		{name: "bits differ from meta", head: func(hs []*Head) *Head { hs[1].BitsQ = 10; return hs[1] },
			field: "head b0.l0.h1: bits_q", expected: "12, as in meta.bits_q", got: "10"},
		{name: "causal differs from meta", head: func(hs []*Head) *Head { hs[1].Causal = true; return hs[1] },
			field: "head b0.l0.h1: causal", expected: "false, as in meta.causal", got: "true"},
		{name: "value outside bits", head: func(hs []*Head) *Head { hs[1].K[9] = 5000; return hs[1] },
			field: `member "b0.l0.h1.k"`, expected: "values in [-2048, 2047] (bits_k = 12)", got: "5000 at [1, 1]"},
		{name: "slice length", head: func(hs []*Head) *Head { hs[1].V = hs[1].V[:7]; return hs[1] },
			field: `member "b0.l0.h1.v"`, expected: "6*4 = 24 values", got: "7 values"},
		{name: "empty head", head: func(hs []*Head) *Head { hs[1].N, hs[1].Q = 0, nil; return hs[1] },
			field: `member "b0.l0.h1.q"`, expected: "a non-empty array of shape [n, d]", got: "[0 8]"},
		{name: "valid_q zero", head: func(hs []*Head) *Head { hs[1].ValidQ = 0; return hs[1] },
			field: `member "valid_q" at [0, 0, 1]`, expected: "1..5", got: "0"},
		{name: "valid_k above m", head: func(hs []*Head) *Head { hs[1].ValidK = 7; return hs[1] },
			field: `member "valid_k" at [0, 0, 1]`, expected: "1..6", got: "7"},
		{name: "scale NaN", head: func(hs []*Head) *Head { hs[1].ScaleV = math.NaN(); return hs[1] },
			field: `member "scale_v" at [0, 1]`, expected: "a finite value > 0", got: "nan"},
		{name: "scale zero", head: func(hs []*Head) *Head { hs[1].ScaleQ = 0; return hs[1] },
			field: `member "scale_q" at [0, 1]`, expected: "a finite value > 0", got: "0"},
		{name: "threshold +inf", head: func(hs []*Head) *Head { hs[1].Threshold = math.Inf(1); return hs[1] },
			field: `member "threshold" at [0, 1]`, expected: "a finite value or -inf", got: "inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			meta := testMeta(1, 2, 2)
			if tc.meta != nil {
				tc.meta(&meta)
			}
			hs := testHeads(testMeta(1, 2, 2), fixedShape, 13)
			dir := t.TempDir()
			path := filepath.Join(dir, "out.npz")
			w, err := Create(path, meta)
			if tc.meta != nil {
				checkFormatError(t, err, path, tc.field, tc.expected, tc.got)
				if names := dirNames(t, dir); len(names) != 0 {
					t.Errorf("files left behind: %v", names)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteHead(hs[0]); err != nil {
				t.Fatal(err)
			}
			checkFormatError(t, w.WriteHead(tc.head(hs)), path, tc.field, tc.expected, tc.got)
			if err := w.Close(); err == nil {
				t.Error("Close succeeded with heads missing")
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("files left behind: %v", names)
			}
		})
	}

	t.Run("threshold differs between inputs", func(t *testing.T) {
		meta := testMeta(2, 1, 1)
		hs := testHeads(meta, fixedShape, 13)
		hs[0].Threshold, hs[1].Threshold = 0.5, 0.75
		path := filepath.Join(t.TempDir(), "out.npz")
		w, err := Create(path, meta)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Abort()
		if err := w.WriteHead(hs[0]); err != nil {
			t.Fatal(err)
		}
		checkFormatError(t, w.WriteHead(hs[1]), path, `member "threshold" at [0, 0]`, "the value of input 0", "")
	})
	t.Run("layer threshold differs between heads", func(t *testing.T) {
		meta := testMeta(1, 1, 2)
		meta.ThresholdGranularity = GranularityLayer
		hs := testHeads(meta, fixedShape, 13)
		hs[1].Threshold = hs[0].Threshold + 1
		path := filepath.Join(t.TempDir(), "out.npz")
		w, err := Create(path, meta)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Abort()
		if err := w.WriteHead(hs[0]); err != nil {
			t.Fatal(err)
		}
		checkFormatError(t, w.WriteHead(hs[1]), path, `member "threshold" at [0, 1]`, "the threshold of head 0 of layer 0", "")
	})
}

func checkFormatError(t *testing.T, err error, file, field, expected, got string) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v (%T), want a *FormatError", err, err)
	}
	if fe.File != file || fe.Field != field || !strings.Contains(fe.Expected, expected) || !strings.Contains(fe.Got, got) {
		t.Errorf("error\n got File=%q Field=%q Expected=%q Got=%q\nwant File=%q Field=%q Expected~%q Got~%q",
			fe.File, fe.Field, fe.Expected, fe.Got, file, field, expected, got)
	}
}

// TestWriterAtomic checks that the destination is untouched until Close succeeds: an existing
// file survives an aborted or failed write, and a successful Close replaces it.
func TestWriterAtomic(t *testing.T) {
	meta := testMeta(1, 1, 2)
	hs := testHeads(meta, fixedShape, 17)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.npz")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	keepsOld := func(when string) {
		t.Helper()
		if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
			t.Errorf("%s: destination changed: %q, %v", when, b, err)
		}
		if when == "during writing" {
			return // the temporary file exists
		}
		if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"out.npz"}) {
			t.Errorf("%s: directory holds %v", when, names)
		}
	}

	w, err := Create(path, meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHead(hs[0]); err != nil {
		t.Fatal(err)
	}
	keepsOld("during writing")
	w.Abort()
	w.Abort()
	keepsOld("after Abort")
	if err := w.WriteHead(hs[1]); err == nil {
		t.Error("WriteHead after Abort succeeded")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after Abort succeeded")
	}

	w, err = Create(path, meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHead(hs[0]); err != nil {
		t.Fatal(err)
	}
	err = w.Close()
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(fe.Expected, "2 heads") || !strings.Contains(fe.Got, "1 heads written") {
		t.Errorf("Close with a head missing: %v", err)
	}
	if err2 := w.Close(); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("second Close = %v, want the first error again", err2)
	}
	keepsOld("after a failed Close")

	writeTestTrace(t, path, meta, hs)
	if err := Validate(path); err != nil {
		t.Errorf("after a successful Close: %v", err)
	}
	if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"out.npz"}) {
		t.Errorf("directory holds %v", names)
	}
}
