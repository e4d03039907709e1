package arch

import "slices"

// The closed form of a paced run. Once a paced unit's front end keeps every key going to the
// back end (KeepAll) with dynamic lanes, each pop at c frees exactly one lane (its push), which
// takes the next key at c+1 and decides it at most G steps later; so a lane that frees is
// holding again within a = ceil(G/M) pops. If the lanes other than the one just freed are at
// least a, and the lanes holding or deciding in time cover each of the next a-1 pops with one
// to spare, then every pop of the stretch finds a held survivor and leaves one held: the FIFO
// stays full, the pops come every M cycles, the front end is refused in every cycle. Its
// counters then follow from sums over the keys: the steps of the keys assigned, and
// LaneStallCycles, the pushes' cycles less the decisions' (which keys wait is a matter of lane
// numbers, the sum is not). Only which lane holds which key is not followed: lanes are
// interchangeable while nobody hears decisions or pushes one by one (no record, no broadcast K
// reads), so the lanes still busy at the end are given the right keys in lane order.

// pacedLane is a key on a lane, in a closed-form stretch: its slot and the cycle of its
// decision.
type pacedLane struct {
	slot   int
	decide int64
}

// skipScratch holds the lists applySkip and placeLanes fill for one stretch, kept on the unit so
// that a run of many stretches does not allocate them again each time (nothing keeps them past
// the stretch: placeLanes copies the keys into the lanes, replaceOldest the entries into the FIFO).
type skipScratch struct {
	tail, deciding []pacedLane
	newest         []Entry
	lanes          []int
}

// skipPaced advances a paced unit whose push at the pop in cycle c left one lane free over as
// many pops as the closed form proves, and reports whether it did. With check off it skips
// without the proof that the busy lanes cover the first pops (RunPaced).
func (u *FrontEndUnit) skipPaced(b *BackEndUnit, f *FIFO, c int64, check bool, r *Paced) bool {
	L := u.p.Lanes
	if !u.quiet || !u.p.KeepAll || u.p.Scheduling != DynamicLanes || u.holding == 0 || u.holding+u.nstep != L-1 {
		return false
	}
	m := b.p.MacCyclesPerSurvivor(u.task.DV)
	g := int64(Steps(u.bitsK, u.p.BitsPerCycle))
	a := int((g + m - 1) / m)
	// P pops, each assigning a key at the cycle after it (the first at c+1), while the task
	// cannot end (slots - done > lanes before each front-end cycle).
	P := min(u.slots-u.next, u.slots-u.done-L)
	if P <= a || L-1 < a || !b.pacedSince(c, m) {
		return false
	}
	if c < u.pacedRetry {
		return false
	}
	start := u.pacedStart(c)
	if check && !pacedCovered(start, u.holding, c, m, a) {
		// Lanes that decide in bunches stay so for about a pops: try again after half of them.
		u.pacedRetry = c + int64(a/2)*m
		return false
	}
	u.applySkip(b, f, c, m, P, g, start)
	cP := c + int64(P)*m
	r.Pops += P
	r.LastPop, r.End = cP, cP+int64(b.p.ExpLatency)+m
	r.Untold += P
	r.Skipped += P
	r.LastPush, r.Last = cP, cP
	return true
}

// pacedStart lists the keys on the busy lanes after cycle c: the held ones (deciding at their
// hold cycle), then the deciding ones by decision cycle.
func (u *FrontEndUnit) pacedStart(c int64) []pacedLane {
	out := u.pacedBuf[:0]
	for li := u.hold.first(0); li >= 0; li = u.hold.first(li + 1) {
		out = append(out, pacedLane{slot: u.slot[li], decide: u.holdFrom[li]})
	}
	for k := int64(1); k < ringSize; k++ {
		dec := u.deciding.at(c + k)
		for li := dec.first(0); li >= 0; li = dec.first(li + 1) {
			out = append(out, pacedLane{slot: u.slot[li], decide: c + k})
		}
	}
	u.pacedBuf = out
	return out
}

// pacedCovered reports whether the pops at c+i*m for i < a each find two survivors held (one to
// push, one left) from the keys on the lanes after c alone, start holding the first held of
// them; from the a-th pop on, a lane freed a pops earlier is held again.
func pacedCovered(start []pacedLane, held int, c, m int64, a int) bool {
	// The deciding keys come by decision cycle: walk them once.
	n, k := held, held
	for i := 1; i < a; i++ {
		for k < len(start) && start[k].decide <= c+int64(i)*m {
			n++
			k++
		}
		if n-(i-1) < 2 {
			return false
		}
	}
	return true
}

