package arch

// FrontEndParams are the parameters of one front-end processing unit.
type FrontEndParams struct {
	Lanes            int
	BitsK            int // key width when a task does not set its own
	BitsPerCycle     int
	Scheduling       LaneSchedule
	EarlyTermination bool
	// KeepAll sends every key to the back end (no back-end pruning: the dense baseline and the
	// early-termination-only ablation); otherwise only survivors are pushed.
	KeepAll     bool
	FillCycles  int
	DrainCycles int
}

// RowTask is one query row's work inside one key tile: its allowed keys in increasing order and
// whether it ends the row (and so pushes the end-of-row marker). The keys' decisions come either
// precomputed (Dec, from the plane kernel) or from bit-serial lanes that compute
// them cycle by cycle from Operands.
type RowTask struct {
	Row  int
	N    int   // allowed keys (key slots)
	Key0 int   // slot s is key Key0+s, unless Keys is set
	Keys []int // explicit key numbers, increasing (len N); nil for Key0..Key0+N-1
	Last bool  // the row's last task: it pushes the end-of-row marker
	// RowID identifies a row whose keys span several tiles (its tasks must share a unit's back
	// end); -1 for a row within one tile.
	RowID int64
	Head  int // the head's index in the run (for the engines' statistics)

	// Dec[s] is slot s's decision computed ahead: the step at which its lane decides with
	// early termination on, with SurviveBit set when its key survives (q.k >= T); nil when
	// Operands is set.
	Dec []uint8
	// Operands feed bit-serial lanes that step every cycle (the reference engine).
	Operands *TaskOperands

	// KeepMax: the row keeps its largest score when no key survives (a trace's empty_row
	// keep_max). With early termination on, a row that pushed no survivor then makes a second
	// pass over its keys with early termination off to find its maximum, and its end-of-row
	// marker carries that key to the back end (arch/README.md).
	KeepMax bool
	// MaxKey is the row's largest-score key (the first on a tie) when the row keeps no key:
	// the keep-max marker carries it as its Key (its V row is the one the back end reads);
	// -1 otherwise. Markers of other rows carry Key -1.
	MaxKey int

	BitsK int // key width; 0 takes FrontEndParams.BitsK
	Tag   int // copied into every entry pushed (the engines put the tile's sequence number)
	DV    int // width of the head's V rows, copied into entries
}

// Key returns the key number of slot s.
func (t *RowTask) Key(s int) int {
	if t.Keys != nil {
		return t.Keys[s]
	}
	return t.Key0 + s
}

// TaskOperands are what bit-serial lanes read: the query row, its Q+, the integer threshold,
// and the keys of the task, row-major (slot s at K[s*D:(s+1)*D]).
type TaskOperands struct {
	Q     []int32
	QPlus int64
	T     int64
	K     []int32
	D     int
}

// Decision is a lane's comparator decision on one key. MaxPass marks a decision of the keep-max
// second pass, which sends nothing to the back end.
type Decision struct {
	Row, Key, Lane, Step int
	Cycle                int64
	Survive              bool
	Pushed               bool // the key goes to the back end (a survivor, or every key without pruning)
	MaxPass              bool
}

// Push is one entry pushed into the survivor port: a key, or the end-of-row marker.
type Push struct {
	Row, Key, Lane int // Key and Lane are -1 for the marker
	Marker         bool
}

// SurvivorPort is where a front-end unit pushes survivors and markers. CanPush is the
// back-pressure: a unit pushes only while it reports room. The survivor FIFO is one.
type SurvivorPort interface {
	CanPush() bool
	Push(e Entry)
}

// FrontEndListener is told of every decision and push, in the order the unit makes them, and of
// every run of cycles [from, to) in which the port refused the unit (a stall).
type FrontEndListener interface {
	Decided(d Decision)
	Pushed(p Push, cycle int64)
	Stalled(from, to int64)
}

