package sim

import (
	"fmt"
	"maps"
	"slices"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/internal/yamlstrict"
)

// Config is one accelerator configuration. YAML keys are the snake_case names in the tags; a
// config file overlays configs/leopard.yaml, so it names only what it changes.
type Config struct {
	Name     string  `yaml:"name"`
	ClockGHz float64 `yaml:"clock_ghz"`
	Units    int     `yaml:"units"`
	// Dispatch: a dispatcher registered in arch.Dispatchers: static (query row r of a head to
	// unit r mod units) or dynamic (a free unit takes the next row task of any loaded head).
	Dispatch Dispatch `yaml:"dispatch"`
	// LayerDependency: layer l+1 of an input waits for layer l of that input to end (the next
	// layer's attention depends on this one through the rest of the block); heads then run in
	// layer-major order so other inputs' heads fill the wait.
	LayerDependency bool       `yaml:"layer_dependency"`
	Baselines       []string   `yaml:"baselines"`
	FrontEnd        FrontEnd   `yaml:"front_end"`
	BackEnd         BackEnd    `yaml:"back_end"`
	Memory          Memory     `yaml:"memory"`
	Operands        Operands   `yaml:"operands"`
	Thresholds      Thresholds `yaml:"thresholds"`
	// Pruning is the runtime pruning rule and its parameters (arch/POLICIES.md).
	Pruning Pruning `yaml:"pruning"`
	// OperatingPoints is the knob grid of the accuracy-speed frontier (lrpsim compare --budget).
	OperatingPoints OperatingPoints `yaml:"operating_points"`
	// Extra holds the top-level parameters of a registered dispatcher beyond these fields, by key.
	Extra map[string]any `yaml:",inline" json:"-"`

	// bitParallel: the bit-parallel baseline, which consumes all bit-planes of the trace's keys
	// in one step whatever their width.
	bitParallel bool

	// lines maps a dotted key to its line in the file it came from, for error messages.
	lines map[string]int
	file  string
	// flags maps a dotted key set on the command line to its flag, which errors then name.
	flags map[string]string
}

// SetByFlag records that key was set by a command-line flag (e.g. "baselines" by
// "--baselines"), so that Validate blames the flag, not the file the config came from.
func (c *Config) SetByFlag(key, flag string) {
	if c.flags == nil {
		c.flags = map[string]string{}
	}
	c.flags[key] = flag
}

// FrontEnd configures the bit-serial Q.K units.
type FrontEnd struct {
	Lanes            int               `yaml:"lanes"`
	BitsPerCycle     int               `yaml:"bits_per_cycle"`
	Scheduling       arch.LaneSchedule `yaml:"scheduling"`
	EarlyTermination bool              `yaml:"early_termination"`
	FillCycles       int               `yaml:"fill_cycles"`
	DrainCycles      int               `yaml:"drain_cycles"`
}

// BackEnd configures the survivor FIFO and the softmax-and-V units.
type BackEnd struct {
	Pruning     bool `yaml:"pruning"`
	FIFODepth   int  `yaml:"fifo_depth"`
	Macs        int  `yaml:"macs"`
	ExpLatency  int  `yaml:"exp_latency"`
	NormLatency int  `yaml:"norm_latency"`
	// NormOverlap: a row's normalization overlaps the next rows' exp and multiplies.
	NormOverlap bool `yaml:"norm_overlap"`
	// SkipEmptyRows: a row that sent no entry costs only its marker's pop.
	SkipEmptyRows bool `yaml:"skip_empty_rows"`
}

