// Package dramtrace records the DRAM requests of one simulation and writes them for DRAM
// simulators, one line per request (a whole burst at an aligned address, as lrpsim's memory
// model issued it), in issue order: Ramulator 2's load/store trace (its LoadStoreTrace front
// end: "LD 0x<address>"; lrpsim only reads, so there is no ST), or a CSV with each request's
// issue cycle, channel, address, bytes and data cycles, whose rows match the Ramulator lines
// one for one (README.md gives the format and the Ramulator configs paired with each preset).
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

// Recorder is a sim.Observer that keeps every DRAM request, in a spill file past the first MiB
// of them, so that its memory does not grow with the run. Close it to remove that file.
type Recorder struct {
	spill    spill
	requests int
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{} }

var _ sim.Observer = (*Recorder)(nil)

// OrderFree reports that the recorder minds only the order of the memory's reports (it keeps
// the requests), not how the units' interleave: the event engine keeps its fast path under it.
func (r *Recorder) OrderFree() bool { return true }

// LoadStarted implements sim.Observer (the requests carry their addresses).
func (r *Recorder) LoadStarted(tile int, cycle int64, segs []sim.Segment) {}

// Request implements sim.Observer.
func (r *Recorder) Request(q arch.Request) {
	r.spill.put(q)
	r.requests++
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
func (r *Recorder) Requests() int { return r.requests }

// Close removes the recorder's spill file, if any; the recorder is empty after it.
func (r *Recorder) Close() error {
	r.requests = 0
	return r.spill.close()
}

// Write writes the trace in a format of Formats, streaming the requests from the recording; it
// may be called more than once.
func (r *Recorder) Write(w io.Writer, format string) error {
	bw := bufio.NewWriter(w)
	var line func(arch.Request) error
	switch format {
	case "ramulator2":
		line = func(q arch.Request) error {
			_, err := fmt.Fprintf(bw, "LD 0x%x\n", q.Addr)
			return err
		}
	case "csv":
		fmt.Fprintln(bw, "issue_cycle,channel,address,bytes,op,first_data_cycle,last_data_cycle,tile")
		line = func(q arch.Request) error {
			_, err := fmt.Fprintf(bw, "%d,%d,0x%x,%d,read,%d,%d,%d\n", q.Issue, q.Channel, q.Addr, q.Bytes, q.First, q.Last, q.Tile)
			return err
		}
	default:
		return fmt.Errorf("unknown DRAM trace format %q (want ramulator2 or csv)", format)
	}
	if err := r.spill.each(line); err != nil {
		return err
	}
	return bw.Flush()
}
