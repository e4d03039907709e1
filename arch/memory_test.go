package arch

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
)

// tileList is a TileSource over fixed tiles.
type tileList []*Tile

func (ts tileList) Tile(seq int) (*Tile, error) {
	if seq >= len(ts) {
		return nil, nil
	}
	return ts[seq], nil
}

// memEvent is one report of the units to the memory: kinds in the order a cycle makes them
// (the back end retires before the front end pushes, and a task ends after its last push).
type memEvent struct {
	cycle int64
	kind  int // 0 retire, 1 push, 2 task end
	seq   int
	last  int64 // retire: the cycle the entry's work ends
	addr  int64 // push: the address of the entry's V row (a RowFetcher fetches it)
}

// memLoad is one load as the listener heard it.
type memLoad struct {
	seq          int
	start, ready int64
}

// memWork is the units' use of each tile once loaded: task ends and entries (push, retire,
// end of work), as offsets from the tile's ready cycle.
type memWork struct {
	taskEnds            []int64
	pushes, retires, by []int64
}

// memDriver plays the units against a memory: when a tile's load starts it schedules the
// tile's reports; a driver delivers them at their cycles.
type memDriver struct {
	mem     Memory
	work    []memWork
	pending []memEvent
	loads   []memLoad
	reused  []int
	rows    []string // a RowFetcher's answers: "seq:addr@cycle -> ready fetched"
	polled  int      // loads before it were scheduled
	horizon int64    // the last cycle of any work reported
}

func (d *memDriver) LoadStarted(t *Tile, start, ready int64) {
	d.loads = append(d.loads, memLoad{t.Seq, start, ready})
	if ready >= 0 {
		d.schedule(t.Seq, ready)
	}
}

// poll schedules the work of the tiles delivered by cycle c whose load did not say when they
// would be usable (ready -1: the model knows it once the tile is in), from c on.
func (d *memDriver) poll(c int64) {
	for ; d.polled < len(d.loads); d.polled++ {
		l := d.loads[d.polled]
		if l.ready >= 0 {
			continue
		}
		ready, ok := d.mem.Ready(l.seq)
		if !ok {
			return
		}
		d.schedule(l.seq, max(ready, c))
	}
}

// schedule queues tile seq's reports, as offsets from the cycle its work may begin.
func (d *memDriver) schedule(seq int, ready int64) {
	w := d.work[seq]
	d.horizon = max(d.horizon, ready)
	for _, e := range w.taskEnds {
		d.pending = append(d.pending, memEvent{cycle: ready + e, kind: 2, seq: seq})
	}
	for i := range w.pushes {
		// Rows repeat within a tile (a row is fetched once per tile) and across tiles.
		addr := int64(seq%3*4+i%3) * 64
		d.pending = append(d.pending, memEvent{cycle: ready + w.pushes[i], kind: 1, seq: seq, addr: addr})
		d.pending = append(d.pending, memEvent{cycle: ready + w.retires[i], kind: 0, seq: seq,
			last: ready + w.retires[i] + w.by[i]})
		d.horizon = max(d.horizon, ready+w.retires[i]+w.by[i])
	}
	for _, e := range w.taskEnds {
		d.horizon = max(d.horizon, ready+e)
	}
	sort.SliceStable(d.pending, func(a, b int) bool {
		x, y := d.pending[a], d.pending[b]
		if x.cycle != y.cycle {
			return x.cycle < y.cycle
		}
		return x.kind < y.kind
	})
}

func (d *memDriver) BufferReused(seq int) { d.reused = append(d.reused, seq) }

// deliver reports every pending event of cycle c.
func (d *memDriver) deliver(c int64) {
	for len(d.pending) > 0 && d.pending[0].cycle == c {
		e := d.pending[0]
		d.pending = d.pending[1:]
		switch e.kind {
		case 0:
			d.mem.EntryRetired(e.seq, e.last)
		case 1:
			d.mem.EntryPushed(e.seq)
			if rf, ok := d.mem.(RowFetcher); ok {
				ready, fetched := rf.FetchRow(e.seq, e.addr, 48, c)
				d.rows = append(d.rows, fmt.Sprintf("%d:%d@%d -> %d %t", e.seq, e.addr, c, ready, fetched))
				d.horizon = max(d.horizon, ready)
			}
		default:
			d.mem.TaskEnded(e.seq, e.cycle)
		}
	}
}

func (d *memDriver) nextReport() int64 {
	if len(d.pending) == 0 {
		return Never
	}
	return d.pending[0].cycle
}

