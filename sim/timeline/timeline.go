// Package timeline records what the units of one simulation do over time and writes it as a
// Chrome trace-event JSON file, which Perfetto (ui.perfetto.dev) and chrome://tracing open: one
// track per front-end unit (row tasks), per back-end unit (the work of each popped entry), the
// survivor FIFOs' and the K/V buffers' occupancy as counters, and one track per DRAM channel
// (requests, from issue to last data cycle). A cycle window and an event cap bound its size.
package timeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/sim"
)

// Process ids of the tracks, one "process" per kind of unit, so that Perfetto groups them.
const (
	pidFrontEnd = 1
	pidBackEnd  = 2
	pidFIFO     = 3
	pidMemory   = 4
)

// Options bound a recording.
type Options struct {
	// From and To are the cycle window [From, To); To <= 0 means no end.
	From, To int64
	// MaxEvents caps the events kept (0: DefaultMaxEvents); past it the recording stops and the
	// file says so.
	MaxEvents int
}

// DefaultMaxEvents is the event cap when Options.MaxEvents is 0: about 100 MB of JSON.
const DefaultMaxEvents = 1_000_000

// event is one trace event.
type event struct {
	name, cat string
	ph        byte
	ts, dur   int64 // cycles
	pid, tid  int
	args      []arg
}

type arg struct {
	key string
	val int64
}

// Recorder is a sim.Observer that keeps the events of a cycle window.
type Recorder struct {
	opt       Options
	events    []event
	truncated bool
	units     int
	channels  int
	// lastWait and lastBuffer index the latest wait slices, which a wait that continues extends.
	lastWait   map[int]int
	lastBuffer int
	lastDep    int
}

// NewRecorder returns a recorder for a window.
func NewRecorder(opt Options) *Recorder {
	if opt.MaxEvents <= 0 {
		opt.MaxEvents = DefaultMaxEvents
	}
	return &Recorder{opt: opt, lastBuffer: -1, lastDep: -1}
}

var _ sim.Observer = (*Recorder)(nil)

// in reports whether a span [from, to] meets the window.
func (r *Recorder) in(from, to int64) bool {
	return to >= r.opt.From && (r.opt.To <= 0 || from < r.opt.To)
}

func (r *Recorder) add(e event) {
	if len(r.events) >= r.opt.MaxEvents {
		r.truncated = true
		return
	}
	r.events = append(r.events, e)
}

// RowTask implements sim.Observer.
func (r *Recorder) RowTask(unit, head, row int, start, end int64) {
	r.units = max(r.units, unit+1)
	if r.in(start, end) {
		r.add(event{name: fmt.Sprintf("head %d row %d", head, row), cat: "front_end", ph: 'X', ts: start,
			dur: end - start + 1, pid: pidFrontEnd, tid: unit, args: []arg{{"head", int64(head)}, {"row", int64(row)}}})
	}
}

// BackEndWork implements sim.Observer.
func (r *Recorder) BackEndWork(unit, head, row int, marker, keepMax bool, pop, end int64) {
	r.units = max(r.units, unit+1)
	if !r.in(pop, end-1) || end <= pop {
		return
	}
	name := "survivor"
	switch {
	case keepMax:
		name = "row maximum and normalization"
	case marker:
		name = "normalization"
	}
	r.add(event{name: name, cat: "back_end", ph: 'X', ts: pop, dur: end - pop, pid: pidBackEnd, tid: unit,
		args: []arg{{"head", int64(head)}, {"row", int64(row)}}})
}

// FIFOFill implements sim.Observer.
func (r *Recorder) FIFOFill(unit int, cycle int64, entries int) {
	r.units = max(r.units, unit+1)
	if r.in(cycle, cycle) {
		r.add(event{name: fmt.Sprintf("fifo %d", unit), cat: "fifo", ph: 'C', ts: cycle, pid: pidFIFO, tid: 0,
			args: []arg{{"entries", int64(entries)}}})
	}
}

