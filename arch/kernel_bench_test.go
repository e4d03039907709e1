package arch

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkPlaneKernel times the termination step of one query row against 512 keys of d 64,
// 12 bits, with the threshold near the 85th percentile of the row's scores.
func BenchmarkPlaneKernel(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const m, d, bits = 512, 64, 12
	k := make([]int32, m*d)
	for i := range k {
		k[i] = r.Int32N(4096) - 2048
	}
	q := make([]int32, d)
	for i := range q {
		q[i] = r.Int32N(4096) - 2048
	}
	pk := NewPlaneKernel(k, m, d, bits, 1)
	pk.SetQuery(q)
	T := int64(3_000_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < m; j++ {
			pk.Term(j, T, true)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*m), "ns/pair")
}
