package arch

// HeadShape is what the buffers and the DRAM map need of a head: the elements of its Q/K and V
// rows and the widths of its operands.
type HeadShape struct {
	D, DV               int // elements of a Q or K row, and of a V row
	BitsQ, BitsK, BitsV int
}

// QRowBits is the bits of one query row.
func (s HeadShape) QRowBits() int64 { return int64(s.D) * int64(s.BitsQ) }

// KRowBits is the bits of one key's K row.
func (s HeadShape) KRowBits() int64 { return int64(s.D) * int64(s.BitsK) }

// VRowBits is the bits of one key's V row.
func (s HeadShape) VRowBits() int64 { return int64(s.DV) * int64(s.BitsV) }

// KeyBits is the bits a key takes in a K/V buffer: its K row and its V row.
func (s HeadShape) KeyBits() int64 { return s.KRowBits() + s.VRowBits() }

// Buffers are the on-chip buffers tiling fills: the Q buffer, and the K/V SRAM split into
// KVBuffers equal tile buffers (two: double buffering).
type Buffers struct {
	QBytes, KVBytes int64
	KVBuffers       int
}

// QBits is the Q buffer's bits.
func (b Buffers) QBits() int64 { return b.QBytes * 8 }

// KVBufferBits is one K/V tile buffer's bits.
func (b Buffers) KVBufferBits() int64 { return b.KVBytes * 8 / int64(b.KVBuffers) }

// Tiling is how a head is cut into loads: query blocks of QRows rows (the rows whose Q fits the Q
// buffer) and, within a block, key tiles of Keys keys (the keys whose K and V fit one K/V
// buffer).
type Tiling struct {
	QRows, Keys int
}

// Tile returns the tiling of a head of shape s. A field below 1 means that not even one row fits
// its buffer: the configuration cannot run the head.
func (b Buffers) Tile(s HeadShape) Tiling {
	return Tiling{QRows: int(b.QBits() / s.QRowBits()), Keys: int(b.KVBufferBits() / s.KeyBits())}
}

// Blocks is the query blocks of a head of rows query rows; a head with none has one.
func (t Tiling) Blocks(rows int) int { return (max(rows, 1) + t.QRows - 1) / t.QRows }

// KeyTiles is the key tiles of a block whose rows see up to keys keys; one at least.
func (t Tiling) KeyTiles(keys int) int { return (max(keys, 1)-1)/t.Keys + 1 }

// LastTile is the index of the key tile holding a row's last allowed key when it may see limit
// keys (0 when it may see none: its marker goes with the first tile).
func (t Tiling) LastTile(limit int) int {
	if limit <= 0 {
		return 0
	}
	return (limit - 1) / t.Keys
}

// RowKeys is the keys [k0, k1) of key tile ti a row that may see limit keys gets (k1 == k0 when
// none).
func (t Tiling) RowKeys(ti, limit int) (k0, k1 int) {
	k0 = ti * t.Keys
	return k0, max(k0, min(k0+t.Keys, limit))
}

// LoadBits are the SRAM bits one load writes, by buffer.
type LoadBits struct {
	Q, K, V int64
}

// KeyTileBits are the K and V bits of keys [lo, hi) of a head of shape s.
func KeyTileBits(s HeadShape, lo, hi int) LoadBits {
	n := int64(hi - lo)
	return LoadBits{K: n * s.KRowBits(), V: n * s.VRowBits()}
}

// Plus is the bits of two loads brought as one.
func (a LoadBits) Plus(b LoadBits) LoadBits {
	return LoadBits{Q: a.Q + b.Q, K: a.K + b.K, V: a.V + b.V}
}

// Packs reports whether loads a and b fit one load, as head packing needs: their K and V in one
// K/V buffer and their Q in the Q buffer.
func (b Buffers) Packs(x, y LoadBits) bool {
	return x.K+x.V+y.K+y.V <= b.KVBufferBits() && x.Q+y.Q <= b.QBits()
}

// PlaneMajorKBits is the K bits a load brings of a tile whose K of kBits, bitsK planes a key, is
// stored plane by plane (MSB first) when its lanes read only the first planes: a prefix.
func PlaneMajorKBits(kBits int64, bitsK, planes int) int64 {
	return kBits / int64(bitsK) * int64(planes)
}
