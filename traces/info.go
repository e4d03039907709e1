package traces

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// IntRange is the range of an integer quantity over the inputs of a trace (head shapes and
// integer thresholds may differ between inputs).
type IntRange struct{ Min, Max int64 }

// add extends the range to v; a zero range with first set is empty.
func (r *IntRange) add(v int64, first bool) {
	if first {
		r.Min, r.Max = v, v
		return
	}
	r.Min, r.Max = min(r.Min, v), max(r.Max, v)
}

// String prints "128" for a single value and "100..128" for a range.
func (r IntRange) String() string {
	if r.Min == r.Max {
		return fmt.Sprint(r.Min)
	}
	return fmt.Sprintf("%d..%d", r.Min, r.Max)
}

// Counts are survivor counts: allowed (query, key) pairs (valid and not masked) and those kept
// by the integer comparator q.k >= T; valid query rows and those that keep no key.
type Counts struct {
	Allowed, Kept   int64
	Rows, EmptyRows int64
}

// SurvivorRate is Kept / Allowed (0 when nothing is allowed).
func (c Counts) SurvivorRate() float64 {
	if c.Allowed == 0 {
		return 0
	}
	return float64(c.Kept) / float64(c.Allowed)
}

// EmptyRowRate is EmptyRows / Rows (0 when there are no rows).
func (c Counts) EmptyRowRate() float64 {
	if c.Rows == 0 {
		return 0
	}
	return float64(c.EmptyRows) / float64(c.Rows)
}

func (c *Counts) addCounts(o Counts) {
	c.Allowed += o.Allowed
	c.Kept += o.Kept
	c.Rows += o.Rows
	c.EmptyRows += o.EmptyRows
}

// HeadSummary describes one (layer, head) over all inputs.
type HeadSummary struct {
	Head                   int
	N, M, D, DV            IntRange // shapes over the inputs
	ValidQ, ValidK         IntRange // valid lengths over the inputs
	Threshold              float64  // real units
	T                      IntRange // integer threshold (depends on d, so it may vary)
	ScaleQ, ScaleK, ScaleV float64
	Counts
}

// LayerSummary describes one layer: its heads and the counts over all its heads and inputs.
type LayerSummary struct {
	Layer int
	Heads []HeadSummary
	Counts
}

// Summary is what `lrpsim trace info` reports about a trace.
type Summary struct {
	Meta   Meta
	Layers []LayerSummary
	Total  Counts
}

// CountHead counts the allowed pairs of a head and those with q_int.k_int >= T, with a plain
// integer dot product.
func CountHead(h *Head) Counts {
	c := Counts{Rows: int64(h.ValidQ)}
	t := h.IntThreshold()
	for i := range h.ValidQ {
		var kept int64
		for j := range h.ValidK {
			if !h.KeyAllowed(i, j) {
				continue
			}
			c.Allowed++
			if t == KeepAll || (t != PruneAll && h.Dot(i, j) >= t) {
				kept++
			}
		}
		c.Kept += kept
		if kept == 0 {
			c.EmptyRows++
		}
	}
	return c
}

// Summarize reads every head of the trace (one at a time) and gathers shapes, thresholds and
// survivor counts per head and layer.
func Summarize(r *Reader) (*Summary, error) {
	m := r.Meta()
	s := &Summary{Meta: m, Layers: make([]LayerSummary, m.Layers)}
	for l := range s.Layers {
		s.Layers[l] = LayerSummary{Layer: l, Heads: make([]HeadSummary, m.Heads)}
	}
	for idx := range r.NumHeads() {
		h, err := r.Head(idx)
		if err != nil {
			return nil, err
		}
		hs := &s.Layers[h.Layer].Heads[h.Index]
		first := h.Input == 0
		hs.Head = h.Index
		hs.N.add(int64(h.N), first)
		hs.M.add(int64(h.M), first)
		hs.D.add(int64(h.D), first)
		hs.DV.add(int64(h.DV), first)
		hs.ValidQ.add(int64(h.ValidQ), first)
		hs.ValidK.add(int64(h.ValidK), first)
		hs.T.add(h.IntThreshold(), first)
		hs.Threshold, hs.ScaleQ, hs.ScaleK, hs.ScaleV = h.Threshold, h.ScaleQ, h.ScaleK, h.ScaleV
		c := CountHead(h)
		hs.addCounts(c)
		s.Layers[h.Layer].addCounts(c)
		s.Total.addCounts(c)
	}
	return s, nil
}

