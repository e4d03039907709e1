package sim

import (
	"fmt"
	"math"

	"github.com/lrpsim/lrpsim/arch"
)

const never = math.MaxInt64

// feUnit is a front-end unit in the event engine. Between interactions with the rest of the
// machine (pushing into its FIFO, waiting for a tile) it runs ahead of the event clock, jumping
// from one lane decision to the next, so it costs work per decision, not per cycle.
type feUnit struct {
	pending int64 // next cycle it must process, -1 if none (waiting for a pop or a tile)

	seq, idx int // cursor: next task is tiles[seq].tasks[u][idx]
	finished bool
	waiting  bool // for tile seq to be scheduled
	waitFrom int64

	busy      bool
	tl        *tile
	tk        task
	r0        int64
	keysStart int64
	next      int // next key slot to assign
	done      int // key slots finished
	lastLane  int64
	markerDue int64
	holding   int   // lanes holding a refused survivor
	markerWay bool  // the marker is due and waits for room
	stallFrom int64 // first cycle of the current run of refusals, -1 if none

	lanes    int
	free     laneSet      // lanes without a key
	hold     laneSet      // lanes holding a refused survivor
	deciding decisionRing // stepping lanes by decision cycle
	stepping int          // number of stepping lanes
	slot     []int
	holdFrom []int64
	rec      []int // index of the lane's current record, when recording
}

// unitSched is a processing unit's entry in the event queue.
type unitSched struct {
	gen    uint64 // bumped when its queued event is superseded; stale events are dropped
	queued int64  // cycle of its queued event, -1 if none
}

// beUnit is a back-end unit in the event engine.
type beUnit struct {
	pending   int64 // next cycle it may pop, -1 if none
	readyAt   int64
	macEnd    int64
	busyUntil int64
	waiting   bool
	waitSince int64
	stats     *BackEndStats
}

type eventEngine struct {
	cfg   *Config
	w     *workload
	st    *Stats
	opts  Options
	q     eventQueue
	units int
	fe    []feUnit
	be    []beUnit
	fifo  []*arch.FIFO
	// Config read on every decision and pop, resolved once.
	lockstep bool
	bep      arch.BackEndParams
	// sched holds each processing unit's place in the queue; running is the unit being run.
	sched   []unitSched
	running int

	states      []*tileState
	nextLoad    int
	channelFree int64
	loading     bool // scheduleLoads is on the stack
	waiters     map[int][]int

	lastBusy int64
	err      error
}

// runEvent is the discrete-event engine: components wake only at the cycles where something
// happens to them, in (cycle, priority, sequence) order.
func runEvent(cfg *Config, w *workload, opts Options) (*Stats, error) {
	units := cfg.Units
	e := &eventEngine{
		cfg: cfg, w: w, opts: opts, units: units,
		lockstep: cfg.FrontEnd.Scheduling == arch.Lockstep, bep: cfg.backEndParams(),
		st: &Stats{Engine: "event", Config: cfg.Name,
			FrontEnd: make([]FrontEndStats, units), BackEnd: make([]BackEndStats, units)},
		fe: make([]feUnit, units), be: make([]beUnit, units), fifo: make([]*arch.FIFO, units),
		waiters: map[int][]int{}, lastBusy: -1, sched: make([]unitSched, units), running: -1,
	}
	lanes := cfg.FrontEnd.Lanes
	for u := range e.sched {
		e.sched[u].queued = -1
	}
	for u := 0; u < units; u++ {
		e.fifo[u] = arch.NewFIFO(cfg.BackEnd.FIFODepth)
		e.fe[u] = feUnit{pending: -1, stallFrom: -1, lanes: lanes,
			free: newLaneSet(lanes), hold: newLaneSet(lanes), deciding: newDecisionRing(lanes),
			slot: make([]int, lanes), holdFrom: make([]int64, lanes), rec: make([]int, lanes)}
		e.be[u] = beUnit{pending: -1, waiting: true, stats: &e.st.BackEnd[u]}
	}
	e.scheduleLoads()
	for u := 0; u < units && e.err == nil; u++ {
		e.wakeFE(u, 0)
	}
	for e.q.Len() > 0 && e.err == nil {
		ev := e.q.Pop()
		u := int(ev.prio)
		if ev.gen != e.sched[u].gen {
			continue
		}
		e.sched[u].queued = -1
		e.runUnit(u)
	}
	if e.err != nil {
		return nil, e.err
	}
	if e.nextLoad != len(e.w.tiles) {
		return nil, fmt.Errorf("event engine: %d tiles never loaded", len(e.w.tiles)-e.nextLoad)
	}
	st := e.st
	st.Cycles = e.lastBusy + 1
	for u := 0; u < units; u++ {
		f := &st.FrontEnd[u]
		f.Idle = st.Cycles - f.Busy - f.WaitMemory
		b := &e.be[u]
		if b.waiting && b.waitSince < st.Cycles {
			b.stats.Starved += st.Cycles - b.waitSince
		}
		b.stats.MaxFill = e.fifo[u].MaxFill
		if e.fe[u].busy || e.fifo[u].Len() > 0 {
			return nil, fmt.Errorf("event engine: unit %d stopped with work left", u)
		}
	}
	st.Heads = e.w.Heads
	return st, nil
}

