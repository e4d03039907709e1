package arch

import "math/bits"

// SurviveBit marks a surviving key in a decision byte, as TermRow writes them and RowTask.Dec
// holds them: the step (1..G) at which the lane decides the key, with SurviveBit set when the
// key survives.
const SurviveBit = 0x80

// PlaneKernel computes termination steps for a whole head fast. K is transposed once into
// bit-plane-major bytes (the layout the K SRAM holds), and for each query row a table gives, for
// every byte of one bit-plane, the sum of the 8 q elements whose key bit is set. A plane's
// contribution q . plane_b then costs ceil(d/8) table look-ups instead of d multiply-adds, and a
// key that terminates early only touches its top planes. On amd64 with AVX2 (and without the
// purego build tag) TermRow has a vector path and the transpose an assembly form; README.md,
// "The plane kernel", says how the vector path stays exact.
type PlaneKernel struct {
	m, d, bitsK, bitsPerCycle int
	groups                    int     // ceil(d / 8)
	planes                    []uint8 // [m][bitsK][groups], plane b of key j at (j*bitsK+b)*groups
	lut                       []int32 // [groups][256] sums of q over the set bits of a byte
	query                     []int32 // the current query row
	lutReady                  bool    // the tables hold the current row (built on Term's demand)
	bound                     []int64 // per step s (index s-1): (2^t - 1) * Q+ for the current row
	lo                        []int   // per step: lowest plane consumed, t
	weight                    []int64 // per plane b: its two's-complement weight

	// The fast path for d <= 64: a plane is one 64-bit word and the tables a fixed array, so a
	// plane sum is eight unrolled look-ups with no bounds checks.
	planes64 []uint64 // [m][bitsK]
	lut64    *[8][256]int32

	// The vector path of TermRow (kernel_vec.go, kernel_amd64.s), nil without one.
	vec *vecKernel
}

// NewPlaneKernel transposes K ([m x d] row-major, bitsK-bit two's complement) into bit-planes.
func NewPlaneKernel(k []int32, m, d, bitsK, bitsPerCycle int) *PlaneKernel {
	groups := (d + 7) / 8
	pk := &PlaneKernel{
		m: m, d: d, bitsK: bitsK, bitsPerCycle: bitsPerCycle, groups: groups,
		lut: make([]int32, groups*256),
	}
	vector := useVector()
	if d <= 64 {
		pk.lut64 = new([8][256]int32)
		pk.planes64 = make([]uint64, m*bitsK)
		if vector {
			transposeVector64(k, pk.planes64, m, d, bitsK)
		} else {
			transposeGo64(k, pk.planes64, m, d, bitsK)
		}
	} else {
		pk.planes = make([]uint8, m*bitsK*groups)
		if vector {
			transposeVector(k, pk.planes, m, d, bitsK)
		} else {
			transposeGo(k, pk.planes, m, d, bitsK)
		}
	}
	pk.weight = make([]int64, bitsK)
	for b := range pk.weight {
		pk.weight[b] = planeWeight(b, bitsK)
	}
	g := Steps(bitsK, bitsPerCycle)
	pk.bound = make([]int64, g)
	pk.lo = make([]int, g)
	for s := 1; s <= g; s++ {
		pk.lo[s-1] = max(bitsK-s*bitsPerCycle, 0)
	}
	if vector {
		pk.vec = newVecKernel(k, m, d, bitsK, pk.lo)
	}
	return pk
}

// transposeGo writes the bit-planes of K ([m x d], bitsK bits) to planes ([m][bitsK][ceil(d/8)]
// bytes, zeroed): bit i%8 of byte i/8 of plane b of key j is bit b of k[j*d+i].
func transposeGo(k []int32, planes []uint8, m, d, bitsK int) {
	groups := (d + 7) / 8
	for j := 0; j < m; j++ {
		for i, v := range k[j*d : (j+1)*d] {
			u := uint32(v)
			g, sh := i/8, uint(i%8)
			for b := 0; b < bitsK; b++ {
				planes[(j*bitsK+b)*groups+g] |= uint8(u>>uint(b)&1) << sh
			}
		}
	}
}

// transposeGo64 is transposeGo for d <= 64, one word a plane: bit i of plane b of key j (word
// j*bitsK+b, zeroed) is bit b of k[j*d+i].
func transposeGo64(k []int32, planes []uint64, m, d, bitsK int) {
	for j := 0; j < m; j++ {
		p := planes[j*bitsK : (j+1)*bitsK]
		for i, v := range k[j*d : (j+1)*d] {
			u := uint64(uint32(v))
			for b := range p {
				p[b] |= (u >> uint(b) & 1) << uint(i)
			}
		}
	}
}