// InfoText prints a human-readable description of the trace: provenance (model, task, source,
// synthetic or not, metric, generator), dimensions, bits, causal mask, and per layer the head
// shapes, thresholds in real units and as integers, scales, and survivor rates counted over
// the allowed pairs with a plain integer dot product. It reads every head.
func InfoText(w io.Writer, r *Reader) error {
	s, err := Summarize(r)
	if err != nil {
		return err
	}
	m := s.Meta
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	kv := func(k, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, args...)...)
	}
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	kv("trace", "%s", r.Path())
	kv("format", "%s v%d", m.Format, m.Version)
	kv("model", "%s", m.Model)
	kv("task", "%s", m.Task)
	source := wrapValue("", m.Source, infoValueWidth)
	kv("source", "%s", source[0])
	for _, l := range source[1:] {
		fmt.Fprintf(tw, "\t%s\n", l)
	}
	kv("synthetic", "%s", yesNo(m.Synthetic))
	for _, name := range []string{"metric", "generator"} {
		lines := metaFieldLines(r.rawMeta, name, infoValueWidth)
		kv(name, "%s", lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(tw, "\t%s\n", l)
		}
	}
	if len(m.Extra) > 0 {
		keys := make([]string, 0, len(m.Extra))
		for k := range m.Extra {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		kv("other meta", "%s", strings.Join(keys, ", "))
	}
	kv("inputs", "%d", m.Inputs)
	kv("layers", "%d", m.Layers)
	kv("heads", "%d per layer", m.Heads)
	kv("bits", "q %d, k %d, v %d", m.BitsQ, m.BitsK, m.BitsV)
	kv("causal", "%s", yesNo(m.Causal))
	kv("empty_row", "%s", m.EmptyRow)
	kv("thresholds", "per %s", m.ThresholdGranularity)
	kv("survivors", "%s", countsText(s.Total))
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, ls := range s.Layers {
		fmt.Fprintf(w, "\nlayer %d: survivors %s\n", ls.Layer, countsText(ls.Counts))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "head\tq\tk\tv\tvalid q\tvalid k\tthreshold\tT\tscale_q\tscale_k\tscale_v\tsurvivors\tempty rows\t")
		for _, hs := range ls.Heads {
			fmt.Fprintf(tw, "%d\t[%v, %v]\t[%v, %v]\t[%v, %v]\t%v\t%v\t%s\t%s\t%.6g\t%.6g\t%.6g\t%.2f%%\t%.2f%%\t\n",
				hs.Head, hs.N, hs.D, hs.M, hs.D, hs.M, hs.DV, hs.ValidQ, hs.ValidK, thresholdText(hs.Threshold), intThresholdText(hs.T),
				hs.ScaleQ, hs.ScaleK, hs.ScaleV, 100*hs.SurvivorRate(), 100*hs.EmptyRowRate())
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// countsText renders survivor counts: "25.00% (4096 of 16384 allowed pairs); 0.00% of 128
// rows keep no key".
func countsText(c Counts) string {
	return fmt.Sprintf("%.2f%% (%d of %d allowed pairs); %.2f%% of %d rows keep no key",
		100*c.SurvivorRate(), c.Kept, c.Allowed, 100*c.EmptyRowRate(), c.Rows)
}

func thresholdText(th float64) string {
	if math.IsInf(th, -1) {
		return "-inf"
	}
	return fmt.Sprintf("%.6g", th)
}

func intThresholdText(t IntRange) string {
	switch {
	case t.Min == KeepAll && t.Max == KeepAll:
		return "keep all"
	case t.Min == PruneAll && t.Max == PruneAll:
		return "prune all"
	}
	return t.String()
}
