package arch

import "fmt"

// Policy is the lane scheduling policy of a front-end unit.
type Policy int

const (
	// Dynamic: a lane that frees takes the next key at once.
	Dynamic Policy = iota
	// Lockstep: keys go in groups of `lanes`; a group starts when the previous one has finished.
	Lockstep
)

// String returns the config spelling of the policy.
func (p Policy) String() string {
	if p == Lockstep {
		return "lockstep"
	}
	return "dynamic"
}

// ParsePolicy reads a policy from its config spelling.
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "dynamic":
		return Dynamic, nil
	case "lockstep":
		return Lockstep, nil
	}
	return 0, fmt.Errorf("unknown lane scheduling %q (want dynamic or lockstep)", s)
}

// FrontEndParams are the parameters of one front-end processing unit.
type FrontEndParams struct {
	Lanes            int
	BitsK            int
	BitsPerCycle     int
	Policy           Policy
	EarlyTermination bool
	FillCycles       int
	DrainCycles      int
}

// RowTask is one query row's work inside one key tile: the allowed keys in increasing order, the
// step at which each key's lane decides and whether it survives, and whether the task ends the
// row (and so pushes the end-of-row marker).
type RowTask struct {
	Row     int
	Keys    []int
	Steps   []uint8
	Survive []bool
	Last    bool
}

// Decision is a lane's comparator decision on one key.
type Decision struct {
	Key, Lane, Step int
	Cycle           int64
	Survive         bool
}

// Push is one entry pushed into the survivor FIFO: a surviving key, or the end-of-row marker.
type Push struct {
	Row, Key, Lane int // Key and Lane are -1 for the marker
	Marker         bool
}

type laneState uint8

const (
	laneFree laneState = iota
	laneStepping
	laneHolding // decided survivor waiting for FIFO room
)

type lane struct {
	state    laneState
	slot     int   // index into the task's Keys
	decideAt int64 // cycle of the comparator decision
}

// FrontEndUnit is the cycle-stepped model of one front-end processing unit: one query, its lanes,
// the key scheduler and the survivor push port. The reference engine steps it every cycle; the
// RTL cross-check drives it with a back-pressure pattern.
type FrontEndUnit struct {
	p     FrontEndParams
	lanes []lane

	busy       bool
	task       RowTask
	start      int64 // r0
	next       int   // next key slot to assign
	done       int   // keys fully finished (pruned, or survivor pushed)
	lastLane   int64 // z: last cycle a key used a lane
	markerDue  int64 // cycle from which the marker may be pushed; -1 until known
	markerSent bool

	// Counters since construction.
	LaneStepCycles  int64 // lane-cycles spent stepping bit-planes
	LaneStallCycles int64 // lane-cycles spent holding a survivor the FIFO refused
	StallCycles     int64 // cycles in which any lane or the marker was refused
}

// NewFrontEndUnit builds an idle unit.
func NewFrontEndUnit(p FrontEndParams) *FrontEndUnit {
	return &FrontEndUnit{p: p, lanes: make([]lane, p.Lanes)}
}

// Busy reports whether a task is in progress.
func (u *FrontEndUnit) Busy() bool { return u.busy }

// Start begins task t at cycle (the fill starts there). The task must have keys or be the row's
// last task.
func (u *FrontEndUnit) Start(t RowTask, cycle int64) {
	if len(t.Keys) == 0 && !t.Last {
		panic("arch: a task with no key and no marker must be skipped, not started")
	}
	u.busy, u.task, u.start = true, t, cycle
	u.next, u.done, u.markerSent = 0, 0, false
	u.lastLane = cycle + int64(u.p.FillCycles) - 1
	u.markerDue = -1
	if len(t.Keys) == 0 {
		u.markerDue = max(u.lastLane+int64(u.p.DrainCycles), cycle)
	}
	for i := range u.lanes {
		u.lanes[i] = lane{}
	}
}

// Step advances the unit through one cycle; room is how many entries the FIFO accepts in this
// cycle. It returns the decisions and the pushes of this cycle and whether the task ended in it.
func (u *FrontEndUnit) Step(cycle int64, room int) (decided []Decision, pushed []Push, ended bool) {
	if !u.busy {
		return nil, nil, false
	}
	keysStart := u.start + int64(u.p.FillCycles)
	if cycle >= keysStart && u.next < len(u.task.Keys) {
		u.assign(cycle)
	}
	active := false
	for li := range u.lanes {
		l := &u.lanes[li]
		if l.state != laneStepping {
			continue
		}
		u.LaneStepCycles++
		active = true
		if cycle == l.decideAt {
			surv := u.task.Survive[l.slot]
			decided = append(decided, Decision{
				Key: u.task.Keys[l.slot], Lane: li, Step: int(u.task.Steps[l.slot]), Cycle: cycle, Survive: surv,
			})
			if surv {
				l.state = laneHolding
			} else {
				l.state = laneFree
				u.done++
			}
		}
	}
	refused := false
	for li := range u.lanes {
		l := &u.lanes[li]
		if l.state != laneHolding {
			continue
		}
		active = true
		if room > 0 {
			room--
			pushed = append(pushed, Push{Row: u.task.Row, Key: u.task.Keys[l.slot], Lane: li})
			l.state = laneFree
			u.done++
		} else {
			u.LaneStallCycles++
			refused = true
		}
	}
	if active {
		u.lastLane = cycle
	}
	if len(u.task.Keys) > 0 && u.done == len(u.task.Keys) && u.markerDue < 0 {
		u.markerDue = u.lastLane + int64(u.p.DrainCycles)
	}
	if u.markerDue >= 0 && cycle >= u.markerDue {
		if !u.task.Last {
			ended = true
		} else if room > 0 {
			pushed = append(pushed, Push{Row: u.task.Row, Key: -1, Lane: -1, Marker: true})
			ended = true
		} else {
			refused = true
		}
	}
	if refused {
		u.StallCycles++
	}
	if ended {
		u.busy = false
	}
	return decided, pushed, ended
}

// assign gives keys to free lanes at cycle under the scheduling policy.
func (u *FrontEndUnit) assign(cycle int64) {
	if u.p.Policy == Lockstep {
		for _, l := range u.lanes {
			if l.state != laneFree {
				return // the group has not finished
			}
		}
	}
	for li := range u.lanes {
		if u.next == len(u.task.Keys) {
			return
		}
		l := &u.lanes[li]
		if l.state != laneFree {
			continue
		}
		l.state, l.slot = laneStepping, u.next
		l.decideAt = cycle + int64(u.task.Steps[u.next]) - 1
		u.next++
	}
}
