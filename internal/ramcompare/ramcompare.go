// Package ramcompare holds lrpsim's DRAM requests beside Ramulator 2's replay of them
// (results/ramulator/regen.sh): it turns lrpsim's `--dram-trace` load/store trace into the
// requests Ramulator replays (one a device burst), reads lrpsim's request timing from the CSV
// trace and Ramulator's statistics and per-read latencies, and writes the side-by-side table.
//
// Ramulator 2.0's num_read_reqs_N counts every attempt to enqueue a read, rejected ones included,
// so its avg_read_latency_N is too low; the reads a channel served are its read row hits,
// misses and conflicts, and its mean latency is read_latency_N over those.
package ramcompare

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Preset is a memory preset of lrpsim and the Ramulator configuration that pairs with it.
type Preset struct {
	// Name is the preset's name: the config is configs/<Name>.yaml, Ramulator's
	// results/ramulator/<Name>.yaml.
	Name string
	// RequestBytes is Ramulator's request: the device's access (its prefetch times its channel
	// width).
	RequestBytes int64
	// TCKns is the DRAM clock period, in ns, Ramulator's cycles are counted in.
	TCKns float64
}

// Presets are the presets compared, in table order.
var Presets = []Preset{
	{Name: "hbm2", RequestBytes: 32, TCKns: 1.0},   // HBM2_2Gbps: 2 Gb/s per pin, a 1 GHz clock
	{Name: "ddr4", RequestBytes: 64, TCKns: 0.625}, // DDR4_3200AA: 3200 MT/s, a 1.6 GHz clock
}

// PresetNamed returns the preset called name.
func PresetNamed(name string) (Preset, error) {
	for _, p := range Presets {
		if p.Name == name {
			return p, nil
		}
	}
	return Preset{}, fmt.Errorf("unknown preset %q", name)
}

// Fingerprint is the sha256 of a DRAM trace's bytes, in hex.
func Fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// LegacyLineBytes is what a line of lrpsim's `--dram-trace` covered before it wrote one line per
// request: a 64-byte line, written once per request that touched it.
const LegacyLineBytes = 64

// LineFormat says what a line of lrpsim's `--dram-trace` lt is, given the CSV trace of the same
// run: when the CSV has one row per line, each with the line's address, and every row the same
// bytes, a line is one request of those bytes (perRequest: replay it with Expand); otherwise it
// is the legacy 64-byte line, written once per request that touched it (rebuild the requests
// with FromCSV).
func LineFormat(lt []byte, csvTrace io.Reader) (lineBytes int64, perRequest bool, err error) {
	rows, err := csv.NewReader(csvTrace).ReadAll()
	if err != nil {
		return 0, false, err
	}
	if len(rows) == 0 {
		return 0, false, fmt.Errorf("empty DRAM trace CSV")
	}
	b, a := slices.Index(rows[0], "bytes"), slices.Index(rows[0], "address")
	if b < 0 || a < 0 {
		return 0, false, fmt.Errorf("DRAM trace CSV: want columns \"address\" and \"bytes\"")
	}
	lines := strings.Split(strings.TrimSuffix(string(lt), "\n"), "\n")
	if len(lt) == 0 || len(rows)-1 != len(lines) {
		return LegacyLineBytes, false, nil
	}
	for i, row := range rows[1:] {
		if row[b] != rows[1][b] || lines[i] != "LD "+row[a] {
			return LegacyLineBytes, false, nil
		}
	}
	n, err := strconv.ParseInt(rows[1][b], 10, 64)
	return n, true, err
}

