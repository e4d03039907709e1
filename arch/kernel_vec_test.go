package arch

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// cpuinfoHasAVX2 reads the CPU flags from /proc/cpuinfo, independently of golang.org/x/sys/cpu:
// ok is false where there is no such file.
func cpuinfoHasAVX2(t *testing.T) (has, ok bool) {
	t.Helper()
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "flags") {
			return slices.Contains(strings.Fields(line), "avx2"), true
		}
	}
	return false, false
}

// expectVector reports whether kernels built here must take the vector path: the build has the
// assembly and the CPU says it has AVX2.
func expectVector(t *testing.T) bool {
	t.Helper()
	has, ok := cpuinfoHasAVX2(t)
	return haveAsm && ok && has
}

// TestVectorPathIsTaken fails when a machine with AVX2 silently runs the Go path.
func TestVectorPathIsTaken(t *testing.T) {
	if !expectVector(t) {
		t.Skip("no AVX2 in /proc/cpuinfo, or built with -tags purego: only the Go path exists here")
	}
	const m, d, bits = 20, 64, 12
	r := rand.New(rand.NewPCG(9, 9))
	k, q := make([]int32, m*d), make([]int32, d)
	for i := range k {
		k[i] = randOperand(r, bits)
	}
	for i := range q {
		q[i] = randOperand(r, bits)
	}
	pk := NewPlaneKernel(k, m, d, bits, 1)
	pk.SetQuery(q)
	if !pk.vectorRow() {
		t.Fatal("the CPU has AVX2 but TermRow takes the Go path for a 12-bit head of d 64")
	}
	pk.portable()
	pk.SetQuery(q)
	if pk.vectorRow() {
		t.Fatal("portable() left the vector path on")
	}
}

// extremeRow fills x (bits-bit operands) in one of several patterns: random with the extremes
// mixed in, all -2^(b-1), all 2^(b-1)-1, alternating extremes, only 0 and -1.
func extremeRow(r *rand.Rand, x []int32, bits, pattern int) {
	lo, hi := -(int32(1) << (bits - 1)), (int32(1)<<(bits-1))-1
	for i := range x {
		switch pattern {
		case 0:
			x[i] = randOperand(r, bits)
		case 1:
			x[i] = lo
		case 2:
			x[i] = hi
		case 3:
			x[i] = []int32{lo, hi}[i%2]
		default:
			x[i] = -int32(r.IntN(2))
		}
	}
}

// rowThresholds are the thresholds a row is tried at: some keys' scores and their neighbours, a
// few values between the scores, 0 and the extremes of int64.
func rowThresholds(r *rand.Rand, q, k []int32, m, d int) []int64 {
	ts := []int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, math.MaxInt64 - 1, math.MaxInt64}
	var lo, hi int64 = math.MaxInt64, math.MinInt64
	for j := 0; j < m; j++ {
		s := Dot(q, k[j*d:(j+1)*d])
		if j < 2 || r.IntN(m) < 3 { // the first keys' scores and about three more
			ts = append(ts, s-1, s, s+1)
		}
		lo, hi = min(lo, s), max(hi, s)
	}
	for range 4 {
		ts = append(ts, lo+r.Int64N(hi-lo+1))
	}
	return ts
}

