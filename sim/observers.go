package sim

import "github.com/lrpsim/lrpsim/sim/internal/engine"

// Observers fans one simulation's observations out to several observers (a timeline and a DRAM
// trace, say); nil entries are skipped.
func Observers(obs ...Observer) Observer { return engine.Fanout(obs...) }
