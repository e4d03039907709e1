// Package dramtrace records the DRAM requests of one simulation and writes them for DRAM
// simulators: Ramulator 2's load/store trace (its LoadStoreTrace front end: one line per
// request, "LD 0x<address>"; lrpsim only reads, so there is no ST), one line per 64-byte line the
// request reads, in issue order; or a CSV with each request's issue cycle, channel, address,
// bytes and data cycles, which DRAMsim3-style timed traces can be made from.
//
// Addresses follow lrpsim's DRAM map: each head's Q, K and V in trace order, each 64-byte
// aligned, heads 4 KiB aligned; a tile's load reads its query block's Q rows, then its keys'
// K rows, then their V rows (several heads' when heads are packed).
package dramtrace

import (
	"bufio"
	"fmt"
	"io"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/sim"
)

// Formats are the output formats.
var Formats = []string{"ramulator2", "csv"}

// LineBytes is the request size of the Ramulator trace: one 64-byte line a request.
const LineBytes = 64

// request is one recorded DRAM request with the ranges of DRAM it reads.
type request struct {
	arch.Request
	ranges []sim.Segment
}

// Recorder is a sim.Observer that keeps every DRAM request.
type Recorder struct {
	segs     map[int][]sim.Segment // tile -> the DRAM ranges of its load
	requests []request
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{segs: map[int][]sim.Segment{}} }

var _ sim.Observer = (*Recorder)(nil)

// LoadStarted implements sim.Observer: it keeps the tile's DRAM ranges until its requests are
// issued.
func (r *Recorder) LoadStarted(tile int, cycle int64, segs []sim.Segment) { r.segs[tile] = segs }

// Request implements sim.Observer: the request's ranges are its [Offset, Offset+Bytes) of the
// tile's load.
func (r *Recorder) Request(q arch.Request) {
	var ranges []sim.Segment
	off, end := q.Offset, q.Offset+q.Bytes
	var at int64 // offset of the current segment in the load
	for _, s := range r.segs[q.Tile] {
		lo, hi := max(off, at), min(end, at+s.Bytes)
		if lo < hi {
			ranges = append(ranges, sim.Segment{Addr: s.Addr + lo - at, Bytes: hi - lo})
		}
		at += s.Bytes
	}
	r.requests = append(r.requests, request{Request: q, ranges: ranges})
}

// RowTask implements sim.Observer (nothing to record).
func (r *Recorder) RowTask(unit, head, row int, start, end int64) {}

// BackEndWork implements sim.Observer (nothing to record).
func (r *Recorder) BackEndWork(unit, head, row int, marker, keepMax bool, pop, end int64) {}

// FIFOFill implements sim.Observer (nothing to record).
func (r *Recorder) FIFOFill(unit int, cycle int64, entries int) {}

// BuffersInUse implements sim.Observer (nothing to record).
func (r *Recorder) BuffersInUse(cycle int64, n int) {}

// Stalled implements sim.Observer (nothing to record).
func (r *Recorder) Stalled(unit int, from, to int64) {}

// Waited implements sim.Observer (nothing to record).
func (r *Recorder) Waited(unit int, from, to int64) {}

// BufferWaited implements sim.Observer (nothing to record).
func (r *Recorder) BufferWaited(from, to int64) {}

// DependencyWaited implements sim.Observer (nothing to record).
func (r *Recorder) DependencyWaited(from, to int64) {}

// Requests is the number of requests recorded.
func (r *Recorder) Requests() int { return len(r.requests) }

// Write writes the trace in a format of Formats.
func (r *Recorder) Write(w io.Writer, format string) error {
	bw := bufio.NewWriter(w)
	switch format {
	case "ramulator2":
		for _, q := range r.requests {
			for _, s := range q.ranges {
				for line := s.Addr / LineBytes * LineBytes; line < s.Addr+s.Bytes; line += LineBytes {
					fmt.Fprintf(bw, "LD 0x%x\n", line)
				}
			}
		}
	case "csv":
		fmt.Fprintln(bw, "issue_cycle,channel,address,bytes,op,first_data_cycle,last_data_cycle,tile")
		for _, q := range r.requests {
			for _, s := range q.ranges {
				fmt.Fprintf(bw, "%d,%d,0x%x,%d,read,%d,%d,%d\n", q.Issue, q.Channel, s.Addr, s.Bytes, q.First, q.Last, q.Tile)
			}
		}
	default:
		return fmt.Errorf("unknown DRAM trace format %q (want ramulator2 or csv)", format)
	}
	return bw.Flush()
}
