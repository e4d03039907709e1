package sim

import (
	"encoding"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/configs"
	"github.com/lrpsim/lrpsim/internal/safeio"
	"github.com/lrpsim/lrpsim/internal/yamlstrict"
)

// Config is one accelerator configuration. YAML keys are the snake_case names in the tags; a
// config file overlays configs/leopard.yaml, so it names only what it changes.
type Config struct {
	Name     string  `yaml:"name"`
	ClockGHz float64 `yaml:"clock_ghz"`
	Units    int     `yaml:"units"`
	// Dispatch: static (query row r of a head to unit r mod units) or dynamic (a free unit
	// takes the next row task of any loaded head).
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
	Lanes            int         `yaml:"lanes"`
	BitsPerCycle     int         `yaml:"bits_per_cycle"`
	Scheduling       arch.Policy `yaml:"scheduling"`
	EarlyTermination bool        `yaml:"early_termination"`
	FillCycles       int         `yaml:"fill_cycles"`
	DrainCycles      int         `yaml:"drain_cycles"`
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
	// Model is the memory system: serial (one load at a time, double buffered; the first
	// model) or pipelined (requests in flight over channels, a buffer pool).
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
}

// VFetch names when V rows come from DRAM.
type VFetch string

const (
	// VWhole: a tile's load brings its V rows with its K rows.
	VWhole VFetch = "whole"
	// VOnDemand: a key's V row is fetched, once per tile, when a survivor of it is pushed.
	VOnDemand VFetch = "on_demand"
)

// UnmarshalText reads a V fetch policy from its config spelling.
func (v *VFetch) UnmarshalText(text []byte) error {
	return setEnum(v, text, "V fetch policy", VWhole, VOnDemand)
}

// KLayout names how K is stored in DRAM.
type KLayout string

const (
	// WordMajor: each key's elements together, bits of an element together.
	WordMajor KLayout = "word_major"
	// PlaneMajor: each tile's keys stored bit-plane by bit-plane, MSB first.
	PlaneMajor KLayout = "plane_major"
)

// UnmarshalText reads a K layout from its config spelling.
func (k *KLayout) UnmarshalText(text []byte) error {
	return setEnum(k, text, "K layout", WordMajor, PlaneMajor)
}

// KReads names how lanes read K bit-planes from the K SRAM.
type KReads string

const (
	// PerRow: every lane reads its key's planes for its own query row.
	PerRow KReads = "per_row"
	// Broadcast: a plane read serves every unit working on the same key at once.
	Broadcast KReads = "broadcast"
)

// UnmarshalText reads a K read policy from its config spelling.
func (k *KReads) UnmarshalText(text []byte) error {
	return setEnum(k, text, "K read policy", PerRow, Broadcast)
}

// Dispatch names how row tasks reach the front-end units.
type Dispatch string

const (
	// StaticDispatch binds query row r of a head to unit r mod units (arch.StaticDispatcher).
	StaticDispatch Dispatch = "static"
	// DynamicDispatch lets a free unit take the next row task of any loaded head
	// (arch.DynamicDispatcher).
	DynamicDispatch Dispatch = "dynamic"
)

// UnmarshalText reads a dispatch policy from its config spelling, static or dynamic.
func (d *Dispatch) UnmarshalText(text []byte) error {
	return setEnum(d, text, "dispatch", StaticDispatch, DynamicDispatch)
}

// MemoryModel names a memory system model.
type MemoryModel string

const (
	// SerialMemory: one DRAM load at a time in tile order, each paying the full latency, into
	// two K/V buffers (arch.SerialMemory).
	SerialMemory MemoryModel = "serial"
	// PipelinedMemory: requests in flight over several channels and a pool of K/V buffers
	// (arch.PipelinedMemory).
	PipelinedMemory MemoryModel = "pipelined"
)

// UnmarshalText reads a memory model from its config spelling, serial or pipelined.
func (m *MemoryModel) UnmarshalText(text []byte) error {
	return setEnum(m, text, "memory model", SerialMemory, PipelinedMemory)
}

// setEnum reads a string enum from its config spelling into dst, which must be one of values.
func setEnum[T ~string](dst *T, text []byte, what string, values ...T) error {
	v := T(text)
	if !slices.Contains(values, v) {
		names := make([]string, len(values))
		for i, x := range values {
			names[i] = string(x)
		}
		return &enumError{what: what, got: string(text), want: strings.Join(names, " or ")}
	}
	*dst = v
	return nil
}

