package arch

// Tile is the unit of DRAM loads: the K and V rows of one head that fit one K/V SRAM buffer
// (with the head's Q when it is the head's first tile), and the row tasks of each front-end unit
// that work inside it.
type Tile struct {
	Seq   int   // position in the run's sequence of loads
	Bytes int64 // bytes of data the load needs (its Ranges' bytes)
	// Ranges are the DRAM ranges the load reads, in load order; the memory system fetches the
	// aligned bursts covering them (Bursts), so it moves Bytes or more. Nil: Bytes from 0.
	Ranges []Range
	Tasks  [][]RowTask // Tasks[u]: unit u's row tasks in this tile, in order
	// Tiles DepFrom .. DepFrom+DepTiles-1 are earlier tiles whose work must all end before
	// this tile's load may start (the previous layer of the same inputs, when layers depend on
	// each other); DepTiles 0: none.
	DepFrom, DepTiles int
}

// NumTasks is the number of row tasks of every unit in the tile.
func (t *Tile) NumTasks() int {
	n := 0
	for _, ts := range t.Tasks {
		n += len(ts)
	}
	return n
}

// TileSource yields the run's tiles in order; Tile returns nil past the last one. Asking for a
// tile may prepare it (read its head, compute its decisions), so tiles are asked for in order.
type TileSource interface {
	Tile(seq int) (*Tile, error)
}

// DRAMStats are a memory system's counts.
type DRAMStats struct {
	Bytes int64 `json:"bytes"`
	Loads int64 `json:"loads"`
	// Busy: data-bus occupancy, the cycles in which a channel's data bus transferred, summed
	// over the channels (a channel's share of the run is Busy / channels / cycles).
	Busy int64 `json:"busy"`
	// Requests are the DRAM requests (whole aligned bursts or lines); RequestCycles the cycles
	// from each one's issue to its last data cycle, summed over them (latency included, so
	// overlapping requests count each of their cycles).
	Requests      int64 `json:"requests"`
	RequestCycles int64 `json:"request_cycles"`
	WaitBuffer    int64 `json:"wait_buffer"` // cycles a load waited for a free SRAM buffer
	// WaitDependency: cycles a load with a free buffer waited for the tiles it depends on.
	WaitDependency int64 `json:"wait_dependency"`
	// VRows are the V rows fetched on demand, VBytes their bytes (whole bursts, included in
	// Bytes).
	VRows  int64 `json:"v_rows"`
	VBytes int64 `json:"v_bytes"`
}

// Request is one DRAM read as a memory system issued it: a part of a tile's load.
type Request struct {
	Tile    int   // the tile whose load it belongs to
	Channel int   // the channel that served it
	Offset  int64 // its first byte's offset in the bytes the load fetches (its bursts)
	Bytes   int64 // a whole burst (memory.burst_bytes), at an address aligned to it
	Issue   int64 // cycle it was issued
	First   int64 // its first data cycle
	Last    int64 // its last data cycle
	// Addr is the burst's DRAM address, aligned to Bytes. Direct: a burst of a row fetched on
	// demand rather than of the tile's load.
	Direct bool
	Addr   int64
}

// RowFetcher is a memory system that also fetches single rows on demand (the V rows of keys
// that survive, arch/README.md "Traffic"): FetchRow, called in cycle c for the row of bytes at
// addr that tile seq's work needs, requests it once per tile and returns the first cycle it is
// usable in the tile's buffer, and whether this call fetched it.
type RowFetcher interface {
	FetchRow(seq int, addr, bytes int64, c int64) (ready int64, fetched bool)
}

// RequestListener, when a MemoryListener also implements it, hears of every DRAM request and of
// every run of cycles [from, to) in which the next tile's load waited for a free buffer, or,
// with a buffer free, for the tiles it depends on.
type RequestListener interface {
	RequestIssued(r Request)
	BufferWaited(from, to int64)
	DependencyWaited(from, to int64)
}

// MemoryListener hears of a memory system's actions: a load starting (its tile usable from
// ready) and a buffer being reused for a later tile (the earlier tile's data is gone).
type MemoryListener interface {
	LoadStarted(t *Tile, start, ready int64)
	BufferReused(seq int)
}

