package arch

import "math"

// Never is the cycle of an event that will not happen.
const Never = math.MaxInt64

// BackEndParams are the parameters of one softmax-and-V back-end unit.
type BackEndParams struct {
	Macs        int // multipliers: a survivor takes ceil(dv / Macs) cycles in them
	ExpLatency  int // X: pipelined exp stage ahead of the multipliers
	NormLatency int // N: per-row normalization
	// NormOverlap: the normalizer is a unit of its own, so a row's normalization overlaps the
	// exp and multiplies of the next rows' entries (one normalization at a time); otherwise
	// the back end waits for it before it pops again.
	NormOverlap bool
	// SkipEmptyRows: a row that sent no entry (its output is zero) costs only its marker's pop:
	// no normalization, no divides; otherwise it is normalized like any row.
	SkipEmptyRows bool
}

// Entry is one survivor FIFO entry as the back end sees it.
type Entry struct {
	Row, Key int
	Marker   bool
	// KeepMax: an end-of-row marker that also carries the row's largest score (a keep-max row
	// that kept no key): the back end treats it as one survivor followed by the normalization.
	KeepMax bool
	// Empty: an end-of-row marker of a row that sent the back end no entry.
	Empty   bool
	Tag     int   // the pushing task's tag (the engines use the tile, for buffer release)
	Head    int   // the pushing task's head
	DV      int   // width of the head's V rows
	Visible int64 // first cycle the back end may pop it (push cycle + 1)
}

// FIFO is the bounded survivor queue between a front-end unit and its back-end unit. CanPush is
// the back-pressure: the front end may push only while it reports room.
type FIFO struct {
	depth int
	// ring holds the entries from head on, wrapping; it grows by doubling up to depth, so a
	// deep FIFO that never fills costs no memory for its depth.
	ring    []Entry
	head, n int
	Pushes  int64
	Pops    int64
	MaxFill int
}

// NewFIFO returns an empty FIFO of the given depth.
func NewFIFO(depth int) *FIFO { return &FIFO{depth: depth, ring: make([]Entry, min(depth, 64))} }

// Len is the number of entries held.
func (f *FIFO) Len() int { return f.n }

// Room is how many more entries fit.
func (f *FIFO) Room() int { return f.depth - f.n }

// CanPush reports whether one more entry fits.
func (f *FIFO) CanPush() bool { return f.n < f.depth }

// Push appends e; the caller checks CanPush first.
func (f *FIFO) Push(e Entry) {
	if !f.CanPush() {
		panic("arch: push into a full FIFO")
	}
	if f.n == len(f.ring) {
		grown := make([]Entry, min(2*len(f.ring), f.depth))
		for i := range f.n {
			grown[i] = f.ring[(f.head+i)%len(f.ring)]
		}
		f.ring, f.head = grown, 0
	}
	i := f.head + f.n
	if i >= len(f.ring) {
		i -= len(f.ring)
	}
	f.ring[i] = e
	f.n++
	f.Pushes++
	f.MaxFill = max(f.MaxFill, f.n)
}

// Peek returns the oldest entry, if any.
func (f *FIFO) Peek() (Entry, bool) {
	if f.n == 0 {
		return Entry{}, false
	}
	return f.ring[f.head], true
}

// Pop removes the oldest entry.
func (f *FIFO) Pop() Entry {
	e := f.ring[f.head]
	f.head++
	if f.head == len(f.ring) {
		f.head = 0
	}
	f.n--
	f.Pops++
	return e
}

// oldest is the oldest entry of a FIFO that is not empty.
func (f *FIFO) oldest() *Entry { return &f.ring[f.head] }

// BackEndUnit is one back-end unit (exp stage, multipliers, normalization) as arch/README.md
// defines it. Step runs it cycle by cycle (the reference engine); NextEvent and PopAt run it
// from one pop to the next (the event engine) and account the cycles in between in bulk.
type BackEndUnit struct {
	p         BackEndParams
	readyAt   int64 // first cycle it may pop again
	macEnd    int64 // cycle after the last multiply cycle so far
	busyUntil int64 // cycle after the last busy cycle so far
	normFree  int64 // first cycle the normalizer is free (NormOverlap)

	Survivors     int64 // survivors processed
	KeptMax       int64 // keep-max markers (a row's maximum, processed like a survivor)
	Rows          int64 // normalizations
	SkippedRows   int64 // empty rows that cost only their marker's pop (SkipEmptyRows)
	MacCycles     int64 // cycles the multipliers ran
	BusyCycles    int64
	StarvedCycles int64
}

// NewBackEndUnit returns an idle unit.
func NewBackEndUnit(p BackEndParams) *BackEndUnit { return &BackEndUnit{p: p} }

// MacCyclesPerSurvivor is M = ceil(dv / macs).
func (p BackEndParams) MacCyclesPerSurvivor(dv int) int64 {
	return int64((dv + p.Macs - 1) / p.Macs)
}

// pop is the unit's one rule for an entry popped at cycle c. It returns the cycle after the
// entry's work (busy cycles are [c, end) beyond what earlier entries keep busy) and updates when
// the unit may pop again.

// Normalized reports whether an entry's pop runs a normalization (and its divides).
func (p BackEndParams) Normalized(e Entry) bool {
	return e.Marker && !(e.Empty && p.SkipEmptyRows)
}

