package sim

// Utilization summarizes one simulation's units, as the `lrpsim run` report prints them:
// front-end lane utilization (lane-cycles stepping bit-planes over lane-cycles available), the
// front ends' and back ends' busy fractions, and the unit-cycles lost by cause.
type Utilization struct {
	LaneUtil float64 // lane-cycles stepping over lane-cycles available
	FEBusy   float64 // front-end busy fraction
	BEBusy   float64 // back-end busy fraction

	FEStall    int64 // unit-cycles in which a full survivor FIFO refused a push
	FEWaitMem  int64 // unit-cycles the front ends waited for DRAM
	LaneStalls int64 // lane-cycles holding a refused survivor
	BEStarved  int64 // unit-cycles a ready back end found its FIFO empty
	DRAMWait   int64 // cycles a DRAM load waited for a free SRAM buffer
}

// UtilizationOf computes the utilization of s, a simulation of cfg. It is the computation behind
// the text and CSV reports, exported for tools that tabulate runs (lrpsim sweep).
func UtilizationOf(s *Stats, cfg *Config) Utilization {
	return Utilization(utilizationOf(s, cfg))
}
