package traces

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/lrpsim/lrpsim/internal/safeio"
)

// Writer writes a trace head by head. It writes into a temporary file in the directory of the
// destination and renames it onto the destination in Close, so that no partial file ever
// appears there: on any error, or after Abort, the destination is untouched. The destination
// follows the rules of every lrpsim output (package internal/safeio): a symbolic link is
// followed and its target replaced (the link stays); a device, FIFO or socket is written
// through, never replaced (what was written cannot be taken back); a directory is an error.
//
// The usual pattern is
//
//	w, err := traces.Create(path, meta)
//	if err != nil { ... }
//	defer w.Abort() // no-op after a successful Close
//	for each head, in the order input, layer, head { if err := w.WriteHead(h); err != nil { ... } }
//	return w.Close()
//
// Output is deterministic: the same meta and heads give the same bytes.
type Writer struct {
	path   string
	target string // path with symbolic links followed
	tmp    string // the temporary file renamed onto target; "" when written through
	mode   os.FileMode
	f      *os.File
	zw     *zip.Writer
	meta   Meta
	next   int // number of heads written

	threshold, scaleQ, scaleK, scaleV []float64 // [L, H]
	validQ, validK                    []int32   // [B, L, H]

	err      error // sticky I/O error
	done     bool  // closed or aborted: the temporary file is gone
	closed   bool  // Close was called
	closeErr error // result of the first Close
}

// Create validates meta and starts a trace that will appear at path when Close succeeds.
// A zero Format or Version is filled in with FormatName and FormatVersion.
func Create(path string, meta Meta) (*Writer, error) {
	if meta.Format == "" {
		meta.Format = FormatName
	}
	if meta.Version == 0 {
		meta.Version = FormatVersion
	}
	if fe := meta.validate(); fe != nil {
		fe.File = path
		return nil, fe
	}
	if _, err := json.Marshal(meta); err != nil {
		return nil, fmt.Errorf("traces: %s: encoding meta: %w", path, err)
	}
	t, err := safeio.ResolveOutput(path)
	if err != nil {
		return nil, fmt.Errorf("traces: %w", err)
	}
	var f *os.File
	tmp := ""
	if t.Through {
		f, err = safeio.OpenThrough(t.Path)
	} else if f, err = safeio.CreateTemp(t.Path); err == nil {
		tmp = f.Name()
	}
	if err != nil {
		return nil, fmt.Errorf("traces: writing %s: %w", path, err)
	}
	lh, blh := meta.Layers*meta.Heads, meta.NumHeads()
	return &Writer{
		path: path, target: t.Path, tmp: tmp, mode: t.Mode, f: f, zw: zip.NewWriter(f), meta: meta,
		threshold: make([]float64, lh), scaleQ: make([]float64, lh),
		scaleK: make([]float64, lh), scaleV: make([]float64, lh),
		validQ: make([]int32, blh), validK: make([]int32, blh),
	}, nil
}

// zipTime is the modification time of every member, fixed so that output is reproducible.
func zipTime() time.Time { return time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC) }

// writeMember adds one deflated .npy member.
func (w *Writer) writeMember(name, descr string, shape []int, data []byte) error {
	fw, err := w.zw.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Deflate, Modified: zipTime()})
	if err == nil {
		err = writeNpy(fw, descr, shape, data)
	}
	if err != nil {
		w.err = fmt.Errorf("traces: writing member %q of %s: %w", name, w.path, err)
	}
	return w.err
}

