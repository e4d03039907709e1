package engine

import (
	"fmt"

	"github.com/lrpsim/lrpsim/arch"
)

// buffers are the configuration's on-chip buffers, as tiling fills them.
func (p *Params) buffers() arch.Buffers {
	return arch.Buffers{QBytes: p.SRAMQBytes, KVBytes: p.SRAMKVBytes, KVBuffers: p.KVBuffers}
}

// prepareBlock prepares head h's next query block: the pairs' decisions (or their survivors,
// for bit-serial lanes), and the block's tiles (arch.Tiling): its rows against runs of keys
// whose K and V fit one K/V buffer (the block's Q comes with its first key tile), with each
// row's tasks. A block of several tiles gets its tasks tile by tile, when the memory system
// asks for the tile to load it (workload.Tile): a long head's block has hundreds of key tiles,
// and their tasks, made at once, would outweigh everything else a run holds (issue 27: 100 MB
// of a 32768-token full run). A one-tile block (which may be packed with other heads) and
// plane-major K (whose load size the tasks decide) get them here.
func (w *workload) prepareBlock(h *head) ([]*tile, error) {
	q0 := h.nextQ
	q1 := min(q0+h.tiling.QRows, h.rows)
	h.nextQ += h.tiling.QRows
	table := w.blockTable(h, q0, q1)
	empty := w.countBlock(h, q0, q1, table)
	keys := 1 // keys of the block's tiles: up to the largest limit of its rows, one tile at least
	for r := q0; r < q1; r++ {
		keys = max(keys, h.limit[r])
	}
	keys = min(keys, max(h.keys, 1))
	tiles := w.keyTiles(h, q0, q1, keys)
	b := blockTasks{w: w, h: h, q0: q0, table: table, empty: empty, tiles: tiles}
	if w.p.KPlaneMajor {
		// Plane-major K: the planes each tile's lanes read, from the pairs' steps (computed here
		// for bit-serial lanes too, which must then stay within them).
		b.planeDec = table.dec
		if w.lanesDecide() {
			b.planeDec = policyTable(w.p.policy(), h.src, h.T, h.limit, q0, q1, w.p.planesPerStep(h.src.BitsK)).dec
		}
	}
	for r := q0; r < q1; r++ {
		if err := b.check(r); err != nil {
			return nil, err
		}
	}
	if len(tiles) > 1 && !w.p.KPlaneMajor && !w.p.eagerTasks {
		for ti, t := range tiles {
			t.pending = &pendingTasks{block: &b, index: ti}
		}
	} else {
		presizeTasks(h, q0, q1, tiles, w.p.buckets())
		for r := q0; r < q1; r++ {
			b.row(r)
		}
	}
	if w.p.KPlaneMajor {
		for _, t := range tiles {
			// The load brings the first planes of the tile's keys (MSB first): a prefix of its
			// plane-major K range.
			full := ceilBytes(t.bits.K)
			t.bits.K = arch.PlaneMajorKBits(t.bits.K, h.src.BitsK, t.headPlanes[0])
			t.Bytes -= full - ceilBytes(t.bits.K)
			t.segs[t.kSeg].Bytes = ceilBytes(t.bits.K)
		}
	}
	h.ntiles += len(tiles)
	if !w.lanesDecide() {
		// Bit-serial tasks carry operands, not the table: nothing to keep.
		h.blocks[q0] = &block{table: table, tiles: len(tiles)}
	}
	return tiles, nil
}

