package arch

// Dispatch status of a front-end unit asking for work.
const (
	// TaskReady: a task was returned with the cycle it starts at.
	TaskReady = iota
	// TaskWait: the unit's next tile is not scheduled by the memory yet; ask again (Resume)
	// after the memory starts a load.
	TaskWait
	// TaskNone: the unit has no task left in the run.
	TaskNone
)

// Dispatcher hands row tasks to front-end units. Next and Resume run it for the event engine,
// jumping to the cycle a task can start; StepCycle runs it cycle by cycle for the reference
// engine. A unit without a task is waiting for memory while a tile it could take a task from is
// not usable yet, and idle otherwise (arch/README.md); the dispatcher counts the waiting cycles.
type Dispatcher interface {
	// Next finds unit u's next task when the unit is free from cycle c: the task and the cycle
	// it starts at, TaskWait while a tile on the way is not usable yet, or TaskNone.
	Next(u int, c int64) (RowTask, int64, int, error)
	// Resume is Next for a unit that waited, called when the memory has acted at cycle now.
	Resume(u int, now int64) (RowTask, int64, int, error)
	// StepCycle is cycle c for unit u without a task: it returns a task that starts in c, if
	// one does, and otherwise counts c as a wait cycle when the unit is waiting for memory.
	StepCycle(u int, c int64) (RowTask, bool, error)
	// Pending reports whether unit u may still get a task.
	Pending(u int) bool
	// WaitMemory is the number of cycles unit u waited for memory so far.
	WaitMemory(u int) int64
	// SetOnWait sets a callback that hears each run of cycles [from, to) a unit waited.
	SetOnWait(f func(u int, from, to int64))
}

// The dispatchers in the order messages list them; neither takes parameters. Static dispatch
// binds rows to units when the workload is cut (a task list per unit), dynamic shares one list.
func init() {
	RegisterDispatcher("static", struct{}{}, nil, false, func(_ struct{}, units int, src TileSource, mem Memory) Dispatcher {
		return NewStaticDispatcher(units, src, mem)
	})
	RegisterDispatcher("dynamic", struct{}{}, nil, true, func(_ struct{}, units int, src TileSource, mem Memory) Dispatcher {
		return NewDynamicDispatcher(units, src, mem)
	})
}

// StaticDispatcher hands each front-end unit the row tasks the workload bound to it, tile by
// tile in load order (today's mapping: query row r of a head to unit r mod units). A unit
// without a task is waiting for memory while a tile it has not passed is not usable yet, and
// idle otherwise (arch/README.md); the dispatcher counts the waiting cycles. Next runs it for
// the event engine, jumping to the cycle a task can start; StepCycle runs it cycle by cycle
// for the reference engine.
type StaticDispatcher struct {
	src TileSource
	mem Memory
	cur []dispatchCursor
	// OnWait, when set, hears each run of cycles [from, to) unit u spent waiting for memory.
	OnWait func(u int, from, to int64)
}

type dispatchCursor struct {
	seq, idx   int   // next task: tile seq's Tasks[u][idx]
	clock      int64 // event engine: the cycle from which the unit waits
	WaitMemory int64
}

// NewStaticDispatcher returns a dispatcher for units over the tiles of src loaded by mem.
func NewStaticDispatcher(units int, src TileSource, mem Memory) *StaticDispatcher {
	return &StaticDispatcher{src: src, mem: mem, cur: make([]dispatchCursor, units)}
}

// WaitMemory is the number of cycles unit u waited for memory so far.
func (d *StaticDispatcher) WaitMemory(u int) int64 { return d.cur[u].WaitMemory }

