package arch

// Range is a contiguous range of DRAM.
type Range struct {
	Addr, Bytes int64
}

// AddressMap lays the heads of a run out in DRAM in the order it places them: each head's Q,
// then its K, then its V, each range 64-byte aligned, and each head 4 KiB aligned. Its zero
// value starts at address 0.
type AddressMap struct {
	next int64
}

// HeadAddrs is one head's place in DRAM: where its Q, K and V start.
type HeadAddrs struct {
	Q, K, V int64
	shape   HeadShape
}

// Place gives the next head, of shape s with rows query rows and keys keys, its place.
func (m *AddressMap) Place(s HeadShape, rows, keys int) HeadAddrs {
	h := HeadAddrs{Q: m.next, shape: s}
	h.K = h.Q + alignUp(ceilBytes(int64(rows)*s.QRowBits()), 64)
	h.V = h.K + alignUp(ceilBytes(int64(keys)*s.KRowBits()), 64)
	m.next = alignUp(h.V+ceilBytes(int64(keys)*s.VRowBits()), 4096)
	return h
}

// QRows is the range of query rows [q0, q1).
func (h HeadAddrs) QRows(q0, q1 int) Range {
	return Range{Addr: h.Q + int64(q0)*h.shape.QRowBits()/8, Bytes: ceilBytes(int64(q1-q0) * h.shape.QRowBits())}
}

// KRows is the range of the K rows of keys [lo, hi) (all their planes).
func (h HeadAddrs) KRows(lo, hi int) Range {
	return Range{Addr: h.K + int64(lo)*h.shape.KRowBits()/8, Bytes: ceilBytes(int64(hi-lo) * h.shape.KRowBits())}
}

// VRows is the range of the V rows of keys [lo, hi), as a load brings them.
func (h HeadAddrs) VRows(lo, hi int) Range {
	return Range{Addr: h.V + int64(lo)*h.shape.VRowBits()/8, Bytes: ceilBytes(int64(hi-lo) * h.shape.VRowBits())}
}

// VRow is the range of key's V row as an on-demand fetch reads it: rows a whole number of bytes
// apart.
func (h HeadAddrs) VRow(key int) Range {
	row := ceilBytes(h.shape.VRowBits())
	return Range{Addr: h.V + int64(key)*row, Bytes: row}
}

// ceilBytes is the bytes that hold bits bits.
func ceilBytes(bits int64) int64 { return (bits + 7) / 8 }

// alignUp rounds a up to a multiple of b.
func alignUp(a, b int64) int64 { return (a + b - 1) / b * b }
