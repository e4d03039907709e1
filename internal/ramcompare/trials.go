package ramcompare

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/dramtrace"
	"github.com/lrpsim/lrpsim/traces/data"
)

// Pair is a candidate pair of lrpsim's memory constants: memory.dram_latency (cycles) and
// memory.max_requests (per channel).
type Pair struct {
	Latency, MaxRequests int
}

// Sets are the pair as `--set` assignments.
func (p Pair) Sets() []string {
	return []string{fmt.Sprintf("memory.dram_latency=%d", p.Latency), fmt.Sprintf("memory.max_requests=%d", p.MaxRequests)}
}

// GridLatencies are the latencies (cycles) tried besides L0 and today's.
var GridLatencies = []int{20, 30, 40}

// Grid is the pairs tried for a preset: every latency of L0, GridLatencies and today's with every
// in-flight count of N, 2N and today's, each pair once, sorted by latency then in-flight.
func Grid(today Pair, c Calibration) []Pair {
	var out []Pair
	for _, l := range append([]int{c.Latency, today.Latency}, GridLatencies...) {
		for _, n := range []int{c.InFlight, 2 * c.InFlight, today.MaxRequests} {
			out = append(out, Pair{Latency: l, MaxRequests: n})
		}
	}
	slices.SortFunc(out, func(a, b Pair) int {
		if a.Latency != b.Latency {
			return a.Latency - b.Latency
		}
		return a.MaxRequests - b.MaxRequests
	})
	return slices.Compact(out)
}

// Trial is a pair run over a preset's suite, set against the same Ramulator times.
type Trial struct {
	Pair Pair
	// Ns is lrpsim's DRAM-active time per trace, in the rows' order.
	Ns  []float64
	Fit Fit
}

// Best is the trial with the most traces within 10%; among those, the one whose farthest trace
// lies nearest (Fit.Worst); then the first.
func Best(trials []Trial) Trial {
	best := trials[0]
	for _, t := range trials[1:] {
		if t.Fit.Within > best.Fit.Within || t.Fit.Within == best.Fit.Within && t.Fit.Worst < best.Fit.Worst {
			best = t
		}
	}
	return best
}

// ActiveNs runs lrpsim in-process as `lrpsim run -c config --set ... -t bundled:trace
// --no-baselines` and returns its DRAM-active time in ns, read from its CSV DRAM trace as the
// comparison reads it (ReadLrpsimCSV).
func ActiveNs(config string, sets []string, trace string) (float64, error) {
	ns, _, err := runDRAM(config, sets, trace)
	return ns, err
}

// runDRAM is ActiveNs, with the DRAM requests of the run as the comparison reads them.
func runDRAM(config string, sets []string, trace string) (float64, Lrpsim, error) {
	cfg, err := sim.OpenConfig(config, sets)
	if err != nil {
		return 0, Lrpsim{}, err
	}
	cfg.Baselines = nil
	r, err := data.Open(data.BundledPrefix + trace)
	if err != nil {
		return 0, Lrpsim{}, err
	}
	defer r.Close()
	rec := dramtrace.NewRecorder()
	if _, err := sim.Run(cfg, r, "event", sim.Options{Observer: rec}); err != nil {
		return 0, Lrpsim{}, fmt.Errorf("%s: %w", trace, err)
	}
	var b bytes.Buffer
	if err := rec.Write(&b, "csv"); err != nil {
		return 0, Lrpsim{}, err
	}
	l, err := ReadLrpsimCSV(&b)
	if err != nil {
		return 0, Lrpsim{}, fmt.Errorf("%s: %w", trace, err)
	}
	return float64(l.ActiveCycles) / cfg.ClockGHz, l, nil
}

// RunTrials runs every pair over the traces of rows (one preset's, OfPreset) under config and
// fits each to the rows' Ramulator times, in the pairs' order; the runs share the CPUs.
func RunTrials(config string, rows []Compared, pairs []Pair) ([]Trial, error) {
	ns := make([][]float64, len(pairs))
	for i := range ns {
		ns[i] = make([]float64, len(rows))
	}
	err := parallel(len(pairs)*len(rows), func(i int) (err error) {
		p, r := i/len(rows), i%len(rows)
		ns[p][r], err = ActiveNs(config, pairs[p].Sets(), rows[r].Trace)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]Trial, len(pairs))
	for i, p := range pairs {
		out[i] = Trial{Pair: p, Ns: ns[i], Fit: FitOf(rows, ns[i])}
	}
	return out, nil
}

// FitConfig runs config as it is (another memory model's preset: configs/hbm2-banked.yaml) over
// the traces of rows and fits its times to the rows' Ramulator times. Each run must issue the
// requests Ramulator replayed, as many and as many bytes: otherwise the times are not of the
// same work.
func FitConfig(config string, rows []Compared) (Fit, error) {
	ns := make([]float64, len(rows))
	err := parallel(len(rows), func(i int) error {
		v, l, err := runDRAM(config, nil, rows[i].Trace)
		if err == nil && (l.Requests != rows[i].Replayed || l.Bytes != rows[i].RamulatorBytes) {
			err = fmt.Errorf("%s under %s: %d requests of %d bytes in all, Ramulator replayed %d of %d",
				rows[i].Trace, config, l.Requests, l.Bytes, rows[i].Replayed, rows[i].RamulatorBytes)
		}
		ns[i] = v
		return err
	})
	if err != nil {
		return Fit{}, err
	}
	return FitOf(rows, ns), nil
}

// parallel calls do(0) ... do(n-1) on as many goroutines as CPUs and returns the first error of
// each goroutine whose calls failed, joined (nil if none failed).
func parallel(n int, do func(i int) error) error {
	jobs := make(chan int)
	errs := make([]error, runtime.NumCPU())
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := do(i); err != nil && errs[w] == nil {
					errs[w] = err
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}
