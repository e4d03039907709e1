package arch

// PipelinedMemoryParams configure PipelinedMemory, by their keys in the config's memory section.
type PipelinedMemoryParams struct {
	Channels      int   `yaml:"channels"`             // independent DRAM channels
	BytesPerCycle int   `yaml:"dram_bytes_per_cycle"` // data bandwidth of one channel
	Latency       int64 `yaml:"dram_latency"`         // cycles from a request's issue to its first data cycle
	BurstBytes    int   `yaml:"burst_bytes"`          // bytes one request brings
	MaxInFlight   int   `yaml:"max_requests"`         // requests a channel holds outstanding at once
	Buffers       int   `yaml:"kv_buffers"`           // K/V buffers in the pool (2 is double buffering)
}

// The pipelined model fetches V rows on demand (it is a RowFetcher); the memory section's range
// checks cover its parameters.
// Its defaults are configs/leopard.yaml's: HBM2 channels (JEDEC JESD235A) with the latency and
// requests in flight fitted to Ramulator 2 (results/ramulator/summary.md).
func init() {
	RegisterMemoryModel("pipelined", PipelinedMemoryParams{Channels: 8, BytesPerCycle: 32, Latency: 30, BurstBytes: 32,
		MaxInFlight: 14, Buffers: 4}, nil, true, func(p PipelinedMemoryParams, src TileSource, l MemoryListener) Memory {
		return NewPipelinedMemory(p, src, l)
	})
}

// burstCycles is how many data cycles a request of bytes occupies its channel's bus.
func (p PipelinedMemoryParams) burstCycles(bytes int64) int64 {
	return (bytes + int64(p.BytesPerCycle) - 1) / int64(p.BytesPerCycle)
}

// PipelinedMemory is a memory system with requests in flight (arch/README.md, "Pipelined
// memory"): a tile's load is cut into requests of BurstBytes, dealt to the channels in turn
// (request k of the run to channel k mod Channels); each channel issues its requests in order,
// at most one per cycle and at most MaxInFlight outstanding, and the latency of one request
// overlaps the transfers of others; a tile is usable the cycle after its last request's last
// data cycle. Tiles take buffers from a pool of Buffers in tile order: a tile's load starts when
// a buffer is free, so up to Buffers-1 tiles are prefetched while one is in use.
type PipelinedMemory struct {
	p        PipelinedMemoryParams
	ideal    bool // the ideal memory (arch/pipelined_ideal.go): every request served the cycle it is dealt
	src      TileSource
	listener MemoryListener
	// banks, when set (the banked model, arch/banked.go), picks a request's channel from its
	// address and times its bank access in place of the round robin and the fixed Latency.
	banks bankTimer

	tileBook
	pending   []int // request count still to complete, per started tile
	next      int   // next tile to start
	nextT     *Tile // tile next, once asked for
	waitKind  int   // what the next tile waited for at the last cycle processed
	delivered int
	allLoaded bool
	inUse     int   // buffers held by started tiles whose buffer is not free yet
	freeing   []int // started tiles whose buffer frees at a known cycle, not yet returned
	requests  int64 // requests dealt so far (channel of the next: requests mod Channels)
	// rows are the rows fetched on demand for each tile in flight: address -> first usable cycle.
	rows  map[int]map[int64]int64
	ch    []pipeChannel
	last  int64 // last cycle processed
	stats DRAMStats
}

// pipeChannel is one channel's queue and in-flight window. A channel issues in order, so a
// request's issue and data cycles are fixed when it is dealt (nothing dealt later can move
// them): the channel keeps the state after its last dealt request, and the queue holds the
// requests dealt and not yet issued with their cycles.
type pipeChannel struct {
	queue   ring[pipeRequest] // dealt, not issued, in order
	ends    ring[int64]       // last data cycle of the last MaxInFlight requests dealt, in order
	busFree int64             // first cycle the data bus is free after the requests dealt
	issued  int64             // issue cycle of the last request dealt, -1 before the first
}