// TestTermRowPathsAgree holds TermRow to TermStep pair by pair, on every path there is: the
// default one (the assembly on an AVX2 machine), the portable Go one and the Go model of the
// assembly, for key and query widths 2..16, every planes-per-step count up to bitsK+1, d in
// {1, 3, 8, 17, 64, 65, 128}, both early-termination settings, operands at the extremes of two's
// complement and thresholds at and around every score and at the extremes of int64.
func TestTermRowPathsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 2))
	const m = 19 // two full groups of 8 keys and a partial one
	vectorRows, rows := 0, 0
	bitsQ := 2
	for bitsK := 2; bitsK <= 16; bitsK++ {
		for bpc := 1; bpc <= bitsK+1; bpc++ {
			for _, d := range []int{1, 3, 8, 17, 64, 65, 128} {
				bitsQ = bitsQ%15 + 2 // cycles through 2..16 across the cases
				k := make([]int32, m*d)
				for j := 0; j < m; j++ {
					extremeRow(r, k[j*d:(j+1)*d], bitsK, j%5)
				}
				def := NewPlaneKernel(k, m, d, bitsK, bpc)
				goPath := NewPlaneKernel(k, m, d, bitsK, bpc)
				goPath.portable()
				model := NewPlaneKernel(k, m, d, bitsK, bpc)
				model.vec = newVecKernel(k, m, d, bitsK, model.lo)
				if model.vec == nil {
					t.Fatalf("bitsK=%d d=%d: no vector layout", bitsK, d)
				}
				model.vec.emulate = true
				q := make([]int32, d)
				for pattern := range 5 {
					extremeRow(r, q, bitsQ, pattern)
					def.SetQuery(q)
					goPath.SetQuery(q)
					model.SetQuery(q)
					rows++
					if def.vectorRow() {
						vectorRows++
					}
					if expectVector(t) && def.vectorRow() != model.vectorRow() {
						t.Fatalf("bitsK=%d bitsQ=%d d=%d: default path vector=%v, model says %v",
							bitsK, bitsQ, d, def.vectorRow(), model.vectorRow())
					}
					for _, T := range rowThresholds(r, q, k, m, d) {
						for _, et := range []bool{true, false} {
							checkRow(t, k, q, m, d, bitsK, bpc, T, et, def, goPath, model)
						}
					}
				}
			}
		}
	}
	t.Logf("%d of %d rows took the default kernel's vector path", vectorRows, rows)
	if expectVector(t) && vectorRows < rows/2 {
		t.Fatalf("only %d of %d rows took the vector path on an AVX2 machine", vectorRows, rows)
	}
}

// checkRow compares the three kernels' TermRow with TermStep for every key and for a prefix of
// the keys (TermRow decides len(dec) keys).
func checkRow(t *testing.T, k, q []int32, m, d, bitsK, bpc int, T int64, et bool, kernels ...*PlaneKernel) {
	t.Helper()
	want := make([]uint8, m)
	for j := range want {
		step, surv := TermStep(q, k[j*d:(j+1)*d], T, bitsK, bpc, et)
		want[j] = uint8(step)
		if surv {
			want[j] |= SurviveBit
		}
	}
	names := []string{"default", "go", "model"}
	for _, n := range []int{m, m/2 + 1} {
		for i, pk := range kernels {
			got := make([]uint8, n)
			pk.TermRow(T, et, got)
			for j := range got {
				if got[j] != want[j] {
					t.Fatalf("%s path (vector=%v), bitsK=%d bpc=%d d=%d et=%v T=%d key %d of %d: got step %d survive %v, TermStep %d %v\nq=%v\nk=%v",
						names[i], pk.vectorRow(), bitsK, bpc, d, et, T, j, n, got[j]&^SurviveBit, got[j]&SurviveBit != 0,
						want[j]&^SurviveBit, want[j]&SurviveBit != 0, q, k[j*d:(j+1)*d])
				}
			}
		}
	}
}

// TestTermRowInt32Edge puts a row exactly at the edge the vector path allows (sum |q_i| * max |k|
// = 2^31 - 2^15) and one past it (2^31): the first must take the vector path on an AVX2 machine,
// the second must not, and both must equal TermStep.
func TestTermRowInt32Edge(t *testing.T) {
	const m, d, bitsK = 8, 3, 16
	k := make([]int32, m*d)
	for i := range k {
		k[i] = -32768
	}
	k[5] = 32767
	for _, c := range []struct {
		q      []int32
		vector bool
	}{
		{[]int32{32767, 32767, 1}, true},
		{[]int32{32767, -32767, -1}, true},
		{[]int32{32767, 32767, 2}, false},
		{[]int32{-32768, 32767, 1}, false},
	} {
		for bpc := 1; bpc <= bitsK; bpc++ {
			pk := NewPlaneKernel(k, m, d, bitsK, bpc)
			pk.SetQuery(c.q)
			if want := c.vector && expectVector(t); pk.vectorRow() != want {
				t.Fatalf("q=%v: vector path %v, want %v", c.q, pk.vectorRow(), want)
			}
			goPath := NewPlaneKernel(k, m, d, bitsK, bpc)
			goPath.portable()
			goPath.SetQuery(c.q)
			for _, T := range rowThresholds(rand.New(rand.NewPCG(1, uint64(bpc))), c.q, k, m, d) {
				for _, et := range []bool{true, false} {
					checkRow(t, k, c.q, m, d, bitsK, bpc, T, et, pk, goPath, goPath)
				}
			}
		}
	}
}