// wakeFE asks front-end unit u to process cycle at the latest.
func (e *eventEngine) wakeFE(u int, cycle int64) {
	f := &e.fe[u]
	if f.pending < 0 || cycle < f.pending {
		f.pending = cycle
	}
	e.kick(u, cycle)
}

// wakeBE asks back-end unit u to pop at cycle at the latest.
func (e *eventEngine) wakeBE(u int, cycle int64) {
	b := &e.be[u]
	if b.pending < 0 || cycle < b.pending {
		b.pending = cycle
	}
	e.kick(u, cycle)
}

// kick makes sure processing unit u (its front end and back end) has an event in the queue no
// later than cycle, unless it is the unit running now, whose loop picks the wake up itself.
func (e *eventEngine) kick(u int, cycle int64) {
	s := &e.sched[u]
	if e.running == u || (s.queued >= 0 && s.queued <= cycle) {
		return
	}
	s.gen++
	s.queued = cycle
	e.q.Push(cycle, int32(u), s.gen)
}

// runUnit advances processing unit u: its front end and back end interact only with each other
// (through the FIFO) and, by arithmetic on known cycles, with the DRAM schedule, so the unit
// runs its own events in (cycle, back end before front end) order, ahead of the queue, until it
// has none left or its front end waits for a tile that is not scheduled yet. The other units'
// progress decides when that tile arrives, so from then on the unit's events go through the
// queue in global (cycle, priority, sequence) order until the tile is scheduled; the tile's
// arrival is always later than the cycle at which it became known.
func (e *eventEngine) runUnit(u int) {
	e.running = u
	defer func() { e.running = -1 }()
	f, b := &e.fe[u], &e.be[u]
	for first := true; e.err == nil; first = false {
		switch {
		case b.pending >= 0 && (f.pending < 0 || b.pending <= f.pending):
			if f.waiting && !first {
				// The front end waits for a tile that is not scheduled yet: the cycle it will
				// resume at is decided by other units, so the back end may not run ahead of
				// the queue. It takes its next pop through the queue instead.
				e.running = -1
				e.kick(u, b.pending)
				return
			}
			c := b.pending
			b.pending = -1
			e.runBackEnd(u, c)
		case f.pending >= 0:
			c := f.pending
			f.pending = -1
			e.runFrontEnd(u, c)
		default:
			return
		}
	}
}

// scheduleLoads starts every DRAM load whose buffer is known to be free, in tile order.
func (e *eventEngine) scheduleLoads() {
	if e.loading {
		return
	}
	e.loading = true
	defer func() { e.loading = false }()
	for {
		var free int64
		if e.nextLoad >= 2 {
			free = e.states[e.nextLoad-2].freeAt
			if free < 0 {
				return
			}
		}
		t, err := e.w.tile(e.nextLoad)
		if err != nil {
			e.err = err
			return
		}
		if t == nil {
			return
		}
		start := max(e.channelFree, free)
		e.st.DRAM.WaitBuffer += start - e.channelFree
		dur := e.cfg.loadCycles(t.bytes)
		ts := &tileState{ready: start + dur, lastAct: start + dur - 1, freeAt: -1}
		for u := range t.tasks {
			ts.tasksLeft += len(t.tasks[u])
		}
		e.states = append(e.states, ts)
		e.channelFree = start + dur
		e.st.DRAM.Busy += dur
		e.st.countLoad(t)
		if e.nextLoad >= 2 {
			e.w.release(e.w.tiles[e.nextLoad-2])
		}
		seq := e.nextLoad
		e.nextLoad++
		for _, u := range e.waiters[seq] {
			f := &e.fe[u]
			f.waiting = false
			at := max(ts.ready, f.waitFrom)
			e.st.FrontEnd[u].WaitMemory += at - f.waitFrom
			e.wakeFE(u, at)
		}
		delete(e.waiters, seq)
		if ts.tasksLeft == 0 {
			ts.freeAt = ts.lastAct + 1
		}
	}
}