// LoadStarted implements sim.Observer.
func (r *Recorder) LoadStarted(tile int, cycle int64, segs []sim.Segment) {}

// Request implements sim.Observer.
func (r *Recorder) Request(q arch.Request) {
	r.channels = max(r.channels, q.Channel+1)
	if r.in(q.Issue, q.Last) {
		r.add(event{name: fmt.Sprintf("tile %d", q.Tile), cat: "dram", ph: 'X', ts: q.Issue, dur: q.Last - q.Issue + 1,
			pid: pidMemory, tid: q.Channel, args: []arg{{"bytes", q.Bytes}, {"first_data", q.First}, {"offset", q.Offset}}})
	}
}

// BuffersInUse implements sim.Observer.
func (r *Recorder) BuffersInUse(cycle int64, n int) {
	if r.in(cycle, cycle) {
		r.add(event{name: "K/V buffers in use", cat: "memory", ph: 'C', ts: cycle, pid: pidMemory, tid: 0,
			args: []arg{{"buffers", int64(n)}}})
	}
}

// Stalled implements sim.Observer: a "stalled (FIFO full)" slice inside the row task.
func (r *Recorder) Stalled(unit int, from, to int64) {
	if r.in(from, to-1) {
		r.add(event{name: "stalled (FIFO full)", cat: "stall", ph: 'X', ts: from, dur: to - from, pid: pidFrontEnd, tid: unit,
			args: []arg{{"cycles", to - from}}})
	}
}

// Waited implements sim.Observer: a "waiting for memory" slice between row tasks. The reference
// engine reports waits cycle by cycle and the event engine in runs: consecutive ones merge here so
// that both write the same file.
func (r *Recorder) Waited(unit int, from, to int64) {
	if !r.in(from, to-1) {
		return
	}
	if i, ok := r.lastWait[unit]; ok && i < len(r.events) && r.events[i].ts+r.events[i].dur == from {
		r.events[i].dur = to - r.events[i].ts
		r.events[i].args[0].val = r.events[i].dur
		return
	}
	if r.lastWait == nil {
		r.lastWait = map[int]int{}
	}
	r.lastWait[unit] = len(r.events)
	r.add(event{name: "waiting for memory", cat: "wait", ph: 'X', ts: from, dur: to - from, pid: pidFrontEnd, tid: unit,
		args: []arg{{"cycles", to - from}}})
}

// BufferWaited implements sim.Observer: the memory's "load waiting for a buffer" slices.
func (r *Recorder) BufferWaited(from, to int64) {
	r.loadWaited(&r.lastBuffer, "load waiting for a K/V buffer", from, to)
}

// DependencyWaited implements sim.Observer: the memory's "load waiting for the previous layer"
// slices.
func (r *Recorder) DependencyWaited(from, to int64) {
	r.loadWaited(&r.lastDep, "load waiting for the previous layer", from, to)
}

// loadWaited adds a memory wait slice, or extends the last one (*last) when it ends at from.
func (r *Recorder) loadWaited(last *int, name string, from, to int64) {
	if !r.in(from, to-1) {
		return
	}
	if *last >= 0 && *last < len(r.events) && r.events[*last].ts+r.events[*last].dur == from {
		e := &r.events[*last]
		e.dur = to - e.ts
		e.args[0].val = e.dur
		return
	}
	*last = len(r.events)
	r.add(event{name: name, cat: "memory", ph: 'X', ts: from, dur: to - from, pid: pidMemory, tid: -1,
		args: []arg{{"cycles", to - from}}})
}

// Events is the number of events kept.
func (r *Recorder) Events() int { return len(r.events) }

// Truncated reports whether the event cap cut the recording short.
func (r *Recorder) Truncated() bool { return r.truncated }