// TestStepThreshold checks D <= stepThreshold(T, bound, lo) against 2^lo * D + bound < T
// directly, near the clamps included.
func TestStepThreshold(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	Ds := []int64{-math.MaxInt32, -1, 0, 1, math.MaxInt32}
	for range 200 {
		Ds = append(Ds, r.Int64N(math.MaxInt32*2+1)-math.MaxInt32)
	}
	for range 20000 {
		lo := uint(r.IntN(16))
		bound := ((int64(1) << lo) - 1) * r.Int64N(1<<32)
		D := Ds[r.IntN(len(Ds))]
		var T int64
		switch r.IntN(4) {
		case 0:
			T = []int64{math.MinInt64, math.MinInt64 + 1, math.MaxInt64}[r.IntN(3)]
		case 1:
			T = D<<lo + bound + int64(r.IntN(3)-1)
		default:
			T = D<<lo + bound + r.Int64N(1<<40) - 1<<39
		}
		if got, want := int64(D) <= int64(stepThreshold(T, bound, lo)), D<<lo+bound < T; got != want {
			t.Fatalf("D=%d lo=%d bound=%d T=%d: D <= thr is %v, the bound test %v", D, lo, bound, T, got, want)
		}
	}
}

// TestTransposePathsAgree compares the transposes NewPlaneKernel uses here (the assembly on an
// AVX2 machine) with transposeGo and transposeGo64, byte by byte and word by word, on keys with
// the extremes of two's complement; the vector transposes get buffers full of garbage, since
// they must write every byte.
func TestTransposePathsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, bitsK := range []int{1, 2, 3, 7, 8, 9, 12, 15, 16, 31, 32} {
		for _, d := range []int{1, 3, 8, 17, 64, 65, 128} {
			m := 1 + r.IntN(20)
			k := make([]int32, m*d)
			for j := 0; j < m; j++ {
				extremeRow(r, k[j*d:(j+1)*d], min(max(bitsK, 2), 30), j%5)
			}
			if bitsK > 30 {
				for i := range k {
					k[i] = []int32{math.MinInt32, math.MaxInt32, -1, int32(r.Uint32())}[r.IntN(4)]
				}
			}
			n := m * bitsK * ((d + 7) / 8)
			want := make([]uint8, n)
			transposeGo(k, want, m, d, bitsK)
			got := make([]uint8, n)
			for i := range got {
				got[i] = 0xa5
			}
			if !haveAsm || !useVector() {
				clear(got) // the Go transpose ORs into a zeroed buffer
			}
			transposeVector(k, got, m, d, bitsK)
			if !slices.Equal(got, want) {
				t.Fatalf("bitsK=%d d=%d m=%d: the planes differ\n got %v\nwant %v", bitsK, d, m, got, want)
			}
			if d > 64 {
				continue
			}
			want64, got64 := make([]uint64, m*bitsK), make([]uint64, m*bitsK)
			transposeGo64(k, want64, m, d, bitsK)
			for i := range got64 {
				got64[i] = 0xa5a5a5a5a5a5a5a5
			}
			if !haveAsm || !useVector() {
				clear(got64)
			}
			transposeVector64(k, got64, m, d, bitsK)
			for i, w := range want64 {
				var fromBytes uint64 // the same plane from transposeGo's bytes
				for g := 0; g < (d+7)/8; g++ {
					fromBytes |= uint64(want[i*((d+7)/8)+g]) << (8 * g)
				}
				if got64[i] != w || w != fromBytes {
					t.Fatalf("bitsK=%d d=%d m=%d word %d: vector %#x, transposeGo64 %#x, transposeGo %#x",
						bitsK, d, m, i, got64[i], w, fromBytes)
				}
			}
		}
	}
}
