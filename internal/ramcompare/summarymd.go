package ramcompare

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/lrpsim/lrpsim/sim"
)

// PresetSummary is one preset's part of summary.md: today's fit, the calibration derived from
// the comparison, and the pairs tried.
type PresetSummary struct {
	Preset, Config string
	Memory         Memory
	// Today is the config's pair; Fit today's lrpsim times (the comparison's) against Ramulator's.
	Today  Pair
	Fit    Fit
	Cal    Calibration
	Trials []Trial
	// Rows are the preset's rows of the comparison, for the reasons of today's misses (Why).
	Rows []Compared
	// BankedConfig is the preset's twin under the banked memory model (same bursts, so the same
	// requests), Banked its times (FitConfig) against the same Ramulator times; no line when empty.
	BankedConfig string
	Banked       Fit
}

// Summarize makes a preset's summary from its rows of the comparison (OfPreset) and its lrpsim
// config, running the grid's pairs (Grid) over the rows' traces. Today's pair must give the
// comparison's lrpsim times again: otherwise the comparison is not from today's lrpsim.
func Summarize(preset, config string, rows []Compared) (PresetSummary, error) {
	cfg, err := sim.OpenConfig(config, nil)
	if err != nil {
		return PresetSummary{}, err
	}
	mem := cfg.Memory
	s := PresetSummary{Preset: preset, Config: config,
		Memory: Memory{ClockGHz: cfg.ClockGHz, Channels: mem.Channels, BurstBytes: mem.BurstBytes,
			BytesPerCycle: mem.DRAMBytesPerCycle, Latency: mem.DRAMLatency, MaxRequests: mem.MaxRequests},
		Today: Pair{Latency: mem.DRAMLatency, MaxRequests: mem.MaxRequests}, Rows: rows}
	if len(rows) == 0 {
		return PresetSummary{}, fmt.Errorf("the comparison has no row of preset %s", preset)
	}
	s.Fit = FitOf(rows, Today(rows))
	s.Cal = Calibrate(rows, s.Memory)
	if s.Trials, err = RunTrials(config, rows, Grid(s.Today, s.Cal)); err != nil {
		return PresetSummary{}, err
	}
	for _, t := range s.Trials {
		if t.Pair == s.Today && !sameNs(t.Ns, Today(rows)) {
			return PresetSummary{}, fmt.Errorf("%s: today's lrpsim (%s) does not give the comparison's lrpsim times: "+
				"regenerate the comparison (results/ramulator/regen.sh RAMULATOR2_CHECKOUT)", preset, config)
		}
	}
	return s, nil
}

// sameNs says whether a and b agree to the comparison CSV's three decimals.
func sameNs(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Abs(x-y) < 0.0005 })
}

