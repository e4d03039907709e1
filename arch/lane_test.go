package arch

import (
	"math/rand/v2"
	"testing"
)

// TestTermStepHandWorked checks the bound arithmetic on cases worked by hand.
func TestTermStepHandWorked(t *testing.T) {
	tests := []struct {
		name        string
		q, k        []int32
		T           int64
		bits, bpc   int
		et          bool
		wantStep    int
		wantSurvive bool
	}{
		// 4-bit keys, 1 plane a cycle. q = (3, -2), Q+ = 3. k = (-8, 5) = (1000b, 0101b).
		// step 1, plane 3 (weight -8): P = 3*1*(-8) + (-2)*0*(-8) = -24; t = 3, bound 7*3 = 21;
		// -24 + 21 = -3 < T = 0: pruned at step 1. (q.k = -24 - 10 = -34.)
		{"pruned at step 1", []int32{3, -2}, []int32{-8, 5}, 0, 4, 1, true, 1, false},
		// Same with ET off: all 4 steps, q.k = -34 < 0.
		{"no early termination", []int32{3, -2}, []int32{-8, 5}, 0, 4, 1, false, 4, false},
		// k = (2, -1) = (0010b, 1111b). q.k = 6 + 2 = 8.
		// step 1, plane 3: P = -2*1*(-8) = 16, t = 3, 16 + 21 = 37 >= 8 -> go on.
		// step 2, plane 2: P += 4*(-2*1) = 8, t = 2, 8 + 3*3 = 17 >= 8.
		// step 3, plane 1: P += 2*(3*1 + -2*1) = 10, t = 1, 10 + 3 = 13 >= 8.
		// step 4, plane 0: P += 1*(-2) = 8 = q.k; 8 >= 8: survives at step 4.
		{"survives exactly at T", []int32{3, -2}, []int32{2, -1}, 8, 4, 1, true, 4, true},
		// T = 9 (one above q.k): step 3 gives 13 >= 9, so it runs to the end and is pruned at 4.
		{"pruned at the last step", []int32{3, -2}, []int32{2, -1}, 9, 4, 1, true, 4, false},
		// T = 14: step 3 gives 10 + 3 = 13 < 14: pruned at step 3.
		{"pruned at step 3", []int32{3, -2}, []int32{2, -1}, 14, 4, 1, true, 3, false},
		// 2 planes a cycle, 4 bits: G = 2. Step 1 planes 3,2: P = 16 - 8 = 8, t = 2,
		// 8 + 3*3 = 17 < 18: pruned at step 1.
		{"two planes a cycle", []int32{3, -2}, []int32{2, -1}, 18, 4, 2, true, 1, false},
		// 3 planes a cycle on 4 bits: G = 2, step 2 consumes only plane 0.
		{"ragged last step", []int32{3, -2}, []int32{2, -1}, 8, 4, 3, true, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			step, surv := TermStep(tc.q, tc.k, tc.T, tc.bits, tc.bpc, tc.et)
			if step != tc.wantStep || surv != tc.wantSurvive {
				t.Errorf("TermStep = (%d, %v), want (%d, %v)", step, surv, tc.wantStep, tc.wantSurvive)
			}
		})
	}
}

// randOperand draws a bits-bit two's-complement value, often an extreme one.
func randOperand(r *rand.Rand, bits int) int32 {
	lo, hi := -(int32(1) << (bits - 1)), (int32(1)<<(bits-1))-1
	switch r.IntN(6) {
	case 0:
		return lo
	case 1:
		return hi
	case 2:
		return 0
	}
	return lo + r.Int32N(hi-lo+1)
}

// TestBoundIsSafe: over random operands, extremes included, the bound never prunes a score at or
// above the threshold, and the decision always equals q.k >= T.
func TestBoundIsSafe(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for it := 0; it < 20000; it++ {
		bitsQ, bitsK := 2+r.IntN(15), 2+r.IntN(15)
		d := 1 + r.IntN(24)
		bpc := 1 + r.IntN(bitsK)
		q, k := make([]int32, d), make([]int32, d)
		for i := range q {
			q[i], k[i] = randOperand(r, bitsQ), randOperand(r, bitsK)
		}
		dot := Dot(q, k)
		T := dot + int64(r.IntN(41)-20)
		if r.IntN(4) == 0 {
			T = dot // exactly at the threshold: must survive
		}
		step, surv := TermStep(q, k, T, bitsK, bpc, true)
		if surv != (dot >= T) {
			t.Fatalf("q=%v k=%v T=%d bits=%d bpc=%d: survive=%v but q.k=%d", q, k, T, bitsK, bpc, surv, dot)
		}
		if dot >= T && step != Steps(bitsK, bpc) {
			t.Fatalf("q=%v k=%v T=%d: survivor terminated at step %d", q, k, T, step)
		}
	}
}

// TestPlaneKernelMatchesReference holds the fast kernel to TermStep on random heads.
func TestPlaneKernelMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for it := 0; it < 300; it++ {
		bitsQ, bitsK := 2+r.IntN(15), 2+r.IntN(15)
		d, m := 1+r.IntN(70), 1+r.IntN(12)
		bpc := 1 + r.IntN(bitsK)
		k := make([]int32, m*d)
		for i := range k {
			k[i] = randOperand(r, bitsK)
		}
		pk := NewPlaneKernel(k, m, d, bitsK, bpc)
		for row := 0; row < 4; row++ {
			q := make([]int32, d)
			for i := range q {
				q[i] = randOperand(r, bitsQ)
			}
			pk.SetQuery(q)
			for j := 0; j < m; j++ {
				kj := k[j*d : (j+1)*d]
				T := Dot(q, kj) + int64(r.IntN(2001)-1000)
				for _, et := range []bool{true, false} {
					ws, wv := TermStep(q, kj, T, bitsK, bpc, et)
					gs, gv := pk.Term(j, T, et)
					if ws != gs || wv != gv {
						t.Fatalf("d=%d bits=%d bpc=%d et=%v q=%v k=%v T=%d: kernel (%d,%v), reference (%d,%v)",
							d, bitsK, bpc, et, q, kj, T, gs, gv, ws, wv)
					}
				}
			}
		}
	}
}