// memResult is what the two interfaces are compared on.
type memResult struct {
	loads  []memLoad
	reused []int
	rows   []string
	ready  []int64
	stats  DRAMStats
}

func (d *memDriver) result(tiles int) memResult {
	r := memResult{loads: d.loads, reused: d.reused, rows: d.rows, stats: d.mem.Stats()}
	for s := 0; s < tiles; s++ {
		c, ok := d.mem.Ready(s)
		if !ok {
			c = -1
		}
		r.ready = append(r.ready, c)
	}
	return r
}

// newMemoryFunc builds a memory model over tiles for a listener.
type newMemoryFunc func(src TileSource, l MemoryListener) Memory

// serial builds the serial model with p.
func serial(p SerialMemoryParams) newMemoryFunc {
	return func(src TileSource, l MemoryListener) Memory { return NewSerialMemory(p, src, l) }
}

// runMemoryPerCycle steps the memory every cycle, before the units' reports of that cycle.
func runMemoryPerCycle(t *testing.T, build newMemoryFunc, tiles tileList, work []memWork) memResult {
	d := &memDriver{work: work}
	d.mem = build(tiles, d)
	// After the last report, a step returns the buffers of the work that ended (as skip-ahead
	// does at its next event).
	for c := int64(0); !d.mem.AllLoaded() || len(d.pending) > 0 || c <= d.horizon+1; c++ {
		if c > 1<<20 {
			t.Fatal("per-cycle memory made no progress")
		}
		if err := d.mem.Step(c); err != nil {
			t.Fatal(err)
		}
		d.poll(c)
		d.deliver(c)
	}
	return d.result(len(tiles))
}

// runMemoryEvents advances the memory only at the cycles its NextEvent names, delivering the
// reports that come first (a report in the cycle of a memory event comes after it).
func runMemoryEvents(t *testing.T, build newMemoryFunc, tiles tileList, work []memWork) memResult {
	d := &memDriver{work: work}
	d.mem = build(tiles, d)
	for {
		n, e := d.mem.NextEvent(), d.nextReport()
		if n == Never && e == Never {
			break
		}
		if e < n {
			d.deliver(e)
			continue
		}
		if err := d.mem.Advance(n); err != nil {
			t.Fatal(err)
		}
		d.poll(n)
	}
	if !d.mem.AllLoaded() {
		t.Fatal("event-driven memory stopped before every tile was loaded")
	}
	return d.result(len(tiles))
}

// randMemoryCase draws tiles and the units' use of each: tasks ending up to slow cycles after
// the tile is usable, entries pushed no later than the last task end and retired later.
func randMemoryCase(r *rand.Rand, ntiles, slow int) (tileList, []memWork) {
	var tiles tileList
	var work []memWork
	for s := 0; s < ntiles; s++ {
		ntasks := r.IntN(4)
		if s == 0 || r.IntN(6) != 0 {
			ntasks++ // now and then a tile none of the units uses
		}
		t := &Tile{Seq: s, Bytes: int64(1 + r.IntN(200)), Tasks: [][]RowTask{make([]RowTask, ntasks)}}
		tiles = append(tiles, t)
		var w memWork
		lastEnd := int64(0)
		for i := 0; i < ntasks; i++ {
			e := int64(r.IntN(slow + 1))
			w.taskEnds = append(w.taskEnds, e)
			lastEnd = max(lastEnd, e)
		}
		if ntasks > 0 {
			for i := r.IntN(4); i > 0; i-- {
				push := int64(r.IntN(int(lastEnd) + 1))
				retire := push + 1 + int64(r.IntN(slow+1))
				w.pushes = append(w.pushes, push)
				w.retires = append(w.retires, retire)
				w.by = append(w.by, int64(r.IntN(4)))
			}
		}
		work = append(work, w)
	}
	return tiles, work
}

