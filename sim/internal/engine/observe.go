package engine

import "github.com/lrpsim/lrpsim/arch"

// Observer hears what the units do, cycle by cycle, for timelines and DRAM traces. Both engines
// call it at the same points of the cycle model, so they tell the same story; the calls come in
// nondecreasing cycle order per unit, not globally.
type Observer interface {
	// RowTask: front-end unit ran a row task of a head (its index in the run) over cycles
	// [start, end].
	RowTask(unit, head, row int, start, end int64)
	// BackEndWork: back-end unit popped an entry at pop; its work keeps the unit busy until
	// end (exclusive). A marker ends its row (keepMax: it also carries the row's maximum).
	BackEndWork(unit, head, row int, marker, keepMax bool, pop, end int64)
	// FIFOFill: unit's survivor FIFO holds entries after a push or a pop in cycle.
	FIFOFill(unit int, cycle int64, entries int)
	// LoadStarted: the memory started tile's load at cycle; segs are the DRAM ranges it reads,
	// in load order (offsets in arch.Request count through them).
	LoadStarted(tile int, cycle int64, segs []Segment)
	// Request: one DRAM request of a tile's load.
	Request(r arch.Request)
	// BuffersInUse: K/V buffers holding a tile not yet overwritten, after a change in cycle.
	BuffersInUse(cycle int64, n int)
	// Stalled: front-end unit held a push its FIFO refused over cycles [from, to).
	Stalled(unit int, from, to int64)
	// Waited: front-end unit had no task and waited for memory over cycles [from, to).
	Waited(unit int, from, to int64)
	// BufferWaited: the next tile's load waited for a free K/V buffer over cycles [from, to).
	BufferWaited(from, to int64)
	// DependencyWaited: the next tile's load, a buffer free, waited over cycles [from, to) for
	// the work of the tiles it depends on (the previous layer of its inputs) to end.
	DependencyWaited(from, to int64)
}

// OrderFree is an Observer that minds only the order of what the memory reports (loads,
// requests, buffers in use, buffer and dependency waits), not how the units' reports interleave
// across units: the event engine may then run a back-end-bound unit ahead of the clock
// (runAhead), which tells a unit's reports before other units' of earlier cycles. Each unit's
// own reports, and the memory's, still come in the order of the cycle model. sim/dramtrace's
// recorder is one; a timeline, which writes events in the order it hears them, is not.
type OrderFree interface {
	Observer
	// OrderFree reports whether the observer is order-free (a method, so that a wrapper can
	// say no).
	OrderFree() bool
}

// runsAhead reports whether the event engine may run units ahead of the clock (runAhead) for a
// configuration observed as opts says: not when a V row is fetched on demand (a push then
// reaches the shared memory), nor when the user's observer minds the order of the units'
// reports (OrderFree). The bound analyzer, always attached, does not mind it.
func runsAhead(p *Params, opts Options) bool {
	return !p.VOnDemand && orderFree(opts.Observer)
}

// orderFree reports whether observer o (nil: none) does not mind hearing units out of order:
// none, an OrderFree that says so, or a Fanout of such.
func orderFree(o Observer) bool {
	switch o := o.(type) {
	case nil:
		return true
	case observers:
		for _, x := range o {
			if !orderFree(x) {
				return false
			}
		}
		return true
	case OrderFree:
		return o.OrderFree()
	}
	return false
}

// Segment is a contiguous range of DRAM a load reads.
type Segment = arch.Range

// memoryObserver is the engines' memory listener: it counts each load's SRAM writes, lets the
// workload drop what a reused buffer held, and tells the observer, if any.
type memoryObserver struct {
	st    *Stats
	w     *workload
	obs   Observer
	now   func() int64
	inUse int
}

func (l *memoryObserver) LoadStarted(t *arch.Tile, start, ready int64) {
	l.st.countLoad(l.w.tiles[t.Seq], l.w.p.VOnDemand)
	if l.obs != nil {
		l.inUse++
		l.obs.LoadStarted(t.Seq, start, l.w.tiles[t.Seq].segs)
		l.obs.BuffersInUse(start, l.inUse)
	}
}

func (l *memoryObserver) BufferReused(seq int) {
	l.w.release(seq)
	l.st.releaseTile(seq)
	if l.obs != nil {
		l.inUse--
		l.obs.BuffersInUse(l.now(), l.inUse)
	}
}

func (l *memoryObserver) RequestIssued(r arch.Request) {
	if l.obs != nil {
		l.obs.Request(r)
	}
}

func (l *memoryObserver) BufferWaited(from, to int64) {
	if l.obs != nil {
		l.obs.BufferWaited(from, to)
	}
}

func (l *memoryObserver) DependencyWaited(from, to int64) {
	if l.obs != nil {
		l.obs.DependencyWaited(from, to)
	}
}

// Fanout passes every report to each of obs in order; nil entries are skipped, and one observer
// is returned as it is (nil when there is none).
func Fanout(obs ...Observer) Observer {
	var list observers
	for _, o := range obs {
		if o != nil {
			list = append(list, o)
		}
	}
	switch len(list) {
	case 0:
		return nil
	case 1:
		return list[0]
	}
	return list
}

// observers is Fanout's list.
type observers []Observer

func (f observers) RowTask(unit, head, row int, start, end int64) {
	for _, o := range f {
		o.RowTask(unit, head, row, start, end)
	}
}

func (f observers) BackEndWork(unit, head, row int, marker, keepMax bool, pop, end int64) {
	for _, o := range f {
		o.BackEndWork(unit, head, row, marker, keepMax, pop, end)
	}
}

func (f observers) FIFOFill(unit int, cycle int64, entries int) {
	for _, o := range f {
		o.FIFOFill(unit, cycle, entries)
	}
}

func (f observers) LoadStarted(tile int, cycle int64, segs []Segment) {
	for _, o := range f {
		o.LoadStarted(tile, cycle, segs)
	}
}

func (f observers) Request(r arch.Request) {
	for _, o := range f {
		o.Request(r)
	}
}

func (f observers) BuffersInUse(cycle int64, n int) {
	for _, o := range f {
		o.BuffersInUse(cycle, n)
	}
}

func (f observers) Stalled(unit int, from, to int64) {
	for _, o := range f {
		o.Stalled(unit, from, to)
	}
}

func (f observers) Waited(unit int, from, to int64) {
	for _, o := range f {
		o.Waited(unit, from, to)
	}
}

func (f observers) BufferWaited(from, to int64) {
	for _, o := range f {
		o.BufferWaited(from, to)
	}
}

func (f observers) DependencyWaited(from, to int64) {
	for _, o := range f {
		o.DependencyWaited(from, to)
	}
}