// tileProgress frees a tile's buffer once all its tasks and entries are done.
func (e *eventEngine) tileProgress(seq int) {
	ts := e.states[seq]
	if ts.freeAt < 0 && ts.tasksLeft == 0 && ts.outstanding == 0 {
		ts.freeAt = ts.lastAct + 1
		e.scheduleLoads()
	}
}

// runFrontEnd advances unit u from cycle now: it processes cycles at the global clock while an
// interaction is possible and runs ahead through cycles that only prune keys.
func (e *eventEngine) runFrontEnd(u int, now int64) {
	f := &e.fe[u]
	cfg := e.cfg
	c := now
	for {
		if !f.busy {
			if !e.nextTask(u, &c) {
				return
			}
		}
		switch e.processCycle(u, c, now) {
		case cycleDeferred:
			e.wakeFE(u, c) // this cycle pushes: do it at the global clock
			return
		case cycleEnded:
			c++
			continue
		}
		if e.err != nil {
			return
		}
		n := e.nextInteresting(f, c)
		if f.holding > 0 || f.markerWay {
			if n != never {
				e.wakeFE(u, n)
			}
			return // a refused push is retried when the back end pops
		}
		if n == never {
			e.err = fmt.Errorf("event engine: front-end unit %d stuck at cycle %d (config %s)", u, c, cfg.Name)
			return
		}
		c = n
	}
}

// nextTask finds unit u's next task from cycle *c, starting it when its tile is usable; it
// reports false when the unit has to wait for a load to be scheduled or has no work left.
func (e *eventEngine) nextTask(u int, c *int64) bool {
	f := &e.fe[u]
	for {
		if f.finished {
			return false
		}
		if f.seq < len(e.states) {
			ts := e.states[f.seq]
			if ts.ready > *c {
				e.st.FrontEnd[u].WaitMemory += ts.ready - *c
				*c = ts.ready
			}
			t := e.w.tiles[f.seq]
			if f.idx < len(t.tasks[u]) {
				e.startTask(u, t, t.tasks[u][f.idx], *c)
				f.idx++
				return true
			}
			f.seq, f.idx = f.seq+1, 0
			continue
		}
		t, err := e.w.tile(f.seq)
		if err != nil {
			e.err = err
			return false
		}
		if t == nil {
			f.finished = true
			return false
		}
		f.waiting, f.waitFrom = true, *c
		e.waiters[f.seq] = append(e.waiters[f.seq], u)
		return false
	}
}

func (e *eventEngine) startTask(u int, t *tile, tk task, c int64) {
	f := &e.fe[u]
	fill, drain := int64(e.cfg.FrontEnd.FillCycles), int64(e.cfg.FrontEnd.DrainCycles)
	f.busy, f.tl, f.tk, f.r0 = true, t, tk, c
	f.keysStart = c + fill
	f.next, f.done = 0, 0
	f.lastLane = c + fill - 1
	f.markerDue = -1
	if tk.k1 == tk.k0 {
		f.markerDue = max(f.lastLane+drain, c)
	}
	f.free.fill(f.lanes)
	e.st.FrontEnd[u].Tasks++
	e.st.countTaskStart(t.h.src)
}

// Outcomes of processCycle.
const (
	cycleDone     = iota // processed, the task goes on
	cycleEnded           // processed, the task ended in it
	cycleDeferred        // not processed: it pushes and c is ahead of the global clock
)

