package engine

import (
	"fmt"

	"github.com/lrpsim/lrpsim/arch"
)

// runReference is the reference engine: every cycle it steps the memory system, every back-end
// unit and every front-end unit, in that order, over the same arch components as the event
// engine, and its lanes are bit-serial: each consumes its key's bit-planes one step a cycle with
// per-element arithmetic and decides from its own partial sum, with no precomputed step. It is
// slow on purpose and exists to hold the event engine, the plane kernel and every component's
// skip-ahead (NextEvent) to the per-cycle rules.
func runReference(p *Params, src HeadSource, opts Options) (*Stats, error) {
	w := newWorkload(p, src, bitSerial)
	units := p.Units
	opts, bound := withBound(opts, w, units)
	st := newStats(Reference, p)
	var now int64
	mem := p.newMemory(w, &memoryObserver{st: st, w: w, obs: opts.Observer, now: func() int64 { return now }})
	disp := p.newDispatcher(w, mem)
	if o := opts.Observer; o != nil {
		disp.SetOnWait(o.Waited)
	}
	fe := make([]*arch.FrontEndUnit, units)
	be := make([]*arch.BackEndUnit, units)
	fifo := make([]*arch.FIFO, units)
	r := &refRun{p: p, w: w, st: st, mem: mem, opts: opts, fe: fe, fifo: fifo, lastBusy: -1}
	port := make([]arch.SurvivorPort, units)
	for u := 0; u < units; u++ {
		be[u] = arch.NewBackEndUnit(p.BackEnd)
		fifo[u] = arch.NewFIFO(p.FIFODepth)
		var err error
		if port[u], err = survivorPort(p, fifo[u], mem, w, st); err != nil {
			return nil, err
		}
		fe[u] = arch.NewFrontEndUnit(frontEndParams(p), &refListener{r: r, u: u})
	}
	started := make([]int64, units)
	obs := opts.Observer
	for c := int64(0); ; c++ {
		r.now, now = c, c
		if mem.AllLoaded() && c > r.lastBusy && !r.workLeft(disp, fifo) {
			break
		}
		if c > 1<<40 {
			return nil, fmt.Errorf("reference engine: no progress after %d cycles", c)
		}
		if r.err != nil {
			return nil, r.err
		}
		if err := mem.Step(c); err != nil {
			return nil, err
		}
		for u := 0; u < units; u++ {
			if en, end := be[u].Step(c, fifo[u]); en != nil {
				st.countPop(w.head(en.Head).src, *en, p.BackEnd.Normalized(*en))
				r.lastBusy = max(r.lastBusy, end-1)
				mem.EntryRetired(en.Tag, max(c, end-1))
				if obs != nil {
					obs.BackEndWork(u, en.Head, en.Row, en.Marker, en.KeepMax, c, end)
					obs.FIFOFill(u, c, fifo[u].Len())
				}
			}
		}
		for u := 0; u < units; u++ {
			if !fe[u].Busy() {
				t, ok, err := disp.StepCycle(u, c)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
				fe[u].Start(t, c)
				started[u] = c
				st.countTaskStart(w.head(t.Head).src)
			}
			if fe[u].Cycle(c, port[u]) {
				r.lastBusy = max(r.lastBusy, c)
				t := fe[u].Task()
				mem.TaskEnded(t.Tag, c)
				if obs != nil {
					obs.RowTask(u, t.Head, t.Row, started[u], c)
				}
			}
		}
	}
	st.Cycles = r.lastBusy + 1
	if st.Cycles != r.now {
		return nil, fmt.Errorf("reference engine: config %s: work ended at cycle %d but the run at %d", p.Name, st.Cycles, r.now)
	}
	st.finish(fe, be, fifo, disp, mem, w)
	st.Bound = bound.finish(st.Cycles)
	return st, nil
}

// refRun is the reference engine's state that its listeners share.
type refRun struct {
	p        *Params
	w        *workload
	st       *Stats
	mem      arch.Memory
	opts     Options
	fe       []*arch.FrontEndUnit
	fifo     []*arch.FIFO
	now      int64
	lastBusy int64
	err      error // a lane read a K plane its tile's load did not bring (plane-major K)
}

// workLeft reports whether any unit has a task in progress or to come, or an entry queued.
func (r *refRun) workLeft(disp arch.Dispatcher, fifo []*arch.FIFO) bool {
	for u := range r.fe {
		if r.fe[u].Busy() || fifo[u].Len() > 0 || disp.Pending(u) {
			return true
		}
	}
	return false
}

// refListener counts one front-end unit's decisions and pushes; a survivor's push cycle is
// found by searching the records, as plainly as possible.
type refListener struct {
	r *refRun
	u int
}

func (l *refListener) Decided(d arch.Decision) {
	r := l.r
	h := r.w.head(r.fe[l.u].Task().Head)
	tag := r.fe[l.u].Task().Tag
	r.st.countDecision(h, r.p, tag, d)
	// The bit-serial lanes decide on their own; with plane-major K they must stay within the
	// planes the workload's kernel pass had the load bring.
	if t := r.w.tiles[tag]; r.p.KPlaneMajor && r.err == nil && r.p.planesRead(h.src.BitsK, d.Step) > t.planesOf(h) {
		r.err = fmt.Errorf("reference engine: head %d row %d key %d read %d K planes, but tile %d's load brought %d",
			h.index, d.Row, d.Key, d.Step*r.p.planesPerStep(h.src.BitsK), tag, t.planesOf(h))
	}
	if r.opts.Record && !d.MaxPass {
		r.st.Record = append(r.st.Record, PairRecord{Head: int32(h.index), Row: int32(d.Row),
			Key: int32(d.Key), Step: uint8(d.Step), Decide: d.Cycle, Push: -1})
	}
}

func (l *refListener) Stalled(from, to int64) {
	if o := l.r.opts.Observer; o != nil {
		o.Stalled(l.u, from, to)
	}
}

func (l *refListener) Pushed(p arch.Push, c int64) {
	r := l.r
	r.st.Actions.FIFOPushes++
	task := r.fe[l.u].Task()
	r.mem.EntryPushed(task.Tag)
	r.lastBusy = max(r.lastBusy, c)
	if r.opts.Observer != nil {
		r.opts.Observer.FIFOFill(l.u, c, r.fifo[l.u].Len())
	}
	if r.opts.Record && !p.Marker {
		h := r.w.head(task.Head)
		for k := len(r.st.Record) - 1; k >= 0; k-- {
			rec := &r.st.Record[k]
			if rec.Head == int32(h.index) && rec.Row == int32(p.Row) && rec.Key == int32(p.Key) {
				rec.Push = c
				break
			}
		}
	}
}
