package sim

import (
	"os"
	"testing"

	"github.com/lrpsim/lrpsim/traces"
)

// BenchmarkEventEngine simulates the default config on the trace in $LRPSIM_BENCH_TRACE; go run
// ./bench measures the whole program side by side with a plain Q.K^T.
func BenchmarkEventEngine(b *testing.B) {
	path := os.Getenv("LRPSIM_BENCH_TRACE")
	if path == "" {
		b.Skip("set LRPSIM_BENCH_TRACE to a trace file, e.g. one written by lrpsim trace gen")
	}
	r, err := traces.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	cfg, _ := DefaultConfig()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := Simulate(cfg, r, EngineEvent, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Pairs)/b.Elapsed().Seconds()*float64(i+1), "pairs/s")
	}
}
