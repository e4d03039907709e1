package arch

import "math/bits"

// laneSet is a set of lane indices as a bitmask, iterated in lane order: the order in which
// lanes take keys and push survivors.
type laneSet []uint64

func newLaneSet(lanes int) laneSet { return make(laneSet, (lanes+63)/64) }

func (s laneSet) add(i int)    { s[i>>6] |= 1 << uint(i&63) }
func (s laneSet) remove(i int) { s[i>>6] &^= 1 << uint(i&63) }

func (s laneSet) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// first returns the lowest lane at or after i, or -1.
func (s laneSet) first(i int) int {
	for wi := i >> 6; wi < len(s); wi++ {
		w := s[wi]
		if wi == i>>6 {
			w &= ^uint64(0) << uint(i&63)
		}
		if w != 0 {
			return wi<<6 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

func (s laneSet) clear() {
	for i := range s {
		s[i] = 0
	}
}

func (s laneSet) fill(lanes int) {
	s.clear()
	for i := 0; i < lanes; i++ {
		s.add(i)
	}
}

// decisionRing holds, for each of the next ringSize cycles, the lanes whose comparator decides
// in it. A key takes at most 16 steps, so a lane's decision is never more than 15 cycles ahead.
const ringSize = 16

type decisionRing [ringSize]laneSet

func newDecisionRing(lanes int) decisionRing {
	var r decisionRing
	for i := range r {
		r[i] = newLaneSet(lanes)
	}
	return r
}

func (r *decisionRing) at(c int64) laneSet { return r[c%ringSize] }
