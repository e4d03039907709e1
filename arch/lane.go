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

// TermStep is the per-pair reference of the bit-serial lane: it runs a Lane on (q, k) to its
// decision and returns the step (1..G) at which the comparator decides and whether the key
// survives (q.k >= T). With early termination off every key runs all G steps. It is
// deliberately plain: the fast kernel in kernel.go is checked against it.
func TermStep(q, k []int32, T int64, bitsK, bitsPerCycle int, earlyTermination bool) (step int, survive bool) {
	var l Lane
	l.Load(q, k, QPlus(q), T, bitsK, bitsPerCycle, earlyTermination)
	for {
		if decided, surv := l.Step(); decided {
			return l.StepsTaken(), surv
		}
	}
}

// Dot is the plain integer dot product q.k.
func Dot(q, k []int32) int64 {
	var s int64
	for i := range q {
		s += int64(q[i]) * int64(k[i])
	}
	return s
}

// Lane is one bit-serial lane: it holds q bit-parallel and consumes one key's bit-planes
// MSB-first, bitsPerCycle a step, element by element as the datapath does, and its comparator
// checks the early-termination bound after every step. The reference engine steps one Lane per
// busy lane every cycle; TermStep runs one to the end.
type Lane struct {
	q, k       []int32
	threshold  int64
	qplus      int64
	bitsK, bpc int
	et         bool
	step       int   // steps done
	partial    int64 // P_t = q . ((k >> t) << t) after the steps done
	decided    bool
	survive    bool
	plane      int // highest plane not yet consumed
}

// Load puts a key on the lane: q (with its Q+), k, the integer threshold T, the key width,
// the planes per step and whether early termination is on.
func (l *Lane) Load(q, k []int32, qplus, T int64, bitsK, bitsPerCycle int, earlyTermination bool) {
	*l = Lane{q: q, k: k, threshold: T, qplus: qplus, bitsK: bitsK, bpc: bitsPerCycle,
		et: earlyTermination, plane: bitsK - 1}
}

// Step consumes the next planes and runs the comparator. It reports whether the lane decided
// in this step and, if so, whether the key survives; the lane must not be stepped after it
// decided.
func (l *Lane) Step() (decided, survive bool) {
	if l.decided {
		panic("arch: lane stepped after its decision")
	}
	l.step++
	lo := max(l.bitsK-l.step*l.bpc, 0)
	for b := l.plane; b >= lo; b-- {
		var planeSum int64
		for i := range l.q {
			planeSum += int64(l.q[i]) * keyBit(l.k[i], b)
		}
		l.partial += planeWeight(b, l.bitsK) * planeSum
	}
	l.plane = lo - 1
	switch {
	case lo == 0:
		l.decided, l.survive = true, l.partial >= l.threshold
	case l.et && l.partial+((int64(1)<<uint(lo))-1)*l.qplus < l.threshold:
		// The low lo planes can add at most (2^lo - 1) * Q+: the key can no longer reach T.
		l.decided = true
	}
	return l.decided, l.survive
}

// StepsTaken is the number of steps the lane has run on its key.
func (l *Lane) StepsTaken() int { return l.step }

// Score is the full score q.k once the lane has consumed every plane (with early termination
// off, or for a survivor).
func (l *Lane) Score() int64 { return l.partial }