// WriteJSON writes the trace-event JSON: {"traceEvents": [...], "displayTimeUnit": "ns",
// "otherData": {...}}. Timestamps are in microseconds of the simulated clock (clockGHz). Events
// at or after the run's end (cycles) are bookkeeping the event engine may do after the last busy
// cycle, such as a buffer returning to the pool, and are left out.
func (r *Recorder) WriteJSON(w io.Writer, clockGHz float64, cycles int64, about map[string]string) error {
	bw := bufio.NewWriter(w)
	us := func(cycles int64) string {
		return strconv.FormatFloat(float64(cycles)/(clockGHz*1000), 'f', -1, 64)
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	fmt.Fprint(bw, "{\"traceEvents\":[\n")
	first := true
	emit := func(s string) {
		if !first {
			fmt.Fprint(bw, ",\n")
		}
		first = false
		fmt.Fprint(bw, s)
	}
	meta := func(pid, tid int, what, name string) {
		emit(fmt.Sprintf(`{"name":%s,"ph":"M","pid":%d,"tid":%d,"args":{"name":%s}}`, q(what), pid, tid, q(name)))
	}
	meta(pidFrontEnd, 0, "process_name", "front-end units (row tasks)")
	meta(pidBackEnd, 0, "process_name", "back-end units (exp, multipliers, normalization)")
	meta(pidFIFO, 0, "process_name", "survivor FIFOs")
	meta(pidMemory, 0, "process_name", "memory (DRAM requests per channel, K/V buffers)")
	for u := 0; u < r.units; u++ {
		meta(pidFrontEnd, u, "thread_name", fmt.Sprintf("unit %d", u))
		meta(pidBackEnd, u, "thread_name", fmt.Sprintf("unit %d", u))
	}
	for c := 0; c < r.channels; c++ {
		meta(pidMemory, c, "thread_name", fmt.Sprintf("channel %d", c))
	}
	meta(pidMemory, -1, "thread_name", "buffer waits")
	// Time order, track by track: the engines hear of some spans (waits) at different moments,
	// and a viewer wants them sorted anyway. Equal keys keep the order of the cycle model.
	events := append([]event(nil), r.events...)
	sort.SliceStable(events, func(i, j int) bool {
		a, b := &events[i], &events[j]
		if a.ts != b.ts {
			return a.ts < b.ts
		}
		if a.pid != b.pid {
			return a.pid < b.pid
		}
		return a.tid < b.tid
	})
	kept := 0
	for _, e := range events {
		if e.ts >= cycles {
			continue
		}
		kept++
		s := fmt.Sprintf(`{"name":%s,"cat":%s,"ph":"%c","ts":%s,"pid":%d,"tid":%d`, q(e.name), q(e.cat), e.ph, us(e.ts), e.pid, e.tid)
		if e.ph == 'X' {
			s += `,"dur":` + us(e.dur)
		}
		s += `,"args":{`
		for i, a := range e.args {
			if i > 0 {
				s += ","
			}
			s += q(a.key) + ":" + strconv.FormatInt(a.val, 10)
		}
		emit(s + "}}")
	}
	fmt.Fprint(bw, "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{")
	keys := []string{"window_from_cycle", "window_to_cycle", "events", "truncated", "clock_ghz"}
	vals := map[string]string{"window_from_cycle": strconv.FormatInt(r.opt.From, 10),
		"window_to_cycle": strconv.FormatInt(r.opt.To, 10), "events": strconv.Itoa(kept),
		"truncated": strconv.FormatBool(r.truncated), "clock_ghz": strconv.FormatFloat(clockGHz, 'g', -1, 64)}
	for k, v := range about {
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	sort.Strings(keys[5:])
	for i, k := range keys {
		if i > 0 {
			fmt.Fprint(bw, ",")
		}
		fmt.Fprintf(bw, "%s:%s", q(k), q(vals[k]))
	}
	fmt.Fprint(bw, "}}\n")
	return bw.Flush()
}