// Memory is the memory system around the lanes: it brings tiles from DRAM into the on-chip
// K/V buffers and frees a buffer once every use of its tile has ended, as the engines report.
// An implementation defines both interfaces of a component: Step runs one cycle (the reference
// engine calls it every cycle, before any unit), and NextEvent with Advance runs it from one of
// its own actions to the next (the event engine). The two must agree on every cycle.
type Memory interface {
	// Ready is the first cycle tile seq is usable, and whether its load has completed (the
	// tile is delivered to the buffer: an event of the memory system).
	Ready(seq int) (int64, bool)
	// Step runs cycle c.
	Step(c int64) error
	// NextEvent is the next cycle at which the memory acts by itself (a load starts or
	// completes), or Never while that depends on work not yet reported.
	NextEvent() int64
	// Advance runs the memory's actions of cycle c, which NextEvent named.
	Advance(c int64) error
	// TaskEnded reports that a row task of tile seq ended at cycle c.
	TaskEnded(seq int, c int64)
	// EntryPushed reports a FIFO entry of tile seq; EntryRetired that the back end finished
	// with one, its work ending at cycle last.
	EntryPushed(seq int)
	EntryRetired(seq int, last int64)
	// AllLoaded reports whether every tile has been loaded.
	AllLoaded() bool
	// Stats returns the counts so far.
	Stats() DRAMStats
}

// SerialMemoryParams configure SerialMemory, by their keys in the config's memory section.
type SerialMemoryParams struct {
	BytesPerCycle int   `yaml:"dram_bytes_per_cycle"` // DRAM channel bandwidth
	Latency       int64 `yaml:"dram_latency"`         // cycles before a load's first transfer
	// BurstBytes is the transfer granularity: a load brings the aligned lines of BurstBytes
	// covering its ranges, back to back (64 in configs/serial-memory.yaml: a cache line, DDR4's
	// BL8 burst on a 64-bit channel).
	BurstBytes int `yaml:"burst_bytes"`
	// Buffers are the K/V buffers the config splits the SRAM into: the model has two, which its
	// check holds the config to.
	Buffers int `yaml:"kv_buffers"`
}

// The serial model registers first: messages list it first.
func init() {
	RegisterMemoryModel("serial", SerialMemoryParams{BytesPerCycle: 32, Latency: 50, BurstBytes: 64, Buffers: 2},
		SerialMemoryParams.check, false, func(p SerialMemoryParams, src TileSource, l MemoryListener) Memory {
			return NewSerialMemory(p, src, l)
		})
}

// check holds the config to the model's two buffers.
func (p SerialMemoryParams) check() error {
	if p.Buffers != 2 {
		return paramErr("kv_buffers", "2 with memory.model serial (it is double buffered; use pipelined for a buffer pool)", p.Buffers)
	}
	return nil
}

// LoadCycles is how long the channel takes to bring bytes in: the latency, then one cycle per
// BytesPerCycle bytes.
func (p SerialMemoryParams) LoadCycles(bytes int64) int64 {
	return p.Latency + (bytes+int64(p.BytesPerCycle)-1)/int64(p.BytesPerCycle)
}

// SerialMemory is the first memory model (arch/README.md, "Memory"): one DRAM channel serving
// one load at a time in tile order, each paying the full latency, into two K/V buffers (double
// buffering). Tile c's load starts when the channel is free and tile c-2's buffer is free.
type SerialMemory struct {
	p        SerialMemoryParams
	src      TileSource
	listener MemoryListener
	tileBook // index = seq, for tiles whose load started

	next        int   // next tile to load
	nextT       *Tile // tile next, once asked for
	delivered   int   // tiles whose load has completed (loads complete in order)
	channelFree int64
	allLoaded   bool
	stats       DRAMStats
}

// tileUse is a loaded tile's buffer bookkeeping.
type tileUse struct {
	ready       int64 // first usable cycle
	tasksLeft   int
	outstanding int   // entries pushed and not yet retired
	lastAct     int64 // last cycle of any of its work
	freeAt      int64 // first cycle its buffer is free; -1 until known
}

