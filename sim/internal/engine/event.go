package engine

import (
	"fmt"

	"github.com/lrpsim/lrpsim/arch"
)

// Components of the machine, by event priority inside one cycle: the memory system, then the
// back-end units in index order, then the front-end units in index order. The reference engine
// steps them in the same order every cycle; arch/README.md defines it (a back end pops before
// the front end pushes).
const memoryID = 0

// feState is what the scheduler knows of a front-end unit between tasks.
type feState struct {
	last    int64 // last cycle the unit processed
	pending bool  // a task waits to start at startAt
	task    arch.RowTask
	startAt int64
	waiting bool // for the memory to schedule a tile
}

// eventEngine is the discrete-event engine: a scheduler over the machine's components that
// wakes each only at the cycles where its state can change (its NextEvent), in (cycle, priority)
// order. It holds no rule of any unit: those live in arch.
type eventEngine struct {
	*machine
	fes []feState

	q *eventQueue
	// aheadOK: a back-end unit may run its unit ahead of the clock (runAhead); pacedOK: and
	// over a whole paced run at once (runPaced); popAt is the cycle of each back end's last
	// pop.
	aheadOK bool
	pacedOK bool
	popAt   []int64

	err error
}

// runEvent simulates one configuration with the discrete-event engine.
func runEvent(p *Params, w *workload, opts Options) (*Stats, error) {
	units := p.Units
	// Running a unit ahead reorders what observers hear across units, and a V-fetching port
	// reaches the shared memory from inside the unit: runsAhead says when it is allowed.
	e := &eventEngine{fes: make([]feState, units), aheadOK: runsAhead(p, opts), pacedOK: pacedOK(p, opts),
		popAt: make([]int64, units), q: newEventQueue(1 + 2*units)}
	m, err := newMachine(p, w, opts, Event, e)
	if err != nil {
		return nil, err
	}
	e.machine = m
	for u := 0; u < units; u++ {
		// The workload counts the decisions per head from its pair table (decisionCounts);
		// the units tell them one by one only to record them or to count broadcast K reads.
		e.fe[u].HearDecisions(opts.Record || p.KBroadcast)
		e.fes[u] = feState{last: -1}
	}
	e.reschedule(memoryID)
	for u := 0; u < units && e.err == nil; u++ {
		e.dispatch(u, 0)
	}
	for e.err == nil {
		c, id, ok := e.q.Pop()
		if !ok {
			break
		}
		e.now = c
		for e.err == nil {
			e.process(id)
			// A component whose next event comes before every queued one runs again at once,
			// without a trip through the queue: the order is the same.
			n := e.next(id)
			if n == arch.Never || !e.q.Precedes(n, id) {
				e.reschedule(id)
				break
			}
			e.now = n
		}
	}
	if e.err != nil {
		return nil, e.err
	}
	if err := e.checkIdle(Event, func(u int) bool { return e.fes[u].pending || e.fes[u].waiting }); err != nil {
		return nil, err
	}
	cycles := e.lastBusy + 1
	for u := 0; u < units; u++ {
		e.be[u].Finish(cycles)
	}
	w.decided.addTo(e.st)
	return e.finish(cycles), nil
}

func (e *eventEngine) beID(u int) int { return 1 + u }
func (e *eventEngine) feID(u int) int { return 1 + e.units + u }

// process runs component id at cycle e.now and reschedules the other components it touched;
// the caller reschedules id itself.
func (e *eventEngine) process(id int) {
	switch {
	case id == memoryID:
		if err := e.mem.Advance(e.now); err != nil {
			e.err = err
			return
		}
		for u := range e.fes {
			if e.fes[u].waiting {
				e.resume(u)
			}
		}
	case id <= e.units:
		u := id - 1
		e.pop(u, e.now)
		if e.aheadOK {
			e.runAhead(u)
		}
		e.reschedule(e.feID(u))
		e.reschedule(memoryID)
	default:
		u := id - 1 - e.units
		pushes, tasks, pops := e.fifo[u].Pushes, e.fe[u].Tasks, e.fifo[u].Pops
		e.runFrontEnd(u, e.now)
		if e.pacedOK && !e.opts.Record && e.fe[u].FreeReady() {
			e.runFree(u)
			if e.fifo[u].Pops != pops {
				e.reschedule(e.beID(u))
				e.reschedule(memoryID)
			}
		}
		// Only a push can wake the back end, and only a task's end can free a buffer (or a push
		// fetch a V row).
		pushed := e.fifo[u].Pushes != pushes
		if pushed {
			e.reschedule(e.beID(u))
		}
		if !e.fe[u].Busy() || e.fe[u].Tasks != tasks || (pushed && e.p.VOnDemand) {
			e.reschedule(memoryID)
		}
	}
}

// pop runs back-end unit u's pop at cycle c.
func (e *eventEngine) pop(u int, c int64) {
	en, end := e.be[u].PopAt(c, e.fifo[u])
	e.popAt[u] = c
	e.retire(u, en, c, end)
}

