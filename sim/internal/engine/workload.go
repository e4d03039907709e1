package engine

import (
	"fmt"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/traces"
)

// pairMethod says where the lanes' decisions come from.
type pairMethod int

const (
	// planeKernel computes every pair's termination step ahead with arch.PlaneKernel (the
	// event engine).
	planeKernel pairMethod = iota
	// bitSerial gives the tasks their operands, and bit-serial lanes compute each decision
	// plane by plane as they step (the reference engine).
	bitSerial
)

// head is one trace head prepared for one configuration. Its query rows are prepared a block
// at a time (the rows whose Q fits the Q buffer), as the run reaches them, so what a head holds
// at once is bounded by its blocks in flight, not by its rows times its keys.
type head struct {
	src    *traces.Head
	index  int // position in the run's head order
	srcIdx int // index in the head source
	T      int64
	rows   int   // valid query rows
	keys   int   // valid keys
	limit  []int // per row: allowed keys are [0, limit[r])
	// shape is what the buffers and the DRAM map see of the head; tiling cuts it into query
	// blocks and key tiles (arch.Buffers.Tile).
	shape  arch.HeadShape
	tiling arch.Tiling
	// nextQ is the first row of the next block to prepare (at max(rows, 1) all are prepared);
	// nblocks the blocks in all.
	nextQ   int
	nblocks int
	blocks  map[int]*block // blocks by first row, while any of their tiles lives
	ntiles  int            // tiles of the head prepared so far
	freed   int            // of them released
	addr    arch.HeadAddrs // the head's place in DRAM
}

// block is one query block of a head: its pair table and how many of its tiles are released.
type block struct {
	table        *pairTable
	tiles, freed int
}

// prepared reports whether every query block of the head has been prepared.
func (h *head) prepared() bool { return h.nextQ >= max(h.rows, 1) }

// tile is the unit of DRAM loads: a block of query rows of one head against a run of its keys
// that fits one K/V buffer (the block's Q comes with its first key tile), or, with head packing,
// several small heads whole.
type tile struct {
	arch.Tile
	heads []*head
	q0    int // first query row of the tile's block (0 in every head of a packed tile)
	// bits are the SRAM bits the load writes.
	bits arch.LoadBits
	// segs are the DRAM ranges the load reads, in load order (Q, K, V of each head).
	segs []Segment
	// kSeg is the index of the first head's K range in segs; headPlanes, parallel to heads, the
	// K bit-planes the load brings of each head's keys (all of them unless K is plane-major).
	kSeg       int
	headPlanes []int
	// pending, until the memory system first asks for the tile, makes its tasks (prepareBlock).
	pending *pendingTasks
}

// planesOf is the K bit-planes the load brought of head h's keys.
func (t *tile) planesOf(h *head) int {
	for i, x := range t.heads {
		if x == h {
			return t.headPlanes[i]
		}
	}
	return 0
}

// workload turns a head source into the sequence of tiles a configuration simulates, preparing
// heads on demand and dropping them once all their tiles are released, so memory stays bounded
// by the few heads in flight. It is the engines' arch.TileSource.
type workload struct {
	p      *Params
	src    HeadSource
	method pairMethod
	// shared, when set, supplies heads and pair tables computed once for several
	// configurations simulated side by side; sharedBPC is the bits per cycle of its steps.
	shared    *sharedHeads
	sharedBPC int
	tiles     []*tile // index = tile seq
	heads     []*head // index = head index
	// pending are the tiles of prepared heads not yet in the sequence: with head packing the
	// last one may still take the next head.
	pending []*tile
	// layerTh is the threshold of each layer seen so far, when the hardware holds one per layer.
	layerTh map[int]float64
	// order maps a position in the run's head order to the source's head index (nil: the
	// source's order, input-major); groups are the tiles of each (input, layer) so far, kept
	// when layers depend on each other.
	order  []int
	groups map[[2]int]tileRange
	nextH  int
	open   *head // the head whose query blocks are being prepared
	done   bool
	// addrs places each head's tensors in DRAM as it is prepared (arch.AddressMap).
	addrs  arch.AddressMap
	Heads  []HeadStats
	planes int // most planes per step seen
	// decided are the counts of every lane decision of the run, found per head from its pair
	// table rather than decision by decision (the plane kernel's workloads; see countHead).
	decided decisionCounts
}

// HeadStats are per-head results that do not depend on timing.
type HeadStats struct {
	Input, Layer, Head int
	T                  int64
	Pairs              int64 // allowed (query, key) pairs
	Survivors          int64 // pairs with q.k >= T
}

// tileRange is a run of tile sequence numbers [first, last].
type tileRange struct{ first, last int }