type pipeRequest struct {
	tile  int
	off   int64 // offset in the tile's load
	bytes int64
	// addr is the burst's aligned DRAM address; direct: a burst of a row fetched on demand, not
	// of the tile's load.
	addr   int64
	direct bool
	// issue, first and last are its issue cycle and its first and last data cycles.
	issue, first, last int64
}

// deal puts a request that may issue from cycle ready on channel index and fixes its cycles: it
// issues one cycle after the channel's previous request at the earliest, and once the request
// MaxInFlight before it has completed; its data comes Latency after the issue (under the banked
// model, when its bank access ends), or later while the bus is busy with earlier requests.
func (m *PipelinedMemory) deal(index int, r pipeRequest, ready int64) pipeRequest {
	ch := &m.ch[index]
	if m.ideal {
		// No issue slot, window, latency or bus to wait for: the burst arrives as it is asked.
		r.issue, r.first, r.last = ready, ready, ready
		ch.queue.push(r)
		return r
	}
	r.issue = max(ch.issued+1, ready)
	if ch.ends.len() == m.p.MaxInFlight {
		r.issue = max(r.issue, ch.ends.front()+1)
	}
	data := r.issue + m.p.Latency
	if m.banks != nil {
		data = m.banks.access(index, r.addr, r.issue)
	}
	r.first = max(data, ch.busFree)
	r.last = r.first + m.p.burstCycles(r.bytes) - 1
	ch.busFree = r.last + 1
	ch.issued = r.issue
	ch.ends.push(r.last)
	if ch.ends.len() > m.p.MaxInFlight {
		ch.ends.pop()
	}
	ch.queue.push(r)
	return r
}

// dealNext deals a request to the next channel in turn (request k of the run to channel k mod
// Channels), or to its address's channel under the banked model.
func (m *PipelinedMemory) dealNext(r pipeRequest, ready int64) pipeRequest {
	index := int(m.requests % int64(m.p.Channels))
	if m.banks != nil {
		index = m.banks.channel(r.addr)
	}
	m.requests++
	return m.deal(index, r, ready)
}

// NewPipelinedMemory returns the pipelined model over the run's tiles.
func NewPipelinedMemory(p PipelinedMemoryParams, src TileSource, l MemoryListener) *PipelinedMemory {
	m := &PipelinedMemory{p: p, src: src, listener: l, ch: make([]pipeChannel, p.Channels), last: -1,
		rows: map[int]map[int64]int64{}}
	for i := range m.ch {
		m.ch[i].issued = -1
	}
	m.tileBook.settle = m.settle
	return m
}

// Ready implements Memory.
func (m *PipelinedMemory) Ready(seq int) (int64, bool) {
	if seq < m.delivered {
		return m.tiles[seq].ready, true
	}
	return 0, false
}

// AllLoaded implements Memory.
func (m *PipelinedMemory) AllLoaded() bool { return m.allLoaded && m.delivered == len(m.tiles) }

// Stats implements Memory.
func (m *PipelinedMemory) Stats() DRAMStats { return m.stats }

// settle fixes when a delivered tile's buffer frees, once all its work is done.
func (m *PipelinedMemory) settle(seq int) {
	u := m.tiles[seq]
	if u.freeAt < 0 && seq < m.delivered && u.done() {
		u.freeAt = u.lastAct + 1
		m.freeing = append(m.freeing, seq)
	}
}

// returnBuffers gives back the buffers of tiles whose work ended before cycle c.
func (m *PipelinedMemory) returnBuffers(c int64) {
	kept := m.freeing[:0]
	for _, seq := range m.freeing {
		if m.tiles[seq].freeAt <= c {
			m.inUse--
			delete(m.rows, seq)
			if m.listener != nil {
				m.listener.BufferReused(seq)
			}
		} else {
			kept = append(kept, seq)
		}
	}
	m.freeing = kept
}

