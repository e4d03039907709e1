package engine

import (
	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/traces"
)

type headSrc = traces.Head

// Stats is what one simulation of one configuration measured. Both engines fill it identically.
type Stats struct {
	Engine string `json:"engine"`
	Config string `json:"config"`
	Cycles int64  `json:"cycles"`

	FrontEnd []FrontEndStats `json:"front_end"`
	BackEnd  []BackEndStats  `json:"back_end"`
	DRAM     DRAMStats       `json:"dram"`
	Actions  Actions         `json:"actions"`

	Pairs     int64 `json:"pairs"`     // allowed (query, key) pairs
	Survivors int64 `json:"survivors"` // pairs with q.k >= T
	Pushed    int64 `json:"pushed"`    // keys that reached the back end
	// PlanesPerStep is the most key bit-planes a lane consumed in one step in the run: the
	// configured bits per cycle, or a head's whole key width when it has fewer bits (and in the
	// bit-parallel baseline, which consumes every plane of the trace's keys at once).
	PlanesPerStep int `json:"planes_per_step"`
	// MaxPassRows counts keep-max rows that kept no key and so made a second pass over their
	// keys with early termination off to find their maximum; MaxPassKeys the keys stepped again.
	MaxPassRows int64 `json:"max_pass_rows"`
	MaxPassKeys int64 `json:"max_pass_keys"`
	// StepHistogram[s-1] counts keys whose lane decided at step s (every key, survivors at G).
	StepHistogram []int64 `json:"step_histogram"`
	// PrunedStepHistogram[s-1] counts pruned keys that stopped at step s.
	PrunedStepHistogram []int64 `json:"pruned_step_histogram"`

	Heads []HeadStats `json:"heads"`

	// Bound says what bounded the run: every unit-cycle attributed to a cause.
	Bound *Bound `json:"bound"`

	// Record holds every decision when Options.Record is set (tests compare engines with it).
	Record []PairRecord `json:"-"`

	// kReads counts broadcast K reads: the planes each wave read of each key, per tile in flight.
	kReads *arch.KBroadcast
}

// FrontEndStats are one front-end unit's cycle counts.
type FrontEndStats struct {
	Busy       int64 `json:"busy"`        // cycles with a row task in progress
	Stall      int64 `json:"stall"`       // cycles in which the FIFO refused a lane or the marker
	WaitMemory int64 `json:"wait_memory"` // cycles waiting for a tile to arrive from DRAM
	Idle       int64 `json:"idle"`        // the rest
	LaneSteps  int64 `json:"lane_steps"`  // lane-cycles stepping bit-planes
	LaneStalls int64 `json:"lane_stalls"` // lane-cycles holding a refused survivor
	Tasks      int64 `json:"tasks"`
}

// BackEndStats are one back-end unit's cycle counts.
type BackEndStats struct {
	Busy      int64 `json:"busy"`
	Starved   int64 `json:"starved"` // ready, FIFO empty, front end not finished
	Survivors int64 `json:"survivors"`
	Rows      int64 `json:"rows"`
	MacCycles int64 `json:"mac_cycles"`
	MaxFill   int   `json:"fifo_max_fill"`
	KeptMax   int64 `json:"kept_max"` // keep-max markers: a row's maximum processed like a survivor
	// SkippedRows are empty rows that cost only their marker's pop (back_end.skip_empty_rows).
	SkippedRows int64 `json:"skipped_rows"`
}

// DRAMStats are the memory system's counts.
type DRAMStats = arch.DRAMStats

// Actions are the hardware actions counted for energy (energy/ prices them).
type Actions struct {
	BitProducts   int64 `json:"lane_bit_product"` // d per bit-plane per key
	Accumulates   int64 `json:"lane_accumulate"`  // one per bit-plane per key
	Compares      int64 `json:"comparator_compare"`
	QSRAMReadBits int64 `json:"q_sram_read_bit"`
	KSRAMReadBits int64 `json:"k_sram_read_bit"`
	VSRAMReadBits int64 `json:"v_sram_read_bit"`
	QSRAMWrBits   int64 `json:"q_sram_write_bit"`
	KSRAMWrBits   int64 `json:"k_sram_write_bit"`
	VSRAMWrBits   int64 `json:"v_sram_write_bit"`
	DRAMBytes     int64 `json:"dram_read_byte"`
	FIFOPushes    int64 `json:"fifo_push"`
	FIFOPops      int64 `json:"fifo_pop"`
	Exps          int64 `json:"exp_unit_exp"`
	MACs          int64 `json:"mac_array_mac"`
	Divides       int64 `json:"normalizer_divide"`
}

