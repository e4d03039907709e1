package engine

import (
	"sync/atomic"

	"github.com/lrpsim/lrpsim/arch"
)

// pacedOK reports whether the event engine may advance a back-end-bound unit over a whole
// paced run at once (runPaced). It needs what running ahead needs (runAheadOK), and no user
// observer in any case: the run tells the bound analyzer only of its last pop (the analyzer
// keeps the latest end of each back end's work), and an observer would hear every entry.
func pacedOK(p *Params, opts Options) bool {
	return opts.Observer == nil && !p.VOnDemand
}

// PacedUnchecked, when set, lets a paced run go on after a pop that no push refilled, as if
// the FIFO stayed full: a wrong closed form, for the test that shows the engines then disagree.
var PacedUnchecked atomic.Bool

// pacedRuns counts the paced runs of every simulation so far, for tests that must see the
// closed form exercised.
var pacedRuns, pacedSkipped, freeCycles atomic.Int64

// PacedRuns is the number of paced runs (runPaced that popped an entry) of every simulation so
// far in this process.
func PacedRuns() int64 { return pacedRuns.Load() }

// FreeCycles is the number of front-end cycles that free runs did in every simulation so far
// in this process.
func FreeCycles() int64 { return freeCycles.Load() }

// PacedSkipped is the number of pops that paced runs did in closed form (no per-pop step) in
// every simulation so far in this process.
func PacedSkipped() int64 { return pacedSkipped.Load() }

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
	r := f.RunPaced(e.be[u], e.fifo[u], s.last, e.opts.Record, !PacedUnchecked.Load())
	if r.Pops > 0 {
		pacedRuns.Add(1)
		pacedSkipped.Add(int64(r.Skipped))
	}
	e.unitRan(u, &r)
}

// runFree advances unit u, whose front end has just run and is free
// (arch.FrontEndUnit.FreeReady), over its free run (arch.FrontEndUnit.RunFree), with the
// bookkeeping of a paced run (unitRan).
func (e *eventEngine) runFree(u int) {
	r := e.fe[u].RunFree(e.be[u], e.fifo[u], e.fes[u].last)
	if r.Last > e.fes[u].last {
		freeCycles.Add(r.Last - e.fes[u].last)
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
