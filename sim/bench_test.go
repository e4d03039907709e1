package sim

import (
	"os"
	"testing"

	"github.com/lrpsim/lrpsim/traces"
)

// BenchmarkEventEngine simulates the default config on the trace in $LRPSIM_BENCH_TRACE (the
// bench/ script generates a BERT-base-shaped one) or on a small synthetic head set.
func BenchmarkEventEngine(b *testing.B) {
	path := os.Getenv("LRPSIM_BENCH_TRACE")
	if path == "" {
		b.Skip("set LRPSIM_BENCH_TRACE to a trace file (bench/run.sh does)")
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
