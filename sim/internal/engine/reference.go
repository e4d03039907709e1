package engine

import (
	"fmt"

	"github.com/lrpsim/lrpsim/arch"
)

// runReference is the reference engine: every cycle it steps the memory system, every back-end
// unit and every front-end unit, in that order, over the same machine as the event engine, and
// its lanes are bit-serial: each consumes its key's bit-planes one step a cycle with
// per-element arithmetic and decides from its own partial sum, with no precomputed step. It is
// slow on purpose and exists to hold the event engine, the plane kernel and every component's
// skip-ahead (NextEvent) to the per-cycle rules.
func runReference(p *Params, src HeadSource, opts Options) (*Stats, error) {
	w := newWorkload(p, src, bitSerial)
	r := &refRun{}
	m, err := newMachine(p, w, opts, Reference, r)
	if err != nil {
		return nil, err
	}
	r.machine = m
	for c := int64(0); ; c++ {
		m.now = c
		if m.mem.AllLoaded() && c > m.lastBusy && !r.workLeft() {
			break
		}
		if c > 1<<40 {
			return nil, fmt.Errorf("reference engine: no progress after %d cycles", c)
		}
		if r.err != nil {
			return nil, r.err
		}
		if err := r.step(c); err != nil {
			return nil, err
		}
	}
	if cycles := m.lastBusy + 1; cycles != m.now {
		return nil, fmt.Errorf("reference engine: config %s: work ended at cycle %d but the run at %d", p.Name, cycles, m.now)
	}
	return m.finish(m.lastBusy + 1), nil
}

// refRun is the reference engine: the machine, stepped cycle by cycle.
type refRun struct {
	*machine
	err error // a lane read a K plane its tile's load did not bring (plane-major K)
}

// step runs cycle c: the memory system, every back end, then every front end (taking a task
// from the dispatcher if it has none).
func (r *refRun) step(c int64) error {
	if err := r.mem.Step(c); err != nil {
		return err
	}
	for u := 0; u < r.units; u++ {
		if en, end := r.be[u].Step(c, r.fifo[u]); en != nil {
			r.retire(u, *en, c, end)
		}
	}
	for u := 0; u < r.units; u++ {
		if !r.fe[u].Busy() {
			t, ok, err := r.disp.StepCycle(u, c)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			r.start(u, t, c)
		}
		if r.fe[u].Cycle(c, r.port[u]) {
			r.taskEnded(u, c)
		}
	}
	return nil
}

// workLeft reports whether any unit has a task in progress or to come, or an entry queued.
func (r *refRun) workLeft() bool {
	for u := range r.fe {
		if r.fe[u].Busy() || r.fifo[u].Len() > 0 || r.disp.Pending(u) {
			return true
		}
	}
	return false
}

// decided counts one lane decision on its own: the lane's work, the step histograms and the
// survivors. The bit-serial lanes decide on their own; with plane-major K they must stay within
// the planes the workload's kernel pass had the load bring.
func (r *refRun) decided(u int, h *head, tag int, d arch.Decision) {
	r.st.countDecision(h, r.p, tag, d)
	if t := r.w.tiles[tag]; r.p.KPlaneMajor && r.err == nil && r.p.planesRead(h.src.BitsK, d.Step) > t.planesOf(h) {
		r.err = fmt.Errorf("reference engine: head %d row %d key %d read %d K planes, but tile %d's load brought %d",
			h.index, d.Row, d.Key, d.Step*r.p.planesPerStep(h.src.BitsK), tag, t.planesOf(h))
	}
}

// recordPush finds a survivor's record by searching the records, as plainly as possible.
func (r *refRun) recordPush(u int, h *head, p arch.Push, c int64) {
	for k := len(r.st.Record) - 1; k >= 0; k-- {
		rec := &r.st.Record[k]
		if rec.Head == int32(h.index) && rec.Row == int32(p.Row) && rec.Key == int32(p.Key) {
			rec.Push = c
			break
		}
	}
}
