package traces

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"codeberg.org/sbinet/npyio/npz"

	"github.com/lrpsim/lrpsim/internal/safeio"
)

// intDtypes is the dtype part of the expected text of q, k and v.
const intDtypes = "int8, int16 or int32 of shape "

// Reader reads a trace one head at a time, so that its memory stays bounded by one head
// whatever the size of the file. Open reads and validates the meta and the small per-layer
// arrays; Head reads and validates one head. Head may be called from several goroutines at
// once; Close must not run concurrently with any other method.
type Reader struct {
	path    string
	f       *os.File    // nil for an in-memory trace
	data    io.ReaderAt // the archive: f, or the bytes of OpenBytes
	size    int64
	z       *npz.Reader
	entries map[string]string // member name, without ".npy" -> zip entry name
	meta    Meta
	rawMeta []byte

	threshold, scaleQ, scaleK, scaleV []float64 // [L, H], row-major
	validQ, validK                    []int32   // [B, L, H], row-major
}

// Open opens a trace file and validates its meta, its threshold, scale and valid-length
// arrays, and that every head's q, k and v members are present. Heads themselves are read and
// validated by Head. Every format problem is returned as a *FormatError.
func Open(path string) (*Reader, error) {
	// Checked before opening: a FIFO would block, and a device would read as a corrupt archive.
	f, st, err := safeio.Open(path, "a trace file (a regular .npz file)")
	var nr *safeio.NotRegularError
	if errors.As(err, &nr) {
		return nil, &FormatError{File: path, Expected: nr.Expected, Got: nr.Got}
	}
	if err != nil {
		return nil, fileError(path, err)
	}
	r := &Reader{path: path, f: f, data: f, size: st.Size()}
	if err := r.init(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return r, nil
}

// OpenBytes opens a trace held in memory (a bundled trace embedded in the binary); name stands
// for the file in messages and in Path.
func OpenBytes(name string, data []byte) (*Reader, error) {
	r := &Reader{path: name, data: bytes.NewReader(data), size: int64(len(data))}
	if err := r.init(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Reader) init() error {
	var err error
	r.z, err = npz.NewReader(r.data, r.size)
	if err != nil {
		return &FormatError{File: r.path, Expected: "an .npz (zip) archive",
			Got: "a truncated or corrupt archive: " + rootCause(err), Err: err}
	}
	r.entries = make(map[string]string)
	for _, k := range r.z.Keys() {
		name, isNpy := strings.CutSuffix(k, ".npy")
		if _, dup := r.entries[name]; !dup || isNpy {
			r.entries[name] = k // numpy.load accepts both "x.npy" and "x"; prefer "x.npy"
		}
	}
	if fe := r.readMeta(); fe != nil {
		return r.fail(fe)
	}
	if fe := r.readArrays(); fe != nil {
		return r.fail(fe)
	}
	for idx := range r.NumHeads() {
		b, l, h := r.HeadID(idx)
		name := headName(b, l, h)
		for _, s := range []struct{ suffix, shape string }{{".q", "[n, d]"}, {".k", "[m, d]"}, {".v", "[m, dv]"}} {
			if _, ok := r.entries[name+s.suffix]; !ok {
				return r.fail(&FormatError{Field: memberField(name + s.suffix), Expected: intDtypes + s.shape, Got: "no such member"})
			}
		}
	}
	return nil
}

// fail sets the file name of a FormatError.
func (r *Reader) fail(fe *FormatError) *FormatError {
	fe.File = r.path
	return fe
}

// readMember reads one member: it checks the header with check, which returns "" when the
// header is acceptable and otherwise the expected text, and then reads the data bytes.
// want is the expected text reported when the member is missing.
func (r *Reader) readMember(name, want string, check func(npyHeader) string) ([]byte, npyHeader, *FormatError) {
	field := memberField(name)
	entry, ok := r.entries[name]
	if !ok {
		return nil, npyHeader{}, &FormatError{Field: field, Expected: want, Got: "no such member"}
	}
	corrupt := func(err error) *FormatError {
		return &FormatError{Field: field, Expected: "a readable .npy array", Got: err.Error(), Err: err}
	}
	rc, err := r.z.Open(entry)
	if err != nil {
		return nil, npyHeader{}, corrupt(fmt.Errorf("corrupt member: %s", rootCause(err)))
	}
	defer rc.Close()
	hdr, err := readNpyHeader(rc)
	if err != nil {
		return nil, npyHeader{}, corrupt(err)
	}
	if exp := check(hdr); exp != "" {
		return nil, hdr, &FormatError{Field: field, Expected: exp, Got: hdr.describe()}
	}
	_, nbytes, err := hdr.elems()
	if err != nil {
		return nil, hdr, corrupt(err)
	}
	raw, err := readNpyData(rc, nbytes)
	if err != nil {
		return nil, hdr, corrupt(err)
	}
	return raw, hdr, nil
}

func (r *Reader) readMeta() *FormatError {
	const want = "uint8 of shape [bytes]"
	raw, _, fe := r.readMember("meta", want, func(h npyHeader) string {
		if h.dt.kind != 'u' || h.dt.size != 1 || len(h.shape) != 1 {
			return want
		}
		return ""
	})
	if fe != nil {
		return fe
	}
	m, fe := parseMeta(raw)
	if fe != nil {
		return fe
	}
	r.meta, r.rawMeta = m, raw
	return nil
}

// readFloat64s reads a float64 member of the given shape.
func (r *Reader) readFloat64s(name string, shape ...int) ([]float64, *FormatError) {
	want := "float64 of shape " + shapeText(shape)
	raw, hdr, fe := r.readMember(name, want, func(h npyHeader) string {
		if h.dt.kind != 'f' || h.dt.size != 8 || !slices.Equal(h.shape, shape) {
			return want
		}
		return ""
	})
	if fe != nil {
		return nil, fe
	}
	return decodeFloat64s(raw, hdr), nil
}

// readInt32s reads an int32 member of the given shape.
func (r *Reader) readInt32s(name string, shape ...int) ([]int32, *FormatError) {
	want := "int32 of shape " + shapeText(shape)
	raw, hdr, fe := r.readMember(name, want, func(h npyHeader) string {
		if h.dt.kind != 'i' || h.dt.size != 4 || !slices.Equal(h.shape, shape) {
			return want
		}
		return ""
	})
	if fe != nil {
		return nil, fe
	}
	return decodeInts(raw, hdr), nil
}

func (r *Reader) readArrays() *FormatError {
	m := r.meta
	B, L, H := m.Inputs, m.Layers, m.Heads
	var fe *FormatError
	if r.threshold, fe = r.readFloat64s("threshold", L, H); fe != nil {
		return fe
	}
	for i, th := range r.threshold {
		if fe := checkThreshold(i/H, i%H, th); fe != nil {
			return fe
		}
	}
	if m.ThresholdGranularity == GranularityLayer {
		for i, th := range r.threshold {
			if first := r.threshold[i-i%H]; th != first {
				return &FormatError{Field: elemField("threshold", i/H, i%H),
					Expected: fmt.Sprintf("%s, the threshold of head 0 of layer %d (threshold_granularity %q)", formatFloat(first), i/H, GranularityLayer),
					Got:      formatFloat(th)}
			}
		}
	}
	for _, s := range []struct {
		name string
		dst  *[]float64
	}{{"scale_q", &r.scaleQ}, {"scale_k", &r.scaleK}, {"scale_v", &r.scaleV}} {
		if *s.dst, fe = r.readFloat64s(s.name, L, H); fe != nil {
			return fe
		}
		for i, v := range *s.dst {
			if fe := checkScale(s.name, i/H, i%H, v); fe != nil {
				return fe
			}
		}
	}
	for _, s := range []struct {
		name string
		dst  *[]int32
	}{{"valid_q", &r.validQ}, {"valid_k", &r.validK}} {
		if *s.dst, fe = r.readInt32s(s.name, B, L, H); fe != nil {
			return fe
		}
		for i, v := range *s.dst {
			if v < 1 {
				return &FormatError{Field: elemField(s.name, i/(L*H), (i/H)%L, i%H), Expected: "an integer >= 1", Got: fmt.Sprint(v)}
			}
		}
	}
	return nil
}

// Path returns the path the trace was opened with.
func (r *Reader) Path() string { return r.path }

// Meta returns the trace's meta. Its maps are shared with the Reader and must not be modified.
func (r *Reader) Meta() Meta { return r.meta }

// NumHeads returns the number of heads, inputs * layers * heads. Heads are numbered in the
// order input, layer, head: idx = (b*layers + l)*heads + h.
func (r *Reader) NumHeads() int { return r.meta.NumHeads() }

// HeadID returns the input, layer and head of head number idx.
func (r *Reader) HeadID(idx int) (b, l, h int) {
	L, H := r.meta.Layers, r.meta.Heads
	return idx / (L * H), (idx / H) % L, idx % H
}

// HeadIndex returns the number of head (b, l, h), the inverse of HeadID.
func (r *Reader) HeadIndex(b, l, h int) int {
	return (b*r.meta.Layers+l)*r.meta.Heads + h
}

// Head reads head number idx (see HeadID), fills every field of Head and validates it. The
// integers are converted to int32 whatever their stored dtype (int8, int16 or int32).
func (r *Reader) Head(idx int) (*Head, error) {
	if idx < 0 || idx >= r.NumHeads() {
		return nil, fmt.Errorf("traces: %s: head index %d out of range [0, %d)", r.path, idx, r.NumHeads())
	}
	b, l, hh := r.HeadID(idx)
	name := headName(b, l, hh)
	m := r.meta

	qraw, qh, fe := r.readMember(name+".q", intDtypes+"[n, d]", func(h npyHeader) string {
		if !h.dt.isInt() || len(h.shape) != 2 {
			return intDtypes + "[n, d]"
		}
		if h.shape[0] < 1 || h.shape[1] < 1 {
			return intDtypes + "[n, d] with n, d >= 1"
		}
		return ""
	})
	if fe != nil {
		return nil, r.fail(fe)
	}
	n, d := qh.shape[0], qh.shape[1]

	kwant := fmt.Sprintf("%s[m, %d]", intDtypes, d)
	kraw, kh, fe := r.readMember(name+".k", kwant, func(h npyHeader) string {
		if !h.dt.isInt() || len(h.shape) != 2 || h.shape[1] != d {
			return kwant
		}
		if h.shape[0] < 1 {
			return kwant + " with m >= 1"
		}
		return ""
	})
	if fe != nil {
		return nil, r.fail(fe)
	}
	mrows := kh.shape[0]

	vwant := fmt.Sprintf("%s[%d, dv]", intDtypes, mrows)
	vraw, vh, fe := r.readMember(name+".v", vwant, func(h npyHeader) string {
		if !h.dt.isInt() || len(h.shape) != 2 || h.shape[0] != mrows {
			return vwant
		}
		if h.shape[1] < 1 {
			return vwant + " with dv >= 1"
		}
		return ""
	})
	if fe != nil {
		return nil, r.fail(fe)
	}

	lh := l*m.Heads + hh
	head := &Head{
		Input: b, Layer: l, Index: hh,
		N: n, M: mrows, D: d, DV: vh.shape[1],
		Q: decodeInts(qraw, qh), K: decodeInts(kraw, kh), V: decodeInts(vraw, vh),
		ValidQ:    int(r.validQ[idx]),
		ValidK:    int(r.validK[idx]),
		Threshold: r.threshold[lh],
		ScaleQ:    r.scaleQ[lh], ScaleK: r.scaleK[lh], ScaleV: r.scaleV[lh],
		BitsQ: m.BitsQ, BitsK: m.BitsK, BitsV: m.BitsV,
		Causal: m.Causal, KeepMax: m.EmptyRow == EmptyRowKeepMax,
	}
	if fe := head.validate(); fe != nil {
		return nil, r.fail(fe)
	}
	return head, nil
}

// Close closes the file. It is safe to call more than once.
func (r *Reader) Close() error {
	if r.f == nil {
		return nil
	}
	f := r.f
	r.f = nil
	if err := f.Close(); err != nil {
		return fmt.Errorf("traces: closing %s: %w", r.path, err)
	}
	return nil
}

// Validate checks a whole trace file: meta, per-layer arrays and every head. It returns nil or
// the first problem, as a *FormatError.
func Validate(path string) error {
	r, err := Open(path)
	if err != nil {
		return err
	}
	return r.ValidateAll()
}

// ValidateAll reads every head of an open trace, which checks each against the format, and
// closes the reader. It returns nil or the first problem.
func (r *Reader) ValidateAll() error {
	defer r.Close()
	for idx := range r.NumHeads() {
		if _, err := r.Head(idx); err != nil {
			return err
		}
	}
	return r.Close()
}

// shapeText renders a shape as in FORMAT.md: "[2, 4]".
func shapeText(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// rootCause returns the message of the innermost wrapped error, without the chain of
// "could not ..." prefixes that libraries add.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