// NewSerialMemory returns the serial model over the run's tiles.
func NewSerialMemory(p SerialMemoryParams, src TileSource, l MemoryListener) *SerialMemory {
	m := &SerialMemory{p: p, src: src, listener: l}
	m.tileBook.settle = m.settle
	return m
}

// Ready implements Memory.
func (m *SerialMemory) Ready(seq int) (int64, bool) {
	if seq < m.delivered {
		return m.tiles[seq].ready, true
	}
	return 0, false
}

// deliver completes every load whose data is usable by cycle c.
func (m *SerialMemory) deliver(c int64) {
	for m.delivered < len(m.tiles) && m.tiles[m.delivered].ready <= c {
		m.delivered++
	}
}

// bufferFree is the first cycle the buffer of the next load is free, or -1 while unknown.
func (m *SerialMemory) bufferFree() int64 {
	if m.next < 2 {
		return 0
	}
	return m.tiles[m.next-2].freeAt
}

// nextTile returns the next tile to load, nil when every tile has been loaded.
func (m *SerialMemory) nextTile() (*Tile, error) {
	if m.allLoaded {
		return nil, nil
	}
	if m.nextT != nil && m.nextT.Seq == m.next {
		return m.nextT, nil
	}
	t, err := m.src.Tile(m.next)
	if err != nil {
		return nil, err
	}
	if t == nil {
		m.allLoaded = true
	}
	m.nextT = t
	return t, nil
}

// Step implements Memory: in cycle c the load of the next tile starts if the channel is free
// and so is its buffer; a free channel waiting for the buffer counts a wait cycle.
func (m *SerialMemory) Step(c int64) error {
	m.deliver(c)
	if c < m.channelFree {
		return nil
	}
	t, err := m.nextTile()
	if t == nil || err != nil {
		return err
	}
	if free := m.bufferFree(); free < 0 || free > c {
		m.stats.WaitBuffer++
		if rl, ok := m.listener.(RequestListener); ok {
			rl.BufferWaited(c, c+1)
		}
		return nil
	}
	if dep, ok := m.depReady(t); !ok || dep > c {
		m.stats.WaitDependency++
		if rl, ok := m.listener.(RequestListener); ok {
			rl.DependencyWaited(c, c+1)
		}
		return nil
	}
	m.start(t, c)
	return nil
}

// NextEvent implements Memory.
func (m *SerialMemory) NextEvent() int64 {
	n := int64(Never)
	if m.delivered < len(m.tiles) {
		n = m.tiles[m.delivered].ready
	}
	if !m.allLoaded {
		if free := m.bufferFree(); free >= 0 {
			at := max(m.channelFree, free)
			if m.nextT != nil && m.nextT.Seq == m.next {
				// The tile is known (asked for at an earlier cycle): its dependencies gate it too.
				dep, ok := m.depReady(m.nextT)
				if !ok {
					return n
				}
				at = max(at, dep)
			}
			n = min(n, at)
		}
	}
	return n
}

// Advance implements Memory: at c, NextEvent's cycle, the loads due complete and the next load
// starts if the channel and its buffer are free; the cycles the channel stood free waiting for
// the buffer are counted at once.
func (m *SerialMemory) Advance(c int64) error {
	m.deliver(c)
	if m.allLoaded || c < m.channelFree {
		return nil
	}
	free := m.bufferFree()
	if free < 0 || free > c {
		return nil
	}
	t, err := m.nextTile()
	if t == nil || err != nil {
		return err
	}
	dep, ok := m.depReady(t)
	if !ok || dep > c {
		return nil
	}
	// The channel stood free from channelFree: waiting for the buffer until it was free, then
	// for the dependencies (Step's order of checks).
	bufEnd := max(m.channelFree, free)
	m.stats.WaitBuffer += bufEnd - m.channelFree
	m.stats.WaitDependency += c - bufEnd
	if rl, ok := m.listener.(RequestListener); ok {
		if bufEnd > m.channelFree {
			rl.BufferWaited(m.channelFree, bufEnd)
		}
		if c > bufEnd {
			rl.DependencyWaited(bufEnd, c)
		}
	}
	m.start(t, c)
	return nil
}

