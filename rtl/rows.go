// Package rtl cross-checks lrpsim's cycle model against synthesizable Verilog of the front end:
// the bit-serial lane (lrp_lane.v) and one front-end processing unit (lrp_fe_unit.v), driven by
// a test bench (tb_fe_unit.v) that reads row tasks from a small text format. This package
// writes that format from trace heads, builds and runs the bench under Icarus Verilog or
// Verilator, runs the same rows through the Go model in package arch, and compares the two
// cycle for cycle. README.md describes the RTL, the port protocol and the formats.
package rtl

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/traces"
)

// RowsFormat and RowsVersion head every rows file.
const (
	RowsFormat  = "lrpsim-rtl-rows"
	RowsVersion = 1
)

// Bench limits: the test bench holds one row task at a time in arrays of these sizes.
const (
	MaxKeys = 4096 // allowed keys of one task
	MaxRoom = 4096 // room entries of one task
)

// Params are the parameters of the RTL, named after lrpsim's config keys (front_end.*) and the
// trace's operand widths. Each is a Verilog parameter of lrp_fe_unit and tb_fe_unit.
type Params struct {
	D                int               // head dimension d (Verilog D)
	BitsQ            int               // trace bits_q (BITS_Q)
	BitsK            int               // trace bits_k (BITS_K)
	BitsPerCycle     int               // front_end.bits_per_cycle (BITS_PER_CYCLE)
	Lanes            int               // front_end.lanes (LANES)
	FillCycles       int               // front_end.fill_cycles (FILL_CYCLES)
	DrainCycles      int               // front_end.drain_cycles (DRAIN_CYCLES)
	Scheduling       arch.LaneSchedule // front_end.scheduling (SCHEDULING: 0 dynamic, 1 lockstep)
	EarlyTermination bool              // front_end.early_termination (EARLY_TERMINATION)
	// LaneQReg gives every lane its own copy of the query register (LANE_QREG=1) instead of
	// the unit's shared one. It changes no cycle; it exists to test the lane's register.
	LaneQReg bool
}

// Validate checks that the RTL can be built with p.
func (p Params) Validate() error {
	for _, r := range []struct {
		name      string
		v, lo, hi int
	}{
		{"d", p.D, 1, 4096},
		{"bits_q", p.BitsQ, 2, 16},
		{"bits_k", p.BitsK, 2, 16},
		{"bits_per_cycle", p.BitsPerCycle, 1, 64},
		{"lanes", p.Lanes, 1, 256},
		{"fill_cycles", p.FillCycles, 0, 65535},
		{"drain_cycles", p.DrainCycles, 0, 65535},
	} {
		if r.v < r.lo || r.v > r.hi {
			return fmt.Errorf("rtl: %s = %d, want %d..%d", r.name, r.v, r.lo, r.hi)
		}
	}
	if p.Scheduling != arch.DynamicLanes && p.Scheduling != arch.LockstepLanes {
		return fmt.Errorf("rtl: scheduling %d, want dynamic or lockstep", p.Scheduling)
	}
	return nil
}

// FrontEnd returns the parameters of the Go model's front-end unit that match p.
func (p Params) FrontEnd() arch.FrontEndParams {
	return arch.FrontEndParams{
		Lanes: p.Lanes, BitsK: p.BitsK, BitsPerCycle: p.BitsPerCycle, Scheduling: p.Scheduling,
		EarlyTermination: p.EarlyTermination, FillCycles: p.FillCycles, DrainCycles: p.DrainCycles,
	}
}

// MaxDot is the largest |q.k| for operands of p's widths: d * 2^(bits_q-1) * 2^(bits_k-1).
func (p Params) MaxDot() int64 {
	return int64(p.D) << uint(p.BitsQ+p.BitsK-2)
}

// ClampT maps a threshold onto the range the RTL's comparator holds, [-MaxDot, MaxDot+1].
// Every value of the bound P_t + (2^t-1)*Q+ and every q.k lies in [-MaxDot, MaxDot], so the
// clamped threshold makes exactly the same decisions at every step; this lets lrpsim's
// "keep all" and "prune all" thresholds (-2^62 and 2^62) enter a W-bit register.
func (p Params) ClampT(t int64) int64 {
	m := p.MaxDot()
	return min(max(t, -m), m+1)
}

// Row is one row task for the test bench: what the unit gets at its start, the key planes
// the bench serves, and the environment's back-pressure.
type Row struct {
	Row      int     // query row number in the head (for the logs)
	Gap      int     // idle cycles between the previous task's last cycle and this task's start
	Last     bool    // the row's last task: it pushes the end-of-row marker
	T        int64   // integer threshold, keep iff q.k >= T, as lrpsim uses it
	QPlus    int64   // Q+ of q (sum of its positive elements)
	HasQPlus bool    // QPlus is written and the bench checks the unit's Q+ against it
	Q        []int32 // d elements
	Keys     []int   // allowed key numbers, increasing
	K        []int32 // len(Keys) x d, row-major: K[s*d:(s+1)*d] is key Keys[s]
	// Room is the environment's room pattern: entry i is how many entries the survivor FIFO
	// accepts in the task's cycle r0+i; after the last entry the last one repeats. Empty means
	// room for everything in every cycle.
	Room []int
}

// RoomAt returns the room of the task's cycle r0+i.
func (r *Row) RoomAt(i int64, lanes int) int {
	switch {
	case len(r.Room) == 0:
		return lanes + 1
	case i < int64(len(r.Room)):
		return r.Room[i]
	}
	return r.Room[len(r.Room)-1]
}

// Key returns the d elements of the task's s-th key.
func (r *Row) Key(s, d int) []int32 { return r.K[s*d : (s+1)*d] }

