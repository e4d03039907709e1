package arch

// LaneActions are the actions the lanes and their comparators take, counted for energy: for
// every bit-plane a lane reads of a key, one accumulate and d one-bit products (one per element
// of q); for every step, one compare against the threshold.
type LaneActions struct {
	BitProducts, Accumulates, Compares int64
}

// KeyActions are the lane actions of n keys of a head of d elements, each read for planes
// bit-planes over steps steps.
func KeyActions(d int, planes, steps, n int64) LaneActions {
	return LaneActions{BitProducts: n * planes * int64(d), Accumulates: n * planes, Compares: n * steps}
}

// Add adds b's actions to a's.
func (a *LaneActions) Add(b LaneActions) {
	a.BitProducts += b.BitProducts
	a.Accumulates += b.Accumulates
	a.Compares += b.Compares
}

// KReadBits is the K SRAM bits a front end reads for one row's lane to read planes bit-planes
// of a key of d elements: one read per row.
func KReadBits(d int, planes int64) int64 { return planes * int64(d) }

// KBroadcast counts the K SRAM reads of a front end under broadcast reads: one read of a key's
// plane serves every unit whose row needs it in the same wave of rows (the rows the units take
// together), so a row reads only the planes no earlier row of its wave has read. It keeps, per
// tile in a K/V buffer, the planes each wave has read of each key.
type KBroadcast struct {
	tiles map[int]map[kWave]int
}

// kWave is a key's planes as one wave of rows of a head reads them.
type kWave struct{ head, wave, key int }

// NewKBroadcast returns a count with no plane read yet.
func NewKBroadcast() *KBroadcast { return &KBroadcast{tiles: map[int]map[kWave]int{}} }

// Read is the K SRAM bits a lane of wave's row reads of key (of a head of d elements, in tile)
// when it needs its first planes planes: those beyond what the wave has read.
func (b *KBroadcast) Read(tile, head, wave, key, d int, planes int64) int64 {
	reads := b.tiles[tile]
	if reads == nil {
		reads = map[kWave]int{}
		b.tiles[tile] = reads
	}
	k := kWave{head: head, wave: wave, key: key}
	prev := int64(reads[k])
	if planes <= prev {
		return 0
	}
	reads[k] = int(planes)
	return KReadBits(d, planes-prev)
}

// Release forgets a tile whose buffer was reused.
func (b *KBroadcast) Release(tile int) { delete(b.tiles, tile) }
