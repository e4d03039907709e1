package ramcompare

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// Compared is the part of a comparison CSV row (WriteCSV) that the summary reads: a trace under
// a preset, lrpsim's DRAM-active time beside Ramulator's flood time, and Ramulator's unloaded
// mean latency.
type Compared struct {
	Trace, Preset string
	// Replayed is the number of requests Ramulator served.
	Replayed int
	// LrpsimBytes and RamulatorBytes are what each read.
	LrpsimBytes, RamulatorBytes int64
	// LrpsimNs is lrpsim's DRAM-active time, FloodNs Ramulator's time to serve every read.
	LrpsimNs, FloodNs float64
	// UnloadedLatNs is the mean read latency of Ramulator's unloaded replay (one read at a time).
	UnloadedLatNs float64
	// FloodLatNs is the mean read latency of Ramulator's flood replay, LrpsimLatNs lrpsim's mean
	// from a request's issue to its last data.
	FloodLatNs, LrpsimLatNs float64
}

// ReadComparison reads the rows of a comparison CSV (WriteCSV) in their order.
func ReadComparison(r io.Reader) ([]Compared, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || !slices.Equal(rows[0], csvHeader) {
		return nil, fmt.Errorf("comparison CSV: want the header %v", csvHeader)
	}
	col := func(name string) int { return slices.Index(csvHeader, name) }
	var out []Compared
	for i, row := range rows[1:] {
		var num [8]float64
		for j, name := range []string{"ramulator_requests", "lrpsim_bytes", "ramulator_bytes",
			"lrpsim_active_ns", "ramulator_flood_ns", "unloaded_lat_mean_ns", "flood_lat_mean_ns", "lrpsim_lat_mean_ns"} {
			if num[j], err = strconv.ParseFloat(row[col(name)], 64); err != nil {
				return nil, fmt.Errorf("comparison CSV row %d: %s: %w", i+2, name, err)
			}
		}
		out = append(out, Compared{Trace: row[0], Preset: row[1], Replayed: int(num[0]),
			LrpsimBytes: int64(num[1]), RamulatorBytes: int64(num[2]), LrpsimNs: num[3], FloodNs: num[4],
			UnloadedLatNs: num[5], FloodLatNs: num[6], LrpsimLatNs: num[7]})
	}
	return out, nil
}

// OfPreset returns the rows of the named preset, in their order.
func OfPreset(rows []Compared, preset string) []Compared {
	var out []Compared
	for _, r := range rows {
		if r.Preset == preset {
			out = append(out, r)
		}
	}
	return out
}

// Within10 says whether lrpsim's time lies within 10% of Ramulator's, the boundary included:
// |lrpsim - ramulator| <= ramulator / 10, compared as 10 |lrpsim - ramulator| <= ramulator so
// that 1.1 and 0.9 times are within.
func Within10(lrpsimNs, ramulatorNs float64) bool {
	return 10*math.Abs(lrpsimNs-ramulatorNs) <= ramulatorNs
}

// Miss is a trace whose lrpsim time lies more than 10% off Ramulator's.
type Miss struct {
	Trace string
	// Ratio is lrpsim's time over Ramulator's.
	Ratio float64
}

// Fit is how lrpsim's times over a suite meet Ramulator's.
type Fit struct {
	// Within of Total traces lie within 10% (Within10); Misses are the rest, in suite order.
	Within, Total int
	Misses        []Miss
	// MinRatio and MaxRatio bound lrpsim's time over Ramulator's.
	MinRatio, MaxRatio float64
	// Worst is the largest |log ratio|: how far the farthest trace lies, either way.
	Worst float64
}

// FitOf compares lrpsimNs[i], lrpsim's DRAM-active time on rows[i]'s trace, with Ramulator's
// flood time of that row.
func FitOf(rows []Compared, lrpsimNs []float64) Fit {
	f := Fit{Total: len(rows), MinRatio: math.Inf(1), MaxRatio: math.Inf(-1)}
	for i, r := range rows {
		ratio := lrpsimNs[i] / r.FloodNs
		f.MinRatio, f.MaxRatio = min(f.MinRatio, ratio), max(f.MaxRatio, ratio)
		f.Worst = max(f.Worst, math.Abs(math.Log(ratio)))
		if Within10(lrpsimNs[i], r.FloodNs) {
			f.Within++
		} else {
			f.Misses = append(f.Misses, Miss{Trace: r.Trace, Ratio: ratio})
		}
	}
	return f
}

