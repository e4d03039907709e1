package arch

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// scriptMemory is a Memory whose loads are fixed ahead: tile s's load is scheduled (Ready
// answers) from cycle sched[s] on and the tile is usable from ready[s]. It lets the dispatcher
// be tested apart from the units that would free the buffers. A tile becoming usable is an
// event of the memory, as a load's completion is.
type scriptMemory struct {
	sched, ready []int64
	scheduled    int
	last         int64 // the last cycle run
}

func (m *scriptMemory) Ready(seq int) (int64, bool) {
	if seq < m.scheduled {
		return m.ready[seq], true
	}
	return 0, false
}

func (m *scriptMemory) Step(c int64) error {
	m.last = c
	for m.scheduled < len(m.sched) && m.sched[m.scheduled] <= c {
		m.scheduled++
	}
	return nil
}

func (m *scriptMemory) NextEvent() int64 {
	next := int64(Never)
	if m.scheduled < len(m.sched) {
		next = m.sched[m.scheduled]
	}
	for _, r := range m.ready[:m.scheduled] {
		if r > m.last {
			next = min(next, r)
		}
	}
	return next
}

func (m *scriptMemory) Advance(c int64) error   { return m.Step(c) }
func (m *scriptMemory) TaskEnded(int, int64)    {}
func (m *scriptMemory) EntryPushed(int)         {}
func (m *scriptMemory) EntryRetired(int, int64) {}
func (m *scriptMemory) AllLoaded() bool         { return m.scheduled == len(m.sched) }
func (m *scriptMemory) Stats() DRAMStats        { return DRAMStats{} }

// dispatchCase: units running the tasks of tiles (a task of unit u takes dur[u] cycles, its
// Row field numbering it) over a scripted memory.
type dispatchCase struct {
	// build makes the dispatcher under test (nil: static).
	build        func(units int, src TileSource, mem Memory) Dispatcher
	tiles        tileList
	dur          []int64
	sched, ready []int64
}

// dispatchResult: each unit's task starts ("row@cycle") and cycles waiting for memory.
type dispatchResult struct {
	Starts [][]string
	Wait   []int64
}

// dispatcher builds the case's dispatcher over its tiles.
func (dc dispatchCase) dispatcher(units int, mem Memory) Dispatcher {
	if dc.build == nil {
		return NewStaticDispatcher(units, dc.tiles, mem)
	}
	return dc.build(units, dc.tiles, mem)
}

// runDispatchPerCycle asks the dispatcher every cycle for each idle unit (StepCycle), after the
// memory's step, as the reference engine does.
func runDispatchPerCycle(t *testing.T, dc dispatchCase) dispatchResult {
	units := len(dc.dur)
	mem := &scriptMemory{sched: dc.sched, ready: dc.ready, last: -1}
	d := dc.dispatcher(units, mem)
	res := dispatchResult{Starts: make([][]string, units), Wait: make([]int64, units)}
	freeAt := make([]int64, units)
	for c := int64(0); ; c++ {
		if c > 1<<20 {
			t.Fatal("per-cycle dispatch made no progress")
		}
		if err := mem.Step(c); err != nil {
			t.Fatal(err)
		}
		left := false
		for u := 0; u < units; u++ {
			if c < freeAt[u] {
				left = true
				continue
			}
			tk, ok, err := d.StepCycle(u, c)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				res.Starts[u] = append(res.Starts[u], fmt.Sprintf("%d@%d", tk.Row, c))
				freeAt[u] = c + dc.dur[u]
				left = true
			} else if d.Pending(u) {
				left = true
			}
		}
		if !left {
			break
		}
	}
	for u := range res.Wait {
		res.Wait[u] = d.WaitMemory(u)
	}
	return res
}

