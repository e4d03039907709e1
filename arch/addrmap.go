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

// Bursts are the addresses of the bursts of burst bytes, aligned to burst, that a load reading
// ranges fetches, in load order: each range's bursts in ascending address order, and a burst
// two ranges share (the end of one array and the start of the next, or two packed heads) fetched
// once. DRAM reads whole aligned bursts, so these, not the ranges' bytes, are what a load costs.
func Bursts(ranges []Range, burst int64) []int64 {
	var out []int64
	var seen map[int64]bool // made only once a range goes back below a burst already fetched
	end := int64(-1)        // end of the highest burst fetched so far
	for _, r := range ranges {
		for a := r.Addr / burst * burst; a < r.Addr+r.Bytes; a += burst {
			if a < end {
				if seen == nil {
					seen = make(map[int64]bool, len(out))
					for _, x := range out {
						seen[x] = true
					}
				}
				if seen[a] {
					continue
				}
			}
			out = append(out, a)
			if seen != nil {
				seen[a] = true
			}
			end = max(end, a+burst)
		}
	}
	return out
}

// loadRanges are the DRAM ranges tile t's load reads: its Ranges, or, for a tile that names
// none (a test's), its Bytes from address 0.
func (t *Tile) loadRanges() []Range {
	if t.Ranges == nil && t.Bytes > 0 {
		return []Range{{Addr: 0, Bytes: t.Bytes}}
	}
	return t.Ranges
}
