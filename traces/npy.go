package traces

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
)

// dtype is a NumPy dtype as written in an .npy header ("<i2", "|i1", ">f8").
type dtype struct {
	descr string           // header text, without quotes
	kind  byte             // 'i', 'u', 'f', 'c', 'b'; 0 when the descr is not a simple scalar type
	size  int              // bytes per element
	order binary.ByteOrder // nil for single-byte and unparsed types
}

// parseDtype parses a simple scalar dtype descr. Structured and other exotic dtypes come back
// with kind 0 so that they are reported as found, never decoded.
func parseDtype(descr string) dtype {
	descr = strings.Trim(strings.TrimSpace(descr), `'"`)
	dt := dtype{descr: descr}
	if len(descr) < 3 {
		return dt
	}
	var order binary.ByteOrder
	switch descr[0] {
	case '<', '|':
		order = binary.LittleEndian
	case '>':
		order = binary.BigEndian
	case '=':
		order = binary.NativeEndian
	default:
		return dt
	}
	size, err := strconv.Atoi(descr[2:])
	if err != nil || size < 1 || size > 16 {
		return dt
	}
	switch descr[1] {
	case 'i', 'u', 'f', 'c', 'b':
		dt.kind, dt.size, dt.order = descr[1], size, order
	}
	return dt
}

// String names the dtype the way numpy does (int16, float32), with the byte order when it is
// not little-endian.
func (dt dtype) String() string {
	var name string
	switch dt.kind {
	case 'i':
		name = fmt.Sprintf("int%d", 8*dt.size)
	case 'u':
		name = fmt.Sprintf("uint%d", 8*dt.size)
	case 'f':
		name = fmt.Sprintf("float%d", 8*dt.size)
	case 'c':
		name = fmt.Sprintf("complex%d", 8*dt.size)
	case 'b':
		name = "bool"
	default:
		return "dtype " + strconv.Quote(dt.descr)
	}
	if dt.order == binary.BigEndian && dt.size > 1 {
		name += " (big-endian)"
	}
	return name
}

// isInt reports whether the dtype is one of the integer types allowed for q, k and v.
func (dt dtype) isInt() bool {
	return dt.kind == 'i' && (dt.size == 1 || dt.size == 2 || dt.size == 4)
}

// npyHeader is the parsed header of one .npy member.
type npyHeader struct {
	dt      dtype
	shape   []int
	fortran bool
}

// describe renders dtype and shape as in error messages: "float32 [512 32]".
func (h npyHeader) describe() string {
	return fmt.Sprintf("%v %v", h.dt, h.shape)
}

// elems returns the number of elements and the number of data bytes, or an error when the
// shape is negative or its size overflows.
func (h npyHeader) elems() (n, nbytes int64, err error) {
	n = 1
	for _, d := range h.shape {
		if d < 0 {
			return 0, 0, fmt.Errorf("negative dimension in shape %v", h.shape)
		}
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > 1<<50 {
			return 0, 0, fmt.Errorf("shape %v is too large", h.shape)
		}
		n = int64(lo)
	}
	return n, n * int64(h.dt.size), nil
}

// maxNpyHeader is the longest .npy header accepted: numpy's own default limit
// (max_header_size in numpy.lib.format, numpy 1.24 and later).
const maxNpyHeader = 10000

// readNpyHeader parses the .npy header at the start of r with npyio, leaving r at the first
// data byte. npyio's parser panics on some malformed or truncated headers; those panics become
// errors.
func readNpyHeader(r io.Reader) (hdr npyHeader, err error) {
	// The header length is a 2- or 4-byte field that npyio allocates before reading: check it
	// first, so that a corrupt length cannot make the reader allocate gigabytes (found by
	// FuzzNpyMember).
	var pre [12]byte
	n, err := io.ReadFull(r, pre[:10])
	if err != nil {
		return hdr, errors.New("truncated .npy header")
	}
	hlen := int(binary.LittleEndian.Uint16(pre[8:10]))
	if pre[6] >= 2 {
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return hdr, errors.New("truncated .npy header")
		}
		n = 12
		hlen = int(binary.LittleEndian.Uint32(pre[8:12]))
	}
	if hlen > maxNpyHeader {
		return hdr, fmt.Errorf("malformed .npy header: header length %d, numpy's limit is %d", hlen, maxNpyHeader)
	}
	er := &eofReader{r: io.MultiReader(bytes.NewReader(pre[:n]), r)}
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("malformed .npy header") // p is an index error inside npyio
			if er.eof {
				err = errors.New("truncated .npy header")
			}
		}
	}()
	nr, err := npy.NewReader(er)
	if err != nil {
		if er.eof || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return hdr, errors.New("truncated .npy header")
		}
		return hdr, fmt.Errorf("malformed .npy header: %w", err)
	}
	hdr.dt = parseDtype(nr.Header.Descr.Type)
	hdr.shape = append([]int{}, nr.Header.Descr.Shape...)
	hdr.fortran = nr.Header.Descr.Fortran
	return hdr, nil
}