// What the next tile's load waits for.
const (
	waitNone = iota
	waitBuffer
	waitDependency
)

// startTiles starts the loads of the next tiles while a buffer is free at cycle c and their
// dependencies have ended; it reports what the next tile is left waiting for.
func (m *PipelinedMemory) startTiles(c int64) (waiting int, err error) {
	for !m.allLoaded {
		t := m.nextT
		if t == nil || t.Seq != m.next {
			t, err = m.src.Tile(m.next)
			if err != nil {
				return waitNone, err
			}
			m.nextT = t
		}
		if t == nil {
			m.allLoaded = true
			return waitNone, nil
		}
		if m.inUse == m.p.Buffers {
			return waitBuffer, nil
		}
		if dep, ok := m.depReady(t); !ok || dep > c {
			return waitDependency, nil
		}
		m.inUse++
		m.next++
		u := &tileUse{ready: -1, lastAct: c, freeAt: -1, tasksLeft: t.NumTasks()}
		m.tiles = append(m.tiles, u)
		burst := int64(m.p.BurstBytes)
		bursts := Bursts(t.loadRanges(), burst)
		for i, a := range bursts {
			m.dealNext(pipeRequest{tile: t.Seq, off: int64(i) * burst, bytes: burst, addr: a}, c)
		}
		n := len(bursts)
		m.pending = append(m.pending, n)
		m.stats.Bytes += int64(n) * burst
		m.stats.Loads++
		if m.listener != nil {
			m.listener.LoadStarted(t, c, -1)
		}
		if n == 0 {
			u.ready = c + 1
		}
	}
	return waitNone, nil
}

// issue sends channel ch's next request, due at its issue cycle.
func (m *PipelinedMemory) issue(ch *pipeChannel, index int) {
	r := ch.queue.pop()
	m.stats.Busy += m.p.burstCycles(r.bytes)
	m.stats.Requests++
	m.stats.RequestCycles += r.last - r.issue + 1
	if rl, ok := m.listener.(RequestListener); ok {
		rl.RequestIssued(Request{Tile: r.tile, Channel: index, Offset: r.off, Bytes: r.bytes, Issue: r.issue,
			First: r.first, Last: r.last, Direct: r.direct, Addr: r.addr})
	}
	if r.direct {
		return
	}
	u := m.tiles[r.tile]
	u.ready = max(u.ready, r.last+1)
	m.pending[r.tile]--
}

// FetchRow implements RowFetcher: the row's bursts are dealt to the channels in turn like a
// tile's, issuing from cycle c+1 (the request is made in cycle c, after the memory's step).
func (m *PipelinedMemory) FetchRow(seq int, addr, bytes int64, c int64) (int64, bool) {
	if at, ok := m.rows[seq][addr]; ok {
		return at, false
	}
	burst := int64(m.p.BurstBytes)
	ready := c + 1
	bursts := Bursts([]Range{{Addr: addr, Bytes: bytes}}, burst)
	for i, a := range bursts {
		r := m.dealNext(pipeRequest{tile: seq, off: int64(i) * burst, bytes: burst, addr: a, direct: true}, c+1)
		ready = max(ready, r.last+1)
	}
	bytes = int64(len(bursts)) * burst // DRAM reads whole bursts
	m.stats.VRows++
	m.stats.Bytes += bytes
	m.stats.VBytes += bytes
	if m.rows[seq] == nil {
		m.rows[seq] = map[int64]int64{}
	}
	m.rows[seq][addr] = ready
	return ready, true
}

// deliver completes the tiles, in order, whose requests have all been issued and whose data has
// arrived by cycle c.
func (m *PipelinedMemory) deliver(c int64) {
	for m.delivered < len(m.tiles) && m.pending[m.delivered] == 0 && m.tiles[m.delivered].ready <= c {
		m.delivered++
		m.settle(m.delivered - 1)
	}
}