// processCycle does cycle c of unit u's task: key assignment, decisions, pushes, the marker.
// Pushes happen only at the global clock (c == now); a cycle ahead of it that would push is
// deferred after its key assignment, which is idempotent within a cycle.
func (e *eventEngine) processCycle(u int, c, now int64) int {
	f := &e.fe[u]
	h := f.tl.h
	nkeys := f.tk.k1 - f.tk.k0
	if c >= f.keysStart && f.next < nkeys {
		e.assign(u, c)
	}
	if c != now && e.pushesAt(f, c) {
		return cycleDeferred
	}
	if f.stepping > 0 {
		dec := f.deciding.at(c)
		for li := dec.first(0); li >= 0; li = dec.first(li + 1) {
			dec.remove(li)
			f.stepping--
			i := h.pair(f.tk.r, f.tk.k0+f.slot[li])
			step := int(h.steps[i])
			e.st.countDecision(h.src, e.cfg.FrontEnd.BitsPerCycle, step, h.survive[i], h.pushed[i])
			if e.opts.Record {
				f.rec[li] = len(e.st.Record)
				e.st.Record = append(e.st.Record, PairRecord{Head: int32(h.index), Row: int32(f.tk.r),
					Key: int32(f.tk.k0 + f.slot[li]), Step: uint8(step), Decide: c, Push: -1})
			}
			f.lastLane = c
			if h.pushed[i] {
				f.hold.add(li)
				f.holdFrom[li] = c
				f.holding++
			} else {
				f.free.add(li)
				f.done++
			}
		}
	}
	refused := false
	if f.holding > 0 {
		if c != now {
			e.err = fmt.Errorf("event engine: unit %d would push at cycle %d ahead of the clock %d", u, c, now)
			return cycleDone
		}
		fifo := e.fifo[u]
		for li := f.hold.first(0); li >= 0; li = f.hold.first(li + 1) {
			if !fifo.CanPush() {
				refused = true
				break
			}
			e.push(u, arch.Entry{Row: f.tk.r, Key: f.tk.k0 + f.slot[li], Tile: f.tl.seq, DV: h.src.DV, Visible: c + 1}, c)
			if e.opts.Record {
				e.st.Record[f.rec[li]].Push = c
			}
			e.st.FrontEnd[u].LaneStalls += c - f.holdFrom[li]
			f.hold.remove(li)
			f.free.add(li)
			f.holding--
			f.done++
		}
		f.lastLane = c
	}
	if nkeys > 0 && f.done == nkeys && f.markerDue < 0 {
		f.markerDue = f.lastLane + int64(e.cfg.FrontEnd.DrainCycles)
	}
	ended := false
	f.markerWay = false
	if f.markerDue >= 0 && c >= f.markerDue {
		switch {
		case !f.tk.last:
			ended = true
		case c != now:
			e.err = fmt.Errorf("event engine: unit %d would push a marker at cycle %d ahead of the clock %d", u, c, now)
			return cycleDone
		case e.fifo[u].CanPush():
			e.push(u, arch.Entry{Row: f.tk.r, Key: -1, Marker: true, Tile: f.tl.seq, DV: h.src.DV, Visible: c + 1}, c)
			ended = true
		default:
			refused = true
			f.markerWay = true
		}
	}
	fs := &e.st.FrontEnd[u]
	if refused && f.stallFrom < 0 {
		f.stallFrom = c
	} else if !refused && f.stallFrom >= 0 {
		fs.Stall += c - f.stallFrom
		f.stallFrom = -1
	}
	if ended {
		f.busy = false
		fs.Busy += c - f.r0 + 1
		e.lastBusy = max(e.lastBusy, c)
		ts := e.states[f.tl.seq]
		ts.tasksLeft--
		ts.lastAct = max(ts.lastAct, c)
		e.tileProgress(f.tl.seq)
		return cycleEnded
	}
	return cycleDone
}

// push puts an entry into unit u's FIFO at cycle c and wakes a waiting back end.
func (e *eventEngine) push(u int, en arch.Entry, c int64) {
	e.fifo[u].Push(en)
	e.st.Actions.FIFOPushes++
	e.states[en.Tile].outstanding++
	e.lastBusy = max(e.lastBusy, c)
	b := &e.be[u]
	if b.waiting {
		at := max(en.Visible, b.waitSince)
		b.stats.Starved += at - b.waitSince
		b.waiting = false
		e.wakeBE(u, at)
	}
}

