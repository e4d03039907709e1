package sim

import (
	"fmt"

	"github.com/lrpsim/lrpsim/arch"
)

// tileState is the bookkeeping of one tile shared by both engines' rules: when it is usable,
// how much of its work is outstanding, and when its SRAM buffer frees.
type tileState struct {
	ready       int64 // first usable cycle; -1 until its load is scheduled
	tasksLeft   int
	outstanding int   // entries pushed and not yet popped
	lastAct     int64 // last cycle of any of its work
	freeAt      int64 // first cycle its buffer is free; -1 until known
}

// runReference is the reference engine: it steps the DRAM channel, every back-end unit and
// every front-end unit (every lane) every cycle, and computes each pair's termination step plane
// by plane. It is slow on purpose and exists to hold the event engine to the cycle model.
func runReference(cfg *Config, src HeadSource, opts Options) (*Stats, error) {
	w := newWorkload(cfg, src, PerBit)
	units := cfg.Units
	st := &Stats{Engine: "reference", Config: cfg.Name,
		FrontEnd: make([]FrontEndStats, units), BackEnd: make([]BackEndStats, units)}
	fe := make([]*arch.FrontEndUnit, units)
	be := make([]*arch.BackEndUnit, units)
	fifo := make([]*arch.FIFO, units)
	for u := 0; u < units; u++ {
		be[u] = arch.NewBackEndUnit(cfg.backEndParams())
		fifo[u] = arch.NewFIFO(cfg.BackEnd.FIFODepth)
	}
	type cursor struct {
		seq, idx int
		cur      *tile // tile of the task in progress
		feParams arch.FrontEndParams
	}
	cur := make([]cursor, units)
	var states []*tileState
	nextLoad := 0
	var channelFree int64
	allLoaded := false
	var lastBusy int64 = -1

	stateOf := func(seq int) *tileState { return states[seq] }
	anyWorkLeft := func(c int64) bool {
		for u := 0; u < units; u++ {
			if fe[u] != nil && fe[u].Busy() || fifo[u].Len() > 0 || be[u].LastCompletion >= c {
				return true
			}
			for seq, idx := cur[u].seq, cur[u].idx; seq < len(states); seq, idx = seq+1, 0 {
				if idx < len(w.tiles[seq].tasks[u]) {
					return true
				}
			}
		}
		return false
	}

	for c := int64(0); ; c++ {
		if allLoaded && c > lastBusy && nextLoad == len(w.tiles) && !anyWorkLeft(c) {
			st.Cycles = c
			break
		}
		// DRAM: start the next load when the channel and its buffer are free.
		if !allLoaded && c >= channelFree {
			t, err := w.tile(nextLoad)
			if err != nil {
				return nil, err
			}
			if t == nil {
				allLoaded = true
			} else if nextLoad < 2 || (stateOf(nextLoad-2).freeAt >= 0 && stateOf(nextLoad-2).freeAt <= c) {
				dur := cfg.loadCycles(t.bytes)
				ts := &tileState{ready: c + dur, lastAct: c + dur - 1, freeAt: -1}
				for u := range t.tasks {
					ts.tasksLeft += len(t.tasks[u])
				}
				states = append(states, ts)
				channelFree = c + dur
				st.DRAM.Busy += dur
				st.countLoad(t)
				if nextLoad >= 2 {
					w.release(w.tiles[nextLoad-2])
				}
				nextLoad++
			} else {
				st.DRAM.WaitBuffer++
			}
		}
		// Back end: pop before the front end pushes.
		for u := 0; u < units; u++ {
			e, completes := be[u].Step(c, fifo[u])
			if e != nil {
				ts := stateOf(e.Tile)
				ts.outstanding--
				ts.lastAct = max(ts.lastAct, completes)
				lastBusy = max(lastBusy, completes)
				st.countPop(w.tiles[e.Tile].h.src, e.Marker)
			}
		}
		// Front end.
		for u := 0; u < units; u++ {
			cu := &cur[u]
			if fe[u] == nil || !fe[u].Busy() {
				// Find the next task among usable tiles.
				started := false
				for cu.seq < len(states) && states[cu.seq].ready <= c {
					t := w.tiles[cu.seq]
					if cu.idx < len(t.tasks[u]) {
						tk := t.tasks[u][cu.idx]
						cu.idx++
						p := cfg.frontEndParams(t.h.src.BitsK)
						if fe[u] == nil || p != cu.feParams {
							fe[u] = arch.NewFrontEndUnit(p)
							cu.feParams = p
						}
						cu.cur = t
						fe[u].Start(rowTask(t, tk), c)
						st.FrontEnd[u].Tasks++
						st.countTaskStart(t.h.src)
						started = true
						break
					}
					cu.seq, cu.idx = cu.seq+1, 0
				}
				if !started {
					if cu.seq < len(states) || !allLoaded || nextLoad < len(w.tiles) {
						st.FrontEnd[u].WaitMemory++
					}
					continue
				}
			}
			t := cu.cur
			stepsBefore, stallsBefore, laneStallsBefore := fe[u].LaneStepCycles, fe[u].StallCycles, fe[u].LaneStallCycles
			decided, pushed, ended := fe[u].Step(c, fifo[u].Room())
			st.FrontEnd[u].Busy++
			st.FrontEnd[u].LaneSteps += fe[u].LaneStepCycles - stepsBefore
			st.FrontEnd[u].Stall += fe[u].StallCycles - stallsBefore
			st.FrontEnd[u].LaneStalls += fe[u].LaneStallCycles - laneStallsBefore
			h := t.h
			for _, d := range decided {
				i := h.pair(rowOf(t, u, cu.idx-1), d.Key)
				st.countDecision(h.src, cfg.FrontEnd.BitsPerCycle, d.Step, h.survive[i], h.pushed[i])
				if opts.Record {
					rec := PairRecord{Head: int32(h.index), Row: int32(rowOf(t, u, cu.idx-1)), Key: int32(d.Key), Step: uint8(d.Step), Decide: d.Cycle, Push: -1}
					st.Record = append(st.Record, rec) // a survivor's push cycle is filled in below
				}
			}
			for _, p := range pushed {
				fifo[u].Push(arch.Entry{Row: p.Row, Key: p.Key, Marker: p.Marker, Tile: t.seq, DV: h.src.DV, Visible: c + 1})
				st.Actions.FIFOPushes++
				stateOf(t.seq).outstanding++
				if opts.Record && !p.Marker {
					for k := len(st.Record) - 1; k >= 0; k-- {
						r := &st.Record[k]
						if r.Head == int32(h.index) && r.Row == int32(p.Row) && r.Key == int32(p.Key) {
							r.Push = c
							break
						}
					}
				}
			}
			lastBusy = max(lastBusy, c)
			if ended {
				ts := stateOf(t.seq)
				ts.tasksLeft--
				ts.lastAct = max(ts.lastAct, c)
			}
		}
		// Buffers free on the cycle after all their work.
		for seq := max(nextLoad-2, 0); seq < len(states); seq++ {
			ts := states[seq]
			if ts.freeAt < 0 && ts.tasksLeft == 0 && ts.outstanding == 0 {
				ts.freeAt = ts.lastAct + 1
			}
		}
		if c > 1<<40 {
			return nil, fmt.Errorf("reference engine: no progress after %d cycles", c)
		}
	}
	for u := 0; u < units; u++ {
		f := &st.FrontEnd[u]
		f.Idle = st.Cycles - f.Busy - f.WaitMemory
		b := be[u]
		st.BackEnd[u] = BackEndStats{Busy: b.BusyCycles, Starved: b.StarvedCycles, Survivors: b.Survivors,
			Rows: b.Rows, MacCycles: b.MacCycles, MaxFill: fifo[u].MaxFill}
	}
	st.Heads = w.Heads
	return st, nil
}

// rowOf returns the row of unit u's task number idx in tile t.
func rowOf(t *tile, u, idx int) int { return t.tasks[u][idx].r }

// rowTask expands a compact task into the arch form the cycle-stepped unit takes.
func rowTask(t *tile, tk task) arch.RowTask {
	h := t.h
	n := tk.k1 - tk.k0
	rt := arch.RowTask{Row: tk.r, Keys: make([]int, n), Steps: make([]uint8, n), Survive: make([]bool, n), Last: tk.last}
	for i := 0; i < n; i++ {
		j := tk.k0 + i
		rt.Keys[i] = j
		rt.Steps[i] = h.steps[h.pair(tk.r, j)]
		rt.Survive[i] = h.pushed[h.pair(tk.r, j)]
	}
	return rt
}