// Memory configures on-chip SRAM and the memory system.
type Memory struct {
	// Model is the memory system, a model registered in arch.MemoryModels: serial (one load at
	// a time, double buffered; the first model) or pipelined (requests in flight over
	// channels, a buffer pool). A model reads its parameters from this section by key.
	Model             MemoryModel `yaml:"model"`
	SRAMQBytes        int64       `yaml:"sram_q_bytes"`
	SRAMKVBytes       int64       `yaml:"sram_kv_bytes"`
	DRAMBytesPerCycle int         `yaml:"dram_bytes_per_cycle"`
	DRAMLatency       int         `yaml:"dram_latency"`
	// KVBuffers splits the K/V SRAM into that many tile buffers (pipelined; serial is 2).
	KVBuffers int `yaml:"kv_buffers"`
	// Channels, BurstBytes and MaxRequests shape the pipelined model: independent channels of
	// dram_bytes_per_cycle each, requests of burst_bytes, max_requests in flight per channel.
	Channels    int `yaml:"channels"`
	BurstBytes  int `yaml:"burst_bytes"`
	MaxRequests int `yaml:"max_requests"`
	// PackHeads loads consecutive small heads together when they fit one K/V buffer and the Q
	// buffer: one load (one latency) for several heads.
	PackHeads bool `yaml:"pack_heads"`
	// The traffic options (README.md, "Traffic"). VFetch: whole (V comes with K in a tile's
	// load) or on_demand (a key's V row is fetched when a survivor of it is pushed; pipelined
	// only). KLayout: word_major (a key's bits together) or plane_major (each tile's K stored
	// bit-plane by bit-plane, so planes no lane reads are not fetched). KReads: per_row (each
	// lane reads its key's planes from the K SRAM for its row) or broadcast (one read serves
	// the units working on the same keys).
	VFetch  VFetch  `yaml:"v_fetch"`
	KLayout KLayout `yaml:"k_layout"`
	KReads  KReads  `yaml:"k_reads"`
	// DRAMDevicePJPerBit prices the DRAM device's part of reading one bit: row activation and
	// precharge, data movement on the DRAM die, array access. DRAMInterfacePJPerBit prices the
	// interface's part: the I/O of both ends (PHY, bus, termination). They are the one source of
	// DRAM energy of a run (the energy table's dram entry is not used); every preset cites them.
	DRAMDevicePJPerBit    float64 `yaml:"dram_device_pj_per_bit"`
	DRAMInterfacePJPerBit float64 `yaml:"dram_interface_pj_per_bit"`
	// Extra holds the parameters of a registered memory model beyond these fields, by key.
	Extra map[string]any `yaml:",inline" json:"-"`
}

// Operands are the widest two's-complement operands the datapath holds.
type Operands struct {
	BitsQ int `yaml:"bits_q"`
	BitsK int `yaml:"bits_k"`
	BitsV int `yaml:"bits_v"`
}

// Thresholds configures the threshold registers.
type Thresholds struct {
	Granularity Granularity `yaml:"granularity"`
	Scale       float64     `yaml:"scale"`
}

// Pruning selects the runtime pruning rule that decides which keys the lanes stop reading and
// which survive (arch/POLICIES.md) and holds every rule's parameters; configs/leopard.yaml
// gives the built-in rules' defaults, a registered rule's own keys default to its registered
// parameters, and a rule reads only its own.
type Pruning struct {
	Policy           string  `yaml:"policy"`            // a rule registered in arch.PruningRules
	Epsilon          float64 `yaml:"epsilon"`           // row_relative: softmax-mass tolerance
	Margin           float64 `yaml:"margin"`            // row_relative: share of the certified margin
	Theta            float64 `yaml:"theta"`             // sanger: predicted-probability threshold
	PredBits         int     `yaml:"pred_bits"`         // sanger: predictor width
	MSBBits          int     `yaml:"msb_bits"`          // spatten: K bits fetched first
	RequantThreshold float64 `yaml:"requant_threshold"` // spatten: a flatter row fetches its low bits
	KeepFraction     float64 `yaml:"keep_fraction"`     // spatten: top-k share of the keys
	// Extra holds the parameters of a registered pruning rule beyond these fields, by key.
	Extra map[string]any `yaml:",inline" json:"-"`
}

// ConfigError is a bad configuration: the file, the line, the key, what was expected and what
// was found. It is the one error shape of lrpsim's YAML inputs (internal/yamlstrict), shared
// with the sweep file and the energy table.
type ConfigError = yamlstrict.Error

// Clone returns a deep copy (baselines are derived from the design by changing a copy).
func (c *Config) Clone() *Config {
	d := *c
	d.Baselines = append([]string(nil), c.Baselines...)
	d.flags = maps.Clone(c.flags)
	d.OperatingPoints.Values = slices.Clone(c.OperatingPoints.Values)
	d.cloneExtras()
	return &d
}

func (c *Config) errAt(key, expected string, got any) error {
	if flag, ok := c.flags[key]; ok {
		return &ConfigError{File: "command line", Key: flag, Expected: expected, Got: fmt.Sprint(got)}
	}
	return &ConfigError{File: c.file, Line: c.lines[key], Key: key, Expected: expected, Got: fmt.Sprint(got)}
}