// WriteHead validates h and appends it. Heads must come in the order input, layer, head (see
// Reader.HeadID), with the bits and causal flag of the meta. Threshold and scales are stored
// per layer and head, so they must be the same for every input; with threshold_granularity
// "layer" the threshold must also be the same for every head of a layer. The integers are
// stored in the smallest of int8, int16 and int32 that holds the declared bits.
//
// A validation error (a *FormatError) leaves the Writer as it was; an I/O error is final.
func (w *Writer) WriteHead(h *Head) error {
	switch {
	case w.done:
		return fmt.Errorf("traces: %s: WriteHead after Close or Abort", w.path)
	case w.err != nil:
		return w.err
	}
	m := w.meta
	name := h.Name()
	fail := func(field, expected, got string) error {
		return &FormatError{File: w.path, Field: field, Expected: expected, Got: got}
	}
	if w.next >= m.NumHeads() {
		return fail("head "+name, fmt.Sprintf("no more heads (meta: %d inputs x %d layers x %d heads)", m.Inputs, m.Layers, m.Heads), "one more")
	}
	L, H := m.Layers, m.Heads
	b, l, hh := w.next/(L*H), (w.next/H)%L, w.next%H
	if h.Input != b || h.Layer != l || h.Index != hh {
		return fail("head "+name, fmt.Sprintf("head %s next (order: input, layer, head)", headName(b, l, hh)), name)
	}
	for _, c := range []struct {
		field     string
		meta, got int
	}{{"bits_q", m.BitsQ, h.BitsQ}, {"bits_k", m.BitsK, h.BitsK}, {"bits_v", m.BitsV, h.BitsV}} {
		if c.got != c.meta {
			return fail("head "+name+": "+c.field, fmt.Sprintf("%d, as in meta.%s", c.meta, c.field), fmt.Sprint(c.got))
		}
	}
	if h.Causal != m.Causal {
		return fail("head "+name+": causal", fmt.Sprintf("%t, as in meta.causal", m.Causal), fmt.Sprint(h.Causal))
	}
	if fe := h.validate(); fe != nil {
		fe.File = w.path
		return fe
	}
	lh := l*H + hh
	if m.ThresholdGranularity == GranularityLayer && hh > 0 && h.Threshold != w.threshold[l*H] {
		return fail(elemField("threshold", l, hh),
			fmt.Sprintf("%s, the threshold of head 0 of layer %d (threshold_granularity %q)", formatFloat(w.threshold[l*H]), l, GranularityLayer),
			formatFloat(h.Threshold))
	}
	perLH := []struct {
		member string
		dst    []float64
		v      float64
	}{{"threshold", w.threshold, h.Threshold}, {"scale_q", w.scaleQ, h.ScaleQ}, {"scale_k", w.scaleK, h.ScaleK}, {"scale_v", w.scaleV, h.ScaleV}}
	if b > 0 {
		for _, p := range perLH {
			if p.v != p.dst[lh] {
				return fail(elemField(p.member, l, hh),
					fmt.Sprintf("%s, the value of input 0 (one value per layer and head)", formatFloat(p.dst[lh])), formatFloat(p.v))
			}
		}
	}
	for _, x := range []struct {
		suffix     string
		rows, cols int
		data       []int32
		bits       int
	}{{".q", h.N, h.D, h.Q, h.BitsQ}, {".k", h.M, h.D, h.K, h.BitsK}, {".v", h.M, h.DV, h.V, h.BitsV}} {
		descr, size := intDescr(x.bits)
		if err := w.writeMember(name+x.suffix, descr, []int{x.rows, x.cols}, encodeInts(x.data, size)); err != nil {
			return err
		}
	}
	for _, p := range perLH {
		p.dst[lh] = p.v
	}
	w.validQ[w.next], w.validK[w.next] = int32(h.ValidQ), int32(h.ValidK)
	w.next++
	return nil
}

// Close writes the meta and the per-layer arrays, finishes the archive and renames it onto
// the destination path. It fails, leaving nothing at the destination, unless every head the
// meta declares was written. Calling Close again returns the first call's result.
func (w *Writer) Close() error {
	switch {
	case w.closed:
		return w.closeErr
	case w.done:
		return fmt.Errorf("traces: %s: Close after Abort", w.path)
	}
	w.closed = true
	if err := w.finish(); err != nil {
		w.Abort()
		w.closeErr = err
		return err
	}
	w.done = true
	return nil
}

func (w *Writer) finish() error {
	if w.err != nil {
		return w.err
	}
	m := w.meta
	if w.next != m.NumHeads() {
		return &FormatError{File: w.path,
			Expected: fmt.Sprintf("%d heads (%d inputs x %d layers x %d heads)", m.NumHeads(), m.Inputs, m.Layers, m.Heads),
			Got:      fmt.Sprintf("%d heads written", w.next)}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("traces: %s: encoding meta: %w", w.path, err)
	}
	if err := w.writeMember("meta", "|u1", []int{len(raw)}, raw); err != nil {
		return err
	}
	for _, a := range []struct {
		name string
		v    []float64
	}{{"threshold", w.threshold}, {"scale_q", w.scaleQ}, {"scale_k", w.scaleK}, {"scale_v", w.scaleV}} {
		if err := w.writeMember(a.name, "<f8", []int{m.Layers, m.Heads}, encodeFloat64s(a.v)); err != nil {
			return err
		}
	}
	for _, a := range []struct {
		name string
		v    []int32
	}{{"valid_q", w.validQ}, {"valid_k", w.validK}} {
		if err := w.writeMember(a.name, "<i4", []int{m.Inputs, m.Layers, m.Heads}, encodeInts(a.v, 4)); err != nil {
			return err
		}
	}
	if err := w.zw.Close(); err != nil {
		return fmt.Errorf("traces: finishing %s: %w", w.path, err)
	}
	if w.tmp == "" { // written through: nothing to sync or rename
		err = w.f.Close()
		w.f = nil
		if err != nil {
			return fmt.Errorf("traces: writing %s: %w", w.path, err)
		}
		return nil
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("traces: writing %s: %w", w.path, err)
	}
	if err := w.f.Chmod(w.mode); err != nil {
		return fmt.Errorf("traces: writing %s: %w", w.path, err)
	}
	err = w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("traces: writing %s: %w", w.path, err)
	}
	if err := safeio.Rename(w.tmp, w.target); err != nil {
		return fmt.Errorf("traces: writing %s: %w", w.path, err)
	}
	return nil
}

// Abort discards the trace: it closes and removes the temporary file and leaves the
// destination untouched. It is a no-op after Close succeeded, and safe to call more than once.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.f != nil {
		_ = w.f.Close()
		w.f = nil
	}
	// A failure to remove leaves a hidden ".NAME.tmp-*" file; nothing more can be done here.
	if w.tmp != "" {
		_ = os.Remove(w.tmp)
	}
}