// presizeTasks gives each task list of tiles (the key tiles of query rows [q0, q1) of head h)
// the room its tasks take: row r has a task in each key tile up to its last (blockTasks.row), in
// list r mod buckets. Appending them one by one would reallocate each list as it grows and
// leave up to twice the room, for every tile of the block at once.
func presizeTasks(h *head, q0, q1 int, tiles []*tile, buckets int) {
	// ends[ti*buckets+u]: rows of list u whose last tile is ti; a running sum from the last tile
	// down gives the rows reaching each tile.
	ends := make([]int, len(tiles)*buckets)
	for r := q0; r < q1; r++ {
		ti := min(h.tiling.LastTile(h.limit[r]), len(tiles)-1)
		ends[ti*buckets+r%buckets]++
	}
	for u := range buckets {
		n := 0
		for ti := len(tiles) - 1; ti >= 0; ti-- {
			if n += ends[ti*buckets+u]; n > 0 {
				tiles[ti].Tasks[u] = make([]arch.RowTask, 0, n)
			}
		}
	}
}

// countBlock adds the survivors of query rows [q0, q1) of head h to its statistics and, when
// the table has them, the counts of their decisions (decisionCounts); it returns which rows keep
// no key of those they may see.
func (w *workload) countBlock(h *head, q0, q1 int, table *pairTable) []bool {
	var survivors int64
	empty := make([]bool, q1-q0)
	for r := q0; r < q1; r++ {
		kept := table.rowKept[r-q0]
		survivors += int64(kept)
		empty[r-q0] = kept == 0 && h.limit[r] > 0
	}
	w.Heads[h.index].Survivors += survivors
	if table.hist != nil {
		var pairs int64
		for r := q0; r < q1; r++ {
			pairs += int64(h.limit[r])
		}
		w.decided.countHead(w.p, h.src, table.hist, table.pruned, pairs, survivors)
	}
	return empty
}

// keyTiles makes the tiles of query rows [q0, q1) of head h against its first keys keys: their
// SRAM bits, their bytes and their DRAM ranges (arch.HeadAddrs), without tasks yet.
func (w *workload) keyTiles(h *head, q0, q1, keys int) []*tile {
	p, th := w.p, h.src
	var tiles []*tile
	for ti := range h.tiling.KeyTiles(keys) {
		lo := ti * h.tiling.Keys
		hi := min(lo+h.tiling.Keys, keys)
		t := &tile{heads: []*head{h}, q0: q0, Tile: arch.Tile{Tasks: make([][]arch.RowTask, p.buckets())},
			headPlanes: []int{th.BitsK}, bits: arch.KeyTileBits(h.shape, lo, hi)}
		t.Bytes = ceilBytes(t.bits.K)
		if !p.VOnDemand {
			t.Bytes += ceilBytes(t.bits.V)
		}
		if p.KPlaneMajor {
			t.headPlanes[0] = 0 // the tasks raise it to the planes their lanes read
		}
		if lo == 0 {
			q := h.addr.QRows(q0, q1)
			t.bits.Q = int64(q1-q0) * h.shape.QRowBits()
			t.Bytes += q.Bytes
			t.segs = append(t.segs, Segment(q))
		}
		t.kSeg = len(t.segs)
		t.segs = append(t.segs, Segment(h.addr.KRows(lo, hi)))
		if !p.VOnDemand {
			t.segs = append(t.segs, Segment(h.addr.VRows(lo, hi)))
		}
		tiles = append(tiles, t)
	}
	return tiles
}

// blockTasks hands a query block's rows their tasks, one per key tile the row sees.
type blockTasks struct {
	w        *workload
	h        *head
	q0       int
	table    *pairTable
	empty    []bool // per row of the block: it keeps none of its keys
	tiles    []*tile
	planeDec []uint8 // with plane-major K: the steps that size each tile's load
}

// check refuses query row r when the model cannot run it: a keep-max row that keeps no key but
// whose keys span several K/V tiles.
func (b *blockTasks) check(r int) error {
	p, h, th := b.w.p, b.h, b.h.src
	limit, empty := h.limit[r], b.empty[r-b.q0]
	lastTile := h.tiling.LastTile(limit)
	if th.KeepMax && empty && lastTile > 0 && !p.FrontEnd.KeepAll && p.FrontEnd.EarlyTermination {
		return fmt.Errorf("%s: query row %d keeps no key and the trace's empty_row is keep_max, but its %d keys span %d K/V tiles of %d keys (memory.sram_kv_bytes %d); the keep-max second pass is modelled within one tile: raise memory.sram_kv_bytes to at least %d or export the trace with empty_row zero",
			headWhere(th, h.index), r, limit, lastTile+1, h.tiling.Keys, p.SRAMKVBytes, int64(p.KVBuffers)*ceilBytes(int64(limit)*h.shape.KeyBits()))
	}
	return nil
}

