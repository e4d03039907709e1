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

// Recorder is a sim.Observer that keeps every DRAM request.
type Recorder struct {
	requests []arch.Request
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{} }

var _ sim.Observer = (*Recorder)(nil)

// LoadStarted implements sim.Observer (the requests carry their addresses).
func (r *Recorder) LoadStarted(tile int, cycle int64, segs []sim.Segment) {}

// Request implements sim.Observer.
func (r *Recorder) Request(q arch.Request) { r.requests = append(r.requests, q) }

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
			fmt.Fprintf(bw, "LD 0x%x\n", q.Addr)
		}
	case "csv":
		fmt.Fprintln(bw, "issue_cycle,channel,address,bytes,op,first_data_cycle,last_data_cycle,tile")
		for _, q := range r.requests {
			fmt.Fprintf(bw, "%d,%d,0x%x,%d,read,%d,%d,%d\n", q.Issue, q.Channel, q.Addr, q.Bytes, q.First, q.Last, q.Tile)
		}
	default:
		return fmt.Errorf("unknown DRAM trace format %q (want ramulator2 or csv)", format)
	}
	return bw.Flush()
}