// Next finds unit u's next task when the unit is free from cycle c: the task and the cycle it
// starts at (c, or when its tile becomes usable), TaskWait while a tile on the way has no load
// scheduled, or TaskNone.
func (d *StaticDispatcher) Next(u int, c int64) (RowTask, int64, int, error) {
	cu := &d.cur[u]
	for {
		t, err := d.src.Tile(cu.seq)
		if err != nil {
			return RowTask{}, 0, TaskNone, err
		}
		if t == nil {
			return RowTask{}, 0, TaskNone, nil
		}
		ready, ok := d.mem.Ready(cu.seq)
		if !ok {
			cu.clock = c
			return RowTask{}, 0, TaskWait, nil
		}
		if ready > c {
			cu.WaitMemory += ready - c
			if d.OnWait != nil {
				d.OnWait(u, c, ready)
			}
			c = ready
		}
		if cu.idx < len(t.Tasks[u]) {
			tk := t.Tasks[u][cu.idx]
			cu.idx++
			return tk, c, TaskReady, nil
		}
		cu.seq, cu.idx = cu.seq+1, 0
	}
}

// Resume is Next from the cycle at which unit u began to wait (the tiles' ready cycles tell
// when it can start, so now is not needed).
func (d *StaticDispatcher) Resume(u int, now int64) (RowTask, int64, int, error) {
	return d.Next(u, d.cur[u].clock)
}

// StepCycle is cycle c for unit u without a task: it returns a task that starts in c, if one
// does, and otherwise counts c as a wait cycle when a tile the unit has not passed is not usable.
func (d *StaticDispatcher) StepCycle(u int, c int64) (RowTask, bool, error) {
	cu := &d.cur[u]
	for {
		t, err := d.src.Tile(cu.seq)
		if err != nil || t == nil {
			return RowTask{}, false, err
		}
		if ready, ok := d.mem.Ready(cu.seq); !ok || ready > c {
			cu.WaitMemory++
			if d.OnWait != nil {
				d.OnWait(u, c, c+1)
			}
			return RowTask{}, false, nil
		}
		if cu.idx < len(t.Tasks[u]) {
			tk := t.Tasks[u][cu.idx]
			cu.idx++
			return tk, true, nil
		}
		cu.seq, cu.idx = cu.seq+1, 0
	}
}

// Pending reports whether unit u has a task left in the tiles loaded so far or in tiles still
// to come.
func (d *StaticDispatcher) Pending(u int) bool {
	cu := d.cur[u]
	for seq, idx := cu.seq, cu.idx; ; seq, idx = seq+1, 0 {
		t, err := d.src.Tile(seq)
		if err != nil || t == nil {
			return err != nil
		}
		if _, ok := d.mem.Ready(seq); !ok || idx < len(t.Tasks[u]) {
			return true
		}
	}
}

// DynamicDispatcher hands the row tasks of the loaded tiles to whichever front-end unit is free,
// in tile order and in each tile in row order: a unit that frees takes the next task not taken
// yet. A row whose keys span several tiles stays on the unit that took its first task (its
// partial softmax lives in that unit's back end), so such a row's later tasks wait for that
// unit; other units pass them by. The workload puts every task of a tile in Tasks[0].
type DynamicDispatcher struct {
	src   TileSource
	mem   Memory
	seq   int                  // oldest tile with a task not taken yet
	taken map[int]*dynamicTile // per tile from seq on: which tasks were taken
	owner map[int64]int        // multi-tile row (RowTask.RowID) -> the unit that took its first task
	cur   []dynamicUnit
	// OnWait, when set, hears each run of cycles [from, to) unit u spent waiting for memory.
	OnWait func(u int, from, to int64)
}

// dynamicTile is which tasks of a tile were handed out: every task before first was, and left
// are still to go.
type dynamicTile struct {
	taken []bool
	first int
	left  int
}

type dynamicUnit struct {
	clock      int64
	WaitMemory int64
}

// NewDynamicDispatcher returns a dispatcher for units over the tiles of src loaded by mem.
func NewDynamicDispatcher(units int, src TileSource, mem Memory) *DynamicDispatcher {
	return &DynamicDispatcher{src: src, mem: mem, taken: map[int]*dynamicTile{}, owner: map[int64]int{},
		cur: make([]dynamicUnit, units)}
}

// WaitMemory implements Dispatcher.
func (d *DynamicDispatcher) WaitMemory(u int) int64 { return d.cur[u].WaitMemory }

