package engine

import "github.com/lrpsim/lrpsim/arch"

// pacedOK reports whether the event engine may advance a back-end-bound unit over a whole
// paced run at once (runPaced). It needs what running ahead needs (runsAhead), and no user
// observer in any case: the run tells the bound analyzer only of its last pop (the analyzer
// keeps the latest end of each back end's work), and an observer would hear every entry.
func pacedOK(p *Params, opts Options) bool {
	return opts.Observer == nil && !p.VOnDemand
}

// FastPaths is a test's probe of one simulation's paced and free runs (Options.FastPaths):
// the event engine fills its counters (the reference engine has no fast paths), and
// Unchecked weakens the closed form's conditions. A probe serves one simulation at a time
// (RunAll gives it to the first configuration only); nothing of it reaches Stats or any
// report.
type FastPaths struct {
	// Unchecked lets a paced run go on after a pop that no push refilled, as if the FIFO
	// stayed full, and skip stretches in closed form without the proof: a wrong closed form,
	// for the test that shows the engines then disagree.
	Unchecked bool
	// PacedRuns counts the paced runs (runPaced) that popped an entry.
	PacedRuns int64
	// PacedSkipped counts the pops that paced runs did in closed form (no per-pop step).
	PacedSkipped int64
	// FreeCycles counts the front-end cycles that free runs (runFree) advanced over.
	FreeCycles int64
}

// runPaced advances unit u, whose back end has just popped and whose front end has just run in
// that cycle and is paced (arch.FrontEndUnit.PacedReady), over its whole paced run
// (arch.FrontEndUnit.RunPaced), and does the run's bookkeeping: the entries it popped that were
// older than the task's (Paced.Foreign) one by one, as a pop of the per-event path would; the
// rest in bulk: every other entry popped or pushed is a survivor of the front end's task, so
// they count alike (one head, one tile), the tile's buffer cannot free while the task runs, and
// only the last pop's end and the last push's cycle can move the run's last busy cycle. Pushes
// are told one by one when decisions are recorded (the record notes each push's cycle).
func (e *eventEngine) runPaced(u int) {
	f, s := e.fe[u], &e.fes[u]
	fp := e.opts.FastPaths
	r := f.RunPaced(e.be[u], e.fifo[u], s.last, e.opts.Record, fp == nil || !fp.Unchecked)
	if fp != nil && r.Pops > 0 {
		fp.PacedRuns++
		fp.PacedSkipped += int64(r.Skipped)
	}
	e.unitRan(u, &r)
}

// runFree advances unit u, whose front end has just run and is free
// (arch.FrontEndUnit.FreeReady), over its free run (arch.FrontEndUnit.RunFree), with the
// bookkeeping of a paced run (unitRan).
func (e *eventEngine) runFree(u int) {
	r := e.fe[u].RunFree(e.be[u], e.fifo[u], e.fes[u].last)
	if fp := e.opts.FastPaths; fp != nil && r.Last > e.fes[u].last {
		fp.FreeCycles += r.Last - e.fes[u].last
	}
	e.unitRan(u, &r)
}

// unitRan does the bookkeeping of unit u's paced or free run r: the entries it popped that were
// older than the task's (Paced.Foreign) one by one, as a pop of the per-event path would; the
// rest in bulk.
func (e *eventEngine) unitRan(u int, r *arch.Paced) {
	s := &e.fes[u]
	t := e.fe[u].Task()
	s.last = r.Last
	if r.Pops > 0 {
		e.popAt[u] = r.LastPop
	}
	for _, p := range r.Foreign {
		e.retire(u, p.Entry, p.At, p.End)
	}
	own := r.Pops - len(r.Foreign)
	if r.Untold > 0 {
		e.st.Actions.FIFOPushes += int64(r.Untold)
		e.lastBusy = max(e.lastBusy, r.LastPush)
	}
	// The task's tile cannot free while the task runs, so only its count of entries in flight
	// and its last busy cycle matter to the memory: a push and a pop of the run cancel out,
	// but for one pair that carries the last pop's end.
	pairs := min(r.Untold, own)
	kept := min(pairs, 1)
	for range r.Untold - pairs + kept {
		e.mem.EntryPushed(t.Tag)
	}
	if own == 0 {
		return
	}
	e.st.countPops(e.w.head(t.Head).src, int64(own))
	e.lastBusy = max(e.lastBusy, r.End-1)
	for range own - pairs + kept {
		e.mem.EntryRetired(t.Tag, r.End-1)
	}
	e.bound.BackEndWork(u, t.Head, t.Row, false, false, r.LastPop, r.End)
}
