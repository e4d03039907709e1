package arch

// BackEndParams are the parameters of one softmax-and-V back-end unit.
type BackEndParams struct {
	Macs        int // multipliers: a survivor takes ceil(dv / Macs) cycles in them
	ExpLatency  int // X: pipelined exp stage ahead of the multipliers
	NormLatency int // N: per-row normalization
}

// Entry is one survivor FIFO entry as the back end sees it.
type Entry struct {
	Row, Key int
	Marker   bool
	Tile     int   // tile the entry belongs to (for buffer release)
	DV       int   // width of the head's V rows
	Visible  int64 // first cycle the back end may pop it (push cycle + 1)
}

// FIFO is the bounded survivor queue between a front-end unit and its back-end unit. CanPush is
// the back-pressure: the front end may push only while it reports room.
type FIFO struct {
	depth   int
	entries []Entry
	head    int
	Pushes  int64
	Pops    int64
	MaxFill int
}

// NewFIFO returns an empty FIFO of the given depth.
func NewFIFO(depth int) *FIFO { return &FIFO{depth: depth} }

// Len is the number of entries held.
func (f *FIFO) Len() int { return len(f.entries) - f.head }

// Room is how many more entries fit.
func (f *FIFO) Room() int { return f.depth - f.Len() }

// CanPush reports whether one more entry fits.
func (f *FIFO) CanPush() bool { return f.Room() > 0 }

// Push appends e; the caller checks CanPush first.
func (f *FIFO) Push(e Entry) {
	if !f.CanPush() {
		panic("arch: push into a full FIFO")
	}
	f.entries = append(f.entries, e)
	f.Pushes++
	f.MaxFill = max(f.MaxFill, f.Len())
}

// Peek returns the oldest entry, if any.
func (f *FIFO) Peek() (Entry, bool) {
	if f.Len() == 0 {
		return Entry{}, false
	}
	return f.entries[f.head], true
}

// Pop removes the oldest entry.
func (f *FIFO) Pop() Entry {
	e := f.entries[f.head]
	f.head++
	f.Pops++
	if f.head > 1024 && f.head*2 > len(f.entries) {
		f.entries = append(f.entries[:0], f.entries[f.head:]...)
		f.head = 0
	}
	return e
}

// BackEndUnit is the cycle-stepped model of one back-end unit (exp stage, multipliers,
// normalization) as arch/README.md defines it.
type BackEndUnit struct {
	p         BackEndParams
	ReadyAt   int64 // first cycle it may pop again
	MacEnd    int64 // cycle after the last multiply cycle so far
	BusyUntil int64 // cycle after the last busy cycle so far

	Survivors      int64 // survivors processed
	Rows           int64 // normalizations
	MacCycles      int64 // cycles the multipliers ran
	BusyCycles     int64
	StarvedCycles  int64
	LastCompletion int64 // last cycle of any activity, -1 if none
}

// NewBackEndUnit returns an idle unit.
func NewBackEndUnit(p BackEndParams) *BackEndUnit {
	return &BackEndUnit{p: p, LastCompletion: -1}
}

// MacCyclesPerSurvivor is M = ceil(dv / macs).
func (p BackEndParams) MacCyclesPerSurvivor(dv int) int64 {
	return int64((dv + p.Macs - 1) / p.Macs)
}

// Step advances one cycle: it pops the oldest visible entry if the unit is ready, and does the
// accounting. It returns the popped entry and the last cycle of its work, if it popped one.
func (b *BackEndUnit) Step(cycle int64, f *FIFO) (popped *Entry, completes int64) {
	if cycle >= b.ReadyAt {
		e, ok := f.Peek()
		if ok && e.Visible <= cycle {
			f.Pop()
			popped = &e
			if e.Marker {
				n0 := max(cycle, b.MacEnd)
				end := n0 + int64(b.p.NormLatency)
				b.ReadyAt = max(end, cycle+1)
				b.BusyUntil = max(b.BusyUntil, end)
				completes = max(end-1, cycle)
				b.Rows++
			} else {
				m := b.p.MacCyclesPerSurvivor(e.DV)
				macStart := cycle + int64(b.p.ExpLatency)
				b.MacEnd = macStart + m
				b.ReadyAt = cycle + m
				b.BusyUntil = max(b.BusyUntil, b.MacEnd)
				completes = b.MacEnd - 1
				b.Survivors++
				b.MacCycles += m
			}
			b.LastCompletion = max(b.LastCompletion, completes)
		} else {
			b.StarvedCycles++
		}
	}
	if cycle < b.BusyUntil {
		b.BusyCycles++
	}
	return popped, completes
}