// find looks for a task unit u may take in the tiles usable at cycle c. It returns the task's
// tile and index, or wait when a tile not usable yet is reached first, or neither when no task
// is left for u.
func (d *DynamicDispatcher) find(u int, c int64) (seq, idx int, wait bool, err error) {
	for s := d.seq; ; s++ {
		t, err := d.src.Tile(s)
		if err != nil || t == nil {
			return -1, -1, false, err
		}
		if ready, ok := d.mem.Ready(s); !ok || ready > c {
			return -1, -1, true, nil
		}
		tasks := t.Tasks[0]
		dt := d.taken[s]
		if dt == nil {
			dt = &dynamicTile{taken: make([]bool, len(tasks)), left: len(tasks)}
			d.taken[s] = dt
		}
		for i := dt.first; i < len(tasks); i++ {
			if dt.taken[i] {
				continue
			}
			if id := tasks[i].RowID; id >= 0 {
				if v, ok := d.owner[id]; ok && v != u {
					continue
				}
			}
			return s, i, false, nil
		}
	}
}

// take hands task idx of tile seq to unit u.
func (d *DynamicDispatcher) take(u, seq, idx int) RowTask {
	t, _ := d.src.Tile(seq)
	tk := t.Tasks[0][idx]
	dt := d.taken[seq]
	dt.taken[idx] = true
	dt.left--
	for dt.first < len(dt.taken) && dt.taken[dt.first] {
		dt.first++
	}
	if tk.RowID >= 0 {
		if _, ok := d.owner[tk.RowID]; !ok {
			d.owner[tk.RowID] = u
		}
		if tk.Last {
			delete(d.owner, tk.RowID)
		}
	}
	// Move past tiles whose every task is taken.
	for {
		dt, ok := d.taken[d.seq]
		if !ok || dt.left > 0 {
			break
		}
		delete(d.taken, d.seq)
		d.seq++
	}
	return tk
}

// Next implements Dispatcher.
func (d *DynamicDispatcher) Next(u int, c int64) (RowTask, int64, int, error) {
	seq, idx, wait, err := d.find(u, c)
	switch {
	case err != nil:
		return RowTask{}, 0, TaskNone, err
	case wait:
		d.cur[u].clock = c
		return RowTask{}, 0, TaskWait, nil
	case seq < 0:
		return RowTask{}, 0, TaskNone, nil
	}
	return d.take(u, seq, idx), c, TaskReady, nil
}

// Resume implements Dispatcher: the unit looks again as of cycle now, and the cycles since it
// began to wait were spent waiting for memory unless it waits on.
func (d *DynamicDispatcher) Resume(u int, now int64) (RowTask, int64, int, error) {
	from := d.cur[u].clock
	tk, start, status, err := d.Next(u, now)
	if status == TaskWait {
		d.cur[u].clock = from
	} else {
		d.cur[u].WaitMemory += now - from
		if d.OnWait != nil && now > from {
			d.OnWait(u, from, now)
		}
	}
	return tk, start, status, err
}

// StepCycle implements Dispatcher.
func (d *DynamicDispatcher) StepCycle(u int, c int64) (RowTask, bool, error) {
	seq, idx, wait, err := d.find(u, c)
	if err != nil || seq < 0 {
		if wait {
			d.cur[u].WaitMemory++
			if d.OnWait != nil {
				d.OnWait(u, c, c+1)
			}
		}
		return RowTask{}, false, err
	}
	return d.take(u, seq, idx), true, nil
}

// Pending implements Dispatcher.
func (d *DynamicDispatcher) Pending(u int) bool {
	seq, _, wait, err := d.find(u, Never-1)
	return err != nil || wait || seq >= 0
}

// SetOnWait implements Dispatcher.
func (d *StaticDispatcher) SetOnWait(f func(u int, from, to int64)) { d.OnWait = f }

// SetOnWait implements Dispatcher.
func (d *DynamicDispatcher) SetOnWait(f func(u int, from, to int64)) { d.OnWait = f }
