package engine

import (
	"fmt"
	"math"

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
	// qPer query rows per block, perTile keys per K/V tile; nextQ the first row of the next
	// block to prepare (at max(rows, 1) all are prepared); nblocks the blocks in all.
	qPer, perTile int
	nextQ         int
	nblocks       int
	blocks        map[int]*block // blocks by first row, while any of their tiles lives
	ntiles        int            // tiles of the head prepared so far
	freed         int            // of them released
	// The head's place in DRAM: its Q, K and V ranges, and one V row's bytes.
	qBase, kBase, vBase, vRow int64
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
	// SRAM bits the load writes.
	qBits, kBits, vBits int64
	// segs are the DRAM ranges the load reads, in load order (Q, K, V of each head).
	segs []Segment
	// kSeg is the index of the first head's K range in segs; headPlanes, parallel to heads, the
	// K bit-planes the load brings of each head's keys (all of them unless K is plane-major).
	kSeg       int
	headPlanes []int
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
	// nextAddr is where the next head's tensors go in the DRAM address map (Q, then K, then V,
	// each 64-byte aligned; heads 4 KiB aligned, in trace order).
	nextAddr int64
	Heads    []HeadStats
	planes   int // most planes per step seen
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
func (w *workload) fits(a, b *tile) bool {
	buffer := w.p.SRAMKVBytes * 8 / int64(w.p.KVBuffers)
	return a.kBits+a.vBits+b.kBits+b.vBits <= buffer && a.qBits+b.qBits <= w.p.SRAMQBytes*8
}

// pack adds tile b (one head) to tile a: one load brings both.
func (w *workload) pack(a, b *tile) {
	a.heads = append(a.heads, b.heads...)
	a.Bytes += b.Bytes
	a.qBits, a.kBits, a.vBits = a.qBits+b.qBits, a.kBits+b.kBits, a.vBits+b.vBits
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
	qRowBits := int64(th.D) * int64(th.BitsQ)
	qPer := int(p.SRAMQBytes * 8 / qRowBits)
	if qPer < 1 {
		return nil, fmt.Errorf("%s: one query row needs %d bits but memory.sram_q_bytes holds %d", where, qRowBits, p.SRAMQBytes*8)
	}
	keyBits := int64(th.D)*int64(th.BitsK) + int64(th.DV)*int64(th.BitsV)
	perTile := int(p.SRAMKVBytes * 8 / int64(p.KVBuffers) / keyBits)
	if perTile < 1 {
		return nil, fmt.Errorf("%s: one key and value row needs %d bits but one of the %d buffers of memory.sram_kv_bytes holds %d",
			where, keyBits, p.KVBuffers, p.SRAMKVBytes*8/int64(p.KVBuffers))
	}
	h := &head{src: th, index: index, T: HeadThreshold(th, p.ThresholdScale), rows: th.ValidQ, keys: th.ValidK,
		qPer: qPer, perTile: perTile, blocks: map[int]*block{}}
	h.nblocks = (max(h.rows, 1) + qPer - 1) / qPer
	h.limit = RowLimits(th)
	w.planes = max(w.planes, min(p.planesPerStep(th.BitsK), th.BitsK))
	hs := HeadStats{Input: th.Input, Layer: th.Layer, Head: th.Index, T: h.T}
	for _, l := range h.limit {
		hs.Pairs += int64(l)
	}
	w.Heads = append(w.Heads, hs) // the blocks add the survivors
	// The head's place in DRAM.
	h.qBase = w.nextAddr
	h.kBase = h.qBase + alignUp(ceilDiv(int64(h.rows)*qRowBits, 8), 64)
	h.vBase = h.kBase + alignUp(ceilDiv(int64(h.keys)*int64(th.D)*int64(th.BitsK), 8), 64)
	w.nextAddr = alignUp(h.vBase+ceilDiv(int64(h.keys)*int64(th.DV)*int64(th.BitsV), 8), 4096)
	h.vRow = ceilDiv(int64(th.DV)*int64(th.BitsV), 8)
	return h, nil
}

// headWhere names a head in errors.
func headWhere(th *traces.Head, index int) string {
	return fmt.Sprintf("head %d (input %d, layer %d, head %d)", index, th.Input, th.Layer, th.Index)
}

// blockTable is the pair table of head h's query rows [q0, q1): shared with the configurations
// simulated beside this one when they decide alike (Params.sharesTables), computed here
// otherwise.
func (w *workload) blockTable(h *head, q0, q1 int) *pairTable {
	p, th := w.p, h.src
	bpc := p.planesPerStep(th.BitsK)
	switch {
	case w.lanesDecide():
		return dotTable(h, q0, q1)
	case w.shared != nil && p.sharesTables(w.shared.policy, w.sharedBPC):
		sbpc := w.sharedBPC
		return w.shared.table(h.srcIdx, q0, func() *pairTable {
			t := policyTable(w.shared.policy, th, h.T, h.limit, q0, q1, sbpc)
			t.shared = true
			return t
		})
	default:
		return policyTable(p.policy(), th, h.T, h.limit, q0, q1, bpc)
	}
}

// lanesDecide reports whether the lanes make the decisions themselves, bit-serially from their
// operands (the reference engine with LeOPArd's rule, the lanes' own); otherwise every task
// carries its decisions, computed ahead by the policy.
func (w *workload) lanesDecide() bool {
	return w.method == bitSerial && w.p.policy() == arch.PruningPolicy(arch.LeOPArd{})
}

// prepareBlock prepares head h's next query block: the pairs' decisions (or their survivors,
// for bit-serial lanes), and the block's tiles: its rows against runs of keys whose K and V fit
// one K/V buffer (the block's Q comes with its first key tile).
func (w *workload) prepareBlock(h *head) ([]*tile, error) {
	p, th := w.p, h.src
	q0 := h.nextQ
	q1 := min(q0+h.qPer, h.rows)
	h.nextQ += h.qPer
	where := headWhere(th, h.index)
	qRowBits := int64(th.D) * int64(th.BitsQ)
	keyBits := int64(th.D)*int64(th.BitsK) + int64(th.DV)*int64(th.BitsV)
	perTile := h.perTile
	bpc := p.planesPerStep(th.BitsK)
	table := w.blockTable(h, q0, q1)
	pair := func(r, j int) int { return (r-q0)*h.keys + j }

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
		w.decided.countHead(p, th, table.hist, table.pruned, pairs, survivors)
	}

	var tiles []*tile
	prunes := !p.FrontEnd.KeepAll
	// Plane-major K: the planes each tile's lanes read, from the pairs' steps (computed here for
	// bit-serial lanes too, which must then stay within them).
	var planeDec []uint8
	if p.KPlaneMajor {
		planeDec = table.dec
		if w.lanesDecide() {
			planeDec = policyTable(p.policy(), th, h.T, h.limit, q0, q1, bpc).dec
		}
	}
	keys := 1 // keys of the block's tiles: up to the largest limit of its rows, one tile at least
	for r := q0; r < q1; r++ {
		keys = max(keys, h.limit[r])
	}
	keys = min(keys, max(h.keys, 1))
	for lo := 0; lo < keys; lo += perTile {
		hi := min(lo+perTile, keys)
		t := &tile{heads: []*head{h}, q0: q0, Tile: arch.Tile{Tasks: make([][]arch.RowTask, p.buckets())},
			headPlanes: []int{th.BitsK}}
		t.kBits = int64(hi-lo) * int64(th.D) * int64(th.BitsK)
		t.vBits = int64(hi-lo) * int64(th.DV) * int64(th.BitsV)
		t.Bytes = ceilDiv(t.kBits, 8)
		if !p.VOnDemand {
			t.Bytes += ceilDiv(t.vBits, 8)
		}
		if p.KPlaneMajor {
			t.headPlanes[0] = 0 // the tasks below raise it to the planes their lanes read
		}
		if lo == 0 {
			t.qBits = int64(q1-q0) * qRowBits
			t.Bytes += ceilDiv(t.qBits, 8)
			t.segs = append(t.segs, Segment{Addr: h.qBase + int64(q0)*qRowBits/8, Bytes: ceilDiv(t.qBits, 8)})
		}
		t.kSeg = len(t.segs)
		t.segs = append(t.segs, Segment{Addr: h.kBase + int64(lo)*int64(th.D)*int64(th.BitsK)/8, Bytes: ceilDiv(t.kBits, 8)})
		if !p.VOnDemand {
			t.segs = append(t.segs, Segment{Addr: h.vBase + int64(lo)*int64(th.DV)*int64(th.BitsV)/8, Bytes: ceilDiv(t.vBits, 8)})
		}
		tiles = append(tiles, t)
	}
	for r := q0; r < q1; r++ {
		lastTile := 0
		if h.limit[r] > 0 {
			lastTile = (h.limit[r] - 1) / perTile
		}
		if th.KeepMax && empty[r-q0] && lastTile > 0 && prunes && p.FrontEnd.EarlyTermination {
			return nil, fmt.Errorf("%s: query row %d keeps no key and the trace's empty_row is keep_max, but its %d keys span %d K/V tiles of %d keys (memory.sram_kv_bytes %d); the keep-max second pass is modelled within one tile: raise memory.sram_kv_bytes to at least %d or export the trace with empty_row zero",
				where, r, h.limit[r], lastTile+1, perTile, p.SRAMKVBytes, int64(p.KVBuffers)*ceilDiv(int64(h.limit[r])*keyBits, 8))
		}
		var qplus int64
		if w.lanesDecide() {
			qplus = arch.QPlus(th.Q[r*th.D : (r+1)*th.D])
		}
		for ti := 0; ti <= (keys-1)/perTile; ti++ {
			lo := ti * perTile
			k0, k1 := lo, min(lo+perTile, h.limit[r])
			if k1 < k0 {
				k1 = k0
			}
			if k1 == k0 && ti != lastTile {
				continue // no key and no marker: skipped
			}
			last := ti == lastTile
			tk := arch.RowTask{Row: r, N: k1 - k0, Key0: k0, Last: last, BitsK: th.BitsK, DV: th.DV, RowID: -1,
				Head: h.index, KeepMax: last && th.KeepMax && (lastTile == 0 || empty[r-q0]), MaxKey: -1}
			if tk.KeepMax && empty[r-q0] {
				tk.MaxKey = maxKey(th, r, h.limit[r])
			}
			if lastTile > 0 {
				tk.RowID = int64(h.index)<<32 | int64(r)
			}
			if w.lanesDecide() {
				tk.Operands = &arch.TaskOperands{Q: th.Q[r*th.D : (r+1)*th.D], QPlus: qplus, T: h.T,
					K: th.K[k0*th.D : k1*th.D], D: th.D}
			} else {
				base := pair(r, k0)
				tk.Dec = table.dec[base : base+k1-k0 : base+k1-k0]
			}
			t := tiles[ti]
			if p.KPlaneMajor {
				t.headPlanes[0] = max(t.headPlanes[0], readPlanes(p, th, planeDec[pair(r, k0):pair(r, k0)+k1-k0],
					tk.KeepMax && empty[r-q0] && !p.FrontEnd.KeepAll, bpc))
			}
			u := r % p.buckets()
			t.Tasks[u] = append(t.Tasks[u], tk)
		}
	}
	if p.KPlaneMajor {
		for _, t := range tiles {
			// The load brings the first planes of the tile's keys (MSB first): a prefix of
			// its plane-major K range.
			full := ceilDiv(t.kBits, 8)
			t.kBits = t.kBits / int64(th.BitsK) * int64(t.headPlanes[0])
			t.Bytes -= full - ceilDiv(t.kBits, 8)
			t.segs[t.kSeg].Bytes = ceilDiv(t.kBits, 8)
		}
	}
	h.ntiles += len(tiles)
	if !w.lanesDecide() {
		// Bit-serial tasks carry operands, not the table: nothing to keep.
		h.blocks[q0] = &block{table: table, tiles: len(tiles)}
	}
	return tiles, nil
}