// enumError is an unknown spelling of a string enum.
type enumError struct{ what, got, want string }

func (e *enumError) Error() string {
	return fmt.Sprintf("unknown %s %q (want %s)", e.what, e.got, e.want)
}

// enumProblem checks a string enum of a Config built in Go by reading it as a file's value is
// read (a file's enums are checked as it is read), so the accepted spellings live in one place,
// the type's UnmarshalText.
func enumProblem[T ~string, P interface {
	*T
	UnmarshalText([]byte) error
}](c *Config, key string, v T) error {
	var x T
	var ee *enumError
	if err := P(&x).UnmarshalText([]byte(v)); errors.As(err, &ee) {
		return c.errAt(key, ee.want, fmt.Sprintf("%q", v))
	}
	return nil
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
// gives the defaults, and a rule reads only its own.
type Pruning struct {
	Policy           string  `yaml:"policy"`            // leopard | row_relative | sanger | spatten
	Epsilon          float64 `yaml:"epsilon"`           // row_relative: softmax-mass tolerance
	Margin           float64 `yaml:"margin"`            // row_relative: share of the certified margin
	Theta            float64 `yaml:"theta"`             // sanger: predicted-probability threshold
	PredBits         int     `yaml:"pred_bits"`         // sanger: predictor width
	MSBBits          int     `yaml:"msb_bits"`          // spatten: K bits fetched first
	RequantThreshold float64 `yaml:"requant_threshold"` // spatten: a flatter row fetches its low bits
	KeepFraction     float64 `yaml:"keep_fraction"`     // spatten: top-k share of the keys
}

// PruningPolicy builds the configured pruning rule.
func (c *Config) PruningPolicy() (arch.PruningPolicy, error) {
	p := c.Pruning
	return arch.NewPruningPolicy(p.Policy, arch.PolicyParams{Epsilon: p.Epsilon, Margin: p.Margin, Theta: p.Theta,
		PredBits: p.PredBits, MSBBits: p.MSBBits, RequantThreshold: p.RequantThreshold, KeepFraction: p.KeepFraction})
}

// Granularity says which threshold register a head uses: one per head, or one per layer shared
// by its heads. It is read and checked when a config file is read.
type Granularity string

const (
	// PerHead: each head has its own threshold (the trace's per-head thresholds).
	PerHead Granularity = "head"
	// PerLayer: the heads of a layer share one threshold.
	PerLayer Granularity = "layer"
)

// UnmarshalText reads a granularity from its config spelling, head or layer.
func (g *Granularity) UnmarshalText(text []byte) error {
	return setEnum(g, text, "threshold granularity", PerHead, PerLayer)
}

// Baseline names accepted in `baselines`.
var baselineNames = []string{"dense", "et_only", "prune_only", "bit_parallel"}

// ConfigError is a bad configuration: the file, the line, the key, what was expected and what
// was found. It is the one error shape of lrpsim's YAML inputs (internal/yamlstrict), shared
// with the sweep file and the energy table.
type ConfigError = yamlstrict.Error

// DefaultConfig returns the embedded default configuration (configs/leopard.yaml).
func DefaultConfig() (*Config, error) {
	data, err := fs.ReadFile(configs.FS, configs.Default)
	if err != nil {
		return nil, fmt.Errorf("reading embedded default config: %w", err)
	}
	c := &Config{}
	if err := decodeStrict("configs/"+configs.Default, data, c); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// BundledPrefix marks a bundled configuration in a config reference: "bundled:policies/spatten.yaml".
const BundledPrefix = "bundled:"

// LoadConfig loads the configuration a command names, validated, and is the one config loader
// of every command: "" is the default configuration, "bundled:NAME" a bundled one (configs/NAME,
// the .yaml optional), anything else a YAML file read over the default.
func LoadConfig(path string) (*Config, error) {
	if path == "" {
		return DefaultConfig()
	}
	if name, ok := strings.CutPrefix(path, BundledPrefix); ok {
		return BundledConfig(name)
	}
	data, err := safeio.ReadFile(path, "a config file (YAML)", safeio.MaxText)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return ParseConfig(path, data)
}

// BundledConfig loads one of the configurations embedded in the binary by file name, with or
// without its .yaml ("policies/spatten" is "policies/spatten.yaml").
func BundledConfig(name string) (*Config, error) {
	if path.Ext(name) != ".yaml" {
		name += ".yaml"
	}
	data, err := fs.ReadFile(configs.FS, name)
	if err != nil {
		return nil, fmt.Errorf("no bundled config %q (have %s)", BundledPrefix+name, strings.Join(BundledConfigNames(), ", "))
	}
	return ParseConfig("configs/"+name, data)
}

// BundledConfigNames lists the bundled configurations as NAME for bundled:NAME, in byte order.
func BundledConfigNames() []string {
	var names []string
	_ = fs.WalkDir(configs.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(p) == ".yaml" {
			names = append(names, p)
		}
		return err
	})
	return names
}

// ParseConfig decodes data (named file in errors) over the default configuration.
func ParseConfig(file string, data []byte) (*Config, error) {
	c, err := DefaultConfig()
	if err != nil {
		return nil, err
	}
	c.lines = nil
	if err := decodeStrict(file, data, c); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// CheckConfig reads a config file over the default configuration and returns every problem
// (config validate): a structural one (YAML syntax, an unknown key, a wrong type) ends the
// check, as the values after it cannot be trusted; otherwise every value out of range.
func CheckConfig(path string) []error {
	data, err := safeio.ReadFile(path, "a config file (YAML)", safeio.MaxText)
	if err != nil {
		return []error{fmt.Errorf("reading config: %w", err)}
	}
	c, err := DefaultConfig()
	if err != nil {
		return []error{err}
	}
	c.lines = nil
	if err := decodeStrict(path, data, c); err != nil {
		return []error{err}
	}
	return c.Problems()
}

// Clone returns a deep copy (baselines are derived from the design by changing a copy).
func (c *Config) Clone() *Config {
	d := *c
	d.Baselines = append([]string(nil), c.Baselines...)
	d.flags = maps.Clone(c.flags)
	return &d
}

func (c *Config) errAt(key, expected string, got any) error {
	if flag, ok := c.flags[key]; ok {
		return &ConfigError{File: "command line", Key: flag, Expected: expected, Got: fmt.Sprint(got)}
	}
	return &ConfigError{File: c.file, Line: c.lines[key], Key: key, Expected: expected, Got: fmt.Sprint(got)}
}

// Validate checks every value's range and returns the first problem, naming file, line and key.
func (c *Config) Validate() error {
	if errs := c.Problems(); len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// Problems checks every value's range and returns every problem, in key order of the checks,
// each naming file, line and key (config validate reports them all).
func (c *Config) Problems() []error {
	var errs []error
	type intRange struct {
		key    string
		v      int64
		lo, hi int64
	}
	ints := []intRange{
		{"units", int64(c.Units), 1, 4096},
		{"front_end.lanes", int64(c.FrontEnd.Lanes), 1, 4096},
		{"front_end.bits_per_cycle", int64(c.FrontEnd.BitsPerCycle), 1, 16},
		{"front_end.fill_cycles", int64(c.FrontEnd.FillCycles), 0, 1 << 20},
		{"front_end.drain_cycles", int64(c.FrontEnd.DrainCycles), 0, 1 << 20},
		{"back_end.fifo_depth", int64(c.BackEnd.FIFODepth), 1, 1 << 20},
		{"back_end.macs", int64(c.BackEnd.Macs), 1, 1 << 16},
		{"back_end.exp_latency", int64(c.BackEnd.ExpLatency), 0, 1 << 20},
		{"back_end.norm_latency", int64(c.BackEnd.NormLatency), 0, 1 << 20},
		{"memory.sram_q_bytes", c.Memory.SRAMQBytes, 1, 1 << 40},
		{"memory.sram_kv_bytes", c.Memory.SRAMKVBytes, 2, 1 << 40},
		{"memory.dram_bytes_per_cycle", int64(c.Memory.DRAMBytesPerCycle), 1, 1 << 20},
		{"memory.dram_latency", int64(c.Memory.DRAMLatency), 0, 1 << 30},
		{"memory.kv_buffers", int64(c.Memory.KVBuffers), 2, 1 << 16},
		{"memory.channels", int64(c.Memory.Channels), 1, 1024},
		{"memory.burst_bytes", int64(c.Memory.BurstBytes), 1, 1 << 20},
		{"memory.max_requests", int64(c.Memory.MaxRequests), 1, 1 << 16},
		{"operands.bits_q", int64(c.Operands.BitsQ), 2, 16},
		{"operands.bits_k", int64(c.Operands.BitsK), 2, 16},
		{"operands.bits_v", int64(c.Operands.BitsV), 2, 16},
	}
	for _, r := range ints {
		if r.v < r.lo || r.v > r.hi {
			errs = append(errs, c.errAt(r.key, fmt.Sprintf("an integer in [%d, %d]", r.lo, r.hi), r.v))
		}
	}
	if !(c.ClockGHz > 0) || math.IsInf(c.ClockGHz, 0) {
		errs = append(errs, c.errAt("clock_ghz", "a positive number of GHz", c.ClockGHz))
	}
	// A file's enums are checked as it is read; these catch a Config built in Go.
	if c.FrontEnd.Scheduling != arch.Dynamic && c.FrontEnd.Scheduling != arch.Lockstep {
		errs = append(errs, c.errAt("front_end.scheduling", "dynamic or lockstep", fmt.Sprintf("policy %d", c.FrontEnd.Scheduling)))
	}
	for _, err := range []error{
		enumProblem(c, "thresholds.granularity", c.Thresholds.Granularity),
		enumProblem(c, "dispatch", c.Dispatch),
		enumProblem(c, "memory.model", c.Memory.Model),
		enumProblem(c, "memory.v_fetch", c.Memory.VFetch),
		enumProblem(c, "memory.k_layout", c.Memory.KLayout),
		enumProblem(c, "memory.k_reads", c.Memory.KReads),
	} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if c.Memory.Model == SerialMemory && c.Memory.KVBuffers != 2 {
		errs = append(errs, c.errAt("memory.kv_buffers", "2 with memory.model serial (it is double buffered; use pipelined for a buffer pool)", c.Memory.KVBuffers))
	}
	if c.Memory.VFetch == VOnDemand && c.Memory.Model != PipelinedMemory {
		errs = append(errs, c.errAt("memory.v_fetch", "whole with memory.model serial (it serves whole tiles; on_demand needs pipelined)", fmt.Sprintf("%q", c.Memory.VFetch)))
	}
	for _, p := range []struct {
		key string
		v   float64
	}{
		{"memory.dram_device_pj_per_bit", c.Memory.DRAMDevicePJPerBit},
		{"memory.dram_interface_pj_per_bit", c.Memory.DRAMInterfacePJPerBit},
	} {
		if !(p.v >= 0) || math.IsInf(p.v, 0) {
			errs = append(errs, c.errAt(p.key, "a finite number of pJ per bit, 0 or more", p.v))
		}
	}
	if !(c.Thresholds.Scale > 0) || math.IsInf(c.Thresholds.Scale, 0) {
		errs = append(errs, c.errAt("thresholds.scale", "a positive finite number", c.Thresholds.Scale))
	}
	if _, err := c.PruningPolicy(); err != nil {
		var pe *arch.PolicyParamError
		if errors.As(err, &pe) {
			errs = append(errs, c.errAt(pe.Key, pe.Expected, pe.Got))
		} else {
			errs = append(errs, err)
		}
	}
	seen := map[string]bool{}
	for _, b := range c.Baselines {
		if !contains(baselineNames, b) {
			errs = append(errs, c.errAt("baselines", "a list of "+strings.Join(baselineNames, ", "), fmt.Sprintf("%q", b)))
			continue
		}
		if seen[b] {
			errs = append(errs, c.errAt("baselines", "each baseline once", fmt.Sprintf("%q twice", b)))
		}
		seen[b] = true
	}
	if strings.TrimSpace(c.Name) == "" {
		errs = append(errs, c.errAt("name", "a non-empty name", `""`))
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// decodeStrict decodes YAML into out, rejecting unknown keys, duplicate keys and wrong types with
// the file, the line and the dotted key, and records each key's line for later range errors. An
// empty file changes nothing.
func decodeStrict(file string, data []byte, c *Config) error {
	c.file = file
	if c.lines == nil {
		c.lines = map[string]int{}
	}
	root, err := yamlstrict.Parse(file, data)
	if err != nil || root == nil {
		return err
	}
	return decodeNode(file, root, reflect.ValueOf(c).Elem(), "", c.lines)
}

// decodeNode decodes n into v (a config struct or one of its fields) at the dotted key path.
func decodeNode(file string, n *yaml.Node, v reflect.Value, path string, lines map[string]int) error {
	n = yamlstrict.Deref(n)
	if v.Kind() == reflect.Struct {
		fields := yamlFields(v.Type())
		names := make([]string, 0, len(fields))
		for name := range fields {
			names = append(names, name)
		}
		sort.Strings(names)
		kv, err := yamlstrict.Mapping(file, n, path, "a mapping of keys", names)
		if err != nil {
			return err
		}
		for _, f := range kv {
			full := yamlstrict.Join(path, f.Key)
			lines[full] = f.KeyNode.Line
			if err := decodeNode(file, f.Value, v.Field(fields[f.Key]), full, lines); err != nil {
				return err
			}
		}
		return nil
	}
	tmp := reflect.New(v.Type())
	// yaml.v3 truncates 2.5 into an int; an integer key takes only an integer. An enum (a
	// TextUnmarshaler, such as arch.Policy) reads its own words.
	_, enum := tmp.Interface().(encoding.TextUnmarshaler)
	intMismatch := !enum && (v.Kind() == reflect.Int || v.Kind() == reflect.Int64) && n.ShortTag() != "!!int"
	if err := n.Decode(tmp.Interface()); err != nil || intMismatch || (n.Kind != yaml.ScalarNode && v.Kind() != reflect.Slice) {
		return &ConfigError{File: file, Line: n.Line, Key: path, Expected: kindName(v.Type()), Got: yamlstrict.Describe(n)}
	}
	v.Set(tmp.Elem())
	return nil
}

func yamlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("yaml")
		if tag != "" && tag != "-" {
			out[strings.Split(tag, ",")[0]] = i
		}
	}
	return out
}

// kindName says what a field of type t takes, for messages.
func kindName(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(arch.Policy(0)):
		return "dynamic or lockstep"
	case reflect.TypeOf(Granularity("")):
		return "head or layer"
	case reflect.TypeOf(MemoryModel("")):
		return "serial or pipelined"
	case reflect.TypeOf(Dispatch("")):
		return "static or dynamic"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list of strings"
	}
	return t.String()
}

// Baseline derives a named baseline from the design config: the same substrate with early
// termination and back-end pruning switched as the name says.
func (c *Config) Baseline(name string) (*Config, error) {
	b := c.Clone()
	b.Name, b.Baselines = name, nil
	switch name {
	case "dense":
		b.FrontEnd.EarlyTermination, b.BackEnd.Pruning = false, false
	case "et_only":
		b.FrontEnd.EarlyTermination, b.BackEnd.Pruning = true, false
	case "prune_only":
		b.FrontEnd.EarlyTermination, b.BackEnd.Pruning = false, true
	case "bit_parallel":
		b.FrontEnd.EarlyTermination, b.BackEnd.Pruning = false, false
		b.bitParallel = true
	default:
		return nil, fmt.Errorf("unknown baseline %q (want one of %s)", name, strings.Join(baselineNames, ", "))
	}
	return b, nil
}

// Set assigns one dotted key (e.g. "front_end.lanes") from a YAML-compatible value, with the same
// type checks as a config file, and revalidates. file names the source in errors (a sweep file).
// On error c is unchanged.
func (c *Config) Set(file, key string, value any) error {
	work := c.Clone()
	if err := work.set(file, key, value); err != nil {
		return err
	}
	lines, f := c.lines, c.file
	*c = *work
	c.lines, c.file = lines, f
	return nil
}

func (c *Config) set(file, key string, value any) error {
	v := reflect.ValueOf(c).Elem()
	parts := strings.Split(key, ".")
	for i, p := range parts {
		fields := yamlFields(v.Type())
		idx, ok := fields[p]
		if !ok {
			names := make([]string, 0, len(fields))
			for name := range fields {
				names = append(names, name)
			}
			sort.Strings(names)
			return &ConfigError{File: file, Key: key, Expected: "a config key; at " + strings.Join(parts[:i+1], ".") + " one of " + strings.Join(names, ", "), Got: "unknown key"}
		}
		v = v.Field(idx)
		if i < len(parts)-1 && v.Kind() != reflect.Struct {
			return &ConfigError{File: file, Key: key, Expected: "a config key", Got: strings.Join(parts[:i+1], ".") + " has no sub-keys"}
		}
	}
	if v.Kind() == reflect.Struct {
		return &ConfigError{File: file, Key: key, Expected: "a key holding a value", Got: "a section"}
	}
	var n yaml.Node
	if err := n.Encode(value); err != nil {
		return &ConfigError{File: file, Key: key, Expected: kindName(v.Type()), Got: fmt.Sprint(value), Err: err}
	}
	c.file, c.lines = file, map[string]int{}
	if err := decodeNode(file, &n, v, key, c.lines); err != nil {
		return err
	}
	return c.Validate()
}
