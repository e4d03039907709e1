package arch

// A paced run is a processing unit bounded by its back end: its FIFO is full, so the back end
// pops an entry whenever it is ready (every M = ceil(dv / macs) cycles for a survivor) and the
// front end, holding a survivor the full FIFO refused, pushes one entry in each pop's cycle (the
// refused push's retry) and none in between. RunPaced advances such a unit over the whole run
// of entries at once, cycle by cycle in the cycle model's order (the back end's pop before the
// front end's assignments, decisions and push), without an engine's trip per event: what the
// unit does in those cycles cannot reach another unit as long as its task cannot end.

// Paced is what a paced run did, for the engine's bookkeeping: every entry it pushed was a
// survivor of the front end's task, and every entry it popped too but those in Foreign.
type Paced struct {
	Pops     int   // entries the back end popped
	LastPop  int64 // cycle of the last pop (when Pops > 0)
	End      int64 // cycle after the last popped entry's work (when Pops > 0)
	Untold   int   // entries pushed that the listener was not told of (RunPaced's tell off)
	LastPush int64 // cycle of the last push (when some entry was pushed)
	Last     int64 // last cycle the front end has processed
	Skipped  int   // of the pops, those done in closed form (skipPaced)
	// Foreign are the popped entries that were not survivors of the task (older entries in
	// the FIFO: another row's, another tile's, markers), in pop order; the slice is the unit's
	// and is reused by its next run.
	Foreign []PacedPop
}

// PacedPop is an entry a paced run popped at cycle At, its work ending before End.
type PacedPop struct {
	Entry
	At, End int64
}

// PacedReady reports whether the unit, having processed the cycle in which its back end popped
// from f, is in a paced run: its task's decisions are computed ahead (no bit-serial lanes), it
// holds a survivor the full FIFO f refused, its marker is not due and its task cannot end in
// its next cycle.
func (u *FrontEndUnit) PacedReady(f *FIFO) bool {
	return u.busy && u.task.Operands == nil && u.holding > 0 && !f.CanPush() && u.CannotEndNextCycle()
}

// ownEntry reports whether e is a survivor of the task in progress (one that takes the back
// end M cycles, counted with the task's head and tile).
func (u *FrontEndUnit) ownEntry(e *Entry) bool {
	t := &u.task
	return !e.Marker && e.Tag == t.Tag && e.Head == t.Head && e.Row == t.Row && e.DV == t.DV
}

// foreignIn counts the entries of f that are not the task's own.
func (u *FrontEndUnit) foreignIn(f *FIFO) int {
	n := 0
	for i := range f.n {
		if !u.ownEntry(&f.ring[(f.head+i)%len(f.ring)]) {
			n++
		}
	}
	return n
}

// RunPaced runs a unit that PacedReady found paced, from the cycle after last (the cycle of
// its back end's last pop, which its front end has processed), for as long as the run lasts:
// each pop's push refills the FIFO and the task cannot end in the front end's next cycle. The
// listener hears every decision and refusal as Cycle tells them, and every push when tell is
// set (else Paced.Untold counts them for the engine to account in bulk).
//
// With check off, the run goes on after a pop that no push refilled, as if the FIFO stayed
// full, and the closed form skips stretches without proving that the lanes keep it full:
// wrong, and only for the test that shows the engines then disagree.
func (u *FrontEndUnit) RunPaced(b *BackEndUnit, f *FIFO, last int64, tell, check bool) (r Paced) {
	r.Last = last
	r.Foreign = u.pacedPops[:0]
	defer func() { u.pacedPops = r.Foreign }()
	foreign := u.foreignIn(f) // still in the FIFO
	for {
		c := b.NextEvent(f)
		if c == Never {
			return r
		}
		// The front end's cycles up to the pop's: assignments and decisions; the FIFO is full,
		// so it pushes nothing before the pop.
		for t := r.Last + 1; t < c; t++ {
			if !u.CannotEndNextCycle() {
				return r
			}
			u.pacedCycle(t, f, false, tell, &r)
		}
		own := u.ownEntry(f.oldest())
		e, end := b.PopAt(c, f)
		if !own {
			r.Foreign = append(r.Foreign, PacedPop{Entry: e, At: c, End: end})
			foreign--
		}
		r.Pops++
		r.LastPop, r.End = c, end
		if !u.CannotEndNextCycle() {
			return r // the engine runs the front end's cycle c (the retry) itself
		}
		pushed := u.pacedCycle(c, f, true, tell, &r)
		if pushed == 0 && check {
			return r // the FIFO is no longer full: the run is over
		}
		if !tell && pushed == 1 && foreign == 0 {
			u.skipPaced(b, f, c, check, &r) // a stretch the closed form proves, if any
		}
	}
}

// pacedCycle is the front end's cycle c of a paced run (Cycle's rules with the task not
// ending): key assignment, the decisions due, and, in a pop's cycle, the push into the one
// free FIFO slot. It returns the entries pushed.
func (u *FrontEndUnit) pacedCycle(c int64, f *FIFO, pop, tell bool, r *Paced) int {
	if c >= u.keysStart && u.next < u.slots {
		u.assign(c)
	}
	if u.nstep > 0 {
		u.decideAt(c)
	}
	pushed, refused := 0, u.holding > 0
	if pop {
		pushed, refused = u.pushHeld(c, f, tell)
		if pushed > 0 {
			r.LastPush = c
			if !tell {
				r.Untold += pushed
			}
		}
	}
	u.noteRefusal(c, refused)
	r.Last = c
	return pushed
}