// readPlanes is the K bit-planes a task's lanes read of keys whose early-termination steps are
// dec: all of them when the lanes do not stop early (no early termination, or a keep-max
// row's second pass), else the deepest step's.
func readPlanes(p *Params, th *traces.Head, dec []uint8, maxPass bool, bpc int) int {
	if !p.FrontEnd.EarlyTermination || maxPass {
		return th.BitsK
	}
	deepest := 0
	for _, d := range dec {
		deepest = max(deepest, int(d&^arch.SurviveBit))
	}
	return min(deepest*bpc, th.BitsK)
}

// maxKey is the key of row r's largest score among its first limit keys (the first on a tie).
func maxKey(th *traces.Head, r, limit int) int {
	q := th.Q[r*th.D : (r+1)*th.D]
	best, at := int64(0), -1
	for j := range limit {
		if s := arch.Dot(q, th.K[j*th.D:(j+1)*th.D]); at < 0 || s > best {
			best, at = s, j
		}
	}
	return at
}

// HeadThreshold is the integer threshold of a head with its real threshold scaled.
func HeadThreshold(th *traces.Head, scale float64) int64 {
	if math.IsInf(th.Threshold, -1) {
		return traces.KeepAll
	}
	t := *th
	t.Threshold = th.Threshold * scale
	return t.IntThreshold()
}