// start starts tile t's load at cycle c: one latency, then its lines streamed over the channel.
func (m *SerialMemory) start(t *Tile, c int64) {
	line := int64(m.p.BurstBytes)
	lines := Bursts(t.loadRanges(), line)
	bytes := int64(len(lines)) * line
	dur := m.p.LoadCycles(bytes)
	u := &tileUse{ready: c + dur, lastAct: c + dur - 1, freeAt: -1, tasksLeft: t.NumTasks()}
	m.tiles = append(m.tiles, u)
	m.channelFree = c + dur
	m.stats.Busy += dur - m.p.Latency
	m.stats.Bytes += bytes
	m.stats.Loads++
	if m.listener != nil {
		m.listener.LoadStarted(t, c, u.ready)
	}
	rl, _ := m.listener.(RequestListener)
	for i, a := range lines {
		// Line i's data cycles are its share of the stream; all are issued with the load.
		first := c + m.p.Latency + int64(i)*line/int64(m.p.BytesPerCycle)
		last := c + m.p.LoadCycles(int64(i+1)*line) - 1
		m.stats.Requests++
		m.stats.RequestCycles += last - c + 1
		if rl != nil {
			rl.RequestIssued(Request{Tile: t.Seq, Offset: int64(i) * line, Bytes: line,
				Issue: c, First: first, Last: last, Addr: a})
		}
	}
	if m.listener != nil && m.next >= 2 {
		m.listener.BufferReused(m.next - 2)
	}
	m.next++
	m.settle(len(m.tiles) - 1)
}

// settle frees a tile's buffer on the cycle after its last work, once all of it is done.
func (m *SerialMemory) settle(seq int) {
	if u := m.tiles[seq]; u.freeAt < 0 && u.done() {
		u.freeAt = u.lastAct + 1
	}
}

// tileBook is the work bookkeeping both memory models keep for every tile whose load started:
// its row tasks still to end and its FIFO entries still to retire, and the last cycle of its
// work. It implements Memory's TaskEnded, EntryPushed and EntryRetired; settle is the model's
// rule for freeing a tile's buffer, called whenever the tile's work shrinks.
type tileBook struct {
	tiles  []*tileUse
	settle func(seq int)
	gate   depGate
}

// depGate is the dependency scan of the next tile to load: the tiles DepFrom..scan-1 have
// ended, the last of them at ready-1.
type depGate struct {
	seq, scan int
	ready     int64
	valid     bool
}

// depReady is the first cycle at which every tile t depends on has ended (its buffer's freeAt),
// and whether that is known yet. Tiles are asked for in load order, so the scan resumes where
// it stopped.
func (b *tileBook) depReady(t *Tile) (int64, bool) {
	if t.DepTiles == 0 {
		return 0, true
	}
	g := &b.gate
	if !g.valid || g.seq != t.Seq {
		*g = depGate{seq: t.Seq, scan: t.DepFrom, valid: true}
	}
	for ; g.scan < t.DepFrom+t.DepTiles; g.scan++ {
		u := b.tiles[g.scan]
		if u.freeAt < 0 {
			return 0, false
		}
		g.ready = max(g.ready, u.freeAt)
	}
	return g.ready, true
}

// done reports whether every row task and entry of the tile is finished.
func (u *tileUse) done() bool { return u.tasksLeft == 0 && u.outstanding == 0 }

// TaskEnded implements Memory.
func (b *tileBook) TaskEnded(seq int, c int64) {
	u := b.tiles[seq]
	u.tasksLeft--
	u.lastAct = max(u.lastAct, c)
	b.settle(seq)
}

// EntryPushed implements Memory.
func (b *tileBook) EntryPushed(seq int) { b.tiles[seq].outstanding++ }

// EntryRetired implements Memory.
func (b *tileBook) EntryRetired(seq int, last int64) {
	u := b.tiles[seq]
	u.outstanding--
	u.lastAct = max(u.lastAct, last)
	b.settle(seq)
}

// AllLoaded implements Memory: every tile's load has started and completed.
func (m *SerialMemory) AllLoaded() bool { return m.allLoaded && m.delivered == len(m.tiles) }

// Stats implements Memory.
func (m *SerialMemory) Stats() DRAMStats { return m.stats }