// FrontEndUnit is one front-end processing unit: one query row at a time, its lanes, the key
// scheduler and the survivor push port, as arch/README.md defines them. Cycle does one cycle of
// the unit. The reference engine calls it every cycle with bit-serial lanes; the event engine
// calls it only at the cycles NextEvent names, with decisions computed ahead, and the unit's
// state cannot change in the cycles between (that is what NextEvent guarantees).
type FrontEndUnit struct {
	p        FrontEndParams
	listener FrontEndListener
	// quiet: the listener is not told of decisions (an engine that counts them ahead from the
	// pair table has no use for them, and a decision per key is the unit's hottest call).
	quiet bool

	busy      bool
	task      RowTask
	bitsK     int
	r0        int64
	keysStart int64
	slots     int // key slots of the task: N, or 2N once a keep-max pass is added
	next      int // next slot to assign
	done      int // slots finished (pruned, or survivor pushed)
	kept      int // survivors pushed in the task
	entries   int // keys pushed in the task
	// rowEntries counts the keys pushed so far for each open row that spans several tiles
	// (RowTask.RowID): one bit of state per open row tells its end-of-row marker whether the row
	// sent the back end anything.
	rowEntries map[int64]int
	maxPass    bool
	markerDue  int64 // cycle from which the marker (or the end) is due; -1 until known
	markerWay  bool  // the marker is due and was refused
	keepMarker bool  // the marker carries the row's maximum key (keep-max)
	stallFrom  int64 // first cycle of the current run of refusals, -1 if none

	free      laneSet      // lanes without a key
	hold      laneSet      // lanes holding a survivor the port refused
	stepping  laneSet      // lanes stepping bit-planes (bit-serial lanes)
	deciding  decisionRing // stepping lanes by decision cycle (decisions computed ahead)
	nstep     int          // stepping lanes
	holding   int
	slot      []int
	holdFrom  []int64
	lanes     []Lane      // bit-serial lanes, when the task has operands
	pacedBuf  []pacedLane // the busy lanes' keys, for the closed form of a paced run
	pacedPops []PacedPop  // a paced run's pops of entries not its task's
	freeBuf   freeState   // a free run's keys by decision cycle
	skipBuf   skipScratch // the closed form's per-stretch lists, reused (it runs once a stretch)
	// pacedRetry is the first cycle at which a paced run tries its closed form again after a
	// try whose proof failed (a try is optional: it changes nothing when it fails).
	pacedRetry int64

	// Counters since construction.
	LaneStepCycles  int64 // lane-cycles spent stepping bit-planes
	LaneStallCycles int64 // lane-cycles spent holding a survivor the port refused
	StallCycles     int64 // cycles in which any lane or the marker was refused
	BusyCycles      int64 // cycles with a task in progress
	Tasks           int64 // tasks started
	MaxPassKeys     int64 // keys stepped again by keep-max passes
	MaxPassRows     int64 // rows that made a keep-max pass
}

// NewFrontEndUnit builds an idle unit; l (may be nil) hears of its decisions and pushes.
func NewFrontEndUnit(p FrontEndParams, l FrontEndListener) *FrontEndUnit {
	return &FrontEndUnit{
		p: p, listener: l, stallFrom: -1,
		free: newLaneSet(p.Lanes), hold: newLaneSet(p.Lanes), stepping: newLaneSet(p.Lanes),
		deciding: newDecisionRing(p.Lanes), slot: make([]int, p.Lanes), holdFrom: make([]int64, p.Lanes),
	}
}

// HearDecisions says whether the listener is told of every decision (it is by default); pushes
// and stalls are always told.
func (u *FrontEndUnit) HearDecisions(on bool) { u.quiet = !on }

// Busy reports whether a task is in progress.
func (u *FrontEndUnit) Busy() bool { return u.busy }

// Task returns the task in progress.
func (u *FrontEndUnit) Task() *RowTask { return &u.task }

// Start begins task t at cycle (its fill starts there). The task must have keys or be the row's
// last task: a task with neither is skipped by the dispatcher and takes no cycle.
func (u *FrontEndUnit) Start(t RowTask, cycle int64) {
	if t.N == 0 && !t.Last {
		panic("arch: a task with no key and no marker must be skipped, not started")
	}
	if u.busy {
		panic("arch: task started on a busy front-end unit")
	}
	u.busy, u.task, u.r0 = true, t, cycle
	u.bitsK = t.BitsK
	if u.bitsK == 0 {
		u.bitsK = u.p.BitsK
	}
	u.keysStart = cycle + int64(u.p.FillCycles)
	u.slots, u.next, u.done, u.kept, u.entries = t.N, 0, 0, 0, 0
	u.maxPass, u.keepMarker, u.markerWay = false, false, false
	u.markerDue = -1
	if t.N == 0 {
		// No key: the marker is due after fill and drain, but never before the task starts.
		u.markerDue = max(u.keysStart-1+int64(u.p.DrainCycles), cycle)
	}
	u.free.fill(u.p.Lanes)
	if t.Operands != nil && u.lanes == nil {
		u.lanes = make([]Lane, u.p.Lanes)
	}
	u.Tasks++
}

