package engine

import (
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/traces"
)

// heads is an in-memory HeadSource.
type heads []*traces.Head

func (hs heads) NumHeads() int                    { return len(hs) }
func (hs heads) Head(i int) (*traces.Head, error) { return hs[i], nil }

// smallHead is a random 8-bit head of up to 24 queries and keys.
func smallHead(r *rand.Rand, layer int) *traces.Head {
	n, m, d := 1+r.IntN(24), 1+r.IntN(24), 1+r.IntN(16)
	h := &traces.Head{Layer: layer, N: n, M: m, D: d, DV: d, BitsQ: 8, BitsK: 8, BitsV: 8,
		ScaleQ: 1, ScaleK: 1, ScaleV: 1, ValidQ: n, ValidK: m, Threshold: float64(r.IntN(200) - 100)}
	fill := func(k int) []int32 {
		out := make([]int32, k)
		for i := range out {
			out[i] = r.Int32N(256) - 128
		}
		return out
	}
	h.Q, h.K, h.V = fill(n*d), fill(m*d), fill(m*d)
	return h
}

// testParams are a small configuration: 4 units of 4 lanes, a shallow FIFO, a slow channel.
func testParams(name string, et, prune bool) *Params {
	return &Params{Name: name, Units: 4,
		FrontEnd: arch.FrontEndParams{Lanes: 4, BitsPerCycle: 1, EarlyTermination: et, KeepAll: !prune,
			FillCycles: 1, DrainCycles: 1},
		BackEnd: arch.BackEndParams{Macs: 4, ExpLatency: 2, NormLatency: 3}, FIFODepth: 4,
		SRAMQBytes: 1 << 16, SRAMKVBytes: 1 << 16, KVBuffers: 2,
		Memory: arch.Variant{Name: "serial", Params: arch.SerialMemoryParams{BytesPerCycle: 8, Latency: 10, BurstBytes: 64, Buffers: 2}},
		BitsQ:  16, BitsK: 16, BitsV: 16, ThresholdScale: 1}
}

// countingSource counts how many heads are handed out and not yet dropped by the workload.
type countingSource struct {
	heads
	mu    sync.Mutex
	reads int
}

func (c *countingSource) Head(i int) (*traces.Head, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.heads[i], nil
}

// TestMemoryBounded: a design and three baselines simulated side by side over many heads read
// each head once and never hold more than the shared window of heads at a time, and each
// simulation keeps the pair tables of only the few heads in flight.
func TestMemoryBounded(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	var hs heads
	for i := 0; i < 60; i++ {
		hs = append(hs, smallHead(r, i))
	}
	ps := []*Params{testParams("design", true, true), testParams("dense", false, false),
		testParams("et_only", true, false), testParams("prune_only", false, true)}
	src := &countingSource{heads: hs}
	shared := newSharedHeads(src, len(ps), ps[0].headsHeld(), nil)
	var wg sync.WaitGroup
	live := make([]int, len(ps))
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorkload(p, src, planeKernel)
			w.shared, w.sharedBPC = shared, 1
			if _, err := runEvent(p, w, Options{}); err != nil {
				t.Error(err)
			}
			for _, h := range w.heads {
				if len(h.blocks) > 0 {
					live[i]++
				}
			}
		}()
	}
	wg.Wait()
	if src.reads != len(hs) {
		t.Errorf("read %d heads for %d heads and %d configurations; want each read once", src.reads, len(hs), len(ps))
	}
	// Only the tiles still in their buffers when the run ends are never released: each of these
	// one-block heads leaves at most its head and its one table.
	if len(shared.tables) > len(shared.entries) || len(shared.entries) > 4 {
		t.Errorf("%d pair tables and %d heads still shared at the end; want at most the last tiles' (4)", len(shared.tables), len(shared.entries))
	}
	if shared.maxLive > shared.window {
		t.Errorf("%d heads alive at once, window %d", shared.maxLive, shared.window)
	}
	for i, n := range live {
		if n > 4 {
			t.Errorf("configuration %d still holds the pair tables of %d heads at the end", i, n)
		}
	}
}

// TestPoolSlots runs configurations that share heads through pools smaller than themselves,
// down to one slot, over enough heads to fill the shared window many times: a simulation that
// waits for room must give its slot back (or the run deadlocks), and the results must equal
// those of the unbounded run.
func TestPoolSlots(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 3))
	var hs heads
	for i := 0; i < 80; i++ {
		hs = append(hs, smallHead(r, i))
	}
	ps := []*Params{testParams("design", true, true), testParams("dense", false, false),
		testParams("et_only", true, false), testParams("prune_only", false, true)}
	want, err := RunAll(ps, hs, Event, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, slots := range []int{1, 2, 3} {
		done := make(chan struct{})
		var got []*Stats
		go func() {
			defer close(done)
			got, err = RunAll(ps, hs, Event, Options{Pool: NewPool(slots)})
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			t.Fatalf("%d slots: the run did not finish (deadlock?)", slots)
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%d slots: %s differs from the unbounded run", slots, ps[i].Name)
			}
		}
	}
}

