package sim

import "github.com/lrpsim/lrpsim/traces"

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
	// StepHistogram[s-1] counts keys whose lane decided at step s (every key, survivors at G).
	StepHistogram []int64 `json:"step_histogram"`
	// PrunedStepHistogram[s-1] counts pruned keys that stopped at step s.
	PrunedStepHistogram []int64 `json:"pruned_step_histogram"`

	Heads []HeadStats `json:"heads"`

	// Record holds every decision when Options.Record is set (tests compare engines with it).
	Record []PairRecord `json:"-"`
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
}

// DRAMStats are the DRAM channel's counts.
type DRAMStats struct {
	Bytes      int64 `json:"bytes"`
	Loads      int64 `json:"loads"`
	Busy       int64 `json:"busy"`        // cycles transferring (latency included)
	WaitBuffer int64 `json:"wait_buffer"` // cycles a load waited for a free SRAM buffer
}

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

// Options tune a simulation.
type Options struct {
	// Record keeps every decision in Stats.Record (memory grows with the trace).
	Record bool
}

// countLoad adds the DRAM read and SRAM writes of a tile's load.
func (s *Stats) countLoad(t *tile) {
	h, th := t.h, t.h.src
	s.DRAM.Bytes += t.bytes
	s.DRAM.Loads++
	s.Actions.DRAMBytes += t.bytes
	keys := int64(t.keyHi - t.keyLo)
	s.Actions.KSRAMWrBits += keys * int64(th.D) * int64(th.BitsK)
	s.Actions.VSRAMWrBits += keys * int64(th.DV) * int64(th.BitsV)
	if t.keyLo == 0 {
		s.Actions.QSRAMWrBits += int64(h.rows) * int64(th.D) * int64(th.BitsQ)
	}
}

// countTaskStart adds the q load of a row task into the unit's registers.
func (s *Stats) countTaskStart(th *headSrc) {
	s.Actions.QSRAMReadBits += int64(th.D) * int64(th.BitsQ)
}

// countDecision adds one lane decision: the bit-planes read and stepped, the comparisons, the
// step histograms, and whether the key went on to the back end.
func (s *Stats) countDecision(th *headSrc, bitsPerCycle, step int, survive, pushed bool) {
	planes := int64(min(step*bitsPerCycle, th.BitsK))
	d := int64(th.D)
	s.Actions.Accumulates += planes
	s.Actions.BitProducts += planes * d
	s.Actions.Compares += int64(step)
	s.Actions.KSRAMReadBits += planes * d
	for len(s.StepHistogram) < step {
		s.StepHistogram = append(s.StepHistogram, 0)
		s.PrunedStepHistogram = append(s.PrunedStepHistogram, 0)
	}
	s.StepHistogram[step-1]++
	s.Pairs++
	if survive {
		s.Survivors++
	} else {
		s.PrunedStepHistogram[step-1]++
	}
	if pushed {
		s.Pushed++
	}
}

// countPop adds the back end's work on one popped entry.
func (s *Stats) countPop(th *headSrc, marker bool) {
	s.Actions.FIFOPops++
	dv := int64(th.DV)
	if marker {
		s.Actions.Divides += dv
		return
	}
	s.Actions.VSRAMReadBits += dv * int64(th.BitsV)
	s.Actions.Exps++
	s.Actions.MACs += dv
}