// applySkip does P pops of a stretch pacedCovered proved, from the pop at c: the keys assigned
// at c+1, c+m+1, ... (slots next, next+1, ...), the sums of their steps and of the stall cycles,
// the lanes still busy at the end, the FIFO's newest entries and the back end's pops.
func (u *FrontEndUnit) applySkip(b *BackEndUnit, f *FIFO, c, m int64, P int, g int64, start []pacedLane) {
	cP := c + int64(P)*m
	// decided: the keys decided by cP in slot order (the start's, whose slots are all below
	// next, then the assigned ones), of which the newest are kept as a tail; the older ones
	// only add to the sums.
	tailLen := u.p.Lanes + f.depth
	tail := u.skipBuf.tail[:0]
	deciding := u.skipBuf.deciding[:0]
	var decideSum, survSum int64
	add := func(l pacedLane) {
		decideSum += l.decide
		if u.task.Dec[l.slot]&SurviveBit != 0 {
			survSum++
		}
		tail = append(tail, l)
	}
	sortPacedLanes(start)
	// Assigned keys before early are decided by cP (j <= P-a) and older than the tail: they
	// only add to the sums, in closed form but for their steps and survivors.
	early := max(P-tailLen-int(g), 0)
	steps, surv := u.stepSums(u.next, early, g)
	decideSum += int64(early)*c + m*int64(early)*int64(early-1)/2 + steps
	survSum += surv
	for _, l := range start {
		if early > 0 {
			decideSum += l.decide
			survSum += int64(u.task.Dec[l.slot] / SurviveBit)
		} else {
			add(l)
		}
	}
	for j := early; j < P; j++ {
		s := u.next + j
		d, _ := u.precomputed(s)
		steps += int64(d)
		l := pacedLane{slot: s, decide: c + int64(j)*m + int64(d)}
		if l.decide > cP {
			deciding = append(deciding, l)
			continue
		}
		add(l)
	}
	held := u.p.Lanes - 1 - len(deciding)
	pushed := tail[:len(tail)-held] // the tail's keys pushed, in slot order
	for _, l := range tail[len(tail)-held:] {
		decideSum -= l.decide
		if u.task.Dec[l.slot]&SurviveBit != 0 {
			survSum--
		}
	}
	u.LaneStepCycles += steps
	// Pops at c+m .. c+Pm: the sum of their cycles less the pushed keys' decision cycles.
	u.LaneStallCycles += int64(P)*c + m*int64(P)*int64(P+1)/2 - decideSum
	u.kept += int(survSum)
	u.next += P
	u.done += P
	u.entries += P
	u.placeLanes(deciding, tail[len(tail)-held:])
	k := min(P, f.depth)
	newest := slices.Grow(u.skipBuf.newest[:0], k)[:k]
	for i := range k {
		l := pushed[len(pushed)-k+i]
		newest[i] = Entry{Row: u.task.Row, Key: u.task.Key(l.slot), Tag: u.task.Tag, Head: u.task.Head, DV: u.task.DV,
			Visible: cP - int64(k-1-i)*m + 1}
	}
	f.replaceOldest(P, newest)
	b.popSurvivors(c, m, P)
	u.skipBuf.tail, u.skipBuf.deciding, u.skipBuf.newest = tail, deciding, newest
}

// stepSums are the steps and the survivors of the n keys from slot s0 (decisions computed
// ahead, every key of the task's first pass).
func (u *FrontEndUnit) stepSums(s0, n int, g int64) (steps, survivors int64) {
	dec := u.task.Dec[s0 : s0+n]
	for _, x := range dec {
		steps += int64(x &^ SurviveBit)
		survivors += int64(x / SurviveBit)
	}
	if !u.p.EarlyTermination {
		steps = int64(n) * g
	}
	return steps, survivors
}

// placeLanes puts the keys still deciding and those held on the busy lanes, in lane order; the
// free lane stays free.
func (u *FrontEndUnit) placeLanes(deciding, held []pacedLane) {
	lanes := u.skipBuf.lanes[:0]
	for li := 0; li < u.p.Lanes; li++ {
		if !u.isFree(li) {
			lanes = append(lanes, li)
		}
	}
	u.skipBuf.lanes = lanes
	for i := range u.deciding {
		u.deciding[i].clear()
	}
	u.hold.clear()
	for i, l := range deciding {
		li := lanes[i]
		u.slot[li] = l.slot
		u.deciding.at(l.decide).add(li)
	}
	for i, l := range held {
		li := lanes[len(deciding)+i]
		u.slot[li] = l.slot
		u.holdFrom[li] = l.decide
		u.hold.add(li)
	}
	u.nstep, u.holding = len(deciding), len(held)
}

// isFree reports whether lane li has no key.
func (u *FrontEndUnit) isFree(li int) bool { return u.free.first(li) == li }

// sortPacedLanes sorts keys by slot (a handful: insertion sort).
func sortPacedLanes(ls []pacedLane) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].slot < ls[j-1].slot; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}
