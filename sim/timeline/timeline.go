// Package timeline records what the units of one simulation do over time and writes it as a
// Chrome trace-event JSON file, which Perfetto (ui.perfetto.dev) and chrome://tracing open: one
// track per front-end unit (row tasks), one per back-end unit and stage (survivors,
// normalizations), the survivor FIFOs' and the K/V buffers' occupancy as counters, and the DRAM
// requests of each channel, one track per request slot (from issue to last data cycle).
//
// Perfetto's trace processor drops a complete event that overlaps another of its track without
// nesting in it, so work that overlaps in time goes on tracks of its own: a request takes the
// lowest slot of its channel free at its issue, and so on. Events go to a spill file as the run
// reports them, so that the memory a recording takes does not grow with the run.
package timeline

import (
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

// slotBits is where a track's group (a channel, a back-end unit and stage) starts in its thread
// id; the slot is below.
const slotBits = 16

// Options bound a recording.
type Options struct {
	// From and To are the cycle window [From, To); To <= 0 means no end.
	From, To int64
	// MaxEvents, when positive, caps the events kept; past it the recording stops and the file
	// says so ("truncated"). 0 keeps every event: the recording's memory does not grow with
	// them, only the file does.
	MaxEvents int
}

// Back-end stages, each on its own tracks.
const (
	stageSurvivor = iota
	stageNormalization
)

// Recorder is a sim.Observer that keeps the events of a cycle window. Close it (or write it)
// to remove its spill file.
type Recorder struct {
	opt       Options
	spill     spill
	events    int
	truncated bool
	units     int
	// dram and backEnd are the slot tracks: per channel, per back-end unit and stage.
	dram    slots
	backEnd slots
	// fifo (per unit) and buffers are the counters.
	fifo    []counter
	buffers counter
	// pendingWait, pendingBuffer and pendingDep are the latest wait slices, held back while a
	// wait that continues them may still extend them.
	pendingWait   []*record
	pendingBuffer *record
	pendingDep    *record
}

// NewRecorder returns a recorder for a window.
func NewRecorder(opt Options) *Recorder {
	return &Recorder{opt: opt}
}

var _ sim.Observer = (*Recorder)(nil)

// in reports whether a span [from, to] meets the window.
func (r *Recorder) in(from, to int64) bool {
	return to >= r.opt.From && (r.opt.To <= 0 || from < r.opt.To)
}

// admit counts one more event, or refuses it past the cap.
func (r *Recorder) admit() bool {
	if r.opt.MaxEvents > 0 && r.events >= r.opt.MaxEvents {
		r.truncated = true
		return false
	}
	r.events++
	return true
}

func (r *Recorder) add(e record) {
	if r.admit() {
		r.spill.put(e)
	}
}

// RowTask implements sim.Observer.
func (r *Recorder) RowTask(unit, head, row int, start, end int64) {
	r.units = max(r.units, unit+1)
	if r.in(start, end) {
		r.add(record{kind: kindRowTask, ts: start, dur: end - start + 1, tid: int64(unit), a: [3]int64{int64(head), int64(row)}})
	}
}

// BackEndWork implements sim.Observer: a survivor's work on the unit's survivor tracks, a row's
// normalization (with or without its maximum) on its normalization tracks, since the two
// overlap when the back end pipelines them.
func (r *Recorder) BackEndWork(unit, head, row int, marker, keepMax bool, pop, end int64) {
	r.units = max(r.units, unit+1)
	if !r.in(pop, end-1) || end <= pop {
		return
	}
	k, stage := kindSurvivor, stageSurvivor
	switch {
	case keepMax:
		k, stage = kindKeepMax, stageNormalization
	case marker:
		k, stage = kindNormalization, stageNormalization
	}
	group := unit<<2 | stage
	tid := int64(group)<<slotBits | int64(r.backEnd.take(group, pop, end))
	r.add(record{kind: k, ts: pop, dur: end - pop, tid: tid, a: [3]int64{int64(head), int64(row)}})
}

// FIFOFill implements sim.Observer: the unit's counter, when its value changes.
func (r *Recorder) FIFOFill(unit int, cycle int64, entries int) {
	r.units = max(r.units, unit+1)
	if !r.in(cycle, cycle) {
		return
	}
	r.fifo = grow(r.fifo, unit)
	r.sample(&r.fifo[unit], record{kind: kindFIFO, ts: cycle, a: [3]int64{int64(unit), int64(entries)}})
}

// LoadStarted implements sim.Observer.
func (r *Recorder) LoadStarted(tile int, cycle int64, segs []sim.Segment) {}

// Request implements sim.Observer: the request on the lowest slot of its channel free at its
// issue.
func (r *Recorder) Request(q arch.Request) {
	r.dram.grow(q.Channel)
	if r.in(q.Issue, q.Last) {
		tid := int64(q.Channel)<<slotBits | int64(r.dram.take(q.Channel, q.Issue, q.Last+1))
		r.add(record{kind: kindRequest, ts: q.Issue, dur: q.Last - q.Issue + 1, tid: tid, a: [3]int64{int64(q.Tile), q.Bytes, q.First}, b: q.Offset})
	}
}

// BuffersInUse implements sim.Observer: the counter, when its value changes.
func (r *Recorder) BuffersInUse(cycle int64, n int) {
	if r.in(cycle, cycle) {
		r.sample(&r.buffers, record{kind: kindBuffers, ts: cycle, a: [3]int64{int64(n)}})
	}
}

// counter holds a counter's latest sample back until its cycle is over, so that the changes of
// one cycle (a push and a pop) make one sample, and records it only when its value differs from
// the last recorded.
type counter struct {
	pending, last  record
	held, recorded bool
}

// value is the value a counter sample carries.
func (e record) value() int64 {
	if e.kind == kindFIFO {
		return e.a[1]
	}
	return e.a[0]
}

// sample takes a counter's new sample e.
func (r *Recorder) sample(c *counter, e record) {
	if c.held && c.pending.ts != e.ts {
		r.settle(c)
	}
	c.pending, c.held = e, true
}

// settle records a counter's held sample if it changed the value.
func (r *Recorder) settle(c *counter) {
	if !c.held {
		return
	}
	c.held = false
	if c.recorded && c.last.value() == c.pending.value() {
		return
	}
	c.last, c.recorded = c.pending, true
	r.add(c.pending)
}

// Stalled implements sim.Observer: a "stalled (FIFO full)" slice inside the row task.
func (r *Recorder) Stalled(unit int, from, to int64) {
	if r.in(from, to-1) {
		r.add(record{kind: kindStall, ts: from, dur: to - from, tid: int64(unit)})
	}
}

// Waited implements sim.Observer: a "waiting for memory" slice between row tasks. The reference
// engine reports waits cycle by cycle and the event engine in runs: consecutive ones merge here so
// that both write the same events.
func (r *Recorder) Waited(unit int, from, to int64) {
	r.pendingWait = grow(r.pendingWait, unit)
	r.wait(&r.pendingWait[unit], kindWait, int64(unit), from, to)
}

// BufferWaited implements sim.Observer: the memory's "load waiting for a buffer" slices.
func (r *Recorder) BufferWaited(from, to int64) {
	r.wait(&r.pendingBuffer, kindBufferWait, -1, from, to)
}

// DependencyWaited implements sim.Observer: the memory's "load waiting for the previous layer"
// slices.
func (r *Recorder) DependencyWaited(from, to int64) {
	r.wait(&r.pendingDep, kindDependencyWait, -1, from, to)
}

// wait extends the pending wait slice *p when [from, to) continues it, or records *p and holds
// a new one back.
func (r *Recorder) wait(p **record, k kind, tid, from, to int64) {
	if !r.in(from, to-1) {
		return
	}
	if *p != nil && (*p).ts+(*p).dur == from {
		(*p).dur = to - (*p).ts
		return
	}
	if *p != nil {
		r.spill.put(**p)
		*p = nil
	}
	if r.admit() {
		*p = &record{kind: k, ts: from, dur: to - from, tid: tid}
	}
}

// flushPending records the wait slices and counter samples held back, in a fixed order.
func (r *Recorder) flushPending() {
	for u := 0; u < r.units; u++ {
		if u < len(r.pendingWait) && r.pendingWait[u] != nil {
			r.spill.put(*r.pendingWait[u])
			r.pendingWait[u] = nil
		}
		if u < len(r.fifo) {
			r.settle(&r.fifo[u])
		}
	}
	r.settle(&r.buffers)
	for _, p := range []**record{&r.pendingBuffer, &r.pendingDep} {
		if *p != nil {
			r.spill.put(**p)
			*p = nil
		}
	}
}

// grow returns s with room for index i (per-unit state, indexed by unit rather than kept in a
// map, since every report looks its unit up).
func grow[T any](s []T, i int) []T {
	for len(s) <= i {
		var zero T
		s = append(s, zero)
	}
	return s
}

// Events is the number of events kept.
func (r *Recorder) Events() int { return r.events }

// Truncated reports whether the event cap cut the recording short.
func (r *Recorder) Truncated() bool { return r.truncated }

// Close removes the recording's spill file; the recorder cannot be written after.
func (r *Recorder) Close() error { return r.spill.close() }

// slots assigns overlapping slices of a group (a channel, a back-end unit and stage) to tracks:
// a slice takes the lowest slot whose slices all end by its start, so that a slot's slices are
// disjoint whatever order they are reported in.
type slots struct {
	ends [][]int64 // per group, per slot: the latest end of its slices
}

// grow makes room for group.
func (s *slots) grow(group int) {
	for len(s.ends) <= group {
		s.ends = append(s.ends, nil)
	}
}

// take assigns [from, to) of group to a slot and returns it.
func (s *slots) take(group int, from, to int64) int {
	s.grow(group)
	ends := s.ends[group]
	for i, e := range ends {
		if e <= from {
			ends[i] = to
			return i
		}
	}
	s.ends[group] = append(ends, to)
	return len(ends)
}

// used is the number of slots group has used.
func (s *slots) used(group int) int {
	if group >= len(s.ends) {
		return 0
	}
	return len(s.ends[group])
}

// groups is the number of groups.
func (s *slots) groups() int { return len(s.ends) }