func newWorkload(p *Params, src HeadSource, method pairMethod) *workload {
	w := &workload{p: p, src: src, method: method, groups: map[[2]int]tileRange{}}
	if p.LayerDependency {
		w.order = layerMajor(src)
	}
	return w
}

// layerMajor is the order layer, input, head over a trace of several inputs, or nil when the
// source's order (input, layer, head) is already that or its shape is unknown. When layers wait
// for each other, layer-major order lets the heads of other inputs fill the wait (a batch runs
// layer by layer, as the weights of one layer serve every input).
func layerMajor(src HeadSource) []int {
	m, ok := src.(interface{ Meta() traces.Meta })
	if !ok {
		return nil
	}
	meta := m.Meta()
	b, l, h := meta.Inputs, meta.Layers, meta.Heads
	if b <= 1 || b*l*h != src.NumHeads() {
		return nil
	}
	order := make([]int, 0, b*l*h)
	for li := range l {
		for bi := range b {
			for hi := range h {
				order = append(order, (bi*l+li)*h+hi)
			}
		}
	}
	return order
}

// srcIndex is the source's index of the head at position pos of the run's order.
func (w *workload) srcIndex(pos int) int {
	if w.order == nil {
		return pos
	}
	return w.order[pos]
}

// Tile implements arch.TileSource: tile seq, preparing heads as needed; nil past the last.
func (w *workload) Tile(seq int) (*arch.Tile, error) {
	t, err := w.tile(seq)
	if t == nil || err != nil {
		return nil, err
	}
	if t.pending != nil {
		t.pending.make(t)
		t.pending = nil
	}
	t.Ranges = t.segs // the memory system fetches the bursts covering them
	return &t.Tile, nil
}

func (w *workload) tile(seq int) (*tile, error) {
	for seq >= len(w.tiles) && !w.done {
		h := w.open
		if h == nil {
			if w.nextH >= w.src.NumHeads() {
				w.commit(len(w.pending))
				w.done = true
				break
			}
			idx := w.srcIndex(w.nextH)
			var th *traces.Head
			var err error
			if w.shared != nil {
				th, err = w.shared.get(idx)
			} else {
				th, err = w.src.Head(idx)
			}
			if err != nil {
				return nil, err
			}
			if h, err = w.prepareHead(th, w.nextH); err != nil {
				return nil, err
			}
			h.srcIdx = idx
			w.heads = append(w.heads, h)
			w.nextH++
			w.open = h
		}
		tiles, err := w.prepareBlock(h)
		if err != nil {
			return nil, err
		}
		if h.prepared() {
			w.open = nil
		}
		if n := len(w.pending); n > 0 && h.nblocks == 1 && len(tiles) == 1 && w.p.PackHeads && len(w.pending[n-1].heads) < maxPackedHeads &&
			w.fits(w.pending[n-1], tiles[0]) && w.packable(w.pending[n-1], h) {
			w.pack(w.pending[n-1], tiles[0])
			continue
		}
		// The pending tiles are final: only the last tile of a one-tile head can take more heads.
		w.commit(len(w.pending))
		w.pending = tiles
		if !w.p.PackHeads || len(tiles) > 1 || h.nblocks > 1 {
			w.commit(len(w.pending))
		}
	}
	if seq >= len(w.tiles) {
		return nil, nil
	}
	return w.tiles[seq], nil
}

// commit appends the first n pending tiles to the run's sequence.
func (w *workload) commit(n int) {
	for _, t := range w.pending[:n] {
		t.Seq = len(w.tiles)
		for u := range t.Tasks {
			for i := range t.Tasks[u] {
				t.Tasks[u][i].Tag = t.Seq
			}
		}
		w.depend(t)
		w.tiles = append(w.tiles, t)
	}
	w.pending = w.pending[n:]
}

// depend, when layers depend on each other, records tile t in its heads' (input, layer) groups
// and makes its load wait for every tile of the previous layer of its inputs. Those tiles
// are contiguous in layer-major order, so one range covers them.
func (w *workload) depend(t *tile) {
	if !w.p.LayerDependency {
		return
	}
	from, to := -1, -1
	for _, h := range t.heads {
		g := [2]int{h.src.Input, h.src.Layer}
		r, ok := w.groups[g]
		if !ok {
			r.first = t.Seq
		}
		r.last = t.Seq
		w.groups[g] = r
		if prev, ok := w.groups[[2]int{h.src.Input, h.src.Layer - 1}]; ok {
			if from < 0 || prev.first < from {
				from = prev.first
			}
			to = max(to, prev.last)
		}
	}
	if from >= 0 {
		t.DepFrom, t.DepTiles = from, to-from+1
	}
}

// packable reports whether head h may share packed tile a's load: when layers depend on each
// other, only heads of one layer share a load (a later layer's heads wait for the earlier's).
func (w *workload) packable(a *tile, h *head) bool {
	return !w.p.LayerDependency || a.heads[len(a.heads)-1].src.Layer == h.src.Layer
}

