package arch

// IdealMemoryParams configure the ideal memory, by their keys in the config's memory section.
type IdealMemoryParams struct {
	BurstBytes int `yaml:"burst_bytes"` // bytes one request brings: what DRAM bytes and energy count
	Buffers    int `yaml:"kv_buffers"`  // K/V buffers in the pool (2 is double buffering)
}

// The ideal memory is the pipelined model's buffer pool with nothing to wait for in DRAM: no
// latency, no bandwidth, no request or in-flight cap. A load's bursts (the same aligned bursts
// the pipelined model fetches, so DRAM bytes and energy are the real memory's) all arrive in
// the cycle the load starts, and the tile is usable the next cycle; a V row fetched on demand
// likewise. It is a model of its own rather than the pipelined model with extreme parameters
// because a huge burst would fetch (and price) whole aligned bursts of bytes never asked for.
// Loads still wait for a free K/V buffer and for the tiles they depend on.
func init() {
	RegisterMemoryModel("ideal", IdealMemoryParams{BurstBytes: 32, Buffers: 4}, nil, true,
		func(p IdealMemoryParams, src TileSource, l MemoryListener) Memory {
			return NewIdealMemory(p, src, l)
		})
}

// NewIdealMemory returns the ideal memory over the run's tiles: one channel whose data bus moves
// any number of bursts a cycle (DRAMStats.Busy counts one cycle a burst).
func NewIdealMemory(p IdealMemoryParams, src TileSource, l MemoryListener) *PipelinedMemory {
	m := NewPipelinedMemory(PipelinedMemoryParams{Channels: 1, BytesPerCycle: p.BurstBytes, BurstBytes: p.BurstBytes,
		Buffers: p.Buffers}, src, l)
	m.ideal = true
	return m
}