// Cycle does cycle c of the task in progress: key assignment, the comparators' decisions, the
// pushes into port (lowest lane first, the marker last), and the end of the task. It reports
// whether the task ended in c. Cycles must be given in increasing order.
func (u *FrontEndUnit) Cycle(c int64, port SurvivorPort) (ended bool) {
	if !u.busy {
		return false
	}
	if c >= u.keysStart && u.next < u.slots {
		u.assign(c)
	}
	if u.nstep > 0 {
		if u.task.Operands != nil {
			u.stepLanes(c)
		} else {
			u.decideAt(c)
		}
	}
	_, refused := u.pushHeld(c, port, true)
	if u.slots > 0 && u.done == u.slots && u.markerDue < 0 {
		if u.needsMaxPass() && u.addMaxPass() {
			// The second pass's keys go to the lanes from the next cycle on.
		} else {
			u.markerDue = c + int64(u.p.DrainCycles)
		}
	}
	u.markerWay = false
	if u.markerDue >= 0 && c >= u.markerDue {
		switch {
		case !u.task.Last:
			ended = true
			if u.task.RowID >= 0 {
				if u.rowEntries == nil {
					u.rowEntries = map[int64]int{}
				}
				u.rowEntries[u.task.RowID] += u.entries
			}
		case port.CanPush():
			sent := u.entries
			if u.task.RowID >= 0 {
				sent += u.rowEntries[u.task.RowID]
				delete(u.rowEntries, u.task.RowID)
			}
			key := -1
			if u.keepMarker {
				key = u.task.MaxKey
			}
			port.Push(Entry{Row: u.task.Row, Key: key, Marker: true, KeepMax: u.keepMarker, Empty: sent == 0 && !u.keepMarker,
				Tag: u.task.Tag, Head: u.task.Head, DV: u.task.DV, Visible: c + 1})
			if u.listener != nil {
				u.listener.Pushed(Push{Row: u.task.Row, Key: -1, Lane: -1, Marker: true}, c)
			}
			ended = true
		default:
			refused = true
			u.markerWay = true
		}
	}
	u.noteRefusal(c, refused)
	if ended {
		u.busy = false
		u.BusyCycles += c - u.r0 + 1
	}
	return ended
}

// pushHeld pushes the lanes holding a survivor into port at cycle c, lowest lane first, while
// the port has room; it tells the listener of each push when tell is set. It returns the pushes
// and whether a held survivor was refused.
func (u *FrontEndUnit) pushHeld(c int64, port SurvivorPort, tell bool) (pushed int, refused bool) {
	for li := u.hold.first(0); li >= 0; li = u.hold.first(li + 1) {
		if !port.CanPush() {
			return pushed, true
		}
		s := u.slot[li]
		key := u.task.Key(s)
		port.Push(Entry{Row: u.task.Row, Key: key, Tag: u.task.Tag, Head: u.task.Head, DV: u.task.DV, Visible: c + 1})
		if tell && u.listener != nil {
			u.listener.Pushed(Push{Row: u.task.Row, Key: key, Lane: li}, c)
		}
		u.LaneStallCycles += c - u.holdFrom[li]
		u.entries++
		u.hold.remove(li)
		u.free.add(li)
		u.holding--
		u.done++
		pushed++
	}
	return pushed, false
}

// noteRefusal keeps the runs of cycles in which the port refused the unit: a run starts at the
// first cycle with a refusal and ends at the first cycle without one, which the listener hears.
func (u *FrontEndUnit) noteRefusal(c int64, refused bool) {
	if refused && u.stallFrom < 0 {
		u.stallFrom = c
	} else if !refused && u.stallFrom >= 0 {
		u.StallCycles += c - u.stallFrom
		if u.listener != nil {
			u.listener.Stalled(u.stallFrom, c)
		}
		u.stallFrom = -1
	}
}

// decideAt applies the comparator decisions computed ahead that fall in cycle c.
func (u *FrontEndUnit) decideAt(c int64) {
	dec := u.deciding.at(c)
	for li := dec.first(0); li >= 0; li = dec.first(li + 1) {
		dec.remove(li)
		s := u.slot[li]
		step, surv := u.precomputed(s)
		u.decide(c, li, s, step, surv)
	}
}

// precomputed is slot s's decision from the task's tables; slots of a keep-max pass run every
// step with early termination off and push nothing.
func (u *FrontEndUnit) precomputed(s int) (step int, survive bool) {
	if s >= u.task.N {
		return Steps(u.bitsK, u.p.BitsPerCycle), false
	}
	d := u.task.Dec[s]
	if !u.p.EarlyTermination {
		return Steps(u.bitsK, u.p.BitsPerCycle), d&SurviveBit != 0
	}
	return int(d &^ SurviveBit), d&SurviveBit != 0
}

// stepLanes steps every bit-serial lane that holds a key through cycle c, lowest lane first.
func (u *FrontEndUnit) stepLanes(c int64) {
	for li := u.stepping.first(0); li >= 0; li = u.stepping.first(li + 1) {
		l := &u.lanes[li]
		u.LaneStepCycles++
		decided, surv := l.Step()
		if !decided {
			continue
		}
		u.stepping.remove(li)
		s := u.slot[li]
		if s >= u.task.N {
			surv = false // a keep-max pass only looks for the maximum
		}
		u.decide(c, li, s, l.StepsTaken(), surv)
	}
}