// longHead is a random 8-bit head of rows query rows against keys keys, d 8.
func longHead(r *rand.Rand, rows, keys int) *traces.Head {
	d := 8
	h := &traces.Head{N: rows, M: keys, D: d, DV: d, BitsQ: 8, BitsK: 8, BitsV: 8,
		ScaleQ: 1, ScaleK: 1, ScaleV: 1, ValidQ: rows, ValidK: keys, Threshold: 40}
	fill := func(k int) []int32 {
		out := make([]int32, k)
		for i := range out {
			out[i] = r.Int32N(256) - 128
		}
		return out
	}
	h.Q, h.K, h.V = fill(rows*d), fill(keys*d), fill(keys*d)
	return h
}

// TestTableWindow: configurations sharing the pair tables of a head of many query blocks keep
// at most the tables' drift window alive, plus the blocks they hold in flight, whatever the
// pool (with one slot and no window, the first simulation would make every table of the head
// before the others start); and the results equal those of the unbounded run.
func TestTableWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 7))
	const rows, keys = 400, 48
	hs := heads{longHead(r, rows, keys), longHead(r, rows, keys)}
	var ps []*Params
	for _, p := range []*Params{testParams("design", true, true), testParams("dense", false, false),
		testParams("et_only", true, false), testParams("prune_only", false, true)} {
		p.SRAMQBytes = 16 // two 8-byte query rows a block: 200 blocks a head
		ps = append(ps, p)
	}
	run := func(window int64, pool *Pool) ([]*Stats, *sharedHeads) {
		shared := newSharedHeads(hs, len(ps), ps[0].headsHeld(), pool)
		shared.tableWindow = window
		stats := make([]*Stats, len(ps))
		var wg sync.WaitGroup
		for i, p := range ps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pool.acquire()
				defer pool.release()
				w := newWorkload(p, hs, planeKernel)
				w.shared, w.sharedBPC = shared, 1
				var err error
				if stats[i], err = runEvent(p, w, Options{}); err != nil {
					t.Error(err)
					shared.stop()
				}
			}()
		}
		wg.Wait()
		return stats, shared
	}
	want, _ := run(1<<40, nil)
	const block = 2 * keys // bytes of one block's table
	window := int64(3 * block)
	// Past the window: the blocks each user holds in flight (Params.headsHeld bounds them).
	bound := window + int64(len(ps)*ps[0].headsHeld()*block)
	for _, slots := range []int{1, 2, 4} {
		got, shared := run(window, NewPool(slots))
		if shared.maxTableBytes > bound {
			t.Errorf("%d slots: %d bytes of pair tables alive at once; want at most %d (window %d)", slots, shared.maxTableBytes, bound, window)
		}
		if len(shared.tables) > len(ps) || shared.tableBytes < 0 {
			t.Errorf("%d slots: %d tables (%d bytes) still shared at the end", slots, len(shared.tables), shared.tableBytes)
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%d slots: %s differs from the run without a window", slots, ps[i].Name)
			}
		}
	}
}

// TestTasksMadeAtLoad: a block of several key tiles gets each tile's tasks when the memory system
// first asks for the tile, not when the block is prepared, and the run is the same as with every
// tile's tasks made at once (eagerTasks), in both engines, for the design and the baselines.
func TestTasksMadeAtLoad(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 3))
	const rows, keys = 40, 48
	hs := heads{longHead(r, rows, keys), longHead(r, rows, keys)}
	params := func(name string, et, prune, eager bool) *Params {
		p := testParams(name, et, prune)
		p.SRAMKVBytes = 256 // 8 keys of 8-bit K and V a 128-byte buffer: 6 key tiles a block
		p.SRAMQBytes = 128  // 16 query rows a block
		p.eagerTasks = eager
		return p
	}

	w := newWorkload(params("design", true, true, false), hs, planeKernel)
	if _, err := w.Tile(0); err != nil {
		t.Fatal(err)
	}
	if len(w.tiles) < 6 {
		t.Fatalf("%d tiles prepared, want a block of 6 key tiles at least", len(w.tiles))
	}
	for seq, tl := range w.tiles[1:] {
		if tl.pending == nil || tl.NumTasks() != 0 {
			t.Fatalf("tile %d: tasks made before the memory asked for it (%d tasks)", seq+1, tl.NumTasks())
		}
	}
	if _, err := w.Tile(1); err != nil {
		t.Fatal(err)
	}
	if w.tiles[1].pending != nil || w.tiles[1].NumTasks() == 0 {
		t.Fatal("tile 1: no tasks once the memory asked for it")
	}

	for _, c := range []struct {
		name      string
		et, prune bool
	}{{"design", true, true}, {"dense", false, false}, {"et_only", true, false}, {"prune_only", false, true}} {
		var got [2][2]*Stats // [eager][engine]
		for e, eager := range []bool{false, true} {
			p := params(c.name, c.et, c.prune, eager)
			var err error
			if got[e][0], err = runEvent(p, newWorkload(p, hs, planeKernel), Options{}); err != nil {
				t.Fatal(err)
			}
			if got[e][1], err = runReference(p, hs, Options{}); err != nil {
				t.Fatal(err)
			}
		}
		for eng, name := range []string{"event", "reference"} {
			if !reflect.DeepEqual(got[0][eng], got[1][eng]) {
				t.Errorf("%s, %s engine: tasks made at load give\n%+v\nmade at once\n%+v", c.name, name, got[0][eng], got[1][eng])
			}
		}
		if got[0][0].Cycles != got[0][1].Cycles {
			t.Errorf("%s: event engine %d cycles, reference %d", c.name, got[0][0].Cycles, got[0][1].Cycles)
		}
	}
}