func (b *BackEndUnit) pop(c int64, e Entry) (end int64) {
	if !e.Marker || e.KeepMax {
		// A survivor: exp at c .. c+X-1, multipliers at c+X .. c+X+M-1; a new entry may enter
		// the exp stage when the multipliers can take it M cycles later.
		m := b.p.MacCyclesPerSurvivor(e.DV)
		b.macEnd = c + int64(b.p.ExpLatency) + m
		b.readyAt = c + m
		end = b.macEnd
		b.MacCycles += m
		if !e.Marker {
			b.Survivors++
		} else {
			b.KeptMax++
		}
	}
	switch {
	case e.Marker && e.Empty && b.p.SkipEmptyRows:
		// Nothing to normalize: the pop is the row's whole cost.
		end = c + 1
		b.readyAt = end
		b.SkippedRows++
	case e.Marker:
		// The row's normalization starts when its last multiply has finished (and, overlapped,
		// when the normalizer is free). Popping the marker occupies the unit in its pop cycle
		// even with no normalization latency, so the unit is busy at least then.
		n0 := max(c, b.macEnd)
		if b.p.NormOverlap {
			n0 = max(n0, b.normFree)
			b.normFree = n0 + int64(b.p.NormLatency)
		}
		end = max(n0+int64(b.p.NormLatency), c+1)
		if b.p.NormOverlap {
			b.readyAt = max(b.readyAt, c+1) // a keep-max marker's multiplies still hold it
		} else {
			b.readyAt = end
		}
		b.Rows++
	}
	b.busyUntil = max(b.busyUntil, end)
	return end
}

// Step runs cycle c: it pops the oldest entry of f if the unit is ready and the entry visible,
// and counts the cycle as busy or starved. It returns the popped entry and the cycle after its
// work.
func (b *BackEndUnit) Step(c int64, f *FIFO) (popped *Entry, end int64) {
	if c >= b.readyAt {
		if e, ok := f.Peek(); ok && e.Visible <= c {
			f.Pop()
			popped = &e
			end = b.pop(c, e)
		} else {
			b.StarvedCycles++
		}
	}
	if c < b.busyUntil {
		b.BusyCycles++
	}
	return popped, end
}

// NextEvent is the cycle of the unit's next pop from f, or Never while f is empty (a push
// makes a new one).
func (b *BackEndUnit) NextEvent(f *FIFO) int64 {
	if f.Len() == 0 {
		return Never
	}
	return max(f.oldest().Visible, b.readyAt)
}

// PopAt pops the oldest entry of f at cycle c, which must be NextEvent(f), and accounts the
// cycles since the unit was last ready: starved until c, busy over the entry's new cycles.
func (b *BackEndUnit) PopAt(c int64, f *FIFO) (popped Entry, end int64) {
	e := f.Pop()
	b.StarvedCycles += c - b.readyAt
	before := max(c, b.busyUntil)
	end = b.pop(c, e)
	if end > before {
		b.BusyCycles += end - before
	}
	return e, end
}

// Finish accounts, for the event engine, the cycles from the unit's last pop to the run's end
// (cycles): starved while ready and never fed.
func (b *BackEndUnit) Finish(cycles int64) {
	if b.readyAt < cycles {
		b.StarvedCycles += cycles - b.readyAt
	}
}

// OnDemandPort is a unit's survivor port when V rows are fetched on demand (arch/README.md,
// "Traffic"): each survivor's entry, and a keep-max marker's (which carries its row's largest
// key), asks the memory for its key's V row, once per tile, and becomes visible to the back end
// only when the row is in the buffer. The FIFO still pops in order, so a later entry whose row
// is in waits behind it.
type OnDemandPort struct {
	FIFO *FIFO
	Mem  RowFetcher
	// Row is where entry e's V row lies in DRAM and its bytes.
	Row func(e Entry) (addr, bytes int64)
	// Fetched, when set, hears of each row a push fetched (the engines count its SRAM write).
	Fetched func(e Entry)
}

// CanPush implements SurvivorPort.
func (p *OnDemandPort) CanPush() bool { return p.FIFO.CanPush() }

// Push implements SurvivorPort: an entry pushed in cycle c (visible from c+1) that needs a V row
// is visible from when the row is in.
func (p *OnDemandPort) Push(e Entry) {
	if (!e.Marker || e.KeepMax) && e.Key >= 0 {
		addr, bytes := p.Row(e)
		at, fetched := p.Mem.FetchRow(e.Tag, addr, bytes, e.Visible-1)
		if fetched && p.Fetched != nil {
			p.Fetched(e)
		}
		e.Visible = max(e.Visible, at)
	}
	p.FIFO.Push(e)
}

// pacedSince reports whether the unit's last pop, at cycle c, was a survivor taking m cycles in
// the multipliers that left nothing else in progress: it may pop again at c+m, and its work
// ends at c+X+m.
func (b *BackEndUnit) pacedSince(c, m int64) bool {
	end := c + int64(b.p.ExpLatency) + m
	return b.readyAt == c+m && b.macEnd == end && b.busyUntil == end
}

// popSurvivors pops n survivors of m multiplier cycles each from a unit that pacedSince found
// ready at c+m, at cycles c+m, c+2m, ..., c+nm, in closed form: each keeps the multipliers
// busy m cycles more and none starves the unit.
func (b *BackEndUnit) popSurvivors(c, m int64, n int) {
	last := c + int64(n)*m
	b.readyAt = last + m
	b.macEnd = last + int64(b.p.ExpLatency) + m
	b.busyUntil = b.macEnd
	b.Survivors += int64(n)
	b.MacCycles += int64(n) * m
	b.BusyCycles += int64(n) * m
}

// replaceOldest pops n entries and pushes n, of which only the newest min(n, depth) stay, given
// by last (the newest last); f is full before and after, so its ring is depth entries long and
// the n pops and pushes turn it by n.
func (f *FIFO) replaceOldest(n int, last []Entry) {
	f.Pops += int64(n)
	f.Pushes += int64(n)
	d := len(f.ring)
	f.head = (f.head + n) % d
	for i, e := range last {
		f.ring[(f.head+d-len(last)+i)%d] = e
	}
}