// RowsFromHead returns the row tasks of the given query rows of h, one task per row holding
// every allowed key (no key tiling, so every task is its row's last), with lrpsim's integer
// threshold and Q+. Gaps and room patterns are left empty for the caller to set.
func RowsFromHead(h *traces.Head, rows []int) ([]Row, error) {
	T := h.IntThreshold()
	out := make([]Row, 0, len(rows))
	for _, i := range rows {
		if i < 0 || i >= h.N {
			return nil, fmt.Errorf("rtl: head %s: row %d outside [0, %d)", h.Name(), i, h.N)
		}
		q := h.Q[i*h.D : (i+1)*h.D]
		r := Row{Row: i, Last: true, T: T, QPlus: arch.QPlus(q), HasQPlus: true, Q: q}
		for j := range h.M {
			if h.KeyAllowed(i, j) {
				r.Keys = append(r.Keys, j)
				r.K = append(r.K, h.K[j*h.D:(j+1)*h.D]...)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// ParamsForHead returns p with the head's dimension and operand widths.
func ParamsForHead(p Params, h *traces.Head) Params {
	p.D, p.BitsQ, p.BitsK = h.D, h.BitsQ, h.BitsK
	return p
}

// checkRow reports a row the bench cannot run or that does not fit p.
func checkRow(p Params, idx int, r *Row) error {
	where := fmt.Sprintf("task %d (row %d)", idx, r.Row)
	switch {
	case len(r.Q) != p.D:
		return fmt.Errorf("rtl: %s: q has %d elements, want d = %d", where, len(r.Q), p.D)
	case len(r.K) != len(r.Keys)*p.D:
		return fmt.Errorf("rtl: %s: %d key elements for %d keys of d = %d", where, len(r.K), len(r.Keys), p.D)
	case len(r.Keys) > MaxKeys:
		return fmt.Errorf("rtl: %s: %d keys, the bench holds at most %d", where, len(r.Keys), MaxKeys)
	case len(r.Room) > MaxRoom:
		return fmt.Errorf("rtl: %s: %d room entries, the bench holds at most %d", where, len(r.Room), MaxRoom)
	case r.Gap < 0:
		return fmt.Errorf("rtl: %s: negative gap %d", where, r.Gap)
	case len(r.Room) > 0 && r.Room[len(r.Room)-1] < 1:
		return fmt.Errorf("rtl: %s: the room pattern ends with %d; its last entry repeats and must be >= 1", where, r.Room[len(r.Room)-1])
	}
	for i, v := range r.Room {
		if v < 0 {
			return fmt.Errorf("rtl: %s: room[%d] = %d is negative", where, i, v)
		}
	}
	for s := 1; s < len(r.Keys); s++ {
		if r.Keys[s] <= r.Keys[s-1] {
			return fmt.Errorf("rtl: %s: keys not increasing at %d", where, s)
		}
	}
	if err := fits(r.Q, p.BitsQ); err != nil {
		return fmt.Errorf("rtl: %s: q: %w", where, err)
	}
	if err := fits(r.K, p.BitsK); err != nil {
		return fmt.Errorf("rtl: %s: k: %w", where, err)
	}
	return nil
}

// fits reports the first value that is not a b-bit two's-complement integer.
func fits(v []int32, b int) error {
	lo, hi := int32(-1)<<uint(b-1), int32(1)<<uint(b-1)-1
	for i, x := range v {
		if x < lo || x > hi {
			return fmt.Errorf("element %d = %d does not fit %d bits", i, x, b)
		}
	}
	return nil
}

// WriteRows writes p and the row tasks in the rows format (README.md). Thresholds are written
// clamped with p.ClampT.
func WriteRows(w io.Writer, p Params, rows []Row) error {
	if err := p.Validate(); err != nil {
		return err
	}
	for i := range rows {
		if err := checkRow(p, i, &rows[i]); err != nil {
			return err
		}
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s %d\n", RowsFormat, RowsVersion)
	fmt.Fprintf(bw, "d %d\nbits_q %d\nbits_k %d\nbits_per_cycle %d\nlanes %d\n", p.D, p.BitsQ, p.BitsK, p.BitsPerCycle, p.Lanes)
	fmt.Fprintf(bw, "fill_cycles %d\ndrain_cycles %d\nscheduling %s\nearly_termination %d\n",
		p.FillCycles, p.DrainCycles, p.Scheduling, b2i(p.EarlyTermination))
	fmt.Fprintf(bw, "rows %d\n", len(rows))
	var buf []byte
	for i := range rows {
		r := &rows[i]
		buf = buf[:0]
		buf = fmt.Appendf(buf, "row %d gap %d last %d t %d qplus ", r.Row, r.Gap, b2i(r.Last), p.ClampT(r.T))
		if r.HasQPlus {
			buf = strconv.AppendInt(buf, r.QPlus, 10)
		} else {
			buf = append(buf, "none"...)
		}
		buf = fmt.Appendf(buf, " keys %d room %d", len(r.Keys), len(r.Room))
		for _, v := range r.Room {
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, int64(v), 10)
		}
		buf = append(buf, "\nq"...)
		buf = appendInts(buf, r.Q)
		buf = append(buf, '\n')
		for s, key := range r.Keys {
			buf = append(buf, 'k', ' ')
			buf = strconv.AppendInt(buf, int64(key), 10)
			buf = appendInts(buf, r.Key(s, p.D))
			buf = append(buf, '\n')
		}
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("rtl: writing rows: %w", err)
		}
	}
	bw.WriteString("end\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("rtl: writing rows: %w", err)
	}
	return nil
}

func appendInts(buf []byte, v []int32) []byte {
	for _, x := range v {
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(x), 10)
	}
	return buf
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
