package arch

import (
	"math/rand/v2"
	"testing"
)

// benchHead is the benchmarks' head: one query row and 512 keys of d 64, 12 bits, with the
// threshold near the 85th percentile of the row's scores.
func benchHead() (k, q []int32, m, d, bits int, T int64) {
	r := rand.New(rand.NewPCG(1, 2))
	m, d, bits = 512, 64, 12
	k = make([]int32, m*d)
	for i := range k {
		k[i] = r.Int32N(4096) - 2048
	}
	q = make([]int32, d)
	for i := range q {
		q[i] = r.Int32N(4096) - 2048
	}
	return k, q, m, d, bits, 3_000_000
}

// BenchmarkPlaneKernel times the termination step of one query row against the keys of
// benchHead, key by key with Term.
func BenchmarkPlaneKernel(b *testing.B) {
	k, q, m, d, bits, T := benchHead()
	pk := NewPlaneKernel(k, m, d, bits, 1)
	pk.SetQuery(q)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < m; j++ {
			pk.Term(j, T, true)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*m), "ns/pair")
}

// BenchmarkTermRow times a row as the engine decides it, SetQuery then TermRow, on benchHead, on
// the Go path and on the vector path (where this machine and build have one), at 1 and 4 planes
// per step, with early termination on and off.
func BenchmarkTermRow(b *testing.B) {
	k, q, m, d, bits, T := benchHead()
	for _, path := range []string{"go", "avx2"} {
		for _, bpc := range []int{1, 4} {
			for _, et := range []bool{true, false} {
				name := path + "/bpc=" + string(rune('0'+bpc)) + map[bool]string{true: "/et", false: "/dense"}[et]
				b.Run(name, func(b *testing.B) {
					pk := NewPlaneKernel(k, m, d, bits, bpc)
					if path == "go" {
						pk.portable()
					}
					pk.SetQuery(q)
					if path == "avx2" && !pk.vectorRow() {
						b.Skip("no vector path here (no AVX2, or -tags purego)")
					}
					dec := make([]uint8, m)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						pk.SetQuery(q)
						pk.TermRow(T, et, dec)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*m), "ns/pair")
				})
			}
		}
	}
}

// BenchmarkTranspose times the bit-plane transpose of benchHead's keys (d 64: one word a plane),
// on the Go path and on the vector path (where this machine and build have one), per key, and
// NewPlaneKernel as a whole (the transpose, and on the vector path the interleaved copy of K).
func BenchmarkTranspose(b *testing.B) {
	k, _, m, d, bits, _ := benchHead()
	planes := make([]uint64, m*bits)
	for _, path := range []string{"go", "avx2"} {
		b.Run(path, func(b *testing.B) {
			if path == "avx2" && !(haveAsm && useVector()) {
				b.Skip("no vector path here (no AVX2, or -tags purego)")
			}
			for i := 0; i < b.N; i++ {
				if path == "go" {
					clear(planes) // transposeGo64 ORs into zeroed words; transposeVector64 clears
					transposeGo64(k, planes, m, d, bits)
				} else {
					transposeVector64(k, planes, m, d, bits)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*m), "ns/key")
		})
	}
	b.Run("NewPlaneKernel", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			NewPlaneKernel(k, m, d, bits, 1)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*m), "ns/key")
	})
}