// runDispatchEvents asks the dispatcher only when a unit frees (Next), and again (Resume) when
// the memory acts while the unit waits for a tile, as the event engine does: in cycle order,
// the memory first, then the units in order (units that share tasks compete for them).
func runDispatchEvents(t *testing.T, dc dispatchCase) dispatchResult {
	units := len(dc.dur)
	mem := &scriptMemory{sched: dc.sched, ready: dc.ready, last: -1}
	d := dc.dispatcher(units, mem)
	res := dispatchResult{Starts: make([][]string, units), Wait: make([]int64, units)}
	ask := make([]int64, units) // the cycle a unit asks for its next task; Never: it waits or is done
	waiting := make([]bool, units)
	took := func(u int, tk RowTask, at int64, status int, err error) {
		if err != nil {
			t.Fatal(err)
		}
		ask[u], waiting[u] = Never, status == TaskWait
		if status == TaskReady {
			res.Starts[u] = append(res.Starts[u], fmt.Sprintf("%d@%d", tk.Row, at))
			ask[u] = at + dc.dur[u]
		}
	}
	for {
		n, now := mem.NextEvent(), slices.Min(ask)
		if n == Never && now == Never {
			break
		}
		now = min(now, n)
		if n == now {
			if err := mem.Advance(n); err != nil {
				t.Fatal(err)
			}
		}
		for u := 0; u < units; u++ {
			switch {
			case waiting[u] && n == now:
				tk, at, status, err := d.Resume(u, now)
				took(u, tk, at, status, err)
			case ask[u] == now:
				tk, at, status, err := d.Next(u, now)
				took(u, tk, at, status, err)
			}
		}
	}
	for u := range res.Wait {
		if waiting[u] {
			t.Fatalf("unit %d still waits after every load was scheduled", u)
		}
		res.Wait[u] = d.WaitMemory(u)
	}
	return res
}

// randDispatchCase draws tiles with tasks for some of the units (every tile has one at least),
// task lengths, and loads scheduled and usable at nondecreasing cycles, sometimes long before
// the units get there and sometimes long after.
func randDispatchCase(r *rand.Rand) dispatchCase {
	units := 1 + r.IntN(3)
	dc := dispatchCase{dur: make([]int64, units)}
	for u := range dc.dur {
		dc.dur[u] = 1 + int64(r.IntN(8))
	}
	row := 0
	var sched, ready int64
	for s := 0; s < 1+r.IntN(8); s++ {
		tl := &Tile{Seq: s, Tasks: make([][]RowTask, units)}
		for tl.NumTasks() == 0 {
			for u := 0; u < units; u++ {
				for i := r.IntN(3); i > 0; i-- {
					tl.Tasks[u] = append(tl.Tasks[u], RowTask{Row: row, N: 1})
					row++
				}
			}
		}
		dc.tiles = append(dc.tiles, tl)
		sched = max(sched+int64(r.IntN(30)), ready-int64(r.IntN(10)))
		ready = max(ready, sched) + 1 + int64(r.IntN(40))
		dc.sched, dc.ready = append(dc.sched, sched), append(dc.ready, ready)
	}
	return dc
}

// TestDispatcherHandWorked: one unit, tasks of 5 cycles; tile 0 (tasks 0, 1) scheduled at 0 and
// usable at 10; tile 1 (task 2) scheduled at 12, usable at 30.
//
//	the unit waits 0..9 (10 cycles), runs task 0 at 10..14 and task 1 at 15..19, then waits for
//	tile 1 20..29 (10 more): task 2 starts at 30. Waiting for memory: 20 cycles.
func TestDispatcherHandWorked(t *testing.T) {
	dc := dispatchCase{dur: []int64{5}, sched: []int64{0, 12}, ready: []int64{10, 30},
		tiles: tileList{
			{Seq: 0, Tasks: [][]RowTask{{{Row: 0, N: 1}, {Row: 1, N: 1}}}},
			{Seq: 1, Tasks: [][]RowTask{{{Row: 2, N: 1}}}},
		}}
	want := dispatchResult{Starts: [][]string{{"0@10", "1@15", "2@30"}}, Wait: []int64{20}}
	for name, run := range map[string]func(*testing.T, dispatchCase) dispatchResult{
		"per-cycle": runDispatchPerCycle, "events": runDispatchEvents} {
		if got := run(t, dc); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, want %+v", name, got, want)
		}
	}
}

// TestDispatcherNextMatchesStepCycle: Next and Resume start every task at the same cycle and
// count the same cycles waiting for memory as StepCycle asked every cycle.
func TestDispatcherNextMatchesStepCycle(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 8))
	waited := 0
	for it := 0; it < 300; it++ {
		dc := randDispatchCase(r)
		want, got := runDispatchPerCycle(t, dc), runDispatchEvents(t, dc)
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("iter %d, %+v:\nper-cycle %+v\nevents    %+v", it, dc, want, got)
		}
		for _, w := range want.Wait {
			if w != want.Wait[0] {
				waited++ // units that waited unequally: the case is not trivially symmetric
				break
			}
		}
	}
	if waited < 30 {
		t.Errorf("only %d of 300 cases had units waiting for memory unequally", waited)
	}
}