// WriteSummary writes summary.md: per preset, today's fit to Ramulator, the sustained bandwidth
// and unloaded latency the calibration starts from, the derived pair, and the trials.
func WriteSummary(w io.Writer, sums []PresetSummary) error {
	var b strings.Builder
	b.WriteString("# results/ramulator: lrpsim against Ramulator 2, summarized\n\n" +
		"Generated from `comparison.csv` and in-process lrpsim runs (`regen.sh`; README.md says how to read it). " +
		"A trace is within 10% when |lrpsim - Ramulator| <= Ramulator / 10, lrpsim's DRAM-active time " +
		"against Ramulator's flood time.\n")
	for _, s := range sums {
		writePreset(&b, s)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writePreset writes a preset's section of summary.md.
func writePreset(b *strings.Builder, s PresetSummary) {
	c, m := s.Cal, s.Memory
	fmt.Fprintf(b, "\n## %s (`%s`: latency %d cycles, %d requests in flight per channel)\n\n", s.Preset, s.Config,
		s.Today.Latency, s.Today.MaxRequests)
	fmt.Fprintf(b, "- Within 10%% of Ramulator: **%d of %d** traces; lrpsim / Ramulator %.2f-%.2f.\n",
		s.Fit.Within, s.Fit.Total, s.Fit.MinRatio, s.Fit.MaxRatio)
	fmt.Fprintf(b, "- Misses (lrpsim / Ramulator): %s.\n", misses(s.Fit.Misses))
	writeWhy(b, s)
	if s.BankedConfig != "" {
		fmt.Fprintf(b, "- Banked model (`%s`: each burst to the channel, bank and row of its address, with "+
			"row hits, misses and conflicts): **%d of %d** within 10%% (%.2f-%.2f); misses: %s.\n", s.BankedConfig,
			s.Banked.Within, s.Banked.Total, s.Banked.MinRatio, s.Banked.MaxRatio, misses(s.Banked.Misses))
	}
	fmt.Fprintf(b, "- Sustained bandwidth over the long traces (at least a quarter of the largest trace's requests: %s): "+
		"lrpsim %.1f GB/s, Ramulator %.1f GB/s, so X = %.3f bursts of %d B a ns a channel (%d channels).\n",
		strings.Join(c.Long, ", "), c.LrpsimGBs, c.RamulatorGBs, c.BurstsPerNs, m.BurstBytes, m.Channels)
	fmt.Fprintf(b, "- Unloaded latency L0 (the median over the suite of Ramulator's unloaded mean read latency): "+
		"%.2f ns, %d cycles at %g GHz.\n", c.L0ns, c.Latency, m.ClockGHz)
	fmt.Fprintf(b, "- Derived: latency %d, N = ceil(X x (L0 + t)) = ceil(%.3f x (%d + %d)) = **%d** requests in flight "+
		"per channel (X per cycle; t = ceil(%d / %d), a burst's cycles on the data bus).\n",
		c.Latency, c.BurstsPerNs/m.ClockGHz, c.Latency, c.TransferCycles, c.InFlight, m.BurstBytes, m.BytesPerCycle)
	best := Best(s.Trials)
	fmt.Fprintf(b, "- Best of the grid: **latency %d, %d in flight: %d of %d** within 10%% (%.2f-%.2f); misses: %s.\n\n",
		best.Pair.Latency, best.Pair.MaxRequests, best.Fit.Within, best.Fit.Total, best.Fit.MinRatio,
		best.Fit.MaxRatio, misses(best.Fit.Misses))
	b.WriteString("| latency | in flight | pair | within 10% | lrpsim / Ramulator |\n|---:|---:|---|---:|---|\n")
	derived := Pair{Latency: c.Latency, MaxRequests: c.InFlight}
	for _, t := range s.Trials {
		var what []string
		if t.Pair == s.Today {
			what = append(what, "today")
		}
		if t.Pair == derived {
			what = append(what, "L0 and X")
		}
		if t.Pair == best.Pair {
			what = append(what, "best")
		}
		fmt.Fprintf(b, "| %d | %d | %s | %d of %d | %.2f-%.2f |\n", t.Pair.Latency, t.Pair.MaxRequests,
			strings.Join(what, ", "), t.Fit.Within, t.Fit.Total, t.Fit.MinRatio, t.Fit.MaxRatio)
	}
}

// writeWhy gives, under the misses line, each of today's misses with the reason its
// measurements give (Why); nothing when there is no miss.
func writeWhy(b *strings.Builder, s PresetSummary) {
	for _, m := range s.Fit.Misses {
		i := slices.IndexFunc(s.Rows, func(r Compared) bool { return r.Trace == m.Trace })
		if i < 0 {
			continue
		}
		fmt.Fprintf(b, "  - %s (%.3f): %s.\n", m.Trace, m.Ratio, Why(s.Rows[i], s.Memory, s.Today))
	}
}

// misses names the traces off by more than 10%, each with its ratio to three places (a miss
// can round to 1.10), or says there is none.
func misses(ms []Miss) string {
	if len(ms) == 0 {
		return "none"
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = fmt.Sprintf("%s %.3f", m.Trace, m.Ratio)
	}
	return strings.Join(parts, ", ")
}