// Today is each row's lrpsim time as the comparison recorded it.
func Today(rows []Compared) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = r.LrpsimNs
	}
	return out
}

// Memory is a preset's lrpsim memory system: what the calibration reads of its config.
type Memory struct {
	ClockGHz float64
	// Channels, BurstBytes and BytesPerCycle (per channel) shape the pipelined model; Latency
	// (cycles) and MaxRequests (per channel) are the constants the calibration derives.
	Channels, BurstBytes, BytesPerCycle, Latency, MaxRequests int
}

// TransferCycles is the cycles a burst occupies a channel's data bus (arch/pipelined.go).
func (m Memory) TransferCycles() int {
	return (m.BurstBytes + m.BytesPerCycle - 1) / m.BytesPerCycle
}

// Calibration is what a preset's comparison says lrpsim's latency and requests in flight should
// be: the latency L0 of Ramulator's unloaded replay, and as many requests in flight per channel
// as Ramulator's sustained burst rate needs at that latency.
type Calibration struct {
	// Long are the long traces: those with at least a quarter of the largest trace's requests.
	Long []string
	// LrpsimGBs and RamulatorGBs are the bytes over the time summed over the long traces.
	LrpsimGBs, RamulatorGBs float64
	// BurstsPerNs is Ramulator's sustained rate X per channel: RamulatorGBs over the burst and
	// the channels.
	BurstsPerNs float64
	// L0ns is the median over the suite of Ramulator's unloaded mean read latency; Latency is
	// it in lrpsim's cycles, rounded to the nearest.
	L0ns    float64
	Latency int
	// TransferCycles is t, a burst's cycles on a channel's data bus.
	TransferCycles int
	// InFlight is N = ceil(X x (Latency + t)), X in bursts a cycle a channel: a channel with N
	// requests of Latency + t cycles each in flight sustains at most N / (Latency + t) bursts
	// a cycle.
	InFlight int
}

// Calibrate derives a preset's calibration from its rows (OfPreset) and lrpsim's memory system.
func Calibrate(rows []Compared, m Memory) Calibration {
	var c Calibration
	most := 0
	for _, r := range rows {
		most = max(most, r.Replayed)
	}
	var lb, rb int64
	var lns, rns float64
	for _, r := range rows {
		if 4*r.Replayed >= most {
			c.Long = append(c.Long, r.Trace)
			lb, rb, lns, rns = lb+r.LrpsimBytes, rb+r.RamulatorBytes, lns+r.LrpsimNs, rns+r.FloodNs
		}
	}
	if lns > 0 && rns > 0 {
		c.LrpsimGBs, c.RamulatorGBs = float64(lb)/lns, float64(rb)/rns
	}
	c.BurstsPerNs = c.RamulatorGBs / float64(m.BurstBytes) / float64(m.Channels)
	lat := make([]float64, len(rows))
	for i, r := range rows {
		lat[i] = r.UnloadedLatNs
	}
	c.L0ns = median(lat)
	c.Latency = int(math.Round(c.L0ns * m.ClockGHz))
	c.TransferCycles = m.TransferCycles()
	c.InFlight = InFlight(c.BurstsPerNs/m.ClockGHz, c.Latency, c.TransferCycles)
	return c
}

// InFlight is the requests in flight a channel needs to sustain perCycle bursts a cycle when each
// takes latency + transfer cycles: ceil(perCycle x (latency + transfer)), at least 1. A product
// within 1e-9 of a whole number is that number (0.5 x 14 is 7, not 8 from a rounding error).
func InFlight(perCycle float64, latency, transfer int) int {
	return max(1, int(math.Ceil(perCycle*float64(latency+transfer)-1e-9)))
}

// median is the middle of v (the mean of the two middle values of an even count); 0 if empty.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
