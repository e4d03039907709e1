package sim

import (
	"fmt"
	"math"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/traces"
)

// HeadSource yields the heads of a trace in order; *traces.Reader is one.
type HeadSource interface {
	NumHeads() int
	Head(idx int) (*traces.Head, error)
}

// PairMethod says how a head's termination steps are computed.
type PairMethod int

const (
	// PlaneKernel uses arch.PlaneKernel (the event engine).
	PlaneKernel PairMethod = iota
	// PerBit uses arch.TermStep, plane by plane and element by element (the reference engine).
	PerBit
)

// head is one trace head prepared for one configuration.
type head struct {
	src     *traces.Head
	index   int
	T       int64
	rows    int   // valid query rows
	keys    int   // valid keys
	limit   []int // per row: allowed keys are [0, limit[r])
	steps   []uint8
	pushed  []bool // the key reaches the back end (a survivor, or every key without pruning)
	survive []bool // q.k >= T
	tiles   []*tile
	freed   int // tiles of this head released
}

func (h *head) pair(r, j int) int { return r*h.keys + j }

// tile is a run of keys of one head that fits one K/V SRAM buffer, the unit of DRAM loads.
type tile struct {
	seq          int // position in the run's tile sequence
	h            *head
	keyLo, keyHi int
	bytes        int64
	last         bool // last tile of its head
	// tasks[u] are unit u's row tasks in this tile, in row order.
	tasks [][]task
}

// task is one row task: keys [k0, k1) of row r in a tile; last pushes the end-of-row marker.
type task struct {
	r, k0, k1 int
	last      bool
}

// workload turns a head source into the sequence of tiles a configuration simulates, preparing
// heads on demand and dropping them once all their tiles are released, so memory stays bounded
// by the few heads in flight.
type workload struct {
	cfg    *Config
	src    HeadSource
	method PairMethod
	// shared, when set, supplies heads and pair tables computed once for several
	// configurations simulated side by side; sharedBPC is the bits per cycle of its steps.
	shared    *sharedHeads
	sharedBPC int
	tiles     []*tile // index = tile seq
	// layerTh is the threshold of each layer seen so far, when the hardware holds one per layer.
	layerTh map[int]float64
	nextH   int
	done    bool
	Heads   []HeadStats
}

// HeadStats are per-head results that do not depend on timing.
type HeadStats struct {
	Input, Layer, Head int
	T                  int64
	Pairs              int64 // allowed (query, key) pairs
	Survivors          int64 // pairs with q.k >= T
}

func newWorkload(cfg *Config, src HeadSource, method PairMethod) *workload {
	return &workload{cfg: cfg, src: src, method: method}
}

// tile returns tile seq, preparing heads as needed; nil when the run has no such tile.
func (w *workload) tile(seq int) (*tile, error) {
	for seq >= len(w.tiles) && !w.done {
		if w.nextH >= w.src.NumHeads() {
			w.done = true
			break
		}
		var th *traces.Head
		var table *pairTable
		var err error
		if w.shared != nil {
			bpc := w.sharedBPC
			th, table, err = w.shared.get(w.nextH, func(th *traces.Head) *pairTable {
				return kernelTable(th, w.cfg.Thresholds.Scale, bpc)
			})
		} else {
			th, err = w.src.Head(w.nextH)
		}
		if err != nil {
			return nil, err
		}
		h, err := w.prepare(th, w.nextH, table)
		if err != nil {
			return nil, err
		}
		w.nextH++
		for _, t := range h.tiles {
			t.seq = len(w.tiles)
			w.tiles = append(w.tiles, t)
		}
	}
	if seq >= len(w.tiles) {
		return nil, nil
	}
	return w.tiles[seq], nil
}

// release marks a tile's buffer reused; when all tiles of a head are, the head's operands and
// pair tables are dropped (the small task lists stay for the engines' cursors).
func (w *workload) release(t *tile) {
	h := t.h
	h.freed++
	if h.freed == len(h.tiles) {
		src := *h.src
		src.Q, src.K, src.V = nil, nil, nil
		h.src = &src
		h.steps, h.survive, h.pushed = nil, nil, nil
		if w.shared != nil {
			w.shared.release(h.index)
		}
	}
}