// decide applies lane li's comparator decision on slot s at cycle c.
func (u *FrontEndUnit) decide(c int64, li, s, step int, surv bool) {
	u.nstep--
	pass2 := s >= u.task.N
	pushed := !pass2 && (surv || u.p.KeepAll)
	if u.listener != nil && !u.quiet {
		key := u.task.Key(s % max(u.task.N, 1))
		u.listener.Decided(Decision{Row: u.task.Row, Key: key, Lane: li, Step: step, Cycle: c,
			Survive: surv, Pushed: pushed, MaxPass: pass2})
	}
	if pushed {
		if surv {
			u.kept++
		}
		u.hold.add(li)
		u.holdFrom[li] = c
		u.holding++
	} else {
		u.free.add(li)
		u.done++
	}
}

// needsMaxPass: a keep-max row whose keys all finished without a survivor needs its maximum,
// which early termination did not compute.
func (u *FrontEndUnit) needsMaxPass() bool {
	return u.task.KeepMax && u.task.Last && !u.maxPass && !u.p.KeepAll && u.kept == 0
}

// addMaxPass marks the row's marker as carrying its maximum and, when early termination cut
// scores short, appends the second pass: every key of the task again, all steps, no pushes. It
// reports whether a pass was added (with early termination off every score is already whole).
func (u *FrontEndUnit) addMaxPass() bool {
	u.maxPass, u.keepMarker = true, true
	if !u.p.EarlyTermination {
		return false
	}
	u.MaxPassRows++
	u.slots += u.task.N
	u.MaxPassKeys += int64(u.task.N)
	return true
}

// assign gives keys to free lanes at cycle c under the scheduling policy.
func (u *FrontEndUnit) assign(c int64) {
	if u.p.Scheduling == LockstepLanes && (u.nstep > 0 || u.holding > 0) {
		return // the group has not finished
	}
	ops := u.task.Operands
	for li := u.free.first(0); li >= 0 && u.next < u.slots; li = u.free.first(li + 1) {
		s := u.next
		u.free.remove(li)
		u.slot[li] = s
		u.next++
		u.nstep++
		if ops != nil {
			ks := s % u.task.N
			u.lanes[li].Load(ops.Q, ops.K[ks*ops.D:(ks+1)*ops.D], ops.QPlus, ops.T, u.bitsK, u.p.BitsPerCycle,
				u.p.EarlyTermination && s < u.task.N)
			u.stepping.add(li)
			continue
		}
		step, _ := u.precomputed(s)
		u.deciding.at(c + int64(step) - 1).add(li)
		u.LaneStepCycles += int64(step)
	}
}

// NextEvent is the first cycle after c (the last cycle processed) at which the unit must run
// by itself, or Never: a comparator decision, a free lane that can take a key, or the marker
// falling due. A push the port refused is retried when the port frees a slot, which
// RetryAt tells. With bit-serial lanes every cycle of a task is an event.
func (u *FrontEndUnit) NextEvent(c int64) int64 {
	if !u.busy {
		return Never
	}
	n := int64(Never)
	if u.nstep > 0 {
		if u.task.Operands != nil {
			return c + 1
		}
		for k := int64(1); k < ringSize; k++ {
			if !u.deciding.at(c + k).empty() {
				n = c + k
				break
			}
		}
	}
	if u.next < u.slots {
		if (u.p.Scheduling == DynamicLanes && !u.free.empty()) || (u.p.Scheduling == LockstepLanes && u.nstep == 0 && u.holding == 0) {
			n = min(n, max(c+1, u.keysStart))
		}
	}
	if u.markerDue >= 0 && !u.markerWay {
		n = min(n, max(u.markerDue, c+1))
	}
	return n
}

// CannotEndNextCycle reports that the task in progress cannot end in the next cycle the unit
// runs, whatever the port does: its marker is not due, and more keys are left than its lanes
// can finish in one cycle (a lane finishes at most one key a cycle). An engine may then run the
// unit's cycle ahead of other units' cycles, since only a task's end reaches beyond the unit (the
// dispatcher, the memory).
func (u *FrontEndUnit) CannotEndNextCycle() bool {
	return u.busy && u.markerDue < 0 && u.slots-u.done > u.p.Lanes
}

// Refused reports whether the unit holds a push the port refused (a survivor or the marker):
// it must run again in the cycle the port frees a slot.
func (u *FrontEndUnit) Refused() bool { return u.busy && (u.holding > 0 || u.markerWay) }

// Params returns the unit's parameters.
func (u *FrontEndUnit) Params() FrontEndParams { return u.p }
