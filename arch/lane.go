// Package arch holds the hardware units of the LeOPArd accelerator (the bit-serial lane and its
// early-termination comparator, the front-end processing unit, the back end) and the single
// cycle model that both simulation engines and the RTL implement. README.md states the model.
package arch

// Steps is the number of lane steps a key of bitsK bits takes at bitsPerCycle planes a cycle:
// G = ceil(bitsK / bitsPerCycle).
func Steps(bitsK, bitsPerCycle int) int {
	return (bitsK + bitsPerCycle - 1) / bitsPerCycle
}

// QPlus is the sum of the positive elements of q: the most one unconsumed unit of key weight can
// add to the score, which makes the early-termination bound exact.
func QPlus(q []int32) int64 {
	var s int64
	for _, v := range q {
		if v > 0 {
			s += int64(v)
		}
	}
	return s
}

// keyBit returns bit b of k in two's complement (b = bitsK-1 is the sign plane).
func keyBit(k int32, b int) int64 {
	return int64(uint32(k)>>uint(b)) & 1
}

// planeWeight is the weight of bit-plane b of a bitsK-bit two's-complement number.
func planeWeight(b, bitsK int) int64 {
	if b == bitsK-1 {
		return -(int64(1) << uint(b))
	}
	return int64(1) << uint(b)
}

// TermStep is the per-pair reference of the bit-serial lane: it consumes k's bit-planes
// MSB-first, bitsPerCycle a step, element by element as the datapath does, and returns the step
// (1..G) at which the comparator decides and whether the key survives (q.k >= T). With early
// termination off every key runs all G steps. It is deliberately plain: the fast kernel in
// kernel.go is checked against it.
func TermStep(q, k []int32, T int64, bitsK, bitsPerCycle int, earlyTermination bool) (step int, survive bool) {
	g := Steps(bitsK, bitsPerCycle)
	qplus := QPlus(q)
	var partial int64 // P_t = q . ((k >> t) << t)
	for s := 1; s <= g; s++ {
		hi := bitsK - 1 - (s-1)*bitsPerCycle
		lo := max(bitsK-s*bitsPerCycle, 0)
		for b := hi; b >= lo; b-- {
			var planeSum int64
			for i := range q {
				planeSum += int64(q[i]) * keyBit(k[i], b)
			}
			partial += planeWeight(b, bitsK) * planeSum
		}
		if lo == 0 {
			return g, partial >= T
		}
		// The low lo planes can add at most (2^lo - 1) * Q+.
		if earlyTermination && partial+((int64(1)<<uint(lo))-1)*qplus < T {
			return s, false
		}
	}
	panic("arch: unreachable: the last step always has t = 0")
}

// Dot is the plain integer dot product q.k.
func Dot(q, k []int32) int64 {
	var s int64
	for i := range q {
		s += int64(q[i]) * int64(k[i])
	}
	return s
}
