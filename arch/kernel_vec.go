package arch

import (
	"math"
	"math/bits"
)

// vecKernel is the vector path of PlaneKernel.TermRow (README.md, "The plane kernel"). It keeps
// K a second time, key-interleaved: for each group of 8 keys and each element i, the 8 keys'
// element i as int32 lanes holding k << 16 (k sign-extended from bitsK bits, so k >> lo is the
// top half of the lane after an arithmetic shift by lo and the bottom half only meets the zero
// half of q's lane in a 16-bit multiply-add). For the current row it finds each key's first
// step s at which the lane's bound falls below T,
//
//	below(s): P_s + (2^lo_s - 1) Q+ < T  <=>  q . (k >> lo_s) <= thr_s = floor((T - 1 - bound_s) / 2^lo_s),
//
// by bisection over s in [1, G+1] (below(G+1) is true by definition): below(s) never turns false
// again once true, since the bound never increases with s and at s = G it is q.k itself. The
// step is then min(first, G) and the key survives iff first = G+1. The dot products q . (k >> lo)
// are exact in int32 lanes: rowOK holds only when sum|q_i| * max|k| < 2^31, which bounds every
// partial sum the assembly forms, and q fits int16.
type vecKernel struct {
	m, d, dPad, g int
	maxK          int64   // max |k| over K (after sign extension from bitsK bits)
	k             []int32 // [groups][dPad][8] k << 16, zero-padded keys and elements
	q             []int32 // [dPad] q << 16 for the current row, zero-padded
	rowOK         bool    // the current row may take the vector path
	lo            []int32 // [G+2] lo_s by step s (index 0 unused, lo_{G+1} = 0)
	thr           []int32 // [G+2] thr_s for the T of the last termRow (thr_{G+1} = MaxInt32)
	first         []int32 // [groups*8] the bisection's answer per key
	emulate       bool    // run termGroupsGo instead of the assembly (tests)
}

// vecLanes is the number of keys the vector path decides side by side; vecUnroll the element
// count its inner loop takes at a time (d is padded to a multiple of it with zeros).
const (
	vecLanes  = 8
	vecUnroll = 4
)

// newVecKernel lays K out for the vector path; lo is PlaneKernel.lo (lo_s at index s-1). It
// returns nil when the shape is not one the vector path handles (keys wider than 16 bits).
func newVecKernel(k []int32, m, d, bitsK int, lo []int) *vecKernel {
	if bitsK > 16 || m <= 0 || d <= 0 {
		return nil
	}
	groups := (m + vecLanes - 1) / vecLanes
	dPad := (d + vecUnroll - 1) / vecUnroll * vecUnroll
	g := len(lo)
	v := &vecKernel{
		m: m, d: d, dPad: dPad, g: g,
		k:     make([]int32, groups*dPad*vecLanes),
		q:     make([]int32, dPad),
		lo:    make([]int32, g+2),
		thr:   make([]int32, g+2),
		first: make([]int32, groups*vecLanes),
	}
	shift := uint(32 - bitsK)
	var kmin, kmax int32
	for j := 0; j < m; j++ {
		out := v.k[(j/vecLanes)*dPad*vecLanes+j%vecLanes:]
		for i, x := range k[j*d : (j+1)*d] {
			x = x << shift >> shift // the bitsK-bit two's-complement value the planes hold
			kmin, kmax = min(kmin, x), max(kmax, x)
			out[i*vecLanes] = x << 16
		}
	}
	v.maxK = max(-int64(kmin), int64(kmax))
	for s, l := range lo {
		v.lo[s+1] = int32(l)
	}
	return v
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// setQuery loads query row q and decides whether the row may take the vector path.
func (v *vecKernel) setQuery(q []int32) {
	var sumAbs int64
	v.rowOK = true
	for i, x := range q[:v.d] {
		if x < math.MinInt16 || x > math.MaxInt16 {
			v.rowOK = false
		}
		sumAbs += abs64(int64(x))
		v.q[i] = x << 16
	}
	// Every int32 the assembly forms is a sum over a subset of the elements of
	// q_i * (k_i >> lo), and |k >> lo| <= |k|.
	if v.rowOK && v.maxK > 0 && sumAbs > math.MaxInt32/v.maxK {
		v.rowOK = false
	}
}

// termRow is TermRow on the vector path; bound is PlaneKernel.bound for the current row.
func (v *vecKernel) termRow(T int64, earlyTermination bool, bound []int64, dec []uint8) {
	if len(dec) == 0 {
		return
	}
	for s := 1; s <= v.g; s++ {
		v.thr[s] = stepThreshold(T, bound[s-1], uint(v.lo[s]))
	}
	v.thr[v.g+1] = math.MaxInt32
	start, iters := 1, bits.Len(uint(v.g)) // ceil(log2(G+1)) halvings of [1, G+1]
	if !earlyTermination {
		start, iters = v.g, 1 // only below(G) matters: [G, G+1]
	}
	groups := (len(dec) + vecLanes - 1) / vecLanes
	kk, first := v.k[:groups*v.dPad*vecLanes], v.first[:groups*vecLanes]
	if v.emulate {
		termGroupsGo(kk, v.q, v.lo, v.thr, first, start, iters)
	} else {
		termGroups(kk, v.q, v.lo, v.thr, first, start, iters)
	}
	g := uint8(v.g)
	for j := range dec {
		if f := first[j]; int(f) > v.g {
			dec[j] = g | SurviveBit
		} else {
			dec[j] = uint8(f)
		}
	}
}

// stepThreshold is thr = floor((T - 1 - bound) / 2^lo) clamped to int32: with D = q . (k >> lo),
// 2^lo * D + bound < T iff D <= thr. Clamping is exact because |D| < 2^31 - 1 on the vector
// path (vecKernel.setQuery), so D <= MinInt32 never holds and D <= MaxInt32 always does.
func stepThreshold(T, bound int64, lo uint) int32 {
	if T < math.MinInt64+1+bound { // T - 1 - bound < MinInt64: nothing is that low
		return math.MinInt32
	}
	t := (T - 1 - bound) >> lo // arithmetic shift: floor division by 2^lo
	return int32(min(max(t, math.MinInt32), math.MaxInt32))
}

// termGroupsGo is the Go model of termGroups (kernel_amd64.s): for each group of 8 keys in k
// ([groups][len(q)][8]) it bisects, lane by lane, over steps [start, len(lo)-1] for the first
// step s with q . (k >> lo[s]) <= thr[s], in iters halvings, and writes it to first.
func termGroupsGo(k, q, lo, thr, first []int32, start, iters int) {
	d := len(q)
	end := int32(len(lo) - 1)
	for grp := 0; grp < len(first)/vecLanes; grp++ {
		for lane := 0; lane < vecLanes; lane++ {
			a, b := int32(start), end
			for it := 0; it < iters; it++ {
				mid := (a + b) >> 1
				var dot int32
				for i := 0; i < d; i++ {
					x := k[(grp*d+i)*vecLanes+lane] >> uint(lo[mid])
					dot += int32(int16(x>>16)) * int32(int16(q[i]>>16))
				}
				if dot > thr[mid] {
					a = mid + 1
				} else {
					b = mid
				}
			}
			first[grp*vecLanes+lane] = a
		}
	}
}