// RowLimits gives, per valid query row, the end of its allowed keys [0, limit).
func RowLimits(th *traces.Head) []int {
	limit := make([]int, th.ValidQ)
	for r := range limit {
		lim := th.ValidK
		if th.Causal {
			lim = min(lim, r+th.ValidK-th.ValidQ+1)
		}
		limit[r] = max(lim, 0)
	}
	return limit
}

// policyTable decides query rows [q0, q1) of a head with pruning rule pol (LeOPArd's runs the
// bit-plane kernel with early termination on, at integer threshold T): each allowed pair's
// decision, the step histogram and the survivors of each row.
func policyTable(pol arch.PruningPolicy, th *traces.Head, T int64, limit []int, q0, q1, bitsPerCycle int) *pairTable {
	keys := th.ValidK
	t := &pairTable{dec: make([]uint8, (q1-q0)*keys),
		hist: make([]int64, arch.Steps(th.BitsK, bitsPerCycle)), rowKept: make([]int32, q1-q0)}
	t.pruned = make([]int64, len(t.hist))
	hp := pol.ForHead(PolicyHead(th, T, bitsPerCycle))
	for r := q0; r < q1; r++ {
		row := t.dec[(r-q0)*keys : (r-q0)*keys+limit[r]]
		hp.DecideRow(r, row)
		var kept int32
		for _, d := range row {
			t.hist[d&^arch.SurviveBit-1]++
			if d&arch.SurviveBit != 0 {
				kept++
			} else {
				t.pruned[d-1]++
			}
		}
		t.rowKept[r-q0] = kept
	}
	return t
}

