package ramcompare

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Run is one trace under one preset: lrpsim's requests and Ramulator's two replays of them,
// one with every request offered at once (the flood: Ramulator's controllers queue up to 32
// reads per channel, as many as lrpsim's max_requests per channel) and one with a single read
// in flight (unloaded: the latency without queueing, row hits and misses only).
type Run struct {
	Trace  string
	Preset Preset
	// DRAMTraceSHA256 and DRAMCSVSHA256 are the fingerprints (Fingerprint) of lrpsim's
	// `--dram-trace` in its two formats, ramulator2 and csv, that the replay and the lrpsim
	// side were made from.
	DRAMTraceSHA256, DRAMCSVSHA256 string
	// Replayed is the number of requests Ramulator was given (Expand).
	Replayed int
	// ClockGHz is lrpsim's clock.
	ClockGHz        float64
	Lrpsim          Lrpsim
	Flood, Unloaded Ramulator
}

// Dist is a latency distribution in ns.
type Dist struct {
	Mean, P50, P90, Max float64
}

// distOf is the distribution of latencies of cycles of period ns.
func distOf(lat []int64, ns float64) Dist {
	if len(lat) == 0 {
		return Dist{}
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	var sum int64
	for _, v := range s {
		sum += v
	}
	// nearest rank: the smallest value with at least p of the reads at or below it
	rank := func(p float64) float64 {
		i := int(p*float64(len(s))+0.999999999) - 1
		return float64(s[max(i, 0)]) * ns
	}
	return Dist{Mean: float64(sum) / float64(len(s)) * ns, P50: rank(0.5), P90: rank(0.9), Max: float64(s[len(s)-1]) * ns}
}

// Row is a run's line of the comparison.
type Row struct {
	Trace, Preset, DRAMTraceSHA256, DRAMCSVSHA256 string
	LrpsimRequests, Replayed                      int
	ServedFlood, ServedUnloaded                   int64
	LrpsimBytes, RamulatorBytes                   int64
	// Active times in ns: lrpsim's DRAM-active time and Ramulator's time to serve every read.
	LrpsimNs, FloodNs, UnloadedNs float64
	// Ratio is LrpsimNs over FloodNs.
	Ratio float64
	// Bandwidth in GB/s (bytes per ns).
	LrpsimGBs, FloodGBs              float64
	LrpsimLat, FloodLat, UnloadedLat Dist
	// Per-channel mean latencies in ns, "channel:ns" separated by spaces.
	LrpsimChannels, FloodChannels, UnloadedChannels string
}

// channels formats per-channel means of cycles of period ns.
func channels(m map[int]float64, ns float64) string {
	var parts []string
	for _, c := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d:%.1f", c, m[c]*ns))
	}
	return strings.Join(parts, " ")
}

// RowOf computes a run's row.
func RowOf(r Run) Row {
	lns := 1 / r.ClockGHz
	t := r.Preset.TCKns
	row := Row{Trace: r.Trace, Preset: r.Preset.Name, DRAMTraceSHA256: r.DRAMTraceSHA256,
		DRAMCSVSHA256:  r.DRAMCSVSHA256,
		LrpsimRequests: r.Lrpsim.Requests, Replayed: r.Replayed, ServedFlood: r.Flood.ServedReads(),
		ServedUnloaded: r.Unloaded.ServedReads(), LrpsimBytes: r.Lrpsim.Bytes,
		RamulatorBytes: r.Flood.ServedReads() * r.Preset.RequestBytes,
		LrpsimNs:       float64(r.Lrpsim.ActiveCycles) * lns, FloodNs: float64(r.Flood.Cycles) * t,
		UnloadedNs: float64(r.Unloaded.Cycles) * t, LrpsimLat: distOf(r.Lrpsim.Latencies, lns),
		FloodLat: distOf(r.Flood.Latencies, t), UnloadedLat: distOf(r.Unloaded.Latencies, t),
		LrpsimChannels: channels(r.Lrpsim.ChannelLatency, lns),
		FloodChannels:  channels(r.Flood.ChannelLatency, t), UnloadedChannels: channels(r.Unloaded.ChannelLatency, t)}
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	row.Ratio = div(row.LrpsimNs, row.FloodNs)
	row.LrpsimGBs = div(float64(row.LrpsimBytes), row.LrpsimNs)
	row.FloodGBs = div(float64(row.RamulatorBytes), row.FloodNs)
	return row
}