// assign gives free lanes their next keys at cycle c under the scheduling policy.
func (e *eventEngine) assign(u int, c int64) {
	f := &e.fe[u]
	if e.lockstep && (f.stepping > 0 || f.holding > 0) {
		return // the group has not finished
	}
	h := f.tl.h
	nkeys := f.tk.k1 - f.tk.k0
	base := h.pair(f.tk.r, f.tk.k0)
	var steps int64
	for li := f.free.first(0); li >= 0 && f.next < nkeys; li = f.free.first(li + 1) {
		s := int64(h.steps[base+f.next])
		f.free.remove(li)
		f.deciding.at(c + s - 1).add(li)
		f.slot[li] = f.next
		f.next++
		f.stepping++
		steps += s
	}
	e.st.FrontEnd[u].LaneSteps += steps
}

// nextInteresting is the next cycle after c at which unit f's state changes by itself.
func (e *eventEngine) nextInteresting(f *feUnit, c int64) int64 {
	n := int64(never)
	if f.stepping > 0 {
		for k := int64(1); k < ringSize; k++ {
			if !f.deciding.at(c + k).empty() {
				n = c + k
				break
			}
		}
	}
	if f.next < f.tk.k1-f.tk.k0 {
		if (!e.lockstep && !f.free.empty()) || (e.lockstep && f.stepping == 0 && f.holding == 0) {
			n = min(n, max(c+1, f.keysStart))
		}
	}
	if f.markerDue >= 0 && !f.markerWay {
		n = min(n, max(f.markerDue, c+1))
	}
	return n
}

// pushesAt reports whether cycle n would push: a surviving decision, or the marker.
func (e *eventEngine) pushesAt(f *feUnit, n int64) bool {
	if n == never {
		return false
	}
	if f.markerDue >= 0 && n >= f.markerDue && f.tk.last {
		return true
	}
	if f.stepping == 0 {
		return false
	}
	h := f.tl.h
	dec := f.deciding.at(n)
	deciding := 0
	for li := dec.first(0); li >= 0; li = dec.first(li + 1) {
		if h.pushed[h.pair(f.tk.r, f.tk.k0+f.slot[li])] {
			return true
		}
		deciding++
	}
	// The last keys are pruned at n and, with no drain, the marker goes in the same cycle.
	return f.tk.last && f.markerDue < 0 && f.next == f.tk.k1-f.tk.k0 && f.holding == 0 &&
		deciding == f.stepping && e.cfg.FrontEnd.DrainCycles == 0
}

// runBackEnd pops one entry at cycle c and schedules the unit's next pop.
func (e *eventEngine) runBackEnd(u int, c int64) {
	b := &e.be[u]
	fifo := e.fifo[u]
	en, ok := fifo.Peek()
	if !ok || en.Visible > c || c < b.readyAt {
		e.err = fmt.Errorf("event engine: back-end unit %d woke at cycle %d with nothing to pop", u, c)
		return
	}
	fifo.Pop()
	p := e.bep
	var end, completes int64
	if en.Marker {
		n0 := max(c, b.macEnd)
		end = n0 + int64(p.NormLatency)
		b.readyAt = max(end, c+1)
		completes = max(end-1, c)
		b.stats.Rows++
	} else {
		m := p.MacCyclesPerSurvivor(en.DV)
		b.macEnd = c + int64(p.ExpLatency) + m
		end = b.macEnd
		b.readyAt = c + m
		completes = end - 1
		b.stats.Survivors++
		b.stats.MacCycles += m
	}
	if end > max(c, b.busyUntil) {
		b.stats.Busy += end - max(c, b.busyUntil)
	}
	b.busyUntil = max(b.busyUntil, end)
	e.lastBusy = max(e.lastBusy, completes)
	e.st.countPop(e.w.tiles[en.Tile].h.src, en.Marker)
	ts := e.states[en.Tile]
	ts.outstanding--
	ts.lastAct = max(ts.lastAct, completes)
	e.tileProgress(en.Tile)
	if f := &e.fe[u]; f.holding > 0 || f.markerWay {
		// A slot freed: the refused push retries in this very cycle, after the pop. Any later
		// wake the front end had is recomputed from the cycle it processes now.
		f.pending = -1
		e.runFrontEnd(u, c)
	}
	if nx, ok := fifo.Peek(); ok {
		at := max(nx.Visible, b.readyAt)
		b.stats.Starved += at - b.readyAt
		e.wakeBE(u, at)
	} else {
		b.waiting, b.waitSince = true, b.readyAt
	}
}