// PairRecord is one lane decision: head, row, key, the step, the decision cycle and the push
// cycle (-1 when the key did not reach the back end).
type PairRecord struct {
	Head, Row, Key int32
	Step           uint8
	Decide, Push   int64
}

// newStats returns empty statistics of one simulation.
func newStats(engine string, p *Params) *Stats {
	s := &Stats{Engine: engine, Config: p.Name,
		FrontEnd: make([]FrontEndStats, p.Units), BackEnd: make([]BackEndStats, p.Units)}
	if p.KBroadcast {
		s.kReads = arch.NewKBroadcast()
	}
	return s
}

// releaseTile drops the broadcast bookkeeping of a tile whose buffer was reused.
func (s *Stats) releaseTile(seq int) {
	if s.kReads != nil {
		s.kReads.Release(seq)
	}
}

// finish reads the components' counters into the statistics once the run has ended at
// s.Cycles.
func (s *Stats) finish(fe []*arch.FrontEndUnit, be []*arch.BackEndUnit, fifo []*arch.FIFO,
	disp arch.Dispatcher, mem arch.Memory, w *workload) {
	for u := range fe {
		f := fe[u]
		fs := &s.FrontEnd[u]
		fs.Busy, fs.Stall, fs.Tasks = f.BusyCycles, f.StallCycles, f.Tasks
		fs.LaneSteps, fs.LaneStalls = f.LaneStepCycles, f.LaneStallCycles
		fs.WaitMemory = disp.WaitMemory(u)
		fs.Idle = s.Cycles - fs.Busy - fs.WaitMemory
		s.MaxPassRows += f.MaxPassRows
		s.MaxPassKeys += f.MaxPassKeys
		b := be[u]
		s.BackEnd[u] = BackEndStats{Busy: b.BusyCycles, Starved: b.StarvedCycles, Survivors: b.Survivors,
			Rows: b.Rows, MacCycles: b.MacCycles, MaxFill: fifo[u].MaxFill, KeptMax: b.KeptMax,
			SkippedRows: b.SkippedRows}
	}
	s.DRAM = mem.Stats()
	// The memory system's bytes: the whole aligned bursts its loads and V rows fetched.
	s.Actions.DRAMBytes = s.DRAM.Bytes
	s.Heads = w.Heads
	s.PlanesPerStep = w.planes
}

// countLoad adds the SRAM writes of a tile's load (the memory system counts its DRAM side); V
// comes with it unless it is fetched on demand.
func (s *Stats) countLoad(t *tile, vOnDemand bool) {
	s.Actions.KSRAMWrBits += t.bits.K
	if !vOnDemand {
		s.Actions.VSRAMWrBits += t.bits.V
	}
	s.Actions.QSRAMWrBits += t.bits.Q
}

// countTaskStart adds the q load of a row task into the unit's registers.
func (s *Stats) countTaskStart(th *headSrc) {
	s.Actions.QSRAMReadBits += int64(th.D) * int64(th.BitsQ)
}

// countLaneWork adds the bit-planes a lane read and stepped through for one key and its
// comparisons, and the K SRAM reads they took (countKRead).
func (s *Stats) countLaneWork(h *head, p *Params, tag int, d arch.Decision) {
	th := h.src
	s.addLane(arch.KeyActions(th.D, int64(p.planesRead(th.BitsK, d.Step)), int64(d.Step), 1))
	s.countKRead(h, p, tag, d)
}

// addLane adds the lanes' actions.
func (s *Stats) addLane(a arch.LaneActions) {
	s.Actions.Accumulates += a.Accumulates
	s.Actions.BitProducts += a.BitProducts
	s.Actions.Compares += a.Compares
}

// countKRead adds the K SRAM reads of one lane decision: the planes the lane read for this row,
// or, under broadcast reads, only the planes no earlier row of its wave (the rows row/units of
// the head in tag's tile, which the units take together) has read.
func (s *Stats) countKRead(h *head, p *Params, tag int, d arch.Decision) {
	th := h.src
	planes := int64(p.planesRead(th.BitsK, d.Step))
	if s.kReads == nil {
		s.Actions.KSRAMReadBits += arch.KReadBits(th.D, planes)
		return
	}
	s.Actions.KSRAMReadBits += s.kReads.Read(tag, h.index, d.Row/p.Units, d.Key, th.D, planes)
}