// TestSerialMemoryHandWorked: three tiles of 40 bytes, each one whole 64-byte line, at 16 B/cycle,
// latency 4 (4 + 64/16 = 8 cycles a load).
//
//	tile 0: 0..7, ready 8; tile 1 (buffer free): 8..15, ready 16. Tile 0's one task ends at
//	8+20 = 28, so its buffer is free at 29: tile 2 waits on the free channel 16..28 (13 cycles)
//	and loads 29..36, ready 37. 192 bytes (3 lines) in 3 loads; the data bus busy 3 x 4 = 12
//	cycles, the requests in flight 3 x 8 = 24.
func TestSerialMemoryHandWorked(t *testing.T) {
	var tiles tileList
	for s := 0; s < 3; s++ {
		tiles = append(tiles, &Tile{Seq: s, Bytes: 40, Tasks: [][]RowTask{make([]RowTask, 1)}})
	}
	work := []memWork{{taskEnds: []int64{20}}, {taskEnds: []int64{0}}, {taskEnds: []int64{0}}}
	p := SerialMemoryParams{BytesPerCycle: 16, Latency: 4, BurstBytes: 64}
	want := memResult{loads: []memLoad{{0, 0, 8}, {1, 8, 16}, {2, 29, 37}}, reused: []int{0}, ready: []int64{8, 16, 37},
		stats: DRAMStats{Bytes: 192, Loads: 3, Busy: 12, Requests: 3, RequestCycles: 24, WaitBuffer: 13}}
	for name, run := range map[string]func(*testing.T, newMemoryFunc, tileList, []memWork) memResult{
		"per-cycle": runMemoryPerCycle, "events": runMemoryEvents} {
		if got := run(t, serial(p), tiles, work); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
}

// TestSerialMemorySkipAheadMatchesStep: NextEvent/Advance start the same loads at the same
// cycles, free the same buffers and count the same busy and buffer-wait cycles as Step run
// every cycle, from channel-bound to buffer-bound cases.
func TestSerialMemorySkipAheadMatchesStep(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 1))
	for _, tc := range []struct {
		name            string
		maxLat, maxBW   int
		maxTiles, slow  int
		wantBufferWaits bool
	}{
		{"channel-bound", 50, 4, 8, 5, false},
		{"buffer-bound", 2, 64, 8, 80, true},
		{"mixed", 20, 16, 12, 30, true},
		{"one tile", 10, 8, 1, 10, false},
	} {
		waits := 0
		for it := 0; it < 150; it++ {
			p := SerialMemoryParams{BytesPerCycle: 1 + r.IntN(tc.maxBW), Latency: int64(r.IntN(tc.maxLat + 1)), BurstBytes: 1 + r.IntN(64)}
			tiles, work := randMemoryCase(r, 1+r.IntN(tc.maxTiles), tc.slow)
			want, got := runMemoryPerCycle(t, serial(p), tiles, work), runMemoryEvents(t, serial(p), tiles, work)
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("%s, iter %d, %+v, work %+v:\nper-cycle %+v\nevents    %+v", tc.name, it, p, work, want, got)
			}
			if want.stats.Loads != int64(len(tiles)) {
				t.Fatalf("%s, iter %d: %d loads for %d tiles", tc.name, it, want.stats.Loads, len(tiles))
			}
			waits += b2i(want.stats.WaitBuffer > 0)
		}
		if tc.wantBufferWaits && waits < 30 {
			t.Errorf("%s: only %d of 150 cases waited for a buffer", tc.name, waits)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rowsAt is a RowFetcher whose rows are in at a fixed cycle per address.
type rowsAt map[int64]int64

func (r rowsAt) FetchRow(seq int, addr, bytes int64, c int64) (int64, bool) {
	at, ok := r[addr]
	return at, ok
}

// TestOnDemandPort: a survivor's entry (and a keep-max marker's) becomes visible when its V row
// is in, never earlier than the cycle after its push; a plain marker needs no row.
func TestOnDemandPort(t *testing.T) {
	fifo := NewFIFO(8)
	var fetched []int
	p := &OnDemandPort{FIFO: fifo, Mem: rowsAt{10: 14, 20: 3},
		Row:     func(e Entry) (int64, int64) { return int64(10 * (e.Key + 1)), 2 },
		Fetched: func(e Entry) { fetched = append(fetched, e.Key) }}
	for _, e := range []Entry{
		{Key: 0, Visible: 9},                              // row in at 14
		{Key: 1, Visible: 9},                              // row in at 3: visible at 9
		{Key: -1, Marker: true, Visible: 10},              // a plain marker: no row
		{Key: 0, Marker: true, KeepMax: true, Visible: 5}, // keep-max: its key's row
	} {
		p.Push(e)
	}
	var got []int64
	for fifo.Len() > 0 {
		got = append(got, fifo.Pop().Visible)
	}
	if want := []int64{14, 9, 10, 14}; !slices.Equal(got, want) || !slices.Equal(fetched, []int{0, 1, 0}) {
		t.Errorf("visible %v, fetched %v; want %v and [0 1 0]", got, fetched, want)
	}
}
