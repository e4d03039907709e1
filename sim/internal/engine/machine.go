package engine

import (
	"fmt"

	"github.com/lrpsim/lrpsim/arch"
)

// machine is the hardware one simulation runs on, built once from the resolved Params for both
// engines: the memory system, the dispatcher, and per unit a front end, a back end, the FIFO
// between them and the port the front end pushes into. It also keeps the bookkeeping both
// engines do alike when a unit acts (statistics, the observer, the last busy cycle). It decides
// nothing about when a unit runs: each engine schedules the units its own way, so that their
// agreement still checks one schedule against the other (sim/README.md).
type machine struct {
	p     *Params
	w     *workload
	st    *Stats
	opts  Options // the user's, with the bound analyzer attached
	bound *boundObserver
	units int

	mem  arch.Memory
	disp arch.Dispatcher
	fe   []*arch.FrontEndUnit
	be   []*arch.BackEndUnit
	fifo []*arch.FIFO
	port []arch.SurvivorPort // where each front end pushes (the FIFO, or a V-fetching port)

	// now is the engine's clock, which the memory's listener reads when a buffer is reused.
	now int64
	// lastBusy is the last cycle any unit was busy; the run ends the cycle after.
	lastBusy int64
	// started is the cycle each unit's task in progress started; rec, per unit and lane, the
	// index in Stats.Record of the lane's last recorded decision.
	started []int64
	rec     [][]int
}

// engineCounting is what an engine adds to the listener core: how it counts a lane decision
// (per head from the pair table, or one by one) and how it finds a survivor's record when the
// survivor is pushed.
type engineCounting interface {
	decided(u int, h *head, tag int, d arch.Decision)
	recordPush(u int, h *head, p arch.Push, c int64)
}

// newMachine builds the machine of configuration p over workload w, for the engine named
// engine whose counting its listeners call.
func newMachine(p *Params, w *workload, opts Options, engine string, ec engineCounting) (*machine, error) {
	units := p.Units
	opts, bound := withBound(opts, w, units)
	m := &machine{p: p, w: w, st: newStats(engine, p), opts: opts, bound: bound, units: units, lastBusy: -1,
		fe:      make([]*arch.FrontEndUnit, units),
		be:      make([]*arch.BackEndUnit, units),
		fifo:    make([]*arch.FIFO, units),
		port:    make([]arch.SurvivorPort, units),
		started: make([]int64, units),
		rec:     make([][]int, units),
	}
	m.mem = p.newMemory(w, &memoryObserver{st: m.st, w: w, obs: opts.Observer, now: func() int64 { return m.now }})
	m.disp = p.newDispatcher(w, m.mem)
	if o := opts.Observer; o != nil {
		m.disp.SetOnWait(o.Waited)
	}
	for u := 0; u < units; u++ {
		m.fifo[u] = arch.NewFIFO(p.FIFODepth)
		port, err := survivorPort(p, m.fifo[u], m.mem, w, m.st)
		if err != nil {
			return nil, err
		}
		m.port[u] = port
		m.be[u] = arch.NewBackEndUnit(p.BackEnd)
		m.fe[u] = arch.NewFrontEndUnit(frontEndParams(p), &unitListener{m: m, u: u, ec: ec})
		m.rec[u] = make([]int, p.FrontEnd.Lanes)
	}
	return m, nil
}

// start begins task t on unit u at cycle c and counts its q load.
func (m *machine) start(u int, t arch.RowTask, c int64) {
	m.fe[u].Start(t, c)
	m.started[u] = c
	m.st.countTaskStart(m.w.head(t.Head).src)
}

// taskEnded does the bookkeeping of unit u's task ending at cycle c: its tile's buffer may free.
func (m *machine) taskEnded(u int, c int64) {
	m.lastBusy = max(m.lastBusy, c)
	t := m.fe[u].Task()
	m.mem.TaskEnded(t.Tag, c)
	if o := m.opts.Observer; o != nil {
		o.RowTask(u, t.Head, t.Row, m.started[u], c)
	}
}

// retire does the bookkeeping of an entry back end u popped at cycle c whose work ends before
// end.
func (m *machine) retire(u int, en arch.Entry, c, end int64) {
	m.st.countPop(m.w.head(en.Head).src, en, m.p.BackEnd.Normalized(en))
	m.lastBusy = max(m.lastBusy, end-1)
	m.mem.EntryRetired(en.Tag, max(c, end-1))
	if o := m.opts.Observer; o != nil {
		o.BackEndWork(u, en.Head, en.Row, en.Marker, en.KeepMax, c, end)
		o.FIFOFill(u, c, m.fifo[u].Len())
	}
}

// checkIdle reports an error when a run the engine named ended with work left in a unit or a
// tile never loaded; pending says whether the engine still holds a task for unit u.
func (m *machine) checkIdle(engine string, pending func(u int) bool) error {
	if !m.mem.AllLoaded() {
		return fmt.Errorf("%s engine: config %s: stopped before every tile was loaded", engine, m.p.Name)
	}
	for u := 0; u < m.units; u++ {
		if m.fe[u].Busy() || m.fifo[u].Len() > 0 || pending(u) {
			return fmt.Errorf("%s engine: config %s: unit %d stopped with work left", engine, m.p.Name, u)
		}
	}
	return nil
}

// finish reads the units' counters into the statistics once the run has ended at cycles.
func (m *machine) finish(cycles int64) *Stats {
	m.st.Cycles = cycles
	m.st.finish(m.fe, m.be, m.fifo, m.disp, m.mem, m.w)
	m.st.Bound = m.bound.finish(cycles)
	return m.st
}

// unitListener is the listener core of one front-end unit, the same for both engines: it counts
// pushes, tells the memory and the observer, and records decisions when asked; the engine
// counts the decisions (engineCounting).
type unitListener struct {
	m  *machine
	u  int
	ec engineCounting
}

func (l *unitListener) Decided(d arch.Decision) {
	m := l.m
	t := m.fe[l.u].Task()
	h := m.w.head(t.Head)
	l.ec.decided(l.u, h, t.Tag, d)
	if m.opts.Record && !d.MaxPass {
		m.rec[l.u][d.Lane] = len(m.st.Record)
		m.st.Record = append(m.st.Record, PairRecord{Head: int32(h.index), Row: int32(d.Row),
			Key: int32(d.Key), Step: uint8(d.Step), Decide: d.Cycle, Push: -1})
	}
}

func (l *unitListener) Stalled(from, to int64) {
	if o := l.m.opts.Observer; o != nil {
		o.Stalled(l.u, from, to)
	}
}

func (l *unitListener) Pushed(p arch.Push, c int64) {
	m := l.m
	t := m.fe[l.u].Task()
	m.st.Actions.FIFOPushes++
	m.mem.EntryPushed(t.Tag)
	m.lastBusy = max(m.lastBusy, c)
	if m.opts.Record && !p.Marker {
		l.ec.recordPush(l.u, m.w.head(t.Head), p, c)
	}
	if o := m.opts.Observer; o != nil {
		o.FIFOFill(l.u, c, m.fifo[l.u].Len())
	}
}

// frontEndParams are the units' parameters for the run: the bit-parallel baseline consumes
// every plane of the widest key in one step.
func frontEndParams(p *Params) arch.FrontEndParams {
	fp := p.FrontEnd
	fp.BitsK = p.BitsK
	if p.BitParallel {
		fp.BitsPerCycle = p.BitsK
	}
	return fp
}