// runAhead runs unit u (its back end, which has just popped at e.now, and its front end) on
// its own, cycle by cycle in the engine's order (the back end before the front end), for as
// long as nothing it does can reach another unit: its front end's task cannot end (so nothing
// is dispatched and no tile's tasks finish) and its port is the FIFO. Other units' events at
// the cycles it passes are independent of it: a pop only adds to its tile's counts, whose
// buffer frees at a cycle the memory reads as a number, and a push only adds to them. This is
// what makes a back-end-bound unit cheap: its pops and the pushes they let through run in this
// loop instead of one trip through the event queue each.
func (e *eventEngine) runAhead(u int) {
	f, s, fifo, be := e.fe[u], &e.fes[u], e.fifo[u], e.be[u]
	c := e.now
	// The front end's own next event changes only when it runs (a pop changes the FIFO, which
	// NextEvent does not read), so it is found once per run of the front end.
	nf := f.NextEvent(s.last)
	for {
		if !f.Busy() {
			return // its next task comes from the dispatcher, at a cycle only the queue knows
		}
		if s.last < c && (f.Refused() && fifo.CanPush() || nf == c) {
			if !f.CannotEndNextCycle() {
				return
			}
			e.runFrontEnd(u, c)
			nf = f.NextEvent(s.last)
		}
		if e.pacedOK && s.last == c && e.popAt[u] == c && f.PacedReady(fifo) {
			e.runPaced(u)
			c = e.popAt[u]
			nf = f.NextEvent(s.last)
			continue
		}
		nb := be.NextEvent(fifo)
		n := min(nb, nf)
		if n == arch.Never || nf == n && !f.CannotEndNextCycle() {
			return
		}
		c = n
		if nb == n {
			e.pop(u, c)
		}
	}
}

// runFrontEnd runs front-end unit u's cycle c, starting its pending task if due.
func (e *eventEngine) runFrontEnd(u int, c int64) {
	f, s := e.fe[u], &e.fes[u]
	if !f.Busy() {
		if !s.pending || s.startAt != c {
			e.err = fmt.Errorf("event engine: front-end unit %d woke at cycle %d without work", u, c)
			return
		}
		s.pending = false
		e.start(u, s.task, c)
	}
	s.last = c
	maxPass := f.MaxPassKeys
	ended := f.Cycle(c, e.port[u])
	if n := f.MaxPassKeys - maxPass; n > 0 {
		e.st.countMaxPass(e.w.head(f.Task().Head), e.p, n)
	}
	if ended {
		e.taskEnded(u, c)
		e.dispatch(u, c+1)
	}
}

// dispatch asks for unit u's next task from cycle c.
func (e *eventEngine) dispatch(u int, c int64) {
	t, at, status, err := e.disp.Next(u, c)
	e.took(u, t, at, status, err)
}

// resume asks again for the task of a unit that waited for the memory.
func (e *eventEngine) resume(u int) {
	e.fes[u].waiting = false
	t, at, status, err := e.disp.Resume(u, e.now)
	e.took(u, t, at, status, err)
	e.reschedule(e.feID(u))
}

func (e *eventEngine) took(u int, t arch.RowTask, at int64, status int, err error) {
	s := &e.fes[u]
	switch {
	case err != nil:
		e.err = err
	case status == arch.TaskReady:
		s.pending, s.task, s.startAt = true, t, at
	case status == arch.TaskWait:
		s.waiting = true
	}
}

// next is the cycle component id must run at next, or arch.Never.
func (e *eventEngine) next(id int) int64 {
	switch {
	case id == memoryID:
		return e.mem.NextEvent()
	case id <= e.units:
		u := id - 1
		return e.be[u].NextEvent(e.fifo[u])
	default:
		u := id - 1 - e.units
		f, s := e.fe[u], &e.fes[u]
		if !f.Busy() {
			if s.pending {
				return s.startAt
			}
			return arch.Never
		}
		if f.Refused() && e.fifo[u].CanPush() && s.last < e.popAt[u] {
			return e.popAt[u] // the pop that freed a slot: the refused push retries in its cycle
		}
		return f.NextEvent(s.last)
	}
}

// reschedule puts component id's next event in the queue, replacing a queued one.
func (e *eventEngine) reschedule(id int) {
	n := e.next(id)
	if n == arch.Never {
		n = -1
	}
	if n == e.q.Queued(id) {
		return
	}
	if n >= 0 && n < e.now {
		e.err = fmt.Errorf("event engine: component %d scheduled at cycle %d before the clock %d", id, n, e.now)
		return
	}
	e.q.Schedule(id, n)
}

// decided counts a lane decision: only its broadcast K reads, as the workload counts the rest
// per head from its pair table (decisionCounts).
func (e *eventEngine) decided(u int, h *head, tag int, d arch.Decision) {
	if e.p.KBroadcast {
		e.st.countKRead(h, e.p, tag, d)
	}
}

// recordPush notes survivor p's push cycle in the record its lane's decision made.
func (e *eventEngine) recordPush(u int, h *head, p arch.Push, c int64) {
	e.st.Record[e.rec[u][p.Lane]].Push = c
}