// PolicyHead is what a pruning rule sees of a trace head.
func PolicyHead(th *traces.Head, T int64, bitsPerCycle int) *arch.PolicyHead {
	return &arch.PolicyHead{Q: th.Q[:th.ValidQ*th.D], K: th.K[:th.ValidK*th.D], Rows: th.ValidQ, Keys: th.ValidK,
		D: th.D, BitsK: th.BitsK, BitsPerCycle: bitsPerCycle, T: T, ScaleQ: th.ScaleQ, ScaleK: th.ScaleK}
}

// dotTable finds the survivors of query rows [q0, q1) from plain integer dot products,
// independently of any lane (the reference engine's lanes make their own decisions as they
// step, and count them): only rowKept is set.
func dotTable(h *head, q0, q1 int) *pairTable {
	th := h.src
	t := &pairTable{rowKept: make([]int32, q1-q0)}
	for r := q0; r < q1; r++ {
		q := th.Q[r*th.D : (r+1)*th.D]
		for j := 0; j < h.limit[r]; j++ {
			if arch.Dot(q, th.K[j*th.D:(j+1)*th.D]) >= h.T {
				t.rowKept[r-q0]++
			}
		}
	}
	return t
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// alignUp rounds a up to a multiple of b.
func alignUp(a, b int64) int64 { return ceilDiv(a, b) * b }