// Expand turns a load/store trace of one line per request, each covering lineBytes (lrpsim's
// `--dram-trace`: "LD 0x<address>"), into the requests Ramulator replays: each line becomes the
// aligned requestBytes requests it covers (itself, when lrpsim's burst is the device's), every
// line kept: each is a request lrpsim issued. It returns the trace and its number of requests.
func Expand(r io.Reader, lineBytes, requestBytes int64) ([]byte, int, error) {
	if lineBytes <= 0 || requestBytes <= 0 {
		return nil, 0, fmt.Errorf("line bytes %d and request bytes %d must be positive", lineBytes, requestBytes)
	}
	var out bytes.Buffer
	n := 0
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 || f[0] != "LD" {
			return nil, 0, fmt.Errorf("line %d: %q: want LD <address>", line, sc.Text())
		}
		addr, err := strconv.ParseInt(strings.TrimPrefix(f[1], "0x"), 16, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("line %d: address: %w", line, err)
		}
		for a := addr / requestBytes * requestBytes; a < addr+lineBytes; a += requestBytes {
			fmt.Fprintf(&out, "LD 0x%x\n", a)
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	return out.Bytes(), n, nil
}

// FromCSV rebuilds the requests of a run from its CSV trace (the legacy `--dram-trace` of 64-byte
// lines cannot say which half of a line a 32-B request read): the aligned requestBytes bursts
// that cover each row's range, each burst once per tile (a load reads a burst once even where
// two of its ranges share it), in the CSV's order. It returns the trace and its number of
// requests.
func FromCSV(r io.Reader, requestBytes int64) ([]byte, int, error) {
	if requestBytes <= 0 {
		return nil, 0, fmt.Errorf("request bytes %d must be positive", requestBytes)
	}
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, 0, err
	}
	if len(rows) == 0 {
		return nil, 0, fmt.Errorf("empty DRAM trace CSV")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var out bytes.Buffer
	n := 0
	seen := map[string]map[int64]bool{} // tile -> bursts its load read
	for i, row := range rows[1:] {
		if len(row) != len(rows[0]) {
			return nil, 0, fmt.Errorf("DRAM trace CSV row %d: %d fields, want %d", i+2, len(row), len(rows[0]))
		}
		addr, err1 := strconv.ParseInt(strings.TrimPrefix(row[col["address"]], "0x"), 16, 64)
		size, err2 := strconv.ParseInt(row[col["bytes"]], 10, 64)
		if err1 != nil || err2 != nil || size <= 0 {
			return nil, 0, fmt.Errorf("DRAM trace CSV row %d: want a hex address and positive bytes", i+2)
		}
		tile := row[col["tile"]]
		if seen[tile] == nil {
			seen[tile] = map[int64]bool{}
		}
		for a := addr / requestBytes * requestBytes; a < addr+size; a += requestBytes {
			if !seen[tile][a] {
				seen[tile][a] = true
				fmt.Fprintf(&out, "LD 0x%x\n", a)
				n++
			}
		}
	}
	return out.Bytes(), n, nil
}

// Lrpsim is what lrpsim's memory model did on a run, from its CSV DRAM trace.
type Lrpsim struct {
	// Requests is the number of requests; Bytes what they read.
	Requests int
	Bytes    int64
	// ActiveCycles is the DRAM-active time: the cycles in which a request was in flight, from
	// its issue to its last data cycle.
	ActiveCycles int64
	// Latencies are each request's cycles from issue to its first data, in issue order.
	Latencies []int64
	// ChannelLatency is the mean latency per channel, by channel.
	ChannelLatency map[int]float64
}

// csvRequest is one request of the CSV trace (its rows share all but the range).
type csvRequest struct {
	issue, first, last, tile int64
	channel                  int
}

// ReadLrpsimCSV reads lrpsim's `--dram-trace-format csv` trace: rows of one request (same issue
// cycle, channel, data cycles and tile, one after another) make one request.
func ReadLrpsimCSV(r io.Reader) (Lrpsim, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return Lrpsim{}, err
	}
	if len(rows) == 0 {
		return Lrpsim{}, fmt.Errorf("empty DRAM trace CSV")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"issue_cycle", "channel", "bytes", "first_data_cycle", "last_data_cycle", "tile"} {
		if _, ok := col[h]; !ok {
			return Lrpsim{}, fmt.Errorf("DRAM trace CSV: no column %q", h)
		}
	}
	var out Lrpsim
	var reqs []csvRequest
	for i, row := range rows[1:] {
		var v [6]int64
		for j, h := range []string{"issue_cycle", "channel", "bytes", "first_data_cycle", "last_data_cycle", "tile"} {
			if v[j], err = strconv.ParseInt(row[col[h]], 10, 64); err != nil {
				return Lrpsim{}, fmt.Errorf("DRAM trace CSV row %d: %s: %w", i+2, h, err)
			}
		}
		out.Bytes += v[2]
		q := csvRequest{issue: v[0], channel: int(v[1]), first: v[3], last: v[4], tile: v[5]}
		if len(reqs) == 0 || reqs[len(reqs)-1] != q {
			reqs = append(reqs, q)
		}
	}
	out.Requests = len(reqs)
	out.ActiveCycles = activeCycles(reqs)
	sum, count := map[int]int64{}, map[int]int64{}
	for _, q := range reqs {
		out.Latencies = append(out.Latencies, q.first-q.issue)
		sum[q.channel] += q.first - q.issue
		count[q.channel]++
	}
	out.ChannelLatency = map[int]float64{}
	for c, s := range sum {
		out.ChannelLatency[c] = float64(s) / float64(count[c])
	}
	return out, nil
}

// activeCycles is the length of the union of the requests' [issue, last+1) intervals.
func activeCycles(reqs []csvRequest) int64 {
	iv := make([][2]int64, len(reqs))
	for i, q := range reqs {
		iv[i] = [2]int64{q.issue, q.last + 1}
	}
	slices.SortFunc(iv, func(a, b [2]int64) int { return int(a[0] - b[0]) })
	var total, end int64 = 0, -1 << 62
	for _, v := range iv {
		lo := max(v[0], end)
		if v[1] > lo {
			total += v[1] - lo
		}
		end = max(end, v[1])
	}
	return total
}