// row gives query row r its tasks in the block's tiles (checked by check).
func (b *blockTasks) row(r int) {
	p := b.w.p
	for ti, t := range b.tiles {
		tk, ok := b.task(r, ti)
		if !ok {
			continue
		}
		if p.KPlaneMajor {
			pair := (r-b.q0)*b.h.keys + tk.Key0
			t.headPlanes[0] = max(t.headPlanes[0], readPlanes(p, b.h.src, b.planeDec[pair:pair+tk.N],
				tk.KeepMax && b.empty[r-b.q0] && !p.FrontEnd.KeepAll, p.planesPerStep(b.h.src.BitsK)))
		}
		u := r % p.buckets()
		t.Tasks[u] = append(t.Tasks[u], tk)
	}
}

// task is query row r's task in key tile ti of the block; false when the row has neither a key
// nor its end-of-row marker there.
func (b *blockTasks) task(r, ti int) (arch.RowTask, bool) {
	h, th := b.h, b.h.src
	limit, empty := h.limit[r], b.empty[r-b.q0]
	lastTile := h.tiling.LastTile(limit)
	k0, k1 := h.tiling.RowKeys(ti, limit)
	if k1 == k0 && ti != lastTile {
		return arch.RowTask{}, false
	}
	last := ti == lastTile
	tk := arch.RowTask{Row: r, N: k1 - k0, Key0: k0, Last: last, BitsK: th.BitsK, DV: th.DV, RowID: -1,
		Head: h.index, KeepMax: last && th.KeepMax && (lastTile == 0 || empty), MaxKey: -1}
	if tk.KeepMax && empty {
		tk.MaxKey = maxKey(th, r, limit)
	}
	if lastTile > 0 {
		tk.RowID = int64(h.index)<<32 | int64(r)
	}
	if b.w.lanesDecide() {
		tk.Operands = &arch.TaskOperands{Q: th.Q[r*th.D : (r+1)*th.D], QPlus: arch.QPlus(th.Q[r*th.D : (r+1)*th.D]),
			T: h.T, K: th.K[k0*th.D : k1*th.D], D: th.D}
	} else {
		row := (r - b.q0) * h.keys // the row's first pair in the table
		tk.Dec = b.table.dec[row+k0 : row+k1 : row+k1]
	}
	return tk, true
}

// pendingTasks is a tile whose tasks are made when the memory system first asks for it.
type pendingTasks struct {
	block *blockTasks
	index int // the tile's index among the block's key tiles
}

// make gives tile t (committed: its Seq is set) its tasks: each row of the block that has a
// task in the tile, in row order, in list r mod buckets. Each list gets room for all its rows
// of the block, which bounds it: only the tiles in the K/V buffers hold tasks, so the slack of
// a tile that not every row reaches costs little.
func (pt *pendingTasks) make(t *tile) {
	b := pt.block
	buckets := b.w.p.buckets()
	for u := range buckets {
		t.Tasks[u] = make([]arch.RowTask, 0, (len(b.empty)+buckets-1)/buckets)
	}
	for r := b.q0; r < b.q0+len(b.empty); r++ {
		if tk, ok := b.task(r, pt.index); ok {
			tk.Tag = t.Seq
			t.Tasks[r%buckets] = append(t.Tasks[r%buckets], tk)
		}
	}
}

// ceilBytes is the bytes that hold bits bits.
func ceilBytes(bits int64) int64 { return (bits + 7) / 8 }
