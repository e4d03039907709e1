package timeline_test

import (
	"io"
	"testing"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/timeline"
	"github.com/lrpsim/lrpsim/traces/data"
)

// BenchmarkTimeline simulates bundled:minilm-long128 (the longest bundled run) without a
// timeline and with one written gzipped to nowhere; with -memprofile, or /usr/bin/time -v on
// `lrpsim run -t bundled:minilm-long128 --timeline t.json.gz`, it shows that recording does not
// hold the events.
func BenchmarkTimeline(b *testing.B) {
	cfg, err := sim.OpenConfig("", nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name     string
		timeline bool
	}{{"none", false}, {"gzip", true}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				r, err := data.Open("bundled:minilm-long128")
				if err != nil {
					b.Fatal(err)
				}
				var opts sim.Options
				rec := timeline.NewRecorder(timeline.Options{})
				if bc.timeline {
					opts.Observer = rec
				}
				res, err := sim.Run(cfg, r, sim.EngineEvent, opts)
				r.Close()
				if err != nil {
					b.Fatal(err)
				}
				if bc.timeline {
					if err := rec.WriteGzip(io.Discard, cfg.ClockGHz, res.Design.Cycles, nil); err != nil {
						b.Fatal(err)
					}
				}
				rec.Close()
			}
		})
	}
}