// SetQuery loads query row q (length d): the per-step bounds now, the byte tables when Term
// first needs them (TermRow's vector path does not).
func (pk *PlaneKernel) SetQuery(q []int32) {
	pk.query = append(pk.query[:0], q[:pk.d]...)
	pk.lutReady = false
	qplus := QPlus(q)
	for s, lo := range pk.lo {
		pk.bound[s] = ((int64(1) << uint(lo)) - 1) * qplus
	}
	if pk.vec != nil {
		pk.vec.setQuery(q)
	}
}

// buildLUT builds the byte tables of the current query row.
func (pk *PlaneKernel) buildLUT() {
	for g := 0; g < pk.groups; g++ {
		t := pk.lut[g*256 : (g+1)*256]
		if pk.lut64 != nil {
			t = pk.lut64[g][:]
		}
		t[0] = 0
		for mask := 1; mask < 256; mask++ {
			i := g*8 + bits.TrailingZeros8(uint8(mask))
			var v int32
			if i < pk.d {
				v = pk.query[i]
			}
			t[mask] = t[mask&(mask-1)] + v
		}
	}
	pk.lutReady = true
}

// TermRow decides keys 0..len(dec)-1 against T for the current query row: dec[j] = step |
// SurviveBit when key j survives, else step (1..G); each entry equals Term (and TermStep) for
// the same key. It takes the vector path when the kernel has one and the row's magnitudes allow
// it (vecKernel), and otherwise loops over Term.
func (pk *PlaneKernel) TermRow(T int64, earlyTermination bool, dec []uint8) {
	if len(dec) > pk.m {
		panic("arch: TermRow: more decisions than keys")
	}
	if pk.vec != nil && pk.vec.rowOK {
		pk.vec.termRow(T, earlyTermination, pk.bound, dec)
		return
	}
	pk.termRowGo(T, earlyTermination, dec)
}

// termRowGo is the portable TermRow, and the reference of the vector path.
func (pk *PlaneKernel) termRowGo(T int64, earlyTermination bool, dec []uint8) {
	for j := range dec {
		step, surv := pk.Term(j, T, earlyTermination)
		dec[j] = uint8(step)
		if surv {
			dec[j] |= SurviveBit
		}
	}
}

// vectorRow reports whether TermRow takes the vector path for the current query row.
func (pk *PlaneKernel) vectorRow() bool { return pk.vec != nil && pk.vec.rowOK }

// portable drops the vector path, so that TermRow runs termRowGo: the tests' way to compare
// both paths on one machine.
func (pk *PlaneKernel) portable() { pk.vec = nil }

// Term returns the step at which the lane decides key j against threshold T for the current
// query row, and whether the key survives; it equals TermStep for the same operands.
func (pk *PlaneKernel) Term(j int, T int64, earlyTermination bool) (step int, survive bool) {
	if !pk.lutReady {
		pk.buildLUT()
	}
	if pk.lut64 != nil {
		return pk.term64(j, T, earlyTermination)
	}
	var partial int64
	b := pk.bitsK - 1
	base := j * pk.bitsK * pk.groups
	last := len(pk.lo)
	for s := 1; s <= last; s++ {
		lo := pk.lo[s-1]
		for ; b >= lo; b-- {
			plane := pk.planes[base+b*pk.groups : base+(b+1)*pk.groups]
			var sum int64
			for g, byt := range plane {
				sum += int64(pk.lut[g*256+int(byt)])
			}
			partial += planeWeight(b, pk.bitsK) * sum
		}
		if lo == 0 {
			return last, partial >= T
		}
		if earlyTermination && partial+pk.bound[s-1] < T {
			return s, false
		}
	}
	panic("arch: unreachable: the last step always has t = 0")
}

// term64 is Term for d <= 64.
func (pk *PlaneKernel) term64(j int, T int64, earlyTermination bool) (step int, survive bool) {
	lut := pk.lut64
	planes := pk.planes64[j*pk.bitsK : (j+1)*pk.bitsK]
	var partial int64
	b := pk.bitsK - 1
	last := len(pk.lo)
	for s := 1; s <= last; s++ {
		lo := pk.lo[s-1]
		for ; b >= lo; b-- {
			w := planes[b]
			sum := lut[0][uint8(w)] + lut[1][uint8(w>>8)] + lut[2][uint8(w>>16)] + lut[3][uint8(w>>24)] +
				lut[4][uint8(w>>32)] + lut[5][uint8(w>>40)] + lut[6][uint8(w>>48)] + lut[7][uint8(w>>56)]
			partial += pk.weight[b] * int64(sum)
		}
		if lo == 0 {
			return last, partial >= T
		}
		if earlyTermination && partial+pk.bound[s-1] < T {
			return s, false
		}
	}
	panic("arch: unreachable: the last step always has t = 0")
}
