package arch

// A free run is a processing unit whose front end is not held back: no push of its task is
// refused, so each lane frees in the cycle its comparator decides (a pruned key is dropped, a
// survivor pushed at once) and takes the next key in the next cycle. The task's keys then go
// to the lanes in slot order, a cycle's free lanes taking consecutive keys, and the whole
// schedule follows from the pair table's steps: per cycle, how many lanes free and which keys
// they decided, not which lane held which. RunFree advances such a unit (its front end and its
// back end, which pops what the front end pushes) cycle by cycle with that bookkeeping, a
// handful of operations per key instead of the lanes' sets, until its task could end in the
// next cycle or a push would be refused; the lanes' sets are rebuilt at the end, the keys
// still deciding put on lanes in lane order (lanes are interchangeable while nobody hears
// decisions or pushes one by one).

// FreeReady reports whether the unit's front end, having processed cycle last, may run free:
// its task's decisions are computed ahead, its lanes are scheduled dynamically, nobody hears
// its decisions, it holds no refused push and its task cannot end in its next cycle.
func (u *FrontEndUnit) FreeReady() bool {
	return u.busy && u.quiet && u.task.Operands == nil && u.p.Scheduling == DynamicLanes && u.holding == 0 &&
		u.stallFrom < 0 && u.CannotEndNextCycle()
}

// freeState is a free run's front end: the keys deciding in each of the next ringSize cycles
// (by slot, freePush marking those that go to the back end) and how many go, the free lanes, and the task's rule for a
// key's step (g when every key takes all steps, else its table's).
type freeState struct {
	deciding [ringSize][]int
	pushes   [ringSize]int
	free     int
	g        int
	allSteps bool
}

// keyStep is slot s's step and whether it goes to the back end; a keep-max pass's key (s >= N)
// takes every step and sends nothing.
func (u *FrontEndUnit) keyStep(st *freeState, s int) (step int, push bool) {
	if s >= u.task.N {
		return st.g, false
	}
	d := u.task.Dec[s]
	step = int(d &^ SurviveBit)
	if st.allSteps {
		step = st.g
	}
	return step, d&SurviveBit != 0 || u.p.KeepAll
}

// RunFree runs a unit that FreeReady found free from the cycle after last (the last its front
// end processed; its back end has processed that cycle too) while it stays free. Pushes are
// counted in Paced.Untold; entries popped that were not the task's survivors are in
// Paced.Foreign.
func (u *FrontEndUnit) RunFree(b *BackEndUnit, f *FIFO, last int64) (r Paced) {
	r.Last = last
	r.Foreign = u.pacedPops[:0]
	defer func() { u.pacedPops = r.Foreign }()
	st := u.freeStart(last)
	for c := last + 1; ; c++ {
		if b.NextEvent(f) == c {
			u.freePop(b, f, c, &r)
		}
		if !u.CannotEndNextCycle() || !u.freeCycle(st, c, f, &r) {
			break
		}
	}
	u.freeEnd(st, r.Last)
	return r
}

// freePop pops the back end's next entry at cycle c.
func (u *FrontEndUnit) freePop(b *BackEndUnit, f *FIFO, c int64, r *Paced) {
	own := u.ownEntry(f.oldest())
	e, end := b.PopAt(c, f)
	if !own {
		r.Foreign = append(r.Foreign, PacedPop{Entry: e, At: c, End: end})
	}
	r.Pops++
	r.LastPop, r.End = c, end
}

// freeStart takes the lanes' keys out of their sets into a free run's bookkeeping.
func (u *FrontEndUnit) freeStart(last int64) *freeState {
	st := &u.freeBuf
	st.g, st.allSteps = Steps(u.bitsK, u.p.BitsPerCycle), !u.p.EarlyTermination
	for k := int64(0); k < ringSize; k++ {
		i := (last + k) % ringSize
		st.deciding[i], st.pushes[i] = st.deciding[i][:0], 0
		if k == 0 {
			continue
		}
		dec := u.deciding.at(last + k)
		for li := dec.first(0); li >= 0; li = dec.first(li + 1) {
			s := u.slot[li]
			if _, push := u.keyStep(st, s); push {
				st.pushes[i]++
				s |= freePush
			}
			st.deciding[i] = append(st.deciding[i], s)
		}
	}
	st.free = u.p.Lanes - u.nstep
	return st
}

// freeCycle is the front end's cycle c of a free run: the free lanes take keys, the keys due
// decide, survivors are pushed. It reports false, with nothing done, when a survivor due in c
// would find the FIFO full (the run ends before c).
func (u *FrontEndUnit) freeCycle(st *freeState, c int64, f *FIFO, r *Paced) bool {
	assign := 0
	if c >= u.keysStart {
		assign = min(st.free, u.slots-u.next)
	}
	// The pushes due in c: the keys deciding in c, with those assigned in c that take one step
	// (looked at only when the FIFO could not take them all).
	at := int(c % ringSize)
	if st.pushes[at]+assign > f.Room() && !u.freeRoom(st, at, assign, f) {
		return false
	}
	for j := range assign {
		s := u.next + j
		step, push := u.keyStep(st, s)
		i := (at + step - 1) % ringSize
		if push {
			st.deciding[i] = append(st.deciding[i], s|freePush)
			st.pushes[i]++
		} else {
			st.deciding[i] = append(st.deciding[i], s)
		}
		u.LaneStepCycles += int64(step)
	}
	u.next += assign
	u.nstep += assign
	st.free -= assign
	due := st.deciding[at]
	for _, s := range due {
		if s&freePush != 0 {
			s &^= freePush
			f.Push(Entry{Row: u.task.Row, Key: u.task.Key(s), Tag: u.task.Tag, Head: u.task.Head, DV: u.task.DV, Visible: c + 1})
			u.kept += int(u.task.Dec[s] / SurviveBit) // a key pushed is one of the first pass
		}
	}
	u.entries += st.pushes[at]
	r.Untold += st.pushes[at]
	if st.pushes[at] > 0 {
		r.LastPush = c
	}
	u.done += len(due)
	u.nstep -= len(due)
	st.free += len(due)
	st.deciding[at], st.pushes[at] = due[:0], 0
	r.Last = c
	return true
}

// freePush marks a key of a free run's decision ring that goes to the back end.
const freePush = 1 << 30 // above every slot: a task has fewer keys than a K/V buffer holds rows

// freeRoom reports whether the FIFO can take the pushes due in the cycle of ring index at: the
// keys deciding then and, of the assign keys assigned then, those of one step.
func (u *FrontEndUnit) freeRoom(st *freeState, at, assign int, f *FIFO) bool {
	pushes := st.pushes[at]
	for j := range assign {
		if step, push := u.keyStep(st, u.next+j); step == 1 && push {
			pushes++
		}
	}
	return pushes <= f.Room()
}

// freeEnd puts the keys still deciding after cycle last back on lanes, in lane order, and frees
// the others.
func (u *FrontEndUnit) freeEnd(st *freeState, last int64) {
	for i := range u.deciding {
		u.deciding[i].clear()
	}
	u.free.clear()
	li := 0
	for k := int64(1); k < ringSize; k++ {
		for _, s := range st.deciding[(last+k)%ringSize] {
			u.slot[li] = s &^ freePush
			u.deciding.at(last + k).add(li)
			li++
		}
	}
	for ; li < u.p.Lanes; li++ {
		u.free.add(li)
	}
}