// Step implements Memory: in cycle c the buffers of finished tiles return to the pool, loads
// due complete, new tiles take free buffers, and each channel issues its next request if its
// window has room.
func (m *PipelinedMemory) Step(c int64) error {
	return m.cycle(c, true)
}

// Advance implements Memory: the same as Step at one of NextEvent's cycles, with the cycles
// since the last one processed accounted in bulk (nothing changes in them).
func (m *PipelinedMemory) Advance(c int64) error {
	return m.cycle(c, false)
}

func (m *PipelinedMemory) cycle(c int64, perCycle bool) error {
	if !perCycle && m.last >= 0 && c > m.last+1 {
		// The event engine skipped the cycles since the last one processed, in which nothing
		// changed: a tile that waited then waited in each of them, for the same thing.
		m.waited(m.waitKind, m.last+1, c)
	}
	m.last = c
	m.returnBuffers(c)
	m.deliver(c)
	waiting, err := m.startTiles(c)
	if err != nil {
		return err
	}
	m.waitKind = waiting
	m.waited(waiting, c, c+1)
	for i := range m.ch {
		ch := &m.ch[i]
		for ch.queue.len() > 0 && ch.queue.front().issue <= c {
			m.issue(ch, i) // one a cycle, except with the ideal memory's unbounded issue
		}
	}
	m.deliver(c)
	return nil
}

// waited counts the cycles [from, to) in which the next tile's load waited for kind.
func (m *PipelinedMemory) waited(kind int, from, to int64) {
	rl, _ := m.listener.(RequestListener)
	switch kind {
	case waitBuffer:
		m.stats.WaitBuffer += to - from
		if rl != nil {
			rl.BufferWaited(from, to)
		}
	case waitDependency:
		m.stats.WaitDependency += to - from
		if rl != nil {
			rl.DependencyWaited(from, to)
		}
	}
}

// NextEvent implements Memory.
func (m *PipelinedMemory) NextEvent() int64 {
	n := int64(Never)
	if m.delivered < len(m.tiles) && m.pending[m.delivered] == 0 {
		n = m.tiles[m.delivered].ready
	}
	for i := range m.ch {
		if q := &m.ch[i].queue; q.len() > 0 {
			n = min(n, q.front().issue)
		}
	}
	for _, seq := range m.freeing {
		n = min(n, m.tiles[seq].freeAt)
	}
	if !m.allLoaded && m.inUse < m.p.Buffers {
		at := m.last + 1
		if t := m.nextT; t != nil && t.Seq == m.next {
			// A buffer is free: the next tile waits for its dependencies, if it has any.
			dep, ok := m.depReady(t)
			if !ok {
				at = Never
			}
			at = max(at, dep)
		}
		n = min(n, at)
	}
	return max(n, m.last+1)
}

// ring is a first-in first-out queue over a circular buffer that grows only when full, so a
// channel's queue reuses its storage instead of re-slicing forward and reallocating as it goes.
type ring[T any] struct {
	buf     []T
	head, n int // index of the first element in buf; elements held
}

// len is the number of elements held.
func (r *ring[T]) len() int { return r.n }

// front is the first element; the ring must not be empty.
func (r *ring[T]) front() T { return r.buf[r.head] }

// push appends x at the back, doubling the buffer (in order) when it is full.
func (r *ring[T]) push(x T) {
	if r.n == len(r.buf) {
		grown := make([]T, max(2*len(r.buf), 8))
		k := copy(grown, r.buf[r.head:])
		copy(grown[k:], r.buf[:r.head])
		r.buf, r.head = grown, 0
	}
	i := r.head + r.n
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	r.buf[i] = x
	r.n++
}

// pop removes and returns the first element; the ring must not be empty.
func (r *ring[T]) pop() T {
	x := r.buf[r.head]
	r.head++
	if r.head == len(r.buf) {
		r.head = 0
	}
	r.n--
	return x
}
