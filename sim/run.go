// Package sim replays attention traces on LeOPArd configurations. It holds the two engines (the
// discrete-event engine and the cycle-stepped reference engine, held to identical results), the
// configuration, and the run that puts a design beside its baselines.
package sim

import (
	"fmt"

	"github.com/lrpsim/lrpsim/traces"
)

// Engines selectable with --engine.
const (
	EngineEvent     = "event"
	EngineReference = "reference"
)

// Simulate runs one configuration over a trace with the named engine.
func Simulate(cfg *Config, src HeadSource, engine string, opts Options) (*Stats, error) {
	switch engine {
	case EngineEvent, "":
		return runEvent(cfg, newWorkload(cfg, src, PlaneKernel), opts)
	case EngineReference:
		return runReference(cfg, src, opts)
	}
	return nil, fmt.Errorf("unknown engine %q (want %s or %s)", engine, EngineEvent, EngineReference)
}

// Heads is an in-memory HeadSource.
type Heads []*traces.Head

// NumHeads implements HeadSource.
func (hs Heads) NumHeads() int { return len(hs) }

// Head implements HeadSource.
func (hs Heads) Head(i int) (*traces.Head, error) { return hs[i], nil }
