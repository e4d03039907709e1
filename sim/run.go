// Package sim replays attention traces on LeOPArd configurations: the configuration, the run
// that puts a design beside its baselines, and its result. The engines themselves (the
// discrete-event engine and the cycle-stepped reference engine, held to identical results) live
// in sim/internal/engine, as schedulers over the hardware units of arch/; see README.md.
package sim

import (
	"github.com/lrpsim/lrpsim/sim/internal/engine"
	"github.com/lrpsim/lrpsim/traces"
)

// Engines selectable with --engine.
const (
	EngineEvent     = engine.Event
	EngineReference = engine.Reference
)

// The statistics of one simulation, as the engines fill them.
type (
	// Stats is what one simulation of one configuration measured.
	Stats = engine.Stats
	// FrontEndStats are one front-end unit's cycle counts.
	FrontEndStats = engine.FrontEndStats
	// BackEndStats are one back-end unit's cycle counts.
	BackEndStats = engine.BackEndStats
	// DRAMStats are the memory system's counts.
	DRAMStats = engine.DRAMStats
	// Actions are the hardware actions counted for energy.
	Actions = engine.Actions
	// PairRecord is one lane decision, kept when Options.Record is set.
	PairRecord = engine.PairRecord
	// HeadStats are per-head results that do not depend on timing.
	HeadStats = engine.HeadStats
	// Options tune a simulation.
	Options = engine.Options
	// HeadSource yields the heads of a trace in order; *traces.Reader is one.
	HeadSource = engine.HeadSource
	// Observer hears what every unit does, for timelines and DRAM traces (Options.Observer).
	Observer = engine.Observer
	// Segment is a contiguous range of DRAM a load reads.
	Segment = engine.Segment
	// Bound says what bounded a run: every unit-cycle attributed to a Cause.
	Bound = engine.Bound
	// Cause is a resource a unit-cycle went to.
	Cause = engine.Cause
	// Pool bounds the simulations computing at once across the runs that share it
	// (Options.Pool); a sweep gives its points one.
	Pool = engine.Pool
)

// NewPool returns a pool of n slots: at most n simulations compute at once.
func NewPool(n int) *Pool { return engine.NewPool(n) }

// Causes lists the causes of a Bound in report order.
func Causes() []Cause { return engine.Causes() }

// Simulate runs one configuration over a trace with the named engine.
func Simulate(cfg *Config, src HeadSource, engineName string, opts Options) (*Stats, error) {
	return engine.Simulate(cfg.engineParams(), src, engineName, opts)
}

// Heads is an in-memory HeadSource.
type Heads []*traces.Head

// NumHeads implements HeadSource.
func (hs Heads) NumHeads() int { return len(hs) }

// Head implements HeadSource.
func (hs Heads) Head(i int) (*traces.Head, error) { return hs[i], nil }