// fits reports whether a one-tile head's tile b can join the packed tile a: their K and V share
// one buffer and their Q the Q buffer.
func (w *workload) fits(a, b *tile) bool { return w.p.buffers().Packs(a.bits, b.bits) }

// pack adds tile b (one head) to tile a: one load brings both.
func (w *workload) pack(a, b *tile) {
	a.heads = append(a.heads, b.heads...)
	a.Bytes += b.Bytes
	a.bits = a.bits.Plus(b.bits)
	a.segs = append(a.segs, b.segs...)
	a.headPlanes = append(a.headPlanes, b.headPlanes...)
	for u := range a.Tasks {
		a.Tasks[u] = append(a.Tasks[u], b.Tasks[u]...)
	}
}

// head returns prepared head idx.
func (w *workload) head(idx int) *head { return w.heads[idx] }

// release marks a tile's buffer reused: its tasks are all done, so they are dropped; when all
// tiles of a query block are released the block's pair table goes, and when all tiles of a head
// are, the head's operands.
func (w *workload) release(seq int) {
	t := w.tiles[seq]
	for u := range t.Tasks {
		t.Tasks[u] = nil // cursors still on this tile see it as empty and move on
	}
	for _, h := range t.heads {
		h.freed++
		if b := h.blocks[t.q0]; b != nil {
			b.freed++
			if b.freed == b.tiles {
				delete(h.blocks, t.q0)
				if w.shared != nil && b.table.shared {
					w.shared.releaseTable(h.srcIdx, t.q0)
				}
			}
		}
		if h.prepared() && h.freed == h.ntiles {
			src := *h.src
			src.Q, src.K, src.V = nil, nil, nil
			h.src = &src
			if w.shared != nil {
				w.shared.release(h.srcIdx)
			}
		}
	}
}

// prepareHead checks a head against the configuration and finds its shape in tiles and its
// place in DRAM; prepareBlock then prepares its query blocks one by one.
func (w *workload) prepareHead(th *traces.Head, index int) (*head, error) {
	p := w.p
	where := headWhere(th, index)
	if th.BitsQ > p.BitsQ || th.BitsK > p.BitsK || th.BitsV > p.BitsV {
		return nil, fmt.Errorf("%s: operands of %d/%d/%d bits (q/k/v) do not fit the datapath's operands.bits_q/bits_k/bits_v = %d/%d/%d",
			where, th.BitsQ, th.BitsK, th.BitsV, p.BitsQ, p.BitsK, p.BitsV)
	}
	if p.LayerThresholds {
		if w.layerTh == nil {
			w.layerTh = map[int]float64{}
		}
		if th0, ok := w.layerTh[th.Layer]; ok && th0 != th.Threshold {
			return nil, fmt.Errorf("%s: threshold %g differs from %g of an earlier head of layer %d, but thresholds.granularity is layer (one threshold register per layer); use head",
				where, th.Threshold, th0, th.Layer)
		}
		w.layerTh[th.Layer] = th.Threshold
	}
	shape := arch.HeadShape{D: th.D, DV: th.DV, BitsQ: th.BitsQ, BitsK: th.BitsK, BitsV: th.BitsV}
	buf := p.buffers()
	tiling := buf.Tile(shape)
	if tiling.QRows < 1 {
		return nil, fmt.Errorf("%s: one query row needs %d bits but memory.sram_q_bytes holds %d", where, shape.QRowBits(), buf.QBits())
	}
	if tiling.Keys < 1 {
		return nil, fmt.Errorf("%s: one key and value row needs %d bits but one of the %d buffers of memory.sram_kv_bytes holds %d",
			where, shape.KeyBits(), p.KVBuffers, buf.KVBufferBits())
	}
	h := &head{src: th, index: index, T: HeadThreshold(th, p.ThresholdScale), rows: th.ValidQ, keys: th.ValidK,
		shape: shape, tiling: tiling, blocks: map[int]*block{}}
	h.nblocks = tiling.Blocks(h.rows)
	h.limit = RowLimits(th)
	w.planes = max(w.planes, min(p.planesPerStep(th.BitsK), th.BitsK))
	hs := HeadStats{Input: th.Input, Layer: th.Layer, Head: th.Index, T: h.T}
	for _, l := range h.limit {
		hs.Pairs += int64(l)
	}
	w.Heads = append(w.Heads, hs) // the blocks add the survivors
	h.addr = w.addrs.Place(shape, h.rows, h.keys)
	return h, nil
}

// headWhere names a head in errors.
func headWhere(th *traces.Head, index int) string {
	return fmt.Sprintf("head %d (input %d, layer %d, head %d)", index, th.Input, th.Layer, th.Index)
}