// csvHeader is the comparison CSV's header; csvFields gives a row's fields in its order.
var csvHeader = []string{"trace", "preset", "dram_trace_sha256", "dram_csv_sha256", "lrpsim_requests", "ramulator_requests",
	"ramulator_served_flood", "ramulator_served_unloaded", "lrpsim_bytes", "ramulator_bytes",
	"lrpsim_active_ns", "ramulator_flood_ns", "ramulator_unloaded_ns", "lrpsim_over_ramulator",
	"lrpsim_gbps", "ramulator_flood_gbps",
	"lrpsim_lat_mean_ns", "lrpsim_lat_p50_ns", "lrpsim_lat_p90_ns", "lrpsim_lat_max_ns",
	"flood_lat_mean_ns", "flood_lat_p50_ns", "flood_lat_p90_ns", "flood_lat_max_ns",
	"unloaded_lat_mean_ns", "unloaded_lat_p50_ns", "unloaded_lat_p90_ns", "unloaded_lat_max_ns",
	"lrpsim_channel_lat_ns", "flood_channel_lat_ns", "unloaded_channel_lat_ns"}

func (r Row) csvFields() []string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	d := func(x Dist) []string { return []string{f(x.Mean), f(x.P50), f(x.P90), f(x.Max)} }
	out := []string{r.Trace, r.Preset, r.DRAMTraceSHA256, r.DRAMCSVSHA256, strconv.Itoa(r.LrpsimRequests), strconv.Itoa(r.Replayed),
		strconv.FormatInt(r.ServedFlood, 10), strconv.FormatInt(r.ServedUnloaded, 10),
		strconv.FormatInt(r.LrpsimBytes, 10), strconv.FormatInt(r.RamulatorBytes, 10),
		f(r.LrpsimNs), f(r.FloodNs), f(r.UnloadedNs), f(r.Ratio), f(r.LrpsimGBs), f(r.FloodGBs)}
	out = append(out, d(r.LrpsimLat)...)
	out = append(out, d(r.FloodLat)...)
	out = append(out, d(r.UnloadedLat)...)
	return append(out, r.LrpsimChannels, r.FloodChannels, r.UnloadedChannels)
}

// WriteCSV writes the rows as the comparison CSV.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r.csvFields()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Fingerprinted is a (trace, preset) pair of a comparison CSV and the fingerprints of the DRAM
// traces it was made from, in the ramulator2 and csv formats.
type Fingerprinted struct {
	Trace, Preset, SHA256, CSVSHA256 string
}

// ReadFingerprints reads the trace, preset, dram_trace_sha256 and dram_csv_sha256 columns of a
// comparison CSV.
func ReadFingerprints(r io.Reader) ([]Fingerprinted, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || len(rows[0]) < 4 || !slices.Equal(rows[0][:4], csvHeader[:4]) {
		return nil, fmt.Errorf("comparison CSV: want a header starting %s", strings.Join(csvHeader[:4], ","))
	}
	var out []Fingerprinted
	for _, row := range rows[1:] {
		out = append(out, Fingerprinted{Trace: row[0], Preset: row[1], SHA256: row[2], CSVSHA256: row[3]})
	}
	return out, nil
}

// WriteMarkdown writes the rows as the comparison table: time and bandwidth, then the latency
// distributions, then the per-channel means.
func WriteMarkdown(w io.Writer, rows []Row) error {
	var b strings.Builder
	b.WriteString("| trace | preset | requests (lrpsim / replayed) | lrpsim DRAM-active ns | Ramulator ns | lrpsim / Ramulator | GB/s (lrpsim / Ramulator) |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %d / %d | %.0f | %.0f | %.2f | %.1f / %.1f |\n", r.Trace, r.Preset,
			r.LrpsimRequests, r.Replayed, r.LrpsimNs, r.FloodNs, r.Ratio, r.LrpsimGBs, r.FloodGBs)
	}
	b.WriteString("\nRead latency, ns: mean / p50 / p90 / max (lrpsim: issue to first data; Ramulator: arrival at the controller to data)\n\n")
	b.WriteString("| trace | preset | lrpsim | Ramulator | Ramulator unloaded |\n|---|---|---|---|---|\n")
	dist := func(d Dist) string { return fmt.Sprintf("%.1f / %.0f / %.0f / %.0f", d.Mean, d.P50, d.P90, d.Max) }
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Trace, r.Preset, dist(r.LrpsimLat), dist(r.FloodLat), dist(r.UnloadedLat))
	}
	b.WriteString("\nMean read latency per channel, ns (channel:ns)\n\n")
	b.WriteString("| trace | preset | lrpsim | Ramulator | Ramulator unloaded |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Trace, r.Preset, r.LrpsimChannels, r.FloodChannels, r.UnloadedChannels)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
