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

// Resume is Next from the cycle at which unit u began to wait.
func (d *StaticDispatcher) Resume(u int) (RowTask, int64, int, error) {
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
