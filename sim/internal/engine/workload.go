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

// head is one trace head prepared for one configuration.
type head struct {
	src     *traces.Head
	index   int // position in the run's head order
	srcIdx  int // index in the head source
	T       int64
	rows    int   // valid query rows
	keys    int   // valid keys
	limit   []int // per row: allowed keys are [0, limit[r])
	steps   []uint8
	survive []bool // q.k >= T
	// hist and rowKept: the pair table's step histogram and survivors per row (the plane
	// kernel's; nil for bit-serial lanes, which count their decisions as they make them).
	hist    []int64
	rowKept []int32
	ntiles  int // tiles holding this head
	freed   int // of them released
	// vBase and vRow: where the head's V rows lie in DRAM, and one row's bytes.
	vBase, vRow int64
}

func (h *head) pair(r, j int) int { return r*h.keys + j }

// tile is the unit of DRAM loads: a block of query rows of one head against a run of its keys
// that fits one K/V buffer (the block's Q comes with its first key tile), or, with head packing,
// several small heads whole.
type tile struct {
	arch.Tile
	heads []*head
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
		if w.nextH >= w.src.NumHeads() {
			w.commit(len(w.pending))
			w.done = true
			break
		}
		var th *traces.Head
		var table *pairTable
		var err error
		idx := w.srcIndex(w.nextH)
		if w.shared != nil {
			bpc := w.sharedBPC
			th, table, err = w.shared.get(idx, func(th *traces.Head) *pairTable {
				return kernelTable(th, w.p.ThresholdScale, bpc)
			})
		} else {
			th, err = w.src.Head(idx)
		}
		if err != nil {
			return nil, err
		}
		h, tiles, err := w.prepare(th, w.nextH, table)
		if err != nil {
			return nil, err
		}
		h.srcIdx = idx
		w.heads = append(w.heads, h)
		w.nextH++
		if n := len(w.pending); n > 0 && len(tiles) == 1 && w.p.PackHeads && len(w.pending[n-1].heads) < maxPackedHeads &&
			w.fits(w.pending[n-1], tiles[0]) && w.packable(w.pending[n-1], h) {
			w.pack(w.pending[n-1], tiles[0])
			continue
		}
		// The pending tiles are final: only the last tile can take more heads.
		w.commit(len(w.pending))
		w.pending = tiles
		if !w.p.PackHeads || len(tiles) > 1 {
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
		for _, h := range t.heads {
			h.ntiles++
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

// release marks a tile's buffer reused: its tasks are all done, so they are dropped, and when
// all tiles of a head are released the head's operands and pair tables go too.
func (w *workload) release(seq int) {
	t := w.tiles[seq]
	for u := range t.Tasks {
		t.Tasks[u] = nil // cursors still on this tile see it as empty and move on
	}
	for _, h := range t.heads {
		h.freed++
		if h.freed == h.ntiles {
			src := *h.src
			src.Q, src.K, src.V = nil, nil, nil
			h.src = &src
			h.steps, h.survive, h.hist, h.rowKept = nil, nil, nil, nil
			if w.shared != nil {
				w.shared.release(h.srcIdx)
			}
		}
	}
}

// prepare checks a head against the configuration, finds its pairs' decisions (or their
// survivors, for bit-serial lanes), and cuts it into tiles: blocks of query rows whose Q fits the
// Q buffer, each against runs of keys whose K and V fit one K/V buffer.
func (w *workload) prepare(th *traces.Head, index int, table *pairTable) (*head, []*tile, error) {
	p := w.p
	where := fmt.Sprintf("head %d (input %d, layer %d, head %d)", index, th.Input, th.Layer, th.Index)
	if th.BitsQ > p.BitsQ || th.BitsK > p.BitsK || th.BitsV > p.BitsV {
		return nil, nil, fmt.Errorf("%s: operands of %d/%d/%d bits (q/k/v) do not fit the datapath's operands.bits_q/bits_k/bits_v = %d/%d/%d",
			where, th.BitsQ, th.BitsK, th.BitsV, p.BitsQ, p.BitsK, p.BitsV)
	}
	if p.LayerThresholds {
		if w.layerTh == nil {
			w.layerTh = map[int]float64{}
		}
		if th0, ok := w.layerTh[th.Layer]; ok && th0 != th.Threshold {
			return nil, nil, fmt.Errorf("%s: threshold %g differs from %g of an earlier head of layer %d, but thresholds.granularity is layer (one threshold register per layer); use head",
				where, th.Threshold, th0, th.Layer)
		}
		w.layerTh[th.Layer] = th.Threshold
	}
	qRowBits := int64(th.D) * int64(th.BitsQ)
	qPer := int(p.SRAMQBytes * 8 / qRowBits)
	if qPer < 1 {
		return nil, nil, fmt.Errorf("%s: one query row needs %d bits but memory.sram_q_bytes holds %d", where, qRowBits, p.SRAMQBytes*8)
	}
	keyBits := int64(th.D)*int64(th.BitsK) + int64(th.DV)*int64(th.BitsV)
	perTile := int(p.SRAMKVBytes * 8 / int64(p.KVBuffers) / keyBits)
	if perTile < 1 {
		return nil, nil, fmt.Errorf("%s: one key and value row needs %d bits but one of the %d buffers of memory.sram_kv_bytes holds %d",
			where, keyBits, p.KVBuffers, p.SRAMKVBytes*8/int64(p.KVBuffers))
	}
	h := &head{src: th, index: index, T: headThreshold(th, p.ThresholdScale), rows: th.ValidQ, keys: th.ValidK}
	h.limit = rowLimits(th)
	bpc := p.planesPerStep(th.BitsK)
	w.planes = max(w.planes, min(bpc, th.BitsK))
	switch {
	case w.method == bitSerial:
		w.dots(h)
	case table != nil && (!p.FrontEnd.EarlyTermination || bpc == w.sharedBPC):
		h.steps, h.survive, h.hist, h.rowKept = table.steps, table.survive, table.hist, table.rowKept
	default:
		w.kernel(h, bpc)
	}

	hs := HeadStats{Input: th.Input, Layer: th.Layer, Head: th.Index, T: h.T}
	empty := make([]bool, h.rows)
	for r := 0; r < h.rows; r++ {
		hs.Pairs += int64(h.limit[r])
		var kept int
		if h.rowKept != nil {
			kept = int(h.rowKept[r])
		} else {
			for j := 0; j < h.limit[r]; j++ {
				if h.survive[h.pair(r, j)] {
					kept++
				}
			}
		}
		hs.Survivors += int64(kept)
		empty[r] = kept == 0 && h.limit[r] > 0
	}
	w.Heads = append(w.Heads, hs)
	if h.hist != nil {
		w.decided.countHead(p, th, h.hist, hs.Pairs, hs.Survivors)
	}

	var tiles []*tile
	prunes := !p.FrontEnd.KeepAll
	// The head's place in DRAM.
	qBase := w.nextAddr
	kBase := qBase + alignUp(ceilDiv(int64(h.rows)*qRowBits, 8), 64)
	vBase := kBase + alignUp(ceilDiv(int64(h.keys)*int64(th.D)*int64(th.BitsK), 8), 64)
	w.nextAddr = alignUp(vBase+ceilDiv(int64(h.keys)*int64(th.DV)*int64(th.BitsV), 8), 4096)
	h.vBase, h.vRow = vBase, ceilDiv(int64(th.DV)*int64(th.BitsV), 8)
	// Plane-major K: the planes each tile's lanes read, from the pairs' steps (computed here for
	// bit-serial lanes too, which must then stay within them).
	var planeSteps []uint8
	if p.KPlaneMajor {
		planeSteps = h.steps
		if planeSteps == nil {
			planeSteps = kernelTable(th, p.ThresholdScale, bpc).steps
		}
	}
	for q0 := 0; q0 < max(h.rows, 1); q0 += qPer {
		q1 := min(q0+qPer, h.rows)
		keys := 1 // keys of the block's tiles: up to the largest limit of its rows, one tile at least
		for r := q0; r < q1; r++ {
			keys = max(keys, h.limit[r])
		}
		keys = min(keys, max(h.keys, 1))
		first := len(tiles)
		for lo := 0; lo < keys; lo += perTile {
			hi := min(lo+perTile, keys)
			t := &tile{heads: []*head{h}, Tile: arch.Tile{Tasks: make([][]arch.RowTask, p.buckets())},
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
				t.segs = append(t.segs, Segment{Addr: qBase + int64(q0)*qRowBits/8, Bytes: ceilDiv(t.qBits, 8)})
			}
			t.kSeg = len(t.segs)
			t.segs = append(t.segs, Segment{Addr: kBase + int64(lo)*int64(th.D)*int64(th.BitsK)/8, Bytes: ceilDiv(t.kBits, 8)})
			if !p.VOnDemand {
				t.segs = append(t.segs, Segment{Addr: vBase + int64(lo)*int64(th.DV)*int64(th.BitsV)/8, Bytes: ceilDiv(t.vBits, 8)})
			}
			tiles = append(tiles, t)
		}
		for r := q0; r < q1; r++ {
			lastTile := 0
			if h.limit[r] > 0 {
				lastTile = (h.limit[r] - 1) / perTile
			}
			if th.KeepMax && empty[r] && lastTile > 0 && prunes && p.FrontEnd.EarlyTermination {
				return nil, nil, fmt.Errorf("%s: query row %d keeps no key and the trace's empty_row is keep_max, but its %d keys span %d K/V tiles of %d keys (memory.sram_kv_bytes %d); the keep-max second pass is modelled within one tile: raise memory.sram_kv_bytes to at least %d or export the trace with empty_row zero",
					where, r, h.limit[r], lastTile+1, perTile, p.SRAMKVBytes, int64(p.KVBuffers)*ceilDiv(int64(h.limit[r])*keyBits, 8))
			}
			var qplus int64
			if w.method == bitSerial {
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
					Head: index, KeepMax: last && th.KeepMax && (lastTile == 0 || empty[r]), MaxKey: -1}
				if tk.KeepMax && empty[r] {
					tk.MaxKey = maxKey(th, r, h.limit[r])
				}
				if lastTile > 0 {
					tk.RowID = int64(index)<<32 | int64(r)
				}
				if w.method == bitSerial {
					tk.Operands = &arch.TaskOperands{Q: th.Q[r*th.D : (r+1)*th.D], QPlus: qplus, T: h.T,
						K: th.K[k0*th.D : k1*th.D], D: th.D}
				} else {
					base := h.pair(r, k0)
					tk.Steps, tk.Survive = h.steps[base:base+k1-k0], h.survive[base:base+k1-k0]
				}
				t := tiles[first+ti]
				if p.KPlaneMajor {
					t.headPlanes[0] = max(t.headPlanes[0], readPlanes(p, th, planeSteps[h.pair(r, k0):h.pair(r, k0)+k1-k0],
						tk.KeepMax && empty[r] && !p.FrontEnd.KeepAll, bpc))
				}
				u := r % p.buckets()
				t.Tasks[u] = append(t.Tasks[u], tk)
			}
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
	return h, tiles, nil
}

// readPlanes is the K bit-planes a task's lanes read of keys whose early-termination steps are
// steps: all of them when the lanes do not stop early (no early termination, or a keep-max
// row's second pass), else the deepest step's.
func readPlanes(p *Params, th *traces.Head, steps []uint8, maxPass bool, bpc int) int {
	if !p.FrontEnd.EarlyTermination || maxPass {
		return th.BitsK
	}
	deepest := 0
	for _, s := range steps {
		deepest = max(deepest, int(s))
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

// headThreshold is the integer threshold of a head with its real threshold scaled.
func headThreshold(th *traces.Head, scale float64) int64 {
	if math.IsInf(th.Threshold, -1) {
		return traces.KeepAll
	}
	t := *th
	t.Threshold = th.Threshold * scale
	return t.IntThreshold()
}

// rowLimits gives, per valid query row, the end of its allowed keys [0, limit).
func rowLimits(th *traces.Head) []int {
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

// kernelTable runs the bit-plane kernel once over a head with early termination on.
func kernelTable(th *traces.Head, scale float64, bitsPerCycle int) *pairTable {
	T := headThreshold(th, scale)
	limit := rowLimits(th)
	keys := th.ValidK
	n := th.ValidQ * keys
	t := &pairTable{steps: make([]uint8, n), survive: make([]bool, n),
		hist: make([]int64, arch.Steps(th.BitsK, bitsPerCycle)), rowKept: make([]int32, th.ValidQ)}
	pk := arch.NewPlaneKernel(th.K[:keys*th.D], keys, th.D, th.BitsK, bitsPerCycle)
	for r := 0; r < th.ValidQ; r++ {
		pk.SetQuery(th.Q[r*th.D : (r+1)*th.D])
		var kept int32
		for j := 0; j < limit[r]; j++ {
			step, surv := pk.Term(j, T, true)
			t.steps[r*keys+j] = uint8(step)
			t.survive[r*keys+j] = surv
			t.hist[step-1]++
			if surv {
				kept++
			}
		}
		t.rowKept[r] = kept
	}
	return t
}

// kernel fills the head's early-termination steps and survivors with the plane kernel.
func (w *workload) kernel(h *head, bitsPerCycle int) {
	t := kernelTable(h.src, w.p.ThresholdScale, bitsPerCycle)
	h.steps, h.survive, h.hist, h.rowKept = t.steps, t.survive, t.hist, t.rowKept
}

// dots fills the head's survivors from plain integer dot products, independently of any lane
// (the reference engine's lanes make their own decisions as they step).
func (w *workload) dots(h *head) {
	th := h.src
	h.survive = make([]bool, h.rows*h.keys)
	for r := 0; r < h.rows; r++ {
		q := th.Q[r*th.D : (r+1)*th.D]
		for j := 0; j < h.limit[r]; j++ {
			h.survive[h.pair(r, j)] = arch.Dot(q, th.K[j*th.D:(j+1)*th.D]) >= h.T
		}
	}
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// alignUp rounds a up to a multiple of b.
func alignUp(a, b int64) int64 { return ceilDiv(a, b) * b }