// countMaxPass adds the lane work of n keys of a keep-max second pass on head h: every step,
// every plane. The K SRAM reads are counted here too unless they are broadcast (then the
// engine counts them decision by decision).
func (s *Stats) countMaxPass(h *head, p *Params, n int64) {
	th := h.src
	planes := int64(th.BitsK)
	s.addLane(arch.KeyActions(th.D, planes, int64(arch.Steps(th.BitsK, frontEndParams(p).BitsPerCycle)), n))
	if s.kReads == nil {
		s.Actions.KSRAMReadBits += n * arch.KReadBits(th.D, planes)
	}
}

// decisionCounts are the counts of the lane decisions of a run that do not depend on timing.
// The event engine finds them per head from its pair table (countHead) rather than decision by
// decision as the reference engine does; the engines' agreement checks one against the other.
type decisionCounts struct {
	hist, pruned             []int64 // per step, as Stats.StepHistogram and PrunedStepHistogram
	pairs, survivors, pushed int64
	lane                     arch.LaneActions
	kReadBits                int64 // K SRAM reads, unless they are broadcast
}

// countHead adds the decisions of a head whose allowed pairs decide at the steps of etHist with
// early termination on (etHist[s-1] pairs at step s, etPruned[s-1] of them dropped) under
// configuration p.
func (c *decisionCounts) countHead(p *Params, th *headSrc, etHist, etPruned []int64, pairs, survivors int64) {
	fp := frontEndParams(p)
	hist, pruned := etHist, etPruned
	if !fp.EarlyTermination {
		// Every key runs every step.
		hist = make([]int64, arch.Steps(th.BitsK, fp.BitsPerCycle))
		hist[len(hist)-1] = pairs
		pruned = make([]int64, len(hist))
		pruned[len(hist)-1] = pairs - survivors
	}
	g := len(hist)
	for len(c.hist) < g {
		c.hist = append(c.hist, 0)
		c.pruned = append(c.pruned, 0)
	}
	for i, n := range hist {
		planes := int64(p.planesRead(th.BitsK, i+1))
		c.hist[i] += n
		c.pruned[i] += pruned[i]
		c.lane.Add(arch.KeyActions(th.D, planes, int64(i+1), n))
		if !p.KBroadcast {
			c.kReadBits += n * arch.KReadBits(th.D, planes)
		}
	}
	c.pairs += pairs
	c.survivors += survivors
	if fp.KeepAll {
		c.pushed += pairs
	} else {
		c.pushed += survivors
	}
}

// addTo adds the counts to a run's statistics; the histograms end at the last step any key
// decided at, as when they are counted decision by decision.
func (c *decisionCounts) addTo(s *Stats) {
	n := len(c.hist)
	for n > 0 && c.hist[n-1] == 0 {
		n--
	}
	if n > 0 {
		s.StepHistogram = append([]int64(nil), c.hist[:n]...)
		s.PrunedStepHistogram = append([]int64(nil), c.pruned[:n]...)
	}
	s.Pairs += c.pairs
	s.Survivors += c.survivors
	s.Pushed += c.pushed
	s.addLane(c.lane)
	s.Actions.KSRAMReadBits += c.kReadBits
}

// countDecision adds one lane decision of a task of tile tag: the lane's work, the step
// histograms, and whether the key went on to the back end. A keep-max pass's decisions count
// only as lane work.
func (s *Stats) countDecision(h *head, p *Params, tag int, d arch.Decision) {
	s.countLaneWork(h, p, tag, d)
	if d.MaxPass {
		return
	}
	step := d.Step
	for len(s.StepHistogram) < step {
		s.StepHistogram = append(s.StepHistogram, 0)
		s.PrunedStepHistogram = append(s.PrunedStepHistogram, 0)
	}
	s.StepHistogram[step-1]++
	s.Pairs++
	if d.Survive {
		s.Survivors++
	} else {
		s.PrunedStepHistogram[step-1]++
	}
	if d.Pushed {
		s.Pushed++
	}
}

// countPops adds the back end's work on n popped survivors of a head (a paced run's).
func (s *Stats) countPops(th *headSrc, n int64) {
	dv := int64(th.DV)
	s.Actions.FIFOPops += n
	s.Actions.VSRAMReadBits += n * dv * int64(th.BitsV)
	s.Actions.Exps += n
	s.Actions.MACs += n * dv
}

// countPop adds the back end's work on one popped entry.
func (s *Stats) countPop(th *headSrc, e arch.Entry, normalized bool) {
	s.Actions.FIFOPops++
	dv := int64(th.DV)
	if !e.Marker || e.KeepMax {
		s.Actions.VSRAMReadBits += dv * int64(th.BitsV)
		s.Actions.Exps++
		s.Actions.MACs += dv
	}
	if normalized {
		s.Actions.Divides += dv
	}
}