func (w *workload) prepare(th *traces.Head, index int, table *pairTable) (*head, error) {
	cfg := w.cfg
	where := fmt.Sprintf("head %d (input %d, layer %d, head %d)", index, th.Input, th.Layer, th.Index)
	if th.BitsQ > cfg.Operands.BitsQ || th.BitsK > cfg.Operands.BitsK || th.BitsV > cfg.Operands.BitsV {
		return nil, fmt.Errorf("%s: operands of %d/%d/%d bits (q/k/v) do not fit the datapath's operands.bits_q/bits_k/bits_v = %d/%d/%d",
			where, th.BitsQ, th.BitsK, th.BitsV, cfg.Operands.BitsQ, cfg.Operands.BitsK, cfg.Operands.BitsV)
	}
	if cfg.Thresholds.Granularity == "layer" {
		if w.layerTh == nil {
			w.layerTh = map[int]float64{}
		}
		if th0, ok := w.layerTh[th.Layer]; ok && th0 != th.Threshold {
			return nil, fmt.Errorf("%s: threshold %g differs from %g of an earlier head of layer %d, but thresholds.granularity is layer (one threshold register per layer); use head",
				where, th.Threshold, th0, th.Layer)
		}
		w.layerTh[th.Layer] = th.Threshold
	}
	qBytes := ceilDiv(int64(th.ValidQ)*int64(th.D)*int64(th.BitsQ), 8)
	if qBytes > cfg.Memory.SRAMQBytes {
		return nil, fmt.Errorf("%s: Q needs %d bytes but memory.sram_q_bytes is %d", where, qBytes, cfg.Memory.SRAMQBytes)
	}
	keyBits := int64(th.D)*int64(th.BitsK) + int64(th.DV)*int64(th.BitsV)
	perTile := cfg.Memory.SRAMKVBytes * 8 / 2 / keyBits
	if perTile < 1 {
		return nil, fmt.Errorf("%s: one key and value row needs %d bits but half of memory.sram_kv_bytes holds %d",
			where, keyBits, cfg.Memory.SRAMKVBytes*8/2)
	}
	h := &head{src: th, index: index, T: headThreshold(th, cfg.Thresholds.Scale), rows: th.ValidQ, keys: th.ValidK}
	h.limit = rowLimits(th)
	if table != nil && (!cfg.FrontEnd.EarlyTermination || cfg.FrontEnd.BitsPerCycle == w.sharedBPC) {
		w.fromTable(h, cfg, table)
	} else {
		w.pairs(h, cfg)
	}

	hs := HeadStats{Input: th.Input, Layer: th.Layer, Head: th.Index, T: h.T}
	for r := 0; r < h.rows; r++ {
		hs.Pairs += int64(h.limit[r])
		for j := 0; j < h.limit[r]; j++ {
			if h.survive[h.pair(r, j)] {
				hs.Survivors++
			}
		}
	}
	w.Heads = append(w.Heads, hs)

	units := cfg.Units
	for lo := 0; lo < h.keys; lo += int(perTile) {
		hi := min(lo+int(perTile), h.keys)
		t := &tile{h: h, keyLo: lo, keyHi: hi, tasks: make([][]task, units)}
		t.bytes = ceilDiv(int64(hi-lo)*int64(th.D)*int64(th.BitsK), 8) + ceilDiv(int64(hi-lo)*int64(th.DV)*int64(th.BitsV), 8)
		if lo == 0 {
			t.bytes += qBytes
		}
		t.last = hi == h.keys
		h.tiles = append(h.tiles, t)
	}
	for r := 0; r < h.rows; r++ {
		lastTile := 0
		if h.limit[r] > 0 {
			lastTile = (h.limit[r] - 1) / int(perTile)
		}
		for ti, t := range h.tiles {
			k0, k1 := t.keyLo, min(t.keyHi, h.limit[r])
			if k1 < k0 {
				k1 = k0
			}
			if k1 == k0 && ti != lastTile {
				continue // no key and no marker: skipped
			}
			u := r % units
			t.tasks[u] = append(t.tasks[u], task{r: r, k0: k0, k1: k1, last: ti == lastTile})
		}
	}
	return h, nil
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
	t := &pairTable{steps: make([]uint8, n), survive: make([]bool, n)}
	pk := arch.NewPlaneKernel(th.K[:keys*th.D], keys, th.D, th.BitsK, bitsPerCycle)
	for r := 0; r < th.ValidQ; r++ {
		pk.SetQuery(th.Q[r*th.D : (r+1)*th.D])
		for j := 0; j < limit[r]; j++ {
			step, surv := pk.Term(j, T, true)
			t.steps[r*keys+j] = uint8(step)
			t.survive[r*keys+j] = surv
		}
	}
	return t
}

// fromTable derives the head's steps and pushes for cfg from a shared pair table.
func (w *workload) fromTable(h *head, cfg *Config, t *pairTable) {
	g := uint8(arch.Steps(h.src.BitsK, cfg.FrontEnd.BitsPerCycle))
	h.survive = t.survive
	if cfg.FrontEnd.EarlyTermination {
		h.steps = t.steps
	} else {
		h.steps = make([]uint8, len(t.steps))
		for i := range h.steps {
			h.steps[i] = g
		}
	}
	h.pushed = make([]bool, len(t.survive))
	for i, s := range t.survive {
		h.pushed[i] = s || !cfg.BackEnd.Pruning
	}
}

// pairs fills the head's termination steps and survivor flags for the configuration.
func (w *workload) pairs(h *head, cfg *Config) {
	th := h.src
	n := h.rows * h.keys
	h.steps = make([]uint8, n)
	h.survive = make([]bool, n)
	h.pushed = make([]bool, n)
	g := uint8(arch.Steps(th.BitsK, cfg.FrontEnd.BitsPerCycle))
	et := cfg.FrontEnd.EarlyTermination
	var pk *arch.PlaneKernel
	if w.method == PlaneKernel {
		pk = arch.NewPlaneKernel(th.K[:h.keys*th.D], h.keys, th.D, th.BitsK, cfg.FrontEnd.BitsPerCycle)
	}
	for r := 0; r < h.rows; r++ {
		q := th.Q[r*th.D : (r+1)*th.D]
		if pk != nil {
			pk.SetQuery(q)
		}
		for j := 0; j < h.limit[r]; j++ {
			var step int
			var surv bool
			if pk != nil {
				step, surv = pk.Term(j, h.T, et)
			} else {
				step, surv = arch.TermStep(q, th.K[j*th.D:(j+1)*th.D], h.T, th.BitsK, cfg.FrontEnd.BitsPerCycle, et)
			}
			i := h.pair(r, j)
			h.steps[i] = uint8(step)
			if !et {
				h.steps[i] = g
			}
			h.survive[i] = surv
			h.pushed[i] = surv || !cfg.BackEnd.Pruning
		}
	}
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// loadCycles is how long the DRAM channel takes to bring a tile in.
func (c *Config) loadCycles(bytes int64) int64 {
	return int64(c.Memory.DRAMLatency) + ceilDiv(bytes, int64(c.Memory.DRAMBytesPerCycle))
}

func sqrtF(d int) float64 { return math.Sqrt(float64(d)) }