// eofReader records whether its reader reached the end of its data.
type eofReader struct {
	r   io.Reader
	eof bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if errors.Is(err, io.EOF) {
		e.eof = true
	}
	return n, err
}

// readNpyData reads exactly nbytes of array data, then drains r so that the archive's checksum
// is verified and trailing garbage is detected. Memory grows with the data actually present,
// never with what a corrupt header claims.
func readNpyData(r io.Reader, nbytes int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, r, nbytes)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("truncated data: %d of %d bytes", n, nbytes)
		}
		return nil, fmt.Errorf("corrupt data: %w", err)
	}
	extra, err := io.Copy(io.Discard, r)
	if err != nil {
		return nil, fmt.Errorf("corrupt data: %w", err)
	}
	if extra > 0 {
		return nil, fmt.Errorf("%d bytes after the %d data bytes the header declares", extra, nbytes)
	}
	return buf.Bytes(), nil
}

// decodeInts converts integer array data (int8, int16 or int32) to int32, in C order.
func decodeInts(raw []byte, h npyHeader) []int32 {
	n := len(raw) / h.dt.size
	out := make([]int32, n)
	switch h.dt.size {
	case 1:
		for i := range out {
			out[i] = int32(int8(raw[i]))
		}
	case 2:
		for i := range out {
			out[i] = int32(int16(h.dt.order.Uint16(raw[2*i:])))
		}
	case 4:
		for i := range out {
			out[i] = int32(h.dt.order.Uint32(raw[4*i:]))
		}
	}
	return toCOrder(out, h)
}

// decodeFloat64s converts float64 array data to []float64, in C order.
func decodeFloat64s(raw []byte, h npyHeader) []float64 {
	out := make([]float64, len(raw)/8)
	for i := range out {
		out[i] = math.Float64frombits(h.dt.order.Uint64(raw[8*i:]))
	}
	return toCOrder(out, h)
}

// toCOrder reorders Fortran-order (column-major) data into C order (row-major). numpy writes
// Fortran order when it saves a transposed array, so exporters can produce it by accident.
func toCOrder[T any](data []T, h npyHeader) []T {
	if !h.fortran || len(h.shape) < 2 {
		return data
	}
	out := make([]T, len(data))
	idx := make([]int, len(h.shape))
	for c := range out {
		// idx is the multi-index of C offset c; its Fortran offset has the first axis fastest.
		f, stride := 0, 1
		for a := range idx {
			f += idx[a] * stride
			stride *= h.shape[a]
		}
		out[c] = data[f]
		for a := len(idx) - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < h.shape[a] {
				break
			}
			idx[a] = 0
		}
	}
	return out
}

// npyAlign is the alignment numpy gives the start of the array data (numpy.lib.format).
const npyAlign = 64

// writeNpy writes one .npy file, format version 1.0, with the header padded the way numpy
// pads it, so that the array data starts on a 64-byte boundary.
func writeNpy(w io.Writer, descr string, shape []int, data []byte) error {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	shapeText := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		shapeText = "(" + dims[0] + ",)"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shapeText)
	const prefix = 10 // magic (6), version (2), header length (2)
	pad := npyAlign - (prefix+len(dict)+1)%npyAlign
	if pad == npyAlign {
		pad = 0
	}
	hlen := len(dict) + pad + 1
	if hlen > math.MaxUint16 {
		return fmt.Errorf("npy header of %d bytes is too long for format 1.0", hlen)
	}
	var hdr bytes.Buffer
	hdr.WriteString("\x93NUMPY\x01\x00")
	hdr.WriteByte(byte(hlen))
	hdr.WriteByte(byte(hlen >> 8))
	hdr.WriteString(dict)
	hdr.WriteString(strings.Repeat(" ", pad))
	hdr.WriteByte('\n')
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// intDescr is the smallest of int8, int16 and int32 holding bits-bit two's-complement values.
func intDescr(bits int) (descr string, size int) {
	switch {
	case bits <= 8:
		return "|i1", 1
	case bits <= 16:
		return "<i2", 2
	default:
		return "<i4", 4
	}
}

// encodeInts encodes values little-endian, size bytes each (the values must fit).
func encodeInts(v []int32, size int) []byte {
	out := make([]byte, len(v)*size)
	switch size {
	case 1:
		for i, x := range v {
			out[i] = byte(int8(x))
		}
	case 2:
		for i, x := range v {
			binary.LittleEndian.PutUint16(out[2*i:], uint16(int16(x)))
		}
	default:
		for i, x := range v {
			binary.LittleEndian.PutUint32(out[4*i:], uint32(x))
		}
	}
	return out
}

// encodeFloat64s encodes values as little-endian float64.
func encodeFloat64s(v []float64) []byte {
	out := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(out[8*i:], math.Float64bits(x))
	}
	return out
}
